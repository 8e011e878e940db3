//! Permissions, roles and role bindings.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use gmac_core::services::{bindings, roles};
use gmac_types::{
    NewRoleBinding, Page, PageQuery, PermissionInfo, Role, RoleBinding, RoleBindingQuery,
};

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// Every permission gmac knows, with what it allows.
#[utoipa::path(
    tag = "access",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The permissions", body = Vec<PermissionInfo>),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[get("/permissions")]
pub async fn list_permissions(_actor: Actor) -> web::Json<Vec<PermissionInfo>> {
    web::Json(roles::list_permissions())
}

/// The built-in roles (`super_admin`, `admin`, `developer`, `viewer`, `billing_manager`) and the
/// custom ones, with the permissions each grants.
#[utoipa::path(
    tag = "access",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The roles", body = Vec<Role>),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
    )
)]
#[get("/roles")]
pub async fn list_roles(
    state: web::Data<AppState>,
    actor: Actor,
) -> Result<web::Json<Vec<Role>>, ApiError> {
    Ok(web::Json(
        roles::list_roles_with_policies(&state.core, &actor).await?,
    ))
}

/// The role bindings in the scopes where you manage users.
#[utoipa::path(
    tag = "access",
    params(RoleBindingQuery, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The bindings", body = Page<RoleBinding>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
    )
)]
#[get("/role-bindings")]
pub async fn list_role_bindings(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<RoleBindingQuery>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<RoleBinding>>, ApiError> {
    Ok(web::Json(
        bindings::list_bindings(&state.core, &actor, &query, &page).await?,
    ))
}

/// Grant a role to a user or team at a scope. You need `users.manage` there and every
/// permission the role grants; only a Super Admin grants `super_admin`.
#[utoipa::path(
    tag = "access",
    request_body = NewRoleBinding,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Granted", body = RoleBinding, headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/role-bindings")]
pub async fn create_role_binding(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewRoleBinding>,
) -> Result<HttpResponse, ApiError> {
    let created = bindings::create_binding(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/role-bindings/{}", created.id),
        ))
        .json(created))
}

/// Remove a role binding. Only a Super Admin removes a Super Admin; the last one stays.
#[utoipa::path(
    tag = "access",
    params(("id" = String, Path, description = "The binding's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
    )
)]
#[delete("/role-bindings/{id}")]
pub async fn delete_role_binding(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    bindings::delete_binding(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Define a custom role: any subset of the permissions. Needs `roles.manage` and every
/// permission the role grants.
#[utoipa::path(
    tag = "access",
    request_body = gmac_types::NewRole,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new role", body = Role, headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/roles")]
pub async fn create_role(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<gmac_types::NewRole>,
) -> Result<HttpResponse, ApiError> {
    let role = roles::create_role(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/roles/{}", role.id)))
        .insert_header(crate::extract::etag(role.version))
        .json(role))
}

/// Change a custom role; everyone holding it sees the change on their next request.
#[utoipa::path(
    tag = "access",
    params(
        ("id" = String, Path, description = "The role's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read"),
    ),
    request_body = gmac_types::RolePatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed role", body = Role),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[patch("/roles/{id}")]
pub async fn update_role(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: crate::extract::IfMatch,
    body: web::Json<gmac_types::RolePatch>,
) -> Result<HttpResponse, ApiError> {
    let role = roles::update_role(
        &state.core,
        &actor,
        &meta.0,
        &id,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(crate::extract::etag(role.version))
        .json(role))
}

/// Delete a custom role that nobody holds.
#[utoipa::path(
    tag = "access",
    params(("id" = String, Path, description = "The role's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
    )
)]
#[delete("/roles/{id}")]
pub async fn delete_role(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    roles::delete_role(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set a role's policy (built-in or custom), e.g. require MFA of everyone who holds it.
#[utoipa::path(
    tag = "access",
    params(("id" = String, Path, description = "The role's id (built-in or custom)")),
    request_body = gmac_types::RolePolicy,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The policy", body = gmac_types::RolePolicy),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[put("/roles/{id}/policy")]
pub async fn set_role_policy(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    body: web::Json<gmac_types::RolePolicy>,
) -> Result<web::Json<gmac_types::RolePolicy>, ApiError> {
    Ok(web::Json(
        roles::set_role_policy(&state.core, &actor, &meta.0, &id, body.into_inner()).await?,
    ))
}
