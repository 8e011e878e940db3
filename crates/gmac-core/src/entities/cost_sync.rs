//! A Cost Explorer sync run.

use sea_orm::entity::prelude::*;

/// A `cost_syncs` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_syncs")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The account.
    pub cloud_account_id: String,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// Pages read.
    pub pages: i64,
    /// Lines stored.
    pub rows: i64,
    /// First day re-read.
    pub from_day: String,
    /// Last day re-read.
    pub to_day: String,
    /// Why it failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// When it started.
    pub started_at: DateTimeUtc,
    /// When it ended.
    pub finished_at: Option<DateTimeUtc>,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
