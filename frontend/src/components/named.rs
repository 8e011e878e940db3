//! The pieces the pages of named things share (clients, teams, and the next areas' objects):
//! a list filtered by name, its table, the page of one loaded by the route's `:id` with its
//! breadcrumb and header, and the name-and-description form that creates or edits one.

use std::future::Future;
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;
use gmac_client::ApiError;
use gmac_types::validation::Name;
use gmac_types::{ErrorCode, FieldError, ListQuery, Page};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::{self, Failure, PAGE_SIZE, non_blank};
use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::icon::{Icon, IconName};
use crate::components::paging::{ListState, LoadFailed, LoadMore, Paged};
use crate::components::spinner::Loading;
use crate::pages::SubmittedForm;
use crate::state::use_auth;

/// A list filtered by name: the list, the filter's text, and the callback a `FilterBox` calls.
/// `Copy`.
#[derive(Debug)]
pub struct NameFiltered<T: Send + Sync + 'static> {
    /// The list.
    pub list: Paged<T>,
    /// The filter's text.
    pub filter: RwSignal<String>,
    /// Sets the filter and reloads the list.
    pub on_filter: Callback<String>,
}

impl<T: Send + Sync + 'static> Clone for NameFiltered<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for NameFiltered<T> {}

impl<T: Clone + Send + Sync + 'static> NameFiltered<T> {
    /// A list that loads its pages with `fetch(query)`, the query carrying the filter's text.
    pub fn new<F, Fut>(fetch: F) -> Self
    where
        F: Fn(ListQuery) -> Fut + 'static,
        Fut: Future<Output = Result<Page<T>, ApiError>> + 'static,
    {
        let filter = RwSignal::new(String::new());
        let list = Paged::new(move |cursor| {
            fetch(ListQuery {
                limit: Some(PAGE_SIZE),
                cursor,
                name: non_blank(&filter.get_untracked()),
            })
        });
        let on_filter = Callback::new(move |text: String| {
            filter.set(text);
            list.reload();
        });
        Self {
            list,
            filter,
            on_filter,
        }
    }

    /// What an empty list says: `none()` without a filter, else that nothing matches it
    /// (`what` names one, e.g. "client").
    pub fn empty(
        self,
        what: &'static str,
        none: impl Fn() -> String + Send + Sync + 'static,
    ) -> Signal<String> {
        let filter = self.filter;
        Signal::derive(move || {
            if filter.with(String::is_empty) {
                none()
            } else {
                format!("No {what} matches “{}”.", filter.get())
            }
        })
    }
}

/// A list's table: its loading and empty states, a row per item, and "Load more".
#[component]
pub fn ListTable<T, R>(
    /// The list.
    list: Paged<T>,
    /// The table's `id`.
    id: &'static str,
    /// The section's accessible name, e.g. "Clients".
    label: &'static str,
    /// What is loading, e.g. "Loading clients…".
    loading: &'static str,
    /// Shown when the list is empty.
    empty: Signal<String>,
    /// The column headings.
    headers: &'static [&'static str],
    /// The row of one item.
    row: R,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    R: Fn(T) -> AnyView + Copy + Send + Sync + 'static,
{
    let heads = move || {
        headers
            .iter()
            .map(|h| view! { <th scope="col">{*h}</th> })
            .collect_view()
    };
    view! {
        <section class="card" aria-label=label>
            <ListState list=list loading=loading empty=empty />
            <Show when=move || !list.with_items(<[T]>::is_empty)>
                <div class="table-wrap">
                    <table class="table" id=id>
                        <thead>
                            <tr>{heads()}</tr>
                        </thead>
                        <tbody>{move || list.items().into_iter().map(row).collect_view()}</tbody>
                    </table>
                </div>
            </Show>
            <LoadMore list=list />
        </section>
    }
}

