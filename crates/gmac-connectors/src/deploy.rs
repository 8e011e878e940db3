//! Releases on container hosts (issue 12, point 2): images pulled and containers started,
//! inspected and retired through the Docker Engine API (`bollard`, Docker or Podman) on gmac's
//! own host or over the network (TLS with a client certificate, or SSH), health checked (on
//! the engine's network, through the SSH session, or on the port an engine over TLS
//! publishes), and routed by Caddy through its JSON admin API (the server `gmac`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, HostConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder, StopContainerOptionsBuilder,
};
use futures_util::StreamExt;
use gmac_core::egress::EgressPolicy;
use gmac_core::ports::{
    ContainerState, Deployer, Engine, ImageBuildError, OutputLine, ProxyRoute, ServiceContainer,
    StartedContainer,
};

use crate::containers::{DockerEngine, read_stream, refused, unavailable};
use crate::git::EgressResolver;

/// The Caddy server gmac's routes live in.
const SERVER: &str = "gmac";

/// The deployer: engines connected per call (an address names one), an HTTP client for the
/// proxies' admin APIs (bound by the egress policy) and one for health checks on loopback.
#[derive(Debug)]
pub struct EngineDeployer {
    admin: reqwest::Client,
    health: reqwest::Client,
    egress: Arc<EgressPolicy>,
}

