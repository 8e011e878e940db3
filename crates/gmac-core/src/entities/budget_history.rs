//! A budget's outcome per period.

use sea_orm::entity::prelude::*;

/// A `budget_history` row. Money as whole units and 10⁻¹¹ fractions.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budget_history")]
pub struct Model {
    /// The budget.
    #[sea_orm(primary_key, auto_increment = false)]
    pub budget_id: String,
    /// `YYYY-MM-DD`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub period_start: String,
    /// The limit then: whole currency units, rounded down (see `crate::money`).
    pub limit_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub limit_frac: i64,
    /// Spent (so far): whole currency units, rounded down (see `crate::money`).
    pub actual_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub actual_frac: i64,
    /// When it was last computed.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
