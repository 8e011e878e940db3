//! The signed-in user's profile, avatar and password.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use gmac_core::services::profile::{self, AvatarRejection};
use gmac_types::{ErrorCode, PasswordChange, Profile, ProfilePatch, SessionsEnded};

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// Your profile: display name, time zone, default region, theme, email preferences, avatar.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your profile", body = Profile),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[get("/me/profile")]
pub async fn get_profile(
    state: web::Data<AppState>,
    actor: Actor,
) -> Result<web::Json<Profile>, ApiError> {
    Ok(web::Json(profile::get_profile(&state.core, &actor).await?))
}

/// Change your profile.
#[utoipa::path(
    tag = "me",
    request_body = ProfilePatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your profile", body = Profile),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[patch("/me/profile")]
pub async fn update_profile(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<ProfilePatch>,
) -> Result<web::Json<Profile>, ApiError> {
    Ok(web::Json(
        profile::update_profile(&state.core, &actor, &meta.0, body.into_inner()).await?,
    ))
}

/// Upload your avatar: the body is a PNG, JPEG or WebP image of at most 512 KiB, with its
/// media type as `Content-Type`.
#[utoipa::path(
    tag = "me",
    request_body(content((crate::routes::docs::Binary = "image/png"), (crate::routes::docs::Binary = "image/jpeg"), (crate::routes::docs::Binary = "image/webp")), description = "The image (PNG, JPEG or WebP)"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your profile", body = Profile),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 413, response = crate::routes::docs::PayloadTooLarge),
        (status = 415, response = crate::routes::docs::UnsupportedMediaType),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[put("/me/avatar")]
pub async fn upload_avatar(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Bytes,
) -> Result<web::Json<Profile>, ApiError> {
    let media_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match profile::set_avatar(&state.core, &actor, &meta.0, media_type, body.to_vec()).await? {
        Ok(profile) => Ok(web::Json(profile)),
        Err(AvatarRejection::TooLarge) => {
            Err(ApiError::new(ErrorCode::PayloadTooLarge).detail(format!(
                "An avatar has at most {} KiB.",
                profile::MAX_AVATAR_BYTES / 1024
            )))
        }
        Err(AvatarRejection::UnsupportedType) => {
            Err(ApiError::new(ErrorCode::UnsupportedMediaType)
                .detail("Upload a PNG, JPEG or WebP image, with its media type as Content-Type."))
        }
    }
}

/// Remove your avatar.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[delete("/me/avatar")]
pub async fn delete_avatar(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
) -> Result<HttpResponse, ApiError> {
    profile::delete_avatar(&state.core, &actor, &meta.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A user's avatar image.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The image, in the type it was uploaded as", content((crate::routes::docs::Binary = "image/png"), (crate::routes::docs::Binary = "image/jpeg"), (crate::routes::docs::Binary = "image/webp"))),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/users/{id}/avatar")]
pub async fn get_avatar(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (media_type, bytes, etag) = profile::get_avatar(&state.core, &actor, &id).await?;
    Ok(HttpResponse::Ok()
        .content_type(media_type)
        .insert_header((header::ETAG, format!("\"{etag}\"")))
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400"))
        .insert_header((header::CONTENT_DISPOSITION, "inline"))
        .body(bytes))
}

/// Change your password; optionally sign out every other browser and client.
#[utoipa::path(
    tag = "me",
    request_body = PasswordChange,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed; how many other sessions ended", body = SessionsEnded),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<PasswordChange>,
) -> Result<web::Json<SessionsEnded>, ApiError> {
    let ended = profile::change_password(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(web::Json(SessionsEnded { ended }))
}