impl EngineDeployer {
    /// A deployer whose calls to proxies pass `egress`.
    pub fn new(egress: Arc<EgressPolicy>) -> anyhow::Result<Self> {
        let admin = reqwest::Client::builder()
            .user_agent(concat!("gmac/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(EgressResolver(egress.clone())))
            .build()?;
        let health = reqwest::Client::builder()
            .user_agent(concat!("gmac-health/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()?;
        Ok(Self {
            admin,
            health,
            egress,
        })
    }

    /// The engine: a unix socket, or one over the network through TLS, connected to at an
    /// address its name resolves to that the egress policy lets gmac reach, checked at every
    /// call (a name that moves to an internal address after the target was saved reaches
    /// nothing).
    async fn reach(&self, engine: &Engine) -> Result<DockerEngine, ImageBuildError> {
        let host = match engine.address.strip_prefix("tcp://") {
            Some(authority) => Some(
                authority
                    .rsplit_once(':')
                    .map_or(authority, |(host, _)| host)
                    .to_owned(),
            ),
            None => gmac_types::SshAddress::parse(&engine.address).map(|a| a.host),
        };
        let ip = match host {
            Some(host) => {
                let allowed = self.egress.resolve(&host).await.map_err(|denied| {
                    ImageBuildError::Failed(format!("gmac may not connect there: {denied}"))
                })?;
                allowed.first().copied()
            }
            None => None,
        };
        DockerEngine::open(engine, ip)
            .await
            .map_err(|e| ImageBuildError::Failed(format!("{e:#}")))
    }

    /// `url` if the egress policy lets gmac reach it.
    async fn allowed(&self, url: String) -> Result<String, String> {
        self.egress
            .check_url(&url)
            .await
            .map_err(|denied| format!("gmac may not connect there: {denied}"))?;
        Ok(url)
    }

    /// Pulls `image` from its registry.
    async fn pull(
        &self,
        engine: &Engine,
        image: &str,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<(), ImageBuildError> {
        let engine = self.reach(engine).await?;
        let (repo, tag) = split_tag(image);
        log(format!("pulling {image}"));
        let response = engine
            .http
            .post(format!("{}/images/create", engine.origin))
            .query(&[
                ("fromImage", repo),
                ("tag", tag),
                (
                    "tlsVerify",
                    if plain_http(image) { "false" } else { "true" },
                ),
            ])
            .header("X-Registry-Auth", "e30=")
            .send()
            .await
            .map_err(|e| ImageBuildError::Unavailable(format!("the container host: {e}")))?;
        if !response.status().is_success() {
            return Err(refused(response, "the pull").await);
        }
        read_stream(response, |mut line| {
            if let Some(error) = line.error() {
                return Err(ImageBuildError::Failed(format!("the pull: {error}")));
            }
            if let Some(status) = line.status.as_deref() {
                log(status.to_owned());
            }
            Ok(())
        })
        .await
    }

    /// A call to the proxy's admin API; answers the status and body.
    async fn admin_call(
        &self,
        method: reqwest::Method,
        url: String,
        body: Option<&serde_json::Value>,
    ) -> Result<(u16, String), String> {
        let url = self.allowed(url).await?;
        let mut request = self.admin.request(method, &url);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| {
            format!(
                "the proxy's admin API could not be reached: {}",
                crate::error_chain(&e)
            )
        })?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| {
            format!(
                "the proxy's admin API stopped answering: {}",
                crate::error_chain(&e)
            )
        })?;
        Ok((status, text))
    }
}

/// An answer of the proxy's, shortened for a message.
fn said(text: &str) -> String {
    text.chars().take(300).collect()
}

/// The route's configuration in Caddy's JSON.
fn route_json(route: &ProxyRoute) -> serde_json::Value {
    serde_json::json!({
        "@id": route.id,
        "match": [{"host": route.hosts}],
        "handle": [{
            "handler": "reverse_proxy",
            "upstreams": [{"dial": route.upstream}],
        }],
        "terminal": true,
    })
}

/// What to add to Caddy's configuration `config` so that its server `gmac` holds `route`:
/// the path of the deepest part that exists and the object to set under it.
fn missing_part(
    config: &serde_json::Value,
    route: &serde_json::Value,
) -> (String, serde_json::Value) {
    let mut wanted = serde_json::json!({"listen": [":80", ":443"], "routes": [route]});
    // From the server up: the first part that exists takes the rest beneath it.
    for (path, key) in [
        ("/apps/http/servers", SERVER),
        ("/apps/http", "servers"),
        ("/apps", "http"),
    ] {
        if config.pointer(path).is_some_and(|v| !v.is_null()) {
            return (format!("{path}/{key}"), wanted);
        }
        wanted = serde_json::json!({ key: wanted });
    }
    if config.is_null() {
        // Caddy without any configuration at all: the root is set.
        ("/".to_owned(), serde_json::json!({ "apps": wanted }))
    } else {
        ("/apps".to_owned(), wanted)
    }
}

#[async_trait::async_trait]
impl Deployer for EngineDeployer {
    async fn ensure_image(
        &self,
        engine: &Engine,
        image: &str,
        pull: bool,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<String, ImageBuildError> {
        let present = self.image_id(engine, image).await?;
        if let Some(id) = &present
            && !pull
        {
            log(format!("{image} is on the host as {id}"));
            return Ok(id.clone());
        }
        match self.pull(engine, image, log).await {
            Ok(()) => {}
            // The registry is out of reach: the copy the host has is used, and said so.
            Err(e) if present.is_some() => {
                log(format!("{e}; the host's copy of {image} is used"));
            }
            Err(e) => return Err(e),
        }
        let id = self.image_id(engine, image).await?.ok_or_else(|| {
            ImageBuildError::Failed(format!("{image} was pulled but the host does not have it"))
        })?;
        log(format!("{image} is on the host as {id}"));
        Ok(id)
    }

    async fn image_id(
        &self,
        engine: &Engine,
        image: &str,
    ) -> Result<Option<String>, ImageBuildError> {
        let docker = self.reach(engine).await?.engine()?;
        match docker.inspect_image(image).await {
            Ok(inspected) => Ok(inspected.id),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(unavailable("inspecting the image", &e)),
        }
    }

    async fn start(
        &self,
        engine: &Engine,
        container: &ServiceContainer,
    ) -> Result<StartedContainer, ImageBuildError> {
        let reached = self.reach(engine).await?;
        let docker = reached.engine()?;
        let port = format!("{}/tcp", container.container_port);
        let limits = container.resources;
        let config = ContainerCreateBody {
            image: Some(container.image.clone()),
            env: Some(
                container
                    .env
                    .iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect(),
            ),
            labels: Some(container.labels.clone().into_iter().collect()),
            exposed_ports: Some(vec![port.clone()]),
            host_config: Some(HostConfig {
                port_bindings: published_on(&reached, &port)?,
                restart_policy: Some(RestartPolicy {
                    name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                    maximum_retry_count: None,
                }),
                memory: limits.map(|r| mib(r.memory_limit_mib)),
                memory_reservation: limits.map(|r| mib(r.memory_request_mib)),
                nano_cpus: limits.map(|r| i64::from(r.cpu_limit_millis) * 1_000_000),
                // The engine's relative weight (1024 a core) stands for the CPU request.
                cpu_shares: limits
                    .map(|r| (i64::from(r.cpu_request_millis) * 1024 / 1000).clamp(2, 262_144)),
                ..HostConfig::default()
            }),
            ..ContainerCreateBody::default()
        };
        let options = CreateContainerOptionsBuilder::default()
            .name(&container.name)
            .build();
        let created = docker
            .create_container(Some(options), config)
            .await
            .map_err(|e| match e {
                bollard::errors::Error::DockerResponseServerError {
                    status_code: 400..=499,
                    message,
                } => ImageBuildError::Failed(format!("the container: {message}")),
                e => unavailable("creating the container", &e),
            })?;
        let started = started_address(&reached, &created.id).await;
        if started.is_err() {
            // Nothing is left behind: the caller sees why, the host has no stray container.
            let options = RemoveContainerOptionsBuilder::default().force(true).build();
            let _ = docker.remove_container(&created.id, Some(options)).await;
        }
        Ok(StartedContainer {
            upstream: format!("{}:{}", started?, container.container_port),
            id: created.id,
        })
    }

    async fn remove_image(&self, engine: &Engine, id: &str) -> Result<bool, ImageBuildError> {
        let docker = self.reach(engine).await?.engine()?;
        let tags = match docker.inspect_image(id).await {
            Ok(inspected) => inspected.repo_tags.unwrap_or_default(),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(true),
            Err(e) => return Err(unavailable("inspecting the image", &e)),
        };
        // An image a container (running or not) still uses keeps every name it has.
        if image_in_use(&self.reach(engine).await?, id).await? {
            return Ok(false);
        }
        // Each name first (an image of several names is not removed by its id alone), then
        // the image; never by force.
        let options = RemoveImageOptionsBuilder::default()
            .force(false)
            .noprune(false)
            .build();
        for name in tags.iter().map(String::as_str).chain(std::iter::once(id)) {
            match docker.remove_image(name, Some(options.clone()), None).await {
                Ok(_)
                | Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => {}
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 409, ..
                }) => return Ok(false),
                Err(e) => return Err(unavailable("removing the image", &e)),
            }
        }
        Ok(true)
    }

    async fn state(&self, engine: &Engine, id: &str) -> Result<ContainerState, ImageBuildError> {
        let reached = self.reach(engine).await?;
        let inspected = inspect(&reached, id).await?;
        let (running, exit_code) = run_state(&inspected);
        let restarts = inspected
            .get("RestartCount")
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0);
        let time = |pointer: &str| {
            inspected
                .pointer(pointer)
                .and_then(serde_json::Value::as_str)
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&chrono::Utc))
                // An engine says "never" with the year 1.
                .filter(|t| chrono::Datelike::year(t) > 1970)
        };
        let finished_at = time("/State/FinishedAt");
        Ok(ContainerState {
            running,
            exit_code: (!running || restarts > 0).then_some(exit_code),
            restarts,
            last_lines: last_lines(&reached.engine()?, id).await,
            started_at: time("/State/StartedAt"),
            finished_at,
            oom_killed: inspected
                .pointer("/State/OOMKilled")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
            error: inspected
                .pointer("/State/Error")
                .and_then(serde_json::Value::as_str)
                .filter(|e| !e.is_empty())
                .map(str::to_owned),
        })
    }

    async fn logs(
        &self,
        engine: &Engine,
        id: &str,
        tail: u32,
        follow: bool,
        sink: tokio::sync::mpsc::Sender<OutputLine>,
    ) -> Result<(), ImageBuildError> {
        let docker = self.reach(engine).await?.engine()?;
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .timestamps(true)
            .follow(follow)
            .tail(&tail.to_string())
            .build();
        let mut logs = docker.logs(id, Some(options));
        let (mut out, mut err) = (String::new(), String::new());
        loop {
            // A client that leaves ends the reading at once, even while the container is quiet.
            let chunk = tokio::select! {
                chunk = logs.next() => chunk,
                () = sink.closed() => return Ok(()),
            };
            let Some(chunk) = chunk else { break };
            let (stderr, bytes) = match chunk {
                Ok(bollard::container::LogOutput::StdErr { message }) => (true, message),
                Ok(output) => (false, output.into_bytes()),
                Err(e) => return Err(unavailable("reading the container's output", &e)),
            };
            let partial = if stderr { &mut err } else { &mut out };
            partial.push_str(&String::from_utf8_lossy(&bytes));
            while let Some(at) = partial.find('\n') {
                let line: String = partial.drain(..=at).collect();
                if sink.send(output_line(stderr, &line)).await.is_err() {
                    return Ok(());
                }
            }
        }
        for (stderr, rest) in [(false, out), (true, err)] {
            if !rest.trim().is_empty() && sink.send(output_line(stderr, &rest)).await.is_err() {
                break;
            }
        }
        Ok(())
    }

    async fn remove(&self, engine: &Engine, id: &str) -> Result<(), ImageBuildError> {
        let docker = self.reach(engine).await?.engine()?;
        let gone = |e: &bollard::errors::Error| {
            matches!(
                e,
                bollard::errors::Error::DockerResponseServerError {
                    status_code: 404 | 304,
                    ..
                }
            )
        };
        let stop = StopContainerOptionsBuilder::default().t(10).build();
        if let Err(e) = docker.stop_container(id, Some(stop)).await
            && !gone(&e)
        {
            return Err(unavailable("stopping the container", &e));
        }
        let options = RemoveContainerOptionsBuilder::default().force(true).build();
        match docker.remove_container(id, Some(options)).await {
            Err(e) if !gone(&e) => Err(unavailable("removing the container", &e)),
            _ => Ok(()),
        }
    }

    async fn release_containers(
        &self,
        engine: &Engine,
        release_id: &str,
    ) -> Result<Vec<String>, ImageBuildError> {
        let docker = self.reach(engine).await?.engine()?;
        let filters = HashMap::from([(
            "label".to_owned(),
            vec![format!("gmac.io/release={release_id}")],
        )]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let listed = docker
            .list_containers(Some(options))
            .await
            .map_err(|e| unavailable("listing the release's containers", &e))?;
        Ok(listed.into_iter().filter_map(|c| c.id).collect())
    }

    async fn check_health(
        &self,
        engine: &Engine,
        id: &str,
        upstream: &str,
        path: Option<&str>,
    ) -> Result<(), String> {
        let reached = self.reach(engine).await.map_err(|e| e.to_string())?;
        if let Some(tunnel) = reached.tunnel() {
            return check_through(tunnel, upstream, path).await;
        }
        let published;
        let upstream = if reached.is_remote() {
            published = published_port(&reached, id)
                .await
                .map_err(|e| e.to_string())?;
            published.as_str()
        } else {
            upstream
        };
        let Some(path) = path else {
            return match tokio::time::timeout(
                Duration::from_secs(2),
                tokio::net::TcpStream::connect(upstream),
            )
            .await
            {
                Ok(connected) => connected
                    .map(drop)
                    .map_err(|e| format!("{upstream} does not accept connections: {e}")),
                Err(_) => Err(format!("{upstream} did not accept a connection within 2 s")),
            };
        };
        let url = format!("http://{upstream}{path}");
        let response = self
            .health
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("GET {path}: {}", crate::error_chain(&e)))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("GET {path} answered HTTP {}", status.as_u16()))
        }
    }

    async fn route(&self, admin_url: &str, route: &ProxyRoute) -> Result<(), String> {
        let admin = admin_url.trim_end_matches('/');
        let body = route_json(route);
        // A route already there is replaced in place: one configuration change.
        let (status, text) = self
            .admin_call(
                reqwest::Method::PATCH,
                format!("{admin}/id/{}", route.id),
                Some(&body),
            )
            .await?;
        if (200..300).contains(&status) {
            return Ok(());
        }
        if status != 404 {
            return Err(format!(
                "the proxy refused the route: HTTP {status}: {}",
                said(&text)
            ));
        }
        // The server's own part of the configuration first; the whole only when it is missing.
        let server_url = format!("{admin}/config/apps/http/servers/{SERVER}");
        let (status, text) = self
            .admin_call(reqwest::Method::GET, server_url.clone(), None)
            .await?;
        let server: serde_json::Value = match status {
            200 => serde_json::from_str(&text).map_err(|_| {
                format!(
                    "the proxy answered its configuration in a form gmac does not read: {}",
                    said(&text)
                )
            })?,
            _ => serde_json::Value::Null,
        };
        let (url, body) = if server.is_object() {
            if server
                .get("routes")
                .is_some_and(serde_json::Value::is_array)
            {
                (format!("{server_url}/routes"), body)
            } else {
                (format!("{server_url}/routes"), serde_json::json!([body]))
            }
        } else {
            let (status, text) = self
                .admin_call(reqwest::Method::GET, format!("{admin}/config/"), None)
                .await?;
            if status != 200 {
                return Err(format!(
                    "the proxy's configuration could not be read: HTTP {status}: {}",
                    said(&text)
                ));
            }
            let config: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
                format!(
                    "the proxy answered its configuration in a form gmac does not read: {}",
                    said(&text)
                )
            })?;
            let (path, object) = missing_part(&config, &body);
            (format!("{admin}/config{path}"), object)
        };
        let (status, text) = self
            .admin_call(reqwest::Method::POST, url, Some(&body))
            .await?;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(format!(
                "the proxy refused the route: HTTP {status}: {}",
                said(&text)
            ))
        }
    }

    async fn route_hosts(
        &self,
        admin_url: &str,
        id: &str,
        hosts: &[String],
    ) -> Result<bool, String> {
        let admin = admin_url.trim_end_matches('/');
        let (status, text) = self
            .admin_call(
                reqwest::Method::PATCH,
                format!("{admin}/id/{id}/match/0/host"),
                Some(&serde_json::json!(hosts)),
            )
            .await?;
        match status {
            200..=299 => Ok(true),
            404 => Ok(false),
            _ => Err(format!(
                "the proxy refused the route's hosts: HTTP {status}: {}",
                said(&text)
            )),
        }
    }

    async fn unroute(&self, admin_url: &str, id: &str) -> Result<(), String> {
        let admin = admin_url.trim_end_matches('/');
        let (status, text) = self
            .admin_call(reqwest::Method::DELETE, format!("{admin}/id/{id}"), None)
            .await?;
        if (200..300).contains(&status) || status == 404 {
            Ok(())
        } else {
            Err(format!(
                "the proxy kept the route: HTTP {status}: {}",
                said(&text)
            ))
        }
    }
}

