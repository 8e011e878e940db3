//! The outside world, as gmac-core needs it. Adapters live in gmac-connectors; tests plug in
//! real peers (an SMTP server) through the same traits.

/// An email to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// Files attached.
    pub attachments: Vec<Attachment>,
}

/// A file attached to an email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// Its file name.
    pub file_name: String,
    /// Its media type, e.g. `application/pdf`.
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Sends email.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    /// Sends one message; an error means it was not accepted by the mail server. One that
    /// holds a [`MailRefused`] will not be accepted by trying again.
    async fn send(&self, mail: Mail) -> anyhow::Result<()>;
}

/// A message the mail server refused for good (a `5xx` answer, such as no such mailbox), or
/// whose address is no address: sending it again changes nothing.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MailRefused(pub String);

/// How to reach an AWS account.
#[derive(Clone)]
pub struct AwsAccess {
    /// The access key id.
    pub access_key_id: String,
    /// Its secret.
    pub secret_access_key: String,
    /// A role to assume with them.
    pub role_arn: Option<String>,
    /// The external id the role requires.
    pub external_id: Option<String>,
    /// The region.
    pub region: String,
    /// Another endpoint (an emulator).
    pub endpoint_url: Option<String>,
}

impl std::fmt::Debug for AwsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsAccess")
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("role_arn", &self.role_arn)
            .finish_non_exhaustive()
    }
}

/// One group of one day of a `GetCostAndUsage` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostAndUsageRow {
    /// The day (the result's start).
    pub day: chrono::NaiveDate,
    /// The group's keys: the service, then the linked account or `tagkey$value`.
    pub keys: Vec<String>,
    /// `UnblendedCost`.
    pub unblended: rust_decimal::Decimal,
    /// `AmortizedCost`.
    pub amortized: rust_decimal::Decimal,
    /// `NetUnblendedCost`.
    pub net_unblended: rust_decimal::Decimal,
    /// The currency (`Unit`).
    pub currency: String,
}

/// One page of a `GetCostAndUsage` answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CostAndUsagePage {
    /// Its rows.
    pub rows: Vec<CostAndUsageRow>,
    /// The next page's token.
    pub next_page_token: Option<String>,
}

/// AWS Cost Explorer.
#[async_trait::async_trait]
pub trait CostExplorer: Send + Sync + std::fmt::Debug {
    /// `GetCostAndUsage`, daily, for `[start, end)`, grouped by service and `second_group`
    /// (`LINKED_ACCOUNT` or `TAG:<key>`), with the unblended, amortized and net unblended
    /// costs; one page.
    async fn cost_and_usage(
        &self,
        access: &AwsAccess,
        (start, end): (chrono::NaiveDate, chrono::NaiveDate),
        second_group: &str,
        page_token: Option<String>,
    ) -> anyhow::Result<CostAndUsagePage>;
}

/// How to reach a git host's API.
#[derive(Clone)]
pub struct GitHostAccess {
    /// The kind of host.
    pub provider: gmac_types::GitProvider,
    /// The API's base URL.
    pub base_url: String,
    /// The token, if there is one.
    pub token: Option<String>,
}

impl std::fmt::Debug for GitHostAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHostAccess")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Gitea's and GitHub's REST APIs, behind one port.
#[async_trait::async_trait]
pub trait GitHosts: Send + Sync + std::fmt::Debug {
    /// The login the token signs in as: the connection test. The error is for a person
    /// ("the host refused the token", "… could not be reached").
    async fn account(&self, access: &GitHostAccess) -> anyhow::Result<String>;

    /// Creates an empty repository `owner/name` (the token's own account when `owner` is its
    /// login, else an organisation). A plain git remote has no API: there the repository must
    /// already exist, and this answers where it is.
    async fn create_repository(
        &self,
        access: &GitHostAccess,
        repo: &RepositoryRef,
        description: &str,
    ) -> Result<HostedRepository, GitHostError>;

