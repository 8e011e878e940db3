//! Clients.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use gmac_core::services::clients;
use gmac_types::{Client, ClientPatch, ListQuery, NewClient, Page};

use crate::error::ApiError;
use crate::extract::{Actor, IfMatch, Meta, etag};
use crate::state::AppState;

/// The clients you may see, by name, a page at a time.
#[utoipa::path(
    tag = "clients",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of clients", body = Page<Client>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
    )
)]
#[get("/clients")]
pub async fn list_clients(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<ListQuery>,
) -> Result<web::Json<Page<Client>>, ApiError> {
    Ok(web::Json(
        clients::list_clients(&state.core, &actor, &query).await?,
    ))
}

/// Create a client. Needs `clients.manage` at the global scope.
#[utoipa::path(
    tag = "clients",
    request_body = NewClient,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new client", body = Client,
            headers(("Location" = String, description = "Its URL"), ("ETag" = String, description = "Its version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/clients")]
pub async fn create_client(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewClient>,
) -> Result<HttpResponse, ApiError> {
    let created = clients::create_client(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/clients/{}", created.id)))
        .insert_header(etag(created.version))
        .json(created))
}

/// One client.
#[utoipa::path(
    tag = "clients",
    params(("id" = String, Path, description = "The client's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The client", body = Client, headers(("ETag" = String, description = "Its version"))),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/clients/{id}")]
pub async fn get_client(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let client = clients::get_client(&state.core, &actor, &id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(client.version))
        .json(client))
}

/// Rename or re-describe a client. Send `If-Match` with the `ETag` you read to avoid
/// overwriting someone else's change.
#[utoipa::path(
    tag = "clients",
    params(
        ("id" = String, Path, description = "The client's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read"),
    ),
    request_body = ClientPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed client", body = Client, headers(("ETag" = String, description = "Its new version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[patch("/clients/{id}")]
pub async fn update_client(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
    body: web::Json<ClientPatch>,
) -> Result<HttpResponse, ApiError> {
    let client = clients::update_client(
        &state.core,
        &actor,
        &meta.0,
        &id,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(client.version))
        .json(client))
}

/// Delete a client that has no projects left.
#[utoipa::path(
    tag = "clients",
    params(
        ("id" = String, Path, description = "The client's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
    )
)]
#[delete("/clients/{id}")]
pub async fn delete_client(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    clients::delete_client(&state.core, &actor, &meta.0, &id, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
