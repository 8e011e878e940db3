//! Sign-in, token refresh and sign-out. The refresh token lives only in an HttpOnly,
//! SameSite=Strict cookie scoped to `/api/v1/auth`; the SPA never sees it.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError, post, web};
use gmac_core::services::sessions::{self, IssuedSession};
use gmac_types::{
    ErrorCode, LoginRequest, LoginResponse, MfaChallenge, MfaVerification, REFRESH_COOKIE,
    SecretText, TokenResponse,
};

use crate::config::CookieSecure;
use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

const COOKIE_PATH: &str = "/api/v1/auth";

/// Sign in with email and password.
///
/// Answers a short-lived access token and sets the rotating refresh token as an HttpOnly
/// cookie. An unknown email and a wrong password get the same answer.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in (the refresh cookie is set), or `{mfa_required, mfa_token}` when a second factor must follow", body = LoginResponse,
            headers(("Set-Cookie" = String, description = "gmac_refresh; HttpOnly; SameSite=Strict. Also gmac_signed_in=1 (Path=/, readable by scripts, the same lifetime): the web interface asks for a refresh only while it is there"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 413, response = crate::routes::docs::PayloadTooLarge),
        (status = 415, response = crate::routes::docs::UnsupportedMediaType),
        (status = 422, response = crate::routes::docs::ValidationFailed),
        (status = 429, response = crate::routes::docs::RateLimited),
    )
)]
#[post("/auth/login")]
pub async fn create_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: Meta,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let device = req.cookie(DEVICE_COOKIE);
    let device = device.as_ref().map(actix_web::cookie::Cookie::value);
    match sessions::login(&state.core, &meta.0, body.into_inner(), device).await? {
        sessions::LoginOutcome::Signed(issued) => Ok(token_response(&req, &state, issued)),
        sessions::LoginOutcome::MfaRequired { mfa_token } => Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(LoginResponse::Mfa(MfaChallenge {
                mfa_required: true,
                mfa_token: SecretText::new(mfa_token),
            }))),
    }
}

/// Complete a sign-in with the second factor: the authenticator's current code, or one of the
/// recovery codes. Answers like a sign-in without MFA: an access token and the refresh cookie.
#[utoipa::path(
    tag = "auth",
    request_body = MfaVerification,
    responses(
        (status = 200, description = "Signed in; the refresh cookie is set", body = TokenResponse,
            headers(("Set-Cookie" = String, description = "gmac_refresh; HttpOnly; SameSite=Strict. Also gmac_signed_in=1 (Path=/, readable by scripts, the same lifetime): the web interface asks for a refresh only while it is there"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 422, response = crate::routes::docs::ValidationFailed),
        (status = 429, response = crate::routes::docs::RateLimited),
    )
)]
#[post("/auth/mfa")]
pub async fn verify_mfa(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: Meta,
    body: web::Json<MfaVerification>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let issued = sessions::complete_mfa(
        &state.core,
        &meta.0,
        body.mfa_token.expose(),
        body.code.as_ref().map(SecretText::expose),
        body.recovery_code.as_ref().map(SecretText::expose),
    )
    .await?;
    Ok(token_response(&req, &state, issued))
}

/// Exchange the refresh cookie for a new access token and a new refresh cookie.
///
/// Each refresh token works once. Presenting one that was already used revokes the whole
/// session, since only a copy could be presented twice.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "A new access token; the refresh cookie is replaced", body = TokenResponse,
            headers(("Set-Cookie" = String, description = "gmac_refresh; HttpOnly; SameSite=Strict. Also gmac_signed_in=1 (Path=/, readable by scripts, the same lifetime): the web interface asks for a refresh only while it is there"))),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 429, response = crate::routes::docs::RateLimited),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: Meta,
) -> Result<HttpResponse, ApiError> {
    check_origin(&req, &state)?;
    let Some(cookie) = req.cookie(REFRESH_COOKIE) else {
        let mut response = ApiError::new(ErrorCode::Unauthorized)
            .detail("No refresh cookie was sent. Sign in.")
            .header(header::WWW_AUTHENTICATE, r#"Bearer realm="gmac""#)
            .error_response();
        response.add_cookie(&hint_removal(&req, &state)).ok();
        return Ok(response);
    };
    match sessions::refresh(&state.core, &meta.0, cookie.value()).await {
        Ok(issued) => Ok(token_response(&req, &state, issued)),
        Err(err) => {
            let err = ApiError::from(err);
            if err.problem().status >= 500 {
                return Err(err);
            }
            // Drop the dead cookie so the browser stops presenting it.
            let mut response = err.error_response();
            response.add_cookie(&removal_cookie(&req, &state)).ok();
            response.add_cookie(&hint_removal(&req, &state)).ok();
            Ok(response)
        }
    }
}

/// Sign out: revoke the session of the refresh cookie (or of the access token) and clear the
/// cookie. Always answers 204.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "Signed out; the refresh cookie is cleared"),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 429, response = crate::routes::docs::RateLimited),
    )
)]
#[post("/auth/logout")]
pub async fn delete_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: Meta,
    actor: Option<Actor>,
) -> Result<HttpResponse, ApiError> {
    check_origin(&req, &state)?;
    let cookie = req.cookie(REFRESH_COOKIE);
    sessions::logout(
        &state.core,
        &meta.0,
        cookie.as_ref().map(Cookie::value),
        actor.as_deref(),
    )
    .await?;
    Ok(HttpResponse::NoContent()
        .cookie(removal_cookie(&req, &state))
        .cookie(hint_removal(&req, &state))
        .finish())
}

