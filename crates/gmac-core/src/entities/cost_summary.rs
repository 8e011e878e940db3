//! The coarse daily rollup: the fine rollup without resources and tags.

use sea_orm::entity::prelude::*;

/// A `cost_summary` row. Money as whole units and 10⁻¹¹ fractions (see `crate::money`).
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
    /// Sum of `BilledCost`: whole currency units, rounded down (see `crate::money`).
    pub billed_cost_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub billed_cost_frac: i64,
    /// Sum of `EffectiveCost`: whole currency units, rounded down (see `crate::money`).
    pub effective_cost_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub effective_cost_frac: i64,
    /// Sum of `ListCost`: whole currency units, rounded down (see `crate::money`).
    pub list_cost_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub list_cost_frac: i64,
    /// Line items summed.
    pub line_count: i64,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
