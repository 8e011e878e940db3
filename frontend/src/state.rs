//! The session: who is signed in, their access token and the API client.
//!
//! The access token lives only in a signal, in memory; it is never written to storage, so a
//! script injected into the page later cannot find it there. The refresh token is an `HttpOnly`
//! cookie the browser sends to `/api/v1/auth/refresh` by itself, which is how a reload keeps
//! the session: startup exchanges the cookie for a new access token.
//!
//! Refresh tokens rotate and work once (a second use revokes the session), so every refresh
//! goes through one shared in-flight request: the timer, and any number of calls that got a
//! 401 at the same moment, all wait on the same answer.

use std::future::Future;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{LocalBoxFuture, Shared};
use gmac_client::{ApiError, Client};
use gmac_types::{
    ErrorCode, LoginRequest, LoginResponse, Me, MfaVerification, Permission, SecretText,
    TokenResponse,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Refresh this long before the access token expires.
const REFRESH_MARGIN: Duration = Duration::from_mins(1);
/// After a refresh failed for a reason other than a dead session (network, 5xx), try again
/// this soon.
const RETRY_AFTER: Duration = Duration::from_secs(30);
/// While the server cannot be reached, ask whether it is back this often.
const PROBE_MS: i32 = 3_000;
/// The cookie the server sets beside the `HttpOnly` refresh cookie, and clears with it: only
/// while it is there can the refresh cookie hold a session, so a first visit does not ask for
/// one (and get the 401 the browser logs as an error).
const SESSION_HINT: &str = "gmac_signed_in=1";

/// Where the session stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthStatus {
    /// Startup: asking the server whether the refresh cookie still holds a session.
    Restoring,
    /// Startup could not reach the server (or it failed); the message says why.
    Unavailable(String),
    /// Nobody is signed in.
    SignedOut {
        /// No administrator exists yet: the sign-in page shows first-run setup instead.
        setup_required: bool,
        /// How the app got here, which decides where sign-in leads back to.
        reason: SignOutReason,
    },
    /// Signed in, and the user ([`Auth::me`]) is loaded.
    SignedIn,
}

/// Why nobody is signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignOutReason {
    /// There was no session to restore.
    NoSession,
    /// The user signed out.
    SignedOut,
    /// The session ended on the server (expired or revoked).
    Expired,
}

/// What a refresh attempt found; cheap to clone, so one answer can be shared.
#[derive(Clone, Debug, PartialEq, Eq)]
enum RefreshOutcome {
    /// A new access token is in place.
    Refreshed,
    /// The server has no session for this browser (401).
    NoSession,
    /// The server could not answer (network, rate limit, 5xx).
    Failed(String),
}

type PendingRefresh = Shared<LocalBoxFuture<'static, RefreshOutcome>>;

/// Where a password sign-in got to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in: the status is [`AuthStatus::SignedIn`].
    Done,
    /// The password was right and the account needs its second factor: send a code with this
    /// token to [`Auth::complete_mfa`] within five minutes.
    SecondFactor(SecretText),
}

/// The session, provided as context at the root of the app. `Copy`: it is a set of handles.
#[derive(Clone, Copy, Debug)]
pub struct Auth {
    status: RwSignal<AuthStatus>,
    me: RwSignal<Option<Me>>,
    /// The user was loaded by sign-in or startup and no page has used it yet.
    me_fresh: StoredValue<bool>,
    token: RwSignal<Option<SecretText>>,
    client: StoredValue<Client>,
    timer: StoredValue<Option<TimeoutHandle>>,
    pending: StoredValue<Option<PendingRefresh>, LocalStorage>,
    /// The last request did not reach the server; the next one that does clears it.
    unreachable: RwSignal<bool>,
    /// How many times the server came back after it could not be reached: what failed to
    /// load meanwhile loads again when this changes.
    returns: RwSignal<u32>,
    /// A task is asking whether the server is back.
    probing: StoredValue<bool>,
}

/// The session from context.
///
/// # Panics
/// Outside the app's root component, which provides it.
pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

impl Auth {
    /// Creates the session state around `client` (anonymous, with an absolute base URL) and
    /// provides it as context.
    pub fn provide(client: Client) -> Self {
        let auth = Self {
            status: RwSignal::new(AuthStatus::Restoring),
            me: RwSignal::new(None),
            me_fresh: StoredValue::new(false),
            token: RwSignal::new(None),
            client: StoredValue::new(client),
            timer: StoredValue::new(None),
            pending: StoredValue::new_local(None),
            unreachable: RwSignal::new(false),
            returns: RwSignal::new(0),
            probing: StoredValue::new(false),
        };
        provide_context(auth);
        auth
    }

