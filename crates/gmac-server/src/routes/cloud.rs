//! Cloud accounts and their Cost Explorer syncs.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use gmac_core::services::cloud_accounts;
use gmac_types::{CloudAccount, ConnectionTest, CostSync, NewCloudAccount, Page, PageQuery};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// Connect a client's AWS account (an access key, optionally a role to assume with an external
/// id; a region; an endpoint for emulators). The credentials are encrypted at rest and never
/// returned. Needs `costs.manage` on the client.
#[utoipa::path(
    tag = "costs",
    request_body = NewCloudAccount,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The account", body = CloudAccount,
            headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/cloud-accounts")]
pub async fn create_cloud_account(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewCloudAccount>,
) -> Result<HttpResponse, ApiError> {
    let account = cloud_accounts::create(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/cloud-accounts/{}", account.id),
        ))
        .json(account))
}

/// Which client's accounts to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CloudAccountQuery {
    /// Only this client's accounts.
    pub client_id: Option<String>,
}

/// The connected accounts of the clients whose costs you may see, with their last sync.
#[utoipa::path(
    tag = "costs",
    params(CloudAccountQuery, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Accounts", body = Page<CloudAccount>),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/cloud-accounts")]
pub async fn list_cloud_accounts(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<CloudAccountQuery>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<CloudAccount>>, ApiError> {
    Ok(web::Json(
        cloud_accounts::list(&state.core, &actor, query.client_id.as_deref(), &page).await?,
    ))
}

/// Change an account's name, region or days re-synced (connect it again to replace its
/// credentials). Send the version last read as `If-Match`: a change made meanwhile answers 412.
/// Needs `costs.manage` on the client.
#[utoipa::path(
    tag = "costs",
    params(
        ("id" = String, Path, description = "The account's id"),
        ("If-Match" = Option<String>, Header, description = "The version last read"),
    ),
    request_body = gmac_types::CloudAccountPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed account", body = CloudAccount),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[patch("/cloud-accounts/{id}")]
pub async fn update_cloud_account(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: crate::extract::IfMatch,
    body: web::Json<gmac_types::CloudAccountPatch>,
) -> Result<HttpResponse, ApiError> {
    let account = cloud_accounts::update(
        &state.core,
        &actor,
        &meta.0,
        &id,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(crate::extract::etag(account.version))
        .json(account))
}

/// Disconnect an account; the costs it synced stay.
#[utoipa::path(
    tag = "costs",
    params(("id" = String, Path, description = "The account's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/cloud-accounts/{id}")]
pub async fn delete_cloud_account(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    cloud_accounts::delete(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Test the connection: ask Cost Explorer for yesterday's costs (at most 9 s). The outcome is
/// kept as the account's `last_test`.
#[utoipa::path(
    tag = "costs",
    params(("id" = String, Path, description = "The account's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The result", body = ConnectionTest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[post("/cloud-accounts/{id}/test")]
pub async fn test_cloud_account(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<web::Json<ConnectionTest>, ApiError> {
    Ok(web::Json(
        cloud_accounts::test_connection(&state.core, &actor, &meta.0, &id).await?,
    ))
}

/// Start a sync now (accounts also sync every 6 hours). Answers at once with the run; follow
/// its progress in `GET /cloud-accounts/{id}/syncs`.
#[utoipa::path(
    tag = "costs",
    params(("id" = String, Path, description = "The account's id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The sync, running", body = CostSync),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[post("/cloud-accounts/{id}/syncs")]
pub async fn start_cost_sync(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let run = cloud_accounts::start_sync(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::Accepted().json(run))
}

/// An account's syncs, newest first, with their progress.
#[utoipa::path(
    tag = "costs",
    params(("id" = String, Path, description = "The account's id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Syncs", body = Page<CostSync>),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/cloud-accounts/{id}/syncs")]
pub async fn list_cost_syncs(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<CostSync>>, ApiError> {
    Ok(web::Json(
        cloud_accounts::list_syncs(&state.core, &actor, &id, &page).await?,
    ))
}
