//! The dashboard's controls: the date range (presets or two days), the client and the metric.
//! Each change writes the address, which every card follows.

use chrono::NaiveDate;
use gmac_types::{Client, CostMetric};
use leptos::prelude::*;

use crate::pages::costs::Dashboard;
use crate::pages::costs::view::{CostView, Preset, metric_label};

/// The controls card.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "four fields that write one view read best together"
)]
pub fn Controls(
    /// The dashboard.
    dash: Dashboard,
    /// The clients to filter by.
    clients: Signal<Vec<Client>>,
) -> impl IntoView {
    let view = dash.view;
    let current = move || view.get_untracked();
    let set_preset = move |ev: leptos::ev::Event| {
        let Some(preset) = Preset::parse(&event_target_value(&ev)) else {
            return;
        };
        let now = current();
        // A custom range starts from the days shown, ready to adjust.
        let next = if preset == Preset::Custom {
            now.with_days(now.from, now.to)
        } else {
            CostView {
                preset,
                problem: None,
                ..now
            }
        };
        dash.show.run(next);
    };
    let set_day = move |which: &'static str, value: String| {
        let Ok(day) = value.parse::<NaiveDate>() else {
            return;
        };
        let now = current();
        let next = if which == "from" {
            now.with_days(day, now.to)
        } else {
            now.with_days(now.from, day)
        };
        dash.show.run(next);
    };
    let set_client = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        dash.show.run(CostView {
            client: (!value.is_empty()).then_some(value),
            ..current()
        });
    };
    let set_metric = move |ev: leptos::ev::Event| {
        let metric = if event_target_value(&ev) == "effective" {
            CostMetric::Effective
        } else {
            CostMetric::Billed
        };
        dash.show.run(CostView {
            metric,
            ..current()
        });
    };
    let custom = move || view.with(|v| v.preset == Preset::Custom);
    let problem = move || view.with(|v| v.problem);

    view! {
        <section class="card filters cost-controls" aria-label="What to show">
            <div class="filter-grid">
                <div class="field">
                    <label for="cost-range">"Period"</label>
                    <select id="cost-range" class="select" on:change=set_preset>
                        {Preset::ALL
                            .into_iter()
                            .map(|preset| {
                                view! {
                                    <option
                                        value=preset.key()
                                        prop:selected=move || view.with(|v| v.preset == preset)
                                    >
                                        {preset.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <Show when=custom>
                    <div class="field">
                        <label for="cost-from">"From"</label>
                        <input
                            id="cost-from"
                            class="input"
                            type="date"
                            prop:value=move || view.with(|v| v.from.to_string())
                            on:change=move |ev| set_day("from", event_target_value(&ev))
                        />
                    </div>
                    <div class="field" class:field-invalid=move || problem().is_some()>
                        <label for="cost-to">"To"</label>
                        <input
                            id="cost-to"
                            class="input"
                            type="date"
                            min=move || view.with(|v| v.from.to_string())
                            aria-invalid=move || if problem().is_some() { "true" } else { "false" }
                            aria-describedby="cost-to-error"
                            prop:value=move || view.with(|v| v.to.to_string())
                            on:change=move |ev| set_day("to", event_target_value(&ev))
                        />
                        <div id="cost-to-error" class="field-errors">
                            {move || problem().map(|m| view! { <p class="field-error">{m}</p> })}
                        </div>
                    </div>
                </Show>
                <div class="field">
                    <label for="cost-client">"Client"</label>
                    <select id="cost-client" class="select" on:change=set_client>
                        <option value="" prop:selected=move || view.with(|v| v.client.is_none())>
                            "All clients"
                        </option>
                        {move || {
                            clients
                                .get()
                                .into_iter()
                                .map(|client| {
                                    let id = client.id.clone();
                                    view! {
                                        <option
                                            value=client.id
                                            prop:selected=move || {
                                                view.with(|v| v.client.as_deref() == Some(id.as_str()))
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
                <div class="field">
                    <label for="cost-metric">"Cost"</label>
                    <select id="cost-metric" class="select" aria-describedby="cost-metric-hint" on:change=set_metric>
                        {[CostMetric::Billed, CostMetric::Effective]
                            .into_iter()
                            .map(|metric| {
                                let value = if metric == CostMetric::Effective { "effective" } else { "billed" };
                                view! {
                                    <option value=value prop:selected=move || view.with(|v| v.metric == metric)>
                                        {metric_label(metric)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <p class="field-hint" id="cost-metric-hint">
                        {move || {
                            if view.with(|v| v.metric == CostMetric::Effective) {
                                "After discounts and commitments, spread over time."
                            } else {
                                "What the invoice says."
                            }
                        }}
                    </p>
                </div>
            </div>
        </section>
    }
}
