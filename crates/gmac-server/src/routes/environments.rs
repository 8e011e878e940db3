//! Environments and releases: where a service runs, what it runs, deploys and rollbacks.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use gmac_core::services::{environment_ops, environments, previews, releases};
use gmac_types::{
    DeployStarted, Environment, EnvironmentPatch, Job, NewDeploy, NewPreview, NewRollback, Page,
    PageQuery, PreviewStarted, Release, ScaleRequest,
};

use crate::error::ApiError;
use crate::extract::{Actor, IfMatch, Meta, etag};
use crate::state::AppState;

/// A service's environments (staging, then production): each one's branch, target, host name
/// and the release serving it.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The service's id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its environments", body = Page<Environment>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/services/{id}/environments")]
pub async fn list_environments(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<Environment>>, ApiError> {
    Ok(web::Json(
        environments::list(&state.core, &actor, &id, &page).await?,
    ))
}

/// One environment.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The environment's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The environment", body = Environment,
            headers(("ETag" = String, description = "Its version"))),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/environments/{id}")]
pub async fn get_environment(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let environment = environments::get(&state.core, &actor, &id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(environment.version))
        .json(environment))
}

/// Change an environment; absent fields stay as they are. `target_id` chooses the target it
/// deploys to (`null` clears it): one registered for the service's client, or for its project;
/// that needs `services.manage`. `deploy_on_push` switches deploy-on-push on or off;
/// `paused: false` resumes it after a manual rollback paused it. The deploy settings
/// (`health_path`, `health_timeout_secs`, `releases_kept`, `resources`) apply from the next
/// rollout; fewer releases kept lets the older ones go then. Every change needs the
/// permission that deploys to the environment (`deploys.run`, or `deploys.production` for
/// production). Send `If-Match` with the `ETag` you read.
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The environment's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read"),
    ),
    request_body = EnvironmentPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed environment", body = Environment,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[patch("/environments/{id}")]
pub async fn update_environment(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
    body: web::Json<EnvironmentPatch>,
) -> Result<HttpResponse, ApiError> {
    let environment = environments::update(
        &state.core,
        &actor,
        &meta.0,
        &id,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(environment.version))
        .json(environment))
}

/// Open a preview environment of a branch by hand (or push it again): the branch's head is
/// built, and the build is deployed to the preview (`preview-<branch>`) once it succeeds. A
/// preview deploys where staging does, with staging's deploy settings and the variables the
/// project, the service's groups and the service share; it expires the service's preview time
/// (`previews.ttl_hours`, else 72 hours) after its last push, or goes when its branch is
/// deleted. Needs `deploys.run` and `builds.run`.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The service's id")),
    request_body = NewPreview,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The preview and the build deploying to it", body = PreviewStarted),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/services/{id}/previews")]
pub async fn create_preview(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<NewPreview>,
) -> Result<HttpResponse, ApiError> {
    let started = previews::start(&state.core, &actor, &meta.0, &id, body.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(started))
}

/// Delete a preview environment: it deploys nothing more, and a job tears down what it runs
/// (its containers and proxy route, or its namespace) and then removes it with its releases,
/// variables, secrets and domains. Staging and production go with their service only (409).
/// Needs `deploys.run`. Send `If-Match` with the `ETag` you read.
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The environment's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read"),
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
#[delete("/environments/{id}")]
pub async fn delete_environment(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let job = previews::delete(&state.core, &actor, &meta.0, &id, if_match.0).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/jobs/{}", job.id)))
        .json(job))
}

/// Deploy a succeeded build of the service (`build_id`) or an image (`image`) to the
/// environment's target. The release is made at once; its job rolls it out (the image, a new
/// container, its health check, the proxy's route, the old release retired) and the release
/// before keeps serving until the new one is healthy. Needs `deploys.run` (staging) or
/// `deploys.production`.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The environment's id")),
    request_body = NewDeploy,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The release, deploying, and its job", body = DeployStarted),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
        (status = 503, response = crate::routes::docs::ServiceUnavailable),
    )
)]
#[post("/environments/{id}/deploys")]
pub async fn create_deploy(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<NewDeploy>,
) -> Result<HttpResponse, ApiError> {
    let started = releases::deploy(&state.core, &actor, &meta.0, &id, body.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(started))
}

/// Roll the environment back to one of its releases: its image runs again without a rebuild,
/// once the target is seen to still have it (a 409 says when it does not). A new release
/// (with `rollback_of`) is rolled out like a deploy.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The environment's id")),
    request_body = NewRollback,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The release bringing it back, and its job", body = DeployStarted),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
        (status = 503, response = crate::routes::docs::ServiceUnavailable),
    )
)]
#[post("/environments/{id}/rollback")]
pub async fn rollback_environment(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<NewRollback>,
) -> Result<HttpResponse, ApiError> {
    let started = Box::pin(releases::rollback(
        &state.core,
        &actor,
        &meta.0,
        &id,
        body.into_inner(),
    ))
    .await?;
    Ok(HttpResponse::Accepted().json(started))
}

/// An environment's releases, newest first.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The environment's id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Releases", body = Page<Release>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/environments/{id}/releases")]
pub async fn list_releases(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<Release>>, ApiError> {
    Ok(web::Json(
        releases::list(&state.core, &actor, &id, &page).await?,
    ))
}

/// Restart the environment's live release: on a Kubernetes cluster its pods are replaced one at
/// a time (the restart's time goes into the pod template, and later releases keep it); on a
/// container host a fresh container of the live release replaces the one serving once it is
/// healthy, with no failed request. A job (`Location`) does it.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The environment's id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The restart's job", body = Job),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
    )
)]
#[post("/environments/{id}/restart")]
pub async fn restart_environment(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let job = environment_ops::restart(&state.core, &actor, &meta.0, &id).await?;
    Ok(crate::routes::jobs::accepted(&job))
}

/// Scale the environment: its replicas, or autoscaling bounds (a cluster's
/// `HorizontalPodAutoscaler`). Kept for every later release; the live release is applied again
/// by a job (`Location`). A container host runs one container (`409` for more).
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The environment's id")),
    request_body = ScaleRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The scale's job", body = Job),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/environments/{id}/scale")]
pub async fn scale_environment(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<ScaleRequest>,
) -> Result<HttpResponse, ApiError> {
    let job = environment_ops::scale(&state.core, &actor, &meta.0, &id, body.into_inner()).await?;
    Ok(crate::routes::jobs::accepted(&job))
}
