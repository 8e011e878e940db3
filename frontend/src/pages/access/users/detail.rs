//! `/access/users/:id`: one account: rename, disable or enable, and its roles.

use gmac_types::validation::DisplayName;
use gmac_types::{Permission, SubjectKind, UserDetail, UserPatch, UserStatus};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;

use crate::account::use_account;
use crate::api::describe;
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::modal::{Confirm, ConfirmAction, ConfirmDialog};
use crate::components::named::{ObjectPage, by_route_id};
use crate::components::spinner::Spinner;
use crate::format::date_time_label;
use crate::pages::access::bindings::RoleBindings;
use crate::pages::access::users::list::{mfa_badge, status_badge};
use crate::pages::access::users::teams::UserTeams;
use crate::pages::{focus, focus_later, set_title};
use crate::state::use_auth;

/// The user page.
#[component]
pub fn UserPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let user = by_route_id(|c, id| async move { c.get_user(&id).await });
    let created = query.with_untracked(|q| q.get("created").is_some());
    // Only those who manage users have the list to go back to.
    let (back, back_label) = if auth.can_untracked(Permission::UsersManage) {
        ("/access/users", "Users")
    } else {
        ("/", "Home")
    };
    let show = move |loaded: UserDetail| {
        set_title(&loaded.display_name);
        view! { <UserDetailView user=loaded created=created /> }.into_any()
    };
    view! {
        <ObjectPage object=user back=back back_label=back_label loading="Loading the user…" show=show />
    }
}

