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
    /// The action needs a fresh second factor and the caller has none set up (or is a token).
    #[error("a second factor is required")]
    SecondFactorRequired,
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
    /// The database is busy or cannot be reached; the request may be retried.
    #[error("{detail}")]
    Unavailable {
        /// Seconds after which a retry is worth it.
        retry_after: u64,
        /// What is unavailable, for a person.
        detail: String,
    },
    /// The disk is full: nothing was written.
    #[error("the disk is full")]
    InsufficientStorage,
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
            Error::SecondFactorRequired => ErrorCode::SecondFactorRequired,
            Error::PreconditionFailed => ErrorCode::PreconditionFailed,
            Error::RateLimited { .. } => ErrorCode::RateLimited,
            Error::InvalidCredentials => ErrorCode::InvalidCredentials,
            Error::InvalidToken => ErrorCode::InvalidToken,
            Error::Unauthenticated => ErrorCode::Unauthorized,
            Error::Forbidden => ErrorCode::Forbidden,
            Error::NotFound => ErrorCode::NotFound,
            Error::Conflict { code, .. } => *code,
            Error::Unavailable { .. } => ErrorCode::ServiceUnavailable,
            Error::InsufficientStorage => ErrorCode::InsufficientStorage,
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
        classify_db(&err)
            .unwrap_or_else(|| Error::Internal(anyhow::Error::new(err).context("database error")))
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        classify_sqlx(&err)
            .unwrap_or_else(|| Error::Internal(anyhow::Error::new(err).context("database error")))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        classify_rusqlite(&err)
            .unwrap_or_else(|| Error::Internal(anyhow::Error::new(err).context("database error")))
    }
}

/// What a database failure means to the caller, when it is not a bug: the database is busy or
/// gone (503), the disk is full (507), text PostgreSQL cannot store (422: NUL characters), or
/// two requests raced to create the same thing (409).
pub fn classify_db(err: &sea_orm::DbErr) -> Option<Error> {
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx = match err {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return Some(unavailable()),
        _ => return None,
    };
    classify_sqlx(sqlx)
}

/// Like [`classify_db`], for a driver error.
pub fn classify_sqlx(err: &sqlx::Error) -> Option<Error> {
    match err {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => {
            Some(Error::InsufficientStorage)
        }
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => Some(unavailable()),
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // The two backends' codes overlap as numbers (PostgreSQL's 22021 ends in SQLite's
            // SQLITE_BUSY byte), so each is read by its own table.
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                classify_sqlite(code.parse().unwrap_or_default())
            } else {
                classify_postgres(&code)
            }
        }
        _ => None,
    }
}

/// The same for an error met through rusqlite (the cost import's line writer).
pub fn classify_rusqlite(err: &rusqlite::Error) -> Option<Error> {
    err.sqlite_error()
        .and_then(|e| classify_sqlite(e.extended_code))
}

/// SQLite's extended result codes, which carry the primary code in their low byte.
fn classify_sqlite(extended: i32) -> Option<Error> {
    match (extended & 0xff, extended) {
        // SQLITE_BUSY, SQLITE_LOCKED and their extended codes.
        (5 | 6, _) => Some(busy()),
        // SQLITE_FULL, and SQLITE_IOERR_WRITE (a full disk met at commit in WAL mode).
        (13, _) | (_, 778) => Some(Error::InsufficientStorage),
        // SQLITE_CONSTRAINT_UNIQUE and _PRIMARYKEY.
        (_, 2067 | 1555) => Some(raced_create()),
        _ => None,
    }
}

/// PostgreSQL's SQLSTATE codes.
fn classify_postgres(code: &str) -> Option<Error> {
    match code {
        // disk_full.
        "53100" => Some(Error::InsufficientStorage),
        // character_not_in_repertoire, untranslatable_character (NUL).
        "22021" | "22P05" => Some(Error::invalid(FieldError {
            pointer: String::new(),
            code: "invalid_characters".to_owned(),
            detail: "Text may not contain NUL characters.".to_owned(),
        })),
        // unique_violation.
        "23505" => Some(raced_create()),
        // Serialization failure, deadlock, too many connections; connection exceptions (08...),
        // shutdown (57P...).
        "40001" | "40P01" | "53300" => Some(unavailable()),
        c if c.starts_with("08") || c.starts_with("57P") => Some(unavailable()),
        _ => None,
    }
}

fn busy() -> Error {
    Error::Unavailable {
        retry_after: 1,
        detail: "The database is busy; try again in a moment.".to_owned(),
    }
}

fn raced_create() -> Error {
    Error::conflict(
        ErrorCode::Conflict,
        "It already exists: another request created it at the same time.",
    )
}

/// A database or disk failure buried in an `anyhow` chain, recognised as what it means to the
/// caller (busy, unreachable, full) instead of a 500.
pub fn classify_chain(err: &anyhow::Error) -> Option<Error> {
    err.chain().find_map(|cause| {
        if let Some(db) = cause.downcast_ref::<sea_orm::DbErr>() {
            return classify_db(db);
        }
        if let Some(sqlx) = cause.downcast_ref::<sqlx::Error>() {
            return classify_sqlx(sqlx);
        }
        cause
            .downcast_ref::<std::io::Error>()
            .filter(|io| io.kind() == std::io::ErrorKind::StorageFull)
            .map(|_| Error::InsufficientStorage)
    })
}

fn unavailable() -> Error {
    Error::Unavailable {
        retry_after: 2,
        detail: "The database cannot be reached right now; try again shortly.".to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_backend_reads_its_own_codes() {
        // PostgreSQL's NUL refusal is bad input, although 22021 & 0xff is SQLite's BUSY.
        assert!(matches!(
            classify_postgres("22021"),
            Some(Error::Validation(_))
        ));
        assert!(matches!(
            classify_sqlite(5),
            Some(Error::Unavailable { .. })
        ));
        assert!(matches!(
            classify_sqlite(517),
            Some(Error::Unavailable { .. })
        ));
        assert!(matches!(
            classify_sqlite(778),
            Some(Error::InsufficientStorage)
        ));
        assert!(matches!(
            classify_postgres("53100"),
            Some(Error::InsufficientStorage)
        ));
        assert!(matches!(
            classify_sqlite(2067),
            Some(Error::Conflict { .. })
        ));
        assert!(matches!(
            classify_postgres("23505"),
            Some(Error::Conflict { .. })
        ));
        assert!(
            classify_sqlite(787).is_none(),
            "a foreign key is a bug, not a race"
        );
    }
}
