//! The audit log as the API shows it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One audited event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    /// A `UUIDv7`.
    pub id: String,
    /// Position in the hash chain, from 1.
    pub seq: i64,
    /// When it happened.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub occurred_at: DateTime<Utc>,
    /// `user`, `token`, `anonymous` or `system`.
    pub actor_type: String,
    /// The user's or token's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    /// A readable name for the actor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_label: Option<String>,
    /// What was done, e.g. `client.update`.
    pub action: String,
    /// The kind of object acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    /// The object acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// The target's name for people (a client's or team's name, a user's name, an import's
    /// file name), as it is now; for a deleted object, the name its entry recorded, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_label: Option<String>,
    /// `global`, `client` or `project`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_type: Option<String>,
    /// The client or project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_id: Option<String>,
    /// The client's IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The request id (the `X-Request-Id` of the request that did it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    /// Before/after summary, with secrets redacted.
    pub details: serde_json::Value,
    /// The entry's hash in the chain.
    pub hash: String,
}

/// Filters of the audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// The actor's id or label (email), exactly.
    #[serde(default)]
    pub actor: Option<String>,
    /// An action (`client.update`), a prefix ending in `*` (`auth.*`), or a word the action
    /// contains (`role` finds `role.grant` and `role.revoke`), whatever its case.
    #[serde(default)]
    pub action: Option<String>,
    /// Whether successful access-token refreshes (`auth.refresh`, one every few minutes per
    /// signed-in browser) are listed: they are left out unless this is true or the action
    /// filter names them. Failed refreshes are always listed.
    #[serde(default)]
    pub refreshes: Option<bool>,
    /// The target object's id.
    #[serde(default)]
    pub target: Option<String>,
    /// `success`, `failure` or `denied`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// From this time (RFC 3339) or day (YYYY-MM-DD), inclusive.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(schema_with = crate::validation::date_or_time))]
    pub from: Option<String>,
    /// Until this time (RFC 3339) or day (YYYY-MM-DD, the whole day), inclusive.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(schema_with = crate::validation::date_or_time))]
    pub to: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(pattern = r"^[0-9]{0,18}$"))]
    pub cursor: Option<String>,
}

/// The result of checking the hash chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditVerification {
    /// Whether every entry is intact, in order, with none missing.
    pub valid: bool,
    /// How many entries were checked before the first problem (all of them when valid).
    pub checked: u64,
    /// Where the chain breaks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_bad: Option<BrokenLink>,
}

/// Where and how the chain breaks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrokenLink {
    /// The sequence number of the entry.
    pub seq: i64,
    /// `hash_mismatch` (edited), `chain_mismatch` (inserted), `missing` (deleted), or
    /// `head_mismatch` (entries removed from the end).
    pub reason: String,
}
