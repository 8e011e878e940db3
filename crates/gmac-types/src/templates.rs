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
}
