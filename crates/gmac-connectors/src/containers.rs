//! Container hosts through the Docker Engine API with `bollard`: Docker or Podman (`podman
//! system service`), at a `DOCKER_HOST`-style address: `unix:///run/podman/podman.sock` on
//! gmac's own host, `tcp://host:2376` over the network, reached over TLS with a client
//! certificate (Docker's `--tlsverify`), never in the clear, or `ssh://user@host/socket`
//! through SSH ([`crate::ssh`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder};
use futures_util::StreamExt;
use gmac_core::ports::{
    ContainerHost, ContainerRun, Engine, HookOutcome, HookRun, ImageBuild, ImageBuildError,
};
use tokio_rustls::rustls;

/// How an engine is reached.
#[derive(Clone, Debug)]
enum Reach {
    /// A unix socket on gmac's host: the engine may start after gmac, so it is connected to
    /// per call.
    Socket(std::path::PathBuf),
    /// `host:port` over TLS with a client certificate, connected to at `connect` (the
    /// address its name resolved to, once checked; `authority` otherwise).
    Tls {
        authority: String,
        connect: String,
        config: Arc<rustls::ClientConfig>,
    },
    /// Over SSH: the tunnel's local socket leads to the engine's on the host.
    Ssh(Arc<crate::ssh::Tunnel>),
}

/// A Docker Engine API.
#[derive(Clone, Debug)]
pub struct DockerEngine {
    reach: Reach,
    /// The same engine through reqwest, for what bollard's typed options cannot say: build
    /// secrets (Podman's `secrets`) and a push to a registry on plain HTTP (`tlsVerify`).
    pub(crate) http: reqwest::Client,
    /// The origin (and API version) requests through `http` are written against.
    pub(crate) origin: String,
}

/// The API version gmac speaks to engines.
const API_VERSION: &str = "v1.41";

/// Where a build secret's file goes in the context: the top, which Podman moves it out of
/// before the build starts (so no `COPY` can reach it).
const SECRET_FILE_PREFIX: &str = ".gmac-build-secret-";

/// A TLS client configuration from PEM credentials: the engine's certificate is checked
/// against the CA given (and only it), and gmac presents its client certificate.
pub(crate) fn tls_config(tls: &gmac_types::EngineTls) -> anyhow::Result<rustls::ClientConfig> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(tls.ca_certificate.as_bytes()) {
        roots
            .add(cert.map_err(|e| anyhow::anyhow!("the CA certificate is not PEM: {e}"))?)
            .map_err(|e| anyhow::anyhow!("the CA certificate is not taken: {e}"))?;
    }
    let chain = CertificateDer::pem_slice_iter(tls.client_certificate.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("the client certificate is not PEM: {e}"))?;
    let key = PrivateKeyDer::from_pem_slice(tls.client_key.expose().as_bytes())
        .map_err(|_| anyhow::anyhow!("the client key is not a PEM private key"))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| anyhow::anyhow!("the client certificate and key do not go together: {e}"))
}

/// `host` and `port` of `host:port` (`[v6]:port` too).
fn split_authority(authority: &str) -> anyhow::Result<(&str, u16)> {
    let (host, port) = authority
        .rsplit_once(':')
        .ok_or_else(|| anyhow::anyhow!("{authority} has no port"))?;
    let port = port
        .parse()
        .map_err(|_| anyhow::anyhow!("{authority}: {port} is not a port"))?;
    Ok((host.trim_start_matches('[').trim_end_matches(']'), port))
}

impl DockerEngine {
    /// Connects to `host`: `unix:///path/to.sock` (or a bare path), without credentials.
    pub fn connect(host: &str) -> anyhow::Result<Self> {
        Self::reach(&Engine::local(host))
    }

    /// Connects to `engine`: a unix socket, or `tcp://host:port` over TLS with its client
    /// certificate (a `tcp://` engine without credentials is refused).
    pub fn reach(engine: &Engine) -> anyhow::Result<Self> {
        Self::reach_at(engine, None)
    }