    /// Where the session stands (tracked).
    pub fn status(self) -> AuthStatus {
        self.status.get()
    }

    /// Where the session stands, without tracking.
    pub fn status_untracked(self) -> AuthStatus {
        self.status.get_untracked()
    }

    /// The signed-in user (tracked).
    pub fn me(self) -> Option<Me> {
        self.me.get()
    }

    /// The signed-in user, read through a closure without cloning (tracked).
    pub fn with_me<R>(self, f: impl FnOnce(Option<&Me>) -> R) -> R {
        self.me.with(|me| f(me.as_ref()))
    }

    /// The client without a bearer token, for setup and sign-in.
    pub fn anonymous(self) -> Client {
        self.client.get_value()
    }

    /// The client carrying the current access token, if there is one.
    fn bearer(self) -> Option<Client> {
        let token = self.token.get_untracked()?;
        Some(self.client.with_value(|c| c.with_token(token.expose())))
    }

    /// Restores the session from the refresh cookie, in the background: the startup step,
    /// and the "Try again" of the unavailable screen.
    ///
    /// A browser without the server's note of a refresh cookie has no session to restore: it
    /// goes straight to sign-in, without the refresh request.
    pub fn restore(self) {
        self.status.set(AuthStatus::Restoring);
        spawn_local(async move {
            if session_hint() == Some(false) {
                self.check_setup(SignOutReason::NoSession).await;
                return;
            }
            match self.refresh().await {
                RefreshOutcome::Refreshed => self.load_me().await,
                RefreshOutcome::NoSession => self.check_setup(SignOutReason::NoSession).await,
                RefreshOutcome::Failed(message) => {
                    self.status.set(AuthStatus::Unavailable(message));
                }
            }
        });
    }

    async fn load_me(self) {
        match self.call(|client| async move { client.me().await }).await {
            Ok(me) => {
                self.me.set(Some(me));
                self.me_fresh.set_value(true);
                self.status.set(AuthStatus::SignedIn);
            }
            // `call` already went to sign-in.
            Err(err) if err.status() == Some(401) => {}
            Err(err) => self.status.set(AuthStatus::Unavailable(err.message())),
        }
    }

    async fn check_setup(self, reason: SignOutReason) {
        match self.anonymous().setup_status().await {
            Ok(setup) => self.status.set(AuthStatus::SignedOut {
                setup_required: setup.setup_required,
                reason,
            }),
            Err(err) => self.status.set(AuthStatus::Unavailable(err.message())),
        }
    }

    /// Records that first-run setup is done: the sign-in page shows the sign-in form.
    pub fn mark_setup_done(self) {
        self.status.set(AuthStatus::SignedOut {
            setup_required: false,
            reason: SignOutReason::NoSession,
        });
    }

    /// Signs in with email and password. Without MFA the user is loaded and the status becomes
    /// [`AuthStatus::SignedIn`]; with MFA the answer carries the token for the second step.
    /// On failure the status is unchanged and the error is for the form.
    pub async fn sign_in(self, email: String, password: String) -> Result<SignIn, ApiError> {
        let request = LoginRequest {
            email,
            password: SecretText::new(password),
        };
        match self.anonymous().login(&request).await? {
            LoginResponse::Token(tokens) => {
                self.start_session(tokens).await?;
                Ok(SignIn::Done)
            }
            LoginResponse::Mfa(challenge) => Ok(SignIn::SecondFactor(challenge.mfa_token)),
        }
    }

    /// Completes a sign-in with the second factor (a code or a recovery code), then loads
    /// the user.
    pub async fn complete_mfa(self, verification: MfaVerification) -> Result<(), ApiError> {
        let tokens = self.anonymous().complete_mfa(&verification).await?;
        self.start_session(tokens).await
    }

    /// Keeps the tokens of a sign-in and loads the user.
    async fn start_session(self, tokens: TokenResponse) -> Result<(), ApiError> {
        self.accept(tokens);
        let Some(client) = self.bearer() else {
            return Err(ApiError::Http { status: 401 });
        };
        match client.me().await {
            Ok(me) => {
                self.me.set(Some(me));
                self.me_fresh.set_value(true);
                self.status.set(AuthStatus::SignedIn);
                Ok(())
            }
            Err(err) => {
                self.forget_token();
                Err(err)
            }
        }
    }

