//! The coarse daily rollup: the fine rollup without resources and tags.

use sea_orm::entity::prelude::*;

/// A `cost_summary` row. Money in units of 10⁻¹¹ (see `crate::money`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_summary")]
pub struct Model {
    /// The client.
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    /// `YYYY-MM-DD`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    /// ISO 4217.
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    /// `ProviderName`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider_name: String,
    /// `SubAccountId`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sub_account_id: String,
    /// `ServiceName`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_name: String,
    /// `ChargeCategory`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub charge_category: String,
    /// `RegionId`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub region_id: String,
    /// Sum of `BilledCost`.
    pub billed_cost: i64,
    /// Sum of `EffectiveCost`.
    pub effective_cost: i64,
    /// Sum of `ListCost`.
    pub list_cost: i64,
    /// Line items summed.
    pub line_count: i64,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