/// A container's `GET /containers/{id}/json`, read as JSON (bollard's typed answer refuses
/// Podman's state `stopped`).
/// Whether a container of the engine, running or not, was made from image `id`. Read as plain
/// JSON: Podman says `stopped`, a state bollard's list does not know.
async fn image_in_use(engine: &DockerEngine, id: &str) -> Result<bool, ImageBuildError> {
    let response = engine
        .http
        .get(format!("{}/containers/json?all=true", engine.origin))
        .send()
        .await
        .map_err(|e| ImageBuildError::Unavailable(format!("the container host: {e}")))?;
    if !response.status().is_success() {
        return Err(refused(response, "listing the containers").await);
    }
    let listed: Vec<serde_json::Value> = response
        .json()
        .await
        .map_err(|e| ImageBuildError::Unavailable(format!("listing the containers: {e}")))?;
    let bare = |s: &str| s.trim_start_matches("sha256:").to_owned();
    Ok(listed.iter().any(|c| {
        c.get("ImageID")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|image| bare(image) == bare(id))
    }))
}

async fn inspect(engine: &DockerEngine, id: &str) -> Result<serde_json::Value, ImageBuildError> {
    let response = engine
        .http
        .get(format!("{}/containers/{id}/json", engine.origin))
        .send()
        .await
        .map_err(|e| ImageBuildError::Unavailable(format!("the container host: {e}")))?;
    if !response.status().is_success() {
        return Err(refused(response, "inspecting the container").await);
    }
    response
        .json()
        .await
        .map_err(|e| ImageBuildError::Unavailable(format!("inspecting the container: {e}")))
}

