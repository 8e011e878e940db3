//! Environments and releases (issue 12, points 1 to 3): each service has a staging and a
//! production environment; an environment deploys to a target; a release is an image an
//! environment runs, rolled out by a job (start, health, switch the proxy, retire the old).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an environment stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[expect(
    clippy::struct_excessive_bools,
    reason = "each is a fact of its own on the wire: production, preview, deploy-on-push, auto rollback"
)]
pub struct Environment {
    /// Its id.
    pub id: String,
    /// Its service.
    pub service_id: String,
    /// `staging`, `production`, or `preview-<branch>` for a preview.
    pub name: String,
    /// The branch it builds.
    pub branch: String,
    /// Whether it is production (deploying to it needs `deploys.production`).
    pub production: bool,
    /// The target it deploys to; none yet means it cannot deploy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// The host name its proxy route answers, until it has domains of its own, e.g.
    /// `web-staging-3f9a2c1d.localhost`.
    pub host: String,
    /// The release serving it now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_release: Option<Release>,
    /// Whether each succeeded push build of its branch is deployed to it.
    pub deploy_on_push: bool,
    /// Whether a release that fails after it went live (its container exits or its health
    /// check fails while the release before still runs) brings that one back by itself.
    pub auto_rollback: bool,
    /// Set while deploy-on-push is paused (a manual rollback pauses it, so that the next push
    /// does not undo the rollback): pushes are built, not deployed, until someone resumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<DeploysPaused>,
    /// How many replicas its releases run (the fewest, when it autoscales).
    pub replicas: u32,
    /// Its autoscaling bounds (on a cluster), when it autoscales.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<Autoscale>,
    /// When it was last restarted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restarted_at: Option<DateTime<Utc>>,
    /// The job of a restart or a scale under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_job_id: Option<String>,
    /// The path its health check asks (`GET`, a 2xx answer is healthy), set for this
    /// environment; absent: the template's (or, without one, the port accepting a connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_path: Option<String>,
    /// Seconds a new release has to answer its health check on a container host before its
    /// rollout fails (its own, or the installation's).
    pub health_timeout_secs: u32,
    /// How many releases it keeps to roll back to, the live one among them: a rollout that
    /// succeeds lets older ones go (and removes their images from a container host, unless a
    /// kept release of any environment runs the same image).
    pub releases_kept: u32,
    /// The CPU and memory each of its containers asks for and may use, when set (from the next
    /// deploy on; on a cluster a restart too). Absent: a container host runs its containers
    /// without limits, and a cluster asks for 100m CPU and 128 MiB, limited to 1000m and
    /// 512 MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// Whether it is a preview environment: it deploys `branch` until `expires_at` or until
    /// the branch is deleted, and then goes with everything it runs.
    #[serde(default)]
    pub preview: bool,
    /// When a preview environment is deleted by itself (each push of its branch moves it on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// The job deleting it, once its deletion began: it deploys nothing more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_job_id: Option<String>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Bumped on every change.
    pub version: i64,
}

/// An environment's autoscaling bounds (a cluster's `HorizontalPodAutoscaler`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Autoscale {
    /// The fewest replicas, 1 to 50.
    #[serde(deserialize_with = "crate::whole::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    pub min: u32,
    /// The most, `min` to 50.
    #[serde(deserialize_with = "crate::whole::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    pub max: u32,
    /// The average CPU use it keeps to, in percent of the request, 10 to 95.
    #[serde(deserialize_with = "crate::whole::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 10, maximum = 95))]
    pub cpu_percent: u32,
}

/// How many releases an environment keeps to roll back to, unless set.
pub const DEFAULT_RELEASES_KEPT: u32 = 10;

/// The CPU and memory a release's containers ask for and may use. On a cluster they are its
/// pods' requests and limits; on a container host the limits are the engine's (a container
/// over its memory limit is killed, and its exit says so) and the memory request its soft
/// reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// CPU asked for, in thousandths of a core, 10 to 64000.
    #[serde(deserialize_with = "crate::whole::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 10, maximum = 64000))]
    pub cpu_request_millis: u32,
    /// CPU it may use, in thousandths of a core, from the request to 64000.
    #[serde(deserialize_with = "crate::whole::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 10, maximum = 64000))]
    pub cpu_limit_millis: u32,
    /// Memory asked for, in MiB, 16 to 262144.
    #[serde(deserialize_with = "crate::whole::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 16, maximum = 262_144))]
    pub memory_request_mib: u32,
    /// Memory it may use, in MiB, from the request to 262144.
    #[serde(deserialize_with = "crate::whole::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 16, maximum = 262_144))]
    pub memory_limit_mib: u32,
}