    /// Deletes a repository; one already gone is not an error.
    async fn delete_repository(
        &self,
        access: &GitHostAccess,
        repo: &RepositoryRef,
    ) -> Result<(), GitHostError>;

    /// Registers a push webhook that posts JSON to `url`, signed with `secret`; answers the
    /// host's id for it.
    async fn create_webhook(
        &self,
        access: &GitHostAccess,
        repo: &RepositoryRef,
        url: &str,
        secret: &str,
    ) -> Result<String, GitHostError>;

    /// Removes a webhook; one already gone is not an error.
    async fn delete_webhook(
        &self,
        access: &GitHostAccess,
        repo: &RepositoryRef,
        id: &str,
    ) -> Result<(), GitHostError>;

    /// The branches of a remote over smart HTTP: `(name, commit)`.
    async fn branches(&self, remote: &GitRemote) -> Result<Vec<(String, String)>, GitHostError>;

    /// Pushes one commit holding `commit.files` to `commit.branch`, which must not exist yet;
    /// answers the commit's id.
    async fn push_commit(
        &self,
        remote: &GitRemote,
        commit: &NewCommit,
    ) -> Result<String, GitHostError>;

    /// Points each of `branches` at `commit`, the head of `from` (which must hold it).
    async fn create_branches(
        &self,
        remote: &GitRemote,
        from: &str,
        commit: &str,
        branches: &[String],
    ) -> Result<(), GitHostError>;

    /// The tree of `git_ref` (a branch, a tag or a commit id) as a tar archive, refused when
    /// the archive would pass `max_bytes`.
    async fn checkout(
        &self,
        remote: &GitRemote,
        git_ref: &str,
        max_bytes: usize,
    ) -> Result<Checkout, GitHostError>;
}

/// A repository's tree at one commit.
#[derive(Clone)]
pub struct Checkout {
    /// The commit's id.
    pub commit: String,
    /// Its files as a tar archive (modes kept, no `.git`).
    pub archive: Vec<u8>,
}

impl std::fmt::Debug for Checkout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkout")
            .field("commit", &self.commit)
            .field("archive_bytes", &self.archive.len())
            .finish()
    }
}

/// A repository on a git host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepositoryRef {
    /// The owning account or organisation (for a plain remote, the folder).
    pub owner: String,
    /// Its name.
    pub name: String,
}

/// A repository the host made or found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostedRepository {
    /// Where to clone and push it over HTTP.
    pub clone_url: String,
    /// Its page, where the host has one.
    pub html_url: Option<String>,
}

/// Why a call to a git host failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GitHostError {
    /// The host refused (a name taken, a missing right, a repository that is not empty):
    /// asking again will not help until something changes.
    #[error("{0}")]
    Refused(String),
    /// The host could not be reached or failed (HTTP 5xx): worth another try.
    #[error("{0}")]
    Unavailable(String),
}

/// A remote to push to over smart HTTP, with the credentials it takes.
#[derive(Clone)]
pub struct GitRemote {
    /// `http(s)://…` of the repository.
    pub url: String,
    /// The user name sent with the token.
    pub username: String,
    /// The token, sent as the password, if there is one.
    pub token: Option<String>,
}

impl std::fmt::Debug for GitRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitRemote")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// A first commit to push.
#[derive(Clone, Debug)]
pub struct NewCommit {
    /// The branch it starts.
    pub branch: String,
    /// The commit message.
    pub message: String,
    /// The author's name and email.
    pub author: (String, String),
    /// `(path, content)` of every file.
    pub files: Vec<(String, String)>,
}