/// Whether an inspected container runs, and its (last) exit code.
fn run_state(inspected: &serde_json::Value) -> (bool, i64) {
    let running = inspected
        .pointer("/State/Running")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    let exit_code = inspected
        .pointer("/State/ExitCode")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    (running, exit_code)
}

/// A line as the engine sends it with timestamps (`2026-12-06T14:02:03.123456789Z text`).
pub(crate) fn output_line(stderr: bool, raw: &str) -> OutputLine {
    let raw = raw.trim_end_matches(['\n', '\r']);
    let (at, text) = match raw.split_once(' ') {
        Some((stamp, text)) => match chrono::DateTime::parse_from_rfc3339(stamp) {
            Ok(at) => (Some(at.with_timezone(&chrono::Utc)), text),
            Err(_) => (None, raw),
        },
        None => match chrono::DateTime::parse_from_rfc3339(raw) {
            Ok(at) => (Some(at.with_timezone(&chrono::Utc)), ""),
            Err(_) => (None, raw),
        },
    };
    OutputLine {
        stderr,
        at,
        text: text.to_owned(),
    }
}

/// A container's last 20 lines of output.
async fn last_lines(docker: &bollard::Docker, id: &str) -> Vec<String> {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .tail("20")
        .build();
    let mut logs = docker.logs(id, Some(options));
    let mut text = String::new();
    while let Some(Ok(output)) = logs.next().await {
        text.push_str(&String::from_utf8_lossy(&output.into_bytes()));
    }
    text.lines().map(str::to_owned).collect()
}

