//! Teams and their members.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use gmac_core::services::teams;
use gmac_types::{
    ListQuery, NewTeam, NewTeamMember, Page, PageQuery, Team, TeamMember, TeamPatch, UserTeam,
};

use crate::error::ApiError;
use crate::extract::{Actor, IfMatch, Meta, etag};
use crate::state::AppState;

/// The teams a user belongs to, by name, each with the roles it holds (its members hold them
/// too) in the scopes where you manage users; all of them when the user is you.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "The user's id"), ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the user's teams", body = Page<UserTeam>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/users/{id}/teams")]
pub async fn list_user_teams(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: crate::extract::Query<ListQuery>,
) -> Result<web::Json<Page<UserTeam>>, ApiError> {
    Ok(web::Json(
        teams::user_teams(&state.core, &actor, &id, &query).await?,
    ))
}

/// Teams: all of them if you manage users, otherwise yours.
#[utoipa::path(
    tag = "teams",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of teams", body = Page<Team>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[get("/teams")]
pub async fn list_teams(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<ListQuery>,
) -> Result<web::Json<Page<Team>>, ApiError> {
    Ok(web::Json(
        teams::list_teams(&state.core, &actor, &query).await?,
    ))
}

/// Create a team. Needs `users.manage` at the global scope.
#[utoipa::path(
    tag = "teams",
    request_body = NewTeam,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new team", body = Team,
            headers(("Location" = String, description = "Its URL"), ("ETag" = String, description = "Its version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/teams")]
pub async fn create_team(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewTeam>,
) -> Result<HttpResponse, ApiError> {
    let team = teams::create_team(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/teams/{}", team.id)))
        .insert_header(etag(team.version))
        .json(team))
}

/// One team.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "The team's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The team", body = Team, headers(("ETag" = String, description = "Its version"))),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/teams/{id}")]
pub async fn get_team(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let team = teams::get_team(&state.core, &actor, &id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(team.version))
        .json(team))
}

/// Rename or re-describe a team.
#[utoipa::path(
    tag = "teams",
    params(
        ("id" = String, Path, description = "The team's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read"),
    ),
    request_body = TeamPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed team", body = Team),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[patch("/teams/{id}")]
pub async fn update_team(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
    body: web::Json<TeamPatch>,
) -> Result<HttpResponse, ApiError> {
    let team = teams::update_team(
        &state.core,
        &actor,
        &meta.0,
        &id,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(team.version))
        .json(team))
}

/// Delete a team; its members lose the roles they held through it.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "The team's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/teams/{id}")]
pub async fn delete_team(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    teams::delete_team(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The members of a team.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "The team's id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The members", body = Page<TeamMember>),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/teams/{id}/members")]
pub async fn list_team_members(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<TeamMember>>, ApiError> {
    Ok(web::Json(
        teams::list_members(&state.core, &actor, &id, &page).await?,
    ))
}

/// Add a member. A team's leaders may add members; only someone who manages users makes a
/// leader.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "The team's id")),
    request_body = NewTeamMember,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added", body = TeamMember),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/teams/{id}/members")]
pub async fn add_team_member(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<NewTeamMember>,
) -> Result<HttpResponse, ApiError> {
    let member = teams::add_member(&state.core, &actor, &meta.0, &id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(member))
}

/// Remove a member. Leaders may remove members but not other leaders.
#[utoipa::path(
    tag = "teams",
    params(
        ("id" = String, Path, description = "The team's id"),
        ("user_id" = String, Path, description = "The member's user id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/teams/{id}/members/{user_id}")]
pub async fn remove_team_member(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, user_id) = path.into_inner();
    teams::remove_member(&state.core, &actor, &meta.0, &id, &user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
