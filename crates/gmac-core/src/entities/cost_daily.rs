//! The daily cost rollup: what dashboards read, never the line items.

use sea_orm::entity::prelude::*;

/// A `cost_daily` row: the sums of one day's line items sharing every dimension. Money in
/// whole units and 10⁻¹¹ fractions (see `crate::money`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_daily")]
pub struct Model {
    /// The owning client.
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    /// `YYYY-MM-DD`, UTC.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    /// A hash of the dimensions below, which identify the row within its day.
    #[sea_orm(primary_key, auto_increment = false)]
    pub dims_key: String,
    /// ISO 4217.
    pub currency: String,
    /// `ProviderName`.
    pub provider_name: String,
    /// `BillingAccountId`.
    pub billing_account_id: String,
    /// `SubAccountId`.
    pub sub_account_id: String,
    /// `ServiceName`.
    pub service_name: String,
    /// `ServiceCategory`.
    pub service_category: String,
    /// `RegionId`.
    pub region_id: String,
    /// `ResourceId`.
    pub resource_id: String,
    /// `ChargeCategory`.
    pub charge_category: String,
    /// Tags, a JSON object with sorted keys.
    #[sea_orm(column_type = "Text")]
    pub tags: String,
    /// Sum of `BilledCost`: whole currency units, rounded down (see `crate::money`).
    pub billed_cost_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub billed_cost_frac: i64,
    /// Sum of `EffectiveCost`: whole currency units, rounded down (see `crate::money`).
    pub effective_cost_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub effective_cost_frac: i64,
    /// Sum of `ListCost` (absent counts as zero): whole currency units, rounded down (see `crate::money`).
    pub list_cost_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub list_cost_frac: i64,
    /// How many line items it sums.
    pub line_count: i64,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
