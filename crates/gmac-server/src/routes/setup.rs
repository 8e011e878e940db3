//! First-run setup.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use gmac_types::{SetupRequest, SetupStatus, User};

use crate::error::ApiError;
use crate::extract::Meta;
use crate::state::AppState;

/// Whether gmac still waits for its first administrator.
#[utoipa::path(
    tag = "setup",
    responses(
        (status = 200, description = "Setup status", body = SetupStatus),
        (status = 500, response = crate::routes::docs::Internal),
    )
)]
#[get("/setup")]
pub async fn get_setup_status(
    state: web::Data<AppState>,
) -> Result<web::Json<SetupStatus>, ApiError> {
    let setup_required = gmac_core::services::setup::setup_required(&state.core).await?;
    Ok(web::Json(SetupStatus { setup_required }))
}

/// Creates the first Super Admin with the one-time setup token printed at first start.
/// Once an account exists, the route answers 409.
#[utoipa::path(
    tag = "setup",
    request_body = SetupRequest,
    responses(
        (status = 201, description = "The first Super Admin", body = User,
            headers(("Location" = String, description = "The new user's URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 413, response = crate::routes::docs::PayloadTooLarge),
        (status = 415, response = crate::routes::docs::UnsupportedMediaType),
        (status = 422, response = crate::routes::docs::ValidationFailed),
        (status = 429, response = crate::routes::docs::RateLimited),
    )
)]
#[post("/setup")]
pub async fn complete_setup(
    state: web::Data<AppState>,
    meta: Meta,
    body: web::Json<SetupRequest>,
) -> Result<HttpResponse, ApiError> {
    let user =
        gmac_core::services::setup::complete_setup(&state.core, &meta.0, body.into_inner()).await?;
    let dto: User = gmac_core::services::users::to_dto(&user);
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("{}/users/{}", gmac_types::API_PREFIX, dto.id),
        ))
        .json(dto))
}
