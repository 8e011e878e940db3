//! A running release as its container host or its cluster sees it: its instances and its own
//! output.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use gmac_core::services::runtime;
use gmac_types::runtime::{EnvironmentInstances, LogQuery, ServiceLogLine};

use crate::error::ApiError;
use crate::extract::Actor;
use crate::state::AppState;

/// How long a followed log stays quiet before a keep-alive comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The instances of the environment's live release (its container on a container host, its
/// pods on a cluster): whether each runs, how many times it was restarted, how it last exited
/// (its code, and why: completed, an error, out of memory, stopped by a signal), and why a pod
/// waits (a crash loop, an image that cannot be pulled). Needs `services.view`; 409 when the
/// live release's container is gone.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The environment's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its live release's instances (none when nothing serves)", body = EnvironmentInstances),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 503, response = crate::routes::docs::ServiceUnavailable),
    )
)]
#[get("/environments/{id}/instances")]
pub async fn get_instances(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<EnvironmentInstances>, ApiError> {
    Ok(web::Json(
        runtime::instances(&state.core, &actor, &id).await?,
    ))
}

/// The live release's own output (standard output and error), every secret value of its
/// configuration masked: its last `tail` lines as plain text; or, with
/// `Accept: text/event-stream`, those lines and then each new one as it is written (`log`
/// events carrying a `ServiceLogLine`), until the instance stops (an `end` event carrying the
/// `EnvironmentInstances`). On a cluster, every pod of the live release is read at once and
/// each line names its pod; the text starts with the lines in the order they were written.
/// Needs `services.view`; 409 when no instance can be read.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The environment's id"), LogQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The output as text, or followed as an event stream", content(
            (String = "text/plain"),
            (gmac_types::SseFrame = "text/event-stream"),
        )),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
        (status = 503, response = crate::routes::docs::ServiceUnavailable),
    )
)]
#[get("/environments/{id}/logs")]
pub async fn get_logs(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: crate::extract::Query<LogQuery>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let follow = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    let feed = runtime::logs(&state.core, &actor, &id, &query).await?;
    if !follow {
        let mut text = String::new();
        if let Some(feed) = feed {
            for line in feed.collect().await? {
                text.push_str(&line.line);
                text.push('\n');
            }
        }
        return Ok(HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(text));
    }
    let (sink, lines) = tokio::sync::mpsc::channel::<ServiceLogLine>(256);
    if let Some(feed) = feed {
        // Ends when the instance stops, or when the client leaves (the stream, and with it
        // the receiving end, is dropped).
        tokio::spawn(async move {
            if let Err(err) = feed.run(true, sink).await {
                tracing::debug!(error = %err, "a followed service log ended");
            }
        });
    }
    let tail = Tail {
        lines,
        core: state.core.clone(),
        actor: actor.0,
        id: id.into_inner(),
        started: false,
        ended: false,
    };
    let stream = futures_util::stream::unfold(tail, |mut tail| async move {
        if tail.ended {
            return None;
        }
        let chunk = tail.next().await;
        Some((chunk, tail))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}

/// One followed log.
struct Tail {
    lines: tokio::sync::mpsc::Receiver<ServiceLogLine>,
    core: gmac_core::Core,
    actor: gmac_core::Actor,
    id: String,
    started: bool,
    ended: bool,
}

fn frame(event: &str, data: &impl serde::Serialize) -> web::Bytes {
    let data = serde_json::to_string(data).unwrap_or_else(|_| "null".to_owned());
    web::Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}

impl Tail {
    /// The next chunk: a line, a keep-alive, or the end with the instances as they stand.
    async fn next(&mut self) -> Result<web::Bytes, actix_web::Error> {
        if !self.started {
            self.started = true;
            return Ok(web::Bytes::from_static(b"retry: 3000\n\n"));
        }
        match tokio::time::timeout(KEEP_ALIVE, self.lines.recv()).await {
            Ok(Some(line)) => Ok(frame("log", &line)),
            Ok(None) => {
                self.ended = true;
                let instances = runtime::instances(&self.core, &self.actor, &self.id)
                    .await
                    .unwrap_or(EnvironmentInstances {
                        release_id: None,
                        release_number: None,
                        instances: Vec::new(),
                    });
                Ok(frame("end", &instances))
            }
            Err(_) => Ok(web::Bytes::from_static(b": keep-alive\n\n")),
        }
    }
}
