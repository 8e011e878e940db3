//! `/clients/:id`: one client: rename and describe it (with `If-Match`), delete it, and its
//! projects.

use gmac_types::validation::Name;
use gmac_types::{Client, ClientPatch, ErrorCode, Permission};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::{self, CHANGED_ELSEWHERE, Failure, describe};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::icon::{Icon, IconName};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::pages::clients::list::name_errors;
use crate::pages::clients::projects::Projects;
use crate::pages::{SubmittedForm, set_title};
use crate::state::use_auth;

/// The client page.
#[component]
pub fn ClientPage() -> impl IntoView {
    let auth = use_auth();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let client = LocalResource::new(move || {
        let id = id();
        async move {
            auth.call(move |c| {
                let id = id.clone();
                async move { c.get_client(&id).await }
            })
            .await
            .map_err(|e| Failure::of(&e))
        }
    });
    // A reload after a lost race keeps the page (and its message) instead of a spinner.
    let stale = RwSignal::new(None::<String>);
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <A href="/clients">
                <Icon name=IconName::ChevronLeft />
                <span>"Clients"</span>
            </A>
        </nav>
        {move || match client.get() {
            None => view! { <Loading label="Loading the client…" /> }.into_any(),
            Some(Err(message)) => {
                view! { <LoadFailed message=message retry=Callback::new(move |()| client.refetch()) page=true /> }
                    .into_any()
            }
            Some(Ok(loaded)) => {
                set_title(&loaded.name);
                let reload = Callback::new(move |message: String| {
                    stale.set(Some(message));
                    client.refetch();
                });
                view! { <ClientView client=loaded stale=stale reload=reload /> }.into_any()
            }
        }}
    }
}

#[component]
fn ClientView(
    client: Client,
    stale: RwSignal<Option<String>>,
    reload: Callback<String>,
) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let manages = auth.can_untracked(Permission::ClientsManage);
    let current = RwSignal::new(client.clone());
    // The tab follows a rename.
    Effect::new(move |_| current.with(|c| set_title(&c.name)));
    let name = RwSignal::new(client.name.clone());
    let description = RwSignal::new(client.description.clone());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(stale.get_untracked());
    stale.set(None);
    let confirm = RwSignal::new(None::<Confirm>);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));

    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        let new_name = match Name::parse("name", &name.get_untracked()) {
            Ok(n) => n.as_str().to_owned(),
            Err(e) => {
                errors.set(FormErrors::from_fields(vec![e]));
                submitted.focus_first_invalid();
                return;
            }
        };
        let patch = ClientPatch {
            name: Some(new_name),
            description: Some(description.get_untracked().trim().to_owned()),
        };
        let (id, version) = current.with_untracked(|c| (c.id.clone(), c.version));
        errors.set(FormErrors::default());
        error.set(None);
        notice.set(None);
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (id, patch) = (id.clone(), patch.clone());
                    async move { c.update_client(&id, &patch, Some(version)).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(updated) => {
                    notice.set(Some("The client is saved.".to_owned()));
                    current.set(updated);
                }
                Err(err) if api::is(&err, ErrorCode::PreconditionFailed) => {
                    reload.run(CHANGED_ELSEWHERE.to_owned());
                }
                Err(err) => {
                    errors.set(name_errors(&err, "client", &["name", "description"]));
                    submitted.focus_first_invalid();
                }
            }
        });
    };

    let delete = move |_| {
        let (id, version, client_name) =
            current.with_untracked(|c| (c.id.clone(), c.version, c.name.clone()));
        let navigate = navigate.clone();
        confirm.set(Some(Confirm::danger(
            format!("Delete client “{client_name}”?"),
            "The client, and the roles and invitations that point at it, are gone for good. A \
             client that still has projects cannot be deleted: delete its projects first.",
            "Delete client",
            move || {
                let id = id.clone();
                let navigate = navigate.clone();
                error.set(None);
                notice.set(None);
                spawn_local(async move {
                    let result = auth
                        .call(move |c| {
                            let id = id.clone();
                            async move { c.delete_client(&id, Some(version)).await }
                        })
                        .await;
                    match result {
                        Ok(()) => navigate("/clients", NavigateOptions::default()),
                        Err(err) if api::is(&err, ErrorCode::PreconditionFailed) => {
                            reload.run(CHANGED_ELSEWHERE.to_owned());
                        }
                        Err(err) => error.set(Some(describe(&err))),
                    }
                });
            },
        )));
    };

    view! {
        <header class="page-header page-header-row">
            <div>
                <p class="eyebrow">"Client"</p>
                <h1 id="client-title">{move || current.with(|c| c.name.clone())}</h1>
                <p class="muted">{move || current.with(|c| c.description.clone())}</p>
            </div>
            {manages
                .then(|| {
                    view! {
                        <button type="button" id="delete-client" class="button button-danger-quiet" on:click=delete>
                            <Icon name=IconName::Trash />
                            <span>"Delete client"</span>
                        </button>
                    }
                })}
        </header>
        <NoticeBanner message=notice />
        <ErrorBanner message=error />
        <div class="stack">
            {manages
                .then(|| {
                    view! {
                        <section class="card" aria-labelledby="client-edit-title">
                            <h2 id="client-edit-title" class="card-title">
                                "Details"
                            </h2>
                            <form class="form card-body" novalidate=true on:submit=save>
                                <ErrorBanner message=banner />
                                <div class="field-row">
                                    <FormField
                                        id="client-name"
                                        field="name"
                                        label="Name"
                                        autocomplete="off"
                                        value=name
                                        errors=errors
                                        disabled=busy
                                    />
                                    <FormField
                                        id="client-description"
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
                                    <SubmitButton id="save-client" label="Save" busy_label="Saving…" busy=busy inline=true />
                                </div>
                            </form>
                        </section>
                    }
                })}
            <Projects client_id=client.id.clone() />
        </div>
        <ConfirmDialog request=confirm />
    }
}
