//! The HTTP layer's error: a problem-details response, built from a domain error or from
//! actix's own extractor failures.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use gmac_types::{ErrorCode, FieldError, PROBLEM_JSON, ProblemDetails};

/// An error answered as `application/problem+json`.
#[derive(Debug)]
pub struct ApiError {
    problem: Box<ProblemDetails>,
    /// The cause of a 5xx, logged once with its chain and never sent.
    source: Option<anyhow::Error>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl ApiError {
    /// A problem with the code's title and status.
    pub fn new(code: ErrorCode) -> Self {
        Self {
            problem: Box::new(ProblemDetails::new(code)),
            source: None,
            headers: Vec::new(),
        }
    }

    /// Adds a human-readable detail.
    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.problem.detail = Some(detail.into());
        self
    }

    /// Adds a response header (`Retry-After`, `Allow`, `WWW-Authenticate`).
    #[must_use]
    pub fn header(mut self, name: header::HeaderName, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }

    /// A 422 with per-field errors.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let n = errors.len();
        let rows = errors
            .iter()
            .filter(|e| e.pointer.starts_with("/lines/"))
            .count();
        let detail = if let Some(file) = errors.iter().find(|e| e.pointer == "/file") {
            format!("The file was not imported: {}", file.detail)
        } else if rows > 0 {
            let more = if errors.iter().any(|e| e.code == "more_invalid_rows") {
                " (and more)"
            } else {
                ""
            };
            format!(
                "The file was not imported: {rows}{more} row{} break the FOCUS specification; \
                 nothing was changed.",
                if rows == 1 { "" } else { "s" }
            )
        } else if n == 1 {
            "One field is invalid.".to_owned()
        } else {
            format!("{n} fields are invalid.")
        };
        let mut err = Self::new(ErrorCode::ValidationFailed).detail(detail);
        err.problem.errors = errors;
        err
    }

    /// A 500 whose cause is logged, not returned.
    pub fn internal(source: anyhow::Error) -> Self {
        Self {
            problem: Box::new(ProblemDetails::new(ErrorCode::Internal).with_detail(
                "An unexpected error occurred. It has been logged; quote the instance id when reporting it.",
            )),
            source: Some(source),
            headers: Vec::new(),
        }
    }

    /// A 401 for a request without usable credentials.
    pub fn unauthenticated() -> Self {
        Self::new(ErrorCode::Unauthorized)
            .detail("Sign in, or send `Authorization: Bearer <token>`.")
            .header(header::WWW_AUTHENTICATE, r#"Bearer realm="gmac""#)
    }

    /// The problem this error answers with.
    pub fn problem(&self) -> &ProblemDetails {
        &self.problem
    }

    /// The logged-only cause of a 5xx.
    pub fn source_chain(&self) -> Option<&anyhow::Error> {
        self.source.as_ref()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source:#}", self.problem.code),
            None => write!(f, "{}", self.problem.code),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        problem_response((*self.problem).clone(), &self.headers)
    }
}

/// Builds a problem response. The request-context middleware fills in `instance` from the
/// problem it finds in the response's extensions.
pub fn problem_response(
    problem: ProblemDetails,
    headers: &[(header::HeaderName, HeaderValue)],
) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    builder.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
    builder.insert_header((header::CACHE_CONTROL, "no-store"));
    for (name, value) in headers {
        builder.insert_header((name.clone(), value.clone()));
    }
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut response = builder.body(body);
    response.extensions_mut().insert(problem);
    response
}

