//! Every JSON request body gmac takes is an object. serde's derived structs would also take a
//! JSON array of the fields in order (`["Acme", null]` as a new client), which no document
//! describes and no client means; such bodies are refused here, once, for every operation.
//!
//! Text with NUL characters is refused here too, in bodies and query strings alike: SQLite
//! would store it and PostgreSQL cannot, so the same request must get the same 422 on both.

use actix_web::ResponseError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web;
use gmac_types::ErrorCode;

use crate::error::ApiError;

/// Refuses a JSON body that is not an object with 400 `malformed_json`.
pub async fn json_objects(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // `%00` has no letters: no case to fold.
    if req.query_string().contains("%00") {
        return Ok(req
            .into_response(nul_refused().error_response())
            .map_into_boxed_body());
    }
    if req.path().contains('\0') || req.uri().path().contains("%00") {
        // No object's id holds a NUL: such a path names nothing.
        return Ok(req
            .into_response(
                ApiError::new(ErrorCode::NotFound)
                    .detail("No such resource.")
                    .error_response(),
            )
            .map_into_boxed_body());
    }
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim().to_ascii_lowercase();
            v == "application/json" || v.ends_with("+json")
        });
    if json && [Method::POST, Method::PUT, Method::PATCH].contains(req.method()) {
        // Answered here as the handlers would, so that outer middleware still adds the request
        // id and the security headers.
        let refuse = |req: ServiceRequest, error: ApiError| {
            Ok(req
                .into_response(error.error_response())
                .map_into_boxed_body())
        };
        let body = match req.extract::<web::Bytes>().await {
            Ok(body) => body,
            Err(err) if err.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE => {
                return refuse(
                    req,
                    ApiError::new(ErrorCode::PayloadTooLarge)
                        .detail("The body is larger than this server accepts."),
                );
            }
            Err(err) => {
                return refuse(
                    req,
                    ApiError::new(ErrorCode::BadRequest)
                        .detail(format!("The body cannot be read: {err}")),
                );
            }
        };
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{') {
            return refuse(
                req,
                ApiError::new(ErrorCode::MalformedJson).detail("The body must be a JSON object."),
            );
        }
        if escapes_nul(&body) {
            return refuse(req, nul_refused());
        }
        req.set_payload(actix_web::dev::Payload::from(body));
        // The bytes are decoded now: the handler must not decode them again.
        req.headers_mut().remove(header::CONTENT_ENCODING);
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn nul_refused() -> ApiError {
    ApiError::validation(vec![gmac_types::FieldError {
        pointer: String::new(),
        code: "invalid_characters".to_owned(),
        detail: "Text may not contain NUL characters.".to_owned(),
    }])
}

/// Whether a JSON text holds a NUL character: the escape `\u0000` (JSON cannot carry a raw one),
/// not an escaped backslash followed by the letters `u0000`.
fn escapes_nul(json: &[u8]) -> bool {
    let needle = b"u0000";
    json.windows(needle.len()).enumerate().any(|(at, window)| {
        window.eq_ignore_ascii_case(needle) && {
            let backslashes = json[..at].iter().rev().take_while(|b| **b == b'\\').count();
            backslashes % 2 == 1
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_nul_escape_is_found_and_an_escaped_backslash_is_not_one() {
        assert!(super::escapes_nul(br#"{"name":"a\u0000b"}"#));
        assert!(super::escapes_nul(br#"{"name":"\\\u0000"}"#));
        assert!(!super::escapes_nul(br#"{"name":"\\u0000"}"#));
        assert!(!super::escapes_nul(br#"{"name":"u0000"}"#));
    }
}