/// An image to build: its context (the files of a checkout), the Dockerfile in it, the tags,
/// build arguments and labels.
#[derive(Clone, Debug, Default)]
pub struct ImageBuild {
    /// `(path, content)` of each file of the context.
    pub context: Vec<(String, Vec<u8>)>,
    /// The Dockerfile's path in the context.
    pub dockerfile: String,
    /// `name:tag` of each tag to give the image.
    pub tags: Vec<String>,
    /// `ARG` values (never secrets: they stay in the image's history).
    pub build_args: std::collections::BTreeMap<String, String>,
    /// Labels (`gmac.io/service`, …).
    pub labels: std::collections::BTreeMap<String, String>,
    /// Build without the layer cache.
    pub no_cache: bool,
    /// The whole context as a tar archive; used instead of `context` when present.
    pub archive: Option<Vec<u8>>,
    /// Build secrets by id, for `RUN --mount=type=secret,id=<id>`: never build arguments,
    /// never in the image or its history.
    pub secrets: std::collections::BTreeMap<String, String>,
    /// Give `RUN` steps a network of their own (the engine's bridge); without it they have
    /// none, so they reach neither gmac's host nor link-local metadata addresses.
    pub network: bool,
}

/// A shell script run to its end in a container without a network: a build's hook.
#[derive(Clone, Debug, Default)]
pub struct HookRun {
    /// The image to run it in.
    pub image: String,
    /// The script (`sh -c`).
    pub script: String,
    /// A tar archive unpacked at `/workspace`, the script's working directory.
    pub workspace: Option<Vec<u8>>,
    /// Whether to answer `/workspace` as it is after the script (for the build to use).
    pub keep_workspace: bool,
    /// Labels (`gmac.io/service`, …).
    pub labels: std::collections::BTreeMap<String, String>,
}

/// How a hook ended.
#[derive(Clone, Debug, Default)]
pub struct HookOutcome {
    /// The script's exit code.
    pub exit_code: i64,
    /// `/workspace` after the script, as a tar archive of its contents, when asked.
    pub workspace: Option<Vec<u8>>,
}

/// A container to run from an image, its port published on loopback.
#[derive(Clone, Debug, Default)]
pub struct ContainerRun {
    /// The image.
    pub image: String,
    /// Its name.
    pub name: String,
    /// The port the container listens on.
    pub container_port: u16,
    /// The loopback port it is published on.
    pub host_port: u16,
    /// Labels (`gmac.io/service`, …).
    pub labels: std::collections::BTreeMap<String, String>,
}

/// Why a build failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageBuildError {
    /// The Dockerfile failed (a step, a missing base image): the build's own fault.
    #[error("{0}")]
    Failed(String),
    /// The container host could not be reached or failed: worth another try.
    #[error("{0}")]
    Unavailable(String),
}

/// A container host's engine as gmac reaches it: its `DOCKER_HOST`-style address
/// (`unix:///…` on gmac's own host, `tcp://host:port` over the network) and, over the
/// network, the TLS client credentials. `Debug` shows the address only.
#[derive(Clone, PartialEq, Eq)]
pub struct Engine {
    /// `unix:///path/to.sock`, `tcp://host:port` or `ssh://user@host[:port][/socket]`.
    pub address: String,
    /// How a `tcp://` engine is reached: TLS with a client certificate.
    pub tls: Option<gmac_types::EngineTls>,
    /// How an `ssh://` engine is reached: gmac's key and the host's.
    pub ssh: Option<gmac_types::EngineSsh>,
}

impl Engine {
    /// The engine on gmac's own host at `address` (a unix socket), without credentials.
    pub fn local(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            tls: None,
            ssh: None,
        }
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("address", &self.address)
            .field("tls", &self.tls.is_some())
            .field("ssh", &self.ssh.is_some())
            .finish()
    }
}

/// Reaches a deploy target's parts to check that they answer (issue 12, point 1).
#[async_trait::async_trait]
pub trait TargetProbe: Send + Sync + std::fmt::Debug {
    /// The Docker Engine API `engine` (`unix:///path`, or `tcp://host:port` over TLS)
    /// describes itself, e.g. "Podman Engine 4.3.1 (API 1.41, linux/amd64)". The error is for
    /// a person.
    async fn engine(&self, engine: &Engine) -> Result<String, String>;

