//! Builds: a service's commit made into a container image, followed live.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use gmac_core::services::builds;
use gmac_types::{Build, BuildQuery, BuildStats, BuildStatsQuery, NewBuild, Page, PageQuery};

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::routes::jobs::{Follow, last_event_id};
use crate::state::AppState;

/// Lines read from the database at a time for a plain-text log.
const LOG_BATCH: u64 = 2_000;

/// Build a branch, a tag or a commit of a service: `202` with the build, queued (follow it
/// under `/builds/{id}` and its log under `/builds/{id}/logs`). Needs `builds.run` on the
/// service's project; the service must be active.
#[utoipa::path(
    tag = "builds",
    params(("id" = String, Path, description = "The service's id")),
    request_body = NewBuild,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The build, queued", body = Build,
            headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/services/{id}/builds")]
pub async fn start_build(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<NewBuild>,
) -> Result<HttpResponse, ApiError> {
    let build = builds::start(&state.core, &actor, &meta.0, &id, body.into_inner()).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/builds/{}", build.id)))
        .json(build))
}

/// A service's builds, newest first, a page at a time.
#[utoipa::path(
    tag = "builds",
    params(("id" = String, Path, description = "The service's id"), BuildQuery, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of builds", body = Page<Build>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/services/{id}/builds")]
pub async fn list_builds(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: crate::extract::Query<BuildQuery>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<Build>>, ApiError> {
    Ok(web::Json(
        builds::list(&state.core, &actor, &id, &query, &page).await?,
    ))
}

/// One build, with its steps and how long each took.
#[utoipa::path(
    tag = "builds",
    params(("id" = String, Path, description = "The build's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The build", body = Build),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/builds/{id}")]
pub async fn get_build(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<Build>, ApiError> {
    Ok(web::Json(builds::get(&state.core, &actor, &id).await?))
}

/// A build's log, every secret value masked: plain text, a line each, as it stands; or, with
/// `Accept: text/event-stream`, followed live as server-sent events (`log` events with the
/// line, `job` events as its steps change, a last `end`); `Last-Event-ID` resumes after a line.
#[utoipa::path(
    tag = "builds",
    params(
        ("id" = String, Path, description = "The build's id"),
        ("Last-Event-ID" = Option<i64>, Header, nullable = false, minimum = 0, description = "Resume the event stream after this log line"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The log as text, or followed as an event stream", content(
            (String = "text/plain"),
            (gmac_types::SseFrame = "text/event-stream"),
        )),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[get("/builds/{id}/logs")]
pub async fn get_build_logs(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let wants_events = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if wants_events {
        let after = last_event_id(&request)?.unwrap_or(0);
        let job = builds::job(&state.core, &actor, &id).await?;
        let follow = Follow {
            core: state.core.clone(),
            actor: actor.0,
            id: job.id.clone(),
            build_id: Some(id.into_inner()),
            after,
            last: None,
            first: Some(job),
            ended: false,
            quiet: Duration::ZERO,
        };
        return Ok(follow.respond());
    }
    let mut text = String::new();
    let mut after = 0;
    loop {
        let lines = builds::log(&state.core, &actor, &id, after, LOG_BATCH).await?;
        for line in &lines {
            text.push_str(&line.line);
            text.push('\n');
            after = line.seq;
        }
        if (lines.len() as u64) < LOG_BATCH {
            break;
        }
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(text))
}

/// Run a failed or cancelled build again, from its first step, at the same commit. Needs
/// `builds.run`.
#[utoipa::path(
    tag = "builds",
    params(("id" = String, Path, description = "The build's id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The build, queued again", body = Build),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
    )
)]
#[post("/builds/{id}/retry")]
pub async fn retry_build(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let build = builds::retry(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::Accepted().json(build))
}

/// Stop a build: a queued one at once, a running one within its worker's next heartbeat.
/// Needs `builds.run`.
#[utoipa::path(
    tag = "builds",
    params(("id" = String, Path, description = "The build's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The build, cancelled", body = Build),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
    )
)]
#[post("/builds/{id}/cancel")]
pub async fn cancel_build(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<web::Json<Build>, ApiError> {
    Ok(web::Json(
        builds::cancel(&state.core, &actor, &meta.0, &id).await?,
    ))
}

/// A service's builds over the last days (7 by default, 30, or up to 90): builds per day, the
/// success rate, and the mean and 95th percentile of their durations.
#[utoipa::path(
    tag = "builds",
    params(("id" = String, Path, description = "The service's id"), BuildStatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The analytics", body = BuildStats),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[get("/services/{id}/build-stats")]
pub async fn get_build_stats(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: crate::extract::Query<BuildStatsQuery>,
) -> Result<web::Json<BuildStats>, ApiError> {
    Ok(web::Json(
        builds::stats(&state.core, &actor, &id, query.days).await?,
    ))
}
