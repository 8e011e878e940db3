//! A budget's outcome per period.

use sea_orm::entity::prelude::*;

/// A `budget_history` row. Money in units of 10⁻¹¹.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budget_history")]
pub struct Model {
    /// The budget.
    #[sea_orm(primary_key, auto_increment = false)]
    pub budget_id: String,
    /// `YYYY-MM-DD`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub period_start: String,
    /// The limit then.
    pub limit: i64,
    /// Spent (so far).
    pub actual: i64,
    /// When it was last computed.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