#[component]
fn UserDetailView(user: UserDetail, created: bool) -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let current = RwSignal::new(user.clone());
    let notice = RwSignal::new(
        created
            .then(|| "The account is created. It holds no role yet: grant one below.".to_owned()),
    );
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(None::<Confirm>);
    let busy = RwSignal::new(false);
    let is_me = auth.user_id_untracked().is_some_and(|me| me == user.id);
    let manages = auth.can_untracked(Permission::UsersManage);
    let user_id = StoredValue::new(user.id.clone());
    // The tab follows a rename.
    Effect::new(move |_| current.with(|u| set_title(&u.display_name)));

    let name = RwSignal::new(user.display_name.clone());
    let errors = RwSignal::new(FormErrors::default());
    let renaming = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let rename = move |ev: SubmitEvent| {
        ev.prevent_default();
        if renaming.get_untracked() {
            return;
        }
        notice.set(None);
        error.set(None);
        let new_name = match DisplayName::parse("display_name", &name.get_untracked()) {
            Ok(n) => n.into_inner(),
            Err(e) => {
                errors.set(FormErrors::from_fields(vec![e]));
                focus("user-display-name");
                return;
            }
        };
        errors.set(FormErrors::default());
        renaming.set(true);
        spawn_local(async move {
            let patch = UserPatch {
                display_name: Some(new_name),
                status: None,
            };
            let id = user_id.get_value();
            let result = auth
                .call(move |c| {
                    let (id, patch) = (id.clone(), patch.clone());
                    async move { c.update_user(&id, &patch).await }
                })
                .await;
            renaming.set(false);
            match result {
                Ok(updated) => {
                    notice.set(Some("The name is saved.".to_owned()));
                    current.set(updated);
                }
                Err(err) => {
                    let form = FormErrors::from_api(&err, &["display_name"]);
                    if form.has("display_name") {
                        focus_later("user-display-name");
                    }
                    errors.set(form);
                }
            }
        });
    };

    let set_status = move |status: UserStatus| {
        error.set(None);
        notice.set(None);
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let patch = UserPatch {
                display_name: None,
                status: Some(status),
            };
            let id = user_id.get_value();
            let result = auth
                .call(move |c| {
                    let (id, patch) = (id.clone(), patch.clone());
                    async move { c.update_user(&id, &patch).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(updated) => {
                    notice.set(Some(match updated.status {
                        UserStatus::Active => "The account is enabled again.".to_owned(),
                        UserStatus::Disabled => {
                            "The account is disabled: its sessions and API tokens have ended."
                                .to_owned()
                        }
                    }));
                    current.set(updated);
                }
                Err(err) => error.set(Some(describe(&err))),
            }
        });
    };
    let toggle_status = move |_| {
        let who = current.with_untracked(|u| u.display_name.clone());
        if current.with_untracked(|u| u.status) == UserStatus::Active {
            confirm.set(Some(Confirm::danger(
                format!("Disable {who}?"),
                "They are signed out everywhere at once, every API token of theirs stops \
                 working, and they cannot sign in until the account is enabled again. Their \
                 roles stay.",
                "Disable account",
                move || set_status(UserStatus::Disabled),
            )));
        } else {
            confirm.set(Some(Confirm {
                title: format!("Enable {who}?"),
                message: "They can sign in again with their password. API tokens revoked when \
                          the account was disabled stay revoked."
                    .to_owned(),
                confirm_label: "Enable account".to_owned(),
                danger: false,
                action: ConfirmAction::new(move || set_status(UserStatus::Active)),
                cancel: None,
            }));
        }
    };

    let zone = move || account.time_zone();
    view! {
        <header class="page-header page-header-row">
            <div>
                <p class="eyebrow">"User"</p>
                <h1 id="user-title">{move || current.with(|u| u.display_name.clone())}</h1>
                <p class="muted">{move || current.with(|u| u.email.clone())}</p>
            </div>
            <div class="badge-row">
                {move || status_badge(current.with(|u| u.status))}
                {move || mfa_badge(current.with(|u| u.mfa_enabled))}
            </div>
        </header>
        <NoticeBanner message=notice />
        <ErrorBanner message=error />
        <div class="stack">
            <section class="card" aria-labelledby="account-title">
                <h2 id="account-title" class="card-title">
                    "Account"
                </h2>
                <dl class="details">
                    <div>
                        <dt>"Created"</dt>
                        <dd>{move || current.with(|u| date_time_label(&u.created_at, zone().as_deref()))}</dd>
                    </div>
                    <div>
                        <dt>"Last sign-in"</dt>
                        <dd>
                            {move || {
                                current
                                    .with(|u| {
                                        u.last_login_at
                                            .map_or_else(
                                                || "Never".to_owned(),
                                                |at| date_time_label(&at, zone().as_deref()),
                                            )
                                    })
                            }}
                        </dd>
                    </div>
                </dl>
                {manages.then(|| view! {
                <form class="form form-inline card-body" novalidate=true on:submit=rename>
                    <ErrorBanner message=banner />
                    <FormField
                        id="user-display-name"
                        field="display_name"
                        label="Display name"
                        autocomplete="off"
                        value=name
                        errors=errors
                        disabled=renaming
                    />
                    <div class="form-actions">
                        <SubmitButton
                            id="rename-user"
                            label="Save name"
                            busy_label="Saving…"
                            busy=renaming
                            inline=true
                        />
                    </div>
                </form>
                })}
                <div class="card-body card-footer">
                    {if !manages {
                        view! { <p class="muted">"Someone who manages users renames or disables this account."</p> }
                            .into_any()
                    } else if is_me {
                        view! { <p class="muted">"This is your own account: another administrator disables it."</p> }
                            .into_any()
                    } else {
                        view! {
                            <p class="muted">
                                {move || {
                                    if current.with(|u| u.status) == UserStatus::Active {
                                        "Disabling signs them out everywhere and stops their API tokens at once."
                                    } else {
                                        "The account cannot sign in."
                                    }
                                }}
                            </p>
                            <button
                                type="button"
                                id="toggle-user-status"
                                class=move || {
                                    if current.with(|u| u.status) == UserStatus::Active {
                                        "button button-danger-quiet"
                                    } else {
                                        "button"
                                    }
                                }
                                disabled=move || busy.get()
                                on:click=toggle_status
                            >
                                {move || busy.get().then(|| view! { <Spinner /> })}
                                <span>
                                    {move || {
                                        if current.with(|u| u.status) == UserStatus::Active {
                                            "Disable account"
                                        } else {
                                            "Enable account"
                                        }
                                    }}
                                </span>
                            </button>
                        }
                            .into_any()
                    }}
                </div>
            </section>
            // Roles are read and granted by those who manage users (others see theirs at Home).
            {manages
                .then(|| {
                    view! {
                        <RoleBindings
                            kind=SubjectKind::User
                            id=user.id.clone()
                            name=user.display_name.clone()
                            on_action=Callback::new(move |()| {
                                notice.set(None);
                                error.set(None);
                            })
                        />
                    }
                })}
            // The teams, and the roles held through them: for those who manage users, and for
            // the user themself.
            {(manages || is_me).then(|| view! { <UserTeams user_id=user.id.clone() /> })}
        </div>
        <ConfirmDialog request=confirm />
    }
}
