//! The outermost gmac middleware. For every response it:
//! - turns any failure into `application/problem+json` with the request id as `instance`;
//! - logs a 5xx's cause once, with its chain;
//! - adds `X-Request-Id` and the security headers;
//! - records request metrics and writes the access log line.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use gmac_types::{PROBLEM_JSON, ProblemDetails};
use tracing_actix_web::RequestId;

use crate::error::{ApiError, code_for_status};
use crate::metrics;

/// The Content-Security-Policy of the SPA and the API: only our own scripts (and WebAssembly
/// compiled from them), no inline code, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

/// The interactive API docs (Swagger UI) set inline styles; they get that and nothing more.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

/// The request-context middleware, for `actix_web::middleware::from_fn`.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let mut req = req;
    // HEAD is GET without a body (RFC 9110 §9.3.2): it is routed as GET, and the HTTP layer,
    // which remembers the method on the wire, sends the headers only.
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    let started = Instant::now();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), ToString::to_string);
    // Inner layers render their failures as responses (the request cannot be cloned here:
    // routing needs it uniquely), so an `Err` only comes from actix itself and passes through.
    let response = next.call(req).await?.map_into_boxed_body();
    let mut response = finalize_problem(response, &request_id);

    let path = response.request().path().to_owned();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(HeaderName::from_static("x-request-id"), value);
    }
    let csp = if path.starts_with("/api/docs") {
        DOCS_CSP
    } else {
        CSP
    };
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );

    let status = response.status();
    let method = response.request().method().as_str().to_owned();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let elapsed = started.elapsed();
    metrics::record_request(&method, &route, status.as_u16(), elapsed);

    if status.is_server_error() {
        let cause = response
            .response()
            .error()
            .map(|e| match e.as_error::<ApiError>() {
                Some(api) => api
                    .source_chain()
                    .map_or_else(|| api.to_string(), |c| format!("{c:#}")),
                None => format!("{e}"),
            });
        tracing::error!(
            request_id,
            method,
            route,
            status = status.as_u16(),
            error = cause.unwrap_or_default(),
            "request failed"
        );
    }
    let quiet = matches!(path.as_str(), "/healthz" | "/readyz" | "/metrics");
    let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
    if quiet {
        tracing::debug!(target: "gmac::access", request_id, method, path, status = status.as_u16(), elapsed_ms);
    } else {
        tracing::info!(target: "gmac::access", request_id, method, path, status = status.as_u16(), elapsed_ms);
    }
    Ok(response)
}

/// Gives every failure a problem body carrying the request id.
fn finalize_problem(
    response: ServiceResponse<BoxBody>,
    request_id: &str,
) -> ServiceResponse<BoxBody> {
    let status = response.status();
    let existing = response
        .response()
        .extensions()
        .get::<ProblemDetails>()
        .cloned();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    let mut problem = match existing {
        Some(problem) => problem,
        // A failure rendered by actix or a library: replace its body with a problem.
        None if status.as_u16() >= 400 && !is_problem => {
            let code = code_for_status(status);
            ProblemDetails::new(code)
        }
        None => return response,
    };
    problem.instance = Some(request_id.to_owned());
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    response.map_body(|head, _| {
        head.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        head.headers_mut().remove(header::CONTENT_LENGTH);
        BoxBody::new(body)
    })
}