impl From<gmac_core::Error> for ApiError {
    fn from(err: gmac_core::Error) -> Self {
        use gmac_core::Error as E;
        match err {
            E::Validation(errors) => ApiError::validation(errors),
            E::InvalidCredentials => ApiError::new(ErrorCode::InvalidCredentials)
                .detail("The email address or password is incorrect."),
            E::InvalidToken => ApiError::new(ErrorCode::InvalidToken)
                .detail("The token is invalid, expired or revoked. Sign in again.")
                .header(
                    header::WWW_AUTHENTICATE,
                    r#"Bearer realm="gmac", error="invalid_token""#,
                ),
            E::Unauthenticated => ApiError::unauthenticated(),
            E::BadRequest(detail) => ApiError::new(ErrorCode::BadRequest).detail(detail),
            E::InvalidMfaCode => ApiError::new(ErrorCode::InvalidMfaCode)
                .detail("The code is wrong, expired or already used."),
            E::SecondFactorRequired => ApiError::new(ErrorCode::SecondFactorRequired).detail(
                "This needs a fresh code from your authenticator app, from a signed-in session: set up two-step verification (multi-factor authentication) under Security first.",
            ),
            E::MfaEnrollmentRequired => ApiError::new(ErrorCode::MfaEnrollmentRequired)
                .detail("A role you hold requires multi-factor authentication. Set it up under Security first."),
            E::PreconditionFailed => ApiError::new(ErrorCode::PreconditionFailed)
                .detail("The object changed since you read it. Reload it and try again."),
            E::RateLimited { retry_after } => ApiError::new(ErrorCode::RateLimited)
                .detail(format!("Too many attempts. Try again in {retry_after} s."))
                .header(header::RETRY_AFTER, &retry_after.max(1).to_string()),
            E::Forbidden => {
                ApiError::new(ErrorCode::Forbidden).detail("You do not have permission to do this.")
            }
            E::NotFound => ApiError::new(ErrorCode::NotFound).detail("No such resource."),
            E::Conflict { code, detail } => ApiError::new(code).detail(detail),
            E::Unavailable {
                retry_after,
                detail,
            } => ApiError::new(ErrorCode::ServiceUnavailable)
                .detail(detail)
                .header(header::RETRY_AFTER, &retry_after.max(1).to_string()),
            E::InsufficientStorage => ApiError::new(ErrorCode::InsufficientStorage)
                .detail("The server's disk is full; nothing was written. Tell its administrator."),
            E::Internal(source) => match classify(&source) {
                Some(known) => known.into(),
                None => ApiError::internal(source),
            },
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        match classify(&err) {
            Some(known) => known.into(),
            None => ApiError::internal(err),
        }
    }
}

fn classify(err: &anyhow::Error) -> Option<gmac_core::Error> {
    gmac_core::error::classify_chain(err)
}

/// Maps a JSON body failure to 400, 413 or 415.
pub fn json_error(err: &actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as J;
    match err {
        J::OverflowKnownLength { limit, .. } | J::Overflow { limit } => {
            ApiError::new(ErrorCode::PayloadTooLarge)
                .detail(format!("The body is larger than {limit} bytes."))
        }
        J::ContentType => ApiError::new(ErrorCode::UnsupportedMediaType)
            .detail("Send the body as `Content-Type: application/json`."),
        J::Deserialize(e) if e.is_data() => ApiError::new(ErrorCode::MalformedJson)
            .detail(format!("The body does not have the expected shape: {e}")),
        J::Deserialize(e) => ApiError::new(ErrorCode::MalformedJson)
            .detail(format!("The body is not valid JSON: {e}")),
        other => ApiError::new(ErrorCode::BadRequest).detail(other.to_string()),
    }
}

/// Maps a path-parameter failure to 404: a malformed id names nothing.
pub fn path_error(_err: &actix_web::error::PathError) -> ApiError {
    ApiError::new(ErrorCode::NotFound).detail("No such resource.")
}

/// The code a bare status maps to, for failures that did not come through [`ApiError`].
pub fn code_for_status(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        409 => ErrorCode::Conflict,
        412 => ErrorCode::PreconditionFailed,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        422 => ErrorCode::ValidationFailed,
        429 => ErrorCode::RateLimited,
        503 => ErrorCode::ServiceUnavailable,
        400..500 => ErrorCode::BadRequest,
        _ => ErrorCode::Internal,
    }
}
