//! Builds: a service's commit made into a container image, as a job of visible steps.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::jobs::JobStep;

/// Where a build stands (its job's status).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BuildStatus {
    /// Waiting for a worker, or for a free place under its project's concurrency limit.
    Queued,
    /// Running its steps.
    Running,
    /// Made its image.
    Succeeded,
    /// A step failed.
    Failed,
    /// Stopped on request.
    Cancelled,
}

impl BuildStatus {
    /// Every status.
    pub const ALL: [BuildStatus; 5] = [
        BuildStatus::Queued,
        BuildStatus::Running,
        BuildStatus::Succeeded,
        BuildStatus::Failed,
        BuildStatus::Cancelled,
    ];

    /// The wire id.
    pub const fn id(self) -> &'static str {
        match self {
            BuildStatus::Queued => "queued",
            BuildStatus::Running => "running",
            BuildStatus::Succeeded => "succeeded",
            BuildStatus::Failed => "failed",
            BuildStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a wire id.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    /// Whether it has ended.
    pub const fn is_finished(self) -> bool {
        matches!(
            self,
            BuildStatus::Succeeded | BuildStatus::Failed | BuildStatus::Cancelled
        )
    }

    /// Its name for a person.
    pub const fn label(self) -> &'static str {
        match self {
            BuildStatus::Queued => "Queued",
            BuildStatus::Running => "Running",
            BuildStatus::Succeeded => "Succeeded",
            BuildStatus::Failed => "Failed",
            BuildStatus::Cancelled => "Cancelled",
        }
    }
}

/// What started a build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BuildTrigger {
    /// Someone asked for it (`POST /services/{id}/builds`), or retried it.
    Manual,
    /// A push to a branch an environment builds.
    Push,
    /// The last step of the service's creation.
    Creation,
    /// A preview opened by hand (`POST /services/{id}/previews`): deployed to the preview.
    Preview,
}

impl BuildTrigger {
    /// The wire id.
    pub const fn id(self) -> &'static str {
        match self {
            BuildTrigger::Manual => "manual",
            BuildTrigger::Push => "push",
            BuildTrigger::Creation => "creation",
            BuildTrigger::Preview => "preview",
        }
    }

    /// Parses a wire id.
    pub fn from_id(id: &str) -> Option<Self> {
        [Self::Manual, Self::Push, Self::Creation, Self::Preview]
            .into_iter()
            .find(|t| t.id() == id)
    }
}

/// One step of a build, with how long it took.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuildStep {
    /// `checkout`, `pre-build hooks`, `image`, `tag`, `post-build hooks`.
    pub name: String,
    /// `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    /// When it began.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
    /// How long it took, in milliseconds, once ended.
    #[serde(default)]
    pub duration_ms: Option<i64>,
}

impl From<JobStep> for BuildStep {
    fn from(step: JobStep) -> Self {
        let duration_ms = match (step.started_at, step.finished_at) {
            (Some(start), Some(end)) => Some((end - start).num_milliseconds().max(0)),
            _ => None,
        };
        Self {
            name: step.name,
            status: step.status,
            started_at: step.started_at,
            finished_at: step.finished_at,
            duration_ms,
        }
    }
}

/// A build of one commit of a service into a container image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Build {
    /// A `UUIDv7`.
    pub id: String,
    /// The service built.
    pub service_id: String,
    /// Its project.
    pub project_id: String,
    /// Its client.
    pub client_id: String,
    /// 1 for the service's first build, then one more for each.
    pub number: i64,
    /// What was asked for: a branch, a tag or a commit.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The commit built, once the checkout resolved it.
    #[serde(default)]
    pub commit: Option<String>,
    /// The environment whose branch it builds, if any.
    #[serde(default)]
    pub environment: Option<String>,
    /// What started it.
    pub trigger: BuildTrigger,
    /// Where it stands.
    pub status: BuildStatus,
    /// Whether the image build may reuse cached layers.
    pub cache: bool,
    /// Its steps so far.
    pub steps: Vec<BuildStep>,
    /// The job that runs it (its log is the build's log).
    pub job_id: String,
    /// The image made, once made.
    #[serde(default)]
    pub image_id: Option<String>,
    /// The tags the image got.
    pub image_tags: Vec<String>,
    /// The registry's digest of the pushed image, when the installation has a registry.
    #[serde(default)]
    pub digest: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// Who asked for it; absent for a push or a creation.
    #[serde(default)]
    pub created_by: Option<String>,
    /// When it was asked for.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When its latest run began.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
    /// How long its latest run took, in milliseconds, once ended.
    #[serde(default)]
    pub duration_ms: Option<i64>,
}

