//! One FOCUS cost line item, as imported.

use sea_orm::entity::prelude::*;

/// A `cost_line_items` row. Money as whole units and 10⁻¹¹ fractions (see `crate::money`); absent text
/// dimensions are empty strings.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_line_items")]
pub struct Model {
    /// The import that brought it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub import_id: String,
    /// Its line in the file (the header is line 1).
    #[sea_orm(primary_key, auto_increment = false)]
    pub line_no: i64,
    /// The owning client.
    pub client_id: String,
    /// The UTC day of `ChargePeriodStart`, `YYYY-MM-DD`.
    pub day: String,
    /// `ChargePeriodStart`.
    pub charge_period_start: DateTimeUtc,
    /// `ChargePeriodEnd`.
    pub charge_period_end: DateTimeUtc,
    /// `BillingCurrency`.
    pub currency: String,
    /// `BilledCost`: whole currency units, rounded down (see `crate::money`).
    pub billed_cost_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub billed_cost_frac: i64,
    /// `EffectiveCost`: whole currency units, rounded down (see `crate::money`).
    pub effective_cost_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub effective_cost_frac: i64,
    /// `ListCost`: whole currency units, rounded down (see `crate::money`).
    pub list_cost_whole: Option<i64>,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹` (zero when absent).
    pub list_cost_frac: i64,
    /// `ContractedCost`: whole currency units, rounded down (see `crate::money`).
    pub contracted_cost_whole: Option<i64>,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹` (zero when absent).
    pub contracted_cost_frac: i64,
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
    /// `ChargeCategory`: Usage, Purchase, Tax, Credit or Adjustment.
    pub charge_category: String,
    /// `SkuId`.
    pub sku_id: Option<String>,
    /// `ChargeDescription`.
    #[sea_orm(column_type = "Text", nullable)]
    pub charge_description: Option<String>,
    /// `ConsumedQuantity`, as written.
    pub consumed_quantity: Option<String>,
    /// `ConsumedUnit`.
    pub consumed_unit: Option<String>,
    /// `Tags`, as a JSON object with sorted, trimmed keys.
    #[sea_orm(column_type = "Text")]
    pub tags: String,
    /// Every other column of the row, as a JSON object keyed by column name.
    #[sea_orm(column_type = "Text")]
    pub attributes: String,
    /// The day of `BillingPeriodStart` (UTC), when the file declared it.
    pub billing_period_start: Option<String>,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
