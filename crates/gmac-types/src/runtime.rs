//! A running release as its container host or its cluster sees it (issue 12, point 4): each
//! instance's state (a container, or a pod) and the reason it last exited, and its own output,
//! followed live.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Why an instance last stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// It ended by itself with code 0.
    Completed,
    /// It ended by itself with another code.
    Error,
    /// The kernel killed it for using more memory than its limit.
    OutOfMemory,
    /// A signal stopped it (code 128 + the signal: 137 is `SIGKILL`, 143 `SIGTERM`).
    Killed,
}

impl ExitReason {
    /// The reason for exit `code`, `oom_killed` as the engine says.
    pub fn of(code: i64, oom_killed: bool) -> Self {
        match code {
            _ if oom_killed => ExitReason::OutOfMemory,
            0 => ExitReason::Completed,
            129..=192 => ExitReason::Killed,
            _ => ExitReason::Error,
        }
    }

    /// In words.
    pub const fn label(self) -> &'static str {
        match self {
            ExitReason::Completed => "completed",
            ExitReason::Error => "exited with an error",
            ExitReason::OutOfMemory => "out of memory",
            ExitReason::Killed => "stopped by a signal",
        }
    }
}

/// How an instance last stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LastExit {
    /// Its exit code.
    pub code: i64,
    /// Why.
    pub reason: ExitReason,
    /// When, when the engine says.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    /// What the engine said went wrong, if anything.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One instance of the live release: a container on a container host, a pod on a cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Instance {
    /// Its container's short id, or its pod's name.
    pub name: String,
    /// Whether it runs.
    pub running: bool,
    /// How many times the engine restarted it.
    pub restarts: i64,
    /// When it (last) started.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// How it last stopped: while it is stopped, or after a restart.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_exit: Option<LastExit>,
    /// Why it does not run, while its cluster waits to start it again, e.g.
    /// `CrashLoopBackOff: back-off 10s restarting failed container` or `ImagePullBackOff: …`.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<String>,
}

/// The instances of an environment's live release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnvironmentInstances {
    /// The live release, if one serves.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_id: Option<String>,
    /// Its number in the environment.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_number: Option<i64>,
    /// Its instances (none when nothing serves).
    pub instances: Vec<Instance>,
}

/// Which stream a line went to (a cluster merges a pod's two streams: its lines are all
/// `stdout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutputStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// A line the live release wrote, every secret value masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceLogLine {
    /// The instance that wrote it.
    pub instance: String,
    /// Where it went.
    pub stream: OutputStream,
    /// When the engine received it.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    /// The line.
    pub line: String,
}

/// `GET /environments/{id}/logs` query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct LogQuery {
    /// How many of the last lines to start with, 0 to 5000 [default 200].
    #[cfg_attr(
        feature = "openapi",
        param(minimum = 0, maximum = 5000, nullable = false)
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<u32>,
}

/// The most lines a log starts with.
pub const MAX_TAIL: u32 = 5000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exit_code_reads_as_its_reason() {
        assert_eq!(ExitReason::of(0, false), ExitReason::Completed);
        assert_eq!(ExitReason::of(1, false), ExitReason::Error);
        assert_eq!(ExitReason::of(137, false), ExitReason::Killed);
        assert_eq!(ExitReason::of(143, false), ExitReason::Killed);
        assert_eq!(ExitReason::of(137, true), ExitReason::OutOfMemory);
        assert_eq!(ExitReason::of(255, false), ExitReason::Error);
    }
}