/// Starts a created container and answers its IP address on the engine's network; a
/// container that stops at once is a failure with its exit code and last lines.
/// `n` MiB in bytes.
fn mib(n: u32) -> i64 {
    i64::from(n) * 1024 * 1024
}

async fn started_address(engine: &DockerEngine, id: &str) -> Result<String, ImageBuildError> {
    let docker = engine.engine()?;
    docker
        .start_container(id, None)
        .await
        .map_err(|e| unavailable("starting the container", &e))?;
    let inspected = inspect(engine, id).await?;
    let (running, code) = run_state(&inspected);
    if !running {
        let lines = last_lines(&docker, id).await.join("\n");
        return Err(ImageBuildError::Failed(format!(
            "the container exited with code {code} as soon as it started{}",
            if lines.is_empty() {
                String::new()
            } else {
                format!("; its last lines:\n{lines}")
            }
        )));
    }
    container_ip(&inspected)
}

/// The health check of `upstream` (`ip:port` on the host's network) through the SSH session:
/// a connection, or `GET path` answered with a 2xx status.
async fn check_through(
    tunnel: &crate::ssh::Tunnel,
    upstream: &str,
    path: Option<&str>,
) -> Result<(), String> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (host, port) = upstream
        .rsplit_once(':')
        .and_then(|(host, port)| {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            Some((host, port.parse::<u16>().ok()?))
        })
        .ok_or_else(|| format!("{upstream} is not host:port"))?;
    let mut stream = tokio::time::timeout(Duration::from_secs(2), tunnel.connect(host, port))
        .await
        .map_err(|_| format!("{upstream} did not accept a connection within 2 s"))?
        .map_err(|e| format!("{upstream} does not accept connections: {e}"))?;
    let Some(path) = path else {
        return Ok(());
    };
    if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{path:?} is not a path to ask for"));
    }
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {upstream}\r\nUser-Agent: gmac-health/{}\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    let status_line = tokio::time::timeout(Duration::from_secs(5), async {
        stream.write_all(request.as_bytes()).await?;
        let mut read = Vec::new();
        let mut buffer = [0u8; 256];
        while !read.windows(2).any(|w| w == b"\r\n") && read.len() < 1024 {
            let n = stream.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            read.extend_from_slice(&buffer[..n]);
        }
        Ok::<_, std::io::Error>(read)
    })
    .await
    .map_err(|_| format!("GET {path} was not answered within 5 s"))?
    .map_err(|e| format!("GET {path}: {e}"))?;
    // `HTTP/1.1 200 OK`: a version, then three digits.
    let status = std::str::from_utf8(&status_line)
        .ok()
        .and_then(|text| {
            let mut parts = text.split(' ');
            let version = parts.next()?;
            let code = parts.next()?.trim_end();
            (version.starts_with("HTTP/1.")
                && code.len() == 3
                && code.bytes().all(|b| b.is_ascii_digit()))
            .then(|| code.parse::<u16>().ok())
            .flatten()
        })
        .ok_or_else(|| format!("GET {path} was not answered over HTTP"))?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("GET {path} answered HTTP {status}"))
    }
}

