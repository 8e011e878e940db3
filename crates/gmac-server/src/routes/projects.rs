//! Projects.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use gmac_core::services::projects;
use gmac_types::{NewProject, Page, Project, ProjectListQuery, ProjectPatch};

use crate::error::ApiError;
use crate::extract::{Actor, IfMatch, Meta, etag};
use crate::state::AppState;

/// The projects you may see (optionally of one client), by name, a page at a time.
#[utoipa::path(
    tag = "projects",
    params(ProjectListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of projects", body = Page<Project>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
    )
)]
#[get("/projects")]
pub async fn list_projects(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<ProjectListQuery>,
) -> Result<web::Json<Page<Project>>, ApiError> {
    Ok(web::Json(
        projects::list_projects(&state.core, &actor, &query).await?,
    ))
}

/// Create a project in a client. Needs `projects.manage` on the client.
#[utoipa::path(
    tag = "projects",
    request_body = NewProject,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new project", body = Project,
            headers(("Location" = String, description = "Its URL"), ("ETag" = String, description = "Its version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/projects")]
pub async fn create_project(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewProject>,
) -> Result<HttpResponse, ApiError> {
    let created = projects::create_project(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/projects/{}", created.id)))
        .insert_header(etag(created.version))
        .json(created))
}

/// One project.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The project", body = Project, headers(("ETag" = String, description = "Its version"))),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/projects/{id}")]
pub async fn get_project(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let project = projects::get_project(&state.core, &actor, &id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(project.version))
        .json(project))
}

/// Rename or re-describe a project. Send `If-Match` with the `ETag` you read to avoid
/// overwriting someone else's change.
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = String, Path, description = "The project's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read"),
    ),
    request_body = ProjectPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed project", body = Project, headers(("ETag" = String, description = "Its new version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[patch("/projects/{id}")]
pub async fn update_project(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
    body: web::Json<ProjectPatch>,
) -> Result<HttpResponse, ApiError> {
    let project = projects::update_project(
        &state.core,
        &actor,
        &meta.0,
        &id,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(project.version))
        .json(project))
}

/// Delete a project, with the role bindings and tokens scoped to it.
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = String, Path, description = "The project's id"),
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
#[delete("/projects/{id}")]
pub async fn delete_project(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    projects::delete_project(&state.core, &actor, &meta.0, &id, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
