//! Cost by service: the largest services with a bar each, the rest summed as "Other".

use gmac_types::CostGroup;
use leptos::prelude::*;
use rust_decimal::Decimal;

use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::format::money;
use crate::pages::costs::export::ExportButton;
use crate::pages::costs::meter::{Meter, fraction, share_label};
use crate::pages::costs::{Dashboard, group_name};

/// How many services get their own row.
const TOP: usize = 6;

/// A row: the name, the amount, and whether it is the "Other" sum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The service, or "Other".
    pub name: String,
    /// The amount.
    pub amount: Decimal,
    /// The sum of the services not shown.
    pub other: bool,
}

/// The largest `top` groups (already sorted, largest first) and the rest as one "Other" row;
/// one leftover service is shown by name rather than as "Other".
pub fn top_and_other(groups: &[CostGroup], top: usize) -> Vec<Row> {
    let keep = if groups.len() > top + 1 {
        top
    } else {
        groups.len()
    };
    let mut rows: Vec<Row> = groups
        .iter()
        .take(keep)
        .map(|g| Row {
            name: group_name(g),
            amount: g.amount,
            other: false,
        })
        .collect();
    if groups.len() > keep {
        rows.push(Row {
            name: format!("Other ({} services)", groups.len() - keep),
            amount: groups.iter().skip(keep).map(|g| g.amount).sum(),
            other: true,
        });
    }
    rows
}

/// The by-service card, `#cost-by-service`.
#[component]
pub fn ByService(
    /// The dashboard.
    dash: Dashboard,
) -> impl IntoView {
    let report = dash.report(|v| v.query(Some("service")));
    view! {
        <section class="card" id="cost-by-service" aria-labelledby="cost-by-service-title">
            <header class="card-header">
                <h2 id="cost-by-service-title">"By service"</h2>
                <ExportButton
                    id="export-by-service"
                    what="costs by service"
                    query=Signal::derive(move || dash.view.with(|v| v.query(Some("service"))))
                />
            </header>
            {move || match report.get() {
                None => view! { <Loading label="Loading services…" /> }.into_any(),
                Some(Err(failure)) => {
                    view! { <LoadFailed message=failure retry=Callback::new(move |()| report.refetch()) /> }
                        .into_any()
                }
                Some(Ok(report)) if report.groups.is_empty() => {
                    view! { <p class="list-empty muted">"No costs in this period."</p> }.into_any()
                }
                Some(Ok(report)) => {
                    let rows = top_and_other(&report.groups, TOP);
                    let largest = rows.iter().map(|r| r.amount).max().unwrap_or(Decimal::ZERO);
                    let total = report.total;
                    let currency = report.currency;
                    view! {
                        <ul class="bar-list">
                            {rows
                                .into_iter()
                                .map(|row| {
                                    view! {
                                        <li class="bar-row" data-service=(!row.other).then(|| row.name.clone())>
                                            <span class="bar-name" title=row.name.clone()>{row.name.clone()}</span>
                                            <span class="bar-amount">{money(&row.amount, &currency)}</span>
                                            <span class="bar-share muted">{share_label(&row.amount, &total)}</span>
                                            <Meter fraction=fraction(&row.amount, &largest) muted=row.other />
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(key: &str, amount: i64) -> CostGroup {
        CostGroup {
            key: key.into(),
            label: None,
            amount: Decimal::from(amount),
            previous: None,
            parts: Vec::new(),
        }
    }

    #[test]
    fn small_services_are_summed_as_other() {
        let groups: Vec<CostGroup> = (0..9).map(|i| group(&format!("s{i}"), 100 - i)).collect();
        let rows = top_and_other(&groups, 6);
        assert_eq!(rows.len(), 7);
        assert_eq!(rows[6].name, "Other (3 services)");
        assert_eq!(rows[6].amount, Decimal::from(92 + 93 + 94));
        // One leftover keeps its name.
        let rows = top_and_other(&groups[..7], 6);
        assert!(rows.iter().all(|r| !r.other));
    }
}
