//! Two-step verification (TOTP): set it up (QR code, secret, first code), save the recovery
//! codes shown once, replace them, or turn it off.

use gmac_client::ApiError;
use gmac_types::{DisableMfa, ErrorCode, FieldError, SecretText, TotpEnrollment};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::copy::{CopyButton, DownloadButton};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::modal::Modal;
use crate::components::spinner::Spinner;
use crate::pages::focus;
use crate::state::{Auth, use_auth};

/// Where the card is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// MFA is off.
    Off,
    /// Enrolment started: the QR code and secret are shown, waiting for the first code.
    Scanning(TotpEnrollment),
    /// Recovery codes just issued, shown this once. `enrolled`: right after setup (the next
    /// step offers to sign out other sessions) rather than a replacement.
    Codes { codes: Vec<String>, enrolled: bool },
    /// Set up just now.
    Done,
    /// MFA is on.
    On,
}

/// The form errors for a wrong code (`invalid_mfa_code`) under `field`, or the failure's own.
fn code_errors(err: &ApiError, field: &str, known: &[&str]) -> FormErrors {
    if api::is(err, ErrorCode::InvalidMfaCode) {
        FormErrors::from_fields(vec![FieldError::new(
            field,
            "invalid_mfa_code",
            "That code is not valid. Check the app and try the current code.",
        )])
    } else {
        FormErrors::from_api(err, known)
    }
}

/// Six digits from what was typed (spaces allowed), or the message for the field.
fn six_digits(raw: &str) -> Result<String, &'static str> {
    let code: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()) {
        Ok(code)
    } else {
        Err("Enter the 6-digit code from your authenticator app.")
    }
}

/// The base32 secret in groups of four, easier to type.
fn grouped(secret: &str) -> String {
    secret
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The MFA card.
#[component]
pub fn MfaCard(
    /// Set up is required before anything else (the page shows only this card).
    enrolling: bool,
    /// Bumped when other sessions are ended from here.
    sessions_changed: RwSignal<u32>,
) -> impl IntoView {
    let auth = use_auth();
    let on = auth.with_me_untracked(|me| me.is_some_and(|m| m.mfa_enabled));
    let phase = RwSignal::new(if on { Phase::On } else { Phase::Off });
    let status = move || match phase.get() {
        Phase::On | Phase::Done | Phase::Codes { .. } => ("On", "badge badge-success"),
        Phase::Off | Phase::Scanning(_) => ("Off", "badge badge-warning"),
    };
    view! {
        <section class="card" aria-labelledby="mfa-title">
            <header class="card-header">
                <h2 id="mfa-title">"Two-step verification"</h2>
                <span class=move || status().1 id="mfa-status">
                    {move || status().0}
                </span>
            </header>
            <div class="card-body">
                {move || match phase.get() {
                    Phase::Off => view! { <Start phase=phase /> }.into_any(),
                    Phase::Scanning(enrollment) => {
                        view! { <Scan phase=phase enrollment=enrollment /> }.into_any()
                    }
                    Phase::Codes { codes, enrolled } => {
                        view! { <Codes phase=phase codes=codes enrolled=enrolled /> }.into_any()
                    }
                    Phase::Done => {
                        view! { <Done enrolling=enrolling sessions_changed=sessions_changed /> }
                            .into_any()
                    }
                    Phase::On => view! { <Enabled phase=phase /> }.into_any(),
                }}
            </div>
        </section>
    }
}

#[component]
fn Start(phase: RwSignal<Phase>) -> impl IntoView {
    let auth = use_auth();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let start = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = auth
                .call(|c| async move { c.start_totp_enrollment().await })
                .await;
            busy.set(false);
            match result {
                Ok(enrollment) => phase.set(Phase::Scanning(enrollment)),
                Err(err) => error.set(Some(api::describe(&err))),
            }
        });
    };
    view! {
        <p>
            "Protect your account with a second step at sign-in: a 6-digit code from an \
             authenticator app on your phone (such as Aegis, Google Authenticator, 1Password or \
             Microsoft Authenticator)."
        </p>
        <ErrorBanner message=error />
        <div class="button-row">
            <button
                type="button"
                id="start-mfa"
                class="button button-primary"
                disabled=move || busy.get()
                on:click=start
            >
                {move || busy.get().then(|| view! { <Spinner /> })}
                <span>"Set up two-step verification"</span>
            </button>
        </div>
    }
}