    /// [`DockerEngine::reach`], an engine over the network connected to at `ip` (its name
    /// resolved and checked against the egress policy by the caller), its certificate still
    /// checked against its name.
    pub fn reach_at(engine: &Engine, ip: Option<std::net::IpAddr>) -> anyhow::Result<Self> {
        let host = engine.address.as_str();
        if let Some(authority) = host.strip_prefix("tcp://") {
            let Some(tls) = &engine.tls else {
                anyhow::bail!(
                    "the container host {host} is over the network: it is reached only over TLS with a client certificate"
                );
            };
            let authority = authority.trim_end_matches('/').to_owned();
            let (name, port) = split_authority(&authority)?;
            let config = Arc::new(tls_config(tls)?);
            let mut http = reqwest::Client::builder()
                .tls_backend_preconfigured((*config).clone())
                .connect_timeout(std::time::Duration::from_secs(5))
                .no_proxy();
            let connect = match ip {
                Some(ip) => {
                    http = http.resolve(name, std::net::SocketAddr::new(ip, port));
                    std::net::SocketAddr::new(ip, port).to_string()
                }
                None => authority.clone(),
            };
            return Ok(Self {
                origin: format!("https://{authority}/{API_VERSION}"),
                reach: Reach::Tls {
                    authority,
                    connect,
                    config,
                },
                http: http.build()?,
            });
        }
        let path = host.strip_prefix("unix://").unwrap_or(host);
        if path.is_empty() || host.contains("://") && !host.starts_with("unix://") {
            anyhow::bail!("the container host {host:?} is neither a unix:// socket nor tcp://");
        }
        let http = reqwest::Client::builder()
            .unix_socket(std::path::PathBuf::from(path))
            .build()?;
        Ok(Self {
            reach: Reach::Socket(std::path::PathBuf::from(path)),
            http,
            origin: format!("http://localhost/{API_VERSION}"),
        })
    }

    /// [`DockerEngine::reach_at`] for every kind of address: one over SSH is signed in to
    /// first, at `ip` (its name resolved and checked against the egress policy by the
    /// caller; without it, not at all).
    ///
    /// # Errors
    /// When the address is not one gmac reaches, or the SSH host refuses.
    pub(crate) async fn open(
        engine: &Engine,
        ip: Option<std::net::IpAddr>,
    ) -> anyhow::Result<Self> {
        if !engine.address.starts_with("ssh://") {
            return Self::reach_at(engine, ip);
        }
        let address = gmac_types::SshAddress::parse(&engine.address).ok_or_else(|| {
            anyhow::anyhow!("{} is not ssh://user@host[:port][/socket]", engine.address)
        })?;
        let Some(ssh) = &engine.ssh else {
            anyhow::bail!(
                "the container host {} is over SSH: it is reached only with gmac's key and the host's",
                engine.address
            );
        };
        // Only at an address the egress policy let through: never a name looked up here.
        let Some(ip) = ip else {
            anyhow::bail!("{} has no address gmac may connect to", address.host);
        };
        let at = std::net::SocketAddr::new(ip, address.port);
        let tunnel = crate::ssh::Tunnel::reach(&address, ssh, at).await?;
        let http = reqwest::Client::builder()
            .unix_socket(tunnel.socket().to_path_buf())
            .build()?;
        Ok(Self {
            reach: Reach::Ssh(tunnel),
            http,
            origin: format!("http://localhost/{API_VERSION}"),
        })
    }

    /// The SSH tunnel an engine over SSH is reached through.
    pub(crate) fn tunnel(&self) -> Option<&crate::ssh::Tunnel> {
        match &self.reach {
            Reach::Ssh(tunnel) => Some(tunnel),
            _ => None,
        }
    }

    /// Whether the engine is over the network through TLS (gmac is not on its containers'
    /// network, and reaches their ports where the engine publishes them).
    pub(crate) fn is_remote(&self) -> bool {
        matches!(self.reach, Reach::Tls { .. })
    }

    /// The engine's host over the network as gmac connects to it: the address its name
    /// resolved to when checked, its name otherwise (none for a socket).
    pub(crate) fn remote_host(&self) -> Option<&str> {
        match &self.reach {
            Reach::Tls { connect, .. } => Some(
                connect
                    .rsplit_once(':')
                    .map_or(connect.as_str(), |(host, _)| host)
                    .trim_start_matches('[')
                    .trim_end_matches(']'),
            ),
            Reach::Socket(_) | Reach::Ssh(_) => None,
        }
    }

