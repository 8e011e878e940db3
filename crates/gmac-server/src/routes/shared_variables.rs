//! Variables a project, a group or a service shares with its environments (versioned). An
//! environment runs with its project's, then its service's groups' in order, then its
//! service's, then its own variables, then its secrets, a narrower scope overriding a wider
//! one; `GET /environments/{id}/variables` shows what it inherits and what overrides it.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, put, web};
use gmac_core::services::shared_variables::{self, Owner};
use gmac_core::services::variable_groups;
use gmac_types::variables::{
    AttachedGroups, NewVariableGroup, ServiceVariableGroups, SharedVariableSet, VariableGroup,
    VariablesDiff, VariablesDiffQuery, VariablesQuery, VariablesRollback, VariablesUpdate,
};
use gmac_types::{Page, PageQuery};

use crate::error::ApiError;
use crate::extract::{Actor, IfMatch, Meta, etag};
use crate::state::AppState;

fn answer(set: &SharedVariableSet) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(etag(set.latest_version))
        .json(set)
}

/// The variables a project shares with every environment of its services: the newest version,
/// or `version`.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The project's id"), VariablesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The version", body = SharedVariableSet,
            headers(("ETag" = String, description = "The newest version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/projects/{id}/variables")]
pub async fn get_project_variables(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: crate::extract::Query<VariablesQuery>,
) -> Result<HttpResponse, ApiError> {
    let set =
        shared_variables::get(&state.core, &actor, Owner::Project(&id), query.version).await?;
    Ok(answer(&set))
}

/// Set a project's shared variables as a whole: a new version, which every environment of its
/// services runs with from its next deploy. Send `If-Match` with the `ETag` you read. Needs
/// `deploys.production` on the project.
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The project's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read"),
    ),
    request_body = VariablesUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new version", body = SharedVariableSet,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[put("/projects/{id}/variables")]
pub async fn set_project_variables(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
    body: web::Json<VariablesUpdate>,
) -> Result<HttpResponse, ApiError> {
    let owner = Owner::Project(&id);
    let set = shared_variables::put(
        &state.core,
        &actor,
        &meta.0,
        owner,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(answer(&set))
}

/// What changed between two versions of a project's shared variables (0: none).
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The project's id"), VariablesDiffQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The differences, by name", body = VariablesDiff),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/projects/{id}/variables/diff")]
pub async fn diff_project_variables(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: crate::extract::Query<VariablesDiffQuery>,
) -> Result<web::Json<VariablesDiff>, ApiError> {
    let owner = Owner::Project(&id);
    Ok(web::Json(
        shared_variables::compare(&state.core, &actor, owner, query.from, query.to).await?,
    ))
}

/// Bring an earlier version of a project's shared variables back, as a new version.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The project's id")),
    request_body = VariablesRollback,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new version", body = SharedVariableSet,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/projects/{id}/variables/rollback")]
pub async fn rollback_project_variables(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<VariablesRollback>,
) -> Result<HttpResponse, ApiError> {
    let owner = Owner::Project(&id);
    let version = i64::from(body.version);
    let set = shared_variables::rollback(&state.core, &actor, &meta.0, owner, version).await?;
    Ok(answer(&set))
}

/// The variables a service shares with each of its environments: the newest version, or
/// `version`.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The service's id"), VariablesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The version", body = SharedVariableSet,
            headers(("ETag" = String, description = "The newest version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/services/{id}/variables")]
pub async fn get_service_variables(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: crate::extract::Query<VariablesQuery>,
) -> Result<HttpResponse, ApiError> {
    let set =
        shared_variables::get(&state.core, &actor, Owner::Service(&id), query.version).await?;
    Ok(answer(&set))
}

/// Set a service's shared variables as a whole: a new version, which each of its environments
/// runs with from its next deploy (over its project's, under the environment's own). Send
/// `If-Match` with the `ETag` you read. Needs `deploys.production` where the service is.
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The service's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read"),
    ),
    request_body = VariablesUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new version", body = SharedVariableSet,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[put("/services/{id}/variables")]
pub async fn set_service_variables(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
    body: web::Json<VariablesUpdate>,
) -> Result<HttpResponse, ApiError> {
    let owner = Owner::Service(&id);
    let set = shared_variables::put(
        &state.core,
        &actor,
        &meta.0,
        owner,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(answer(&set))
}

/// What changed between two versions of a service's shared variables (0: none).
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The service's id"), VariablesDiffQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The differences, by name", body = VariablesDiff),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/services/{id}/variables/diff")]
pub async fn diff_service_variables(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: crate::extract::Query<VariablesDiffQuery>,
) -> Result<web::Json<VariablesDiff>, ApiError> {
    let owner = Owner::Service(&id);
    Ok(web::Json(
        shared_variables::compare(&state.core, &actor, owner, query.from, query.to).await?,
    ))
}

/// Bring an earlier version of a service's shared variables back, as a new version.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The service's id")),
    request_body = VariablesRollback,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new version", body = SharedVariableSet,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/services/{id}/variables/rollback")]
