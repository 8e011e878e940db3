//! User administration.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use gmac_core::services::users;
use gmac_types::{ListQuery, NewUser, Page, UserDetail, UserPatch};

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// Users by email (`name` filters on email and display name). Needs `users.manage` somewhere.
#[utoipa::path(
    tag = "users",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = Page<UserDetail>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
    )
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<ListQuery>,
) -> Result<web::Json<Page<UserDetail>>, ApiError> {
    Ok(web::Json(
        users::list_users(&state.core, &actor, &query).await?,
    ))
}

/// Create an account with a first password. It holds no role until one is granted.
#[utoipa::path(
    tag = "users",
    request_body = NewUser,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new user", body = UserDetail, headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let created = users::create_user(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", created.id)))
        .json(created))
}

/// One user.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = UserDetail),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<UserDetail>, ApiError> {
    Ok(web::Json(users::get_user(&state.core, &actor, &id).await?))
}

/// Rename, disable or re-enable an account. Disabling ends its sessions and API tokens at once.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    request_body = UserPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed user", body = UserDetail),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<UserPatch>,
) -> Result<web::Json<UserDetail>, ApiError> {
    Ok(web::Json(
        users::update_user(&state.core, &actor, &meta.0, &id, body.into_inner()).await?,
    ))
}
