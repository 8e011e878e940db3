//! The first card: the total for the range, a few figures, and the trend by day (or month).

use chrono::NaiveDate;
use gmac_types::CostReport;
use leptos::prelude::*;
use rust_decimal::Decimal;

use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::format::{day_label, money, month_name, short_day_label};
use crate::pages::costs::Dashboard;
use crate::pages::costs::export::ExportButton;
use crate::pages::costs::group_name;
use crate::pages::costs::latest::LatestCosts;
use crate::pages::costs::trend::{Point, Stack, TrendChart};
use crate::pages::costs::view::{CostView, Granularity, STACKS};

/// The stacks of a stacked report, for the chart's legend.
pub fn stacks(report: &CostReport) -> Vec<Stack> {
    report
        .stacks
        .iter()
        .map(|s| Stack {
            key: s.key.clone(),
            label: group_name(s),
            amount: s.amount,
        })
        .collect()
}

/// The bars for `report` over `view`'s range: every day (or month), with zero where nothing
/// was spent, so the bars are evenly spaced in time; stacked when the report is.
pub fn points(view: &CostView, report: &CostReport) -> Vec<Point> {
    let index: std::collections::HashMap<&str, usize> = report
        .stacks
        .iter()
        .enumerate()
        .map(|(i, s)| (s.key.as_str(), i))
        .collect();
    let amount = |key: &str| {
        report
            .groups
            .iter()
            .find(|g| g.key == key)
            .map_or((Decimal::ZERO, Vec::new()), |g| {
                let parts = g
                    .parts
                    .iter()
                    .filter_map(|p| index.get(p.stack.as_str()).map(|i| (*i, p.amount)))
                    .collect();
                (g.amount, parts)
            })
    };
    if view.monthly() {
        view.months()
            .into_iter()
            .map(|key| {
                let label = month_label(&key);
                let (amount, parts) = amount(&key);
                Point {
                    amount,
                    parts,
                    tick: label.clone(),
                    label,
                    key,
                }
            })
            .collect()
    } else {
        view.days()
            .into_iter()
            .map(|day| {
                let key = day.to_string();
                let (amount, parts) = amount(&key);
                Point {
                    amount,
                    parts,
                    label: day_label(day),
                    tick: short_day_label(day),
                    key,
                }
            })
            .collect()
    }
}

/// A month key (`2024-09`) for people: "Sep 2024".
pub fn month_label(key: &str) -> String {
    let (year, month) = key.split_once('-').unwrap_or((key, "01"));
    let month0 = month.parse::<u32>().unwrap_or(1).saturating_sub(1);
    format!("{} {year}", month_name(month0))
}

/// The range for people, e.g. "1 Sep – 30 Sep 2024".
fn range_label(view: &CostView) -> String {
    if view.from == view.to {
        day_label(view.from)
    } else {
        format!("{} – {}", day_label(view.from), day_label(view.to))
    }
}

