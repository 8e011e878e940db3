//! Costs per resource and month, for year-long "by resource" views.

use sea_orm::entity::prelude::*;

/// A `cost_resource_months` row. Money in units of 10⁻¹¹ (see `crate::money`).
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
    /// Summed `BilledCost`.
    pub billed_cost: i64,
    /// Summed `EffectiveCost`.
    pub effective_cost: i64,
    /// Summed `ListCost`.
    pub list_cost: i64,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
