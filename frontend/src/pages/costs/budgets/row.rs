//! One row of the budgets table: the budget, and where it stands this period (loaded from
//! its status).

use gmac_types::{Budget, BudgetStatus, Permission};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

use crate::api::{Failure, describe};
use crate::components::icon::{Icon, IconName};
use crate::components::modal::Confirm;
use crate::components::spinner::Spinner;
use crate::format::money;
use crate::pages::costs::budgets::meter::{BudgetMeter, Level, StandingBadges, percent_label};
use crate::pages::costs::budgets::{period_label, period_range};
use crate::pages::costs::directory::CostDirectory;
use crate::state::{Auth, use_auth};

/// Asks to delete `budget`, then deletes it.
pub fn confirm_delete(
    auth: Auth,
    budget: Budget,
    confirm: RwSignal<Option<Confirm>>,
    on_deleted: Callback<Budget>,
    on_error: Callback<String>,
) {
    confirm.set(Some(Confirm::danger(
        format!("Delete budget “{}”?", budget.name),
        "Its alerts and its history go with it. Costs are not affected.",
        "Delete budget",
        move || {
            let budget = budget.clone();
            spawn_local(async move {
                let id = budget.id.clone();
                let result = auth
                    .call(move |c| {
                        let id = id.clone();
                        async move { c.delete_budget(&id).await }
                    })
                    .await;
                match result {
                    Ok(()) => on_deleted.run(budget),
                    Err(err) => on_error.run(describe(&err)),
                }
            });
        },
    )));
}

/// The figures of a loaded status, for the row's cells.
pub fn standing(status: &BudgetStatus) -> (String, String, String) {
    let currency = &status.budget.currency;
    let spent = format!(
        "{} of {} · {}",
        money(&status.actual, currency),
        money(&status.budget.amount, currency),
        percent_label(&status.percent_used)
    );
    let forecast = money(&status.forecast, currency);
    let forecast_share = format!("{} of the limit", percent_label(&status.forecast_percent));
    (spent, forecast, forecast_share)
}

/// A budget's row, `tr[data-budget-name]`.
#[component]
pub fn BudgetRow(
    /// The budget.
    budget: Budget,
    /// Names for its scope.
    directory: Signal<CostDirectory>,
    /// Where the delete confirmation is asked.
    confirm: RwSignal<Option<Confirm>>,
    /// After it was deleted.
    on_deleted: Callback<Budget>,
    /// When deleting failed.
    on_error: Callback<String>,
) -> impl IntoView {
    let auth = use_auth();
    let id = StoredValue::new(budget.id.clone());
    let status = LocalResource::new(move || async move {
        let id = id.get_value();
        auth.call(move |c| {
            let id = id.clone();
            async move { c.budget_status(&id).await }
        })
        .await
        .map_err(|e| Failure::of(&e))
    });
    let scope = {
        let scope = budget.scope.clone();
        move || directory.with(|d| d.scope_label(&scope))
    };
    let href = format!("/costs/budgets/{}", budget.id);
    let sub = format!("{} · {}", period_label(budget.period), budget.currency);

    let level = move || {
        status.with(|s| match s {
            Some(Ok(s)) => Level::of(&s.percent_used, &s.budget.thresholds)
                .class()
                .to_owned(),
            _ => String::new(),
        })
    };
    let name = budget.name.clone();
    let delete_label = format!("Delete budget {}", budget.name);
    let (row_name, row_id) = (budget.name.clone(), budget.id.clone());
    let delete = move |_| {
        confirm_delete(auth, budget.clone(), confirm, on_deleted, on_error);
    };
    view! {
        <tr data-budget-name=row_name data-budget-id=row_id data-level=level>
            <td data-label="Budget">
                <A href=href attr:class="cell-title">{name}</A>
                <span class="cell-sub">{scope}</span>
                <span class="cell-sub">{sub}</span>
            </td>
            {move || match status.get() {
                None => {
                    view! {
                        <td colspan="3" class="muted">
                            <Spinner />
                            <span class="visually-hidden">"Loading where the budget stands…"</span>
                        </td>
                    }
                        .into_any()
                }
                Some(Err(failure)) => {
                    view! {
                        <td colspan="3">
                            <span class="field-error">{failure.message}</span>
                            " "
                            <button type="button" class="link-button" on:click=move |_| status.refetch()>
                                "Try again"
                            </button>
                        </td>
                    }
                        .into_any()
                }
                Some(Ok(s)) => {
                    let (spent, forecast, share) = standing(&s);
                    let period = period_range(s.period_start, s.period_end);
                    view! {
                        <td class="nowrap" data-label="This period">{period}</td>
                        <td class="budget-meter-col" data-label="Spent">
                            <BudgetMeter status=s.clone() />
                            <span class="budget-figures">
                                <span class="budget-spent">{spent}</span>
                                <StandingBadges status=s.clone() />
                            </span>
                        </td>
                        <td class="num nowrap" data-label="Forecast">
                            <span class="cell-title">{forecast}</span>
                            <span class="cell-sub">{share}</span>
                        </td>
                    }
                        .into_any()
                }
            }}
            <td class="cell-actions">
                <Show when=move || auth.can(Permission::BudgetsManage)>
                    <button
                        type="button"
                        class="button button-small button-danger-quiet"
                        aria-label=delete_label.clone()
                        on:click=delete.clone()
                    >
                        <Icon name=IconName::Trash />
                        <span>"Delete"</span>
                    </button>
                </Show>
            </td>
        </tr>
    }
}