/// The total and trend card.
#[component]
pub fn Overview(
    /// The dashboard.
    dash: Dashboard,
) -> impl IntoView {
    let report = dash.report(CostView::trend_query);
    let view = dash.view;
    let show = dash.show;
    // A click on a bar narrows the range to it: a day, or a month drawn by day.
    let drill = Callback::new(move |key: String| {
        if let Some(next) = view.with_untracked(|v| v.drilled(&key)) {
            show.run(next);
        }
    });
    view! {
        <section class="card cost-overview" aria-labelledby="cost-total-title">
            {move || match report.get() {
                None => view! { <Loading label="Loading costs…" /> }.into_any(),
                Some(Err(failure)) => {
                    view! { <LoadFailed message=failure retry=Callback::new(move |()| report.refetch()) /> }
                        .into_any()
                }
                Some(Ok(report)) => {
                    let view_now = view.get();
                    let empty = report.total.is_zero() && report.groups.is_empty();
                    let body = if empty {
                        view! {
                            <div class="cost-empty-range" id="costs-empty-range">
                                <p class="muted">"No costs in this period."</p>
                                <LatestCosts dash=dash />
                            </div>
                        }
                            .into_any()
                    } else {
                        let points = points(&view_now, &report);
                        view! {
                            <TrendChart
                                points=points
                                currency=report.currency.clone()
                                monthly=view_now.monthly()
                                stacks=stacks(&report)
                                on_pick=drill
                            />
                        }
                            .into_any()
                    };
                    view! {
                        <div class="cost-summary">
                            <div>
                                <h2 id="cost-total-title" class="cost-label">
                                    {view_now.metric_label()} " · " {range_label(&view_now)}
                                </h2>
                                <p class="cost-total" id="cost-total">{money(&report.total, &report.currency)}</p>
                            </div>
                            {(!empty).then(|| figures(&view_now, &report))}
                            <ExportButton
                                id="export-trend"
                                what="costs per day"
                                query=Signal::derive(move || view.with(CostView::trend_query))
                            />
                        </div>
                        <ChartControls view=view show=show />
                        {body}
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// How the trend is drawn: days or months, and what the bars are stacked by.
#[component]
fn ChartControls(view: Memo<CostView>, show: Callback<CostView>) -> impl IntoView {
    let set_by = move |ev: leptos::ev::Event| {
        let granularity = match event_target_value(&ev).as_str() {
            "month" => Granularity::Monthly,
            _ => Granularity::Daily,
        };
        show.run(CostView {
            granularity,
            ..view.get_untracked()
        });
    };
    let set_stack = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        show.run(CostView {
            stack: (value != "none").then_some(value),
            ..view.get_untracked()
        });
    };
    let long = move || view.with(|v| (v.to - v.from).num_days() >= 366);
    let stack_options = move || {
        let current = view.with(|v| v.stack.clone());
        let mut options: Vec<(String, String)> = STACKS
            .iter()
            .map(|(k, l)| ((*k).to_owned(), (*l).to_owned()))
            .collect();
        if let Some(tag) = current.as_deref().and_then(|s| s.strip_prefix("tag:")) {
            options.insert(
                options.len() - 1,
                (format!("tag:{tag}"), format!("Tag {tag}")),
            );
        }
        options
            .into_iter()
            .map(|(value, label)| {
                let selected = current.as_deref().unwrap_or("none") == value;
                view! { <option value=value selected=selected>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <div class="chart-controls">
            <div class="field field-inline">
                <label for="trend-by">"Bars"</label>
                <select id="trend-by" class="select" on:change=set_by>
                    <option value="day" prop:selected=move || !view.with(CostView::monthly) disabled=long>
                        "Days"
                    </option>
                    <option value="month" prop:selected=move || view.with(CostView::monthly)>
                        "Months"
                    </option>
                </select>
            </div>
            <div class="field field-inline">
                <label for="trend-stack">"Stacked by"</label>
                <select id="trend-stack" class="select" on:change=set_stack>
                    {stack_options}
                </select>
            </div>
            {move || {
                view.with(|v| {
                    v.narrowed() && matches!(v.stack.as_deref(), Some("user" | "team"))
                })
                    .then(|| {
                        view! {
                            <p class="muted" id="trend-stack-note">
                                "People's costs are not split by project or tag: these bars show every cost."
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// The last day the average counts: the range's last day with costs (a day not imported yet
/// is not a day that cost nothing), or its last day when it has none (or is drawn by month).
fn counted_to(view: &CostView, report: &CostReport) -> NaiveDate {
    report
        .groups
        .iter()
        .filter(|g| !g.amount.is_zero())
        .filter_map(|g| g.key.parse::<NaiveDate>().ok())
        .max()
        .map_or(view.to, |last| last.min(view.to))
}

/// The average per day and the most expensive day (or month).
fn figures(view: &CostView, report: &CostReport) -> impl IntoView {
    let days = Decimal::from((counted_to(view, report) - view.from).num_days() + 1);
    let average = money(&(report.total / days), &report.currency);
    let peak = report.groups.iter().max_by_key(|g| g.amount).map(|g| {
        let when = match g.key.parse::<NaiveDate>() {
            Ok(day) => day_label(day),
            Err(_) => month_label(&g.key),
        };
        format!("{when}: {}", money(&g.amount, &report.currency))
    });
    let peak_label = if view.monthly() {
        "Highest month"
    } else {
        "Highest day"
    };
    view! {
        <dl class="cost-figures">
            <div>
                <dt>"Per day, on average"</dt>
                <dd>{average}</dd>
            </div>
            {peak
                .map(|peak| {
                    view! {
                        <div>
                            <dt>{peak_label}</dt>
                            <dd>{peak}</dd>
                        </div>
                    }
                })}
            <div>
                <dt>"Currency"</dt>
                <dd>{report.currency.clone()}</dd>
            </div>
        </dl>
    }
}

#[cfg(test)]
mod tests {
    use gmac_types::{CostGroup, CostMetric};

    use super::*;

    #[test]
    fn days_without_costs_are_zero_bars() {
        let get = |key: &str| match key {
            "range" => Some("custom".to_owned()),
            "from" => Some("2024-09-01".to_owned()),
            "to" => Some("2024-09-03".to_owned()),
            _ => None,
        };
        let view = CostView::parse(get, NaiveDate::MIN);
        let report = CostReport {
            currency: "USD".into(),
            metric: CostMetric::Billed,
            total: Decimal::TEN,
            groups: vec![CostGroup {
                key: "2024-09-02".into(),
                label: None,
                amount: Decimal::TEN,
                previous: None,
                parts: Vec::new(),
            }],
            previous_total: None,
            compared: None,
            stacks: Vec::new(),
        };
        let amounts: Vec<Decimal> = points(&view, &report).iter().map(|p| p.amount).collect();
        assert_eq!(amounts, [Decimal::ZERO, Decimal::TEN, Decimal::ZERO]);
    }
}
