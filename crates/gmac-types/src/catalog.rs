//! Services: what a project runs, made from a template, with its repository on a git host.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::git::GitProvider;
use crate::jobs::Job;

/// Where a service stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// Its creation job is making the repository, the first commit and the webhook.
    Creating,
    /// Its creation failed: retry the job from the failed step, or delete the service to undo
    /// what was made.
    Failed,
    /// Made: pushes to its branches are heard.
    Active,
    /// Being removed (its webhook, and its repository when asked).
    Deleting,
}

impl ServiceStatus {
    /// Every status, in the order a service goes through them.
    pub const ALL: [ServiceStatus; 4] = [
        ServiceStatus::Creating,
        ServiceStatus::Failed,
        ServiceStatus::Active,
        ServiceStatus::Deleting,
    ];

    /// The wire id.
    pub const fn id(self) -> &'static str {
        match self {
            ServiceStatus::Creating => "creating",
            ServiceStatus::Failed => "failed",
            ServiceStatus::Active => "active",
            ServiceStatus::Deleting => "deleting",
        }
    }

    /// Parses a wire id.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    /// Its name for a person.
    pub const fn label(self) -> &'static str {
        match self {
            ServiceStatus::Creating => "Creating",
            ServiceStatus::Failed => "Creation failed",
            ServiceStatus::Active => "Active",
            ServiceStatus::Deleting => "Deleting",
        }
    }
}

/// An environment a service is built and deployed to, fed by one branch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceEnvironment {
    /// `staging` or `production`.
    pub name: String,
    /// The branch whose pushes it builds.
    #[cfg_attr(feature = "openapi", schema(example = "main", max_length = 100))]
    pub branch: String,
}

/// A service's repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceRepository {
    /// The git connection it lives on.
    pub connection_id: String,
    /// The kind of host.
    pub provider: GitProvider,
    /// The account or organisation that owns it.
    pub owner: String,
    /// Its name on the host.
    pub name: String,
    /// The URL to clone it from, once known.
    #[serde(default)]
    pub clone_url: Option<String>,
    /// Its page on the host, once known.
    #[serde(default)]
    pub html_url: Option<String>,
    /// Whether gmac created it (so undoing a failed creation removes it).
    pub created_by_gmac: bool,
    /// The first commit gmac pushed, once pushed.
    #[serde(default)]
    pub first_commit: Option<String>,
    /// Whether the push webhook is registered (a plain git remote calls the inbound
    /// endpoint from a `post-receive` hook instead).
    pub webhook_registered: bool,
}

/// A service: what a project runs, from a template, with its repository.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Service {
    /// A `UUIDv7`.
    pub id: String,
    /// The client of its project.
    pub client_id: String,
    /// Its project.
    pub project_id: String,
    /// A DNS label, unique in its project.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The template it came from.
    pub template: String,
    /// The template's parameters, with their defaults filled in.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub parameters: serde_json::Map<String, serde_json::Value>,
    /// The team that owns it.
    #[serde(default)]
    pub owner_team_id: Option<String>,
    /// Where it stands.
    pub status: ServiceStatus,
    /// Why its creation failed, while it is `failed`.
    #[serde(default)]
    pub status_detail: Option<String>,
    /// Its repository.
    pub repository: ServiceRepository,
    /// Its environments and the branch each builds.
    pub environments: Vec<ServiceEnvironment>,
    /// The job that creates it (retry it from its failed step).
    #[serde(default)]
    pub creation_job_id: Option<String>,
    /// How its builds are made.
    #[serde(default)]
    pub build: crate::builds::BuildSettings,
    /// How long its preview environments live; absent: a push to a branch no environment
    /// builds opens no preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previews: Option<crate::PreviewSettings>,
    /// Which of its events email whom.
    #[serde(default)]
    pub notifications: Vec<crate::NoticeRule>,
    /// The labels everything gmac makes for it carries (`gmac.io/service`, …).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Who created it.
    pub created_by: String,
    /// When.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// Bumped on every change (the `ETag`).
    pub version: i64,
}

