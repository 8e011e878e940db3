//! The audit log.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use gmac_core::services::audit_log;
use gmac_types::{AuditEvent, AuditQuery, AuditVerification, Page};

use crate::error::ApiError;
use crate::extract::Actor;
use crate::state::AppState;

/// Audited events, newest first, filtered by actor, action, target, outcome and time. Needs
/// `audit.view`; below the global scope, only the events of your clients and projects.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of events", body = Page<AuditEvent>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
    )
)]
#[get("/audit")]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<AuditQuery>,
) -> Result<web::Json<Page<AuditEvent>>, ApiError> {
    Ok(web::Json(
        audit_log::list_events(&state.core, &actor, &query).await?,
    ))
}

/// The filtered audit log as CSV (oldest first, at most 100 000 rows), safe to open in a
/// spreadsheet.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv", body = String),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
    )
)]
#[get("/audit/export.csv")]
pub async fn export_audit_events(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let csv = audit_log::export_csv(&state.core, &actor, &query).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"gmac-audit.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(csv))
}

/// Check the hash chain: detects an edited, deleted or inserted entry. Needs `audit.view`
/// at the global scope.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The verification", body = AuditVerification),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
    )
)]
#[get("/audit/verify")]
pub async fn verify_audit_log(
    state: web::Data<AppState>,
    actor: Actor,
) -> Result<web::Json<AuditVerification>, ApiError> {
    Ok(web::Json(audit_log::verify(&state.core, &actor).await?))
}
