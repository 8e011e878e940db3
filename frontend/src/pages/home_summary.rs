//! The home page's summary for people who see costs: this month's spend so far against the
//! same days of the month before and its largest services, the month-end forecast, where the
//! budgets stand, and the latest alerts. Each card links to where the detail is.

use chrono::Days;
use gmac_types::{
    AnomalyDimension, AnomalyQuery, BudgetAlert, CostAnomaly, CostForecast, CostQuery, CostReport,
    ForecastQuery, PageQuery,
};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::Failure;
use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::format::{day_label, money};
use crate::pages::costs::budgets::alerts::alert_amount;
use crate::pages::costs::budgets::meter::StandingBadges;
use crate::pages::costs::budgets::row::standing;
use crate::pages::costs::group_name;
use crate::pages::costs::people::{before_label, change_label};
use crate::pages::costs::view::Preset;
use crate::state::{Auth, use_auth};

/// How many services, budgets and alerts a card lists.
const LISTED: usize = 5;

/// Loads `fetch` through the session, as a card's resource.
fn load<T, F, Fut>(auth: Auth, fetch: F) -> LocalResource<Result<T, Failure>>
where
    T: 'static,
    F: Fn(gmac_client::Client) -> Fut + Copy + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, gmac_client::ApiError>> + 'static,
{
    LocalResource::new(move || async move { auth.call(fetch).await.map_err(|e| Failure::of(&e)) })
}

/// A card's body from its resource: loading, failed (with a retry), or `show`n.
fn body<T: Clone + 'static, V: IntoView + 'static>(
    resource: LocalResource<Result<T, Failure>>,
    label: &'static str,
    show: impl Fn(T) -> V + Copy + Send + Sync + 'static,
) -> impl IntoView {
    move || match resource.get() {
        None => view! { <Loading label=label /> }.into_any(),
        Some(Err(failure)) => view! {
            <LoadFailed message=failure retry=Callback::new(move |()| resource.refetch()) />
        }
        .into_any(),
        Some(Ok(value)) => show(value).into_any(),
    }
}

/// The summary cards, `#home-summary`.
#[component]
pub fn HomeSummary() -> impl IntoView {
    let auth = use_auth();
    let today = crate::js::now().date_naive();
    let (from, to) = Preset::ThisMonth.days(today).unwrap_or((today, today));
    let spend = load(auth, move |c| async move {
        c.costs(&CostQuery {
            from,
            to,
            group_by: Some("service".to_owned()),
            compare: true,
            ..CostQuery::default()
        })
        .await
    });
    let forecast = load(auth, |c| async move {
        c.cost_forecast(&ForecastQuery::default()).await
    });
    let budgets = load(auth, |c| async move {
        let page = c.list_budgets(&PageQuery::first(20)).await?;
        let mut statuses = Vec::new();
        for budget in page.items.into_iter().take(LISTED) {
            statuses.push(c.budget_status(&budget.id).await?);
        }
        Ok((statuses, page.total))
    });
    let alerts = load(auth, |c| async move {
        c.list_budget_alerts(&PageQuery::first(5)).await
    });
    let week = (today.checked_sub_days(Days::new(7)).unwrap_or(today), today);
    let anomalies = load(auth, move |c| async move {
        let query = AnomalyQuery {
            from: week.0,
            to: week.1,
            dimension: AnomalyDimension::Service,
            client_id: None,
            min_impact: None,
        };
        c.cost_anomalies(&query, &PageQuery::first(5)).await
    });
    let is_first = from == to && today.format("%d").to_string() == "01";

    view! {
        <section class="home-summary" id="home-summary" aria-label="Costs at a glance">
            <section class="card home-card" id="home-spend" aria-labelledby="home-spend-title">
                <h2 id="home-spend-title" class="card-title">"Spend this month so far"</h2>
                {body(spend, "Loading this month's costs…", move |r: CostReport| spend_body(&r, is_first))}
                <A href="/costs?range=this-month" attr:class="card-link">"Open costs"</A>
            </section>
            <section class="card home-card" id="home-forecast" aria-labelledby="home-forecast-title">
                <h2 id="home-forecast-title" class="card-title">"Month-end forecast"</h2>
                {body(forecast, "Loading the forecast…", |f: CostForecast| forecast_body(&f))}
                <A href="/costs" attr:class="card-link">"See the trend"</A>
            </section>
            <section class="card home-card" id="home-budgets" aria-labelledby="home-budgets-title">
                <h2 id="home-budgets-title" class="card-title">"Budgets"</h2>
                {body(budgets, "Loading budgets…", |(statuses, total): (Vec<gmac_types::BudgetStatus>, u64)| {
                    budgets_body(statuses, total)
                })}
                <A href="/costs/budgets" attr:class="card-link">"All budgets"</A>
            </section>
            <section class="card home-card" id="home-alerts" aria-labelledby="home-alerts-title">
                <h2 id="home-alerts-title" class="card-title">"Alerts"</h2>
                {body(alerts, "Loading alerts…", |page: gmac_types::Page<BudgetAlert>| alerts_body(page.items))}
                {body(anomalies, "Loading unusual spend…", |page: gmac_types::Page<CostAnomaly>| {
                    anomalies_body(page.items)
                })}
                <A href="/costs/budgets" attr:class="card-link">"Budget alerts"</A>
            </section>
        </section>
    }
}

