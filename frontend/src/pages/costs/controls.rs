//! The dashboard's controls: the date range (presets or two days), the client, the project, a
//! tag and the metric. Each change writes the address, which every card follows.

use chrono::NaiveDate;
use gmac_types::CostMetric;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use crate::pages::costs::Dashboard;
use crate::pages::costs::directory::CostDirectory;
use crate::pages::costs::view::{CostView, Preset, metric_label, parse_tag};

/// The projects offered for `client` (every client's when none is chosen), named with their
/// client where several clients' are offered.
fn project_choices(directory: &CostDirectory, client: Option<&str>) -> Vec<(String, String)> {
    directory
        .projects
        .iter()
        .filter(|p| client.is_none_or(|c| p.client_id == c))
        .map(|p| {
            let label = if client.is_some() {
                p.name.clone()
            } else {
                directory.project_name(&p.id)
            };
            (p.id.clone(), label)
        })
        .collect()
}

/// The controls card.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "six fields that write one view read best together"
)]
pub fn Controls(
    /// The dashboard.
    dash: Dashboard,
    /// The clients and projects to filter by.
    directory: Signal<CostDirectory>,
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
        let client = (!value.is_empty()).then_some(value);
        let now = current();
        // A project of another client would find nothing: it goes.
        let project = now.project.clone().filter(|id| {
            client.as_deref().is_none_or(|c| {
                directory
                    .with_untracked(|d| d.projects.iter().any(|p| p.id == *id && p.client_id == c))
            })
        });
        dash.show.run(CostView {
            client,
            project,
            ..now
        });
    };
    let set_project = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        dash.show.run(CostView {
            project: (!value.is_empty()).then_some(value),
            ..current()
        });
    };
    // The tag as typed; it is applied (and written to the address) when it is a `KEY=VALUE`.
    let tag_text = RwSignal::new(view.with_untracked(|v| v.tag.clone().unwrap_or_default()));
    let tag_error = RwSignal::new(None::<&'static str>);
    // Another tag in the address (back, a shared link): the field follows.
    let applied = Memo::new(move |_| view.with(|v| v.tag.clone()));
    Effect::new(move |_| {
        tag_text.set(applied.get().unwrap_or_default());
        tag_error.set(None);
    });
    let apply_tag = move |text: String| match parse_tag(&text) {
        Err(message) => tag_error.set(Some(message)),
        Ok(tag) => {
            tag_error.set(None);
            let now = current();
            if now.tag != tag {
                dash.show.run(CostView { tag, ..now });
            }
        }
    };
    let projects = move || {
        let client = view.with(|v| v.client.clone());
        directory.with(|d| project_choices(d, client.as_deref()))
    };
    let tag_invalid = move || tag_error.with(Option::is_some);
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
                            directory
                                .with(|d| d.clients.clone())
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
                    <label for="cost-project">"Project"</label>
                    <select
                        id="cost-project"
                        class="select"
                        aria-describedby="cost-project-hint"
                        on:change=set_project
                    >
                        <option value="" prop:selected=move || view.with(|v| v.project.is_none())>
                            "All projects"
                        </option>
                        {move || {
                            projects()
                                .into_iter()
                                .map(|(id, label)| {
                                    let mine = id.clone();
                                    view! {
                                        <option
                                            value=id
                                            prop:selected=move || {
                                                view.with(|v| v.project.as_deref() == Some(mine.as_str()))
                                            }
                                        >
                                            {label}
                                        </option>
                                    }
                                })
                                .collect_view()
                        }}
                    </select>
                    <p class="field-hint" id="cost-project-hint">"By its project tag."</p>
                </div>
                <div class="field" class:field-invalid=tag_invalid>
                    <label for="cost-tag">"Tag"</label>
                    <input
                        id="cost-tag"
                        class="input"
                        type="text"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder="KEY=VALUE"
                        aria-invalid=move || if tag_invalid() { "true" } else { "false" }
                        aria-describedby="cost-tag-hint cost-tag-error"
                        prop:value=move || tag_text.get()
                        on:input=move |ev| {
                            tag_text.set(event_target_value(&ev));
                            tag_error.set(None);
                        }
                        on:change=move |ev| apply_tag(event_target_value(&ev))
                        on:keydown=move |ev: KeyboardEvent| {
                            if ev.key() == "Enter" {
                                ev.prevent_default();
                                apply_tag(event_target_value(&ev));
                            }
                        }
                    />
                    <p class="field-hint" id="cost-tag-hint">"e.g. environment=prod"</p>
                    <div id="cost-tag-error" class="field-errors">
                        {move || tag_error.get().map(|m| view! { <p class="field-error">{m}</p> })}
                    </div>
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