    /// The reverse proxy's admin API at `url` (Caddy's) answers; says what answered.
    async fn proxy(&self, url: &str) -> Result<String, String>;
}

/// A container host through the Docker Engine API (Docker or Podman).
#[async_trait::async_trait]
pub trait ContainerHost: Send + Sync + std::fmt::Debug {
    /// Builds `build`, passing each line of the builder's output to `log` as it comes;
    /// answers the image's id.
    async fn build_image(
        &self,
        build: &ImageBuild,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<String, ImageBuildError>;

    /// Creates and starts a container; answers its id.
    async fn run_container(&self, run: &ContainerRun) -> anyhow::Result<String>;

    /// Stops and removes a container (one already gone is not an error).
    async fn remove_container(&self, id: &str) -> anyhow::Result<()>;

    /// The labels of an image.
    async fn image_labels(
        &self,
        image: &str,
    ) -> anyhow::Result<std::collections::BTreeMap<String, String>>;

    /// Runs `hook` to its end, passing each line it prints to `log` as it comes; the
    /// container is removed afterwards.
    async fn run_hook(
        &self,
        hook: &HookRun,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<HookOutcome, ImageBuildError>;

    /// The `created_by` line of each layer in the image's history, newest first.
    async fn image_history(&self, image: &str) -> anyhow::Result<Vec<String>>;

    /// Pushes `tag` to its registry; answers the registry's digest (`sha256:…`).
    async fn push_image(
        &self,
        tag: &str,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<String, ImageBuildError>;
}

/// A service's container to start on a target for a release. Its environment holds secret
/// values, so its `Debug` shows only their names.
#[derive(Clone, Default)]
pub struct ServiceContainer {
    /// The image.
    pub image: String,
    /// Its name on the engine (unique there).
    pub name: String,
    /// The port the service listens on inside the container.
    pub container_port: u16,
    /// Its environment variables.
    pub env: std::collections::BTreeMap<String, String>,
    /// Labels (`gmac.io/service`, `gmac.io/release`, …).
    pub labels: std::collections::BTreeMap<String, String>,
    /// The CPU and memory it may use (the limits) and the memory it reserves; none: no limits.
    pub resources: Option<gmac_types::Resources>,
}

impl std::fmt::Debug for ServiceContainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceContainer")
            .field("image", &self.image)
            .field("name", &self.name)
            .field("container_port", &self.container_port)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .field("labels", &self.labels)
            .field("resources", &self.resources)
            .finish()
    }
}

/// A started container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartedContainer {
    /// Its id on the engine.
    pub id: String,
    /// `ip:port` where its port is reached from the engine's host (and the proxy beside it):
    /// its address on the engine's network. On gmac's own host nothing is published on the
    /// host's ports, so no other program's port can be taken over; an engine over the network
    /// publishes it on a free port of the engine's own address, for gmac's health checks.
    pub upstream: String,
}

/// How a container stands, as the engine tells it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerState {
    /// Whether it runs.
    pub running: bool,
    /// Its exit code, once it has stopped (the last one, when it was restarted).
    pub exit_code: Option<i64>,
    /// How many times the engine restarted it.
    pub restarts: i64,
    /// Its last lines of output, newest last.
    pub last_lines: Vec<String>,
    /// When it (last) started.
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it last stopped, when it has.
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether the kernel killed it for using more memory than it may.
    pub oom_killed: bool,
    /// What the engine said went wrong, if anything.
    pub error: Option<String>,
}

/// A line of a container's output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputLine {
    /// Whether it went to standard error.
    pub stderr: bool,
    /// When the engine received it.
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    /// The line, without its end.
    pub text: String,
}

/// A route of the reverse proxy: requests for `hosts` go to `upstream`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyRoute {
    /// Its id in the proxy's configuration (`gmac-env-…`).
    pub id: String,
    /// The host names it answers.
    pub hosts: Vec<String>,
    /// `host:port` it sends requests to.
    pub upstream: String,
}

