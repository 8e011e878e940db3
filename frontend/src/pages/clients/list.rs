//! `/clients`: the clients the user may see, filtered and a page at a time, and creating one.

use gmac_types::validation::Name;
use gmac_types::{Client, ErrorCode, FieldError, ListQuery, NewClient, Permission};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

use crate::account::use_account;
use crate::api::{self, PAGE_SIZE, non_blank};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::paging::{FilterBox, ListState, LoadMore, Paged};
use crate::format::date_time_label;
use crate::pages::{SubmittedForm, set_title};
use crate::state::use_auth;

/// The fields of the create form, as the server names them.
const FIELDS: [&str; 2] = ["name", "description"];

/// The field errors for a name another object has (409 `name_taken`), else the failure's own.
pub fn name_errors(err: &gmac_client::ApiError, what: &str, known: &[&str]) -> FormErrors {
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

/// The clients page.
#[component]
pub fn ClientsPage() -> impl IntoView {
    set_title("Clients");
    let auth = use_auth();
    let account = use_account();
    let filter = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
    let list = Paged::new(move |cursor| {
        let query = ListQuery {
            limit: Some(PAGE_SIZE),
            cursor,
            name: non_blank(&filter.get_untracked()),
        };
        async move {
            auth.call(move |c| {
                let query = query.clone();
                async move { c.list_clients(&query).await }
            })
            .await
        }
    });
    let on_filter = Callback::new(move |text: String| {
        filter.set(text);
        list.reload();
    });
    // A client created, renamed or deleted elsewhere (another tab, another person, a script)
    // shows here without a reload.
    if let Some(live) = crate::live::use_live() {
        live.on(&["client."], move |_| list.reload());
    }
    let empty = Signal::derive(move || {
        if filter.with(String::is_empty) {
            if auth.can(Permission::ClientsManage) {
                "No clients yet. Create the first one above.".to_owned()
            } else {
                "You have no clients to see.".to_owned()
            }
        } else {
            format!("No client matches “{}”.", filter.get())
        }
    });
    let on_created = Callback::new(move |client: Client| {
        notice.set(Some(format!("Client “{}” is created.", client.name)));
        list.prepend(client);
    });
    let rows = move || {
        let zone = account.time_zone();
        list.items()
            .into_iter()
            .map(|client| {
                let href = format!("/clients/{}", client.id);
                let name = client.name.clone();
                view! {
                    <tr data-client-name=client.name.clone()>
                        <td>
                            <A href=href attr:class="cell-title">{name}</A>
                            <span class="cell-sub">{client.description.clone()}</span>
                        </td>
                        <td>{date_time_label(&client.updated_at, zone.as_deref())}</td>
                    </tr>
                }
            })
            .collect_view()
    };

    view! {
        <header class="page-header">
            <h1>"Clients"</h1>
            <p class="muted">"The clients you work for, and the projects inside them."</p>
        </header>
        <Show when=move || auth.can(Permission::ClientsManage)>
            <CreateClient on_created=on_created on_start=Callback::new(move |()| notice.set(None)) />
        </Show>
        <NoticeBanner message=notice />
        <div class="toolbar">
            <FilterBox id="client-filter" label="Filter clients" placeholder="Filter by name" on_change=on_filter />
        </div>
        <section class="card" aria-label="Clients">
            <ListState list=list loading="Loading clients…" empty=empty />
            <Show when=move || !list.with_items(<[Client]>::is_empty)>
                <div class="table-wrap">
                    <table class="table" id="client-table">
                        <thead>
                            <tr>
                                <th scope="col">"Client"</th>
                                <th scope="col">"Last changed"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </Show>
            <LoadMore list=list />
        </section>
    }
}

#[component]
fn CreateClient(on_created: Callback<Client>, on_start: Callback<()>) -> impl IntoView {
    let auth = use_auth();
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        on_start.run(());
        let input = match Name::parse("name", &name.get_untracked()) {
            Ok(n) => NewClient {
                name: n.as_str().to_owned(),
                description: non_blank(&description.get_untracked()),
            },
            Err(e) => {
                errors.set(FormErrors::from_fields(vec![e]));
                submitted.focus_first_invalid();
                return;
            }
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let input = input.clone();
                    async move { c.create_client(&input).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(client) => {
                    name.set(String::new());
                    description.set(String::new());
                    on_created.run(client);
                }
                Err(err) => {
                    errors.set(name_errors(&err, "client", &FIELDS));
                    submitted.focus_first_invalid();
                }
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="new-client-title">
            <h2 id="new-client-title" class="card-title">
                "New client"
            </h2>
            <form class="form form-grid card-body" novalidate=true on:submit=submit>
                <ErrorBanner message=banner />
                <FormField
                    id="new-client-name"
                    field="name"
                    label="Name"
                    autocomplete="off"
                    value=name
                    errors=errors
                    disabled=busy
                />
                <FormField
                    id="new-client-description"
                    field="description"
                    label="Description"
                    autocomplete="off"
                    value=description
                    errors=errors
                    optional=true
                    disabled=busy
                />
                <div class="form-actions">
                    <SubmitButton id="create-client" label="Create client" busy_label="Creating…" busy=busy inline=true />
                </div>
            </form>
        </section>
    }
}
