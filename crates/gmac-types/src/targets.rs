//! Deploy targets (issue 12, point 1): where an environment's releases run. A container host is
//! a Docker Engine API (Docker or Podman) on one server, beside the reverse proxy (Caddy) that
//! routes its domains, reached through its admin API. A Kubernetes cluster is reached through a
//! kubeconfig (its credentials inline), kept encrypted and never returned; each environment
//! deploying there gets a namespace of its own.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What kind of place a target is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// A Docker Engine API (Docker or Podman) on one server.
    ContainerHost,
    /// A Kubernetes cluster, through a kubeconfig.
    Kubernetes,
}

impl TargetKind {
    /// Its wire id.
    pub const fn id(self) -> &'static str {
        match self {
            TargetKind::ContainerHost => "container_host",
            TargetKind::Kubernetes => "kubernetes",
        }
    }

    /// The kind of wire id `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        match id {
            "container_host" => Some(TargetKind::ContainerHost),
            "kubernetes" => Some(TargetKind::Kubernetes),
            _ => None,
        }
    }

    /// Its name for a person.
    pub const fn label(self) -> &'static str {
        match self {
            TargetKind::ContainerHost => "Container host",
            TargetKind::Kubernetes => "Kubernetes cluster",
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
    /// `tcp://10.0.0.5:2375`; a cluster's API server (from its kubeconfig).
    pub address: String,
    /// Whether it holds credentials (a cluster's kubeconfig), which are never returned.
    #[serde(default)]
    pub has_credentials: bool,
    /// cert-manager's cluster issuer for its Ingresses' certificates (a cluster's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_issuer: Option<String>,
    /// The `IngressClass` its Ingresses name (a cluster's); absent: the cluster's default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_class: Option<String>,
    /// The reverse proxy's admin API beside it (Caddy's, e.g. `http://127.0.0.1:2019`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_admin_url: Option<String>,
    /// Where its traffic comes in, which its environments' domains point at: an address (an
    /// `A` or `AAAA` record) or a host name (a `CNAME`), with `:port` when its HTTPS is not
    /// on 443.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_address: Option<String>,
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
    /// The engine's address: `unix:///path/to.sock` or `tcp://host:port`. A cluster's is its
    /// kubeconfig's server: left out, or the same.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "unix:///run/podman/podman.sock", max_length = 2000)
    )]
    pub address: String,
    /// A cluster's kubeconfig (YAML), with its credentials inline (a token or a client
    /// certificate; no `exec` plugin, file path or proxy). Write-only: kept encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, max_length = 262_144)
    )]
    pub kubeconfig: Option<crate::secret::SecretText>,
    /// A cluster's cert-manager cluster issuer, for TLS on its Ingresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "letsencrypt",
            max_length = 253,
            pattern = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"
        )
    )]
    pub cluster_issuer: Option<String>,
    /// A cluster's `IngressClass` for its Ingresses (`spec.ingressClassName`), e.g. `nginx`;
    /// absent: the cluster's default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "nginx",
            max_length = 253,
            pattern = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"
        )
    )]
    pub ingress_class: Option<String>,
    /// The reverse proxy's admin API beside it (Caddy's), over http(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "http://127.0.0.1:2019", max_length = 2000)
    )]
    pub proxy_admin_url: Option<String>,
    /// Where its traffic comes in (its proxy's, or its cluster's ingress controller's public
    /// address), which custom domains point at: an IP address, or a host name, with `:port`
    /// when HTTPS is not on 443.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "203.0.113.10", max_length = 260)
    )]
    pub ingress_address: Option<String>,
}

/// A change to a target; absent fields stay as they are. A new address, proxy admin API or
/// kubeconfig is tested first: nothing is saved unless the target answers through it. Its
/// client, project and kind stay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TargetPatch {
    /// A new name, unique within the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            nullable = false,
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: Option<String>,
    /// A container host's new engine address (`unix:///…` or `tcp://host:port`); a cluster's
    /// follows its kubeconfig.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false, max_length = 2000))]
    pub address: Option<String>,
    /// A cluster's new kubeconfig, its credentials inline (write-only, kept encrypted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, nullable = false, max_length = 262_144)
    )]
    pub kubeconfig: Option<crate::secret::SecretText>,
    /// A cluster's cert-manager cluster issuer; `null`: none (no TLS on its Ingresses).
    #[serde(
        default,
        deserialize_with = "crate::deployments::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, max_length = 253)
    )]
    pub cluster_issuer: Option<Option<String>>,
    /// A cluster's `IngressClass`; `null`: the cluster's default. Its Ingresses name it from
    /// the next deploy.
    #[serde(
        default,
        deserialize_with = "crate::deployments::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, max_length = 253)
    )]
    pub ingress_class: Option<Option<String>>,
    /// A container host's proxy admin API; `null`: none. The routes of the environments
    /// serving there are set in the new proxy at once.
    #[serde(
        default,
        deserialize_with = "crate::deployments::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, max_length = 2000)
    )]
    pub proxy_admin_url: Option<Option<String>>,
    /// Where its traffic comes in, which custom domains point at; `null`: not known.
    #[serde(
        default,
        deserialize_with = "crate::deployments::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, max_length = 260)
    )]
    pub ingress_address: Option<Option<String>>,
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
