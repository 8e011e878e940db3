//! Events: what changed, in order, for live updates (and, later, webhooks and notifications).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an event happened, for who may see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventScope {
    /// `global`, `client` or `project`.
    pub kind: String,
    /// The client or project; `null` for `global`.
    pub id: Option<String>,
    /// The client the scope belongs to; `null` for `global`.
    pub client_id: Option<String>,
}

/// One change. The shape follows Standard Webhooks (`type`, `timestamp`, `data`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// In commit order, from 1, without gaps (the SSE `id:`).
    pub id: i64,
    /// What happened, as `subject_kind.past_verb`: `client.created`, `cost_import.created`,
    /// `budget.threshold_crossed`, `job.succeeded`, ...
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// Where.
    pub scope: EventScope,
    /// What it happened to, as `kind/id`.
    pub subject: Option<String>,
    /// Who did it (a user id); `null` for gmac itself.
    pub actor_id: Option<String>,
    /// What changed; secrets redacted.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

/// Filters of the event list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct EventQuery {
    /// Only events after this id (as `Last-Event-ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 0))]
    pub after: Option<i64>,
    /// Only events whose type starts with this, e.g. `budget.` or `client.created`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// At most this many (1–500, default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    pub limit: Option<u64>,
}

/// A page of events, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventList {
    /// The events, oldest first.
    pub items: Vec<Event>,
    /// The id to pass as `after` for the next ones (the newest seen, or the `after` given).
    pub last_id: i64,
}

/// Where a live stream of events starts, and which it sends.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct EventStreamQuery {
    /// Start after this id; `Last-Event-ID` wins when both are sent. Without either, the
    /// stream starts with the next event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 0))]
    pub after: Option<i64>,
    /// Only events whose type starts with this, e.g. `budget.`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
}

/// One server-sent event as it is framed on the wire (`GET /events/stream`,
/// `GET /jobs/{id}/events`): its `data` is JSON (an [`Event`], a job or a log line).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SseFrame {
    /// The event's id, to resume after with `Last-Event-ID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its type, e.g. `client.created`, `log`, `job`, `end`.
    pub event: String,
    /// JSON text.
    pub data: String,
}
