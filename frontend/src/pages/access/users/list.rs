//! `/access/users`: the accounts, filtered and a page at a time, and creating one.

use gmac_types::validation::{DisplayName, EmailAddress, NewPassword};
use gmac_types::{FieldError, NewUser, SecretText, UserDetail, UserStatus};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::account::use_account;
use crate::areas::Area;
use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::icon::{Icon, IconName};
use crate::components::named::{ListTable, NameFiltered};
use crate::components::paging::FilterBox;
use crate::format::date_time_label;
use crate::pages::SubmittedForm;
use crate::pages::hub::SectionHeader;
use crate::state::use_auth;

/// The fields of the create form, as the server names them.
const FIELDS: [&str; 3] = ["email", "display_name", "password"];

/// A status badge for an account.
pub fn status_badge(status: UserStatus) -> impl IntoView {
    match status {
        UserStatus::Active => view! { <span class="badge badge-success">"Active"</span> },
        UserStatus::Disabled => view! { <span class="badge badge-danger">"Disabled"</span> },
    }
}

/// An MFA badge for an account.
pub fn mfa_badge(enabled: bool) -> impl IntoView {
    if enabled {
        view! { <span class="badge badge-success">"MFA on"</span> }
    } else {
        view! { <span class="badge">"MFA off"</span> }
    }
}

/// The users page.
#[component]
pub fn UsersPage() -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let creating = RwSignal::new(false);
    let users = NameFiltered::new(move |query| async move {
        auth.call(move |c| {
            let query = query.clone();
            async move { c.list_users(&query).await }
        })
        .await
    });
    let empty = users.empty("user", || "No users yet.".to_owned());
    let row = move |user: UserDetail| {
        let zone = account.time_zone();
        let href = format!("/access/users/{}", user.id);
        let last = user.last_login_at.map_or_else(
            || "Never".to_owned(),
            |at| date_time_label(&at, zone.as_deref()),
        );
        view! {
            <tr data-user-email=user.email.clone()>
                <td>
                    <A href=href attr:class="cell-title">{user.display_name.clone()}</A>
                    <span class="cell-sub">{user.email.clone()}</span>
                </td>
                <td>{status_badge(user.status)}</td>
                <td>{mfa_badge(user.mfa_enabled)}</td>
                <td>{last}</td>
            </tr>
        }
        .into_any()
    };

    view! {
        <SectionHeader
            area=Area::Access
            title="Users"
            summary="Everyone with an account. Open one to rename it, disable it or grant roles."
        />
        <div class="toolbar">
            <FilterBox
                id="user-filter"
                label="Filter users"
                placeholder="Filter by name or email"
                on_change=users.on_filter
            />
            <Show when=move || !creating.get()>
                <button
                    type="button"
                    id="new-user"
                    class="button button-primary"
                    on:click=move |_| creating.set(true)
                >
                    <Icon name=IconName::Plus />
                    <span>"New user"</span>
                </button>
            </Show>
        </div>
        <Show when=move || creating.get()>
            <CreateUser on_cancel=Callback::new(move |()| creating.set(false)) />
        </Show>
        <ListTable
            list=users.list
            id="user-table"
            label="Users"
            loading="Loading users…"
            empty=empty
            headers=&["Name", "Status", "MFA", "Last sign-in"]
            row=row
        />
    }
}

/// Checks the create form; returns the request.
fn validate(email: &str, name: &str, password: &str) -> Result<NewUser, Vec<FieldError>> {
    let mut problems = Vec::new();
    let email = EmailAddress::parse("email", email)
        .map_err(|e| problems.push(e))
        .ok();
    let name = DisplayName::parse("display_name", name)
        .map_err(|e| problems.push(e))
        .ok();
    if let Err(e) = NewPassword::parse("password", password) {
        problems.push(e);
    }
    match (email, name) {
        (Some(email), Some(name)) if problems.is_empty() => Ok(NewUser {
            email: email.into_inner(),
            display_name: name.into_inner(),
            password: SecretText::new(password),
        }),
        _ => Err(problems),
    }
}

/// The create form; a new account opens at once, to grant it a role.
#[component]
fn CreateUser(on_cancel: Callback<()>) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        let request = match validate(
            &email.get_untracked(),
            &name.get_untracked(),
            &password.get_untracked(),
        ) {
            Ok(request) => request,
            Err(problems) => {
                errors.set(FormErrors::from_fields(problems));
                submitted.focus_first_invalid();
                return;
            }
        };
        errors.set(FormErrors::default());
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let request = request.clone();
                    async move { c.create_user(&request).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(user) => navigate(
                    &format!("/access/users/{}?created=1", user.id),
                    NavigateOptions::default(),
                ),
                Err(err) => {
                    let mut form = FormErrors::from_api(&err, &FIELDS);
                    if crate::api::is(&err, gmac_types::ErrorCode::EmailTaken) {
                        form = FormErrors::from_fields(vec![FieldError::new(
                            "email",
                            "email_taken",
                            "Another account already uses this address.",
                        )]);
                    }
                    errors.set(form);
                    submitted.focus_first_invalid();
                }
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="new-user-title">
            <h2 id="new-user-title" class="card-title">
                "New user"
            </h2>
            <form class="form card-body" novalidate=true on:submit=submit>
                <ErrorBanner message=banner />
                <p class="muted">
                    "The account holds no role until you grant one. To let people choose their own \
                     password, invite them instead."
                </p>
                <div class="field-row">
                    <FormField
                        id="new-user-email"
                        field="email"
                        label="Email"
                        input_type="email"
                        autocomplete="off"
                        value=email
                        errors=errors
                        autofocus=true
                        disabled=busy
                    />
                    <FormField
                        id="new-user-name"
                        field="display_name"
                        label="Display name"
                        autocomplete="off"
                        value=name
                        errors=errors
                        disabled=busy
                    />
                </div>
                <FormField
                    id="new-user-password"
                    field="password"
                    label="First password"
                    input_type="password"
                    autocomplete="new-password"
                    value=password
                    errors=errors
                    hint="At least 12 characters. Pass it on safely; they can change it under Security."
                    disabled=busy
                />
                <div class="form-actions">
                    <SubmitButton
                        id="create-user"
                        label="Create user"
                        busy_label="Creating…"
                        busy=busy
                        inline=true
                    />
                    <button
                        type="button"
                        class="button"
                        disabled=move || busy.get()
                        on:click=move |_| on_cancel.run(())
                    >
                        "Cancel"
                    </button>
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn a_new_user_is_checked_before_sending() {
        assert!(validate("grace@example.com", "Grace", "a long first password").is_ok());
        let problems = validate("grace", " ", "short").err().unwrap_or_default();
        let pointers: Vec<&str> = problems.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/email", "/display_name", "/password"]);
    }
}
