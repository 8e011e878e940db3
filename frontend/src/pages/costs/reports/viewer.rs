//! The monthly report: whose costs, which month and which client (the controls, written to
//! the address); then the totals against the month before, the days as bars, the services,
//! and a team's members or everything's teams.

use chrono::NaiveDate;
use gmac_types::{MonthlyReport, MonthlyReportQuery, ReportFormat, ReportLine, SubjectKind};
use leptos::prelude::*;
use rust_decimal::Decimal;

use crate::api::Failure;
use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::format::{day_label, money, short_day_label};
use crate::pages::costs::anomalies::signed_percent;
use crate::pages::costs::directory::CostDirectory;
use crate::pages::costs::overview::month_label;
use crate::pages::costs::reports::download::{Download, DownloadButton};
use crate::pages::costs::reports::selection::{
    EVERYTHING, ReportSelection, month_days, month_key, parse_subject, subject_value,
};
use crate::pages::costs::trend::{Point, TrendChart};
use crate::state::use_auth;

/// The bars of a report: every day of its month up to `today` (all of it once the month is
/// over), with zero where nothing was spent, so the bars are evenly spaced in time.
pub fn day_points(report: &MonthlyReport, today: NaiveDate) -> Vec<Point> {
    let Some((first, last)) = month_days(&report.period) else {
        return Vec::new();
    };
    let end = if first <= today {
        last.min(today)
    } else {
        last
    };
    first
        .iter_days()
        .take_while(|day| *day <= end)
        .map(|day| Point {
            key: day.to_string(),
            label: day_label(day),
            tick: short_day_label(day),
            amount: report
                .days
                .iter()
                .find(|d| d.day == day)
                .map_or(Decimal::ZERO, |d| d.amount),
            parts: Vec::new(),
        })
        .collect()
}

/// The teams and the users as a select's option groups, the one whose value is `value`
/// selected (values as [`subject_value`] writes them).
#[component]
pub fn SubjectOptions(
    /// The users and teams.
    directory: Signal<CostDirectory>,
    /// The chosen value.
    #[prop(into)]
    value: Signal<String>,
) -> impl IntoView {
    let group = move |kind: SubjectKind, label: &'static str| {
        let options = directory.with(|d| {
            d.subjects(kind)
                .iter()
                .map(|s| {
                    let mine = format!("{}:{}", kind.as_str(), s.id);
                    let selected = mine.clone();
                    view! {
                        <option value=mine prop:selected=move || value.with(|v| *v == selected)>
                            {if s.active { s.name.clone() } else { format!("{} (deactivated)", s.name) }}
                        </option>
                    }
                })
                .collect_view()
        });
        let any = directory.with(|d| !d.subjects(kind).is_empty());
        any.then(|| view! { <optgroup label=label>{options}</optgroup> })
    };
    move || {
        view! {
            {group(SubjectKind::Team, "Teams")}
            {group(SubjectKind::User, "Users")}
        }
    }
}

/// The controls card: whose costs, the month and the client.
#[component]
pub fn ReportControls(
    /// The report shown.
    selection: Memo<ReportSelection>,
    /// Shows another report (writes the address).
    show: Callback<ReportSelection>,
    /// The users, teams and clients to choose from.
    directory: Signal<CostDirectory>,
    /// Today (UTC): later months cannot be picked.
    today: NaiveDate,
) -> impl IntoView {
    let current = move || selection.get_untracked();
    let set_subject = move |ev: leptos::ev::Event| {
        if let Some(subject) = parse_subject(&event_target_value(&ev)) {
            show.run(ReportSelection {
                subject,
                ..current()
            });
        }
    };
    // A cleared or half-typed month keeps the report shown.
    let set_period = move |ev: leptos::ev::Event| {
        let period = event_target_value(&ev);
        if month_days(&period).is_some() {
            show.run(ReportSelection {
                period,
                ..current()
            });
        }
    };
    let set_client = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        show.run(ReportSelection {
            client: (!value.is_empty()).then_some(value),
            ..current()
        });
    };
    let chosen = Signal::derive(move || selection.with(|s| subject_value(s.subject.as_ref())));
    view! {
        <section class="card filters cost-controls" aria-label="Which report">
            <div class="filter-grid">
                <div class="field">
                    <label for="report-subject">"Whose costs"</label>
                    <select id="report-subject" class="select" on:change=set_subject>
                        <option value=EVERYTHING prop:selected=move || selection.with(|s| s.subject.is_none())>
                            "Everything"
                        </option>
                        <SubjectOptions directory=directory value=chosen />
                    </select>
                </div>
                <div class="field">
                    <label for="report-period">"Month"</label>
                    <input
                        id="report-period"
                        class="input"
                        type="month"
                        max=month_key(today)
                        prop:value=move || selection.with(|s| s.period.clone())
                        on:change=set_period
                    />
                </div>
                <div class="field">
                    <label for="report-client">"Client"</label>
                    <select id="report-client" class="select" on:change=set_client>
                        <option value="" prop:selected=move || selection.with(|s| s.client.is_none())>
                            "All clients"
                        </option>
                        {move || {
                            directory
                                .with(|d| d.clients.clone())
                                .into_iter()
                                .map(|client| {
                                    let id = client.id.clone();
                                    view! {
                                        <option
                                            value=client.id
                                            prop:selected=move || {
                                                selection.with(|s| s.client.as_deref() == Some(id.as_str()))
                                            }
                                        >
                                            {client.name}
                                        </option>
                                    }
                                })
                                .collect_view()
                        }}
                    </select>
                </div>
            </div>
        </section>
    }
}