/// The device cookie: proof that this browser signed in to an account before, so that an
/// attacker's failed guesses, which lock the account for unknown devices, do not lock it out.
const DEVICE_COOKIE: &str = "gmac_device";

fn token_response(req: &HttpRequest, state: &AppState, issued: IssuedSession) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if let Some(device) = issued.device_cookie {
        response.cookie(
            Cookie::build(DEVICE_COOKIE, device)
                .path(COOKIE_PATH)
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(is_secure(req, state.cookie_secure))
                .max_age(CookieDuration::days(365))
                .finish(),
        );
    }
    if let Some(token) = issued.refresh_token {
        let max_age = (issued.refresh_expires_at - state.core.now())
            .num_seconds()
            .max(0);
        response.cookie(refresh_cookie(req, state, token, max_age));
        response.cookie(
            hint_cookie(req, state, "1")
                .max_age(CookieDuration::seconds(max_age))
                .finish(),
        );
    }
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            access_token: SecretText::new(issued.access_token),
            token_type: "Bearer".to_owned(),
            expires_in: issued.expires_in,
        })
}

/// The note, readable by the web interface, that this browser holds a refresh cookie: set and
/// cleared with it, so that a page that finds no note does not ask for a refresh it would be
/// refused (a 401 the browser's console shows as an error). It carries nothing secret.
const HINT_COOKIE: &str = "gmac_signed_in";

fn hint_cookie(
    req: &HttpRequest,
    state: &AppState,
    value: &'static str,
) -> actix_web::cookie::CookieBuilder<'static> {
    Cookie::build(HINT_COOKIE, value)
        .path("/")
        .same_site(SameSite::Strict)
        .secure(is_secure(req, state.cookie_secure))
}

fn hint_removal(req: &HttpRequest, state: &AppState) -> Cookie<'static> {
    let mut cookie = hint_cookie(req, state, "").finish();
    cookie.make_removal();
    cookie
}

fn refresh_cookie(
    req: &HttpRequest,
    state: &AppState,
    value: String,
    max_age: i64,
) -> Cookie<'static> {
    Cookie::build(REFRESH_COOKIE, value)
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(is_secure(req, state.cookie_secure))
        .max_age(CookieDuration::seconds(max_age))
        .finish()
}

fn removal_cookie(req: &HttpRequest, state: &AppState) -> Cookie<'static> {
    let mut cookie = Cookie::build(REFRESH_COOKIE, "")
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(is_secure(req, state.cookie_secure))
        .finish();
    cookie.make_removal();
    cookie
}

/// `Secure`, except for plain HTTP to a loopback host under `auto` (a browser would drop a
/// Secure cookie there... or keep it only for `localhost`; both break local use).
fn is_secure(req: &HttpRequest, mode: CookieSecure) -> bool {
    match mode {
        CookieSecure::Always => true,
        CookieSecure::Never => false,
        CookieSecure::Auto => {
            let info = req.connection_info();
            info.scheme() == "https" || !is_loopback_host(info.host())
        }
    }
}

fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Cookie-authenticated POSTs must come from our own origin (or an allowed one); SameSite is
/// the first line of defence, this is the second.
fn check_origin(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(());
    };
    let info = req.connection_info();
    let own = format!("{}://{}", info.scheme(), info.host());
    if origin == own || state.allowed_origins.iter().any(|o| o == origin) {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::Forbidden)
            .detail("Cross-site requests to this endpoint are refused."))
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn loopback_hosts_are_recognized_with_and_without_ports() {
        for host in [
            "localhost",
            "localhost:8080",
            "127.0.0.1:8080",
            "[::1]:8080",
            "127.1.2.3",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["example.com", "10.0.0.1:8080", "[2001:db8::1]:443"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
