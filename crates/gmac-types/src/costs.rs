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
    /// The FOCUS version its columns match: `1.0`, `1.1`, `1.2` or `1.3`.
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
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// The lines of earlier imports this file restated and so replaced: a file with
    /// `BillingPeriodStart` covers whole billing periods of its billing accounts, and a later
    /// export of a period (providers rewrite a month's export as it goes on) replaces the
    /// lines imported for it before instead of counting them twice.
    #[serde(default)]
    pub replaced: Vec<ReplacedPeriod>,
}

/// The lines of one earlier import that an import replaced, for one billing account, billing
/// period and currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplacedPeriod {
    /// `BillingAccountId` (empty when the file has none).
    pub billing_account_id: String,
    /// The day `BillingPeriodStart` falls on (UTC).
    pub billing_period_start: NaiveDate,
    /// The earlier import whose lines were replaced.
    pub import_id: String,
    /// That import's file name, when it had one.
    pub file_name: Option<String>,
    /// How many of its lines were replaced.
    pub rows: u64,
    /// The sum of their `BilledCost`, exactly.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "1204.11"))]
    pub billed_cost: Decimal,
    /// Their billing currency.
    pub currency: String,
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
    #[cfg_attr(
        feature = "openapi",
        param(
            pattern = r"^(day|month|service|service_category|account|billing_account|region|provider|charge_category|resource|client|user|team|tag:[A-Za-z0-9_.:/=+@-][A-Za-z0-9 _.:/=+@-]{0,126})$"
        )
    )]
    pub group_by: Option<String>,
    /// With `group_by` `day` or `month`: split each day's (or month's) sum by this too (the
    /// same values as `group_by` but `day` and `month`), for a stacked chart. The report's
    /// `stacks` are the ten largest over the range (the rest summed as `(other)`), and each
    /// group's `parts` its sums per stack.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        param(
            pattern = r"^(service|service_category|account|billing_account|region|provider|charge_category|resource|client|user|team|tag:[A-Za-z0-9_.:/=+@-][A-Za-z0-9 _.:/=+@-]{0,126})$"
        )
    )]
    pub stack_by: Option<String>,
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
    /// Only this project's costs: its client's costs tagged `project=<the project's name>`.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Only the costs carrying this tag, as `KEY=VALUE` (e.g. `env=prod`).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        param(pattern = r"^ *[A-Za-z0-9_.:/+@-][A-Za-z0-9 _.:/+@-]{0,126}=[^\s].{0,200}$")
    )]
    pub tag: Option<String>,
    /// Also sum the period of the same length just before (`previous_total`, and each
    /// group's `previous`): month over month for a calendar month. Not with day or month
    /// groupings.
    #[serde(default)]
    pub compare: bool,
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
    /// With `compare`: the sum over the period of the same length just before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub previous_total: Option<Decimal>,
    /// With `compare`: which days were compared with which.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compared: Option<Comparison>,
    /// With `stack_by`: the stacks over the whole range, largest first, at most ten and then
    /// `(other)` for the rest. Their `parts` are empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stacks: Vec<CostGroup>,
}

/// The days a comparison set side by side: those of the range up to its last day with costs
/// (days with no data yet do not count as zero), and as many days before them; a month so far
/// (from the 1st) is set against the same days of the month before, and whole months against
/// the calendar months before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comparison {
    /// The range's first day.
    pub from: NaiveDate,
    /// The range's last day with costs (its last day when it has none).
    pub to: NaiveDate,
    /// The first day of the period before.
    pub previous_from: NaiveDate,
    /// The last day of the period before.
    pub previous_to: NaiveDate,
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
    /// With `compare`: the same group's sum over the period before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub previous: Option<Decimal>,
    /// With `stack_by`: this day's (or month's) sum per stack, in the order of the report's
    /// `stacks`, leaving out stacks with nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<CostPart>,
}

/// One stack's part of a day's (or month's) sum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostPart {
    /// The stack's key, as in the report's `stacks`.
    pub stack: String,
    /// The sum, exactly.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "120.00"))]
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
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: String,
    /// Precedence: 1 is tried first. Absent: after the existing rules.
    #[serde(default, deserialize_with = "crate::whole::option_u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
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
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Bumped on every change; send it as `If-Match` to change the rule.
    #[serde(default)]
    pub version: i64,
}

