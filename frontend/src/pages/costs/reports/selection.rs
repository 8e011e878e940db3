//! Which report the page shows: whose costs (everything, a team or a user), which month and
//! which client. It lives in the address's query (`?subject=team:…&period=2026-10&client=…`),
//! so a report can be shared and survives a reload.

use chrono::{Datelike, Months, NaiveDate};
use gmac_types::{MonthlyReportQuery, Subject, SubjectKind};

use crate::pages::costs::view::escape;

/// The subject picker's value for everything.
pub const EVERYTHING: &str = "all";

/// A subject as the pickers write it: `all`, `user:<id>` or `team:<id>`.
pub fn subject_value(subject: Option<&Subject>) -> String {
    match subject {
        None => EVERYTHING.to_owned(),
        Some(s) => format!("{}:{}", s.kind.as_str(), s.id),
    }
}

/// The subject a picker's value names: `Some(None)` for everything, `None` for a value that
/// names nothing.
pub fn parse_subject(value: &str) -> Option<Option<Subject>> {
    if value == EVERYTHING {
        return Some(None);
    }
    let (kind, id) = value.split_once(':')?;
    let kind = match kind {
        "user" => SubjectKind::User,
        "team" => SubjectKind::Team,
        _ => return None,
    };
    (!id.is_empty()).then(|| {
        Some(Subject {
            kind,
            id: id.to_owned(),
        })
    })
}

/// A day's month as `YYYY-MM`.
pub fn month_key(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// The month before the one `today` falls in, as `YYYY-MM`: the last whole month.
pub fn previous_month(today: NaiveDate) -> String {
    let first = today.with_day(1).unwrap_or(today);
    month_key(first.pred_opt().unwrap_or(first))
}

/// The first and last day of a `YYYY-MM` month, or `None` when it is not one.
pub fn month_days(period: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (year, month) = period.split_once('-')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    let first = NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)?;
    let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
    Some((first, last))
}

/// The report shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportSelection {
    /// The user or team; `None` for everything.
    pub subject: Option<Subject>,
    /// The month, `YYYY-MM`.
    pub period: String,
    /// Only this client's costs.
    pub client: Option<String>,
}

impl ReportSelection {
    /// The report the query (read through `get`) asks for; missing or unknown values take
    /// their defaults: everything, last month, every client.
    pub fn parse(get: impl Fn(&str) -> Option<String>, today: NaiveDate) -> Self {
        Self {
            subject: get("subject").as_deref().and_then(parse_subject).flatten(),
            period: get("period")
                .filter(|p| month_days(p).is_some())
                .unwrap_or_else(|| previous_month(today)),
            client: get("client").filter(|c| !c.trim().is_empty()),
        }
    }

    /// The query string for this report, with `?`. The month is always written, so a shared
    /// address shows the same month next month too.
    pub fn search(&self) -> String {
        let mut parts = Vec::new();
        if let Some(subject) = &self.subject {
            parts.push(format!("subject={}", escape(&subject_value(Some(subject)))));
        }
        parts.push(format!("period={}", escape(&self.period)));
        if let Some(client) = &self.client {
            parts.push(format!("client={}", escape(client)));
        }
        format!("?{}", parts.join("&"))
    }

    /// The API's query for this report.
    pub fn query(&self) -> MonthlyReportQuery {
        let id = |kind: SubjectKind| {
            self.subject
                .as_ref()
                .filter(|s| s.kind == kind)
                .map(|s| s.id.clone())
        };
        MonthlyReportQuery {
            period: self.period.clone(),
            user_id: id(SubjectKind::User),
            team_id: id(SubjectKind::Team),
            client_id: self.client.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn parse(query: &[(&str, &str)], today: &str) -> ReportSelection {
        let get = |key: &str| {
            query
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        };
        ReportSelection::parse(get, day(today))
    }

    #[test]
    fn the_default_is_everything_last_month() {
        let selection = parse(&[], "2026-01-15");
        assert_eq!(selection.subject, None);
        assert_eq!(selection.period, "2025-12");
        assert_eq!(selection.search(), "?period=2025-12");
        assert_eq!(previous_month(day("2024-03-31")), "2024-02");
    }

    #[test]
    fn a_selection_round_trips_through_the_query() {
        let selection = parse(
            &[
                ("subject", "team:t1"),
                ("period", "2024-09"),
                ("client", "c 1"),
            ],
            "2026-11-22",
        );
        assert_eq!(
            selection.subject,
            Some(Subject {
                kind: SubjectKind::Team,
                id: "t1".into()
            })
        );
        assert_eq!(
            selection.search(),
            "?subject=team%3At1&period=2024-09&client=c%201"
        );
        let query = selection.query();
        assert_eq!(query.team_id.as_deref(), Some("t1"));
        assert_eq!(query.user_id, None);
        assert_eq!(query.client_id.as_deref(), Some("c 1"));
    }

    #[test]
    fn nonsense_falls_back_to_the_defaults() {
        let selection = parse(
            &[("subject", "robot:r2"), ("period", "2024-13")],
            "2026-11-22",
        );
        assert_eq!(selection.subject, None);
        assert_eq!(selection.period, "2026-10");
        assert_eq!(parse_subject("user:"), None);
        assert_eq!(parse_subject("all"), Some(None));
    }

    #[test]
    fn months_have_their_days() {
        assert_eq!(
            month_days("2024-02"),
            Some((day("2024-02-01"), day("2024-02-29")))
        );
        assert_eq!(
            month_days("2026-12"),
            Some((day("2026-12-01"), day("2026-12-31")))
        );
        assert_eq!(month_days("2026-1"), None);
        assert_eq!(month_days("soon"), None);
    }
}
