//! Service templates: the catalog a new service is created from. A template is data (a
//! manifest, a JSON Schema of its parameters, a Dockerfile and files with placeholders), so
//! the SPA draws its form from the same schema the server validates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What kind of service a template makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TemplateCategory {
    /// A web application people open in a browser.
    Web,
    /// An HTTP API.
    Api,
    /// A background worker with no public endpoint.
    Worker,
    /// A database.
    Database,
}

impl TemplateCategory {
    /// Its name for a person.
    pub const fn label(self) -> &'static str {
        match self {
            TemplateCategory::Web => "Web app",
            TemplateCategory::Api => "API",
            TemplateCategory::Worker => "Worker",
            TemplateCategory::Database => "Database",
        }
    }
}

/// How gmac checks that a running service is healthy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateHealth {
    /// The HTTP path answered with 2xx when healthy; absent for a TCP check of the port.
    #[serde(default)]
    pub path: Option<String>,
    /// The port the service listens on (the default of its `port` parameter, if it has one).
    pub port: u16,
}

/// What a service of this template asks for by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateResources {
    /// Thousandths of a CPU core.
    pub cpu_millicores: u32,
    /// Memory in MiB.
    pub memory_mib: u32,
}

/// A template in the catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Template {
    /// A DNS label, unique in the catalog, e.g. `static-site`.
    #[cfg_attr(feature = "openapi", schema(example = "static-site"))]
    pub id: String,
    /// Its name on the card.
    pub name: String,
    /// One sentence on what it makes.
    pub description: String,
    /// What kind of service it makes.
    pub category: TemplateCategory,
    /// The Dockerfile's path in the rendered files.
    pub dockerfile: String,
    /// How the running service's health is checked.
    pub health: TemplateHealth,
    /// Default resources.
    pub resources: TemplateResources,
    /// Build arguments and their defaults (never secrets: they stay in the image's history).
    pub build_args: BTreeMap<String, String>,
    /// A JSON Schema (2020-12) object of the parameters; the server validates a new service's
    /// `parameters` against it.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub parameters: serde_json::Value,
    /// The paths of the files the first commit holds.
    pub files: Vec<String>,
    /// Where the template comes from: `builtin`, or the git repository it was added from.
    pub source: String,
    /// The template source it was added from (`GET /api/v1/template-sources/{id}`); absent
    /// for a built-in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
}

/// Where a template source's last sync stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TemplateSourceStatus {
    /// A sync is queued or running.
    Syncing,
    /// The last sync read the repository: its templates are in the catalog.
    Ready,
    /// The last sync failed (the templates of an earlier sync, if any, stay).
    Failed,
}

impl TemplateSourceStatus {
    /// Its name for a person.
    pub const fn label(self) -> &'static str {
        match self {
            TemplateSourceStatus::Syncing => "Syncing",
            TemplateSourceStatus::Ready => "Ready",
            TemplateSourceStatus::Failed => "Failed",
        }
    }
}

/// A folder of a template source that is not a template the catalog can offer, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateProblem {
    /// The folder in the repository.
    pub folder: String,
    /// What is wrong, for the template's author.
    pub detail: String,
}

/// A git repository templates are added from: every folder under `path` holding a
/// `template.json` (or `path` itself, when it holds one) is a template, in the built-in
/// templates' format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateSource {
    /// Its id.
    pub id: String,
    /// The repository's clone URL.
    pub url: String,
    /// The installation's git connection whose token fetches it, if it needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// The branch, tag or commit synced.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The folder holding the templates; empty for the repository's root.
    pub path: String,
    /// Where its last sync stands.
    pub status: TemplateSourceStatus,
    /// Why the last sync failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The commit its templates were read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The ids of the templates it adds to the catalog.
    pub templates: Vec<String>,
    /// The folders that are not templates the catalog can offer, and why.
    pub problems: Vec<TemplateProblem>,
    /// The last sync's job (`GET /api/v1/jobs/{id}`, with its steps and log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// When a sync last succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who added it.
    pub created_by: String,
    /// When.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Bumped on every change.
    pub version: i64,
}

fn main_branch() -> String {
    "main".to_owned()
}

/// A git repository to add templates from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTemplateSource {
    /// The repository's clone URL over http or https, without credentials.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "https://git.example.com/platform/templates.git",
            max_length = 2000
        )
    )]
    pub url: String,
    /// An installation-wide git connection whose token fetches a private repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// The branch, tag or commit to read; `main` when absent.
    #[serde(rename = "ref", default = "main_branch")]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "main", min_length = 1, max_length = 200)
    )]
    pub git_ref: String,
    /// The folder holding the templates; the repository's root when absent.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "templates", max_length = 200))]
    pub path: String,
}