#[component]
fn Scan(phase: RwSignal<Phase>, enrollment: TotpEnrollment) -> impl IntoView {
    let auth = use_auth();
    let code = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let secret = grouped(enrollment.secret.expose());
    let confirm = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let value = match six_digits(&code.get_untracked()) {
            Ok(value) => value,
            Err(message) => {
                errors.set(FormErrors::from_fields(vec![FieldError::new(
                    "code", "invalid", message,
                )]));
                focus("mfa-confirm-code");
                return;
            }
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let value = value.clone();
                    async move { c.confirm_totp_enrollment(&value).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(codes) => phase.set(Phase::Codes {
                    codes: expose_all(&codes.recovery_codes),
                    enrolled: true,
                }),
                Err(err) => {
                    errors.set(code_errors(&err, "code", &["code"]));
                    code.set(String::new());
                    focus("mfa-confirm-code");
                }
            }
        });
    };
    view! {
        <ol class="steps">
            <li>
                <p>"Scan this QR code with your authenticator app."</p>
                // The SVG is generated by the server from the secret: no user content.
                <div class="qr" inner_html=enrollment.qr_svg></div>
                <p class="muted">"Cannot scan it? Type this key into the app instead:"</p>
                <div class="secret-row">
                    <code id="mfa-secret" class="secret-value">
                        {secret}
                    </code>
                    <CopyButton text=enrollment.secret.expose().to_owned() />
                </div>
            </li>
            <li>
                <p>"Enter the 6-digit code the app shows to finish."</p>
                <ErrorBanner message=banner />
                <form class="form form-inline" novalidate=true on:submit=confirm>
                    <FormField
                        id="mfa-confirm-code"
                        field="code"
                        label="Code"
                        autocomplete="one-time-code"
                        inputmode="numeric"
                        value=code
                        errors=errors
                        mono=true
                        disabled=busy
                    />
                    <div class="form-actions">
                        <SubmitButton
                            id="confirm-mfa"
                            label="Turn on"
                            busy_label="Checking…"
                            busy=busy
                            inline=true
                        />
                        <button
                            type="button"
                            class="button"
                            disabled=move || busy.get()
                            on:click=move |_| phase.set(Phase::Off)
                        >
                            "Cancel"
                        </button>
                    </div>
                </form>
            </li>
        </ol>
    }
}

fn expose_all(codes: &[SecretText]) -> Vec<String> {
    codes.iter().map(|c| c.expose().to_owned()).collect()
}

