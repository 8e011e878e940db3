//! Budget alerts: the thresholds budgets crossed, newest first, each in its budget's
//! currency. The budgets page lists them (`#budget-alerts`), a budget's page lists its own,
//! and the bell in the header shows the latest.

use gmac_types::BudgetAlert;
use gmac_types::PageQuery;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::account::use_account;
use crate::api::Failure;
use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::format::{date_time_label, day_label, money};
use crate::pages::costs::budgets::threshold_label;
use crate::state::{Auth, use_auth};

/// Loads the alerts the user may see, newest first.
pub async fn load_alerts(auth: Auth) -> Result<Vec<BudgetAlert>, Failure> {
    auth.call(|c| async move {
        c.list_budget_alerts(&PageQuery::first(PageQuery::MAX))
            .await
    })
    .await
    .map(|page| page.items)
    .map_err(|e| Failure::of(&e))
}

/// The amount an alert was raised at, in its budget's currency, e.g. `$850.00`.
pub fn alert_amount(alert: &BudgetAlert) -> String {
    money(&alert.amount, &alert.currency)
}

/// The alerts as a table: the budget (unless `budget_column` is off), the threshold, the
/// amount then, the period, when, and whether it was emailed.
#[component]
pub fn AlertTable(
    /// The alerts, newest first.
    alerts: Vec<BudgetAlert>,
    /// Show the budget's name (off on a budget's own page).
    #[prop(default = true)]
    budget_column: bool,
    /// The table's `id`.
    id: &'static str,
) -> impl IntoView {
    let account = use_account();
    // Times follow the profile's time zone once it is loaded.
    let rows = move || {
        let zone = account.time_zone();
        alerts.iter()
        .map(|alert| {
            let href = format!("/costs/budgets/{}", alert.budget_id);
            let budget_name = alert.budget_name.clone();
            let amount = alert_amount(alert);
            let emailed = if alert.emailed {
                view! { <span class="badge badge-success">"Emailed"</span> }.into_any()
            } else {
                view! { <span class="badge">"Not emailed"</span> }.into_any()
            };
            view! {
                <tr data-alert-budget=alert.budget_id.clone() data-percent=alert.threshold.percent>
                    {budget_column
                        .then(|| {
                            view! {
                                <td data-label="Budget">
                                    <A href=href attr:class="cell-title">{budget_name}</A>
                                </td>
                            }
                        })}
                    <td data-label="Threshold">{threshold_label(&alert.threshold)}</td>
                    <td class="num nowrap" data-label="Amount">{amount}</td>
                    <td class="nowrap" data-label="Period from">{day_label(alert.period_start)}</td>
                    <td class="nowrap" data-label="Raised">{date_time_label(&alert.raised_at, zone.as_deref())}</td>
                    <td data-label="Email">{emailed}</td>
                </tr>
            }
        })
        .collect_view()
    };
    view! {
        <div class="table-wrap">
            <table class="table table-stack" id=id>
                <thead>
                    <tr>
                        {budget_column.then(|| view! { <th scope="col">"Budget"</th> })}
                        <th scope="col">"Threshold"</th>
                        <th scope="col" class="num">"Amount then"</th>
                        <th scope="col">"Period from"</th>
                        <th scope="col">"Raised"</th>
                        <th scope="col">"Email"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// How many alerts the budgets page lists at first, and adds with "Show more".
const STEP: usize = 10;

/// The recent alerts card of the budgets page, `#budget-alerts`.
#[component]
pub fn BudgetAlertsCard() -> impl IntoView {
    let auth = use_auth();
    let shown = RwSignal::new(STEP);
    let load = LocalResource::new(move || load_alerts(auth));
    view! {
        <section class="card section-gap" id="budget-alerts" aria-labelledby="budget-alerts-title">
            <header class="card-header">
                <h2 id="budget-alerts-title">"Recent alerts"</h2>
                <button type="button" class="button button-small" id="reload-alerts" on:click=move |_| load.refetch()>
                    "Refresh"
                </button>
            </header>
            {move || match load.get() {
                None => view! { <Loading label="Loading alerts…" /> }.into_any(),
                Some(Err(failure)) => {
                    view! { <LoadFailed message=failure retry=Callback::new(move |()| load.refetch()) /> }
                        .into_any()
                }
                Some(Ok(all)) if all.is_empty() => {
                    view! {
                        <p class="list-empty muted">
                            "No budget has reached a threshold yet. Budgets are checked after every import and sync, and every 15 minutes."
                        </p>
                    }
                        .into_any()
                }
                Some(Ok(all)) => {
                    let total = all.len();
                    let count = shown.get().min(total);
                    let page: Vec<BudgetAlert> = all.into_iter().take(count).collect();
                    view! {
                        <AlertTable alerts=page id="budget-alert-table" />
                        <div class="list-footer">
                            <p class="muted">{format!("Showing {count} of {total}")}</p>
                            {(count < total)
                                .then(|| {
                                    view! {
                                        <button type="button" class="button" on:click=move |_| shown.update(|s| *s += STEP)>
                                            "Show more"
                                        </button>
                                    }
                                })}
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