/// Runs releases on container hosts and routes their proxies (issue 12, point 2). Every call
/// names the target's engine or its proxy's admin API.
#[async_trait::async_trait]
pub trait Deployer: Send + Sync + std::fmt::Debug {
    /// The image's id on the engine: pulled from its registry first when `pull` (an image by
    /// reference, whose tag may have moved; the host's copy is used when the registry cannot
    /// be reached) or when the engine lacks it; lines of the pull go to `log`.
    async fn ensure_image(
        &self,
        engine: &Engine,
        image: &str,
        pull: bool,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<String, ImageBuildError>;

    /// The image's id when the engine has it, without pulling.
    async fn image_id(
        &self,
        engine: &Engine,
        image: &str,
    ) -> Result<Option<String>, ImageBuildError>;

    /// Creates and starts `container` on the engine's network.
    async fn start(
        &self,
        engine: &Engine,
        container: &ServiceContainer,
    ) -> Result<StartedContainer, ImageBuildError>;

    /// Removes an image (by its id) from the engine, each of its names first; answers `false`
    /// when the engine keeps it because a container still uses it. One already gone is
    /// removed.
    async fn remove_image(&self, engine: &Engine, id: &str) -> Result<bool, ImageBuildError>;

    /// How a container stands.
    async fn state(&self, engine: &Engine, id: &str) -> Result<ContainerState, ImageBuildError>;

    /// A container's last `tail` lines of output, then, when `follow`, each new line as it is
    /// written, into `sink`, until the container stops or `sink` is closed.
    async fn logs(
        &self,
        engine: &Engine,
        id: &str,
        tail: u32,
        follow: bool,
        sink: tokio::sync::mpsc::Sender<OutputLine>,
    ) -> Result<(), ImageBuildError>;

    /// Stops (letting it finish for a few seconds) and removes a container; one already gone
    /// is not an error.
    async fn remove(&self, engine: &Engine, id: &str) -> Result<(), ImageBuildError>;

    /// The ids of the containers (running or not) labelled `gmac.io/release={release_id}`.
    async fn release_containers(
        &self,
        engine: &Engine,
        release_id: &str,
    ) -> Result<Vec<String>, ImageBuildError>;

    /// One health check of the container `id`: `GET http://{upstream}{path}` answers 2xx
    /// (without a path, the port accepts a connection). On an engine over the network, whose
    /// network gmac is not on, the check goes to the port the container publishes on the
    /// engine's own address instead. The error says what was seen.
    async fn check_health(
        &self,
        engine: &Engine,
        id: &str,
        upstream: &str,
        path: Option<&str>,
    ) -> Result<(), String>;

    /// Sets `route` in the proxy's server `gmac` at `admin_url` (made on `:80` and `:443` when
    /// missing), replacing a route of the same id in one configuration change.
    async fn route(&self, admin_url: &str, route: &ProxyRoute) -> Result<(), String>;

    /// Removes the route of id `id` (one already gone is not an error).
    async fn unroute(&self, admin_url: &str, id: &str) -> Result<(), String>;

    /// Sets the host names the route of id `id` answers, leaving where it sends requests as it
    /// is; answers `false` when there is no such route.
    async fn route_hosts(
        &self,
        admin_url: &str,
        id: &str,
        hosts: &[String],
    ) -> Result<bool, String>;
}

/// A release as a Kubernetes cluster runs it (issue 12, point 2): what its objects say. Its
/// secret values are held, so its `Debug` shows only their names.
#[derive(Clone, Default)]
pub struct KubeRelease {
    /// The environment's namespace (made when missing).
    pub namespace: String,
    /// The name of its `Deployment`, `Service`, `Ingress` and the rest: the service's.
    pub name: String,
    /// The image, by reference (a registry's; a cluster pulls it).
    pub image: String,
    /// The port the service listens on inside its container.
    pub container_port: u16,
    /// What names its configuration (the versions of its variables and secrets): the
    /// `ConfigMap` and `Secret` are named by its hash, so no value can be guessed from a name.
    pub config_version: String,
    /// Its plain variables (a `ConfigMap`).
    pub env: std::collections::BTreeMap<String, String>,
    /// Its secrets (a `Secret`).
    pub secrets: std::collections::BTreeMap<String, String>,
    /// Labels on every object and pod (`gmac.io/*`, `project`).
    pub labels: std::collections::BTreeMap<String, String>,
    /// The labels that select its pods (a subset of `labels` that no release changes).
    pub selector: std::collections::BTreeMap<String, String>,
    /// Host names its Ingress answers (none: no Ingress).
    pub hosts: Vec<String>,
    /// cert-manager's cluster issuer for the Ingress's TLS certificate, when TLS is wanted.
    pub tls_issuer: Option<String>,
    /// The `IngressClass` its Ingress names (none: the cluster's default class).
    pub ingress_class: Option<String>,
    /// The path of its HTTP health check (none: the port accepting connections).
    pub health_path: Option<String>,
    /// Its replicas (the lower bound when it autoscales).
    pub replicas: i32,
    /// Autoscaling bounds, when it autoscales.
    pub autoscale: Option<KubeAutoscale>,
    /// CPU and memory requests and limits, in Kubernetes quantities (`250m`, `256Mi`).
    pub resources: KubeResources,
    /// Seconds a rollout may take before the cluster calls it failed.
    pub progress_deadline_secs: i32,
    /// When the environment was last restarted: in the pod template, so a new time replaces
    /// the pods.
    pub restarted_at: Option<String>,
}

impl std::fmt::Debug for KubeRelease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeRelease")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("image", &self.image)
            .field("env", &self.env)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("labels", &self.labels)
            .field("replicas", &self.replicas)
            .finish_non_exhaustive()
    }
}

