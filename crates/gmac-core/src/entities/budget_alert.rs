//! An alert a budget raised: once per threshold and period.

use sea_orm::entity::prelude::*;

/// A `budget_alerts` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budget_alerts")]
pub struct Model {
    /// The budget.
    #[sea_orm(primary_key, auto_increment = false)]
    pub budget_id: String,
    /// `YYYY-MM-DD`, the period's first day.
    #[sea_orm(primary_key, auto_increment = false)]
    pub period_start: String,
    /// The threshold's percentage.
    #[sea_orm(primary_key, auto_increment = false)]
    pub percent: i64,
    /// `actual` or `forecast`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub basis: String,
    /// The amount when crossed, in money units: whole currency units, rounded down (see `crate::money`).
    pub amount_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub amount_frac: i64,
    /// Whether the mail server accepted the email.
    pub emailed: bool,
    /// When.
    pub raised_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
