//! Deploy targets' parts, checked before a target is saved and when it is tested: the Docker
//! Engine API (`GET /version`) over a unix socket or over the network through TLS with a client
//! certificate, and Caddy's admin API (`GET /config/`). Network addresses and the admin API
//! pass the egress policy.

use std::sync::Arc;
use std::time::Duration;

use gmac_core::egress::EgressPolicy;
use gmac_core::ports::{Engine, TargetProbe};
use serde::Deserialize;

use crate::git::EgressResolver;

/// The probe: plain HTTP clients, bounded in time, that never follow redirects.
#[derive(Debug)]
pub struct HttpTargetProbe {
    http: reqwest::Client,
    egress: Arc<EgressPolicy>,
}

impl HttpTargetProbe {
    /// A probe bound by `egress`.
    pub fn new(egress: Arc<EgressPolicy>) -> anyhow::Result<Self> {
        let http = builder()
            .dns_resolver(Arc::new(EgressResolver(egress.clone())))
            .build()?;
        Ok(Self { http, egress })
    }
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(concat!("gmac/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
}

/// `GET /version`'s answer, as far as it is read.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EngineVersion {
    #[serde(default)]
    components: Vec<Component>,
    version: String,
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    arch: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Component {
    name: String,
}

/// Text from another host, kept to what a person reads: no control characters, at most 60.
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(60).collect()
}

/// The most of an answer read: an engine's `/version` and an empty proxy configuration are
/// a few hundred bytes.
const MAX_ANSWER: usize = 256 * 1024;

/// An answer's body, refused past [`MAX_ANSWER`].
async fn read_capped(mut response: reqwest::Response, what: &str) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("{what} stopped answering: {}", crate::error_chain(&e)))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER {
            return Err(format!(
                "{what} answered more than {} KiB",
                MAX_ANSWER / 1024
            ));
        }
    }
    Ok(body)
}

impl EngineVersion {
    fn describe(&self) -> String {
        let name = self
            .components
            .first()
            .map_or("Docker Engine".to_owned(), |c| clean(&c.name));
        let mut details = Vec::new();
        if !self.api_version.is_empty() {
            details.push(format!("API {}", clean(&self.api_version)));
        }
        if !self.os.is_empty() {
            details.push(format!("{}/{}", clean(&self.os), clean(&self.arch)));
        }
        let version = clean(&self.version);
        if details.is_empty() {
            format!("{name} {version}")
        } else {
            format!("{name} {version} ({})", details.join(", "))
        }
    }
}

#[async_trait::async_trait]
impl TargetProbe for HttpTargetProbe {
    async fn engine(&self, engine: &Engine) -> Result<String, String> {
        let address = engine.address.as_str();
        // An engine over SSH is reached through its tunnel, kept open while it is asked.
        let mut tunnel = None;
        let (client, url) = if let Some(path) = address.strip_prefix("unix://") {
            let client = builder()
                .unix_socket(std::path::PathBuf::from(path))
                .build()
                .map_err(|e| format!("the socket {path}: {e}"))?;
            (client, "http://engine/version".to_owned())
        } else if let Some(rest) = address.strip_prefix("tcp://") {
            // Over the network only through TLS, checking the engine's certificate against the
            // CA given and presenting gmac's.
            let tls = engine.tls.as_ref().ok_or_else(|| {
                format!("{address} is over the network: it is reached only over TLS")
            })?;
            let url = format!("https://{}/version", rest.trim_end_matches('/'));
            self.egress
                .check_url(&url)
                .await
                .map_err(|denied| format!("gmac may not connect there: {denied}"))?;
            let config = crate::containers::tls_config(tls).map_err(|e| e.to_string())?;
            let client = builder()
                .dns_resolver(Arc::new(EgressResolver(self.egress.clone())))
                .no_proxy()
                .tls_backend_preconfigured(config)
                .build()
                .map_err(|e| format!("the engine at {address}: {e}"))?;
            (client, url)
        } else if let Some(ssh) = gmac_types::SshAddress::parse(address) {
            let allowed = self
                .egress
                .resolve(&ssh.host)
                .await
                .map_err(|denied| format!("gmac may not connect there: {denied}"))?;
            let reached = crate::containers::DockerEngine::open(engine, allowed.first().copied())
                .await
                .map_err(|e| format!("{e:#}"))?;
            let socket = reached
                .tunnel()
                .map(|t| t.socket().to_path_buf())
                .ok_or_else(|| format!("{address} was not reached over SSH"))?;
            let client = builder()
                .unix_socket(socket)
                .build()
                .map_err(|e| format!("the engine at {address}: {e}"))?;
            tunnel = Some(reached);
            (client, "http://engine/version".to_owned())
        } else {
            return Err(format!("{address} is neither unix://, tcp:// nor ssh://"));
        };
        let response = client.get(&url).send().await.map_err(|e| {
            format!(
                "the engine at {address} could not be reached: {}",
                crate::error_chain(&e)
            )
        })?;
        if !response.status().is_success() {
            return Err(format!(
                "the engine at {address} answered HTTP {}",
                response.status().as_u16()
            ));
        }
        let body = read_capped(response, &format!("the engine at {address}")).await?;
        drop(tunnel);
        let version: EngineVersion = serde_json::from_slice(&body)
            .map_err(|e| format!("{address} did not answer as a Docker Engine API does ({e})"))?;
        Ok(version.describe())
    }

    async fn proxy(&self, url: &str) -> Result<String, String> {
        let config = format!("{}/config/", url.trim_end_matches('/'));
        self.egress
            .check_url(&config)
            .await
            .map_err(|denied| format!("gmac may not connect there: {denied}"))?;
        let response = self.http.get(&config).send().await.map_err(|e| {
            format!(
                "the proxy's admin API at {url} could not be reached: {}",
                crate::error_chain(&e)
            )
        })?;
        if !response.status().is_success() {
            return Err(format!(
                "the proxy's admin API at {url} answered HTTP {}",
                response.status().as_u16()
            ));
        }
        // Caddy answers its whole configuration as JSON (`null` while it has none).
        let body = read_capped(response, &format!("the proxy's admin API at {url}")).await?;
        serde_json::from_slice::<serde_json::Value>(&body)
            .map_err(|_| format!("{url} did not answer as Caddy's admin API does"))?;
        Ok(format!("Caddy's admin API answers at {url}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_describes_itself_by_name_version_api_and_platform() {
        let podman: EngineVersion = serde_json::from_str(
            r#"{"Platform":{"Name":"linux/amd64/debian-12"},"Components":[{"Name":"Podman Engine","Version":"4.3.1"}],"Version":"4.3.1","ApiVersion":"1.41","MinAPIVersion":"1.24","Os":"linux","Arch":"amd64"}"#,
        )
        .unwrap();
        assert_eq!(
            podman.describe(),
            "Podman Engine 4.3.1 (API 1.41, linux/amd64)"
        );
        let bare: EngineVersion = serde_json::from_str(r#"{"Version":"27.0.1"}"#).unwrap();
        assert_eq!(bare.describe(), "Docker Engine 27.0.1");
        // Another host's text reaches a terminal and a page: no escapes, and short.
        let odd: EngineVersion = serde_json::from_str(&format!(
            r#"{{"Version":"1\u001b[31m{}"}}"#,
            "9".repeat(500)
        ))
        .unwrap();
        let said = odd.describe();
        assert!(!said.contains('\u{1b}') && said.len() < 100, "{said}");
    }
}
