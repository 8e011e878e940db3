//! RFC 9457 problem details and the one table of error codes.
//!
//! Every failure gmac answers is a [`ProblemDetails`] whose `code` is one of [`ErrorCode`].
//! The table below is the single place that maps a code to its HTTP status and title.

use serde::{Deserialize, Serialize};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => ($status:literal, $code:literal, $title:literal),)*) => {
        /// A stable, machine-readable error code. Scripts match on it; it never changes meaning.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The HTTP status this code is answered with.
            pub const fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            /// The code as it appears on the wire.
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// A short, human-readable summary that does not change between occurrences.
            pub const fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title,)* }
            }

            /// Parses a wire code back into the enum.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some(ErrorCode::$variant),)* _ => None }
            }
        }
    };
}

error_codes! {
    /// The request could not be understood (bad query string, bad header, bad path parameter).
    BadRequest => (400, "bad_request", "Bad request"),
    /// The body is not well-formed JSON, or does not have the expected shape.
    MalformedJson => (400, "malformed_json", "Malformed JSON body"),
    /// No credentials were presented, or they could not be used.
    Unauthorized => (401, "unauthorized", "Authentication required"),
    /// The email and password do not match an active account.
    InvalidCredentials => (401, "invalid_credentials", "Invalid email or password"),
    /// The token (access, refresh, setup, invitation or API) is invalid, expired or revoked.
    InvalidToken => (401, "invalid_token", "Invalid or expired token"),
    /// The one-time code or recovery code is wrong, expired or already used.
    InvalidMfaCode => (401, "invalid_mfa_code", "Invalid verification code"),
    /// The caller is authenticated but lacks the permission for this action.
    Forbidden => (403, "forbidden", "Forbidden"),
    /// A role the caller holds requires MFA; enrol before doing anything else.
    MfaEnrollmentRequired => (403, "mfa_enrollment_required", "Multi-factor authentication required"),
    /// The action needs a fresh second factor, and the caller has none set up (or is an API
    /// token, which cannot give one).
    SecondFactorRequired => (403, "second_factor_required", "A second factor is required"),
    /// No such resource, or the caller may not know it exists.
    NotFound => (404, "not_found", "Not found"),
    /// The resource exists but does not support this HTTP method.
    MethodNotAllowed => (405, "method_not_allowed", "Method not allowed"),
    /// The request conflicts with the current state of the resource.
    Conflict => (409, "conflict", "Conflict"),
    /// First-run setup was already completed.
    SetupAlreadyDone => (409, "setup_already_done", "Setup already completed"),
    /// Another account already uses this email address.
    EmailTaken => (409, "email_taken", "Email address already in use"),
    /// Another object of the same kind already has this name.
    NameTaken => (409, "name_taken", "Name already in use"),
    /// `If-Match` did not match the current version of the resource.
    PreconditionFailed => (412, "precondition_failed", "Precondition failed"),
    /// The body is larger than the server accepts.
    PayloadTooLarge => (413, "payload_too_large", "Payload too large"),
    /// The body's media type is not one this operation accepts.
    UnsupportedMediaType => (415, "unsupported_media_type", "Unsupported media type"),
    /// One or more fields are invalid; see `errors`.
    ValidationFailed => (422, "validation_failed", "Validation failed"),
    /// Too many requests; retry after the number of seconds in `Retry-After`.
    RateLimited => (429, "rate_limited", "Too many requests"),
    /// Something went wrong on our side. The detail never says what; the logs do.
    Internal => (500, "internal", "Internal server error"),
    /// A dependency (such as the database) is unavailable; retry later.
    ServiceUnavailable => (503, "service_unavailable", "Service unavailable"),
    /// The disk is full; nothing was written.
    InsufficientStorage => (507, "insufficient_storage", "Insufficient storage"),
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One invalid field of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// JSON Pointer (RFC 6901) to the offending field, e.g. `/email`.
    pub pointer: String,
    /// A stable code for the rule that failed, e.g. `too_short`.
    pub code: String,
    /// What is wrong, for a person.
    pub detail: String,
}

impl FieldError {
    /// A field error for the top-level field `name`.
    pub fn new(name: &str, code: &str, detail: impl Into<String>) -> Self {
        Self {
            pointer: format!("/{}", escape_pointer_token(name)),
            code: code.to_owned(),
            detail: detail.into(),
        }
    }

    /// A field error for a nested field, e.g. `["parameters", "title"]` for
    /// `/parameters/title`.
    pub fn at(path: &[&str], code: &str, detail: impl Into<String>) -> Self {
        let mut pointer = String::new();
        for token in path {
            pointer.push('/');
            pointer.push_str(&escape_pointer_token(token));
        }
        Self {
            pointer,
            code: code.to_owned(),
            detail: detail.into(),
        }
    }
}

/// Escapes one reference token of a JSON Pointer (RFC 6901 §4).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// An RFC 9457 problem details object, as every gmac error is answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProblemDetails {
    /// A URI identifying the problem type: `urn:gmac:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What happened in this occurrence, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request id of this occurrence (the same as the `X-Request-Id` response header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The stable error code.
    pub code: ErrorCode,
    /// Per-field validation errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl ProblemDetails {
    /// A problem of the given code with the code's own title and status.
    pub fn new(code: ErrorCode) -> Self {
        Self {
            type_uri: format!("urn:gmac:problem:{}", code.as_str()),
            title: code.title().to_owned(),
            status: code.status(),
            detail: None,
            instance: None,
            code,
            errors: Vec::new(),
        }
    }

    /// Adds a human-readable detail.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds per-field errors.
    #[must_use]
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// The messages that belong to one field, for showing beside a form input.
    pub fn field_errors<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let pointer = format!("/{}", escape_pointer_token(field));
        self.errors
            .iter()
            .filter(move |e| e.pointer == pointer)
            .map(|e| e.detail.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_wire_form() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(code.as_str()), Some(*code));
            let json = serde_json::to_string(code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn every_code_maps_to_an_error_status() {
        for code in ErrorCode::ALL {
            assert!(
                (400..600).contains(&code.status()),
                "{code} has {}",
                code.status()
            );
        }
    }

    #[test]
    fn a_problem_serializes_with_the_rfc_9457_member_names() {
        let problem = ProblemDetails::new(ErrorCode::ValidationFailed)
            .with_errors(vec![FieldError::new("email", "invalid", "not an email")]);
        let value = serde_json::to_value(&problem).unwrap_or_default();
        assert_eq!(value["type"], "urn:gmac:problem:validation_failed");
        assert_eq!(value["status"], 422);
        assert_eq!(value["code"], "validation_failed");
        assert_eq!(value["errors"][0]["pointer"], "/email");
        assert!(value.get("detail").is_none());
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(FieldError::new("a/b~c", "x", "y").pointer, "/a~1b~0c");
    }
}
