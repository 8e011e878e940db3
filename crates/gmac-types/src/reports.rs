//! Monthly cost reports per user, per team or for everything, and their emailed schedules.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::access::Subject;

/// Query parameters of `GET /reports/monthly`: a user's or a team's month, or (with neither)
/// everything the caller sees.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct MonthlyReportQuery {
    /// `YYYY-MM`.
    #[cfg_attr(
        feature = "openapi",
        param(pattern = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$")
    )]
    pub period: String,
    /// The user reported on.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Or the team reported on.
    #[serde(default)]
    pub team_id: Option<String>,
    /// Only this client's costs.
    #[serde(default)]
    pub client_id: Option<String>,
}

/// One line of a report: this month against the month before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportLine {
    /// A service name, a user id or a team id (`unallocated` for what no rule claims).
    pub key: String,
    /// A name for people.
    pub label: String,
    /// This month's billed cost.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: Decimal,
    /// The month before's.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub previous: Decimal,
    /// The change in percent (absent when the month before had nothing).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub change_percent: Option<Decimal>,
}

/// One day's billed cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayAmount {
    /// The day.
    pub day: NaiveDate,
    /// Its billed cost.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: Decimal,
}

/// A month of costs for a user, a team or everything: totals, the month-over-month change, the
/// services, the people or teams inside, and the days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyReport {
    /// The user or team; absent for everything.
    pub subject: Option<Subject>,
    /// Its name (`All costs` for everything).
    pub name: String,
    /// `YYYY-MM`.
    pub period: String,
    /// ISO 4217.
    pub currency: String,
    /// Billed cost of the month, exactly (the sum of `services`).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub total: Decimal,
    /// Effective cost of the month (after discounts and amortized commitments).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub effective_total: Decimal,
    /// Billed cost of the month before.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub previous_total: Decimal,
    /// The change in percent (absent when the month before had nothing).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub change_percent: Option<Decimal>,
    /// By service, largest first.
    pub services: Vec<ReportLine>,
    /// A team's members, or everything's teams (with `unallocated`), largest first; empty for
    /// a user.
    pub breakdown: Vec<ReportLine>,
    /// Every day of the month with costs.
    pub days: Vec<DayAmount>,
}

/// How often a schedule sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportCadence {
    /// On the 1st of each month (UTC), the month just ended.
    Monthly,
    /// Each Monday (UTC), the month so far (the month just ended when Monday is the 1st).
    Weekly,
}

/// The attachment's format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// An A4 PDF document.
    #[default]
    Pdf,
    /// A CSV file (spreadsheet-safe).
    Csv,
}

/// Schedules a monthly report to be emailed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewReportSchedule {
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
    /// The user or team reported on; absent for everything.
    #[serde(default)]
    pub subject: Option<Subject>,
    /// Only this client's costs (a client-scoped Billing Manager must give it).
    #[serde(default)]
    pub client_id: Option<String>,
    /// Monthly or weekly.
    pub cadence: ReportCadence,
    /// PDF (default) or CSV.
    #[serde(default)]
    pub format: ReportFormat,
    /// Who receives it (1 to 20 addresses).
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 20, value_type = Vec<crate::validation::EmailSchema>))]
    pub recipients: Vec<String>,
}

/// A scheduled report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportSchedule {
    /// Its id.
    pub id: String,
    /// Its label.
    pub name: String,
    /// The user or team reported on; absent for everything.
    pub subject: Option<Subject>,
    /// The subject's name.
    pub subject_name: String,
    /// Only this client's costs.
    pub client_id: Option<String>,
    /// Monthly or weekly.
    pub cadence: ReportCadence,
    /// PDF or CSV.
    pub format: ReportFormat,
    /// Who receives it.
    pub recipients: Vec<String>,
    /// The next day it sends (UTC).
    pub next_run: NaiveDate,
    /// When it last sent.
    #[serde(serialize_with = "crate::time::rfc3339_opt")]
    pub last_sent_at: Option<DateTime<Utc>>,
    /// The period it last sent (`YYYY-MM`).
    pub last_period: Option<String>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// Who created it.
    pub created_by: Option<String>,
    /// When.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Bumped on every change; send it as `If-Match` to change the schedule.
    #[serde(default)]
    pub version: i64,
}

/// Changes a report schedule; absent fields stay as they are. What it reports on (the person,
/// team or everything, and the client) stays: a report on something else is another schedule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportSchedulePatch {
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
    /// A new cadence.
    #[serde(default)]
    pub cadence: Option<ReportCadence>,
    /// A new format.
    #[serde(default)]
    pub format: Option<ReportFormat>,
    /// New recipients, all of them (1 to 20 addresses).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 20, value_type = Option<Vec<crate::validation::EmailSchema>>))]
    pub recipients: Option<Vec<String>>,
}

/// What sending a report now did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportDelivery {
    /// The period sent (`YYYY-MM`).
    pub period: String,
    /// The addresses the mail server accepted.
    pub sent_to: Vec<String>,
    /// The addresses it refused, with why.
    pub failed: Vec<String>,
}

/// Query parameters of `POST /report-schedules/{id}/send`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SendReportQuery {
    /// The month to send (`YYYY-MM`); default: the month a run today would send (monthly:
    /// the month just ended; weekly: the month so far).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        param(pattern = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$")
    )]
    pub period: Option<String>,
}

/// A user or a team, as the cost pages name them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostPerson {
    /// The id.
    pub id: String,
    /// The display name (a user's) or the name (a team's).
    pub name: String,
    /// A user's email, for those who manage costs (absent for teams and for everyone else).
    pub email: Option<String>,
    /// False for a deactivated user, whose past costs are still theirs.
    pub active: bool,
}

/// Everyone costs can be allocated to, by name: what `GET /costs/people` answers to anyone with
/// `costs.view` (a Billing Manager cannot list users, but budgets, rules and reports name them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostPeople {
    /// Users, by name (deactivated ones too: past costs still name them).
    pub users: Vec<CostPerson>,
    /// Teams, by name.
    pub teams: Vec<CostPerson>,
}
