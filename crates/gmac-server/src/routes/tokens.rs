//! API tokens of the signed-in user.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use gmac_core::services::tokens;
use gmac_types::{ApiToken, CreatedApiToken, NewApiToken, Page, PageQuery};

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// Your API tokens, newest first (never their secrets).
#[utoipa::path(
    tag = "tokens",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your tokens", body = Page<ApiToken>),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
    )
)]
#[get("/tokens")]
pub async fn list_tokens(
    state: web::Data<AppState>,
    actor: Actor,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<ApiToken>>, ApiError> {
    Ok(web::Json(
        tokens::list_tokens(&state.core, &actor, &page).await?,
    ))
}

/// Create an API token. The answer carries the `gmac_…` secret; it is never shown again.
/// Each permission must be one you hold; the token expires after at most 365 days.
#[utoipa::path(
    tag = "tokens",
    request_body = NewApiToken,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The token, with its secret", body = CreatedApiToken,
            headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/tokens")]
pub async fn create_token(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewApiToken>,
) -> Result<HttpResponse, ApiError> {
    let created = tokens::create_token(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/tokens/{}", created.info.id),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(created))
}

/// Revoke one of your tokens; it stops working at once.
#[utoipa::path(
    tag = "tokens",
    params(("id" = String, Path, description = "The token's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/tokens/{id}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    tokens::revoke_token(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replace a token with a new secret (same name, permissions, scope and lifetime); the old
/// secret stops working at once.
#[utoipa::path(
    tag = "tokens",
    params(("id" = String, Path, description = "The token's id")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new token, with its secret", body = CreatedApiToken),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
    )
)]
#[post("/tokens/{id}/rotate")]
pub async fn rotate_token(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let created = tokens::rotate_token(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/tokens/{}", created.info.id),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(created))
}
