//! Custom domains of environments (issue 12, point 6).

use actix_web::{HttpResponse, delete, get, http::header, post, web};
use gmac_core::services::domains;
use gmac_types::{Domain, NewDomain, Page, PageQuery};

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// An environment's custom domains, by name: each with the DNS record to create, where it
/// pointed at its last check, and the certificate it answered with.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The environment's id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its domains", body = Page<Domain>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/environments/{id}/domains")]
pub async fn list_domains(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<Domain>>, ApiError> {
    Ok(web::Json(
        domains::list(&state.core, &actor, &id, &page).await?,
    ))
}

/// Add a custom domain to an environment. It is checked at once (through gmac's DNS resolver
/// setting) and answered as that check left it: `pending` until it points at the target's
/// ingress address, then `verified` and routed. Needs the permission that deploys to the
/// environment.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The environment's id")),
    request_body = NewDomain,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The domain, checked", body = Domain,
            headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/environments/{id}/domains")]
pub async fn create_domain(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<NewDomain>,
) -> Result<HttpResponse, ApiError> {
    let domain = domains::create(&state.core, &actor, &meta.0, &id, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/domains/{}", domain.id)))
        .json(domain))
}

/// One custom domain.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The domain's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The domain", body = Domain),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/domains/{id}")]
pub async fn get_domain(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<Domain>, ApiError> {
    Ok(web::Json(domains::get(&state.core, &actor, &id).await?))
}

/// Check a custom domain now: where it points and, once it points at the target, which
/// certificate it answers with (status, issuer, expiry). A domain that comes to point here is
/// routed at once on a container host (a cluster's Ingress gets it with the next deploy or
/// restart). Needs the permission that deploys to its environment.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The domain's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The domain as the check left it", body = Domain),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[post("/domains/{id}/verify")]
pub async fn verify_domain(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<web::Json<Domain>, ApiError> {
    Ok(web::Json(
        domains::verify(&state.core, &actor, &meta.0, &id).await?,
    ))
}

/// Remove a custom domain; a container host's proxy stops answering it at once. Needs the
/// permission that deploys to its environment.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The domain's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/domains/{id}")]
pub async fn delete_domain(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    domains::delete(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
