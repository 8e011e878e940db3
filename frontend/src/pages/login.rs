//! `/login`: the sign-in form, or first-run setup while no administrator exists.

use gmac_types::validation::EmailAddress;
use gmac_types::{ErrorCode, FieldError, MfaVerification, SecretText};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api;
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::icon::{Icon, IconName};
use crate::components::spinner::Loading;
use crate::components::theme_toggle::ThemeToggle;
use crate::pages::setup::SetupForm;
use crate::pages::{focus, focus_later, set_title};
use crate::state::{AuthStatus, SignIn, SignOutReason, use_auth};

/// The fields of the sign-in form, as the server names them.
const FIELDS: [&str; 2] = ["email", "password"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    SignIn,
    Setup,
    /// Signed in: on the way to the page that was asked for.
    Leaving,
}

/// The sign-in page. Once signed in it goes to `?next=` (a path in this app) or home.
#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let navigate = use_navigate();
    let notice = RwSignal::new(match auth.status_untracked() {
        AuthStatus::SignedOut {
            reason: SignOutReason::Expired,
            ..
        } => Some("Your session has ended. Sign in again.".to_owned()),
        AuthStatus::SignedOut {
            reason: SignOutReason::SignedOut,
            ..
        } => Some("You have signed out.".to_owned()),
        _ => None,
    });
    let mode = Memo::new(move |_| match auth.status() {
        AuthStatus::SignedOut {
            setup_required: true,
            ..
        } => Mode::Setup,
        AuthStatus::SignedIn => Mode::Leaving,
        _ => Mode::SignIn,
    });
    Effect::new(move |_| {
        if mode.get() == Mode::Leaving {
            let next = query.with_untracked(|q| safe_next(q.get("next").as_deref()));
            let options = NavigateOptions {
                replace: true,
                ..NavigateOptions::default()
            };
            navigate(&next, options);
        }
    });
    Effect::new(move |_| {
        set_title(match mode.get() {
            Mode::Setup => "Set up",
            Mode::SignIn | Mode::Leaving => "Sign in",
        });
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
                {move || match mode.get() {
                    Mode::SignIn => view! { <SignInForm notice=notice /> }.into_any(),
                    Mode::Setup => view! { <SetupForm notice=notice /> }.into_any(),
                    Mode::Leaving => view! { <Loading label="Signing in…" /> }.into_any(),
                }}
            </main>
            <p class="auth-footer muted">"gmac · self-hosted cloud control panel"</p>
        </div>
    }
}

/// Where to go after sign-in: `next` when it is a path in this app, otherwise home. Never
/// another origin (`//host`, `/\host`) and never back to `/login`.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.starts_with("/login") =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Where the sign-in form is: the password, or the second factor after it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Password,
    /// The authenticator's code, with the token of the password step.
    Code(SecretText),
    /// A recovery code instead.
    Recovery(SecretText),
}

#[component]
fn SignInForm(notice: RwSignal<Option<String>>) -> impl IntoView {
    let step = RwSignal::new(Step::Password);
    // Kept here, so "Start over" from the second step comes back with the address filled in.
    let email = RwSignal::new(String::new());
    move || match step.get() {
        Step::Password => view! { <PasswordStep notice=notice step=step email=email /> }.into_any(),
        Step::Code(token) => {
            view! { <SecondFactorStep notice=notice step=step token=token recovery=false /> }
                .into_any()
        }
        Step::Recovery(token) => {
            view! { <SecondFactorStep notice=notice step=step token=token recovery=true /> }
                .into_any()
        }
    }
}

