//! `/clients/:id`: one client: rename and describe it (with `If-Match`), delete it, and its
//! projects.

use gmac_types::{Client, ClientPatch, ErrorCode, Permission};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::api::{self, CHANGED_ELSEWHERE, describe};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::named::{NamedForm, ObjectHeader, ObjectPage, by_route_id, send_named};
use crate::pages::clients::projects::Projects;
use crate::pages::set_title;
use crate::state::use_auth;

/// The client page.
#[component]
pub fn ClientPage() -> impl IntoView {
    let client = by_route_id(|c, id| async move { c.get_client(&id).await });
    // A reload after a lost race keeps the page (and its message) instead of a spinner.
    let stale = RwSignal::new(None::<String>);
    let show = move |loaded: Client| {
        set_title(&loaded.name);
        let reload = Callback::new(move |message: String| {
            stale.set(Some(message));
            client.refetch();
        });
        view! { <ClientView client=loaded stale=stale reload=reload /> }.into_any()
    };
    view! {
        <ObjectPage object=client back="/clients" back_label="Clients" loading="Loading the client…" show=show />
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
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(stale.get_untracked());
    stale.set(None);
    let confirm = RwSignal::new(None::<Confirm>);

    let save = send_named(move |named| async move {
        let patch = ClientPatch {
            name: Some(named.name),
            description: Some(named.description),
        };
        let (id, version) = current.with_untracked(|c| (c.id.clone(), c.version));
        error.set(None);
        notice.set(None);
        let result = auth
            .call(move |c| {
                let (id, patch) = (id.clone(), patch.clone());
                async move { c.update_client(&id, &patch, Some(version)).await }
            })
            .await;
        match result {
            Ok(updated) => {
                notice.set(Some("The client is saved.".to_owned()));
                current.set(updated);
                Ok(())
            }
            Err(err) if api::is(&err, ErrorCode::PreconditionFailed) => {
                reload.run(CHANGED_ELSEWHERE.to_owned());
                Ok(())
            }
            Err(err) => Err(err),
        }
    });

    let delete = Callback::new(move |()| {
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
    });
    let named = Signal::derive(move || current.with(|c| (c.name.clone(), c.description.clone())));

    view! {
        <ObjectHeader
            eyebrow="Client"
            title_id="client-title"
            named=named
            delete=manages.then_some(("delete-client", "Delete client", delete))
        />
        <NoticeBanner message=notice />
        <ErrorBanner message=error />
        <div class="stack">
            {manages
                .then(|| {
                    view! {
                        <NamedForm
                            title="Details"
                            title_id="client-edit-title"
                            inputs=("client-name", "client-description")
                            submit=("save-client", "Save", "Saving…")
                            what="client"
                            send=save
                            initial=(client.name.clone(), client.description.clone())
                        />
                    }
                })}
            <Projects client_id=client.id.clone() />
        </div>
        <ConfirmDialog request=confirm />
    }
}