impl Default for Resources {
    fn default() -> Self {
        Self {
            cpu_request_millis: 100,
            cpu_limit_millis: 1000,
            memory_request_mib: 128,
            memory_limit_mib: 512,
        }
    }
}

impl Resources {
    /// The first field out of bounds (its name within `resources`), and why.
    pub fn problem(&self) -> Option<(&'static str, &'static str)> {
        if !(10..=64_000).contains(&self.cpu_request_millis) {
            return Some((
                "cpu_request_millis",
                "CPU is asked for in thousandths of a core, 10 to 64000.",
            ));
        }
        if !(self.cpu_request_millis..=64_000).contains(&self.cpu_limit_millis) {
            return Some((
                "cpu_limit_millis",
                "The CPU limit is at least the request, and at most 64000.",
            ));
        }
        if !(16..=262_144).contains(&self.memory_request_mib) {
            return Some((
                "memory_request_mib",
                "Memory is asked for in MiB, 16 to 262144.",
            ));
        }
        if !(self.memory_request_mib..=262_144).contains(&self.memory_limit_mib) {
            return Some((
                "memory_limit_mib",
                "The memory limit is at least the request, and at most 262144.",
            ));
        }
        None
    }
}

/// The longest health path.
pub const MAX_HEALTH_PATH: usize = 256;

/// Why a health path is refused, or `None` when it is fine: it starts with `/`, and holds
/// only the characters a URL's path and query may hold unescaped.
pub fn health_path_problem(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        return Some("A health path starts with /.");
    }
    if path.len() > MAX_HEALTH_PATH {
        return Some("A health path has at most 256 characters.");
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/-._~!$&'()*+,;=:@%?".contains(c);
    if !path.chars().all(allowed) || path.contains("//") {
        return Some(
            "A health path holds letters, digits and / - . _ ~ ? = & % only, once-slashed.",
        );
    }
    None
}

/// How many replicas an environment runs (`POST /environments/{id}/scale`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScaleRequest {
    /// Replicas, 1 to 50 (a container host runs one); within the bounds when it autoscales.
    #[serde(deserialize_with = "crate::whole::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    pub replicas: u32,
    /// Autoscaling bounds (a cluster's); absent: a fixed count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<Autoscale>,
}

/// Why and since when an environment's deploy-on-push is paused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeploysPaused {
    /// Since when.
    pub since: DateTime<Utc>,
    /// The user who paused it (by a rollback or by hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Why, for a person, e.g. "Release #1 was brought back by a rollback."
    pub reason: String,
}

/// A change to an environment; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnvironmentPatch {
    /// The target to deploy to (one of the service's client, or of its project); `null`
    /// clears it. Releases already running stay where they are until the next deploy.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub target_id: Option<Option<String>>,
    /// Whether each succeeded push build of its branch is deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub deploy_on_push: Option<bool>,
    /// Whether a release that fails after it went live brings the one before back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub auto_rollback: Option<bool>,
    /// `false` resumes deploy-on-push (after a rollback paused it); `true` pauses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub paused: Option<bool>,
    /// The path its health check asks (starting with `/`, at most 256 characters); `null`:
    /// the template's. From the next rollout or restart on.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub health_path: Option<Option<String>>,
    /// Seconds a new release has to answer its health check on a container host, 5 to 1800;
    /// `null`: the installation's. (A cluster's rollout has its progress deadline.)
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<u32>, minimum = 5, maximum = 1800)
    )]
    pub health_timeout_secs: Option<Option<u32>>,
    /// How many releases it keeps to roll back to, the live one among them, 2 to 100; a
    /// smaller number lets the older ones go at the next rollout that succeeds.
    #[serde(
        default,
        deserialize_with = "crate::whole::option_u32",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(nullable = false, minimum = 2, maximum = 100)
    )]
    pub releases_kept: Option<u32>,
    /// The CPU and memory each container asks for and may use, from the next deploy on (on a
    /// cluster a restart too); `null`: none set (a container host then sets no limits).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Resources>))]
    pub resources: Option<Option<Resources>>,
    /// When a preview environment is deleted by itself: later than now, at most
    /// [`MAX_PREVIEW_TTL_HOURS`] hours on. Only a preview expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub expires_at: Option<DateTime<Utc>>,
}