#[component]
fn PasswordStep(
    notice: RwSignal<Option<String>>,
    step: RwSignal<Step>,
    email: RwSignal<String>,
) -> impl IntoView {
    let auth = use_auth();
    if !email.with_untracked(String::is_empty) {
        request_animation_frame(|| focus("password"));
    }
    let password = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let check_email =
        Callback::new(|value: String| EmailAddress::parse("email", &value).err().map(|e| e.detail));

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let email_value = email.get_untracked().trim().to_owned();
        let password_value = password.get_untracked();
        // Only presence here: the server judges the rest, and answers per field.
        let mut missing = Vec::new();
        if email_value.is_empty() {
            missing.push(FieldError::new(
                "email",
                "required",
                "Enter your email address.",
            ));
        }
        if password_value.is_empty() {
            missing.push(FieldError::new(
                "password",
                "required",
                "Enter your password.",
            ));
        }
        if let Some(first) = missing.first() {
            focus(if first.pointer == "/email" {
                "email"
            } else {
                "password"
            });
            errors.set(FormErrors::from_fields(missing));
            return;
        }
        errors.set(FormErrors::default());
        notice.set(None);
        busy.set(true);
        spawn_local(async move {
            let result = auth.sign_in(email_value, password_value).await;
            busy.set(false);
            match result {
                // The status change takes the page onwards.
                Ok(SignIn::Done) => {}
                Ok(SignIn::SecondFactor(token)) => step.set(Step::Code(token)),
                Err(err) => {
                    let form_errors = FormErrors::from_api(&err, &FIELDS);
                    if form_errors.has("email") {
                        focus_later("email");
                    } else if form_errors.has("password") {
                        focus_later("password");
                    }
                    errors.set(form_errors);
                }
            }
        });
    };

    view! {
        <section class="auth-card" aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">"Sign in"</h1>
            <p class="muted">"Use your gmac account."</p>
            <NoticeBanner message=notice />
            <ErrorBanner message=banner />
            <form class="form" novalidate=true on:submit=submit>
                <FormField
                    id="email"
                    field="email"
                    label="Email"
                    input_type="email"
                    autocomplete="username"
                    value=email
                    errors=errors
                    check=check_email
                    autofocus=email.with_untracked(String::is_empty)
                    disabled=busy
                />
                <FormField
                    id="password"
                    field="password"
                    label="Password"
                    input_type="password"
                    autocomplete="current-password"
                    value=password
                    errors=errors
                    disabled=busy
                />
                <SubmitButton id="sign-in" label="Sign in" busy_label="Signing in…" busy=busy />
            </form>
        </section>
    }
}

