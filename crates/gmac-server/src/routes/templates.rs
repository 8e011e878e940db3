//! The catalog of service templates, and the git repositories templates are added from.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use gmac_core::services::template_sources;
use gmac_types::{NewTemplateSource, Page, PageQuery, Template, TemplateSource};

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// The templates a service can be created from, sorted by id: the built-in ones and those
/// added from template sources (their `source` is the repository, `source_id` the source).
/// Each has its card, health check, default resources and build arguments, the JSON Schema
/// its `parameters` must satisfy, and the files its first commit holds.
#[utoipa::path(
    tag = "services",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The templates", body = Vec<Template>),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[get("/templates")]
pub async fn list_templates(
    state: web::Data<AppState>,
    _actor: Actor,
) -> Result<web::Json<Vec<Template>>, ApiError> {
    Ok(web::Json(template_sources::catalog(&state.core).await?))
}

/// Add templates from a git repository: every folder under `path` holding a `template.json`
/// (or `path` itself, when it holds one) in the built-in templates' format. Answers 201 with
/// the source, `syncing`; its first sync is the job `job_id` (fetch, check the templates,
/// save), after which the templates that pass every check are in the catalog and the folders
/// that do not are listed in `problems`. A private repository is fetched with an
/// installation-wide git connection's token (`connection_id`). Needs `services.manage` on
/// the whole installation.
#[utoipa::path(
    tag = "services",
    request_body = NewTemplateSource,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The source, its first sync queued", body = TemplateSource,
            headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/template-sources")]
pub async fn create_template_source(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewTemplateSource>,
) -> Result<HttpResponse, ApiError> {
    let source = template_sources::create(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/template-sources/{}", source.id),
        ))
        .json(source))
}

/// The template sources, by URL, each with its last sync: its status, commit, the templates
/// it adds and the folders it refused.
#[utoipa::path(
    tag = "services",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sources", body = Page<TemplateSource>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[get("/template-sources")]
pub async fn list_template_sources(
    state: web::Data<AppState>,
    actor: Actor,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<TemplateSource>>, ApiError> {
    Ok(web::Json(
        template_sources::list(&state.core, &actor, &page).await?,
    ))
}

/// One template source.
#[utoipa::path(
    tag = "services",
    params(("id" = String, Path, description = "The source's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The source", body = TemplateSource),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/template-sources/{id}")]
pub async fn get_template_source(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<TemplateSource>, ApiError> {
    Ok(web::Json(
        template_sources::get(&state.core, &actor, &id).await?,
    ))
}

/// Read the repository again (after its templates changed): answers 202 with the source and
/// its sync's `job_id`; a sync already queued or running is the one answered. Until it ends,
/// the catalog keeps the templates of the last sync. Needs `services.manage` on the whole
/// installation.
#[utoipa::path(
    tag = "services",
    params(("id" = String, Path, description = "The source's id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The source, its sync queued", body = TemplateSource),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[post("/template-sources/{id}/sync")]
pub async fn sync_template_source(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let source = template_sources::sync(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::Accepted().json(source))
}

/// Remove a template source and its templates from the catalog. Services created from them
/// keep their repositories and builds. Needs `services.manage` on the whole installation.
#[utoipa::path(
    tag = "services",
    params(("id" = String, Path, description = "The source's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/template-sources/{id}")]
pub async fn delete_template_source(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    template_sources::delete(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
