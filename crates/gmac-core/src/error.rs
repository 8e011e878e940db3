//! The domain's one error type. The HTTP layer maps it to a problem via its [`ErrorCode`].

use gmac_types::{ErrorCode, FieldError};

/// What went wrong in a service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input broke one or more rules.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Sign-in failed. Deliberately the same for an unknown user and a wrong password.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A presented token is unknown, expired or revoked.
    #[error("invalid token")]
    InvalidToken,
    /// The request itself is malformed (a bad cursor, a bad parameter).
    #[error("{0}")]
    BadRequest(String),
    /// The TOTP or recovery code is wrong or already used.
    #[error("invalid verification code")]
    InvalidMfaCode,
    /// A role requires MFA and the user has not enrolled.
    #[error("MFA enrolment required")]
    MfaEnrollmentRequired,
    /// `If-Match` did not match the current version.
    #[error("the object changed since it was read")]
    PreconditionFailed,
    /// Too many attempts; retry after this many seconds.
    #[error("too many attempts")]
    RateLimited {
        /// Seconds until the next attempt is accepted.
        retry_after: u64,
    },
    /// No credentials were presented.
    #[error("authentication required")]
    Unauthenticated,
    /// The actor may not do this.
    #[error("forbidden")]
    Forbidden,
    /// No such object, or the actor may not know it exists.
    #[error("not found")]
    NotFound,
    /// The action conflicts with the current state.
    #[error("{detail}")]
    Conflict {
        /// The specific conflict.
        code: ErrorCode,
        /// What conflicts, for a person.
        detail: String,
    },
    /// Anything unexpected. The chain is logged once at the boundary, never returned.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The result of a service call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The stable code this error is answered with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Validation(_) => ErrorCode::ValidationFailed,
            Error::BadRequest(_) => ErrorCode::BadRequest,
            Error::InvalidMfaCode => ErrorCode::InvalidMfaCode,
            Error::MfaEnrollmentRequired => ErrorCode::MfaEnrollmentRequired,
            Error::PreconditionFailed => ErrorCode::PreconditionFailed,
            Error::RateLimited { .. } => ErrorCode::RateLimited,
            Error::InvalidCredentials => ErrorCode::InvalidCredentials,
            Error::InvalidToken => ErrorCode::InvalidToken,
            Error::Unauthenticated => ErrorCode::Unauthorized,
            Error::Forbidden => ErrorCode::Forbidden,
            Error::NotFound => ErrorCode::NotFound,
            Error::Conflict { code, .. } => *code,
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// A conflict with its code and detail.
    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> Self {
        Error::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// A single-field validation error.
    pub fn invalid(error: FieldError) -> Self {
        Error::Validation(vec![error])
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        Error::Internal(anyhow::Error::new(err).context("database error"))
    }
}

impl From<sea_orm::TransactionError<Error>> for Error {
    fn from(err: sea_orm::TransactionError<Error>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(inner) => inner,
        }
    }
}