/// A build to start.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewBuild {
    /// A branch, a tag or a commit of the service's repository.
    #[serde(rename = "ref")]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "main", min_length = 1, max_length = 200)
    )]
    pub git_ref: String,
    /// Reuse cached layers; the service's setting when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<bool>,
}

/// Filters of a service's builds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct BuildQuery {
    /// Only builds for this environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// How a service's builds are made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuildSettings {
    /// The Dockerfile's path in the repository.
    pub dockerfile: String,
    /// Build arguments (visible in the image's history: never put a secret here).
    pub build_args: std::collections::BTreeMap<String, String>,
    /// Shell commands run before the image build, in a container of `hook_image` holding the
    /// checkout at `/workspace` (what they change goes into the build), without a network.
    pub pre_build: Vec<String>,
    /// Shell commands run in a container of the image just built, without a network.
    pub post_build: Vec<String>,
    /// The image the pre-build hooks run in.
    pub hook_image: String,
    /// Whether builds reuse cached layers unless a build says otherwise.
    pub cache: bool,
    /// The names of the build secrets (mounted at `/run/secrets/<name>` by `RUN
    /// --mount=type=secret,id=<name>`); their values are never shown.
    pub secret_names: Vec<String>,
}

impl Default for BuildSettings {
    fn default() -> Self {
        Self {
            dockerfile: "Dockerfile".to_owned(),
            build_args: std::collections::BTreeMap::new(),
            pre_build: Vec::new(),
            post_build: Vec::new(),
            hook_image: "docker.io/library/busybox:stable".to_owned(),
            cache: true,
            secret_names: Vec::new(),
        }
    }
}

/// Changes to how a service's builds are made; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuildSettingsPatch {
    /// The Dockerfile's path in the repository.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub dockerfile: Option<String>,
    /// Build arguments, replacing the ones set (at most 50).
    #[serde(default)]
    pub build_args: Option<std::collections::BTreeMap<String, String>>,
    /// Pre-build hooks, replacing the ones set (at most 10).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub pre_build: Option<Vec<String>>,
    /// Post-build hooks, replacing the ones set (at most 10).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub post_build: Option<Vec<String>>,
    /// The image the pre-build hooks run in.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 300))]
    pub hook_image: Option<String>,
    /// Whether builds reuse cached layers.
    #[serde(default)]
    pub cache: Option<bool>,
    /// Build secrets to set (a value) or remove (`null`), by name; write-only. A service
    /// holds at most 20.
    #[serde(default)]
    pub secrets: Option<std::collections::BTreeMap<String, Option<String>>>,
}

/// Builds of one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuildDay {
    /// The day (UTC).
    pub date: NaiveDate,
    /// Builds asked for that day.
    pub total: i64,
    /// Of which succeeded.
    pub succeeded: i64,
    /// Of which failed.
    pub failed: i64,
    /// Of which were cancelled.
    pub cancelled: i64,
    /// The mean duration of that day's ended builds, in milliseconds.
    #[serde(default)]
    pub mean_duration_ms: Option<i64>,
}

/// A service's builds over the last days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuildStats {
    /// The days covered, ending today (UTC).
    pub days: u32,
    /// Builds asked for in those days.
    pub total: i64,
    /// Of which succeeded.
    pub succeeded: i64,
    /// Of which failed.
    pub failed: i64,
    /// Of which were cancelled.
    pub cancelled: i64,
    /// Succeeded over ended builds, as a percentage with one decimal, when any ended.
    #[serde(default)]
    pub success_rate: Option<f64>,
    /// The mean duration of ended builds, in milliseconds.
    #[serde(default)]
    pub mean_duration_ms: Option<i64>,
    /// The 95th percentile (nearest rank) of their durations, in milliseconds.
    #[serde(default)]
    pub p95_duration_ms: Option<i64>,
    /// Each day, oldest first (days without builds included).
    pub per_day: Vec<BuildDay>,
}

/// The window of build analytics.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct BuildStatsQuery {
    /// 7 or 30 (the default is 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 90))]
    pub days: Option<u32>,
}
