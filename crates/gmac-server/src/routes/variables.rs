//! An environment's variables (versioned) and secrets (write-only).

use actix_web::{HttpResponse, delete, get, post, put, web};
use gmac_core::services::shared_secrets::{self, Holder};
use gmac_core::services::variables;
use gmac_types::variables::{
    RevealedSecret, SecretInfo, SecretReveal, SecretWrite, VariableSet, VariablesDiff,
    VariablesDiffQuery, VariablesQuery, VariablesRollback, VariablesUpdate,
};
use gmac_types::{Page, PageQuery};

use crate::error::ApiError;
use crate::extract::{Actor, IfMatch, Meta, etag};
use crate::state::AppState;

/// An environment's variables: the newest version, or `version`. A change applies on the next
/// deploy; `pending` says the live release runs an older version.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The environment's id"), VariablesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The version", body = VariableSet,
            headers(("ETag" = String, description = "The newest version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/environments/{id}/variables")]
pub async fn get_variables(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: crate::extract::Query<VariablesQuery>,
) -> Result<HttpResponse, ApiError> {
    let set = variables::get(&state.core, &actor, &id, query.version).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(set.latest_version))
        .json(set))
}

/// Set an environment's variables as a whole: a new version. Send `If-Match` with the `ETag`
/// you read, so a change made meanwhile is not overwritten. Needs `deploys.run` (staging) or
/// `deploys.production`.
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The environment's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read"),
    ),
    request_body = VariablesUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new version", body = VariableSet,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[put("/environments/{id}/variables")]
pub async fn set_variables(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
    body: web::Json<VariablesUpdate>,
) -> Result<HttpResponse, ApiError> {
    let set = variables::put(
        &state.core,
        &actor,
        &meta.0,
        &id,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(set.latest_version))
        .json(set))
}

/// What changed between two versions of an environment's variables (0: none).
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The environment's id"), VariablesDiffQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The differences, by name", body = VariablesDiff),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/environments/{id}/variables/diff")]
pub async fn diff_variables(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: crate::extract::Query<VariablesDiffQuery>,
) -> Result<web::Json<VariablesDiff>, ApiError> {
    Ok(web::Json(
        variables::compare(&state.core, &actor, &id, query.from, query.to).await?,
    ))
}

/// Bring an earlier version of the variables back, as a new version.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The environment's id")),
    request_body = VariablesRollback,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new version", body = VariableSet,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/environments/{id}/variables/rollback")]
pub async fn rollback_variables(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<VariablesRollback>,
) -> Result<HttpResponse, ApiError> {
    let set =
        variables::rollback(&state.core, &actor, &meta.0, &id, i64::from(body.version)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(set.latest_version))
        .json(set))
}

/// An environment's secrets: their names and versions. No answer ever holds a value.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The environment's id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its secrets, by name", body = Page<SecretInfo>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/environments/{id}/secrets")]
pub async fn list_secrets(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<SecretInfo>>, ApiError> {
    Ok(web::Json(
        variables::list_secrets(&state.core, &actor, &id, &page).await?,
    ))
}

/// Write a secret: a new version, encrypted at rest, applied on the next deploy. Write-only:
/// the answer names its version, never its value. Needs `deploys.run` (staging) or
/// `deploys.production`.
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The environment's id"),
        ("name" = String, Path, description = "The secret's name, as the container's environment has it"),
    ),
    request_body = SecretWrite,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its new version", body = SecretInfo),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[put("/environments/{id}/secrets/{name}")]
pub async fn set_secret(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    path: web::Path<(String, String)>,
    body: web::Json<SecretWrite>,
) -> Result<web::Json<SecretInfo>, ApiError> {
    let (id, name) = path.into_inner();
    Ok(web::Json(
        variables::put_secret(&state.core, &actor, &meta.0, &id, &name, &body.value).await?,
    ))
}

/// Delete a secret. Releases that ran it keep their version, so a rollback to one brings it
/// back.
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The environment's id"),
        ("name" = String, Path, description = "The secret's name"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/environments/{id}/secrets/{name}")]
pub async fn delete_secret(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, name) = path.into_inner();
    variables::delete_secret(&state.core, &actor, &meta.0, &id, &name).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Reveal a secret's value: needs `secrets.reveal` and a fresh second factor (a current code
/// of your authenticator app, accepted once), from a signed-in session. Audited.
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The environment's id"),
        ("name" = String, Path, description = "The secret's name"),
    ),
    request_body = SecretReveal,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The value", body = RevealedSecret),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 429, response = crate::routes::docs::RateLimited),
    )
)]
#[post("/environments/{id}/secrets/{name}/reveal")]
pub async fn reveal_secret(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    path: web::Path<(String, String)>,
    body: web::Json<SecretReveal>,
) -> Result<HttpResponse, ApiError> {
    let (id, name) = path.into_inner();
    let revealed =
        variables::reveal_secret(&state.core, &actor, &meta.0, &id, &name, &body.code).await?;
    // A revealed value is never kept by a cache between here and the person who asked.
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(revealed))
}