/// A `HorizontalPodAutoscaler`'s bounds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KubeAutoscale {
    /// The fewest replicas.
    pub min: i32,
    /// The most.
    pub max: i32,
    /// The average CPU use, in percent of the request, it keeps to.
    pub cpu_percent: i32,
}

/// Requests and limits, as Kubernetes quantities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubeResources {
    /// CPU requested (`100m`).
    pub cpu_request: String,
    /// Memory requested (`128Mi`).
    pub memory_request: String,
    /// CPU limit.
    pub cpu_limit: String,
    /// Memory limit.
    pub memory_limit: String,
}

impl Default for KubeResources {
    fn default() -> Self {
        Self::from(gmac_types::Resources::default())
    }
}

impl From<gmac_types::Resources> for KubeResources {
    fn from(r: gmac_types::Resources) -> Self {
        Self {
            cpu_request: format!("{}m", r.cpu_request_millis),
            memory_request: format!("{}Mi", r.memory_request_mib),
            cpu_limit: format!("{}m", r.cpu_limit_millis),
            memory_limit: format!("{}Mi", r.memory_limit_mib),
        }
    }
}

/// How a rollout ended, as followed to the truth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KubeOutcome {
    /// Every replica runs the new template and is available.
    Done {
        /// The `Deployment`'s generation it reached.
        generation: i64,
        /// Its available replicas.
        available: i32,
    },
    /// The cluster gave up (its progress deadline passed), or gmac's wait ran out; with the
    /// pods' reasons (crash loop, image pull, failing probe).
    Failed(String),
}

/// Runs releases on Kubernetes clusters (issue 12, point 2). Every call takes the target's
/// kubeconfig (opened for the call only).
#[async_trait::async_trait]
pub trait Cluster: Send + Sync + std::fmt::Debug {
    /// The API server's URL of a kubeconfig gmac takes (its credentials inline: no plugin,
    /// file path or proxy), or why it is not taken.
    fn server(&self, kubeconfig: &str) -> Result<String, String>;

