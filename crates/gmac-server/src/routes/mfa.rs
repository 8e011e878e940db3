//! The signed-in user's MFA: TOTP enrolment, recovery codes, turning it off.

use actix_web::http::header;
use actix_web::{HttpResponse, post, web};
use gmac_core::services::mfa;
use gmac_types::{DisableMfa, RecoveryCodes, TotpCode, TotpEnrollment};

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// Start TOTP enrolment: answers the secret, its `otpauth://` URL and a QR code (SVG) for an
/// authenticator app. MFA is not on until confirmed with a first code.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new secret", body = TotpEnrollment),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 409, response = crate::routes::docs::Conflict),
    )
)]
#[post("/me/mfa/totp")]
pub async fn start_totp_enrollment(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
) -> Result<HttpResponse, ApiError> {
    let enrollment = mfa::start_enrollment(&state.core, &actor, &meta.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(enrollment))
}

/// Confirm enrolment with the app's first code. MFA is on from now; the answer carries ten
/// single-use recovery codes, shown this once.
#[utoipa::path(
    tag = "me",
    request_body = TotpCode,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "MFA is on", body = RecoveryCodes),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 429, response = crate::routes::docs::RateLimited),
    )
)]
#[post("/me/mfa/totp/confirm")]
pub async fn confirm_totp_enrollment(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<TotpCode>,
) -> Result<HttpResponse, ApiError> {
    let codes = mfa::confirm_enrollment(&state.core, &actor, &meta.0, body.code.expose()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(codes))
}

/// Replace your recovery codes (the old ones stop working); needs a current code.
#[utoipa::path(
    tag = "me",
    request_body = TotpCode,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "New recovery codes", body = RecoveryCodes),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 429, response = crate::routes::docs::RateLimited),
    )
)]
#[post("/me/mfa/recovery-codes")]
pub async fn regenerate_recovery_codes(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<TotpCode>,
) -> Result<HttpResponse, ApiError> {
    let codes =
        mfa::regenerate_recovery_codes(&state.core, &actor, &meta.0, body.code.expose()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(codes))
}

/// Turn MFA off; needs your password and a current code.
#[utoipa::path(
    tag = "me",
    request_body = DisableMfa,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "MFA is off"),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 429, response = crate::routes::docs::RateLimited),
    )
)]
#[post("/me/mfa/totp/disable")]
pub async fn disable_totp(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<DisableMfa>,
) -> Result<HttpResponse, ApiError> {
    mfa::disable(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
