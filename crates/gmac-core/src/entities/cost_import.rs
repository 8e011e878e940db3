//! A FOCUS file (or a Cost Explorer sync) whose line items were imported once.

use sea_orm::entity::prelude::*;

/// A `cost_imports` row. Money as whole units and 10⁻¹¹ fractions (see `crate::money`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_imports")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The client the costs belong to.
    pub client_id: String,
    /// The uploaded file's name.
    pub file_name: Option<String>,
    /// SHA-256 (hex) of the decompressed file; unique per client.
    pub sha256: String,
    /// `1.0`, `1.1` or `1.2`.
    pub focus_version: String,
    /// Line items imported.
    pub rows_imported: i64,
    /// Rows refused (skipped).
    pub rows_rejected: i64,
    /// JSON array of the first refusals.
    #[sea_orm(column_type = "Text")]
    pub errors: String,
    /// Sum of `BilledCost`: whole currency units, rounded down (see `crate::money`).
    pub billed_cost_total_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub billed_cost_total_frac: i64,
    /// Sum of `EffectiveCost`: whole currency units, rounded down (see `crate::money`).
    pub effective_cost_total_whole: i64,
    /// Its 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`.
    pub effective_cost_total_frac: i64,
    /// ISO 4217.
    pub currency: String,
    /// `YYYY-MM-DD`.
    pub first_day: Option<String>,
    /// `YYYY-MM-DD`.
    pub last_day: Option<String>,
    /// The importing user.
    pub created_by: Option<String>,
    /// When.
    pub created_at: DateTimeUtc,
    /// `staging` while its lines are written (invisible), `published` once they count.
    pub state: String,
    /// When a staging import last wrote lines; a stale one was abandoned.
    pub heartbeat_at: Option<DateTimeUtc>,
    /// What it replaced of earlier imports: JSON of `[ReplacedPeriod]`.
    #[sea_orm(column_type = "Text")]
    pub replaced: String,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
