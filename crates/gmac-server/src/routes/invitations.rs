//! Invitations by email.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use gmac_core::services::invitations;
use gmac_types::{
    AcceptInvitation, CreatedInvitation, Invitation, InvitationPreview, InvitationToken,
    NewInvitation, Page, PageQuery, User,
};

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// Invitations in the scopes where you manage users, newest first.
#[utoipa::path(
    tag = "invitations",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The invitations", body = Page<Invitation>),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
    )
)]
#[get("/invitations")]
pub async fn list_invitations(
    state: web::Data<AppState>,
    actor: Actor,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<Invitation>>, ApiError> {
    Ok(web::Json(
        invitations::list_invitations(&state.core, &actor, &page).await?,
    ))
}

/// Invite someone by email to hold a role at a scope. The link works once, for 7 days. When no
/// mail server is configured (or it fails), the answer carries the link to pass on by hand.
#[utoipa::path(
    tag = "invitations",
    request_body = NewInvitation,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Invited", body = CreatedInvitation, headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/invitations")]
pub async fn create_invitation(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewInvitation>,
) -> Result<HttpResponse, ApiError> {
    let created =
        invitations::create_invitation(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/invitations/{}", created.invitation.id),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(created))
}

/// Withdraw an invitation; its link stops working.
#[utoipa::path(
    tag = "invitations",
    params(("id" = String, Path, description = "The invitation's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/invitations/{id}")]
pub async fn revoke_invitation(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    invitations::revoke_invitation(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Issue a new link for a pending or expired invitation: the old link stops working, the new
/// one works for 7 days, and is mailed when a mail server is configured; otherwise the answer
/// carries it (once) to pass on by hand. You become its inviter. An accepted or withdrawn
/// invitation is not renewed (409): invite again.
#[utoipa::path(
    tag = "invitations",
    params(("id" = String, Path, description = "The invitation's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Renewed", body = CreatedInvitation),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
    )
)]
#[post("/invitations/{id}/renew")]
pub async fn renew_invitation(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let renewed = invitations::renew_invitation(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(renewed))
}

/// What an invitation link offers (no sign-in: the token is the credential). Sent in the body,
/// not the URL, so it never reaches access logs.
#[utoipa::path(
    tag = "invitations",
    request_body = InvitationToken,
    responses(
        (status = 200, description = "The invitation", body = InvitationPreview),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 429, response = crate::routes::docs::RateLimited),
    )
)]
#[post("/invitations/lookup")]
pub async fn preview_invitation(
    state: web::Data<AppState>,
    body: web::Json<InvitationToken>,
) -> Result<web::Json<InvitationPreview>, ApiError> {
    Ok(web::Json(
        invitations::preview(&state.core, body.token.expose()).await?,
    ))
}

/// Accept an invitation: creates the account (the invited address, your name and password)
/// with the invited role. Then sign in as usual.
#[utoipa::path(
    tag = "invitations",
    request_body = AcceptInvitation,
    responses(
        (status = 201, description = "The new account", body = User),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
        (status = 429, response = crate::routes::docs::RateLimited),
    )
)]
#[post("/invitations/accept")]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    meta: Meta,
    body: web::Json<AcceptInvitation>,
) -> Result<HttpResponse, ApiError> {
    let user: User = invitations::accept(&state.core, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", user.id)))
        .json(user))
}
