//! Per-IP rate limiting with a generic cell rate algorithm (the `governor` crate): one limit
//! for the whole API, and a much stricter one for the endpoints that take credentials
//! (sign-in, second factor, setup, invitation acceptance), so guessing from one address is
//! slow whatever account it aims at. Past a limit, requests get 429 with `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use gmac_types::ErrorCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::{AuthRateLimit, RateLimit};
use crate::error::ApiError;

/// The endpoints that take credentials.
const CREDENTIAL_PATHS: [&str; 4] = [
    "/api/v1/auth/login",
    "/api/v1/auth/mfa",
    "/api/v1/setup",
    "/api/v1/invitations/accept",
];

/// The shared limiter state.
#[derive(Clone, Debug)]
pub struct ApiRateLimiter {
    api: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    credentials: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    trust_forwarded_for: bool,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl ApiRateLimiter {
    /// Limiters for the API and for the credential endpoints, per IP.
    pub fn new(api: RateLimit, credentials: AuthRateLimit, trust_forwarded_for: bool) -> Self {
        let api_quota = Quota::per_second(nonzero(api.per_second)).allow_burst(nonzero(api.burst));
        let credential_quota = Quota::per_minute(nonzero(credentials.per_minute))
            .allow_burst(nonzero(credentials.burst));
        Self {
            api: Arc::new(RateLimiter::keyed(api_quota)),
            credentials: Arc::new(RateLimiter::keyed(credential_quota)),
            trust_forwarded_for,
        }
    }

    /// Forgets idle addresses; called periodically.
    pub fn shrink(&self) {
        for limiter in [&self.api, &self.credentials] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// The rate-limit middleware, for `actix_web::middleware::from_fn`.
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if req.path().starts_with("/api/")
        && let Some(state) = req.app_data::<web::Data<ApiRateLimiter>>()
        && let Some(ip) = super::client_ip(req.request(), state.trust_forwarded_for)
            .and_then(|ip| ip.parse::<IpAddr>().ok())
    {
        let takes_credentials =
            req.method() == Method::POST && CREDENTIAL_PATHS.contains(&req.path());
        let mut verdict = state.api.check_key(&ip);
        if verdict.is_ok() && takes_credentials {
            verdict = state.credentials.check_key(&ip);
        }
        if let Err(not_until) = verdict {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
            let err = ApiError::new(ErrorCode::RateLimited)
                .detail(format!(
                    "Too many requests from your address; retry in {seconds} s."
                ))
                .header(header::RETRY_AFTER, &seconds.to_string());
            // Answered here as a response, not an `Err`, so the outer middleware can finish it.
            return Ok(req.error_response(err).map_into_right_body());
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
