//! Inbound webhooks: pushes to a service's repository.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use futures_util::StreamExt;
use gmac_core::services::service_hooks::{self, MAX_BODY, Signature};
use gmac_types::{GitProvider, Page, PageQuery, ServicePush};

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A push to a service's repository, from Gitea, GitHub or a plain git remote's
/// `post-receive` hook. It must be signed with the service's webhook secret: HMAC-SHA256 of the
/// body, in `X-Hub-Signature-256: sha256=<hex>` (GitHub, and a `post-receive` hook) or
/// `X-Gitea-Signature: <hex>`. The body is the host's push event (`ref`, `after`). A
/// (ref, commit) is taken once; a redelivery answers the same push with `duplicate: true`.
/// A push to a branch no environment builds opens (or moves on) its preview environment when
/// the service opens previews. A deleted branch (a push whose `after` is all zeros, or a
/// `delete` event of a branch: `ref`, `ref_type`) starts deleting its preview and answers 204,
/// as a `ping` does. No session or token: the signature is the credential.
#[utoipa::path(
    tag = "services",
    params(
        ("service_id" = String, Path, description = "The service's id"),
        ("X-Hub-Signature-256" = Option<String>, Header, description = "`sha256=` and the hex HMAC-SHA256 of the body"),
        ("X-Gitea-Signature" = Option<String>, Header, description = "The hex HMAC-SHA256 of the body (Gitea)"),
        ("X-GitHub-Event" = Option<String>, Header, description = "`push` or `delete` (others are acknowledged and ignored)"),
        ("X-Gitea-Event" = Option<String>, Header, description = "`push` or `delete` (others are acknowledged and ignored)"),
    ),
    request_body(content = Object, description = "The host's push event: `ref` and `after` at least", content_type = "application/json"),
    responses(
        (status = 202, description = "The push, taken (or a duplicate of one taken)", body = ServicePush),
        (status = 204, description = "Not a push to act on (a ping, a deleted branch)"),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 413, response = crate::routes::docs::PayloadTooLarge),
    )
)]
#[post("/hooks/git/{service_id}")]
pub async fn receive_git_push(
    state: web::Data<AppState>,
    request: HttpRequest,
    meta: Meta,
    service_id: web::Path<String>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::new(gmac_types::ErrorCode::BadRequest).detail("The body could not be read.")
        })?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ApiError::new(gmac_types::ErrorCode::PayloadTooLarge)
                .detail(format!("A push event is at most {MAX_BODY} bytes.")));
        }
        body.extend_from_slice(&chunk);
    }
    let signature = header(&request, "x-hub-signature-256")
        .map(|v| Signature::Sha256Prefixed(v.to_owned()))
        .or_else(|| {
            header(&request, "x-gitea-signature").map(|v| Signature::GiteaHex(v.to_owned()))
        });
    let gitea = header(&request, "x-gitea-event").is_some()
        || header(&request, "x-gitea-signature").is_some();
    let (source, event) = if gitea {
        (GitProvider::Gitea, header(&request, "x-gitea-event"))
    } else if let Some(event) = header(&request, "x-github-event") {
        (GitProvider::Github, Some(event))
    } else {
        (GitProvider::Git, None)
    };
    let push = service_hooks::receive(
        &state.core,
        &meta.0,
        &service_id,
        source,
        event,
        signature,
        &body,
    )
    .await?;
    Ok(match push {
        Some(push) => HttpResponse::Accepted().json(push),
        None => HttpResponse::NoContent().finish(),
    })
}

/// The pushes a service's webhook delivered, newest first: the ref, the commit and the
/// environment its branch feeds.
#[utoipa::path(
    tag = "services",
    params(("id" = String, Path, description = "The service's id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of pushes", body = Page<ServicePush>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/services/{id}/pushes")]
pub async fn list_service_pushes(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<ServicePush>>, ApiError> {
    Ok(web::Json(
        service_hooks::list(&state.core, &actor, &id, &page).await?,
    ))
}
