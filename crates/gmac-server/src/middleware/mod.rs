//! Middleware: request context (request id, problem bodies, security headers, metrics, access
//! log) and per-IP rate limiting.

pub mod context;
pub mod denials;
pub mod json;
pub mod rate_limit;

use actix_web::HttpRequest;

/// The client's IP address: the socket peer, or the first `X-Forwarded-For` hop when gmac is
/// told it sits behind a trusted proxy.
pub fn client_ip(req: &HttpRequest, trust_forwarded_for: bool) -> Option<String> {
    if trust_forwarded_for {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| v.parse::<std::net::IpAddr>().is_ok());
        if let Some(ip) = forwarded {
            return Some(ip.to_owned());
        }
    }
    req.peer_addr().map(|addr| addr.ip().to_string())
}