/// The object the route's `:id` names, read with `fetch(client, id)`; read again when the id
/// changes or the resource is refetched. The id is a memo: leaving the page (the route no
/// longer names one) sends no request, so an object just deleted is not asked for again.
pub fn by_route_id<T, F, Fut>(fetch: F) -> LocalResource<Result<T, Failure>>
where
    T: 'static,
    F: Fn(gmac_client::Client, String) -> Fut + Copy + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let auth = use_auth();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id")).filter(|id| !id.is_empty()));
    LocalResource::new(move || {
        let id = id.get();
        async move {
            let Some(id) = id else {
                return Err(Failure::from(
                    "The address names nothing to show.".to_owned(),
                ));
            };
            auth.call(move |c| fetch(c, id.clone()))
                .await
                .map_err(|e| Failure::of(&e))
        }
    })
}

/// A page of one object: a breadcrumb back to its list, then a spinner, the failure (with a
/// retry), or `show` of the object.
#[component]
pub fn ObjectPage<T, S>(
    /// The object.
    object: LocalResource<Result<T, Failure>>,
    /// The list's path, e.g. "/clients".
    back: &'static str,
    /// The list's name, e.g. "Clients".
    back_label: &'static str,
    /// What is loading, e.g. "Loading the client…".
    loading: &'static str,
    /// The page of the loaded object.
    show: S,
) -> impl IntoView
where
    T: Clone + 'static,
    S: Fn(T) -> AnyView + Send + Sync + 'static,
{
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <A href=back>
                <Icon name=IconName::ChevronLeft />
                <span>{back_label}</span>
            </A>
        </nav>
        {move || match object.get() {
            None => view! { <Loading label=loading /> }.into_any(),
            Some(Err(message)) => {
                view! { <LoadFailed message=message retry=Callback::new(move |()| object.refetch()) page=true /> }
                    .into_any()
            }
            Some(Ok(loaded)) => show(loaded),
        }}
    }
}

/// An object page's header: what it is, its name and description (which follow edits), and a
/// delete button for those who may.
#[component]
pub fn ObjectHeader(
    /// What it is, e.g. "Client".
    eyebrow: &'static str,
    /// The heading's `id`, e.g. `client-title`.
    title_id: &'static str,
    /// Its name and description.
    named: Signal<(String, String)>,
    /// The delete button's `id` and label, and what it does; none for those who may not.
    #[prop(default = None)]
    delete: Option<(&'static str, &'static str, Callback<()>)>,
) -> impl IntoView {
    view! {
        <header class="page-header page-header-row">
            <div>
                <p class="eyebrow">{eyebrow}</p>
                <h1 id=title_id>{move || named.with(|n| n.0.clone())}</h1>
                <p class="muted">{move || named.with(|n| n.1.clone())}</p>
            </div>
            {delete
                .map(|(id, label, run)| {
                    view! {
                        <button type="button" id=id class="button button-danger-quiet" on:click=move |_| run.run(())>
                            <Icon name=IconName::Trash />
                            <span>{label}</span>
                        </button>
                    }
                })}
        </header>
    }
}

/// What a name-and-description form sends: a checked name and the trimmed description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    /// The name, checked as the server checks it.
    pub name: String,
    /// The description, trimmed; empty for none.
    pub description: String,
}

impl Named {
    /// The description, or `None` when it is empty (for creating).
    pub fn description(&self) -> Option<String> {
        non_blank(&self.description)
    }
}

type Sender = Rc<dyn Fn(Named) -> LocalBoxFuture<'static, Result<(), ApiError>>>;

/// Sends a [`Named`]: creates or saves the object and tells the page. An error is shown on the
/// form (a taken name beside the name); one the sender handled itself is `Ok`. `Copy`.
pub type SendNamed = StoredValue<Sender, LocalStorage>;

/// Wraps an async closure as a [`SendNamed`].
pub fn send_named<F, Fut>(send: F) -> SendNamed
where
    F: Fn(Named) -> Fut + 'static,
    Fut: Future<Output = Result<(), ApiError>> + 'static,
{
    let sender: Sender = Rc::new(move |named| Box::pin(send(named)));
    StoredValue::new_local(sender)
}