pub async fn rollback_service_variables(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<VariablesRollback>,
) -> Result<HttpResponse, ApiError> {
    let owner = Owner::Service(&id);
    let version = i64::from(body.version);
    let set = shared_variables::rollback(&state.core, &actor, &meta.0, owner, version).await?;
    Ok(answer(&set))
}

/// A group's variables: the newest version, or `version`.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The group's id"), VariablesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The version", body = SharedVariableSet,
            headers(("ETag" = String, description = "The newest version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/variable-groups/{id}/variables")]
pub async fn get_group_variables(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: crate::extract::Query<VariablesQuery>,
) -> Result<HttpResponse, ApiError> {
    let set = shared_variables::get(&state.core, &actor, Owner::Group(&id), query.version).await?;
    Ok(answer(&set))
}

/// Set a group's variables as a whole: a new version, which every environment of the services
/// it is attached to runs with from its next deploy. Send `If-Match` with the `ETag` you read.
/// Needs `deploys.production` on its project.
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The group's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read"),
    ),
    request_body = VariablesUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new version", body = SharedVariableSet,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[put("/variable-groups/{id}/variables")]
pub async fn set_group_variables(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
    body: web::Json<VariablesUpdate>,
) -> Result<HttpResponse, ApiError> {
    let owner = Owner::Group(&id);
    let set = shared_variables::put(
        &state.core,
        &actor,
        &meta.0,
        owner,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(answer(&set))
}

/// What changed between two versions of a group's variables (0: none).
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The group's id"), VariablesDiffQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The differences, by name", body = VariablesDiff),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/variable-groups/{id}/variables/diff")]
pub async fn diff_group_variables(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: crate::extract::Query<VariablesDiffQuery>,
) -> Result<web::Json<VariablesDiff>, ApiError> {
    let owner = Owner::Group(&id);
    Ok(web::Json(
        shared_variables::compare(&state.core, &actor, owner, query.from, query.to).await?,
    ))
}

/// Bring an earlier version of a group's variables back, as a new version.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The group's id")),
    request_body = VariablesRollback,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new version", body = SharedVariableSet,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/variable-groups/{id}/variables/rollback")]
pub async fn rollback_group_variables(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<VariablesRollback>,
) -> Result<HttpResponse, ApiError> {
    let owner = Owner::Group(&id);
    let version = i64::from(body.version);
    let set = shared_variables::rollback(&state.core, &actor, &meta.0, owner, version).await?;
    Ok(answer(&set))
}

/// A project's groups of variables, by name.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The project's id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of groups", body = Page<VariableGroup>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/projects/{id}/variable-groups")]
pub async fn list_variable_groups(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<VariableGroup>>, ApiError> {
    Ok(web::Json(
        variable_groups::list(&state.core, &actor, &id, &page).await?,
    ))
}

/// Create a group of variables in a project, to attach to any of its services. Needs
/// `deploys.production` on the project.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The project's id")),
    request_body = NewVariableGroup,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The group", body = VariableGroup,
            headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/projects/{id}/variable-groups")]
pub async fn create_variable_group(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<NewVariableGroup>,
) -> Result<HttpResponse, ApiError> {
    let group =
        variable_groups::create(&state.core, &actor, &meta.0, &id, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/variable-groups/{}", group.id),
        ))
        .json(group))
}

/// A group of variables: its newest variables and the services it is attached to.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The group's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = VariableGroup),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/variable-groups/{id}")]
pub async fn get_variable_group(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<VariableGroup>, ApiError> {
    Ok(web::Json(
        variable_groups::get(&state.core, &actor, &id).await?,
    ))
}

/// Delete a group no service has attached (`409` while one does). A release that ran with it
/// can no longer be rolled back to. Needs `deploys.production` on its project.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The group's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
    )
)]
#[delete("/variable-groups/{id}")]
pub async fn delete_variable_group(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    variable_groups::delete(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The groups attached to a service, in order of override.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The service's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The groups, in order", body = AttachedGroups),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/services/{id}/variable-groups")]
pub async fn get_service_variable_groups(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<AttachedGroups>, ApiError> {
    Ok(web::Json(
        variable_groups::attached(&state.core, &actor, &id).await?,
    ))
}

/// Attach exactly these groups of its project to a service, in this order (a later one wins;
/// `[]` detaches them all). A change applies on each environment's next deploy. Needs
/// `deploys.production` where the service is.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The service's id")),
    request_body = ServiceVariableGroups,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The groups, in order", body = AttachedGroups),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[put("/services/{id}/variable-groups")]
pub async fn set_service_variable_groups(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<ServiceVariableGroups>,
) -> Result<web::Json<AttachedGroups>, ApiError> {
    Ok(web::Json(
        variable_groups::attach(&state.core, &actor, &meta.0, &id, body.into_inner()).await?,
    ))
}
