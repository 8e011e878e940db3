//! A cost report emailed on a schedule.

use sea_orm::entity::prelude::*;

/// A `report_schedules` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_schedules")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Its label.
    pub name: String,
    /// `user`, `team`, or none for everything.
    pub subject_type: Option<String>,
    /// The user's or team's id.
    pub subject_id: Option<String>,
    /// Only this client's costs.
    pub client_id: Option<String>,
    /// `monthly` or `weekly`.
    pub cadence: String,
    /// `pdf` or `csv`.
    pub format: String,
    /// JSON array of addresses.
    pub recipients: String,
    /// When it last sent.
    pub last_sent_at: Option<DateTimeUtc>,
    /// `YYYY-MM` it last sent.
    pub last_period: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Who created it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: DateTimeUtc,
    /// Bumped on every change.
    pub version: i64,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