    /// The engine, through bollard.
    pub(crate) fn engine(&self) -> Result<Docker, ImageBuildError> {
        match &self.reach {
            Reach::Socket(socket) => Docker::connect_with_socket(
                &socket.to_string_lossy(),
                300,
                bollard::API_DEFAULT_VERSION,
            )
            .map_err(|e| {
                ImageBuildError::Unavailable(format!(
                    "the container host at {}: {e}",
                    socket.display()
                ))
            }),
            Reach::Tls {
                authority,
                connect,
                config,
            } => {
                let (name, _) = split_authority(authority)
                    .map_err(|e| ImageBuildError::Failed(e.to_string()))?;
                let server_name = rustls_pki_types::ServerName::try_from(name.to_owned())
                    .map_err(|e| ImageBuildError::Failed(format!("{name}: {e}")))?;
                let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
                http.enforce_http(false);
                http.set_connect_timeout(Some(std::time::Duration::from_secs(5)));
                // Connected to the checked address; the certificate checked against the name.
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config((**config).clone())
                    .https_only()
                    .with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(
                        server_name,
                    ))
                    .enable_http1()
                    .wrap_connector(http);
                let client = hyper_util::client::legacy::Client::builder(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .build(https);
                Docker::connect_with_custom_transport(
                    move |request: bollard::BollardRequest| {
                        let client = client.clone();
                        async move {
                            client
                                .request(request)
                                .await
                                .map_err(bollard::errors::Error::from)
                        }
                    },
                    Some(format!("https://{connect}")),
                    300,
                    bollard::API_DEFAULT_VERSION,
                )
                .map_err(|e| {
                    ImageBuildError::Unavailable(format!("the container host at {authority}: {e}"))
                })
            }
            Reach::Ssh(tunnel) => Docker::connect_with_socket(
                &tunnel.socket().to_string_lossy(),
                300,
                bollard::API_DEFAULT_VERSION,
            )
            .map_err(|e| ImageBuildError::Unavailable(format!("the container host over SSH: {e}"))),
        }
    }

    /// Whether the host is Podman, whose build API takes build secrets.
    async fn is_podman(&self) -> bool {
        let Ok(docker) = self.engine() else {
            return false;
        };
        docker.version().await.is_ok_and(|v| {
            v.components
                .unwrap_or_default()
                .iter()
                .any(|c| c.name.to_ascii_lowercase().contains("podman"))
        })
    }
}

/// Copies the entries of `archive` into a new archive, each path under `prefix` (`""` for
/// none) with `strip` taken off its front first (entries outside `strip` are left out), then
/// `extra` files.
fn repack(
    archive: &[u8],
    strip: &str,
    prefix: &str,
    extra: &[(String, Vec<u8>)],
) -> std::io::Result<Vec<u8>> {
    let mut out = tar::Builder::new(Vec::new());
    if !prefix.is_empty() {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o777);
        header.set_size(0);
        header.set_cksum();
        out.append_data(&mut header, prefix, std::io::empty())?;
    }
    let mut input = tar::Archive::new(archive);
    for entry in input.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.to_string_lossy().into_owned();
        let Some(rest) = path.strip_prefix(strip) else {
            continue;
        };
        let rest = rest.trim_start_matches('/');
        if rest.is_empty() {
            continue;
        }
        let mut header = entry.header().clone();
        let name = format!("{prefix}{rest}");
        if header.entry_type().is_symlink() || header.entry_type().is_hard_link() {
            let target = entry
                .link_name()?
                .map(std::borrow::Cow::into_owned)
                .unwrap_or_default();
            out.append_link(&mut header, &name, target)?;
        } else {
            out.append_data(&mut header, &name, &mut entry)?;
        }
    }
    for (path, content) in extra {
        let mut header = tar::Header::new_gnu();
        header.set_size(u64::try_from(content.len()).unwrap_or(u64::MAX));
        header.set_mode(0o600);
        header.set_mtime(0);
        header.set_cksum();
        out.append_data(&mut header, path, content.as_slice())?;
    }
    out.into_inner()
}

