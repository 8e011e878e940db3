//! Durable jobs: list, follow live, cancel and retry.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use gmac_core::platform::jobs;
use gmac_types::{Job, JobLogLine, JobQuery, Page, PageQuery};

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// Whether the request's `Prefer` headers ask for `respond-async` (RFC 7240: preferences are
/// comma-separated tokens, case-insensitive, possibly with parameters).
pub(crate) fn prefers_async(request: &actix_web::HttpRequest) -> bool {
    request
        .headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| {
            p.split(';')
                .next()
                .is_some_and(|token| token.trim().eq_ignore_ascii_case("respond-async"))
        })
}

/// 202 Accepted with `job`, its `Location` and `Preference-Applied: respond-async`.
pub(crate) fn accepted(job: &Job) -> HttpResponse {
    HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/jobs/{}", job.id)))
        .insert_header(("Preference-Applied", "respond-async"))
        .json(job)
}

/// The jobs whose work you may see (an import's with `costs.view` on its client), newest
/// first, a page at a time; filter by kind, status and client.
#[utoipa::path(
    tag = "jobs",
    params(JobQuery, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of jobs", body = Page<Job>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/jobs")]
pub async fn list_jobs(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<JobQuery>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<Job>>, ApiError> {
    Ok(web::Json(
        jobs::list(&state.core, &actor, &query, &page).await?,
    ))
}

/// One job: its status, progress, steps, attempts and result.
#[utoipa::path(
    tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The job", body = Job),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/jobs/{id}")]
