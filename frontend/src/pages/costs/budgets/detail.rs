//! `/costs/budgets/:id`: one budget: where it stands this period, its thresholds and who is
//! emailed, the alerts it raised, and budget against actual for each period.

use chrono::{Datelike, NaiveDate};
use gmac_types::{BudgetPeriod, BudgetPeriodResult, BudgetStatus, Permission};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use rust_decimal::Decimal;

use crate::components::error_banner::ErrorBanner;
use crate::components::icon::{Icon, IconName};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::named::{ObjectPage, by_route_id};
use crate::format::{date_label, money, month_name};
use crate::pages::costs::budgets::alerts::AlertTable;
use crate::pages::costs::budgets::edit::EditBudgetForm;
use crate::pages::costs::budgets::meter::{
    BudgetLegend, BudgetMeter, Level, StandingBadges, percent_label,
};
use crate::pages::costs::budgets::row::confirm_delete;
use crate::pages::costs::budgets::{period_label, period_range, threshold_label};
use crate::pages::costs::directory::use_cost_directory;
use crate::pages::costs::meter::{Meter, fraction};
use crate::pages::costs::tabs::CostTabs;
use crate::pages::set_title;
use crate::state::use_auth;

/// A period for people from its first day: "Nov 2026", "Q4 2026" or "2026".
pub fn period_name(start: NaiveDate, period: BudgetPeriod) -> String {
    match period {
        BudgetPeriod::Monthly => format!("{} {}", month_name(start.month0()), start.year()),
        BudgetPeriod::Quarterly => format!("Q{} {}", start.month0() / 3 + 1, start.year()),
        BudgetPeriod::Yearly => start.year().to_string(),
    }
}

/// `actual` as a percentage of `limit` (zero without a limit).
fn percent_of(actual: &Decimal, limit: &Decimal) -> Decimal {
    if limit.is_zero() {
        Decimal::ZERO
    } else {
        actual * Decimal::ONE_HUNDRED / limit
    }
}

/// The budget page.
#[component]
pub fn BudgetPage() -> impl IntoView {
    let status = by_route_id(|c, id| async move { c.budget_status(&id).await });
    let reload = Callback::new(move |()| status.refetch());
    let show =
        move |loaded: BudgetStatus| view! { <BudgetView status=loaded reload=reload /> }.into_any();
    view! {
        <ObjectPage object=status back="/costs/budgets" back_label="Budgets" loading="Loading the budget…" show=show />
    }
}

#[component]
fn BudgetView(
    status: BudgetStatus,
    /// Loads the budget again (after a change).
    reload: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let editing = RwSignal::new(false);
    let for_edit = status.budget.clone();
    let navigate = use_navigate();
    let directory = use_cost_directory(auth);
    let confirm = RwSignal::new(None::<Confirm>);
    let error = RwSignal::new(None::<String>);
    let budget = status.budget.clone();
    set_title(&budget.name);
    let currency = budget.currency.clone();
    let scope = {
        let scope = budget.scope.clone();
        move || directory.with(|d| d.scope_label(&scope))
    };
    let level = Level::of(&status.percent_used, &budget.thresholds);
    let left = budget.amount - status.actual;
    let (left_label, left_value) = if left.is_sign_negative() {
        ("Over the limit by", money(&left.abs(), &currency))
    } else {
        ("Left this period", money(&left, &currency))
    };
    let for_delete = budget.clone();
    let delete = move |_| {
        let navigate = navigate.clone();
        confirm_delete(
            auth,
            for_delete.clone(),
            confirm,
            Callback::new(move |_| {
                navigate("/costs/budgets", leptos_router::NavigateOptions::default());
            }),
            Callback::new(move |message| error.set(Some(message))),
        );
    };
    let alerts = status.alerts.clone();
    let has_alerts = !alerts.is_empty();
    let thresholds = budget
        .thresholds
        .iter()
        .map(|t| view! { <li class="chip">{threshold_label(t)}</li> })
        .collect_view();
    let notify = if budget.notify.is_empty() {
        view! { <p class="muted">"Nobody: alerts show only in gmac."</p> }.into_any()
    } else {
        let list = budget
            .notify
            .iter()
            .map(|e| view! { <li class="chip mono">{e.clone()}</li> })
            .collect_view();
        view! { <ul class="chip-list">{list}</ul> }.into_any()
    };
    view! {
        <header class="page-header page-header-row">
            <div>
                <p class="eyebrow">"Budget"</p>
                <h1 id="budget-name">{budget.name.clone()}</h1>
                <p class="muted">
                    {scope} " · " {period_label(budget.period)} " · " {currency.clone()}
                </p>
            </div>
            <Show when=move || auth.can(Permission::BudgetsManage)>
                <div class="button-row">
                    <button
                        type="button"
                        class="button"
                        id="edit-budget-open"
                        aria-expanded=move || if editing.get() { "true" } else { "false" }
                        aria-controls="edit-budget"
                        on:click=move |_| editing.update(|e| *e = !*e)
                    >
                        <Icon name=IconName::Edit />
                        <span>"Change"</span>
                    </button>
                    <button type="button" class="button button-danger-quiet" id="delete-budget" on:click=delete.clone()>
                        <Icon name=IconName::Trash />
                        <span>"Delete budget"</span>
                    </button>
                </div>
            </Show>
        </header>
        <CostTabs />
        <ErrorBanner message=error />
        <Show when=move || editing.get()>
            <EditBudgetForm
                budget=for_edit.clone()
                on_saved=Callback::new(move |_| {
                    editing.set(false);
                    reload.run(());
                })
                on_cancel=Callback::new(move |()| {
                    editing.set(false);
                    reload.run(());
                })
            />
        </Show>
        <section class="card" id="budget-standing" aria-labelledby="budget-standing-title">
            <header class="card-header">
                <h2 id="budget-standing-title">
                    "This period · " {period_range(status.period_start, status.period_end)}
                </h2>
                <StandingBadges status=status.clone() />
            </header>
            <div class="card-body">
                <BudgetMeter status=status.clone() large=true />
                <BudgetLegend level=level />
                <dl class="cost-figures budget-detail-figures">
                    <div>
                        <dt>"Spent so far"</dt>
                        <dd id="budget-actual">{money(&status.actual, &currency)}</dd>
                    </div>
                    <div>
                        <dt>"Limit"</dt>
                        <dd id="budget-limit">{money(&budget.amount, &currency)}</dd>
                    </div>
                    <div>
                        <dt>"Used"</dt>
                        <dd>{percent_label(&status.percent_used)}</dd>
                    </div>
                    <div>
                        <dt>"Forecast for the period"</dt>
                        <dd id="budget-forecast">
                            {money(&status.forecast, &currency)} " (" {percent_label(&status.forecast_percent)} ")"
                        </dd>
                    </div>
                    <div>
                        <dt>{left_label}</dt>
                        <dd>{left_value}</dd>
                    </div>
                </dl>
            </div>
        </section>
        <section class="card section-gap" aria-labelledby="budget-settings-title">
            <h2 id="budget-settings-title" class="card-title">
                "Alerts and emails"
            </h2>
            <dl class="details">
                <div>
                    <dt>"Alert when spend reaches"</dt>
                    <dd>
                        <ul class="chip-list">{thresholds}</ul>
                    </dd>
                </div>
                <div>
                    <dt>"Emailed to"</dt>
                    <dd>{notify}</dd>
                </div>
                <div>
                    <dt>"Created"</dt>
                    <dd>{date_label(&budget.created_at)}</dd>
                </div>
            </dl>
        </section>
        <section class="card section-gap" id="budget-detail-alerts" aria-labelledby="budget-alerts-title">
            <h2 id="budget-alerts-title" class="card-title">
                "Alerts raised"
            </h2>
            {if has_alerts {
                view! { <AlertTable alerts=alerts budget_column=false id="budget-alert-list" /> }.into_any()
            } else {
                view! { <p class="list-empty muted">"This budget has not reached a threshold yet."</p> }.into_any()
            }}
        </section>
        <History history=status.history.clone() period=budget.period currency=currency.clone() />
        <ConfirmDialog request=confirm />
    }
}