/// The query of a build request: the Dockerfile, tags, arguments, labels, cache, the `RUN`
/// steps' network and the secrets' files in the context.
fn build_query(
    build: &ImageBuild,
    podman: bool,
    secret_specs: &[String],
) -> Vec<(&'static str, String)> {
    let json = |v: &BTreeMap<String, String>| serde_json::to_string(v).unwrap_or_default();
    let mut query: Vec<(&str, String)> = vec![
        ("dockerfile", build.dockerfile.clone()),
        ("buildargs", json(&build.build_args)),
        ("labels", json(&build.labels)),
        ("nocache", build.no_cache.to_string()),
        ("rm", "true".to_owned()),
        ("forcerm", "true".to_owned()),
        ("pull", "false".to_owned()),
    ];
    for tag in &build.tags {
        query.push(("t", tag.clone()));
    }
    // Podman's compatible API runs RUN steps in the host's network unless told otherwise:
    // a namespace of their own, with no network or the bridge.
    match (podman, build.network) {
        (true, network) => {
            query.push((
                "nsoptions",
                r#"[{"Name":"network","Host":false,"Path":""}]"#.to_owned(),
            ));
            let policy = if network {
                "NetworkEnabled"
            } else {
                "NetworkDisabled"
            };
            query.push(("networkmode", policy.to_owned()));
        }
        (false, false) => query.push(("networkmode", "none".to_owned())),
        (false, true) => {}
    }
    if !secret_specs.is_empty() {
        query.push((
            "secrets",
            serde_json::to_string(&secret_specs).unwrap_or_default(),
        ));
    }
    query
}

/// What the engine says in one line of a build's or push's JSON stream.
#[derive(Default, serde::Deserialize)]
pub(crate) struct StreamLine {
    #[serde(default)]
    stream: Option<String>,
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default, rename = "errorDetail")]
    error_detail: Option<ErrorDetail>,
    #[serde(default)]
    aux: Option<serde_json::Value>,
}

#[derive(Default, serde::Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: Option<String>,
}

impl StreamLine {
    /// The error the line reports, if any.
    pub(crate) fn error(&mut self) -> Option<String> {
        self.error_detail
            .take()
            .and_then(|d| d.message)
            .or(self.error.take())
            .map(|e| e.trim().to_owned())
    }

    /// A text field of its `aux` object (`ID` of a build, `Digest` of a push).
    fn aux(&self, key: &str) -> Option<String> {
        self.aux.as_ref()?.get(key)?.as_str().map(str::to_owned)
    }
}

/// A failure of the engine's API: the host's trouble, worth another try.
pub(crate) fn unavailable(what: &str, e: &bollard::errors::Error) -> ImageBuildError {
    ImageBuildError::Unavailable(format!("{what}: {e}"))
}

/// Reads a streamed JSON answer line by line, handing each to `each`.
pub(crate) async fn read_stream(
    mut response: reqwest::Response,
    mut each: impl FnMut(StreamLine) -> Result<(), ImageBuildError>,
) -> Result<(), ImageBuildError> {
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let chunk = response.chunk().await.map_err(|e| {
            ImageBuildError::Unavailable(format!("the container host stopped answering: {e}"))
        })?;
        let done = chunk.is_none();
        if let Some(chunk) = chunk {
            pending.extend_from_slice(&chunk);
        }
        // Objects follow each other, with or without newlines between them.
        let mut stream = serde_json::Deserializer::from_slice(&pending).into_iter::<StreamLine>();
        let mut used = 0;
        while let Some(item) = stream.next() {
            match item {
                Ok(line) => {
                    used = stream.byte_offset();
                    each(line)?;
                }
                Err(e) if e.is_eof() => break,
                Err(e) => {
                    return Err(ImageBuildError::Unavailable(format!(
                        "the container host's answer is not JSON: {e}"
                    )));
                }
            }
        }
        pending.drain(..used);
        if done {
            return Ok(());
        }
    }
}

/// A problem answer of the engine: a 4xx is the request's fault, anything else the host's.
pub(crate) async fn refused(response: reqwest::Response, what: &str) -> ImageBuildError {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or(body);
    if status.is_client_error() {
        ImageBuildError::Failed(format!("{what}: {message}"))
    } else {
        ImageBuildError::Unavailable(format!(
            "{what}: the container host answered {status}: {message}"
        ))
    }
}

