//! A scheduled run of a report: claimed once per schedule and day, before its mail is sent.

use sea_orm::entity::prelude::*;

/// A `report_deliveries` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_deliveries")]
pub struct Model {
    /// The schedule.
    #[sea_orm(primary_key, auto_increment = false)]
    pub schedule_id: String,
    /// `YYYY-MM-DD`: the day the run was due.
    #[sea_orm(primary_key, auto_increment = false)]
    pub run_on: String,
    /// `YYYY-MM`: the month reported.
    pub period: String,
    /// Whether every recipient's mail was accepted.
    pub sent: bool,
    /// When it ran.
    pub at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