/// A rule's new name, criteria, allocation and (optionally) position: what is given replaces
/// what the rule had (a criterion left out no longer matches); the client stays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AllocationRuleChange {
    /// A label, e.g. `Owner tag`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: String,
    /// Precedence: 1 is tried first. Absent: where it is.
    #[serde(default, deserialize_with = "crate::whole::option_u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
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

/// Assigns one resource's costs to a user or team by hand; this beats every rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewResourceAssignment {
    /// The client whose resource it is.
    pub client_id: String,
    /// The `ResourceId`, e.g. an ARN.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2048))]
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
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
}

/// Query parameters of `GET /costs/forecast`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ForecastQuery {
    /// `YYYY-MM`; default: the current month (UTC).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        param(pattern = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$")
    )]
    pub month: Option<String>,
    /// Only this client's costs.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Only the costs allocated to this user.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Only the costs allocated to this team.
    #[serde(default)]
    pub team_id: Option<String>,
    /// Only this service.
    #[serde(default)]
    pub service: Option<String>,
    /// Which cost.
    #[serde(default)]
    pub metric: CostMetric,
}

/// A month-end forecast with its 90% prediction interval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostForecast {
    /// `YYYY-MM`.
    pub month: String,
    /// ISO 4217.
    pub currency: String,
    /// The cost of the elapsed days.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub actual: Decimal,
    /// The expected month total: the elapsed cost plus the remaining days at the mean of the
    /// last 14 days.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub forecast: Decimal,
    /// Lower bound of the 90% prediction interval.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub lower: Decimal,
    /// Upper bound of the 90% prediction interval.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub upper: Decimal,
    /// Days counted as elapsed (up to yesterday: today's costs are not complete).
    pub days_elapsed: u32,
    /// Days in the month.
    pub days_in_month: u32,
}

/// The dimension an anomaly is found in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AnomalyDimension {
    /// Per service.
    #[default]
    Service,
    /// Per sub-account.
    Account,
    /// Per user (allocated costs).
    User,
    /// Per team (allocated costs).
    Team,
}

/// Query parameters of `GET /costs/anomalies`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AnomalyQuery {
    /// First day examined.
    pub from: NaiveDate,
    /// Last day examined.
    pub to: NaiveDate,
    /// Where to look.
    #[serde(default)]
    pub dimension: AnomalyDimension,
    /// Only this client's costs.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Ignore deviations smaller than this (default 1.00).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
    #[cfg_attr(feature = "openapi", param(pattern = r"^[0-9]{1,13}(\.[0-9]{1,6})?$"))]
    pub min_impact: Option<Decimal>,
}

/// A day whose cost was far from what its recent history predicted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostAnomaly {
    /// The day.
    pub day: NaiveDate,
    /// Where it was found.
    pub dimension: AnomalyDimension,
    /// The service name, account id, user id or team id (`unallocated` for the costs no rule
    /// claims, as in cost reports).
    pub key: String,
    /// A name for people.
    pub label: String,
    /// ISO 4217: the currency of the amounts.
    pub currency: String,
    /// The mean of the 14 days before.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub expected: Decimal,
    /// What it cost.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub actual: Decimal,
    /// `actual − expected`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub impact: Decimal,
    /// The impact as a percentage of the expectation (absent when nothing was expected).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub impact_percent: Option<Decimal>,
    /// The most likely cause: the value of the next dimension (a service's account, an
    /// account's service) that moved most.
    pub root_cause: Option<RootCause>,
    /// What a person said about it.
    pub feedback: Option<AnomalyVerdict>,
}

/// The part of an anomaly that moved most.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RootCause {
    /// `account` or `service`.
    pub dimension: String,
    /// Its value.
    pub key: String,
    /// How much it moved against its own recent history.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub impact: Decimal,
}

/// Whether an anomaly was expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AnomalyVerdict {
    /// A known cause (a launch, a migration).
    Expected,
    /// Worth looking into.
    NotExpected,
}

/// Feedback on an anomaly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnomalyFeedback {
    /// The anomaly's day.
    pub day: NaiveDate,
    /// Its dimension.
    pub dimension: AnomalyDimension,
    /// Its key.
    pub key: String,
    /// The verdict.
    pub verdict: AnomalyVerdict,
}

/// What a budget covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BudgetScope {
    /// Every client's costs.
    Global,
    /// One client's costs.
    Client {
        /// The client.
        id: String,
    },
    /// One project's costs: its client's costs tagged `project=<the project's name>`.
    Project {
        /// The project.
        id: String,
    },
    /// The costs allocated to a user.
    User {
        /// The user.
        id: String,
    },
    /// The costs allocated to a team.
    Team {
        /// The team.
        id: String,
    },
}