/// The longest a preview environment lives after its branch's last push (or is kept on by
/// hand): 30 days.
pub const MAX_PREVIEW_TTL_HOURS: u32 = 720;

/// How long a service's preview environments live, when it opens them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PreviewSettings {
    /// Hours a preview lives after its branch's last push, 1 to 720: then it is deleted with
    /// everything it runs.
    #[serde(deserialize_with = "crate::whole::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 720))]
    pub ttl_hours: u32,
}

/// A preview environment asked for by hand (`POST /services/{id}/previews`): the branch's
/// head is built and deployed to it. A branch with a preview already gets a new build there,
/// and its expiry moves on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPreview {
    /// The branch, as git names it (not one staging or production builds).
    #[cfg_attr(
        feature = "openapi",
        schema(example = "feature/login", max_length = 100)
    )]
    pub branch: String,
}

/// A preview opened or pushed again: the environment and the build that deploys to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewStarted {
    /// The preview environment.
    pub environment: Environment,
    /// The build of the branch's head; deploy-on-push deploys it once it succeeds.
    pub build: crate::Build,
}

/// A field that may be `null`: present (`Some`, holding `None` for `null`), as against absent
/// (`None`, through `#[serde(default)]`).
#[expect(
    clippy::option_option,
    reason = "absent, null and a value are three different changes"
)]
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// What made a release.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReleaseTrigger {
    /// A person: a deploy or a rollback through the API, the browser or the CLI.
    #[default]
    Manual,
    /// Deploy-on-push: a push build of the environment's branch succeeded.
    Push,
}

impl ReleaseTrigger {
    /// The stored id.
    pub const fn id(self) -> &'static str {
        match self {
            ReleaseTrigger::Manual => "manual",
            ReleaseTrigger::Push => "push",
        }
    }

    /// The trigger of a stored id.
    pub fn from_id(id: &str) -> Option<Self> {
        [ReleaseTrigger::Manual, ReleaseTrigger::Push]
            .into_iter()
            .find(|t| t.id() == id)
    }
}

/// Where a release stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReleaseStatus {
    /// Its rollout is queued or under way.
    Deploying,
    /// It serves the environment.
    Live,
    /// Its rollout failed; the release before it (if any) kept serving.
    Failed,
    /// It served, and a later release took its place.
    Retired,
}

impl ReleaseStatus {
    /// Its wire id.
    pub const fn id(self) -> &'static str {
        match self {
            ReleaseStatus::Deploying => "deploying",
            ReleaseStatus::Live => "live",
            ReleaseStatus::Failed => "failed",
            ReleaseStatus::Retired => "retired",
        }
    }

    /// The status of wire id `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        [
            ReleaseStatus::Deploying,
            ReleaseStatus::Live,
            ReleaseStatus::Failed,
            ReleaseStatus::Retired,
        ]
        .into_iter()
        .find(|s| s.id() == id)
    }

    /// Its name for a person.
    pub const fn label(self) -> &'static str {
        match self {
            ReleaseStatus::Deploying => "Deploying",
            ReleaseStatus::Live => "Live",
            ReleaseStatus::Failed => "Failed",
            ReleaseStatus::Retired => "Retired",
        }
    }
}