#[component]
fn Codes(phase: RwSignal<Phase>, codes: Vec<String>, enrolled: bool) -> impl IntoView {
    let text = format!(
        "gmac recovery codes\nEach code signs you in once if you lose your authenticator.\n\n{}\n",
        codes.join("\n")
    );
    view! {
        <div class="secret-box" role="status">
            <p class="secret-warning">
                <span>
                    <strong>"Save your recovery codes now."</strong>
                    " If you lose your phone, each of these codes signs you in once. They are \
                     shown only this once."
                </span>
            </p>
            <ul id="recovery-codes" class="code-list">
                {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
            </ul>
            <div class="button-row">
                <CopyButton text=text.clone() label="Copy all" id="copy-recovery-codes" />
                <DownloadButton text=text file_name="gmac-recovery-codes.txt" />
            </div>
        </div>
        <div class="button-row">
            <button
                type="button"
                id="recovery-codes-saved"
                class="button button-primary"
                on:click=move |_| phase.set(if enrolled { Phase::Done } else { Phase::On })
            >
                "I have saved them"
            </button>
        </div>
    }
}

#[component]
fn Done(enrolling: bool, sessions_changed: RwSignal<u32>) -> impl IntoView {
    let auth = use_auth();
    let busy = RwSignal::new(false);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    if !enrolling {
        // The account now shows MFA as on; in enrolment the reload waits for "Continue", as
        // it opens the rest of the app and replaces this page.
        spawn_local(async move {
            if let Err(message) = auth.refresh_me().await {
                leptos::logging::warn!("could not reload the account: {message}");
            }
        });
    }
    let end_others = move |_| end_other_sessions(auth, busy, notice, error, sessions_changed);
    view! {
        <NoticeBanner message=Signal::stored(
            Some("Two-step verification is on. You will be asked for a code when you sign in.".to_owned()),
        ) />
        <p>
            "Browsers and apps already signed in to your account stay signed in. If you set this \
             up because you fear someone else has your password, sign them out."
        </p>
        <NoticeBanner message=notice />
        <ErrorBanner message=error />
        <div class="button-row">
            <button
                type="button"
                id="mfa-end-other-sessions"
                class="button"
                disabled=move || busy.get() || notice.with(Option::is_some)
                on:click=end_others
            >
                {move || busy.get().then(|| view! { <Spinner /> })}
                <span>"Sign out other sessions"</span>
            </button>
            {enrolling
                .then(|| {
                    view! {
                        <button
                            type="button"
                            id="mfa-continue"
                            class="button button-primary"
                            on:click=move |_| {
                                spawn_local(async move {
                                    if let Err(message) = auth.refresh_me().await {
                                        error.set(Some(message));
                                    }
                                });
                            }
                        >
                            "Continue to gmac"
                        </button>
                    }
                })}
        </div>
    }
}

/// Ends every other session of the user, reporting in `notice` or `error`.
pub fn end_other_sessions(
    auth: Auth,
    busy: RwSignal<bool>,
    notice: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
    sessions_changed: RwSignal<u32>,
) {
    busy.set(true);
    error.set(None);
    spawn_local(async move {
        let result = auth
            .call(|c| async move { c.end_other_sessions().await })
            .await;
        busy.set(false);
        match result {
            Ok(ended) => {
                notice.set(Some(match ended.ended {
                    0 => "There were no other sessions.".to_owned(),
                    1 => "1 other session was signed out.".to_owned(),
                    n => format!("{n} other sessions were signed out."),
                }));
                sessions_changed.update(|n| *n += 1);
            }
            Err(err) => error.set(Some(api::describe(&err))),
        }
    });
}

#[component]
fn Enabled(phase: RwSignal<Phase>) -> impl IntoView {
    let regenerating = RwSignal::new(false);
    let disabling = RwSignal::new(false);
    view! {
        <p>"You are asked for a code from your authenticator app when you sign in."</p>
        <div class="button-row">
            <button
                type="button"
                id="regenerate-recovery-codes"
                class="button"
                on:click=move |_| regenerating.update(|r| *r = !*r)
            >
                "New recovery codes"
            </button>
            <button
                type="button"
                id="disable-mfa-open"
                class="button button-danger-quiet"
                on:click=move |_| disabling.set(true)
            >
                "Turn off"
            </button>
        </div>
        <Show when=move || regenerating.get()>
            <Regenerate phase=phase open=regenerating />
        </Show>
        <Show when=move || disabling.get()>
            <DisableDialog phase=phase open=disabling />
        </Show>
    }
}

#[component]
fn Regenerate(phase: RwSignal<Phase>, open: RwSignal<bool>) -> impl IntoView {
    let auth = use_auth();
    let code = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let value = match six_digits(&code.get_untracked()) {
            Ok(value) => value,
            Err(message) => {
                errors.set(FormErrors::from_fields(vec![FieldError::new(
                    "code", "invalid", message,
                )]));
                return;
            }
        };
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let value = value.clone();
                    async move { c.regenerate_recovery_codes(&value).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(codes) => {
                    open.set(false);
                    phase.set(Phase::Codes {
                        codes: expose_all(&codes.recovery_codes),
                        enrolled: false,
                    });
                }
                Err(err) => errors.set(code_errors(&err, "code", &["code"])),
            }
        });
    };
    view! {
        <div class="subpanel">
            <p>
                "New codes replace the old ones, which stop working. Enter a current code from \
                 your app to confirm."
            </p>
            <ErrorBanner message=banner />
            <form class="form form-inline" novalidate=true on:submit=submit>
                <FormField
                    id="regenerate-code"
                    field="code"
                    label="Code"
                    autocomplete="one-time-code"
                    inputmode="numeric"
                    value=code
                    errors=errors
                    mono=true
                    autofocus=true
                    disabled=busy
                />
                <div class="form-actions">
                    <SubmitButton
                        id="confirm-regenerate"
                        label="Replace recovery codes"
                        busy_label="Replacing…"
                        busy=busy
                        inline=true
                    />
                </div>
            </form>
        </div>
    }
}