/// The spend card: the total, its change against the same days before, the top services.
fn spend_body(report: &CostReport, is_first: bool) -> AnyView {
    if report.total.is_zero() && report.groups.is_empty() {
        let why = if is_first {
            "It is the 1st: this month's costs arrive from tomorrow."
        } else {
            "No costs have arrived for this month yet."
        };
        return view! { <p class="muted" id="home-spend-none">{why}</p> }.into_any();
    }
    let currency = report.currency.clone();
    let change = report.previous_total.map(|previous| {
        change_label(
            &report.total,
            &previous,
            &currency,
            &before_label(report.compared.as_ref()),
        )
    });
    let through = report
        .compared
        .as_ref()
        .map(|c| format!("{} – {}", day_label(c.from), day_label(c.to)));
    let services = report
        .groups
        .iter()
        .take(LISTED)
        .map(|g| {
            view! {
                <li>
                    <span class="home-row-name">{group_name(g)}</span>
                    <span class="home-row-amount">{money(&g.amount, &currency)}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <p class="home-figure" id="home-spend-total">{money(&report.total, &currency)}</p>
        <p class="muted" id="home-spend-change">{change}</p>
        <p class="muted home-small">{through}</p>
        <ul class="home-rows" id="home-spend-services" aria-label="Largest services">{services}</ul>
    }
    .into_any()
}

/// The forecast card: the month-end figure and its likely range.
fn forecast_body(forecast: &CostForecast) -> AnyView {
    if forecast.days_elapsed == 0 || (forecast.actual.is_zero() && forecast.forecast.is_zero()) {
        return view! { <p class="muted">"No costs this month yet: nothing to forecast from."</p> }
            .into_any();
    }
    let c = &forecast.currency;
    view! {
        <p class="home-figure" id="home-forecast-total">{money(&forecast.forecast, c)}</p>
        <p class="muted">
            {format!(
                "Likely between {} and {}; {} spent in {} of {} days.",
                money(&forecast.lower, c),
                money(&forecast.upper, c),
                money(&forecast.actual, c),
                forecast.days_elapsed,
                forecast.days_in_month
            )}
        </p>
    }
    .into_any()
}

/// The budgets card: where the first few stand.
fn budgets_body(statuses: Vec<gmac_types::BudgetStatus>, total: u64) -> AnyView {
    if statuses.is_empty() {
        return view! {
            <p class="muted" id="home-budgets-none">"No budgets yet: a budget alerts you before a bill surprises you."</p>
        }
        .into_any();
    }
    let more = usize::try_from(total)
        .unwrap_or(usize::MAX)
        .saturating_sub(statuses.len());
    let rows = statuses
        .into_iter()
        .map(|status| {
            let (spent, _, _) = standing(&status);
            let href = format!("/costs/budgets/{}", status.budget.id);
            let name = status.budget.name.clone();
            let key = name.clone();
            view! {
                <li data-budget-name=key>
                    <A href=href attr:class="home-row-name">{name}</A>
                    <StandingBadges status=status />
                    <span class="muted home-small">{spent}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="home-rows home-budgets">{rows}</ul>
        {(more > 0).then(|| view! { <p class="muted home-small">{format!("and {more} more")}</p> })}
    }
    .into_any()
}

/// The latest budget alerts.
fn alerts_body(alerts: Vec<BudgetAlert>) -> AnyView {
    if alerts.is_empty() {
        return view! { <p class="muted" id="home-alerts-none">"No budget alerts."</p> }.into_any();
    }
    let rows = alerts
        .into_iter()
        .map(|alert| {
            let when = day_label(alert.raised_at.date_naive());
            let what = format!(
                "{} reached {}% ({})",
                alert.budget_name,
                alert.threshold.percent,
                alert_amount(&alert)
            );
            view! {
                <li>
                    <span class="home-row-name">{what}</span>
                    <span class="muted home-small">{when}</span>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="home-rows" id="home-alert-list" aria-label="Latest budget alerts">{rows}</ul> }
        .into_any()
}

/// Unusual spend by service over the last week.
fn anomalies_body(anomalies: Vec<CostAnomaly>) -> AnyView {
    if anomalies.is_empty() {
        return view! { <p class="muted home-small">"No unusual spend this past week."</p> }
            .into_any();
    }
    let rows = anomalies
        .into_iter()
        .map(|a| {
            let label = if a.label.is_empty() {
                a.key.clone()
            } else {
                a.label.clone()
            };
            let text = format!(
                "{label}: {} instead of about {} on {}",
                money(&a.actual, &a.currency),
                money(&a.expected, &a.currency),
                day_label(a.day)
            );
            view! { <li>{text}</li> }
        })
        .collect_view();
    view! {
        <h3 class="home-subtitle">"Unusual spend this past week"</h3>
        <ul class="home-rows" id="home-anomalies">{rows}</ul>
    }
    .into_any()
}
