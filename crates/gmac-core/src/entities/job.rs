//! A durable job: long, retried work a worker leases from the queue.

use sea_orm::entity::prelude::*;

/// A `jobs` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// What the job does (`cost_import`, ...): picks its handler and its permissions.
    pub kind: String,
    /// The handler's input, JSON.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// The client the job works on (its scope for permissions); `None`: the installation.
    pub client_id: Option<String>,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    /// Runs started so far.
    pub attempts: i32,
    /// Runs allowed before a transient failure fails the job.
    pub max_attempts: i32,
    /// Not before this time.
    pub run_at: DateTimeUtc,
    /// The worker holding the lease of a running job.
    pub lease_owner: Option<String>,
    /// Until when the lease holds; a running job past it is taken over.
    pub lease_until: Option<DateTimeUtc>,
    /// Someone asked the job to stop.
    pub cancel_requested: bool,
    /// Units of work done.
    pub progress_done: i64,
    /// Units of work in all, when known.
    pub progress_total: Option<i64>,
    /// What the job is doing now.
    #[sea_orm(column_type = "Text", nullable)]
    pub progress_message: Option<String>,
    /// The steps, JSON `[{"name", "status"}]`.
    #[sea_orm(column_type = "Text")]
    pub steps: String,
    /// What the job made, JSON.
    #[sea_orm(column_type = "Text", nullable)]
    pub result: Option<String>,
    /// Why the last run failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// Who started it.
    pub created_by: Option<String>,
    /// The API token it was started with, whose limits it keeps.
    pub token_id: Option<String>,
    /// At most one unfinished job holds a key.
    pub dedupe_key: Option<String>,
    /// When it was enqueued.
    pub created_at: DateTimeUtc,
    /// When its latest run started.
    pub started_at: Option<DateTimeUtc>,
    /// When it ended.
    pub finished_at: Option<DateTimeUtc>,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
