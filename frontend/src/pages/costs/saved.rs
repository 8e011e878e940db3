//! Saved views: the dashboard's choices (its address's query) kept by name, to open again
//! from a list; each person's own.

use gmac_types::{NewSavedView, PageQuery, SavedView};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::pages::costs::Dashboard;
use crate::state::use_auth;

/// The view's query as saved: its address's query without `?`.
fn query_of(dash: Dashboard) -> String {
    dash.view
        .with(super::view::CostView::search)
        .trim_start_matches('?')
        .to_owned()
}

/// The saved views bar, `#saved-views`: open one, save the current choices, delete the one
/// shown.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the list, the save form and the delete share the bar's state"
)]
pub fn SavedViews(
    /// The dashboard.
    dash: Dashboard,
) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let version = RwSignal::new(0_u32);
    let views = LocalResource::new(move || {
        version.track();
        async move {
            auth.call(|c| async move {
                c.list_cost_views(&PageQuery {
                    limit: Some(100),
                    ..PageQuery::default()
                })
                .await
            })
            .await
            .map(|page| page.items)
            .map_err(|e| e.message())
        }
    });
    let list = move || views.get().and_then(Result::ok).unwrap_or_default();
    let load_error = Signal::derive(move || {
        views
            .get()
            .and_then(Result::err)
            .map(|e| format!("Your saved views could not be loaded: {e}"))
    });
    // The saved view the dashboard shows now, if any.
    let current = Memo::new(move |_| {
        let query = query_of(dash);
        list().into_iter().find(|v| v.query == query)
    });
    let open = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        if let Some(view) = list().into_iter().find(|v| v.id == id) {
            let search = if view.query.is_empty() {
                String::new()
            } else {
                format!("?{}", view.query)
            };
            navigate(
                &format!("/costs{search}"),
                leptos_router::NavigateOptions::default(),
            );
        }
    };

    let saving = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let status = RwSignal::new(None::<String>);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let input = NewSavedView {
            name: name.get_untracked().trim().to_owned(),
            query: query_of(dash),
        };
        if input.name.is_empty() {
            errors.set(FormErrors::from_fields(vec![gmac_types::FieldError::new(
                "name",
                "required",
                "Give the view a name.",
            )]));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let input = input.clone();
                    async move { c.create_cost_view(&input).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(saved) => {
                    errors.set(FormErrors::default());
                    saving.set(false);
                    name.set(String::new());
                    status.set(Some(format!("Saved “{}”.", saved.name)));
                    version.update(|v| *v += 1);
                }
                Err(err) => errors.set(FormErrors::from_api(&err, &["name"])),
            }
        });
    };

    let confirm = RwSignal::new(None::<Confirm>);
    let delete = move |view: SavedView| {
        let SavedView { id, name, .. } = view;
        confirm.set(Some(Confirm::danger(
            format!("Delete the view “{name}”?"),
            "The costs it shows stay; only its name and choices go.",
            "Delete view",
            move || {
                let id = id.clone();
                let name = name.clone();
                spawn_local(async move {
                    let result = auth
                        .call(move |c| {
                            let id = id.clone();
                            async move { c.delete_cost_view(&id).await }
                        })
                        .await;
                    match result {
                        Ok(()) => status.set(Some(format!("Deleted “{name}”."))),
                        Err(err) => status.set(Some(err.message())),
                    }
                    version.update(|v| *v += 1);
                });
            },
        )));
    };

    view! {
        <section class="card saved-views" id="saved-views" aria-label="Saved views">
            <div class="saved-views-bar">
                <div class="field field-inline">
                    <label for="saved-view-select">"Saved views"</label>
                    <select id="saved-view-select" class="select" on:change=open>
                        <option value="" prop:selected=move || current.with(Option::is_none)>
                            {move || {
                                if list().is_empty() { "None yet" } else { "Choose a view…" }
                            }}
                        </option>
                        {move || {
                            let selected = current.get().map(|v| v.id);
                            list()
                                .into_iter()
                                .map(|v| {
                                    let is = selected.as_deref() == Some(v.id.as_str());
                                    view! { <option value=v.id selected=is>{v.name}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                </div>
                <button
                    type="button"
                    class="button"
                    id="save-view-open"
                    aria-expanded=move || saving.get().to_string()
                    on:click=move |_| {
                        status.set(None);
                        saving.update(|s| *s = !*s);
                    }
                >
                    "Save view…"
                </button>
                {move || {
                    current
                        .get()
                        .map(|view| {
                            let label = format!("Delete view {}", view.name);
                            view! {
                                <button
                                    type="button"
                                    class="button button-ghost"
                                    id="delete-view"
                                    aria-label=label
                                    on:click=move |_| delete(view.clone())
                                >
                                    "Delete view"
                                </button>
                            }
                        })
                }}
                <p class="muted saved-views-status" role="status" id="saved-views-status">
                    {move || status.get()}
                </p>
            </div>
            <ErrorBanner message=load_error />
            <Show when=move || saving.get()>
                <form class="form saved-view-form" id="save-view-form" novalidate=true on:submit=submit>
                    <ErrorBanner message=banner />
                    <FormField
                        id="save-view-name"
                        field="name"
                        label="Name of this view"
                        autocomplete="off"
                        value=name
                        errors=errors
                        hint="Its period, client, project, tag, cost, bars and stacking are kept."
                        autofocus=true
                        disabled=busy
                    />
                    <div class="form-actions">
                        <button type="button" class="button" on:click=move |_| saving.set(false)>
                            "Cancel"
                        </button>
                        <SubmitButton id="save-view" label="Save view" busy_label="Saving…" busy=busy inline=true />
                    </div>
                </form>
            </Show>
            <ConfirmDialog request=confirm />
        </section>
    }
}
