//! `/invite#<token>`: accepting an invitation. Shows who invited whom to what, creates the
//! account with a name and password, then signs in.
//!
//! The token travels after `#`, so it never reaches a server log or a `Referer` header.

use gmac_types::validation::{DisplayName, NewPassword};
use gmac_types::{AcceptInvitation, ErrorCode, FieldError, InvitationPreview, SecretText};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::icon::{Icon, IconName};
use crate::components::spinner::Loading;
use crate::components::theme_toggle::ThemeToggle;
use crate::format::date_time_label;
use crate::js;
use crate::pages::{SubmittedForm, set_title};
use crate::state::{SignIn, use_auth};

/// The fields of the form, as the server names them.
const FIELDS: [&str; 3] = ["display_name", "password", "password_confirm"];

/// Why an invitation cannot be used, for people.
const NOT_VALID: &str = "This invitation cannot be used: it may have expired, been revoked, or \
     been used already. Ask the person who invited you for a new one.";

/// The invitation page.
#[component]
pub fn InvitePage() -> impl IntoView {
    set_title("Accept invitation");
    let auth = use_auth();
    // The link's code; a link pasted into this same tab changes only the hash, so follow it.
    let stored = RwSignal::new(js::location_hash());
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        stored.set(js::location_hash());
    });
    on_cleanup(move || listener.remove());
    let preview = LocalResource::new(move || {
        let token = stored.get();
        async move {
            let Some(token) = token else {
                return Err(
                    "This link is incomplete: the invitation code after “#” is missing. \
                            Open the link from the email again."
                        .to_owned(),
                );
            };
            auth.anonymous()
                .preview_invitation(&token)
                .await
                .map_err(|err| match api::code(&err) {
                    Some(ErrorCode::InvalidToken | ErrorCode::NotFound) => NOT_VALID.to_owned(),
                    _ => err.message(),
                })
        }
    });
    view! {
        <div class="auth-page">
            <div class="auth-top">
                <ThemeToggle />
            </div>
            <main class="auth-main">
                <div class="auth-brand">
                    <span class="brand-mark">
                        <Icon name=IconName::Logo />
                    </span>
                    <span class="brand-name">"gmac"</span>
                </div>
                {move || match preview.get() {
                    None => view! { <Loading label="Opening your invitation…" /> }.into_any(),
                    Some(Err(message)) => {
                        view! {
                            <section class="auth-card" aria-labelledby="invite-title">
                                <h1 id="invite-title">"Invitation not valid"</h1>
                                <ErrorBanner message=Signal::stored(Some(message)) />
                                <A href="/login" attr:class="button button-block">
                                    "Go to sign-in"
                                </A>
                            </section>
                        }
                            .into_any()
                    }
                    Some(Ok(invitation)) => {
                        view! { <AcceptForm invitation=invitation token=stored /> }.into_any()
                    }
                }}
            </main>
            <p class="auth-footer muted">"gmac · self-hosted cloud control panel"</p>
        </div>
    }
}

/// Checks the form; returns the name and password.
fn validate(
    name: &str,
    password: &str,
    confirm: &str,
) -> Result<(String, String), Vec<FieldError>> {
    let mut problems = Vec::new();
    let name = DisplayName::parse("display_name", name)
        .map_err(|e| problems.push(e))
        .ok();
    if let Err(e) = NewPassword::parse("password", password) {
        problems.push(e);
    }
    if confirm != password {
        problems.push(FieldError::new(
            "password_confirm",
            "mismatch",
            "The passwords do not match.",
        ));
    }
    match name {
        Some(name) if problems.is_empty() => Ok((name.into_inner(), password.to_owned())),
        _ => Err(problems),
    }
}

