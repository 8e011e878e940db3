//! A budget: a limit per period on some scope's costs.

use sea_orm::entity::prelude::*;

/// A `budgets` row. Money as whole units and 10⁻¹¹ fractions (see `crate::money`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budgets")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// A label.
    pub name: String,
    /// `global`, `client`, `project`, `user` or `team`.
    pub scope_type: String,
    /// The scope's id (none for `global`).
    pub scope_id: Option<String>,
    /// The client of a client or project budget (for permission checks).
    pub client_id: Option<String>,
    /// `monthly`, `quarterly` or `yearly`.
    pub period: String,
    /// The limit per period: whole currency units, rounded down (see `crate::money`).
    pub amount_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub amount_frac: i64,
    /// ISO 4217.
    pub currency: String,
    /// JSON array of thresholds.
    #[sea_orm(column_type = "Text")]
    pub thresholds: String,
    /// JSON array of email addresses.
    #[sea_orm(column_type = "Text")]
    pub notify: String,
    /// Its author.
    pub created_by: Option<String>,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// Bumped on every change; also sent as the `ETag`.
    pub version: i64,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