/// A budget's period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BudgetPeriod {
    /// Calendar months.
    Monthly,
    /// Calendar quarters.
    Quarterly,
    /// Calendar years.
    Yearly,
}

/// What a threshold compares with the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ThresholdBasis {
    /// The cost so far in the period.
    Actual,
    /// The period's forecast total.
    Forecast,
}

/// Alert when the basis reaches `percent` of the limit; once per period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetThreshold {
    /// 1 to 1000.
    #[serde(deserialize_with = "crate::whole::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000))]
    pub percent: u32,
    /// Actual or forecasted spend.
    pub basis: ThresholdBasis,
}

/// Creates a budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewBudget {
    /// A label, e.g. `Platform team, monthly`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: String,
    /// What it covers.
    pub scope: BudgetScope,
    /// Monthly, quarterly or yearly.
    pub period: BudgetPeriod,
    /// The limit per period, a decimal string.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "1000.00"))]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[1-9][0-9]{0,12}(\.[0-9]{1,2})?$")
    )]
    pub amount: Decimal,
    /// ISO 4217; default `USD`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Z]{3}$"))]
    pub currency: Option<String>,
    /// Default: 80% and 100% of actual spend, 100% of forecasted spend.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 10))]
    pub thresholds: Option<Vec<BudgetThreshold>>,
    /// Who is emailed; default: whoever creates the budget.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::validation::EmailSchema>>))]
    pub notify: Option<Vec<String>>,
}

/// A budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Budget {
    /// A `UUIDv7`.
    pub id: String,
    /// The label.
    pub name: String,
    /// What it covers.
    pub scope: BudgetScope,
    /// The period.
    pub period: BudgetPeriod,
    /// The limit per period.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: Decimal,
    /// ISO 4217.
    pub currency: String,
    /// When to alert.
    pub thresholds: Vec<BudgetThreshold>,
    /// Who is emailed.
    pub notify: Vec<String>,
    /// When it was created.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Bumped on every change; also sent as the `ETag`.
    pub version: i64,
}

/// Changes a budget; absent fields stay as they are. What it covers, its period and its
/// currency stay: a budget for something else is another budget.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetPatch {
    /// A new label.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: Option<String>,
    /// A new limit per period, a decimal string.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "1000.00"))]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[1-9][0-9]{0,12}(\.[0-9]{1,2})?$")
    )]
    pub amount: Option<Decimal>,
    /// New thresholds (all of them).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 10))]
    pub thresholds: Option<Vec<BudgetThreshold>>,
    /// Who is emailed now (all of them).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::validation::EmailSchema>>))]
    pub notify: Option<Vec<String>>,
}

/// An alert a budget raised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetAlert {
    /// The budget.
    pub budget_id: String,
    /// The budget's name.
    pub budget_name: String,
    /// The first day of the period.
    pub period_start: NaiveDate,
    /// The threshold crossed.
    pub threshold: BudgetThreshold,
    /// The actual or forecast amount when it was crossed.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: Decimal,
    /// ISO 4217: the budget's currency.
    pub currency: String,
    /// When.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub raised_at: DateTime<Utc>,
    /// Whether the mail server accepted the email.
    pub emailed: bool,
}

/// One period's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetPeriodResult {
    /// The first day of the period.
    pub period_start: NaiveDate,
    /// The limit then.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub limit: Decimal,
    /// What was spent (so far, for the current period).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub actual: Decimal,
}

/// Where a budget stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetStatus {
    /// The budget.
    pub budget: Budget,
    /// The current period's first day.
    pub period_start: NaiveDate,
    /// Its last day.
    pub period_end: NaiveDate,
    /// Spent so far.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub actual: Decimal,
    /// The forecast total for the period.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub forecast: Decimal,
    /// `actual` as a percentage of the limit.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub percent_used: Decimal,
    /// `forecast` as a percentage of the limit.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub forecast_percent: Decimal,
    /// Alerts raised, newest first.
    pub alerts: Vec<BudgetAlert>,
    /// Budget against actual, per period, newest first.
    pub history: Vec<BudgetPeriodResult>,
}

/// Query parameters of `GET /invoices`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct InvoiceQuery {
    /// The user billed; `unallocated` for what no rule claims.
    pub user_id: String,
    /// `YYYY-MM`.
    #[cfg_attr(
        feature = "openapi",
        param(pattern = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$")
    )]
    pub period: String,
    /// Only this client's costs.
    #[serde(default)]
    pub client_id: Option<String>,
}