#[component]
fn AcceptForm(invitation: InvitationPreview, token: RwSignal<Option<String>>) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let email = StoredValue::new(invitation.email.clone());
    let check_password = Callback::new(|value: String| {
        NewPassword::parse("password", &value)
            .err()
            .map(|e| e.detail)
    });
    let check_confirm = Callback::new(move |value: String| {
        (value != password.get_untracked()).then(|| "The passwords do not match.".to_owned())
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        let (display_name, secret) = match validate(
            &name.get_untracked(),
            &password.get_untracked(),
            &confirm.get_untracked(),
        ) {
            Ok(values) => values,
            Err(problems) => {
                errors.set(FormErrors::from_fields(problems));
                submitted.focus_first_invalid();
                return;
            }
        };
        let Some(token) = token.get_untracked() else {
            return;
        };
        let request = AcceptInvitation {
            token: SecretText::new(token),
            display_name,
            password: SecretText::new(secret.clone()),
        };
        errors.set(FormErrors::default());
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let accepted = auth.anonymous().accept_invitation(&request).await;
            if let Err(err) = accepted {
                busy.set(false);
                errors.set(match api::code(&err) {
                    Some(ErrorCode::InvalidToken | ErrorCode::NotFound) => {
                        FormErrors::from_message(NOT_VALID)
                    }
                    Some(ErrorCode::EmailTaken) => FormErrors::from_message(
                        "An account with this address exists already. Sign in instead.",
                    ),
                    _ => FormErrors::from_api(&err, &FIELDS),
                });
                return;
            }
            let options = NavigateOptions {
                replace: true,
                ..NavigateOptions::default()
            };
            match auth.sign_in(email.get_value(), secret).await {
                Ok(SignIn::Done) => navigate("/", options),
                Ok(SignIn::SecondFactor(_)) | Err(_) => navigate("/login", options),
            }
        });
    };

    let scope = invitation
        .scope_name
        .clone()
        .map(|s| format!(" for {s}"))
        .unwrap_or_default();
    let zone = js::browser_time_zone();
    let expires = date_time_label(&invitation.expires_at, zone.as_deref());
    view! {
        <section class="auth-card auth-card-wide" aria-labelledby="invite-title">
            <h1 id="invite-title">"Join gmac"</h1>
            <p class="muted" id="invite-summary">
                <strong>{invitation.invited_by.clone()}</strong>
                " invited you to join as "
                <strong>{invitation.role_name.clone()}</strong>
                {scope}
                "."
            </p>
            <dl class="details details-compact">
                <div>
                    <dt>"You sign in with"</dt>
                    <dd id="invite-email">{invitation.email.clone()}</dd>
                </div>
                <div>
                    <dt>"The invitation expires"</dt>
                    <dd>{expires}</dd>
                </div>
            </dl>
            <ErrorBanner message=banner />
            <form class="form" novalidate=true on:submit=submit>
                // For password managers: the account the new password belongs to.
                <input
                    type="email"
                    class="visually-hidden"
                    autocomplete="username"
                    tabindex="-1"
                    aria-hidden="true"
                    readonly=true
                    prop:value=invitation.email.clone()
                />
                <FormField
                    id="invite-display-name"
                    field="display_name"
                    label="Your name"
                    autocomplete="name"
                    value=name
                    errors=errors
                    hint="Shown to others in gmac."
                    autofocus=true
                    disabled=busy
                />
                <FormField
                    id="invite-password"
                    field="password"
                    label="Password"
                    input_type="password"
                    autocomplete="new-password"
                    value=password
                    errors=errors
                    check=check_password
                    hint="At least 12 characters. A few unrelated words make a good one."
                    disabled=busy
                />
                <FormField
                    id="invite-password-confirm"
                    field="password_confirm"
                    label="Confirm password"
                    input_type="password"
                    autocomplete="new-password"
                    value=confirm
                    errors=errors
                    check=check_confirm
                    disabled=busy
                />
                <SubmitButton id="accept-invitation" label="Create my account" busy_label="Creating your account…" busy=busy />
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn the_form_is_checked_before_sending() {
        assert!(validate("Grace", "a long enough password", "a long enough password").is_ok());
        let problems = validate("", "short", "other").err().unwrap_or_default();
        let pointers: Vec<&str> = problems.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/display_name", "/password", "/password_confirm"]
        );
    }
}
