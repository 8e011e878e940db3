//! Changing the password.

use gmac_types::validation::NewPassword;
use gmac_types::{ErrorCode, FieldError, PasswordChange, SecretText};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::pages::SubmittedForm;
use crate::state::use_auth;

/// The fields, as the server names them.
const FIELDS: [&str; 3] = ["current_password", "new_password", "new_password_confirm"];

/// Checks the new password and its repetition; returns the request to send.
fn validate(
    current: &str,
    new: &str,
    confirm: &str,
    end_others: bool,
) -> Result<PasswordChange, Vec<FieldError>> {
    let mut problems = Vec::new();
    if current.is_empty() {
        problems.push(FieldError::new(
            "current_password",
            "required",
            "Enter your current password.",
        ));
    }
    if let Err(e) = NewPassword::parse("new_password", new) {
        problems.push(e);
    } else if new == current {
        problems.push(FieldError::new(
            "new_password",
            "unchanged",
            "The new password is the same as the current one.",
        ));
    }
    if confirm != new {
        problems.push(FieldError::new(
            "new_password_confirm",
            "mismatch",
            "The passwords do not match.",
        ));
    }
    if problems.is_empty() {
        Ok(PasswordChange {
            current_password: SecretText::new(current),
            new_password: SecretText::new(new),
            end_other_sessions: end_others,
        })
    } else {
        Err(problems)
    }
}

/// The password card.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "one form: its fields read best together, in order"
)]
pub fn PasswordCard(
    /// Bumped when other sessions were signed out.
    sessions_changed: RwSignal<u32>,
) -> impl IntoView {
    let auth = use_auth();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let end_others = RwSignal::new(true);
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let done = RwSignal::new(None::<String>);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let check_new = Callback::new(|value: String| {
        NewPassword::parse("new_password", &value)
            .err()
            .map(|e| e.detail)
    });
    let check_confirm = Callback::new(move |value: String| {
        (value != new.get_untracked()).then(|| "The passwords do not match.".to_owned())
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        done.set(None);
        let request = match validate(
            &current.get_untracked(),
            &new.get_untracked(),
            &confirm.get_untracked(),
            end_others.get_untracked(),
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
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let request = request.clone();
                    async move { c.change_password(&request).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(ended) => {
                    current.set(String::new());
                    new.set(String::new());
                    confirm.set(String::new());
                    done.set(Some(match ended.ended {
                        0 => "Your password is changed.".to_owned(),
                        1 => "Your password is changed, and 1 other session was signed out."
                            .to_owned(),
                        n => format!(
                            "Your password is changed, and {n} other sessions were signed out."
                        ),
                    }));
                    sessions_changed.update(|n| *n += 1);
                }
                Err(err) if api::is(&err, ErrorCode::InvalidCredentials) => {
                    errors.set(FormErrors::from_fields(vec![FieldError::new(
                        "current_password",
                        "invalid_credentials",
                        "The current password is not right.",
                    )]));
                    submitted.focus_first_invalid();
                }
                Err(err) => {
                    errors.set(FormErrors::from_api(&err, &FIELDS));
                    submitted.focus_first_invalid();
                }
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title" class="card-title">
                "Password"
            </h2>
            <form class="form card-body" novalidate=true on:submit=submit>
                <NoticeBanner message=done />
                <ErrorBanner message=banner />
                // For password managers: the account the password belongs to.
                <input
                    type="email"
                    class="visually-hidden"
                    autocomplete="username"
                    tabindex="-1"
                    aria-hidden="true"
                    readonly=true
                    prop:value=move || auth.with_me(|m| m.map(|m| m.email.clone())).unwrap_or_default()
                />
                <FormField
                    id="current-password"
                    field="current_password"
                    label="Current password"
                    input_type="password"
                    autocomplete="current-password"
                    value=current
                    errors=errors
                    disabled=busy
                />
                <div class="field-row">
                    <FormField
                        id="new-password"
                        field="new_password"
                        label="New password"
                        input_type="password"
                        autocomplete="new-password"
                        value=new
                        errors=errors
                        check=check_new
                        hint="At least 12 characters."
                        disabled=busy
                    />
                    <FormField
                        id="confirm-password"
                        field="new_password_confirm"
                        label="Repeat the new password"
                        input_type="password"
                        autocomplete="new-password"
                        value=confirm
                        errors=errors
                        check=check_confirm
                        disabled=busy
                    />
                </div>
                <label class="check" for="end-other-sessions">
                    <input
                        id="end-other-sessions"
                        type="checkbox"
                        bind:checked=end_others
                        disabled=move || busy.get()
                    />
                    <span>
                        <span class="check-label">"Sign out everywhere else"</span>
                        <span class="check-hint">
                            "Other browsers and apps signed in to your account must sign in again."
                        </span>
                    </span>
                </label>
                <div class="form-actions">
                    <SubmitButton
                        id="change-password"
                        label="Change password"
                        busy_label="Changing…"
                        busy=busy
                        inline=true
                    />
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn the_new_password_is_checked_before_sending() {
        let ok = validate(
            "old password here",
            "a new long password",
            "a new long password",
            true,
        );
        assert!(ok.is_ok_and(|r| r.end_other_sessions));
        let short = validate("old", "short", "short", false)
            .err()
            .unwrap_or_default();
        assert!(short.iter().any(|e| e.pointer == "/new_password"));
        let mismatch = validate("old", "a new long password", "another one", false)
            .err()
            .unwrap_or_default();
        assert!(
            mismatch
                .iter()
                .any(|e| e.pointer == "/new_password_confirm")
        );
        let missing = validate("", "a new long password", "a new long password", false)
            .err()
            .unwrap_or_default();
        assert!(missing.iter().any(|e| e.pointer == "/current_password"));
    }
}
