//! Deploy targets (issue 12, point 1): where an environment's releases run. A container host is
//! a Docker Engine API (Docker or Podman) on one server, beside the reverse proxy (Caddy) that
//! routes its domains, reached through its admin API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What kind of place a target is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// A Docker Engine API (Docker or Podman) on one server.
    ContainerHost,
}

impl TargetKind {
    /// Its wire id.
    pub const fn id(self) -> &'static str {
        match self {
            TargetKind::ContainerHost => "container_host",
        }
    }

    /// The kind of wire id `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        (id == "container_host").then_some(TargetKind::ContainerHost)
    }

    /// Its name for a person.
    pub const fn label(self) -> &'static str {
        match self {
            TargetKind::ContainerHost => "Container host",
        }
    }
}

/// What the last connection test found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetTest {
    /// When it ran.
    pub tested_at: DateTime<Utc>,
    /// Whether the engine (and the proxy's admin API, when set) answered.
    pub ok: bool,
    /// What answered, or what failed, for a person.
    pub detail: String,
}

/// A place environments deploy to, registered for a client (or one of its projects).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Target {
    /// Its id.
    pub id: String,
    /// Its name, unique within its client.
    pub name: String,
    /// The client it serves.
    pub client_id: String,
    /// The one project it serves, if it is not the whole client's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// What it is.
    pub kind: TargetKind,
    /// The engine's address, `DOCKER_HOST` style: `unix:///run/podman/podman.sock` or
    /// `tcp://10.0.0.5:2375`.
    pub address: String,
    /// The reverse proxy's admin API beside it (Caddy's, e.g. `http://127.0.0.1:2019`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_admin_url: Option<String>,
    /// The engine as it described itself at the last successful test, e.g.
    /// `Podman Engine 4.3.1 (API 1.41, linux/amd64)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// The last connection test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_test: Option<TargetTest>,
    /// Who registered it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Bumped on every change.
    pub version: i64,
}

/// A target to register. It is tested first: nothing is saved unless the engine (and the
/// proxy's admin API, when given) answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTarget {
    /// A name, unique within the client: 1 to 100 characters, not only spaces, no control
    /// characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "web-1",
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: String,
    /// The client it serves.
    pub client_id: String,
    /// Only this project of the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// What it is.
    pub kind: TargetKind,
    /// The engine's address: `unix:///path/to.sock` or `tcp://host:port`.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "unix:///run/podman/podman.sock", max_length = 2000)
    )]
    pub address: String,
    /// The reverse proxy's admin API beside it (Caddy's), over http(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "http://127.0.0.1:2019", max_length = 2000)
    )]
    pub proxy_admin_url: Option<String>,
}

/// Which targets to list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct TargetQuery {
    /// Only this client's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}