/// The build context as a tar archive.
fn context_tar(context: &[(String, Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    let mut archive = tar::Builder::new(Vec::new());
    for (path, content) in context {
        let mut header = tar::Header::new_gnu();
        header.set_size(u64::try_from(content.len()).unwrap_or(u64::MAX));
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        archive.append_data(&mut header, path, content.as_slice())?;
    }
    archive.into_inner()
}

#[async_trait::async_trait]
impl ContainerHost for DockerEngine {
    async fn build_image(
        &self,
        build: &ImageBuild,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<String, ImageBuildError> {
        let docker = self.engine()?;
        let mut secret_files = Vec::new();
        let mut secret_specs = Vec::new();
        for (id, value) in &build.secrets {
            let file = format!("{SECRET_FILE_PREFIX}{id}");
            secret_specs.push(format!("id={id},src={file}"));
            secret_files.push((file, value.clone().into_bytes()));
        }
        let podman = self.is_podman().await;
        if !secret_files.is_empty() && !podman {
            return Err(ImageBuildError::Failed(
                "build secrets need Podman's build API: Docker's takes them only through BuildKit sessions"
                    .to_owned(),
            ));
        }
        let archive = if let Some(archive) = &build.archive {
            repack(archive, "", "", &secret_files)
        } else {
            let mut files = build.context.clone();
            files.extend(secret_files);
            context_tar(&files)
        }
        .map_err(|e| ImageBuildError::Failed(format!("the build context: {e}")))?;
        let query = build_query(build, podman, &secret_specs);
        let response = self
            .http
            .post(format!("{}/build", self.origin))
            .query(&query)
            .header("Content-Type", "application/x-tar")
            .body(archive)
            .send()
            .await
            .map_err(|e| ImageBuildError::Unavailable(format!("the container host: {e}")))?;
        if !response.status().is_success() {
            return Err(refused(response, "the build").await);
        }
        let mut image = None;
        read_stream(response, |mut line| {
            if let Some(text) = line.stream.take() {
                for l in text.lines().filter(|l| !l.trim().is_empty()) {
                    log(l.to_owned());
                }
            }
            if let Some(error) = line.error() {
                return Err(ImageBuildError::Failed(error));
            }
            if let Some(id) = line.aux("ID") {
                image = Some(id);
            }
            Ok(())
        })
        .await?;
        match (image, build.tags.first()) {
            (Some(id), _) => Ok(id),
            (None, Some(tag)) => Ok(docker
                .inspect_image(tag)
                .await
                .map_err(|e| ImageBuildError::Failed(format!("the built image: {e}")))?
                .id
                .unwrap_or_default()),
            (None, None) => Err(ImageBuildError::Failed(
                "the build named no image".to_owned(),
            )),
        }
    }

    async fn run_container(&self, run: &ContainerRun) -> anyhow::Result<String> {
        let docker = self.engine()?;
        let port = format!("{}/tcp", run.container_port);
        let bindings = HashMap::from([(
            port.clone(),
            Some(vec![PortBinding {
                host_ip: Some("127.0.0.1".to_owned()),
                host_port: Some(run.host_port.to_string()),
            }]),
        )]);
        let config = ContainerCreateBody {
            image: Some(run.image.clone()),
            labels: Some(run.labels.clone().into_iter().collect()),
            exposed_ports: Some(vec![port]),
            host_config: Some(HostConfig {
                port_bindings: Some(bindings),
                ..HostConfig::default()
            }),
            ..ContainerCreateBody::default()
        };
        let options = CreateContainerOptionsBuilder::default()
            .name(&run.name)
            .build();
        let created = docker.create_container(Some(options), config).await?;
        docker.start_container(&created.id, None).await?;
        Ok(created.id)
    }

    async fn remove_container(&self, id: &str) -> anyhow::Result<()> {
        let docker = self.engine()?;
        let options = RemoveContainerOptionsBuilder::default().force(true).build();
        match docker.remove_container(id, Some(options)).await {
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn image_labels(&self, image: &str) -> anyhow::Result<BTreeMap<String, String>> {
        let docker = self.engine()?;
        let inspected = docker.inspect_image(image).await?;
        Ok(inspected
            .config
            .and_then(|c| c.labels)
            .unwrap_or_default()
            .into_iter()
            .collect())
    }

    async fn run_hook(
        &self,
        hook: &HookRun,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<HookOutcome, ImageBuildError> {
        let docker = self.engine()?;
        let config = ContainerCreateBody {
            image: Some(hook.image.clone()),
            cmd: Some(vec!["sh".to_owned(), "-c".to_owned(), hook.script.clone()]),
            working_dir: Some("/workspace".to_owned()),
            labels: Some(hook.labels.clone().into_iter().collect()),
            network_disabled: Some(true),
            host_config: Some(HostConfig {
                network_mode: Some("none".to_owned()),
                ..HostConfig::default()
            }),
            ..ContainerCreateBody::default()
        };
        let created = match docker
            .create_container(
                None::<bollard::query_parameters::CreateContainerOptions>,
                config,
            )
            .await
        {
            Ok(created) => created,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                message,
            }) => {
                return Err(ImageBuildError::Failed(format!(
                    "the hook's image {} is not on the container host ({message})",
                    hook.image
                )));
            }
            Err(e) => return Err(unavailable("creating the hook's container", &e)),
        };
        let id = created.id;
        let outcome = self.hook_in(&id, hook, log).await;
        let _ = self.remove_container(&id).await;
        outcome
    }

    async fn image_history(&self, image: &str) -> anyhow::Result<Vec<String>> {
        let docker = self.engine()?;
        Ok(docker
            .image_history(image)
            .await?
            .into_iter()
            .map(|item| item.created_by)
            .collect())
    }

    async fn push_image(
        &self,
        tag: &str,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<String, ImageBuildError> {
        let docker = self.engine()?;
        let (repo, version) = match tag.rsplit_once(':') {
            Some((repo, version)) if !version.contains('/') => (repo, version),
            _ => (tag, "latest"),
        };
        let response = self
            .http
            .post(format!("{}/images/{repo}/push", self.origin))
            .query(&[("tag", version), ("tlsVerify", "false")])
            // An empty credential: the registry is the installation's own.
            .header("X-Registry-Auth", "e30=")
            .send()
            .await
            .map_err(|e| ImageBuildError::Unavailable(format!("the container host: {e}")))?;
        if !response.status().is_success() {
            return Err(refused(response, "the push").await);
        }
        let mut digest = None;
        read_stream(response, |mut line| {
            if let Some(error) = line.error() {
                return Err(ImageBuildError::Unavailable(format!("the push: {error}")));
            }
            if let Some(status) = line.status.as_deref() {
                if let Some(at) = status.find("digest: sha256:") {
                    let found: String = status[at + 8..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == ':')
                        .collect();
                    digest = Some(found);
                }
                log(status.to_owned());
            }
            if let Some(found) = line.aux("Digest") {
                digest = Some(found);
            }
            Ok(())
        })
        .await?;
        if let Some(digest) = digest {
            return Ok(digest);
        }
        // Podman may say nothing of the digest: the image's repo digests name it.
        let inspected = docker
            .inspect_image(tag)
            .await
            .map_err(|e| ImageBuildError::Unavailable(format!("the pushed image: {e}")))?;
        inspected
            .repo_digests
            .unwrap_or_default()
            .into_iter()
            .find_map(|d| d.strip_prefix(&format!("{repo}@")).map(str::to_owned))
            .ok_or_else(|| ImageBuildError::Unavailable("the registry named no digest".to_owned()))
    }
}

impl DockerEngine {
    /// Logs a started container's output line by line until it exits, and answers its exit
    /// code. Podman may leave a followed log open after a quick exit, so the exit is waited for
    /// beside the log: once it is known, the log has a moment to end, and then what it had not
    /// told yet is read without following.
    async fn follow_to_exit(
        &self,
        id: &str,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<i64, ImageBuildError> {
        let docker = self.engine()?;
        let options = |follow: bool| {
            bollard::query_parameters::LogsOptionsBuilder::default()
                .follow(follow)
                .stdout(true)
                .stderr(true)
                .build()
        };
        let mut lines = LineSplitter::default();
        let mut logs = docker.logs(id, Some(options(true)));
        let mut waited =
            docker.wait_container(id, None::<bollard::query_parameters::WaitContainerOptions>);
        let mut exited = None;
        let mut log_ended = false;
        while exited.is_none() && !log_ended {
            tokio::select! {
                item = logs.next() => match item {
                    Some(Ok(output)) => lines.push(&output.into_bytes(), log),
                    _ => log_ended = true,
                },
                done = waited.next() => exited = Some(done),
            }
        }
        if !log_ended {
            let drained = tokio::time::timeout(LOG_GRACE, async {
                while let Some(Ok(output)) = logs.next().await {
                    lines.push(&output.into_bytes(), log);
                }
            })
            .await;
            if drained.is_err() {
                // The whole log, less the lines already told.
                let mut rest = LineSplitter::skipping(lines.told);
                let mut whole = docker.logs(id, Some(options(false)));
                let _ = tokio::time::timeout(LOG_GRACE * 10, async {
                    while let Some(Ok(output)) = whole.next().await {
                        rest.push(&output.into_bytes(), log);
                    }
                })
                .await;
                lines = rest;
            }
        }
        lines.finish(log);
        let done = match exited {
            Some(done) => done,
            None => loop {
                // The log ended; the exit follows, unless the container only closed its output.
                if let Ok(done) = tokio::time::timeout(LOG_GRACE, waited.next()).await {
                    break done;
                }
                let state = docker
                    .inspect_container(
                        id,
                        None::<bollard::query_parameters::InspectContainerOptions>,
                    )
                    .await
                    .map_err(|e| unavailable("waiting for the hook", &e))?
                    .state
                    .unwrap_or_default();
                if state.running != Some(true) {
                    return Ok(state.exit_code.unwrap_or(-1));
                }
            },
        };
        match done {
            Some(Ok(done)) => Ok(done.status_code),
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) => Err(unavailable("waiting for the hook", &e)),
            None => Err(ImageBuildError::Unavailable(
                "the hook's end was not told".to_owned(),
            )),
        }
    }

    /// Runs a created hook container: its workspace in, its output logged, its exit code and
    /// (when asked) its workspace out.
    async fn hook_in(
        &self,
        id: &str,
        hook: &HookRun,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<HookOutcome, ImageBuildError> {
        let docker = self.engine()?;
        let workspace = repack(
            hook.workspace.as_deref().unwrap_or(&[]),
            "",
            "workspace/",
            &[],
        )
        .map_err(|e| ImageBuildError::Failed(format!("the workspace: {e}")))?;
        let options = bollard::query_parameters::UploadToContainerOptionsBuilder::default()
            .path("/")
            .build();
        docker
            .upload_to_container(id, Some(options), bollard::body_full(workspace.into()))
            .await
            .map_err(|e| unavailable("copying the workspace in", &e))?;
        docker
            .start_container(id, None)
            .await
            .map_err(|e| unavailable("starting the hook", &e))?;
        let exit_code = self.follow_to_exit(id, log).await?;
        if !hook.keep_workspace || exit_code != 0 {
            return Ok(HookOutcome {
                exit_code,
                workspace: None,
            });
        }
        let options = bollard::query_parameters::DownloadFromContainerOptionsBuilder::default()
            .path("/workspace")
            .build();
        let mut download = docker.download_from_container(id, Some(options));
        let mut archive = Vec::new();
        while let Some(chunk) = download.next().await {
            archive.extend_from_slice(
                &chunk.map_err(|e| unavailable("copying the workspace out", &e))?,
            );
        }
        let workspace = repack(&archive, "workspace", "", &[])
            .map_err(|e| ImageBuildError::Failed(format!("the workspace: {e}")))?;
        Ok(HookOutcome {
            exit_code,
            workspace: Some(workspace),
        })
    }
}

/// How long a followed log may stay open once its container has exited.
const LOG_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// A container's output cut into lines, each told once.
#[derive(Default)]
struct LineSplitter {
    partial: String,
    /// Lines cut so far, told or skipped.
    told: usize,
    skip: usize,
}

impl LineSplitter {
    /// A splitter that leaves out the first `skip` lines (told already).
    fn skipping(skip: usize) -> Self {
        Self {
            skip,
            ..Self::default()
        }
    }

    fn push(&mut self, bytes: &[u8], log: &(dyn Fn(String) + Send + Sync)) {
        self.partial.push_str(&String::from_utf8_lossy(bytes));
        while let Some(at) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=at).collect();
            self.tell(line.trim_end().to_owned(), log);
        }
    }

    fn tell(&mut self, line: String, log: &(dyn Fn(String) + Send + Sync)) {
        if self.skip > 0 {
            self.skip -= 1;
        } else {
            log(line);
        }
        self.told += 1;
    }

    /// Tells the last line, which had no newline.
    fn finish(mut self, log: &(dyn Fn(String) + Send + Sync)) {
        let last = self.partial.trim_end().to_owned();
        if !last.trim().is_empty() {
            self.tell(last, log);
        }
    }
}