/// A container's port bindings, as the engine takes them.
type PortBindings = HashMap<String, Option<Vec<PortBinding>>>;

/// Where a container's `port` (`8080/tcp`) is published: nowhere on gmac's own host (gmac and
/// the proxy reach it on the engine's network); on an engine over the network, on a free port
/// of the engine's own address, the one gmac reaches it at, for gmac's health checks (the
/// proxy beside the engine still reaches the container on its network).
fn published_on(
    engine: &DockerEngine,
    port: &str,
) -> Result<Option<PortBindings>, ImageBuildError> {
    let Some(host) = engine.remote_host() else {
        return Ok(None);
    };
    // The address the egress policy let gmac connect to (`EngineDeployer::reach` resolves
    // the name first): never a name looked up again here.
    let ip: std::net::IpAddr = host.parse().map_err(|_| {
        ImageBuildError::Failed(format!("{host} is not the engine's resolved address"))
    })?;
    Ok(Some(HashMap::from([(
        port.to_owned(),
        Some(vec![PortBinding {
            host_ip: Some(ip.to_string()),
            host_port: Some(String::new()),
        }]),
    )])))
}

/// `host:port` where a container on an engine over the network publishes its port, from its
/// inspection: the engine's address and the port it chose.
async fn published_port(engine: &DockerEngine, id: &str) -> Result<String, ImageBuildError> {
    let inspected = inspect(engine, id).await?;
    let host = engine.remote_host().unwrap_or("127.0.0.1");
    inspected
        .pointer("/NetworkSettings/Ports")
        .and_then(serde_json::Value::as_object)
        .and_then(|ports| {
            ports.values().find_map(|bindings| {
                bindings.as_array()?.iter().find_map(|b| {
                    b.get("HostPort")
                        .and_then(serde_json::Value::as_str)
                        .filter(|p| !p.is_empty() && *p != "0")
                        .map(str::to_owned)
                })
            })
        })
        .map(|port| {
            if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            }
        })
        .ok_or_else(|| {
            ImageBuildError::Unavailable(
                "the engine did not say where the container's port is published".to_owned(),
            )
        })
}