/// The second step: the authenticator's six-digit code (`#mfa-code`), or a recovery code
/// (`#recovery-code`); both are sent with `#verify-mfa`.
#[component]
fn SecondFactorStep(
    notice: RwSignal<Option<String>>,
    step: RwSignal<Step>,
    token: SecretText,
    recovery: bool,
) -> impl IntoView {
    let auth = use_auth();
    let value = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let field = if recovery { "recovery_code" } else { "code" };
    let input_id = if recovery {
        "recovery-code"
    } else {
        "mfa-code"
    };
    let token = StoredValue::new(token);
    // The input appears in place of the password form: put the cursor in it.
    request_animation_frame(move || focus(input_id));

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let answer = match check_second_factor(&value.get_untracked(), recovery) {
            Ok(answer) => answer,
            Err(message) => {
                errors.set(FormErrors::from_fields(vec![FieldError::new(
                    field, "invalid", message,
                )]));
                focus(input_id);
                return;
            }
        };
        let mfa_token = token.get_value();
        let verification = if recovery {
            MfaVerification {
                mfa_token,
                code: None,
                recovery_code: Some(SecretText::new(answer)),
            }
        } else {
            MfaVerification {
                mfa_token,
                code: Some(SecretText::new(answer)),
                recovery_code: None,
            }
        };
        errors.set(FormErrors::default());
        notice.set(None);
        busy.set(true);
        spawn_local(async move {
            let result = auth.complete_mfa(verification).await;
            busy.set(false);
            let Err(err) = result else { return };
            match api::code(&err) {
                Some(ErrorCode::InvalidMfaCode) => {
                    // Said once, in the banner; the emptied field gets the cursor.
                    errors.set(FormErrors::from_message(if recovery {
                        "That code is not valid. Each recovery code works only once."
                    } else {
                        "That code is not valid. Check your authenticator app and enter the \
                         code it shows now."
                    }));
                    value.set(String::new());
                    focus_later(input_id);
                }
                Some(ErrorCode::InvalidToken) => {
                    notice.set(Some(
                        "The sign-in took too long (the second step lasts 5 minutes). Enter \
                         your password again."
                            .to_owned(),
                    ));
                    step.set(Step::Password);
                }
                _ => errors.set(FormErrors::from_message(err.message())),
            }
        });
    };
    let switch = move |_| {
        let token = token.get_value();
        step.set(if recovery {
            Step::Code(token)
        } else {
            Step::Recovery(token)
        });
    };

    view! {
        <section class="auth-card" aria-labelledby="mfa-title">
            <h1 id="mfa-title">"Two-step verification"</h1>
            <p class="muted">
                {if recovery {
                    "Enter one of the recovery codes you saved when you set up MFA. Each code \
                     works once."
                } else {
                    "Enter the 6-digit code from your authenticator app."
                }}
            </p>
            <NoticeBanner message=notice />
            <ErrorBanner message=banner />
            <form class="form" novalidate=true on:submit=submit>
                {if recovery {
                    view! {
                        <FormField
                            id="recovery-code"
                            field="recovery_code"
                            label="Recovery code"
                            autocomplete="off"
                            value=value
                            errors=errors
                            mono=true
                            disabled=busy
                        />
                    }
                        .into_any()
                } else {
                    view! {
                        <FormField
                            id="mfa-code"
                            field="code"
                            label="Code"
                            autocomplete="one-time-code"
                            inputmode="numeric"
                            value=value
                            errors=errors
                            mono=true
                            disabled=busy
                        />
                    }
                        .into_any()
                }}
                <SubmitButton id="verify-mfa" label="Verify" busy_label="Verifying…" busy=busy />
            </form>
            <div class="auth-links">
                {if recovery {
                    view! {
                        <button type="button" class="link-button" id="use-totp-code" on:click=switch>
                            "Use the authenticator app instead"
                        </button>
                    }
                        .into_any()
                } else {
                    view! {
                        <button
                            type="button"
                            class="link-button"
                            id="use-recovery-code"
                            on:click=switch
                        >
                            "Use a recovery code"
                        </button>
                    }
                        .into_any()
                }}
                <button
                    type="button"
                    class="link-button"
                    id="back-to-password"
                    on:click=move |_| step.set(Step::Password)
                >
                    "Start over"
                </button>
            </div>
        </section>
    }
}

/// Checks a second-factor answer before it is sent: six digits (spaces allowed, as apps show
/// "123 456"), or a non-blank recovery code. Returns the answer to send.
fn check_second_factor(raw: &str, recovery: bool) -> Result<String, &'static str> {
    if recovery {
        let code = raw.trim();
        if code.is_empty() {
            Err("Enter one of your recovery codes.")
        } else {
            Ok(code.to_owned())
        }
    } else {
        let code: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if code.is_empty() {
            Err("Enter the code from your authenticator app.")
        } else if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            Err("The code has 6 digits.")
        } else {
            Ok(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{check_second_factor, safe_next};

    #[test]
    fn second_factor_answers_are_checked_before_sending() {
        assert_eq!(
            check_second_factor(" 123 456 ", false),
            Ok("123456".to_owned())
        );
        assert!(check_second_factor("12345", false).is_err());
        assert!(check_second_factor("12345a", false).is_err());
        assert_eq!(
            check_second_factor(" abcd-efgh ", true),
            Ok("abcd-efgh".to_owned())
        );
        assert!(check_second_factor(" ", true).is_err());
    }

    #[test]
    fn next_stays_inside_the_app() {
        assert_eq!(safe_next(Some("/costs?month=3")), "/costs?month=3");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/login?next=/x")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
