//! Git connections: the hosts services' repositories are created on.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use gmac_core::services::git_connections;
use gmac_types::{GitConnection, NewGitConnection, Page, PageQuery};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// Connect a git host: Gitea (API v1), GitHub (REST) or any remote over smart HTTP (`git`).
/// A Gitea or GitHub token is tested against the host first (nothing is saved unless it is
/// accepted) and the account it signs in as is kept; the token is encrypted at rest and never
/// returned. Without `client_id` the connection is the whole installation's. Needs
/// `services.manage` on the client (everywhere for the installation's).
#[utoipa::path(
    tag = "services",
    request_body = NewGitConnection,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The connection", body = GitConnection,
            headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/git-connections")]
pub async fn create_git_connection(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewGitConnection>,
) -> Result<HttpResponse, ApiError> {
    let connection =
        git_connections::create(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/git-connections/{}", connection.id),
        ))
        .json(connection))
}

/// Which connections to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GitConnectionQuery {
    /// Only this client's connections and the installation's.
    pub client_id: Option<String>,
}

/// The git connections you may use: the installation's, and those of the clients whose
/// services you see.
#[utoipa::path(
    tag = "services",
    params(GitConnectionQuery, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Connections", body = Page<GitConnection>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/git-connections")]
pub async fn list_git_connections(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<GitConnectionQuery>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<GitConnection>>, ApiError> {
    Ok(web::Json(
        git_connections::list(&state.core, &actor, query.client_id.as_deref(), &page).await?,
    ))
}

/// One git connection (never its token).
#[utoipa::path(
    tag = "services",
    params(("id" = String, Path, description = "The connection's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The connection", body = GitConnection),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/git-connections/{id}")]
pub async fn get_git_connection(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<GitConnection>, ApiError> {
    Ok(web::Json(
        git_connections::get(&state.core, &actor, &id).await?,
    ))
}

/// Forget a git connection and its token; the repositories on the host stay. Needs
/// `services.manage` where the connection lives.
#[utoipa::path(
    tag = "services",
    params(("id" = String, Path, description = "The connection's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
    )
)]
#[delete("/git-connections/{id}")]
pub async fn delete_git_connection(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    git_connections::delete(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