    /// The API server's address and version, e.g. `Kubernetes v1.33.0 at https://…`.
    async fn probe(&self, kubeconfig: &str) -> Result<String, String>;

    /// Applies the release's objects server-side (field manager `gmac`), its namespace first;
    /// answers the `Deployment`'s generation after the apply.
    async fn apply(
        &self,
        kubeconfig: &str,
        release: &KubeRelease,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<i64, ImageBuildError>;

    /// Follows the release's `Deployment` until its `generation` is rolled out or failed, or
    /// `wait` passes; progress goes to `log`. A template of another release is a failure.
    async fn follow(
        &self,
        kubeconfig: &str,
        release: &KubeRelease,
        generation: i64,
        wait: std::time::Duration,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<KubeOutcome, ImageBuildError>;

    /// Deletes the `ConfigMap`s and `Secret`s that earlier releases of `release`'s service
    /// left in its namespace (the ones gmac made: its labels, named `{name}-env-…` and
    /// `{name}-secrets-…`), keeping `release`'s own; answers the kinds and names deleted. Run
    /// once `release` is rolled out, when no pod needs them any more (a rollback applies its
    /// release's own again).
    async fn prune_config(
        &self,
        kubeconfig: &str,
        release: &KubeRelease,
    ) -> Result<Vec<String>, ImageBuildError>;

    /// Deletes a namespace and all in it (one already gone is not an error).
    async fn delete_namespace(
        &self,
        kubeconfig: &str,
        namespace: &str,
    ) -> Result<(), ImageBuildError>;

    /// The pods of release `release_id` in `namespace` (label `gmac.io/release`), by name.
    async fn pods(
        &self,
        kubeconfig: &str,
        namespace: &str,
        release_id: &str,
    ) -> Result<Vec<PodState>, ImageBuildError>;

    /// A pod's last `tail` lines of output, then, when `follow`, each new line as it is
    /// written, into `sink`, until the pod goes or `sink` is closed.
    async fn pod_logs(
        &self,
        kubeconfig: &str,
        namespace: &str,
        pod: &str,
        tail: u32,
        follow: bool,
        sink: tokio::sync::mpsc::Sender<OutputLine>,
    ) -> Result<(), ImageBuildError>;
}

/// A pod as its cluster tells it: its first container's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodState {
    /// The pod's name.
    pub name: String,
    /// Its container's state: running, restarts, and how it last ended (`OOMKilled` is
    /// `oom_killed`; the reason the kubelet gave is `error`).
    pub state: ContainerState,
    /// Why it waits, when it does: `reason: message`.
    pub waiting: Option<String>,
}

/// The certificate a host answered with over TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateSeen {
    /// When it ends.
    pub not_after: chrono::DateTime<chrono::Utc>,
    /// Its issuer's common name (or the whole issuer, when it has none).
    pub issuer: String,
    /// Why it is not trusted for the name (by the system's roots), when it is not.
    pub untrusted: Option<String>,
}

/// Why a DNS question got no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsFailure {
    /// The name has no such record (`NXDOMAIN`, or no data): an answer, not an outage.
    pub missing: bool,
    /// What happened, for a person.
    pub message: String,
}

/// Looks at custom domains from outside (issue 12, point 6): where a name points, through the
/// configured resolver, and which certificate it answers with.
#[async_trait::async_trait]
pub trait DomainChecker: Send + Sync + std::fmt::Debug {
    /// The addresses `name` resolves to (following `CNAME`s).
    async fn resolve(&self, name: &str) -> Result<Vec<std::net::IpAddr>, DnsFailure>;

    /// The texts of `name`'s `TXT` records.
    async fn txt(&self, name: &str) -> Result<Vec<String>, DnsFailure>;

    /// The certificate `name` answers with at `address` (its SNI is `name`); an error says
    /// why there was no TLS answer.
    async fn certificate(
        &self,
        name: &str,
        address: std::net::SocketAddr,
    ) -> Result<CertificateSeen, String>;
}
