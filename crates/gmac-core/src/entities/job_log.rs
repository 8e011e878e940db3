//! One line of a job's log.

use sea_orm::entity::prelude::*;

/// A `job_logs` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_logs")]
pub struct Model {
    /// The job.
    #[sea_orm(primary_key, auto_increment = false)]
    pub job_id: String,
    /// The line's number in the job's log, from 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// When it was written.
    pub at: DateTimeUtc,
    /// The text, secrets masked.
    #[sea_orm(column_type = "Text")]
    pub line: String,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
