//! Services: the catalog, made from templates.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use gmac_core::services::catalog;
use gmac_types::{
    CreatedService, Job, NewService, Page, PageQuery, Service, ServiceDeleteQuery, ServicePatch,
    ServiceQuery,
};

use crate::error::ApiError;
use crate::extract::{Actor, IfMatch, Meta, etag};
use crate::state::AppState;

/// The services you may see, by name, a page at a time; filter by client, project, owning
/// team, template, status or a part of the name.
#[utoipa::path(
    tag = "services",
    params(ServiceQuery, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of services", body = Page<Service>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[get("/services")]
pub async fn list_services(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<ServiceQuery>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<Service>>, ApiError> {
    Ok(web::Json(
        catalog::list(&state.core, &actor, &query, &page).await?,
    ))
}

/// Create a service from a template. The parameters are checked against the template's
/// schema; the answer is the service, `creating`, and the job that creates its repository,
/// pushes the first commit rendered from the template, creates the branches and registers the
/// push webhook (follow it under `/jobs/{id}`; a failed step is retried with
/// `POST /jobs/{id}/retry`, and deleting the service undoes what was made). Needs
/// `services.manage` on the project.
#[utoipa::path(
    tag = "services",
    request_body = NewService,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The service and its creation job", body = CreatedService,
            headers(("Location" = String, description = "Its URL"), ("ETag" = String, description = "Its version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/services")]
pub async fn create_service(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewService>,
) -> Result<HttpResponse, ApiError> {
    let created = catalog::create(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/services/{}", created.service.id),
        ))
        .insert_header(etag(created.service.version))
        .json(created))
}

/// One service.
#[utoipa::path(
    tag = "services",
    params(("id" = String, Path, description = "The service's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The service", body = Service, headers(("ETag" = String, description = "Its version"))),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/services/{id}")]
pub async fn get_service(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let service = catalog::get(&state.core, &actor, &id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(service.version))
        .json(service))
}

/// Change a service's description, owning team, the branch each environment builds, its build
/// settings, its preview environments (which also needs `deploys.run`) or the rules of which
/// of its events email whom. Send `If-Match` with the `ETag` you read. Needs `services.manage`.
#[utoipa::path(
    tag = "services",
    params(
        ("id" = String, Path, description = "The service's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read"),
    ),
    request_body = ServicePatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed service", body = Service, headers(("ETag" = String, description = "Its new version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[patch("/services/{id}")]
pub async fn update_service(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
    body: web::Json<ServicePatch>,
) -> Result<HttpResponse, ApiError> {
    let service = catalog::update(
        &state.core,
        &actor,
        &meta.0,
        &id,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(service.version))
        .json(service))
}

/// Delete a service: `202` with the job that removes its webhook, then the service. Its
/// repository stays unless `delete_repository=true`; abandoning a failed creation removes the
/// repository gmac made for it in any case. Refused while the creation job runs. Needs
/// `services.manage`.
#[utoipa::path(
    tag = "services",
    params(
        ("id" = String, Path, description = "The service's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read"),
        ServiceDeleteQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The deletion job", body = Job,
            headers(("Location" = String, description = "The job's URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
    )
)]
#[delete("/services/{id}")]
pub async fn delete_service(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
    query: crate::extract::Query<ServiceDeleteQuery>,
) -> Result<HttpResponse, ApiError> {
    let job = catalog::delete(
        &state.core,
        &actor,
        &meta.0,
        &id,
        if_match.0,
        query.delete_repository,
    )
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/jobs/{}", job.id)))
        .json(job))
}

/// What a service costs, with no set-up: the cost lines tagged `gmac.io/service=<id>` (every
/// container and Kubernetes object gmac deploys carries the label), this month day by day, and
/// each release's environment's daily cost while it served against the release before it.
/// Needs `costs.view` where the service lives.
#[utoipa::path(
    tag = "services",
    params(("id" = String, Path, description = "The service's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its costs", body = gmac_types::ServiceCosts),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/services/{id}/costs")]
pub async fn get_service_costs(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<gmac_types::ServiceCosts>, ApiError> {
    Ok(web::Json(
        gmac_core::services::service_costs::of_service(&state.core, &actor, &id).await?,
    ))
}