/// What kind of document an invoice is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    /// Computed now from the allocation, not numbered: the month is not over, or nobody has
    /// issued it yet.
    Draft,
    /// Issued: numbered, dated, and kept as it was issued.
    Invoice,
    /// Cancels an issued invoice in full, when its allocation changed after issue.
    CreditNote,
}

/// Issues a person's invoice for a month that is over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssueInvoice {
    /// The user billed; `unallocated` for what no rule claims.
    pub user_id: String,
    /// `YYYY-MM`, a month that is over.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$")
    )]
    pub period: String,
    /// Only this client's costs (absent: every client's, which needs `costs.manage`
    /// everywhere).
    #[serde(default)]
    pub client_id: Option<String>,
}

/// A user's monthly invoice: their allocated `BilledCost` by service, to the last digit. Once
/// issued it is kept as issued: a later change of allocation shows as `outdated`, and issuing
/// again makes a credit note for it and a new invoice, not a silent edit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invoice {
    /// Issued: `INV-<year>-<sequence>` (`CN-…` for a credit note), consecutive across the
    /// install; a draft: `DRAFT-<period>-<user id prefix>`.
    pub number: String,
    /// A draft, an issued invoice or a credit note.
    pub kind: InvoiceKind,
    /// When it was issued (absent for a draft).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<DateTime<Utc>>,
    /// Who issues it (the install's `invoice_issuer` setting).
    pub issuer: String,
    /// A credit note: the invoice it cancels; a corrected invoice: the one it replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
    /// Issued, and the allocation has changed since: issuing again corrects it.
    #[serde(default)]
    pub outdated: bool,
    /// The user billed (`unallocated` for the unclaimed costs).
    pub user_id: String,
    /// Their name.
    pub user_name: String,
    /// `YYYY-MM`.
    pub period: String,
    /// ISO 4217.
    pub currency: String,
    /// One line per service, largest first.
    pub lines: Vec<InvoiceLine>,
    /// The sum of the lines, exactly.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub total: Decimal,
}

/// One line of an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceLine {
    /// The service.
    pub description: String,
    /// Its allocated billed cost, exactly.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: Decimal,
}

/// Connects a client to an AWS account's Cost Explorer. Credentials are write-only: they are
/// encrypted at rest and never returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewCloudAccount {
    /// The client whose costs these are.
    pub client_id: String,
    /// A label, e.g. `Production payer`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: String,
    /// An access key id (with `secret_access_key`)…
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, nullable = false, pattern = r"^[A-Za-z0-9]{1,128}$")
    )]
    pub access_key_id: Option<String>,
    /// …and its secret.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, nullable = false, min_length = 1)
    )]
    pub secret_access_key: Option<crate::secret::SecretText>,
    /// Or a role to assume with the access key (cross-account access)…
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^(|arn:[^\s]*)$"))]
    pub role_arn: Option<String>,
    /// …and the external id the role's trust policy requires.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub external_id: Option<crate::secret::SecretText>,
    /// The region to call (Cost Explorer lives in `us-east-1`).
    #[serde(default)]
    pub region: Option<String>,
    /// Another endpoint (an emulator, a private endpoint).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^(|https?://[^\s]+)$"))]
    pub endpoint_url: Option<String>,
    /// The second grouping besides the service: `LINKED_ACCOUNT` (default) or `TAG:<key>`.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^(|LINKED_ACCOUNT|TAG:.{1,128})$")
    )]
    pub group_by: Option<String>,
    /// How many days back each sync re-reads (AWS restates recent days); default 14.
    #[serde(default, deserialize_with = "crate::whole::option_u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 90))]
    pub resync_days: Option<u32>,
    /// Ask Cost Explorer with these credentials before saving (default false): when it does
    /// not answer, nothing is saved and the answer is 422 `connection_failed` with its reason.
    /// The test's outcome is kept as the account's `last_test`.
    #[serde(default)]
    pub test: Option<bool>,
}

/// A cloud account's last connection test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CloudAccountTest {
    /// When it ran.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub tested_at: DateTime<Utc>,
    /// Whether Cost Explorer answered.
    pub ok: bool,
    /// What it said, for a person.
    pub detail: String,
}

