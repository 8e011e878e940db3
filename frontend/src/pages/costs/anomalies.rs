//! Anomalies: days whose cost, per service, account, user or team, was far from what the 14
//! days before predicted, with the likely cause; people mark each as expected or not. Each
//! carries its currency. The project and tag filters do not apply (the card says so while one
//! is set).

use gmac_types::PageQuery;
use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use gmac_types::{AnomalyDimension, AnomalyFeedback, AnomalyQuery, AnomalyVerdict, CostAnomaly};
use leptos::prelude::*;
use leptos::task::spawn_local;
use rust_decimal::Decimal;

use crate::api::{Failure, describe};
use crate::components::error_banner::ErrorBanner;
use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::format::{count_label, day_label, money};
use crate::pages::costs::drivers::resource_name;
use crate::pages::costs::{Dashboard, UnfilteredNote};

/// Rows shown at first, and added by "Show more".
const STEP: usize = 10;

/// The dimensions offered, with their tab ids and labels.
const DIMENSIONS: [(AnomalyDimension, &str, &str); 4] = [
    (
        AnomalyDimension::Service,
        "anomalies-by-service",
        "Services",
    ),
    (
        AnomalyDimension::Account,
        "anomalies-by-account",
        "Accounts",
    ),
    (AnomalyDimension::User, "anomalies-by-user", "Users"),
    (AnomalyDimension::Team, "anomalies-by-team", "Teams"),
];

/// An amount with its sign, e.g. `+$225.81` or `−$25.00`.
pub fn signed_money(amount: &Decimal, currency: &str) -> String {
    let text = money(amount, currency);
    if amount.is_sign_positive() && !amount.is_zero() {
        format!("+{text}")
    } else {
        text
    }
}

/// A percentage with its sign and one decimal, e.g. `+201.6%` or `−100%`.
pub fn signed_percent(percent: &Decimal) -> String {
    let rounded = percent.round_dp(1).normalize();
    if rounded.is_zero() {
        "0%".to_owned()
    } else if rounded.is_sign_negative() {
        format!("−{}%", rounded.abs())
    } else {
        format!("+{rounded}%")
    }
}

/// The key of the costs no rule claims (as in cost reports).
const UNALLOCATED: &str = "unallocated";

/// What an anomaly is about, for people: its label, "Unallocated" for costs nobody was
/// allocated.
fn anomaly_name(anomaly: &CostAnomaly) -> String {
    if anomaly.key == UNALLOCATED {
        "Unallocated".to_owned()
    } else if anomaly.label.is_empty() {
        anomaly.key.clone()
    } else {
        anomaly.label.clone()
    }
}

/// The last complete day: today's costs are still arriving, so it would look like a drop.
fn last_complete_day() -> NaiveDate {
    let today = crate::js::now().date_naive();
    today.checked_sub_days(Days::new(1)).unwrap_or(today)
}

