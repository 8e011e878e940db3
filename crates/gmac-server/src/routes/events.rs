//! Events: what changed, as a list and as a live stream.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use gmac_core::RequestMeta;
use gmac_core::platform::events;
use gmac_types::{EventList, EventQuery, EventStreamQuery};

use crate::error::ApiError;
use crate::extract::{Actor, bearer_token, request_meta};
use crate::routes::jobs::{KEEP_ALIVE, last_event_id, push_event};
use crate::state::AppState;

/// The events you may see after `after`, oldest first (the same permission rules as reading
/// what they are about). Continue with `after` = `last_id`.
#[utoipa::path(
    tag = "events",
    params(EventQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Events after `after`", body = EventList),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[get("/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<EventQuery>,
) -> Result<web::Json<EventList>, ApiError> {
    Ok(web::Json(events::list(&state.core, &actor, &query).await?))
}

/// How often the stream looks for new events (it reads the database, so every replica sends
/// every event).
const POLL: Duration = Duration::from_millis(250);
/// How often the stream checks that its token still stands (and picks up changed
/// permissions).
const RECHECK: Duration = Duration::from_secs(15);
/// At most this many events per read.
const BATCH: u64 = 200;

/// Every event you may see, live, as server-sent events: `id:` the event's id, `event:` its
/// type, `data:` the event as JSON. A comment line every 15 s keeps quiet streams open. Send
/// `Last-Event-ID` (or `after`) to resume after an event without loss or repeat; without either
/// the stream starts with the next event. The stream ends with an `end` event when the token it
/// was opened with expires or is revoked (reconnect with a fresh one and `Last-Event-ID`).
/// A browser's `EventSource` cannot send `Authorization`: read it with `fetch`.
#[utoipa::path(
    tag = "events",
    params(
        EventStreamQuery,
        ("Last-Event-ID" = Option<i64>, Header, nullable = false, minimum = 0, description = "Resume after this event"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "An event stream: each event's `data` is an `Event`", content_type = "text/event-stream", body = gmac_types::SseFrame),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[get("/events/stream")]
pub async fn stream_events(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<EventStreamQuery>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    actor.ensure_enrolled()?;
    events::check_after(query.after)?;
    let after = match last_event_id(&request)?.or(query.after) {
        Some(after) => after,
        None => events::head(&state.core.db).await?,
    };
    let token = bearer_token(&request).unwrap_or_default().to_owned();
    // An access token's own expiry ends the stream on time; revocation is seen at a recheck.
    let expires_at = state
        .core
        .jwt
        .verify(&token, state.core.now())
        .and_then(|claims| chrono::DateTime::from_timestamp(claims.exp, 0));
    let live = Live {
        core: state.core.clone(),
        expires_at,
        token,
        meta: request_meta(&request),
        actor: actor.0,
        type_prefix: query.into_inner().r#type,
        after,
        quiet: Duration::ZERO,
        since_check: Duration::ZERO,
        started: false,
        ended: false,
    };
    let stream = futures_util::stream::unfold(live, |mut live| async move {
        if live.ended {
            return None;
        }
        let chunk = live.next().await;
        Some((chunk, live))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}

/// One open stream.
struct Live {
    core: gmac_core::Core,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    token: String,
    meta: RequestMeta,
    actor: gmac_core::Actor,
    type_prefix: Option<String>,
    after: i64,
    quiet: Duration,
    since_check: Duration,
    started: bool,
    ended: bool,
}

impl Live {
    /// The next chunk: events, a keep-alive, or the end.
    async fn next(&mut self) -> Result<web::Bytes, actix_web::Error> {
        if !self.started {
            // Sent at once, so the client knows the stream is open before any event.
            self.started = true;
            return Ok(web::Bytes::from_static(b"retry: 3000\n\n"));
        }
        loop {
            if self.expires_at.is_some_and(|at| self.core.now() >= at) {
                self.ended = true;
                return Ok(web::Bytes::from_static(
                    b"event: end\ndata: {\"reason\":\"token_expired\"}\n\n",
                ));
            }
            if self.since_check >= RECHECK {
                self.since_check = Duration::ZERO;
                match gmac_core::services::sessions::authenticate_bearer(
                    &self.core,
                    &self.token,
                    &self.meta,
                )
                .await
                {
                    Ok(actor) => self.actor = actor,
                    Err(gmac_core::Error::Unavailable { .. } | gmac_core::Error::Internal(_)) => {}
                    Err(_) => {
                        self.ended = true;
                        return Ok(web::Bytes::from_static(
                            b"event: end\ndata: {\"reason\":\"token_expired\"}\n\n",
                        ));
                    }
                }
            }
            if let Ok(list) = events::list_after(
                &self.core,
                &self.actor,
                self.after,
                self.type_prefix.as_deref(),
                BATCH,
            )
            .await
            {
                self.after = list.last_id;
                if !list.items.is_empty() {
                    let mut out = String::new();
                    for event in &list.items {
                        push_event(&mut out, Some(event.id), &event.event_type, event);
                    }
                    self.quiet = Duration::ZERO;
                    return Ok(web::Bytes::from(out));
                }
            }
            tokio::time::sleep(POLL).await;
            self.quiet += POLL;
            self.since_check += POLL;
            if self.quiet >= KEEP_ALIVE {
                self.quiet = Duration::ZERO;
                return Ok(web::Bytes::from_static(b": keep-alive\n\n"));
            }
        }
    }
}