pub async fn get_job(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<Job>, ApiError> {
    Ok(web::Json(jobs::get(&state.core, &actor, &id).await?))
}

/// A job's log, oldest line first (secrets masked), a page at a time. The cursor is the `seq`
/// of the last line read; `next_cursor` is always there, as a running job writes more.
#[utoipa::path(
    tag = "jobs",
    params(("id" = String, Path, description = "The job's id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Log lines", body = Page<JobLogLine>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[get("/jobs/{id}/log")]
pub async fn get_job_log(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<JobLogLine>>, ApiError> {
    Ok(web::Json(jobs::log(&state.core, &actor, &id, &page).await?))
}

/// Asks a job to stop: a queued job is cancelled at once, a running one within its worker's
/// next heartbeat. Needs the permission of what the job does (`costs.manage` for an import).
#[utoipa::path(
    tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The job, cancelled or asked to stop", body = Job),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
    )
)]
#[post("/jobs/{id}/cancel")]
pub async fn cancel_job(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<web::Json<Job>, ApiError> {
    Ok(web::Json(
        jobs::cancel(&state.core, &actor, &meta.0, &id).await?,
    ))
}

/// Queues a failed or cancelled job again with fresh attempts; it goes on from the step that
/// failed. Needs the permission of what the job does.
#[utoipa::path(
    tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The job, queued again", body = Job),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
    )
)]
#[post("/jobs/{id}/retry")]
pub async fn retry_job(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<web::Json<Job>, ApiError> {
    Ok(web::Json(
        jobs::retry(&state.core, &actor, &meta.0, &id).await?,
    ))
}

/// How often a followed job is looked at (the stream works across replicas: it reads the
/// database, not one process's memory).
const FOLLOW_EVERY: Duration = Duration::from_millis(250);
/// A comment line this often keeps proxies from closing a quiet stream.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Follows a job live as server-sent events: `log` events (`id:` the line's `seq`, `data:` the
/// line), `job` events whenever its status, progress or steps change (`data:` the job), and a
/// last `end` event with the finished job. Send `Last-Event-ID` to resume after a line without
/// loss or repeat.
#[utoipa::path(
    tag = "jobs",
    params(
        ("id" = String, Path, description = "The job's id"),
        ("Last-Event-ID" = Option<i64>, Header, nullable = false, minimum = 0, description = "Resume after this log line"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "An event stream: `log` events carry a `JobLogLine`, `job` and `end` a `Job`", content_type = "text/event-stream", body = gmac_types::SseFrame),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[get("/jobs/{id}/events")]
pub async fn follow_job(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let after = last_event_id(&request)?.unwrap_or(0);
    let job = jobs::get(&state.core, &actor, &id).await?;
    let follow = Follow {
        core: state.core.clone(),
        actor: actor.0,
        id: id.into_inner(),
        build_id: None,
        after,
        last: None,
        first: Some(job),
        ended: false,
        quiet: Duration::ZERO,
    };
    Ok(follow.respond())
}

/// The state of one followed job.
pub(crate) struct Follow {
    pub(crate) core: gmac_core::Core,
    pub(crate) actor: gmac_core::Actor,
    /// The job followed.
    pub(crate) id: String,
    /// The build the job runs, when it is followed as a build's log (whose permission then
    /// decides who may follow it).
    pub(crate) build_id: Option<String>,
    pub(crate) after: i64,
    pub(crate) last: Option<Job>,
    pub(crate) first: Option<Job>,
    pub(crate) ended: bool,
    pub(crate) quiet: Duration,
}

impl Follow {
    /// The event stream as an answer.
    pub(crate) fn respond(self) -> HttpResponse {
        let stream = futures_util::stream::unfold(self, |mut follow| async move {
            if follow.ended {
                return None;
            }
            let chunk = follow.next().await;
            Some((chunk, follow))
        });
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/event-stream"))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header(("X-Accel-Buffering", "no"))
            .streaming(stream)
    }

    /// The job as the follower may see it now.
    async fn fetch(&self) -> gmac_core::Result<Job> {
        match &self.build_id {
            Some(build) => gmac_core::services::builds::job(&self.core, &self.actor, build).await,
            None => jobs::get(&self.core, &self.actor, &self.id).await,
        }
    }

    /// The next chunk of events: waits until there is something to send (or a keep-alive).
    async fn next(&mut self) -> Result<web::Bytes, actix_web::Error> {
        loop {
            let job = if let Some(job) = self.first.take() {
                job
            } else {
                tokio::time::sleep(FOLLOW_EVERY).await;
                self.quiet += FOLLOW_EVERY;
                match self.fetch().await {
                    Ok(job) => job,
                    Err(gmac_core::Error::NotFound) => {
                        // Removed, or no longer visible to this actor: the stream ends.
                        self.ended = true;
                        return Ok(web::Bytes::from_static(b"event: end\ndata: null\n\n"));
                    }
                    Err(_) => continue,
                }
            };
            let mut out = String::new();
            let Ok(lines) = jobs::log_after(&self.core.db, &self.id, self.after, 500).await else {
                continue;
            };
            for line in &lines {
                self.after = line.seq;
                push_event(&mut out, Some(line.seq), "log", line);
            }
            let finished = job.status.is_finished();
            if self.last.as_ref() != Some(&job) {
                push_event(&mut out, None, "job", &job);
            }
            // A finished job's log is complete only once every line has been read.
            if finished && lines.len() < 500 {
                push_event(&mut out, None, "end", &job);
                self.ended = true;
            }
            self.last = Some(job);
            if !out.is_empty() {
                self.quiet = Duration::ZERO;
                return Ok(web::Bytes::from(out));
            }
            if self.quiet >= KEEP_ALIVE {
                self.quiet = Duration::ZERO;
                return Ok(web::Bytes::from_static(b": keep-alive\n\n"));
            }
        }
    }
}

/// The `Last-Event-ID` a client resumes after: a whole number from 0, or a problem.
pub(crate) fn last_event_id(request: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = request.headers().get("last-event-id") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|id| *id >= 0)
        .map(Some)
        .ok_or_else(|| {
            gmac_core::Error::invalid(gmac_types::FieldError::new(
                "Last-Event-ID",
                "integer",
                "Last-Event-ID must be the id of an event: a whole number from 0.",
            ))
            .into()
        })
}

/// Appends one server-sent event.
pub(crate) fn push_event(
    out: &mut String,
    id: Option<i64>,
    event: &str,
    data: &impl serde::Serialize,
) {
    use std::fmt::Write as _;
    if let Some(id) = id {
        let _ = writeln!(out, "id: {id}");
    }
    let _ = writeln!(out, "event: {event}");
    let data = serde_json::to_string(data).unwrap_or_else(|_| "null".to_owned());
    let _ = write!(out, "data: {data}\n\n");
}
