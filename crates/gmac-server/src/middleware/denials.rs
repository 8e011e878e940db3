//! Audits refused requests: when an authenticated caller gets 403, an `access.denied` entry
//! records who tried what, so probing for powers one does not have leaves a trace.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use gmac_core::audit::{AuditEntry, Outcome};
use gmac_core::platform::change::Change;

use crate::extract::{Actor, request_meta};
use crate::state::AppState;

/// The denial-audit middleware, for `actix_web::middleware::from_fn`.
pub async fn audit_denials(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let response = next.call(req).await?;
    if response.status().as_u16() == 403 {
        let actor = response.request().extensions().get::<Actor>().cloned();
        let state = response
            .request()
            .app_data::<web::Data<AppState>>()
            .cloned();
        if let (Some(actor), Some(state)) = (actor, state) {
            let meta = request_meta(response.request());
            let entry = AuditEntry {
                outcome: Outcome::Denied,
                details: serde_json::json!({
                    "method": response.request().method().as_str(),
                    "route": response.request().match_pattern().unwrap_or_default(),
                }),
                ..AuditEntry::success(actor.audit_actor(), "access.denied")
            };
            if let Err(err) = Change::record(&state.core, &meta, entry).await {
                tracing::error!(
                    error = format!("{err:#}"),
                    "could not audit a denied request"
                );
            }
        }
    }
    Ok(response)
}