/// A connected cloud account (never with its credentials).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CloudAccount {
    /// A `UUIDv7`.
    pub id: String,
    /// The client.
    pub client_id: String,
    /// The label.
    pub name: String,
    /// `aws`.
    pub provider: String,
    /// The access key id's last four characters, to tell keys apart.
    pub access_key_hint: Option<String>,
    /// The role assumed, if any.
    pub role_arn: Option<String>,
    /// The region called.
    pub region: String,
    /// The endpoint, if not AWS's own.
    pub endpoint_url: Option<String>,
    /// The second grouping.
    pub group_by: String,
    /// Days re-read by each sync.
    pub resync_days: u32,
    /// The last sync, if any.
    pub last_sync: Option<CostSync>,
    /// The last connection test, if any.
    pub last_test: Option<CloudAccountTest>,
    /// When it was connected.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Bumped on every change; send it as `If-Match` to change the account.
    #[serde(default)]
    pub version: i64,
}

/// Changes a cloud account's settings; absent fields stay as they are. Its credentials are
/// replaced by connecting it again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CloudAccountPatch {
    /// A new label.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: Option<String>,
    /// A new AWS region for Cost Explorer calls, e.g. `us-east-1`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9-]{1,32}$"))]
    pub region: Option<String>,
    /// How many days back each sync fetches again (1 to 90).
    #[serde(default, deserialize_with = "crate::whole::option_u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 90))]
    pub resync_days: Option<u32>,
}

/// A Cost Explorer sync run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostSync {
    /// A `UUIDv7`.
    pub id: String,
    /// The account synced.
    pub cloud_account_id: String,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// Pages of results read so far.
    pub pages: u32,
    /// Cost lines stored.
    pub rows: u64,
    /// The first day re-read.
    pub from: NaiveDate,
    /// The last day re-read.
    pub to: NaiveDate,
    /// Why it failed.
    pub error: Option<String>,
    /// When it started.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub started_at: DateTime<Utc>,
    /// When it ended.
    #[serde(serialize_with = "crate::time::rfc3339_opt")]
    pub finished_at: Option<DateTime<Utc>>,
}

/// The result of testing a connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionTest {
    /// Whether Cost Explorer answered.
    pub ok: bool,
    /// What it said, for a person.
    pub detail: String,
}

/// A cost view saved by name: the dashboard's choices (range, client, project, tag, metric,
/// bars and stacking) as its address's query, to open again. Each person sees only their own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavedView {
    /// The id.
    pub id: String,
    /// The name, as written.
    pub name: String,
    /// The costs page's query, without `?`, e.g. `range=6m&stack=team`.
    pub query: String,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
}

/// Saves a cost view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewSavedView {
    /// A name of your own views' that is not taken, e.g. `Platform team, 6 months`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: String,
    /// The costs page's query, without `?`: `key=value` pairs joined by `&`, percent-encoded
    /// (at most 2,000 characters). Empty: the defaults.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2000, pattern = r"^[A-Za-z0-9_.~%=&+:-]*$")
    )]
    pub query: String,
}

/// What a service costs (issue 12, point 8): the cost lines tagged with its
/// `gmac.io/service` label (everything gmac deploys carries it), with no set-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceCosts {
    /// ISO 4217.
    pub currency: String,
    /// The tag its cost lines carry, as `GET /costs?tag=` takes it.
    pub tag: String,
    /// The first day of this month (UTC).
    pub month_start: NaiveDate,
    /// Its cost from the first of the month to today, exactly.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "42.50"))]
    pub month_to_date: Decimal,
    /// Its cost on each day of this month that has costs.
    pub days: Vec<ServiceCostDay>,
    /// Each release that went live, newest first, with its environment's daily cost while it
    /// served and the change against the release before it there.
    pub releases: Vec<ReleaseCost>,
}

/// A day's cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceCostDay {
    /// The day.
    pub date: NaiveDate,
    /// Its cost, exactly.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "1.40"))]
    pub amount: Decimal,
}

/// A release's daily cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReleaseCost {
    /// The release.
    pub release_id: String,
    /// Its number in its environment.
    pub number: i64,
    /// Its environment's name.
    pub environment: String,
    /// When it went live.
    pub live_from: DateTime<Utc>,
    /// How many whole days it served (the days of its switches left out) within the last 90.
    pub days: u32,
    /// Its environment's average daily cost over those days (none without a whole day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "1.40"))]
    pub daily: Option<Decimal>,
    /// `daily` less the release before's (none when either has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "-0.20"))]
    pub change: Option<Decimal>,
}
