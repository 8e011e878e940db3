//! When the range shown has no costs: the latest month that has some, one click away.

use chrono::{Datelike, Days, Months, NaiveDate};
use leptos::prelude::*;

use crate::format::month_name;
use crate::pages::costs::Dashboard;

/// How far back to look, in days (the API answers ten years at most).
const LOOK_BACK: u64 = 3650;

/// The first and last day of the month `key` (`YYYY-MM`), the last no later than `today`.
pub fn month_days(key: &str, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let first = format!("{key}-01").parse::<NaiveDate>().ok()?;
    let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
    Some((first, last.min(today).max(first)))
}

/// A button to the latest month with costs, `#show-latest-costs`, if there is one.
#[component]
pub fn LatestCosts(
    /// The dashboard.
    dash: Dashboard,
) -> impl IntoView {
    let today = crate::js::now().date_naive();
    let report = dash.report(move |v| {
        let mut query = v.query(Some("month"));
        query.from = today
            .checked_sub_days(Days::new(LOOK_BACK))
            .unwrap_or(today);
        query.to = today;
        query
    });
    move || {
        let latest = report.get().and_then(Result::ok).and_then(|r| {
            r.groups
                .iter()
                .filter(|g| !g.amount.is_zero())
                .map(|g| g.key.clone())
                .max()
        })?;
        let (first, last) = month_days(&latest, today)?;
        let target = dash.view.with_untracked(|v| v.with_days(first, last));
        let label = format!("Show {} {}", month_name(first.month0()), first.year());
        Some(view! {
            <button
                type="button"
                class="button button-small"
                id="show-latest-costs"
                on:click=move |_| dash.show.run(target.clone())
            >
                {label}
            </button>
        })
    }
}

#[cfg(test)]
mod tests {
    use super::month_days;
    use chrono::NaiveDate;

    #[test]
    fn a_month_runs_from_its_first_to_its_last_day() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            month_days("2024-02", today),
            Some((day("2024-02-01"), day("2024-02-29")))
        );
        assert_eq!(
            month_days("2026-11", today),
            Some((day("2026-11-01"), today))
        );
        assert_eq!(month_days("nonsense", today), None);
    }
}
