//! First-run setup: creates the first Super Admin with the token `gmac serve` printed, then
//! signs in as them.

use gmac_types::validation::{DisplayName, EmailAddress, NewPassword};
use gmac_types::{ErrorCode, FieldError, SecretText, SetupRequest};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::pages::focus;
use crate::state::{Auth, SignIn, use_auth};

/// The fields of the setup form, as the server names them, with their input ids, in order.
const FIELDS: [(&str, &str); 5] = [
    ("setup_token", "setup-token"),
    ("email", "setup-email"),
    ("display_name", "setup-display-name"),
    ("password", "setup-password"),
    ("password_confirm", "setup-password-confirm"),
];

/// What was typed into the form.
#[derive(Clone, Debug, Default)]
struct SetupInput {
    token: String,
    email: String,
    display_name: String,
    password: String,
    confirm: String,
}

/// The first-run form. `notice` carries a message to the sign-in form when setup turns out
/// to be done already.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "one form: its five fields read best together, in order"
)]
pub fn SetupForm(notice: RwSignal<Option<String>>) -> impl IntoView {
    let auth = use_auth();
    let token = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));

    let check_email =
        Callback::new(|value: String| EmailAddress::parse("email", &value).err().map(|e| e.detail));
    let check_name = Callback::new(|value: String| {
        DisplayName::parse("display_name", &value)
            .err()
            .map(|e| e.detail)
    });
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
        if busy.get_untracked() {
            return;
        }
        let input = SetupInput {
            token: token.get_untracked(),
            email: email.get_untracked(),
            display_name: display_name.get_untracked(),
            password: password.get_untracked(),
            confirm: confirm.get_untracked(),
        };
        match validate(&input) {
            Ok(request) => {
                errors.set(FormErrors::default());
                notice.set(None);
                busy.set(true);
                spawn_local(async move {
                    let failure = send(auth, request, input.password, notice).await;
                    busy.set(false);
                    if let Some(form_errors) = failure {
                        focus_first(&form_errors.fields);
                        errors.set(form_errors);
                    }
                });
            }
            Err(problems) => {
                focus_first(&problems);
                errors.set(FormErrors::from_fields(problems));
            }
        }
    };

    view! {
        <section class="auth-card auth-card-wide" aria-labelledby="setup-title">
            <h1 id="setup-title">"Set up gmac"</h1>
            <p class="muted">
                "Create the first administrator account. The setup token was printed in the \
                 console where gmac started."
            </p>
            <NoticeBanner message=notice />
            <ErrorBanner message=banner />
            <form class="form" novalidate=true on:submit=submit>
                <FormField
                    id="setup-token"
                    field="setup_token"
                    label="Setup token"
                    autocomplete="off"
                    value=token
                    errors=errors
                    mono=true
                    autofocus=true
                    disabled=busy
                />
                <FormField
                    id="setup-email"
                    field="email"
                    label="Email"
                    input_type="email"
                    autocomplete="username"
                    value=email
                    errors=errors
                    check=check_email
                    hint="You sign in with this address."
                    disabled=busy
                />
                <FormField
                    id="setup-display-name"
                    field="display_name"
                    label="Display name"
                    autocomplete="name"
                    value=display_name
                    errors=errors
                    check=check_name
                    disabled=busy
                />
                <FormField
                    id="setup-password"
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
                    id="setup-password-confirm"
                    field="password_confirm"
                    label="Confirm password"
                    input_type="password"
                    autocomplete="new-password"
                    value=confirm
                    errors=errors
                    check=check_confirm
                    disabled=busy
                />
                <SubmitButton
                    id="complete-setup"
                    label="Create administrator"
                    busy_label="Creating account…"
                    busy=busy
                />
            </form>
        </section>
    }
}

/// Checks every field with the server's own rules, keeping every problem.
fn validate(input: &SetupInput) -> Result<SetupRequest, Vec<FieldError>> {
    let mut problems = Vec::new();
    let token = input.token.trim();
    if token.is_empty() {
        problems.push(FieldError::new(
            "setup_token",
            "required",
            "Enter the setup token from the server's console.",
        ));
    }
    let email = EmailAddress::parse("email", &input.email)
        .map_err(|e| problems.push(e))
        .ok();
    let display_name = DisplayName::parse("display_name", &input.display_name)
        .map_err(|e| problems.push(e))
        .ok();
    if let Err(e) = NewPassword::parse("password", &input.password) {
        problems.push(e);
    }
    if input.confirm.is_empty() {
        problems.push(FieldError::new(
            "password_confirm",
            "required",
            "Repeat the password.",
        ));
    } else if input.confirm != input.password {
        problems.push(FieldError::new(
            "password_confirm",
            "mismatch",
            "The passwords do not match.",
        ));
    }
    match (email, display_name) {
        (Some(email), Some(display_name)) if problems.is_empty() => Ok(SetupRequest {
            setup_token: SecretText::new(token),
            email: email.into_inner(),
            password: SecretText::new(input.password.clone()),
            display_name: display_name.into_inner(),
        }),
        _ => Err(problems),
    }
}

/// Completes setup and signs in. Returns the form's errors when setup failed; when it
/// succeeded (or was done already) the status change takes the page onwards.
async fn send(
    auth: Auth,
    request: SetupRequest,
    password: String,
    notice: RwSignal<Option<String>>,
) -> Option<FormErrors> {
    let Err(err) = auth.anonymous().complete_setup(&request).await else {
        match auth.sign_in(request.email, password).await {
            Ok(SignIn::Done) => {}
            Ok(SignIn::SecondFactor(_)) => {
                notice.set(Some(
                    "The administrator account is ready. Sign in below.".to_owned(),
                ));
                auth.mark_setup_done();
            }
            Err(err) => {
                notice.set(Some(format!(
                    "The administrator account is ready, but signing in failed: {} Sign in \
                     below.",
                    err.message()
                )));
                auth.mark_setup_done();
            }
        }
        return None;
    };
    match err.problem().map(|p| p.code) {
        Some(ErrorCode::SetupAlreadyDone) => {
            notice.set(Some(
                "Setup was already completed. Sign in with your account.".to_owned(),
            ));
            auth.mark_setup_done();
            None
        }
        // The server's wording is about sessions; this is the one-time setup token.
        Some(ErrorCode::InvalidToken) => Some(FormErrors {
            banner: Some(
                "The setup token is not valid. It may be mistyped, or it expired (it lasts 24 \
                 hours: restart gmac for a new one)."
                    .to_owned(),
            ),
            fields: vec![FieldError::new(
                "setup_token",
                "invalid_token",
                "Check the token printed in the server's console.",
            )],
        }),
        _ => Some(FormErrors::from_api(&err, &FIELDS.map(|(name, _)| name))),
    }
}

/// Focuses the input of the first field (in form order) that has a problem.
fn focus_first(problems: &[FieldError]) {
    let first = FIELDS
        .iter()
        .find(|(name, _)| problems.iter().any(|p| p.pointer == format!("/{name}")));
    if let Some((_, id)) = first {
        focus(id);
    }
}
