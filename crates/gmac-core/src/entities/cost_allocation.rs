//! Daily costs as allocated to users and teams (empty ids: unallocated).

use sea_orm::entity::prelude::*;

/// A `cost_allocations` row. Money as whole units and 10⁻¹¹ fractions (see `crate::money`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_allocations")]
pub struct Model {
    /// The client.
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    /// `YYYY-MM-DD`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    /// The user who pays, or empty.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// The team that pays (the user's team when a user pays and is in one), or empty.
    #[sea_orm(primary_key, auto_increment = false)]
    pub team_id: String,
    /// `ServiceName`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_name: String,
    /// ISO 4217.
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    /// Allocated `BilledCost`: whole currency units, rounded down (see `crate::money`).
    pub billed_cost_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub billed_cost_frac: i64,
    /// Allocated `EffectiveCost`: whole currency units, rounded down (see `crate::money`).
    pub effective_cost_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub effective_cost_frac: i64,
    /// Allocated `ListCost`: whole currency units, rounded down (see `crate::money`).
    pub list_cost_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub list_cost_frac: i64,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