/// A change on the month before: `+12.5%` in the colour of spending more, `−3%` in that of
/// spending less, "New" when the month before had nothing.
#[component]
pub fn Change(
    /// The change in percent.
    change: Option<Decimal>,
    /// This month's amount.
    amount: Decimal,
    /// The element's `id`.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    match change {
        Some(change) => {
            let up = change > Decimal::ZERO;
            let down = change < Decimal::ZERO;
            view! {
                <span id=id class="change" class:impact-up=up class:impact-down=down>
                    {signed_percent(&change)}
                </span>
            }
            .into_any()
        }
        None if amount.is_zero() => view! { <span id=id class="muted">"—"</span> }.into_any(),
        None => view! {
            <span id=id class="muted" title="Nothing was spent the month before">
                "New"
            </span>
        }
        .into_any(),
    }
}

/// The report for the selection, loaded again when it changes.
#[component]
pub fn MonthlyReportView(
    /// The report shown.
    selection: Memo<ReportSelection>,
    /// Today (UTC).
    today: NaiveDate,
) -> impl IntoView {
    let auth = use_auth();
    let report = LocalResource::new(move || {
        let query = selection.with(ReportSelection::query);
        async move {
            auth.call(move |c| {
                let query = query.clone();
                async move { c.monthly_report(&query).await }
            })
            .await
            .map_err(|e| Failure::of(&e))
        }
    });
    let query = Signal::derive(move || selection.with(ReportSelection::query));
    move || match report.get() {
        None => view! {
            <section class="card section-gap" aria-label="Report">
                <Loading label="Loading the report…" />
            </section>
        }
        .into_any(),
        Some(Err(failure)) => view! {
            <section class="card section-gap" aria-label="Report">
                <LoadFailed message=failure retry=Callback::new(move |()| report.refetch()) />
            </section>
        }
        .into_any(),
        Some(Ok(report)) => {
            view! { <ReportBody report=report query=query today=today /> }.into_any()
        }
    }
}

/// A loaded report.
#[component]
fn ReportBody(
    report: MonthlyReport,
    query: Signal<MonthlyReportQuery>,
    today: NaiveDate,
) -> impl IntoView {
    let currency = report.currency.clone();
    let empty = report.total.is_zero() && report.services.is_empty();
    let title = format!("{} · {}", report.name, month_label(&report.period));
    let chart = if empty {
        view! { <p class="list-empty muted">"No costs in this month."</p> }.into_any()
    } else {
        view! { <TrendChart id="report-chart" points=day_points(&report, today) currency=currency.clone() /> }
            .into_any()
    };
    let breakdown = match report.subject.as_ref().map(|s| s.kind) {
        Some(SubjectKind::User) => None,
        Some(SubjectKind::Team) => Some(("Members", "Member")),
        None => Some(("Teams", "Team")),
    };
    let tables = (!empty).then(|| {
        let breakdown = breakdown.map(|(title, column)| {
            view! {
                <section class="card" aria-labelledby="report-breakdown-title">
                    <header class="card-header">
                        <h2 id="report-breakdown-title">{title}</h2>
                    </header>
                    <LineTable
                        id="report-breakdown"
                        name_column=column
                        lines=report.breakdown.clone()
                        currency=currency.clone()
                        services=false
                    />
                </section>
            }
        });
        view! {
            <div class="cost-grid">
                <section class="card" aria-labelledby="report-services-title">
                    <header class="card-header">
                        <h2 id="report-services-title">"By service"</h2>
                    </header>
                    <LineTable
                        id="report-services"
                        name_column="Service"
                        lines=report.services.clone()
                        currency=currency.clone()
                        services=true
                    />
                </section>
                {breakdown}
            </div>
        }
    });
    view! {
        <section class="card section-gap cost-overview" id="report" aria-labelledby="report-title">
            <div class="cost-summary">
                <div>
                    <h2 id="report-title" class="cost-label">
                        {title}
                        " · billed cost"
                    </h2>
                    <p class="cost-total" id="report-total">
                        {money(&report.total, &currency)}
                    </p>
                </div>
                <dl class="cost-figures">
                    <div>
                        <dt>"Effective cost"</dt>
                        <dd id="report-effective">{money(&report.effective_total, &currency)}</dd>
                    </div>
                    <div>
                        <dt>"Month before"</dt>
                        <dd id="report-previous">{money(&report.previous_total, &currency)}</dd>
                    </div>
                    <div>
                        <dt>"Change"</dt>
                        <dd>
                            <Change id="report-change" change=report.change_percent amount=report.total />
                        </dd>
                    </div>
                </dl>
                <div class="button-row report-downloads">
                    <DownloadButton id="download-report-pdf" what=Download::Report(ReportFormat::Pdf) query=query />
                    <DownloadButton id="download-report-csv" what=Download::Report(ReportFormat::Csv) query=query />
                    // A person's month is also their invoice (the allocation page promises it).
                    <Show when=move || query.with(|q| q.user_id.is_some())>
                        <DownloadButton id="download-invoice" what=Download::Invoice query=query />
                    </Show>
                </div>
                <Show when=move || query.with(|q| q.user_id.is_some())>
                    <super::invoice::InvoiceStatus query=query month_over=Signal::derive(move || query.with(|q| month_over(&q.period))) />
                </Show>
            </div>
            {chart}
        </section>
        {tables}
    }
}

