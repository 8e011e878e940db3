//! Operations endpoints for load balancers, orchestrators and Prometheus.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use gmac_types::{ErrorCode, Health, Readiness};

use crate::error::ApiError;
use crate::state::AppState;

/// Liveness: the process is up and serving.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The process is alive", body = Health)))]
#[get("/healthz")]
pub async fn get_health() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// Readiness: the database answers, and this replica holds the master key version the
/// database seals under. 503 with `Retry-After` while the database does not answer (no
/// restart is needed once it is back), or while the key is missing (after `gmac keys rotate`
/// on a replica that was not given the new ring: it cannot open what the others seal until it
/// is given the ring and restarted).
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "A dependency is unavailable", body = gmac_types::ProblemDetails, content_type = "application/problem+json",
            headers(("Retry-After" = u32, description = "Seconds to wait before asking again"))),
    )
)]
#[get("/readyz")]
pub async fn get_readiness(state: web::Data<AppState>) -> Result<web::Json<Readiness>, ApiError> {
    if let Some(version) = state.core.key_version.missing() {
        return Err(ApiError::new(ErrorCode::ServiceUnavailable)
            .detail(format!(
                "The database seals under master key version {version}, which this replica does not hold: give it the ring `gmac keys add` made, and restart it."
            ))
            .header(header::RETRY_AFTER, "30"));
    }
    if gmac_core::db::ping(&state.core.db, Duration::from_secs(2)).await {
        Ok(web::Json(Readiness {
            status: "ready".to_owned(),
            database: "up".to_owned(),
        }))
    } else {
        Err(ApiError::new(ErrorCode::ServiceUnavailable)
            .detail("The database is unreachable.")
            .header(header::RETRY_AFTER, "5"))
    }
}

/// Prometheus metrics in the text exposition format. Open unless `metrics_token` is set; then
/// it needs `Authorization: Bearer <metrics_token>`.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Metrics", content_type = "text/plain; version=0.0.4", body = String),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[get("/metrics")]
pub async fn get_metrics(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if let Some(expected) = &state.metrics_token_hash {
        use sha2::Digest as _;
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| <[u8; 32]>::from(sha2::Sha256::digest(t.trim().as_bytes())));
        // Digests of equal length compared whole: no timing hint about the token.
        if presented.as_ref() != Some(expected) {
            return Err(ApiError::new(ErrorCode::Unauthorized)
                .detail(
                    "/metrics needs the metrics token: Authorization: Bearer <GMAC_METRICS_TOKEN>.",
                )
                .header(header::WWW_AUTHENTICATE, r#"Bearer realm="gmac-metrics""#));
        }
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(crate::metrics::render(&state.core)))
}
