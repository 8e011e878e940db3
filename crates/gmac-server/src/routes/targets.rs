//! Deploy targets: where environments deploy (container hosts).

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use gmac_core::services::targets;
use gmac_types::{NewTarget, Page, PageQuery, Target, TargetPatch, TargetQuery};

use crate::error::ApiError;
use crate::extract::{Actor, IfMatch, Meta, etag};
use crate::state::AppState;

/// Register a deploy target for a client (or one of its projects): a container host's Docker
/// Engine API (`unix:///…` socket or `tcp://host:port`) and, beside it, the reverse proxy's
/// admin API (Caddy's). gmac asks the engine to describe itself (and the proxy to answer)
/// first: nothing is saved unless they do. Needs `targets.manage` there.
#[utoipa::path(
    tag = "deployments",
    request_body = NewTarget,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The target, tested", body = Target,
            headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/targets")]
pub async fn create_target(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewTarget>,
) -> Result<HttpResponse, ApiError> {
    let target = targets::create(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/targets/{}", target.id)))
        .json(target))
}

/// The deploy targets of the clients whose services you see, by name.
#[utoipa::path(
    tag = "deployments",
    params(TargetQuery, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Targets", body = Page<Target>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/targets")]
pub async fn list_targets(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<TargetQuery>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<Target>>, ApiError> {
    Ok(web::Json(
        targets::list(&state.core, &actor, &query, &page).await?,
    ))
}

/// One deploy target, with its last connection test.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The target's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The target", body = Target),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/targets/{id}")]
pub async fn get_target(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<Target>, ApiError> {
    Ok(web::Json(targets::get(&state.core, &actor, &id).await?))
}

/// Change a deploy target: its name, where it is reached (a container host's engine address
/// and proxy admin API, a cluster's kubeconfig), its ingress address or its cluster issuer;
/// absent fields stay as they are. A new address, proxy or kubeconfig is tested first:
/// nothing is saved unless the target answers through it (`422` naming the field). A new
/// proxy gets the routes of the environments serving there at once. The kubeconfig is
/// write-only. A container host's new address must show the containers of the releases that
/// run there (`409` naming one it does not, as gmac would lose it, or while a release rolls
/// out there; `503` when the engine cannot say). Needs `targets.manage`. Send `If-Match` with
/// the version you read.
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The target's id"),
        ("If-Match" = Option<String>, Header, description = "The version last read"),
    ),
    request_body = TargetPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed target", body = Target,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
        (status = 503, response = crate::routes::docs::ServiceUnavailable),
    )
)]
#[patch("/targets/{id}")]
pub async fn update_target(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
    body: web::Json<TargetPatch>,
) -> Result<HttpResponse, ApiError> {
    let target = targets::update(
        &state.core,
        &actor,
        &meta.0,
        &id,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(target.version))
        .json(target))
}

/// Test a target again: the engine describes itself and the proxy's admin API answers (or
/// not); the result is kept in `last_test`. Needs `targets.manage`.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The target's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The target, with the test's result", body = Target),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[post("/targets/{id}/test")]
pub async fn test_target(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<web::Json<Target>, ApiError> {
    Ok(web::Json(
        targets::test(&state.core, &actor, &meta.0, &id).await?,
    ))
}

/// Forget a deploy target. Needs `targets.manage`.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The target's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/targets/{id}")]
pub async fn delete_target(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    targets::delete(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