/// Lines against the month before, with their total: `tr[data-service]` for services,
/// `tr[data-key]` otherwise. On a phone the change moves under this month's amount, so the
/// table fits the screen.
#[component]
fn LineTable(
    /// The table's `id`.
    id: &'static str,
    /// The first column's heading, e.g. "Service".
    name_column: &'static str,
    /// The lines, largest first.
    lines: Vec<ReportLine>,
    /// Their currency.
    currency: String,
    /// The lines are services.
    services: bool,
) -> impl IntoView {
    if lines.is_empty() {
        return view! { <p class="list-empty muted">"Nothing this month or the month before."</p> }
            .into_any();
    }
    let amount: Decimal = lines.iter().map(|l| l.amount).sum();
    let previous: Decimal = lines.iter().map(|l| l.previous).sum();
    let change = (!previous.is_zero())
        .then(|| ((amount - previous) * Decimal::ONE_HUNDRED / previous.abs()).round_dp(1));
    let rows = lines
        .into_iter()
        .map(|line| {
            let (service, key) = if services {
                (Some(line.key.clone()), None)
            } else {
                (None, Some(line.key.clone()))
            };
            let shared = line.key == "unallocated";
            view! {
                <tr data-service=service data-key=key>
                    <td class:muted=shared>{line.label}</td>
                    <td class="num nowrap">
                        {money(&line.amount, &currency)}
                        <span class="cell-sub report-change-inline">
                            <Change change=line.change_percent amount=line.amount />
                        </span>
                    </td>
                    <td class="num nowrap">{money(&line.previous, &currency)}</td>
                    <td class="num nowrap report-change-col">
                        <Change change=line.change_percent amount=line.amount />
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table report-table" id=id>
                <thead>
                    <tr>
                        <th scope="col">{name_column}</th>
                        <th scope="col" class="num">"This month"</th>
                        <th scope="col" class="num">"Month before"</th>
                        <th scope="col" class="num report-change-col">"Change"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
                <tfoot>
                    <tr>
                        <th scope="row">"Total"</th>
                        <td class="num nowrap">
                            {money(&amount, &currency)}
                            <span class="cell-sub report-change-inline">
                                <Change change=change amount=amount />
                            </span>
                        </td>
                        <td class="num nowrap">{money(&previous, &currency)}</td>
                        <td class="num nowrap report-change-col">
                            <Change change=change amount=amount />
                        </td>
                    </tr>
                </tfoot>
            </table>
        </div>
    }
    .into_any()
}

/// Whether the month `YYYY-MM` is over (today is in a later month).
fn month_over(period: &str) -> bool {
    format!("{period}-01")
        .parse::<chrono::NaiveDate>()
        .ok()
        .and_then(|first| first.checked_add_months(chrono::Months::new(1)))
        .is_some_and(|next| next <= crate::js::now().date_naive())
}

#[cfg(test)]
mod tests {
    use gmac_types::DayAmount;

    use super::*;

    fn report(period: &str, days: &[(&str, i64)]) -> MonthlyReport {
        MonthlyReport {
            subject: None,
            name: "All costs".into(),
            period: period.into(),
            currency: "USD".into(),
            total: Decimal::ZERO,
            effective_total: Decimal::ZERO,
            previous_total: Decimal::ZERO,
            change_percent: None,
            services: Vec::new(),
            breakdown: Vec::new(),
            days: days
                .iter()
                .map(|(day, amount)| DayAmount {
                    day: day.parse().unwrap(),
                    amount: Decimal::from(*amount),
                })
                .collect(),
        }
    }

    #[test]
    fn a_month_has_a_bar_a_day_up_to_today() {
        let today: NaiveDate = "2026-11-10".parse().unwrap();
        let past = report("2026-10", &[("2026-10-02", 5)]);
        let bars = day_points(&past, today);
        assert_eq!(bars.len(), 31);
        assert_eq!(bars[1].amount, Decimal::from(5));
        assert_eq!(bars[0].amount, Decimal::ZERO);
        assert_eq!(day_points(&report("2026-11", &[]), today).len(), 10);
        assert!(day_points(&report("soon", &[]), today).is_empty());
    }
}
