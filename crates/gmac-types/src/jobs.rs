//! Durable jobs: long, retried work followed by its progress and log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for a worker (or for its next attempt).
    Queued,
    /// A worker holds it.
    Running,
    /// Done; `result` names what it made.
    Succeeded,
    /// Given up; `error` says why.
    Failed,
    /// Stopped on request.
    Cancelled,
}

impl JobStatus {
    /// The status as stored and as the API's filter spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// Parses the stored text; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "succeeded" => JobStatus::Succeeded,
            "failed" => JobStatus::Failed,
            "cancelled" => JobStatus::Cancelled,
            _ => return None,
        })
    }

    /// Whether the job has ended and will not run again by itself.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

/// How far a job has come.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobProgress {
    /// Units of work done.
    pub done: i64,
    /// Units of work in all, when known.
    pub total: Option<i64>,
    /// What the job is doing now.
    pub message: Option<String>,
}

/// One step of a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobStep {
    /// What the step does.
    pub name: String,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// When it began (in the run that last began it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

/// A job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Job {
    /// A `UUIDv7`.
    pub id: String,
    /// What it does: `cost_import`, ...
    pub kind: String,
    /// Where it stands.
    pub status: JobStatus,
    /// The client it works on; `null` for the installation.
    pub client_id: Option<String>,
    /// How far it has come.
    pub progress: JobProgress,
    /// Its steps so far.
    pub steps: Vec<JobStep>,
    /// Runs started so far.
    pub attempts: i32,
    /// Runs allowed before a transient failure fails it.
    pub max_attempts: i32,
    /// What it made (for `cost_import`: `{"import_id", "created"}`), once it succeeded.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub result: Option<serde_json::Value>,
    /// Why its last run failed.
    pub error: Option<String>,
    /// Whether someone asked it to stop.
    pub cancel_requested: bool,
    /// Who started it.
    pub created_by: Option<String>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// Not before this time (its next attempt, while queued).
    pub run_at: DateTime<Utc>,
    /// When its latest run started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Filters of the job list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct JobQuery {
    /// Only jobs of this kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Only jobs in this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<JobStatus>,
    /// Only jobs working on this client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// One line of a job's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobLogLine {
    /// The line's number, from 1 (the SSE event id).
    pub seq: i64,
    /// When it was written.
    pub at: DateTime<Utc>,
    /// The text, secrets masked.
    pub line: String,
}