/// A container's address on the engine's network, from its inspection.
fn container_ip(inspected: &serde_json::Value) -> Result<String, ImageBuildError> {
    let address = |v: &serde_json::Value| {
        v.get("IPAddress")
            .and_then(serde_json::Value::as_str)
            .filter(|ip| !ip.is_empty())
            .map(str::to_owned)
    };
    inspected
        .get("NetworkSettings")
        .and_then(|n| {
            address(n).or_else(|| {
                n.get("Networks")
                    .and_then(serde_json::Value::as_object)
                    .and_then(|networks| networks.values().find_map(address))
            })
        })
        .ok_or_else(|| {
            ImageBuildError::Unavailable(
                "the engine did not say the container's address".to_owned(),
            )
        })
}

/// Whether an image's registry is on loopback, where a registry speaks plain HTTP; any other
/// is pulled over verified TLS.
fn plain_http(image: &str) -> bool {
    let registry = image.split('/').next().unwrap_or_default();
    image.contains('/')
        && ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .any(|host| registry == *host || registry.starts_with(&format!("{host}:")))
}

/// `repo` and `tag` of an image reference (a digest stays in the repository part).
fn split_tag(image: &str) -> (&str, &str) {
    if image.contains('@') {
        return (image, "");
    }
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (image, "latest"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_server_is_made_under_the_deepest_part_caddy_has() {
        let route = serde_json::json!({"@id": "r"});
        let (path, object) = missing_part(&serde_json::json!({"admin": {}}), &route);
        assert_eq!(path, "/apps");
        assert_eq!(
            object.pointer("/http/servers/gmac/routes/0/@id"),
            Some(&serde_json::json!("r"))
        );
        let (path, object) = missing_part(
            &serde_json::json!({"apps": {"http": {"servers": {"other": {}}}}}),
            &route,
        );
        assert_eq!(path, "/apps/http/servers/gmac");
        assert_eq!(object["listen"], serde_json::json!([":80", ":443"]));
        let (path, _) = missing_part(&serde_json::json!({"apps": {"tls": {}}}), &route);
        assert_eq!(path, "/apps/http");
    }

    #[test]
    fn tags_and_digests_split_off_the_repository() {
        assert_eq!(
            split_tag("127.0.0.1:5000/web:1.4"),
            ("127.0.0.1:5000/web", "1.4")
        );
        assert_eq!(
            split_tag("127.0.0.1:5000/web"),
            ("127.0.0.1:5000/web", "latest")
        );
        assert_eq!(split_tag("web@sha256:ab"), ("web@sha256:ab", ""));
    }
}
