//! Extractors: the authenticated [`Actor`](gmac_core::Actor) and the request's metadata.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use gmac_core::RequestMeta;
use tracing_actix_web::RequestId;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller. Every protected handler takes one; a request without valid
/// credentials never reaches the handler (401 with `WWW-Authenticate`).
#[derive(Clone, Debug)]
pub struct Actor(pub gmac_core::Actor);

impl std::ops::Deref for Actor {
    type Target = gmac_core::Actor;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// The bearer token of `Authorization`, if any.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequest for Actor {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req).map(str::to_owned);
        let meta = request_meta(req);
        let request = req.clone();
        Box::pin(async move {
            let state = state
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state missing")))?;
            let token = token.ok_or_else(ApiError::unauthenticated)?;
            let actor =
                gmac_core::services::sessions::authenticate_bearer(&state.core, &token, &meta)
                    .await?;

            // Kept for the denial audit, which runs after the handler.
            request.extensions_mut().insert(Actor(actor.clone()));
            Ok(Actor(actor))
        })
    }
}

/// The request's IP, user agent and request id.
pub fn request_meta(req: &HttpRequest) -> RequestMeta {
    let trust = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.trust_forwarded_for);
    RequestMeta {
        ip: crate::middleware::client_ip(req, trust),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        request_id: req.extensions().get::<RequestId>().map(ToString::to_string),
    }
}

/// Who sent the request: IP, user agent and request id, for sessions and the audit log.
#[derive(Clone, Debug)]
pub struct Meta(pub RequestMeta);

impl FromRequest for Meta {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Meta(request_meta(req))))
    }
}

/// The version an `If-Match` header names (`"3"` or `W/"3"`); absent or `*` means any.
/// A header that names no version of ours can never match: 412 (RFC 9110 §13.1.1).
#[derive(Clone, Copy, Debug)]
pub struct IfMatch(pub Option<i64>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(header::IF_MATCH) else {
            return std::future::ready(Ok(IfMatch(None)));
        };
        let parsed = value.to_str().ok().map(str::trim).and_then(|v| {
            if v == "*" {
                return Some(None);
            }
            let v = v.strip_prefix("W/").unwrap_or(v);
            v.strip_prefix('"')?
                .strip_suffix('"')?
                .parse::<i64>()
                .ok()
                .map(Some)
        });
        std::future::ready(match parsed {
            Some(version) => Ok(IfMatch(version)),
            None => Err(ApiError::from(gmac_core::Error::PreconditionFailed)),
        })
    }
}

/// The `ETag` of a versioned object.
pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// The query string as `T`, like `web::Query`, but a value that does not parse is a 400
/// problem naming its parameter ("The query parameter `from` is not a date (YYYY-MM-DD)."),
/// where serde's own message names no parameter at all.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    /// The parsed query.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::de::DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            parse_query(req.query_string())
                .map(Query)
                .map_err(|detail| ApiError::new(gmac_types::ErrorCode::BadRequest).detail(detail)),
        )
    }
}

/// Parses a query string; what is wrong, naming the parameter that did not parse.
fn parse_query<T: serde::de::DeserializeOwned>(query: &str) -> Result<T, String> {
    // A parameter without a name (`?=x`) is no parameter any operation takes.
    if form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name.is_empty()) {
        return Err("A query parameter has no name (`=…`).".to_owned());
    }
    let pairs = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(pairs).map_err(|err| {
        let parameter = err.path().to_string();
        let reason = err.into_inner().to_string();
        query_problem(&parameter, &reason)
    })
}

/// What is wrong with a query parameter, in words.
fn query_problem(parameter: &str, reason: &str) -> String {
    // chrono's messages for a date or time that does not parse.
    const NOT_A_DATE: [&str; 5] = [
        "input contains invalid characters",
        "premature end of input",
        "trailing input",
        "input is out of range",
        "input is not enough for unique date and time",
    ];
    if parameter == "." || parameter.is_empty() {
        // A parameter that is missing altogether: serde names it in its message.
        return format!("The query string is incomplete: {reason}.");
    }
    if NOT_A_DATE.contains(&reason) {
        return format!("The query parameter `{parameter}` is not a date (YYYY-MM-DD).");
    }
    if reason.starts_with("invalid digit") || reason.contains("cannot parse integer") {
        return format!("The query parameter `{parameter}` is not a whole number.");
    }
    format!("The query parameter `{parameter}` is not valid: {reason}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[expect(dead_code, reason = "only parsed")]
    struct Sample {
        from: chrono::NaiveDate,
        limit: Option<u32>,
        group_by: Option<String>,
    }

    fn problem(query: &str) -> String {
        parse_query::<Sample>(query).err().unwrap_or_default()
    }

    #[test]
    fn a_bad_query_parameter_is_named() {
        assert!(parse_query::<Sample>("from=2026-01-31&limit=5").is_ok());
        let date = problem("from=yesterday");
        assert!(date.contains("`from` is not a date"), "{date}");
        let number = problem("from=2026-01-31&limit=many");
        assert!(number.contains("`limit` is not a whole number"), "{number}");
        let nameless = problem("from=2026-01-31&=null");
        assert!(nameless.contains("has no name"), "{nameless}");
        let missing = problem("limit=5");
        assert!(missing.contains("`from`"), "{missing}");
        for text in [date, number, missing] {
            assert!(!text.contains("deserialize"), "{text}");
        }
    }
}