/// The secrets a service shares with every environment of it (staging, production and its
/// previews): their names and versions. No answer ever holds a value. `pending`: one of its
/// environments' live releases runs another version (or none). Needs `services.view`.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The service's id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its shared secrets, by name", body = Page<SecretInfo>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/services/{id}/secrets")]
pub async fn list_service_secrets(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<SecretInfo>>, ApiError> {
    Ok(web::Json(
        shared_secrets::list(&state.core, &actor, Holder::Service(&id), &page).await?,
    ))
}

/// Write a secret the service shares with every environment of it: a new version, encrypted
/// at rest, applied on each environment's next deploy. It overrides the variables the project,
/// its groups and the service share; an environment's own variable or secret of the same name
/// overrides it. Write-only. Needs `deploys.production` (it reaches production too).
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The service's id"),
        ("name" = String, Path, description = "The secret's name, as the container's environment has it"),
    ),
    request_body = SecretWrite,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its new version", body = SecretInfo),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[put("/services/{id}/secrets/{name}")]
pub async fn set_service_secret(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    path: web::Path<(String, String)>,
    body: web::Json<SecretWrite>,
) -> Result<web::Json<SecretInfo>, ApiError> {
    let (id, name) = path.into_inner();
    Ok(web::Json(
        shared_secrets::put(
            &state.core,
            &actor,
            &meta.0,
            Holder::Service(&id),
            &name,
            &body.value,
        )
        .await?,
    ))
}

/// Delete a secret the service shares. Releases that ran it keep their version, so a rollback
/// to one brings it back. Needs `deploys.production`.
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The service's id"),
        ("name" = String, Path, description = "The secret's name"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/services/{id}/secrets/{name}")]
pub async fn delete_service_secret(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, name) = path.into_inner();
    shared_secrets::delete(&state.core, &actor, &meta.0, Holder::Service(&id), &name).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Reveal a shared secret's value: needs `secrets.reveal` and a fresh second factor (a current
/// code of your authenticator app, accepted once), from a signed-in session. Audited.
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The service's id"),
        ("name" = String, Path, description = "The secret's name"),
    ),
    request_body = SecretReveal,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The value", body = RevealedSecret),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 429, response = crate::routes::docs::RateLimited),
    )
)]
#[post("/services/{id}/secrets/{name}/reveal")]
pub async fn reveal_service_secret(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    path: web::Path<(String, String)>,
    body: web::Json<SecretReveal>,
) -> Result<HttpResponse, ApiError> {
    let (id, name) = path.into_inner();
    let revealed = shared_secrets::reveal(
        &state.core,
        &actor,
        &meta.0,
        Holder::Service(&id),
        &name,
        &body.code,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(revealed))
}

/// The secrets a project shares with every environment of each of its services: their names
/// and versions. No answer ever holds a value. `pending`: one of its
/// services' environments' live releases runs another version (or none). Needs `services.view`.
#[utoipa::path(
    tag = "deployments",
    params(("id" = String, Path, description = "The project's id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its shared secrets, by name", body = Page<SecretInfo>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/projects/{id}/secrets")]
pub async fn list_project_secrets(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<SecretInfo>>, ApiError> {
    Ok(web::Json(
        shared_secrets::list(&state.core, &actor, Holder::Project(&id), &page).await?,
    ))
}

/// Write a secret the project shares with every environment of its services: a new version,
/// encrypted at rest, applied on each environment's next deploy. It overrides the variables the
/// project shares; a group's, a service's or an environment's variable or secret of the same
/// name overrides it. Write-only. Needs `deploys.production` (it reaches production too).
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The project's id"),
        ("name" = String, Path, description = "The secret's name, as the container's environment has it"),
    ),
    request_body = SecretWrite,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its new version", body = SecretInfo),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[put("/projects/{id}/secrets/{name}")]
pub async fn set_project_secret(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    path: web::Path<(String, String)>,
    body: web::Json<SecretWrite>,
) -> Result<web::Json<SecretInfo>, ApiError> {
    let (id, name) = path.into_inner();
    Ok(web::Json(
        shared_secrets::put(
            &state.core,
            &actor,
            &meta.0,
            Holder::Project(&id),
            &name,
            &body.value,
        )
        .await?,
    ))
}

/// Delete a secret the project shares. Releases that ran it keep their version, so a rollback
/// to one brings it back. Needs `deploys.production`.
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The project's id"),
        ("name" = String, Path, description = "The secret's name"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/projects/{id}/secrets/{name}")]
pub async fn delete_project_secret(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, name) = path.into_inner();
    shared_secrets::delete(&state.core, &actor, &meta.0, Holder::Project(&id), &name).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Reveal a shared secret's value: needs `secrets.reveal` and a fresh second factor (a current
/// code of your authenticator app, accepted once), from a signed-in session. Audited.
#[utoipa::path(
    tag = "deployments",
    params(
        ("id" = String, Path, description = "The project's id"),
        ("name" = String, Path, description = "The secret's name"),
    ),
    request_body = SecretReveal,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The value", body = RevealedSecret),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 429, response = crate::routes::docs::RateLimited),
    )
)]
#[post("/projects/{id}/secrets/{name}/reveal")]
pub async fn reveal_project_secret(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    path: web::Path<(String, String)>,
    body: web::Json<SecretReveal>,
) -> Result<HttpResponse, ApiError> {
    let (id, name) = path.into_inner();
    let revealed = shared_secrets::reveal(
        &state.core,
        &actor,
        &meta.0,
        Holder::Project(&id),
        &name,
        &body.code,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(revealed))
}