/// Where a new service's repository goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewServiceRepository {
    /// The git connection to create it on.
    pub connection_id: String,
    /// The account or organisation to own it (on a plain git remote, the folder it is in).
    #[cfg_attr(feature = "openapi", schema(example = "acme", max_length = 100))]
    pub owner: String,
    /// Its name on the host (letters, digits, `.`, `_` and `-`).
    #[cfg_attr(feature = "openapi", schema(example = "web", max_length = 100))]
    pub name: String,
}

/// Creates a service from a template: `201` with the service and the job that makes its
/// repository, first commit, branches and webhook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewService {
    /// The project it belongs to.
    pub project_id: String,
    /// A DNS label: `a-z`, `0-9` and `-`, 1 to 63 characters, not starting or ending with `-`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "web",
            max_length = 63,
            pattern = "^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"
        )
    )]
    pub name: String,
    /// A template's id (`GET /templates`).
    pub template: String,
    /// The template's parameters, checked against its schema.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub parameters: serde_json::Map<String, serde_json::Value>,
    /// Where its repository goes.
    pub git: NewServiceRepository,
    /// What it is for, at most 2000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub description: Option<String>,
    /// The team that owns it (one of its client's).
    #[serde(default)]
    pub owner_team_id: Option<String>,
}

/// A service made, with its creation job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedService {
    /// The service, `creating`.
    pub service: Service,
    /// The job making it: follow its steps and log under `/jobs/{id}`.
    pub job: Job,
    /// On a plain git remote: the `post-receive` hook to install in the repository, which
    /// posts each push to gmac, signed. It holds the webhook's secret and is shown only here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_receive_hook: Option<String>,
}

/// Changes to a service's settings; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServicePatch {
    /// What it is for, at most 2000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub description: Option<String>,
    /// The owning team's id; an empty text for none.
    #[serde(default)]
    pub owner_team_id: Option<String>,
    /// The branch each environment builds (every environment named once).
    #[serde(default)]
    pub environments: Option<Vec<ServiceEnvironment>>,
    /// How its builds are made.
    #[serde(default)]
    pub build: Option<crate::builds::BuildSettingsPatch>,
    /// Preview environments: a push to a branch no environment builds opens one, living this
    /// long after the branch's last push; `null` opens no more (those open stay until they
    /// expire).
    #[serde(
        default,
        deserialize_with = "crate::deployments::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::PreviewSettings>))]
    pub previews: Option<Option<crate::PreviewSettings>>,
    /// Which of its events email whom: the whole list, replacing the one before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub notifications: Option<Vec<crate::NoticeRule>>,
}

/// Filters of the service catalog.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ServiceQuery {
    /// Only this client's services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Only this project's services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// Only the services this team owns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// Only services made from this template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Only services in this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ServiceStatus>,
    /// Only services whose name contains this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
}

/// How to delete a service.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ServiceDeleteQuery {
    /// Delete its repository on the host too (a failed creation's repository, made by gmac,
    /// goes in any case).
    #[serde(default)]
    pub delete_repository: bool,
}

/// A push a service's webhook delivered, as gmac took it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServicePush {
    /// A `UUIDv7`.
    pub id: String,
    /// The service pushed to.
    pub service_id: String,
    /// The ref pushed, `refs/heads/<branch>`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The commit the ref points at now.
    pub commit: String,
    /// The environment its branch feeds; absent for a branch that feeds none.
    #[serde(default)]
    pub environment: Option<String>,
    /// The build it started (a push to a branch an environment builds, while the service is
    /// active).
    #[serde(default)]
    pub build_id: Option<String>,
    /// Whether this (ref, commit) had been delivered before: a redelivery changes nothing
    /// (always `false` in a list).
    pub duplicate: bool,
    /// When it first arrived.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub received_at: DateTime<Utc>,
}
