//! What a service costs, on its page (issue 12, point 8): the cost lines tagged with its
//! `gmac.io/service` label, this month, and each release's change in its environment's daily
//! cost against the release before it. Shown to those who see costs.

use gmac_types::{Permission, ReleaseCost, ServiceCosts};
use leptos::prelude::*;

use crate::api::describe;
use crate::format::{date_time_label, money};
use crate::state::use_auth;

/// A release's change in daily cost, for a person: `+1.01 USD a day`.
pub fn change_label(cost: &ReleaseCost, currency: &str) -> String {
    match (cost.daily, cost.change) {
        (None, _) => "No whole day with costs yet".to_owned(),
        (Some(daily), None) => format!("{} a day", money(&daily, currency)),
        (Some(daily), Some(change)) => {
            let sign = if change.is_sign_negative() {
                "−"
            } else {
                "+"
            };
            format!(
                "{} a day ({sign}{} against the release before)",
                money(&daily, currency),
                money(&change.abs(), currency)
            )
        }
    }
}

/// The service's costs card, `#service-costs`.
#[component]
pub fn ServiceCostsCard(service_id: String) -> impl IntoView {
    let auth = use_auth();
    if !auth.can_untracked(Permission::CostsView) {
        return ().into_any();
    }
    let account = crate::account::use_account();
    let costs = LocalResource::new(move || {
        let id = service_id.clone();
        async move {
            auth.call(move |c| {
                let id = id.clone();
                async move { c.service_costs(&id).await }
            })
            .await
            .map(Some)
            .or_else(|err| {
                // Costs seen elsewhere but not where this service lives: nothing to show.
                if err.status() == Some(403) {
                    Ok(None)
                } else {
                    Err(describe(&err))
                }
            })
        }
    });
    let body = move |costs: ServiceCosts| {
        let zone = account.time_zone();
        let currency = costs.currency.clone();
        let rows = costs
            .releases
            .iter()
            .map(|r| {
                view! {
                    <tr data-release=r.release_id.clone()>
                        <td data-label="Release">{format!("{} #{}", r.environment, r.number)}</td>
                        <td data-label="Live from">{date_time_label(&r.live_from, zone.as_deref())}</td>
                        <td data-label="Daily cost" data-field="release-cost">{change_label(r, &currency)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <p class="stat" id="service-month-cost">
                <span class="stat-value">{money(&costs.month_to_date, &costs.currency)}</span>
                <span class="stat-label">{format!("this month, from {}", costs.month_start)}</span>
            </p>
            <p class="muted">{format!("Cost lines tagged {}.", costs.tag)}</p>
            {(!costs.releases.is_empty()).then(|| view! {
                <div class="table-wrap">
                    <table class="table table-stack" id="release-costs">
                        <thead>
                            <tr>
                                <th scope="col">"Release"</th>
                                <th scope="col">"Live from"</th>
                                <th scope="col">"Daily cost"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            })}
        }
    };
    view! {
        <section class="card section-gap" id="service-costs" aria-labelledby="service-costs-title">
            <h2 id="service-costs-title" class="card-title">"Cost"</h2>
            <div class="card-body">
                <Suspense fallback=|| view! { <p class="muted">"Loading costs…"</p> }>
                    {move || costs.get().map(|loaded| match loaded {
                        Ok(Some(c)) => body(c).into_any(),
                        Ok(None) => view! { <p class="muted">"Its costs are not yours to see."</p> }.into_any(),
                        Err(e) => view! { <p class="field-error">{e}</p> }.into_any(),
                    })}
                </Suspense>
            </div>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn a_release_says_its_daily_cost_and_its_change() {
        let mut cost = ReleaseCost {
            release_id: "r".into(),
            number: 2,
            environment: "staging".into(),
            live_from: chrono::DateTime::UNIX_EPOCH,
            days: 3,
            daily: Some(Decimal::new(301, 2)),
            change: Some(Decimal::new(-101, 2)),
        };
        let said = change_label(&cost, "USD");
        assert!(said.contains("−") && said.contains("1.01"), "{said}");
        cost.daily = None;
        assert_eq!(change_label(&cost, "USD"), "No whole day with costs yet");
    }
}
