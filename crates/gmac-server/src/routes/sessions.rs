//! The signed-in user's sessions.

use actix_web::{HttpResponse, delete, get, post, web};
use gmac_core::services::sessions;
use gmac_types::{Page, PageQuery, SessionInfo, SessionsEnded};

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// Your open sessions (browsers and clients signed in), most recently seen first.
#[utoipa::path(
    tag = "me",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your sessions", body = Page<SessionInfo>),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[get("/me/sessions")]
pub async fn list_sessions(
    state: web::Data<AppState>,
    actor: Actor,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<SessionInfo>>, ApiError> {
    Ok(web::Json(
        sessions::list_sessions(&state.core, &actor, &page).await?,
    ))
}

/// End one of your sessions; that browser or client is signed out at once.
#[utoipa::path(
    tag = "me",
    params(("id" = String, Path, description = "The session's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/me/sessions/{id}")]
pub async fn end_session(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    sessions::end_session(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// End every session of yours except the one making this request.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many ended", body = SessionsEnded),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[post("/me/sessions/end-others")]
pub async fn end_other_sessions(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
) -> Result<web::Json<SessionsEnded>, ApiError> {
    let ended = sessions::end_other_sessions(&state.core, &actor, &meta.0).await?;
    Ok(web::Json(SessionsEnded { ended }))
}