/// The anomalies card, `#cost-anomalies`.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the tabs, the table and the feedback share the card's state"
)]
pub fn Anomalies(
    /// The dashboard.
    dash: Dashboard,
) -> impl IntoView {
    let auth = dash.auth;
    let dimension = RwSignal::new(AnomalyDimension::Service);
    let shown = RwSignal::new(STEP);
    let verdicts = RwSignal::new(HashMap::<String, AnomalyVerdict>::new());
    let feedback_error = RwSignal::new(None::<String>);
    // The range, up to the last complete day; `None` when no complete day is in it.
    let range = Memo::new(move |_| {
        dash.view.with(|v| {
            let to = v.to.min(last_complete_day());
            (to >= v.from).then_some((v.from, to))
        })
    });
    let list = LocalResource::new(move || {
        dash.version.track();
        let query = range.get().map(|(from, to)| AnomalyQuery {
            from,
            to,
            dimension: dimension.get(),
            client_id: dash.view.with(|v| v.client.clone()),
            min_impact: None,
        });
        async move {
            let Some(query) = query else {
                return Ok(Vec::new());
            };
            auth.call(move |c| {
                let query = query.clone();
                async move {
                    c.cost_anomalies(&query, &PageQuery::first(PageQuery::MAX))
                        .await
                }
            })
            .await
            .map(|page| page.items)
            .map_err(|e| Failure::of(&e))
        }
    });
    Effect::new(move |_| {
        dimension.track();
        range.track();
        shown.set(STEP);
    });

    let give = move |anomaly: CostAnomaly, verdict: AnomalyVerdict| {
        let key = format!("{}|{}", anomaly.day, anomaly.key);
        let before = verdicts
            .with_untracked(|v| v.get(&key).copied())
            .or(anomaly.feedback);
        verdicts.update(|v| {
            v.insert(key.clone(), verdict);
        });
        feedback_error.set(None);
        let input = AnomalyFeedback {
            day: anomaly.day,
            dimension: anomaly.dimension,
            key: anomaly.key.clone(),
            verdict,
        };
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let input = input.clone();
                    async move { c.give_anomaly_feedback(&input).await }
                })
                .await;
            if let Err(err) = result {
                // Back to what it was.
                verdicts.update(|v| match before {
                    Some(b) => {
                        v.insert(key.clone(), b);
                    }
                    None => {
                        v.remove(&key);
                    }
                });
                feedback_error.set(Some(describe(&err)));
            }
        });
    };

    let row = move |anomaly: CostAnomaly| {
        let currency = anomaly.currency.clone();
        let key = format!("{}|{}", anomaly.day, anomaly.key);
        let verdict = {
            let (key, saved) = (key.clone(), anomaly.feedback);
            move || verdicts.with(|v| v.get(&key).copied()).or(saved)
        };
        let name = anomaly_name(&anomaly);
        let sub = match anomaly.dimension {
            AnomalyDimension::Account
                if !anomaly.label.is_empty() && anomaly.label != anomaly.key =>
            {
                Some(anomaly.key.clone())
            }
            _ => None,
        };
        let impact = signed_money(&anomaly.impact, &currency);
        let percent = anomaly
            .impact_percent
            .as_ref()
            .map_or_else(|| "new".to_owned(), signed_percent);
        let rising = anomaly.impact.is_sign_positive();
        let cause = anomaly.root_cause.as_ref().map(|c| {
            let what = if c.dimension == "account" {
                format!("Account {}", c.key)
            } else {
                resource_name(&c.key).to_owned()
            };
            (what, signed_money(&c.impact, &currency))
        });
        let group_label = format!(
            "Was the change of {name} on {} expected?",
            day_label(anomaly.day)
        );
        let change_name = format!("the change of {name} on {}", day_label(anomaly.day));
        let button = move |which: AnomalyVerdict, label: &'static str, anomaly: CostAnomaly| {
            let verdict = verdict.clone();
            view! {
                <button
                    type="button"
                    class="segment"
                    aria-label=format!("{label}: {change_name}")
                    data-verdict=if which == AnomalyVerdict::Expected { "expected" } else { "not_expected" }
                    aria-pressed=move || if verdict() == Some(which) { "true" } else { "false" }
                    on:click=move |_| give(anomaly.clone(), which)
                >
                    {label}
                </button>
            }
        };
        view! {
            <tr data-anomaly-key=anomaly.key.clone() data-day=anomaly.day.to_string()>
                <td class="nowrap" data-label="Day">{day_label(anomaly.day)}</td>
                <td data-label="Where">
                    <span class="cell-title">{name.clone()}</span>
                    {sub.map(|s| view! { <span class="cell-sub mono">{s}</span> })}
                </td>
                <td class="num nowrap" data-label="Expected">{money(&anomaly.expected, &currency)}</td>
                <td class="num nowrap" data-label="Actual">{money(&anomaly.actual, &currency)}</td>
                <td class="num nowrap" data-label="Impact">
                    <span class="cell-title" class:impact-up=rising class:impact-down=!rising>{impact}</span>
                    <span class="cell-sub">{percent}</span>
                </td>
                <td data-label="Likely cause">
                    {match cause {
                        Some((what, moved)) => {
                            view! {
                                <span class="cell-title cell-wrap">{what}</span>
                                <span class="cell-sub">{moved}</span>
                            }
                                .into_any()
                        }
                        None => view! { <span class="muted">"—"</span> }.into_any(),
                    }}
                </td>
                <td data-label="Expected?">
                    <div class="segmented verdicts" role="group" aria-label=group_label>
                        {button(AnomalyVerdict::Expected, "Expected", anomaly.clone())}
                        {button(AnomalyVerdict::NotExpected, "Not expected", anomaly.clone())}
                    </div>
                </td>
            </tr>
        }
    };

    let tab = move |(which, id, label): (AnomalyDimension, &'static str, &'static str)| {
        view! {
            <button
                type="button"
                id=id
                class="segment"
                aria-pressed=move || if dimension.get() == which { "true" } else { "false" }
                on:click=move |_| dimension.set(which)
            >
                {label}
            </button>
        }
    };

    view! {
        <section class="card section-gap" id="cost-anomalies" aria-labelledby="cost-anomalies-title">
            <header class="card-header">
                <div>
                    <h2 id="cost-anomalies-title">"Anomalies"</h2>
                    <p class="muted card-sub">
                        "Days that cost far more or less than the 14 days before predicted."
                    </p>
                </div>
                <div class="segmented" role="group" aria-label="Look for anomalies per">
                    {DIMENSIONS.into_iter().map(tab).collect_view()}
                </div>
            </header>
            <UnfilteredNote
                dash=dash
                id="anomalies-unfiltered"
                what="Anomalies ignore the project and tag filters."
            />
            <ErrorBanner message=feedback_error />
            {move || {
                if range.get().is_none() {
                    return view! {
                        <p class="list-empty muted">
                            "Anomalies are found in complete days: pick a range that includes yesterday or earlier."
                        </p>
                    }
                        .into_any();
                }
                match list.get() {
                    None => view! { <Loading label="Looking for anomalies…" /> }.into_any(),
                    Some(Err(failure)) => {
                        view! { <LoadFailed message=failure retry=Callback::new(move |()| list.refetch()) /> }
                            .into_any()
                    }
                    Some(Ok(items)) if items.is_empty() => {
                        view! { <p class="list-empty muted" id="anomalies-empty">"No anomalies in this period."</p> }
                            .into_any()
                    }
                    Some(Ok(items)) => {
                        let total = items.len();
                        let rows = items.into_iter().take(shown.get()).map(row).collect_view();
                        let count = shown.get().min(total);
                        view! {
                            <div class="table-wrap">
                                <table class="table table-stack anomaly-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Day"</th>
                                            <th scope="col">"Where"</th>
                                            <th scope="col" class="num">"Expected"</th>
                                            <th scope="col" class="num">"Actual"</th>
                                            <th scope="col" class="num">"Impact"</th>
                                            <th scope="col">"Likely cause"</th>
                                            <th scope="col">"Expected?"</th>
                                        </tr>
                                    </thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                            <div class="list-footer">
                                <p class="muted">
                                    {format!(
                                        "Showing {} of {}",
                                        count_label(u64::try_from(count).unwrap_or(0)),
                                        count_label(u64::try_from(total).unwrap_or(0)),
                                    )}
                                </p>
                                {(count < total)
                                    .then(|| {
                                        view! {
                                            <button
                                                type="button"
                                                class="button"
                                                id="more-anomalies"
                                                on:click=move |_| shown.update(|s| *s += STEP)
                                            >
                                                "Show more"
                                            </button>
                                        }
                                    })}
                            </div>
                        }
                            .into_any()
                    }
                }
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap_or_default()
    }

    #[test]
    fn changes_read_with_their_sign() {
        assert_eq!(signed_money(&d("225.81"), "USD"), "+$225.81");
        assert_eq!(signed_money(&d("-25"), "USD"), "−$25.00");
        assert_eq!(signed_percent(&d("201.6")), "+201.6%");
        assert_eq!(signed_percent(&d("-100")), "−100%");
        assert_eq!(signed_percent(&d("0.01")), "0%");
    }

    #[test]
    fn the_unclaimed_costs_read_as_unallocated() {
        let anomaly = CostAnomaly {
            day: NaiveDate::MIN,
            dimension: AnomalyDimension::User,
            key: UNALLOCATED.into(),
            label: String::new(),
            currency: "EUR".into(),
            expected: d("10"),
            actual: d("30"),
            impact: d("20"),
            impact_percent: Some(d("200")),
            root_cause: None,
            feedback: None,
        };
        assert_eq!(anomaly_name(&anomaly), "Unallocated");
        let named = CostAnomaly {
            key: "u1".into(),
            label: "Alice Chen".into(),
            ..anomaly
        };
        assert_eq!(anomaly_name(&named), "Alice Chen");
        assert_eq!(signed_money(&named.impact, &named.currency), "+€20.00");
    }
}
