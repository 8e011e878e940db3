//! A recurring job.

use sea_orm::entity::prelude::*;

/// A `job_schedules` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_schedules")]
pub struct Model {
    /// Its stable name (`budgets.evaluate`, ...).
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// When it runs: a cron expression, UTC.
    pub cron: String,
    /// The kind of job it enqueues.
    pub kind: String,
    /// The job's payload, JSON.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// Whether it runs at all.
    pub enabled: bool,
    /// Its next slot.
    pub next_run_at: DateTimeUtc,
    /// The last slot it enqueued a job for.
    pub last_slot_at: Option<DateTimeUtc>,
    /// The job it enqueued for that slot.
    pub last_job_id: Option<String>,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