/// Budget against actual, per period, newest first: `#budget-history`.
#[component]
fn History(
    history: Vec<BudgetPeriodResult>,
    period: BudgetPeriod,
    currency: String,
) -> impl IntoView {
    let largest = history
        .iter()
        .flat_map(|h| [h.limit, h.actual])
        .max()
        .unwrap_or(Decimal::ZERO);
    let rows = history
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let percent = percent_of(&h.actual, &h.limit);
            let diff = h.limit - h.actual;
            let (diff_label, over) = if diff.is_sign_negative() {
                (format!("{} over", money(&diff.abs(), &currency)), true)
            } else {
                (format!("{} under", money(&diff, &currency)), false)
            };
            let name = period_name(h.period_start, period);
            let name = if i == 0 {
                format!("{name} (so far)")
            } else {
                name
            };
            view! {
                <tr data-period=h.period_start.to_string()>
                    <td class="nowrap" data-label="Period">{name}</td>
                    <td class="num nowrap" data-label="Limit">{money(&h.limit, &currency)}</td>
                    <td class="num nowrap" data-label="Actual">{money(&h.actual, &currency)}</td>
                    <td class="num nowrap" data-label="Used">{percent_label(&percent)}</td>
                    <td class="num nowrap" data-label="Difference">
                        <span class:impact-up=over>{diff_label}</span>
                    </td>
                    <td class="history-bars" data-label="">
                        <Meter fraction=fraction(&h.limit, &largest) muted=true />
                        <Meter fraction=fraction(&h.actual, &largest) />
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card section-gap" id="budget-history" aria-labelledby="budget-history-title">
            <h2 id="budget-history-title" class="card-title">
                "Budget against actual"
            </h2>
            {if history.is_empty() {
                view! { <p class="list-empty muted">"No period recorded yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table table-stack">
                            <thead>
                                <tr>
                                    <th scope="col">"Period"</th>
                                    <th scope="col" class="num">"Limit"</th>
                                    <th scope="col" class="num">"Actual"</th>
                                    <th scope="col" class="num">"Used"</th>
                                    <th scope="col" class="num">"Difference"</th>
                                    <th scope="col" class="history-bars">
                                        <span class="visually-hidden">"Limit and actual as bars"</span>
                                    </th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                    <p class="muted cost-note-inline history-note">
                        "Earlier periods are recorded as gmac checks the budget; the bars compare \
                         the limit (grey) with what was spent."
                    </p>
                }
                    .into_any()
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_named_by_their_first_day() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap_or_default();
        assert_eq!(
            period_name(day("2026-11-01"), BudgetPeriod::Monthly),
            "Nov 2026"
        );
        assert_eq!(
            period_name(day("2026-10-01"), BudgetPeriod::Quarterly),
            "Q4 2026"
        );
        assert_eq!(period_name(day("2026-01-01"), BudgetPeriod::Yearly), "2026");
        assert_eq!(
            percent_of(&Decimal::from(50), &Decimal::from(200)),
            Decimal::from(25)
        );
    }
}