/// The field errors for a name another object has (409 `name_taken`: "Another {what} already
/// has this name." beside the name), else the failure's own for the `known` fields.
pub fn name_errors(err: &ApiError, what: &str, known: &[&str]) -> FormErrors {
    if api::is(err, ErrorCode::NameTaken) {
        FormErrors::from_fields(vec![FieldError::new(
            "name",
            "name_taken",
            format!("Another {what} already has this name."),
        )])
    } else {
        FormErrors::from_api(err, known)
    }
}

/// A card with a form of a name and a description, creating a thing or saving one's details.
#[component]
pub fn NamedForm(
    /// The card's heading.
    title: &'static str,
    /// The heading's `id`.
    title_id: &'static str,
    /// The `id`s of the name and description inputs.
    inputs: (&'static str, &'static str),
    /// The submit button's `id`, label and label while it works.
    submit: (&'static str, &'static str, &'static str),
    /// What one is called, for "Another {what} already has this name."
    what: &'static str,
    /// Sends the form.
    send: SendNamed,
    /// The name and description to start from (empty for a new one).
    #[prop(optional)]
    initial: Option<(String, String)>,
    /// Empties the form once sent (a create form).
    #[prop(optional)]
    clear: bool,
    /// Focuses the name when the form appears.
    #[prop(optional)]
    autofocus: bool,
    /// Called when the form is sent, before anything is checked.
    #[prop(optional)]
    on_start: Option<Callback<()>>,
    /// Shows a "Cancel" button that calls this.
    #[prop(optional)]
    on_cancel: Option<Callback<()>>,
) -> impl IntoView {
    let (first_name, first_description) = initial.unwrap_or_default();
    let name = RwSignal::new(first_name);
    let description = RwSignal::new(first_description);
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        if let Some(start) = on_start {
            start.run(());
        }
        let named = match Name::parse("name", &name.get_untracked()) {
            Ok(n) => Named {
                name: n.as_str().to_owned(),
                description: description.get_untracked().trim().to_owned(),
            },
            Err(e) => {
                errors.set(FormErrors::from_fields(vec![e]));
                submitted.focus_first_invalid();
                return;
            }
        };
        errors.set(FormErrors::default());
        busy.set(true);
        let Some(sent) = send.try_with_value(|send| send(named)) else {
            return;
        };
        spawn_local(async move {
            let result = sent.await;
            busy.try_set(false);
            match result {
                Ok(()) if clear => {
                    name.try_set(String::new());
                    description.try_set(String::new());
                }
                Ok(()) => {}
                Err(err) => {
                    errors.try_set(name_errors(&err, what, &["name", "description"]));
                    submitted.focus_first_invalid();
                }
            }
        });
    };
    let (submit_id, submit_label, busy_label) = submit;
    let (name_id, description_id) = inputs;
    view! {
        <section class="card" aria-labelledby=title_id>
            <h2 id=title_id class="card-title">
                {title}
            </h2>
            <form class="form card-body" novalidate=true on:submit=on_submit>
                <ErrorBanner message=banner />
                <div class="field-row">
                    <FormField
                        id=name_id
                        field="name"
                        label="Name"
                        autocomplete="off"
                        value=name
                        errors=errors
                        autofocus=autofocus
                        disabled=busy
                    />
                    <FormField
                        id=description_id
                        field="description"
                        label="Description"
                        autocomplete="off"
                        value=description
                        errors=errors
                        optional=true
                        disabled=busy
                    />
                </div>
                <div class="form-actions">
                    <SubmitButton id=submit_id label=submit_label busy_label=busy_label busy=busy inline=true />
                    {on_cancel
                        .map(|cancel| {
                            view! {
                                <button
                                    type="button"
                                    class="button"
                                    disabled=move || busy.get()
                                    on:click=move |_| cancel.run(())
                                >
                                    "Cancel"
                                </button>
                            }
                        })}
                </div>
            </form>
        </section>
    }
}
