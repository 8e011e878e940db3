//! Cloud costs: FOCUS imports and cost queries. Money is an exact decimal, sent as a string.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The outcome of importing one FOCUS file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostImport {
    /// A `UUIDv7`.
    pub id: String,
    /// The client the costs belong to.
    pub client_id: String,
    /// The uploaded file's name, when it had one.
    pub file_name: Option<String>,
    /// SHA-256 of the (decompressed) file: the same file is imported once.
    pub sha256: String,
    /// The FOCUS version its columns match: `1.0`, `1.1` or `1.2`.
    pub focus_version: String,
    /// Line items added by this request (0 when the file was imported before).
    pub rows_imported: u64,
    /// Rows refused (only with `on_error=skip`; otherwise any refusal refuses the file).
    pub rows_rejected: u64,
    /// Why rows were refused, at most 100 of them.
    pub errors: Vec<RowError>,
    /// The sum of `BilledCost` over the imported rows, exactly.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "20.52022672899"))]
    pub billed_cost_total: Decimal,
    /// The sum of `EffectiveCost` over the imported rows, exactly.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "14.97651418586"))]
    pub effective_cost_total: Decimal,
    /// The billing currency (ISO 4217).
    pub currency: String,
    /// The first and last day with costs.
    pub first_day: Option<NaiveDate>,
    /// The last day with costs.
    pub last_day: Option<NaiveDate>,
    /// Who imported it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A row of a FOCUS file that could not be imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    /// The line in the file, counting the header as line 1.
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<String>,
    /// What is wrong, for a person.
    pub reason: String,
}

/// How to treat rows that break the FOCUS specification.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnRowError {
    /// Refuse the whole file and change nothing (the default).
    #[default]
    Reject,
    /// Import the valid rows and report the others.
    Skip,
}

/// Query parameters of `POST /cost-imports`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct CostImportParams {
    /// The client the costs belong to.
    pub client_id: String,
    /// What to do with rows that break the specification.
    #[serde(default)]
    pub on_error: OnRowError,
    /// A name to remember the file by (multipart uploads carry their own).
    #[serde(default)]
    pub file_name: Option<String>,
}

/// Which cost to sum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CostMetric {
    /// `BilledCost`: what the invoice says.
    #[default]
    Billed,
    /// `EffectiveCost`: amortized, after discounts and commitments.
    Effective,
    /// `ListCost`: at public prices.
    List,
}

/// Query parameters of `GET /costs`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct CostQuery {
    /// First day, inclusive (`YYYY-MM-DD`, UTC).
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
    /// `day`, `month`, `service`, `account`, `region`, `provider`, `charge_category`, `client`,
    /// `user`, `team` or `tag:KEY`. Without it, only the total.
    #[serde(default)]
    pub group_by: Option<String>,
    /// Which cost to sum.
    #[serde(default)]
    pub metric: CostMetric,
    /// Only this client's costs.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Only this service (its `ServiceName`).
    #[serde(default)]
    pub service: Option<String>,
    /// Only this sub-account (`SubAccountId`).
    #[serde(default)]
    pub account: Option<String>,
    /// Only costs in this currency (default: the one with the most cost lines).
    #[serde(default)]
    pub currency: Option<String>,
    /// Only the costs allocated to this user (id).
    #[serde(default)]
    pub user_id: Option<String>,
    /// Only the costs allocated to this team (id).
    #[serde(default)]
    pub team_id: Option<String>,
}

/// Costs summed, and grouped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostReport {
    /// ISO 4217.
    pub currency: String,
    /// Which cost was summed.
    pub metric: CostMetric,
    /// The sum over the range, exactly.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "850.00"))]
    pub total: Decimal,
    /// The groups, largest first (by day: in date order). Empty without `group_by`.
    pub groups: Vec<CostGroup>,
}

/// One group of a cost report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostGroup {
    /// The group's value, e.g. `2024-09-18`, `Amazon EC2`, a user's or team's id; `(none)`
    /// where it is not set; `unallocated` for costs no rule claims.
    pub key: String,
    /// A name for people where the key is an id (a user's name, a team's name, `Unallocated`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The sum, exactly.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "450.00"))]
    pub amount: Decimal,
}

/// How a rule's matched costs are allocated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Allocation {
    /// To one user or team.
    Assign {
        /// Who pays.
        to: crate::Subject,
    },
    /// To the user whose email, or the team whose name, is the value of the rule's tag
    /// (`owner=<email>`, `team=<name>`). Values naming nobody stay unallocated.
    FromTag {
        /// Whether the value names a user (by email) or a team (by name).
        kind: crate::SubjectKind,
    },
    /// Shared: split among `among` (or, when empty, among everyone with costs that day), evenly
    /// or in proportion to what each was allocated directly.
    Share {
        /// Who shares; empty: everyone with directly allocated costs that day.
        #[serde(default)]
        among: Vec<crate::Subject>,
        /// How to split.
        method: ShareMethod,
    },
}

/// How shared costs are split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ShareMethod {
    /// Equal parts.
    Even,
    /// In proportion to each one's directly allocated costs.
    Proportional,
}

/// Creates an allocation rule. A cost line matches when every criterion given matches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAllocationRule {
    /// Only this client's costs; absent: every client's (needs `costs.manage` globally).
    #[serde(default)]
    pub client_id: Option<String>,
    /// A label, e.g. `Owner tag`.
    pub name: String,
    /// Precedence: 1 is tried first. Absent: after the existing rules.
    #[serde(default)]
    pub position: Option<u32>,
    /// Match lines carrying this tag key…
    #[serde(default)]
    pub tag_key: Option<String>,
    /// …with this value (absent: any value).
    #[serde(default)]
    pub tag_value: Option<String>,
    /// Match this sub-account (`SubAccountId`).
    #[serde(default)]
    pub account: Option<String>,
    /// Match this service (`ServiceName`).
    #[serde(default)]
    pub service: Option<String>,
    /// What happens to matched costs.
    pub allocation: Allocation,
}

/// An allocation rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AllocationRule {
    /// A `UUIDv7`.
    pub id: String,
    /// The client it applies to; absent: every client.
    pub client_id: Option<String>,
    /// The label.
    pub name: String,
    /// Precedence: 1 is tried first.
    pub position: u32,
    /// Tag key matched.
    pub tag_key: Option<String>,
    /// Tag value matched (absent: any).
    pub tag_value: Option<String>,
    /// Sub-account matched.
    pub account: Option<String>,
    /// Service matched.
    pub service: Option<String>,
    /// What happens to matched costs.
    pub allocation: Allocation,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Assigns one resource's costs to a user or team by hand; this beats every rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewResourceAssignment {
    /// The client whose resource it is.
    pub client_id: String,
    /// The `ResourceId`, e.g. an ARN.
    pub resource_id: String,
    /// Who pays.
    pub to: crate::Subject,
}

/// A resource assigned by hand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceAssignment {
    /// A `UUIDv7`.
    pub id: String,
    /// The client.
    pub client_id: String,
    /// The `ResourceId`.
    pub resource_id: String,
    /// Who pays.
    pub to: crate::Subject,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}
