//! `/costs/budgets`: budgets with where each stands this period, creating and deleting them
//! (for those who manage budgets), the alerts they raised, and one budget's page.

pub mod alerts;
pub mod detail;
pub mod edit;
pub mod form;
pub mod meter;
pub mod recipients;
pub mod row;
pub mod thresholds;

use crate::api::PAGE_SIZE;
use chrono::{Datelike, NaiveDate};
use gmac_types::PageQuery;
use gmac_types::{Budget, BudgetPeriod, BudgetThreshold, Permission, ThresholdBasis};
use leptos::prelude::*;

use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::icon::{Icon, IconName};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::paging::{ListState, LoadMore, Paged};
use crate::format::{day_label, short_day_label};
use crate::pages::costs::budgets::alerts::BudgetAlertsCard;
use crate::pages::costs::budgets::form::NewBudgetForm;
use crate::pages::costs::budgets::meter::BudgetLegend;
use crate::pages::costs::budgets::row::BudgetRow;
use crate::pages::costs::directory::use_cost_directory;
use crate::pages::costs::tabs::CostHeader;
use crate::state::use_auth;

/// A period for people, e.g. "Monthly".
pub const fn period_label(period: BudgetPeriod) -> &'static str {
    match period {
        BudgetPeriod::Monthly => "Monthly",
        BudgetPeriod::Quarterly => "Quarterly",
        BudgetPeriod::Yearly => "Yearly",
    }
}

/// A threshold for people, e.g. "80% of actual spend".
pub fn threshold_label(threshold: &BudgetThreshold) -> String {
    let basis = match threshold.basis {
        ThresholdBasis::Actual => "actual spend",
        ThresholdBasis::Forecast => "forecast",
    };
    format!("{}% of {basis}", threshold.percent)
}

/// A period's days for people, e.g. "1 Nov – 30 Nov 2026".
pub fn period_range(start: NaiveDate, end: NaiveDate) -> String {
    if start.year() == end.year() {
        format!("{} – {}", short_day_label(start), day_label(end))
    } else {
        format!("{} – {}", day_label(start), day_label(end))
    }
}

/// The budgets page.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the list, its rows' deletion and the form share the page's state"
)]
pub fn BudgetsPage() -> impl IntoView {
    let auth = use_auth();
    let manages = move || auth.can(Permission::BudgetsManage);
    let directory = use_cost_directory(auth);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(None::<Confirm>);
    let list = Paged::new(move |cursor| async move {
        let page = PageQuery::after(PAGE_SIZE, cursor);
        auth.call(move |c| {
            let page = page.clone();
            async move { c.list_budgets(&page).await }
        })
        .await
    });
    let empty = Signal::derive(move || {
        if manages() {
            "No budgets yet. Create the first one above.".to_owned()
        } else {
            "No budgets yet. Someone who manages budgets creates them.".to_owned()
        }
    });
    let on_created = Callback::new(move |budget: Budget| {
        error.set(None);
        notice.set(Some(format!("Budget “{}” is created.", budget.name)));
        list.prepend(budget);
    });
    let on_deleted = Callback::new(move |budget: Budget| {
        notice.set(Some(format!("Budget “{}” was deleted.", budget.name)));
        list.remove(|b| b.id == budget.id);
    });
    let on_error = Callback::new(move |message: String| {
        notice.set(None);
        error.set(Some(message));
    });
    view! {
        <CostHeader
            title="Budgets"
            summary="Limits per period for everything, a client, a project, a person or a team. \
                     Each threshold alerts once per period, by email and here."
        >
            <Show when=manages>
                <a href="#new-budget" class="button">
                    <Icon name=IconName::Plus />
                    <span>"New budget"</span>
                </a>
            </Show>
        </CostHeader>
        <NoticeBanner message=notice />
        <ErrorBanner message=error />
        <section class="card" aria-labelledby="budgets-title">
            <header class="card-header">
                <h2 id="budgets-title">"Budgets"</h2>
                <BudgetLegend />
            </header>
            <ListState list=list loading="Loading budgets…" empty=empty />
            <Show when=move || !list.with_items(<[Budget]>::is_empty)>
                <div class="table-wrap">
                    <table class="table table-stack budget-table" id="budgets-table">
                        <thead>
                            <tr>
                                <th scope="col">"Budget"</th>
                                <th scope="col">"This period"</th>
                                <th scope="col" class="budget-meter-col">"Spent of the limit"</th>
                                <th scope="col" class="num">"Forecast"</th>
                                <th scope="col">
                                    <span class="visually-hidden">"Actions"</span>
                                </th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=move || list.items()
                                key=|b| b.id.clone()
                                children=move |budget| {
                                    view! {
                                        <BudgetRow
                                            budget=budget
                                            directory=directory
                                            confirm=confirm
                                            on_deleted=on_deleted
                                            on_error=on_error
                                        />
                                    }
                                }
                            />
                        </tbody>
                    </table>
                </div>
            </Show>
            <LoadMore list=list />
        </section>
        <BudgetAlertsCard />
        <Show when=manages>
            <NewBudgetForm
                directory=directory
                on_created=on_created
                on_start=Callback::new(move |()| {
                    notice.set(None);
                    error.set(None);
                })
            />
        </Show>
        <ConfirmDialog request=confirm />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_words_read_for_people() {
        let t = BudgetThreshold {
            percent: 80,
            basis: ThresholdBasis::Actual,
        };
        assert_eq!(threshold_label(&t), "80% of actual spend");
        let day = |s: &str| s.parse::<NaiveDate>().unwrap_or_default();
        assert_eq!(
            period_range(day("2026-11-01"), day("2026-11-30")),
            "1 Nov – 30 Nov 2026"
        );
        assert_eq!(
            period_range(day("2026-12-01"), day("2027-02-28")),
            "1 Dec 2026 – 28 Feb 2027"
        );
    }
}
