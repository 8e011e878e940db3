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
    /// The engine's address, `DOCKER_HOST` style: `unix:///run/podman/podman.sock`,
    /// `tcp://10.0.0.5:2376` or `ssh://deploy@10.0.0.5/run/podman/podman.sock`; a cluster's
    /// API server (from its kubeconfig).
    pub address: String,
    /// Whether it holds credentials (a cluster's kubeconfig, a remote container host's TLS
    /// client certificate and key or SSH key), which are never returned.
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

/// How gmac reaches a container host's engine over the network: TLS, checking the engine's
/// certificate against `ca_certificate` and presenting its own client certificate (Docker's
/// `--tlsverify` with `ca.pem`, `cert.pem` and `key.pem`). Write-only: kept encrypted, never
/// returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EngineTls {
    /// The certificate (PEM) of the authority that signed the engine's certificate.
    #[cfg_attr(feature = "openapi", schema(max_length = 65_536))]
    pub ca_certificate: String,
    /// gmac's client certificate (PEM), signed by an authority the engine trusts; its chain
    /// may follow it.
    #[cfg_attr(feature = "openapi", schema(max_length = 65_536))]
    pub client_certificate: String,
    /// The client certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, max_length = 65_536)
    )]
    pub client_key: crate::secret::SecretText,
}

/// How gmac reaches a container host over SSH (`ssh://user@host[:port][/path/to/engine.sock]`),
/// as `podman system connection add` does: it signs in as `user` with `private_key`, accepts
/// the host only if it shows `host_key`, and forwards each connection to the engine's unix
/// socket there (nothing is run on the host). Write-only: kept encrypted, never returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EngineSsh {
    /// gmac's private key, as `ssh-keygen` writes it (`-----BEGIN OPENSSH PRIVATE KEY-----`:
    /// Ed25519, ECDSA or RSA), without a passphrase; its public key is in the user's
    /// `~/.ssh/authorized_keys` on the host.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, max_length = 65_536)
    )]
    pub private_key: crate::secret::SecretText,
    /// The host's public key, the only one accepted from it: a line of `ssh-keyscan HOST`
    /// (`HOST ssh-ed25519 AAAA…`) or of its `/etc/ssh/ssh_host_*_key.pub`
    /// (`ssh-ed25519 AAAA… comment`).
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID35qF982yFdEme4XGUfEMPe2s6aHPECPErzZQWsGvKB",
            max_length = 16_384
        )
    )]
    pub host_key: String,
}

/// The parts of an engine address over SSH: `ssh://user@host[:port][/socket]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshAddress {
    /// Who gmac signs in as.
    pub user: String,
    /// The host's name or address (an IPv6 one without its brackets).
    pub host: String,
    /// Its SSH port: 22 unless given.
    pub port: u16,
    /// The engine's unix socket on the host: Docker's `/var/run/docker.sock` unless given
    /// (Podman's is `/run/podman/podman.sock` for root, `/run/user/UID/podman/podman.sock`
    /// for a user).
    pub socket: String,
}

impl SshAddress {
    /// The socket an address without a path names: Docker's.
    pub const DEFAULT_SOCKET: &'static str = "/var/run/docker.sock";

    /// The parts of `address`, when it is `ssh://user@host[:port][/absolute/socket/path]`
    /// exactly: a user, a host of letters, digits, `.`, `-` (or an address), a port from 1,
    /// and a path without `..`, spaces or a query.
    pub fn parse(address: &str) -> Option<Self> {
        let rest = address.strip_prefix("ssh://")?;
        let (authority, socket) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, ""),
        };
        let (user, host_port) = authority.split_once('@')?;
        let user_ok = !user.is_empty()
            && user.len() <= 64
            && user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
            let (host, after) = v6.split_once(']')?;
            host.parse::<std::net::Ipv6Addr>().ok()?;
            let port = match after {
                "" => None,
                port => Some(port.strip_prefix(':')?),
            };
            (host, port)
        } else {
            match host_port.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (host_port, None),
            }
        };
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && (host.contains(':')
                || host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-')));
        let port = match port {
            Some(port) => port.parse::<u16>().ok().filter(|p| *p > 0)?,
            None => 22,
        };
        let socket_ok = socket.is_empty()
            // A unix socket's path holds at most 107 bytes.
            || (socket.len() <= 107
                && !socket.split('/').any(|part| part == ".." || part == ".")
                && !socket.ends_with('/')
                && socket
                    .chars()
                    .all(|c| c.is_ascii_graphic() && !matches!(c, '?' | '#' | '%')));
        (user_ok && host_ok && socket_ok).then(|| Self {
            user: user.to_owned(),
            host: host.to_owned(),
            port,
            socket: if socket.is_empty() {
                Self::DEFAULT_SOCKET.to_owned()
            } else {
                socket.to_owned()
            },
        })
    }
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
    /// The engine's address: `unix:///path/to.sock`, `tcp://host:port` reached over TLS
    /// with `tls`, or `ssh://user@host[:port][/path/to/engine.sock]` reached with `ssh`. A
    /// cluster's is its kubeconfig's server: left out, or the same.
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
    /// A container host over the network (`tcp://host:port`): the TLS client credentials it
    /// is reached with, as Docker's `--tlsverify` takes them. Write-only: kept encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<EngineTls>,
    /// A container host over SSH (`ssh://user@host[:port][/socket]`): gmac's key and the
    /// host's. Write-only: kept encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<EngineSsh>,
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
    /// A container host's new engine address (`unix:///…`, `tcp://host:port` or
    /// `ssh://user@host…`); a cluster's follows its kubeconfig.
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
    /// A container host's new TLS client credentials (write-only, kept encrypted), e.g. when
    /// its certificate is renewed; tested before they are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub tls: Option<EngineTls>,
    /// A container host's new SSH credentials (write-only, kept encrypted), e.g. when its
    /// host key or gmac's key changes; tested before they are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub ssh: Option<EngineSsh>,
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

#[cfg(test)]
mod tests {
    use super::SshAddress;

    #[test]
    fn an_ssh_address_names_user_host_port_and_socket_with_docker_s_socket_by_default() {
        let full = SshAddress::parse("ssh://deploy@web-1.example.com:2222/run/podman/podman.sock")
            .expect("a full address");
        assert_eq!(
            (
                full.user.as_str(),
                full.host.as_str(),
                full.port,
                full.socket.as_str()
            ),
            (
                "deploy",
                "web-1.example.com",
                2222,
                "/run/podman/podman.sock"
            )
        );
        let short = SshAddress::parse("ssh://root@10.0.0.5").expect("a short address");
        assert_eq!(
            (short.port, short.socket.as_str()),
            (22, "/var/run/docker.sock")
        );
        let v6 = SshAddress::parse("ssh://root@[2001:db8::5]:22/run/docker.sock").expect("IPv6");
        assert_eq!(v6.host, "2001:db8::5");
    }

    #[test]
    fn an_ssh_address_without_a_user_or_with_a_bad_port_or_path_is_refused() {
        for bad in [
            "ssh://web-1.example.com",
            "ssh://@web-1",
            "ssh://root@",
            "ssh://root@web-1:0",
            "ssh://root@web-1:99999",
            "ssh://root@web-1:22/run/../etc/shadow",
            "ssh://root@web-1/run/podman/",
            "ssh://root@web-1/run/podman.sock?x=1",
            "ssh://root@web 1",
            "ssh://ro ot@web-1",
            "ssh://root@[not-v6]:22",
            "ssh://root@[::1]junk",
            "tcp://root@web-1:22",
        ] {
            assert_eq!(SshAddress::parse(bad), None, "{bad}");
        }
    }
}