#[component]
fn DisableDialog(phase: RwSignal<Phase>, open: RwSignal<bool>) -> impl IntoView {
    let auth = use_auth();
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let mut problems = Vec::new();
        if password.get_untracked().is_empty() {
            problems.push(FieldError::new(
                "password",
                "required",
                "Enter your password.",
            ));
        }
        let value = six_digits(&code.get_untracked())
            .map_err(|m| problems.push(FieldError::new("code", "invalid", m)))
            .ok();
        let Some(value) = value.filter(|_| problems.is_empty()) else {
            errors.set(FormErrors::from_fields(problems));
            return;
        };
        let request = DisableMfa {
            password: SecretText::new(password.get_untracked()),
            code: SecretText::new(value),
        };
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let request = request.clone();
                    async move { c.disable_totp(&request).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(()) => {
                    open.set(false);
                    phase.set(Phase::Off);
                    if let Err(message) = auth.refresh_me().await {
                        leptos::logging::warn!("could not reload the account: {message}");
                    }
                }
                Err(err) if api::is(&err, ErrorCode::InvalidCredentials) => {
                    errors.set(FormErrors::from_fields(vec![FieldError::new(
                        "password",
                        "invalid_credentials",
                        "The password is not right.",
                    )]));
                }
                Err(err) => errors.set(code_errors(&err, "code", &["password", "code"])),
            }
        });
    };
    view! {
        <Modal title="Turn off two-step verification?" on_close=Callback::new(move |()| open.set(false))>
            <p class="modal-message">
                "Signing in will need only your password, and your recovery codes stop working. \
                 If a role you hold requires MFA, you will have to set it up again at once."
            </p>
            <ErrorBanner message=banner />
            <form class="form" novalidate=true on:submit=submit>
                <FormField
                    id="disable-password"
                    field="password"
                    label="Password"
                    input_type="password"
                    autocomplete="current-password"
                    value=password
                    errors=errors
                    disabled=busy
                />
                <FormField
                    id="disable-code"
                    field="code"
                    label="Code from your app"
                    autocomplete="one-time-code"
                    inputmode="numeric"
                    value=code
                    errors=errors
                    mono=true
                    disabled=busy
                />
                <div class="modal-actions">
                    <button
                        type="button"
                        class="button"
                        disabled=move || busy.get()
                        on:click=move |_| open.set(false)
                    >
                        "Cancel"
                    </button>
                    <button
                        type="submit"
                        id="disable-mfa"
                        class="button button-danger"
                        disabled=move || busy.get()
                    >
                        {move || busy.get().then(|| view! { <Spinner /> })}
                        <span>"Turn off"</span>
                    </button>
                </div>
            </form>
        </Modal>
    }
}

#[cfg(test)]
mod tests {
    use super::{grouped, six_digits};

    #[test]
    fn codes_and_secrets_read_easily() {
        assert_eq!(six_digits("123 456"), Ok("123456".to_owned()));
        assert!(six_digits("12345").is_err());
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