    /// Signs out on the server (best effort: the local session ends whatever it answers) and
    /// then here.
    pub async fn sign_out(self) {
        let client = self.bearer().unwrap_or_else(|| self.anonymous());
        if let Err(err) = client.logout().await {
            leptos::logging::warn!("sign-out request failed: {err}");
        }
        self.end_session(SignOutReason::SignedOut);
    }

    /// Runs an API call with the access token. On a 401 it refreshes the token once and
    /// retries once; if the session is gone, the app goes to sign-in and the 401 is returned.
    ///
    /// A 403 `mfa_enrollment_required` (a role just started to require MFA) marks the user,
    /// which sends the app to MFA enrolment.
    pub async fn call<T, F, Fut>(self, call: F) -> Result<T, ApiError>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let result = self.call_with_refresh(call).await;
        if matches!(result, Err(ApiError::Network(_))) {
            self.lost();
        } else {
            self.reached();
        }
        if let Err(err) = &result
            && crate::api::is(err, ErrorCode::MfaEnrollmentRequired)
        {
            self.me.update(|me| {
                if let Some(me) = me {
                    me.mfa_enrollment_required = true;
                }
            });
        }
        result
    }

    async fn call_with_refresh<T, F, Fut>(self, call: F) -> Result<T, ApiError>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let first = match self.bearer() {
            Some(client) => call(client).await,
            None => Err(ApiError::Http { status: 401 }),
        };
        let err = match first {
            Err(err) if session_refused(&err) => err,
            other => return other,
        };
        match self.refresh().await {
            RefreshOutcome::Refreshed => {}
            RefreshOutcome::NoSession => {
                self.expire();
                return Err(err);
            }
            RefreshOutcome::Failed(_) => return Err(err),
        }
        let Some(client) = self.bearer() else {
            return Err(err);
        };
        let second = call(client).await;
        if second.as_ref().err().is_some_and(session_refused) {
            // A token the server just issued is refused: the session cannot be used.
            self.expire();
        }
        second
    }

    /// Exchanges the refresh cookie for a new access token, sharing a request already in
    /// flight.
    async fn refresh(self) -> RefreshOutcome {
        if let Some(pending) = self.pending.get_value() {
            return pending.await;
        }
        let client = self.anonymous();
        let request = async move {
            let outcome = match client.refresh().await {
                Ok(tokens) => {
                    self.accept(tokens);
                    RefreshOutcome::Refreshed
                }
                Err(err) if err.status() == Some(401) => {
                    self.forget_token();
                    RefreshOutcome::NoSession
                }
                Err(err) => RefreshOutcome::Failed(err.message()),
            };
            self.pending.set_value(None);
            outcome
        }
        .boxed_local()
        .shared();
        self.pending.set_value(Some(request.clone()));
        request.await
    }

    /// Keeps a new access token and schedules its refresh.
    fn accept(self, tokens: TokenResponse) {
        let lifetime = Duration::from_secs(tokens.expires_in);
        let after = lifetime
            .checked_sub(REFRESH_MARGIN)
            .filter(|d| !d.is_zero())
            .unwrap_or(lifetime / 2);
        self.token.set(Some(tokens.access_token));
        self.schedule_refresh(after);
    }

    fn schedule_refresh(self, after: Duration) {
        self.cancel_timer();
        let handle = set_timeout_with_handle(
            move || {
                spawn_local(async move {
                    match self.refresh().await {
                        // `accept` scheduled the next one.
                        RefreshOutcome::Refreshed => {}
                        RefreshOutcome::NoSession => self.expire(),
                        // The token may still be good for a while; the server may be back.
                        RefreshOutcome::Failed(_) => self.schedule_refresh(RETRY_AFTER),
                    }
                });
            },
            after,
        );
        self.timer.set_value(handle.ok());
    }

    fn cancel_timer(self) {
        if let Some(handle) = self.timer.get_value() {
            handle.clear();
        }
        self.timer.set_value(None);
    }

    fn forget_token(self) {
        self.cancel_timer();
        self.token.set(None);
    }

    /// The server ended the session: back to sign-in, if the app was signed in.
    fn expire(self) {
        if self.status.get_untracked() == AuthStatus::SignedIn {
            self.end_session(SignOutReason::Expired);
        } else {
            self.forget_token();
        }
    }

    fn end_session(self, reason: SignOutReason) {
        self.forget_token();
        self.me.set(None);
        self.me_fresh.set_value(false);
        self.status.set(AuthStatus::SignedOut {
            setup_required: false,
            reason,
        });
    }

    /// Reloads the signed-in user (their roles may have changed), unless sign-in or startup
    /// just loaded it. Errors are for display; a dead session already sent the app to sign-in.
    pub async fn reload_me(self) -> Result<(), String> {
        if self.me_fresh.get_value() {
            self.me_fresh.set_value(false);
            return Ok(());
        }
        match self.call(|client| async move { client.me().await }).await {
            Ok(me) => {
                self.me.set(Some(me));
                Ok(())
            }
            Err(err) => Err(err.message()),
        }
    }

    /// Reloads the signed-in user now, e.g. after turning MFA on or renaming themselves.
    pub async fn refresh_me(self) -> Result<(), String> {
        self.me_fresh.set_value(false);
        self.reload_me().await
    }

    /// Changes the loaded user in place, e.g. with a new display name the server confirmed.
    pub fn update_me(self, change: impl FnOnce(&mut Me)) {
        self.me.update(|me| {
            if let Some(me) = me {
                change(me);
            }
        });
    }

    /// Whether the user holds `permission` somewhere (tracked). Decides what the app offers;
    /// the API decides what is allowed.
    pub fn can(self, permission: Permission) -> bool {
        self.me.with(|me| {
            me.as_ref()
                .is_some_and(|m| m.permissions.contains(&permission))
        })
    }

    /// Whether the user holds `permission` somewhere, without tracking (event handlers,
    /// tasks, a component's setup).
    pub fn can_untracked(self, permission: Permission) -> bool {
        self.me.with_untracked(|me| {
            me.as_ref()
                .is_some_and(|m| m.permissions.contains(&permission))
        })
    }

    /// The signed-in user, read through a closure without tracking.
    pub fn with_me_untracked<R>(self, f: impl FnOnce(Option<&Me>) -> R) -> R {
        self.me.with_untracked(|me| f(me.as_ref()))
    }

    /// The signed-in user's id, without tracking.
    pub fn user_id_untracked(self) -> Option<String> {
        self.me
            .with_untracked(|me| me.as_ref().map(|m| m.id.clone()))
    }

    /// Whether a role the user holds requires MFA and none is set up yet (tracked).
    pub fn mfa_enrollment_required(self) -> bool {
        self.me
            .with(|me| me.as_ref().is_some_and(|m| m.mfa_enrollment_required))
    }

    /// The signed-in user's id (tracked).
    pub fn user_id(self) -> Option<String> {
        self.me.with(|me| me.as_ref().map(|m| m.id.clone()))
    }

    /// Whether the last request could not reach the server (tracked).
    pub fn unreachable(self) -> bool {
        self.unreachable.get()
    }

    /// How many times the server came back after it could not be reached (tracked): what
    /// failed to load meanwhile loads again when this changes.
    pub fn returns(self) -> u32 {
        self.returns.get()
    }

    /// How many times the server came back, without tracking.
    pub fn returns_untracked(self) -> u32 {
        self.returns.get_untracked()
    }

    /// Asks now whether the server is back (the banner's "Try again").
    pub fn probe_now(self) {
        spawn_local(async move {
            if self.anonymous().health().await.is_ok() {
                self.reached();
            }
        });
    }

    /// A request did not reach the server: one banner says so, and a task asks every few
    /// seconds whether it is back.
    fn lost(self) {
        self.unreachable.set(true);
        if self.probing.get_value() {
            return;
        }
        self.probing.set_value(true);
        spawn_local(async move {
            while self.unreachable.get_untracked() {
                crate::js::sleep(PROBE_MS).await;
                if self.anonymous().health().await.is_ok() {
                    self.reached();
                }
            }
            self.probing.set_value(false);
        });
    }

    /// A request reached the server: if it was unreachable, it is back.
    fn reached(self) {
        if self.unreachable.get_untracked() {
            self.unreachable.set(false);
            self.returns.update(|n| *n += 1);
        }
    }
}

/// Whether this browser holds a refresh cookie, as the server's readable note says: `None`
/// where cookies cannot be read.
fn session_hint() -> Option<bool> {
    let document = web_sys::window()?.document()?;
    let cookies = web_sys::js_sys::Reflect::get(&document, &"cookie".into())
        .ok()?
        .as_string()?;
    Some(cookies.split(';').any(|c| c.trim() == SESSION_HINT))
}

/// Whether a 401 means the session itself was refused, as opposed to a wrong password or
/// code in the request (which a refresh would not fix).
fn session_refused(err: &ApiError) -> bool {
    err.status() == Some(401)
        && !matches!(
            crate::api::code(err),
            Some(ErrorCode::InvalidCredentials | ErrorCode::InvalidMfaCode)
        )
}
