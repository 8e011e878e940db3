//! The roles a user or team holds, with where: removing one, and granting another.

use gmac_client::Client;
use gmac_types::{
    ErrorCode, NewRoleBinding, Permission, Role, RoleBinding, RoleBindingQuery, Subject,
    SubjectKind,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api::{self, Failure, describe};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::paging::LoadFailed;
use crate::components::scope::{
    Directory, RoleSelect, ScopeSelect, grantable, parse_scope, role_name,
};
use crate::components::spinner::{Loading, Spinner};
use crate::format::date_time_label;
use crate::state::use_auth;

/// The message for a grant or removal the API refused.
fn refusal(err: &gmac_client::ApiError) -> String {
    match api::code(err) {
        Some(ErrorCode::Forbidden) => "You cannot do this: a role can only be granted or \
             removed by someone who manages users there and holds every permission it grants, \
             and only a Super Admin grants or removes Super Admin."
            .to_owned(),
        _ => describe(err),
    }
}

/// The role bindings of one user or team.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the list, its removal and the grant form share the panel's state"
)]
pub fn RoleBindings(
    /// Whose bindings.
    kind: SubjectKind,
    /// The user's or team's id.
    id: String,
    /// Their name, for the confirmations.
    name: String,
    /// Runs when a grant or removal starts, e.g. to clear the page's own messages.
    #[prop(optional)]
    on_action: Option<Callback<()>>,
) -> impl IntoView {
    let auth = use_auth();
    // Only those who manage users grant and remove roles; the others only read them.
    let manages = auth.can_untracked(Permission::UsersManage);
    let started = move || {
        if let Some(callback) = on_action {
            callback.run(());
        }
    };
    let account = use_account();
    let subject = StoredValue::new(Subject { kind, id });
    let name = StoredValue::new(name);
    let confirm = RwSignal::new(None::<Confirm>);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let bindings = LocalResource::new(move || {
        let query = RoleBindingQuery {
            subject_type: Some(kind),
            subject_id: Some(subject.with_value(|s| s.id.clone())),
            role: None,
        };
        async move {
            auth.call(move |c| {
                let query = query.clone();
                async move {
                    Client::all_pages(|page| {
                        let (c, query) = (&c, &query);
                        async move { c.list_role_bindings(query, &page).await }
                    })
                    .await
                }
            })
            .await
            .map_err(|e| Failure::of(&e))
        }
    });
    let roles_load = LocalResource::new(move || async move {
        auth.call(|c| async move { c.list_roles().await })
            .await
            .map_err(|e| describe(&e))
    });
    let roles = Signal::derive(move || roles_load.get().and_then(Result::ok).unwrap_or_default());
    let offered = Signal::derive(move || auth.with_me(|me| roles.with(|r| grantable(r, me))));
    let directory_load = LocalResource::new(move || Directory::load(auth));
    let directory = Signal::derive(move || {
        directory_load
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
    });

    let remove = move |binding: RoleBinding, label: String| {
        let id = binding.id.clone();
        confirm.set(Some(Confirm::danger(
            format!("Remove {label}?"),
            format!(
                "{} loses what the role allows there at once.",
                name.get_value()
            ),
            "Remove role",
            move || {
                let id = id.clone();
                error.set(None);
                notice.set(None);
                started();
                spawn_local(async move {
                    let result = auth
                        .call(move |c| {
                            let id = id.clone();
                            async move { c.delete_role_binding(&id).await }
                        })
                        .await;
                    match result {
                        Ok(()) => {
                            notice.set(Some("The role was removed.".to_owned()));
                            bindings.refetch();
                        }
                        Err(err) => error.set(Some(refusal(&err))),
                    }
                });
            },
        )));
    };

    let role = RwSignal::new(String::new());
    let scope = RwSignal::new("global".to_owned());
    let busy = RwSignal::new(false);
    let grant = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        error.set(None);
        notice.set(None);
        started();
        let chosen = role.get_untracked();
        let Some(where_) = parse_scope(&scope.get_untracked()).filter(|_| !chosen.is_empty())
        else {
            error.set(Some("Choose a role and where it applies.".to_owned()));
            return;
        };
        let request = NewRoleBinding {
            subject: subject.get_value(),
            role: chosen,
            scope: where_,
        };
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let request = request.clone();
                    async move { c.create_role_binding(&request).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(_) => {
                    notice.set(Some("The role was granted.".to_owned()));
                    role.set(String::new());
                    bindings.refetch();
                }
                Err(err) => error.set(Some(refusal(&err))),
            }
        });
    };

    let rows = move |list: Vec<RoleBinding>, roles: &[Role], directory: &Directory| {
        let zone = account.time_zone();
        list.into_iter()
            .map(|binding| {
                let role = role_name(roles, &binding.role);
                let scope = directory.scope_label(&binding.scope);
                let label = format!("{role} · {scope}");
                let granted = date_time_label(&binding.created_at, zone.as_deref());
                let for_remove = binding.clone();
                view! {
                    <tr data-role=binding.role.clone()>
                        <td>
                            <span class="cell-title">{role}</span>
                        </td>
                        <td>{scope}</td>
                        <td>{granted}</td>
                        {manages
                            .then(|| {
                                view! {
                                    <td class="cell-actions">
                                        <button
                                            type="button"
                                            class="button button-small button-danger-quiet"
                                            aria-label=format!("Remove the role {label}")
                                            on:click=move |_| remove(for_remove.clone(), label.clone())
                                        >
                                            "Remove"
                                        </button>
                                    </td>
                                }
                            })}
                    </tr>
                }
            })
            .collect_view()
    };

    view! {
        <section class="card" aria-labelledby="bindings-title">
            <h2 id="bindings-title" class="card-title">
                "Roles"
            </h2>
            <div class="card-body">
                <NoticeBanner message=notice />
                <ErrorBanner message=error />
                {move || match bindings.get() {
                    None => view! { <Loading label="Loading roles…" /> }.into_any(),
                    Some(Err(message)) => {
                        view! { <LoadFailed message=message retry=Callback::new(move |()| bindings.refetch()) /> }
                            .into_any()
                    }
                    Some(Ok(list)) if list.is_empty() => {
                        let none = if kind == SubjectKind::Team {
                            "This team holds no role yet."
                        } else {
                            "This user holds no role of their own yet (the roles they hold through teams are listed under Teams)."
                        };
                        view! { <p class="list-empty muted">{none}</p> }
                            .into_any()
                    }
                    Some(Ok(list)) => {
                        let body = roles.with(|r| directory.with(|d| rows(list, r, d)));
                        view! {
                            <div class="table-wrap">
                                <table class="table" id="binding-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Role"</th>
                                            <th scope="col">"Where"</th>
                                            <th scope="col">"Granted"</th>
                                            {manages
                                                .then(|| {
                                                    view! {
                                                        <th scope="col">
                                                            <span class="visually-hidden">"Actions"</span>
                                                        </th>
                                                    }
                                                })}
                                        </tr>
                                    </thead>
                                    <tbody>{body}</tbody>
                                </table>
                            </div>
                        }
                            .into_any()
                    }
                }}
                {manages.then(|| view! {
                <form class="form form-grid subpanel" novalidate=true on:submit=grant aria-label="Grant a role">
                    <div class="field">
                        <label for="grant-role">"Role"</label>
                        <RoleSelect id="grant-role" value=role roles=offered disabled=busy />
                    </div>
                    <div class="field">
                        <label for="grant-scope">"Where"</label>
                        <ScopeSelect id="grant-scope" value=scope directory=directory disabled=busy />
                    </div>
                    <div class="form-actions">
                        <button
                            type="submit"
                            id="grant-role-submit"
                            class="button button-primary"
                            disabled=move || busy.get()
                        >
                            {move || busy.get().then(|| view! { <Spinner /> })}
                            <span>"Grant role"</span>
                        </button>
                    </div>
                </form>
                })}
            </div>
            <ConfirmDialog request=confirm />
        </section>
    }
}
