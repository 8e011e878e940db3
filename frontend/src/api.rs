//! Reading the API's failures: problem codes, and the messages pages show for the common ones.

use gmac_client::ApiError;
use gmac_types::ErrorCode;

/// Items per page of the lists.
pub const PAGE_SIZE: u32 = 25;

/// The problem code of a failure, if the server sent one.
pub fn code(err: &ApiError) -> Option<ErrorCode> {
    err.problem().map(|p| p.code)
}

/// Whether the failure has the problem code `wanted`.
pub fn is(err: &ApiError, wanted: ErrorCode) -> bool {
    code(err) == Some(wanted)
}

/// What to tell someone whose change lost a race (412 on `If-Match`).
pub const CHANGED_ELSEWHERE: &str = "Someone else changed this while you were editing. It has \
     been reloaded with their changes; make your change again.";

/// A message for a failed load or action: the server's own words, with the cases pages see
/// most put plainly.
pub fn describe(err: &ApiError) -> String {
    match code(err) {
        Some(ErrorCode::Forbidden) => "You do not have permission to do this.".to_owned(),
        Some(ErrorCode::NotFound) => {
            "It does not exist any more, or you may not see it.".to_owned()
        }
        Some(ErrorCode::PreconditionFailed) => CHANGED_ELSEWHERE.to_owned(),
        _ => err.message(),
    }
}

/// Why a load failed, as pages show it: a refusal and a missing object get their own heading
/// and no "Try again" (trying again would not help).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The message, as [`describe`] puts it.
    pub message: String,
    /// What kind of failure it is.
    pub kind: FailureKind,
}

/// The kinds of [`Failure`] that read differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// 403: the user may not see it.
    Forbidden,
    /// 404: it does not exist (or is hidden from the user).
    NotFound,
    /// The request did not reach the server: the shell's one banner says so, and the load is
    /// tried again when the server is back.
    Unreachable,
    /// Anything else (the server failed); worth trying again.
    Other,
}

impl Failure {
    /// The failure of a request.
    pub fn of(err: &ApiError) -> Self {
        let kind = match (code(err), err.status()) {
            _ if matches!(err, ApiError::Network(_)) => FailureKind::Unreachable,
            (Some(ErrorCode::Forbidden), _) | (_, Some(403)) => FailureKind::Forbidden,
            (Some(ErrorCode::NotFound), _) | (_, Some(404)) => FailureKind::NotFound,
            _ => FailureKind::Other,
        };
        Self {
            message: describe(err),
            kind,
        }
    }

    /// Whether trying again could help.
    pub fn retryable(&self) -> bool {
        matches!(self.kind, FailureKind::Other | FailureKind::Unreachable)
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self {
            message,
            kind: FailureKind::Other,
        }
    }
}

/// `Some(text)` when `text` is not blank, trimmed: optional filters and fields.
pub fn non_blank(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use gmac_types::ProblemDetails;

    use super::*;

    #[test]
    fn common_failures_read_plainly() {
        let stale = ApiError::Problem(Box::new(ProblemDetails::new(ErrorCode::PreconditionFailed)));
        assert_eq!(describe(&stale), CHANGED_ELSEWHERE);
        assert!(is(&stale, ErrorCode::PreconditionFailed));
        let other = ApiError::Problem(Box::new(
            ProblemDetails::new(ErrorCode::Conflict).with_detail("It still has projects."),
        ));
        assert_eq!(describe(&other), "It still has projects.");
        assert_eq!(code(&ApiError::Http { status: 500 }), None);
    }

    #[test]
    fn blank_text_is_none() {
        assert_eq!(non_blank("  "), None);
        assert_eq!(non_blank(" acme "), Some("acme".to_owned()));
    }
}

/// How often a followed job is read again.
pub const FOLLOW_MS: i32 = 400;

/// How many readings a page waits for a job that should be quick (about 30 s).
pub const QUICK_JOB_READINGS: u32 = 75;

/// Reads `job` again every [`FOLLOW_MS`] until `until` holds for it, or after `readings`
/// readings when given (a job left waiting for a worker); passes each reading to `seen` and
/// answers the last.
pub async fn follow_job(
    auth: crate::state::Auth,
    job: gmac_types::Job,
    until: impl Fn(&gmac_types::Job) -> bool,
    seen: impl Fn(&gmac_types::Job),
    readings: Option<u32>,
) -> Result<gmac_types::Job, ApiError> {
    let mut job = job;
    let mut read = 0;
    while !until(&job) && readings.is_none_or(|most| read < most) {
        crate::js::sleep(FOLLOW_MS).await;
        let id = job.id.clone();
        job = auth
            .call(move |c| {
                let id = id.clone();
                async move { c.get_job(&id).await }
            })
            .await?;
        read += 1;
        seen(&job);
    }
    Ok(job)
}
