//! Costs per resource and month, for year-long "by resource" views.

use sea_orm::entity::prelude::*;

/// A `cost_resource_months` row. Money as whole units and 10⁻¹¹ fractions (see `crate::money`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_resource_months")]
pub struct Model {
    /// The client.
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    /// `YYYY-MM`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: String,
    /// `ResourceId` (empty when the line has none).
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource_id: String,
    /// ISO 4217.
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    /// Summed `BilledCost`: whole currency units, rounded down (see `crate::money`).
    pub billed_cost_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub billed_cost_frac: i64,
    /// Summed `EffectiveCost`: whole currency units, rounded down (see `crate::money`).
    pub effective_cost_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub effective_cost_frac: i64,
    /// Summed `ListCost`: whole currency units, rounded down (see `crate::money`).
    pub list_cost_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub list_cost_frac: i64,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