/// An image an environment runs, numbered in the environment from 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Release {
    /// Its id.
    pub id: String,
    /// Its environment.
    pub environment_id: String,
    /// 1, 2, … within the environment.
    pub number: i64,
    /// The image it runs (`registry/name:tag`, or a build's local tag).
    pub image: String,
    /// The image's id or registry digest as the target saw it when it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// The build it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    /// The release it brought back (a rollback), if it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<String>,
    /// Where it stands.
    pub status: ReleaseStatus,
    /// Why it failed, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The job rolling it out.
    pub job_id: String,
    /// What made it.
    #[serde(default)]
    pub trigger: ReleaseTrigger,
    /// The user who asked for it; none for a deploy-on-push.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it went live or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// The configuration it runs with: the version of the environment's variables and of
    /// each secret. A rollback brings these back with the image.
    #[serde(default)]
    pub config: crate::variables::ReleaseConfig,
    /// When retention let it go (its environment keeps fewer releases): it can no longer be
    /// rolled back to, and its image may be gone from the container host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruned_at: Option<DateTime<Utc>>,
}

/// What to deploy: a build of the service (its image), or an image by reference. Exactly one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewDeploy {
    /// A succeeded build of the environment's service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    /// An image reference, e.g. `127.0.0.1:5000/acme/web:1.4` or
    /// `registry.example.com/web@sha256:…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "127.0.0.1:5000/acme/web:1.4",
            min_length = 1,
            max_length = 500,
            pattern = r"^[a-z0-9]+([._:/@-][a-z0-9]+)*$"
        )
    )]
    pub image: Option<String>,
}

/// A roll back: a release of the environment to run again, without a rebuild.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRollback {
    /// The release to bring back.
    pub release_id: String,
}

/// A deploy or a rollback accepted: the new release and the job rolling it out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeployStarted {
    /// The release, `deploying`.
    pub release: Release,
    /// Its rollout.
    pub job: crate::Job,
}

/// Whether `image` reads as an image reference: lowercase letters and digits in runs joined
/// by one `.`, `_`, `:`, `/`, `@` or `-` (a registry host with a port, a path, a tag or a
/// digest); no spaces or shell characters. The document's pattern says the same.
pub fn image_ok(image: &str) -> bool {
    let separator = |c: char| matches!(c, '.' | '_' | ':' | '/' | '@' | '-');
    let mut last_separator = true;
    for c in image.chars() {
        if separator(c) {
            if last_separator {
                return false;
            }
            last_separator = true;
        } else if c.is_ascii_lowercase() || c.is_ascii_digit() {
            last_separator = false;
        } else {
            return false;
        }
    }
    !image.is_empty() && image.len() <= 500 && !last_separator
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_tells_an_absent_target_from_a_null_one() {
        let read = |json: &str| serde_json::from_str::<EnvironmentPatch>(json).unwrap();
        assert_eq!(
            read(r#"{"paused": false}"#).target_id,
            None,
            "absent: unchanged"
        );
        assert_eq!(
            read(r#"{"target_id": null}"#).target_id,
            Some(None),
            "null: cleared"
        );
        assert_eq!(
            read(r#"{"target_id": "t1"}"#).target_id,
            Some(Some("t1".to_owned()))
        );
        // Written back the same way: an absent target stays absent, a cleared one is null.
        let cleared = EnvironmentPatch {
            target_id: Some(None),
            ..EnvironmentPatch::default()
        };
        assert_eq!(
            serde_json::to_string(&cleared).unwrap(),
            r#"{"target_id":null}"#
        );
        assert_eq!(
            serde_json::to_string(&EnvironmentPatch::default()).unwrap(),
            "{}"
        );
        assert!(serde_json::from_str::<EnvironmentPatch>(r#"{"target":"t1"}"#).is_err());
    }

    #[test]
    fn image_references_are_plain_names_tags_and_digests() {
        for good in [
            "nginx",
            "127.0.0.1:5000/acme/web:1.4",
            "registry.example.com/web@sha256:0123abcd",
            "localhost/gmac/web:b-0193",
        ] {
            assert!(image_ok(good), "{good}");
        }
        for bad in [
            "",
            "Nginx",
            "web; rm -rf /",
            "web:",
            "-web",
            "a//b",
            "web name",
        ] {
            assert!(!image_ok(bad), "{bad}");
        }
    }

    #[test]
    fn statuses_read_back_from_their_ids() {
        for status in [
            ReleaseStatus::Deploying,
            ReleaseStatus::Live,
            ReleaseStatus::Failed,
            ReleaseStatus::Retired,
        ] {
            assert_eq!(ReleaseStatus::from_id(status.id()), Some(status));
        }
        assert_eq!(ReleaseStatus::from_id("gone"), None);
    }
}
