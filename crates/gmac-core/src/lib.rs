//! gmac's domain: entities, services, authentication and the audit log.
//!
//! Only this crate touches sea-orm. Services are plain async functions over a [`Core`] (or a
//! connection), so the HTTP API, the CLI, background jobs and tests all call the same code.
//! Time comes from an injected [`Clock`]; nothing here reads the wall clock inline.

pub mod access;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod crypto;
pub mod db;
pub mod entities;
pub mod error;
pub mod export;
pub mod focus;
pub mod focus_gen;
pub mod forecast;

pub mod egress;
pub mod ids;
pub mod keys;
pub mod money;
pub mod pdf;
mod pdf_text;
pub mod platform;
pub mod ports;
pub mod services;
pub mod sqlite_reads;
pub mod templates;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

pub use auth::actor::Actor;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
pub use keys::MasterKey;

/// How builds run, for the whole installation.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// The registry images are pushed to (`host:port`), when the installation has one.
    pub registry: Option<String>,
    /// Builds of one project running at once; more wait, queued.
    pub per_project: u32,
    /// The largest checkout a build takes, in bytes.
    pub max_context_bytes: usize,
    /// Whether `RUN` steps get a network (the engine's bridge); by default they have none.
    pub network: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            registry: None,
            per_project: 2,
            max_context_bytes: 200 * 1024 * 1024,
            network: false,
        }
    }
}

/// How releases roll out, for the whole installation.
#[derive(Clone, Debug)]
pub struct DeployOptions {
    /// How long a new release has to answer its health check.
    pub health_timeout: std::time::Duration,
    /// How long the old release keeps running after the proxy moved, for requests it holds.
    pub drain: std::time::Duration,
    /// How long a new release is watched once it serves (the old one kept running meanwhile,
    /// to fall back to); the drain when that is longer.
    pub verify: std::time::Duration,
    /// How long a rollout on Kubernetes may go without progress before the cluster calls it
    /// failed (its Deployment's `progressDeadlineSeconds`).
    pub progress_deadline: std::time::Duration,
}

impl Default for DeployOptions {
    fn default() -> Self {
        Self {
            health_timeout: std::time::Duration::from_mins(1),
            drain: std::time::Duration::from_secs(5),
            verify: std::time::Duration::from_secs(10),
            progress_deadline: std::time::Duration::from_mins(10),
        }
    }
}

/// Who sent a request, as far as the audit log and session list need to know.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// The client's IP address.
    pub ip: Option<String>,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
    /// The request id, also returned as `X-Request-Id`.
    pub request_id: Option<String>,
}

/// How long the credentials gmac hands out live.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// Lifetime of a JWT access token.
    pub access_token_ttl: chrono::Duration,
    /// A refresh token expires if unused for this long; each use issues a fresh one.
    pub refresh_token_ttl: chrono::Duration,
    /// A session ends this long after sign-in, however active.
    pub session_max_age: chrono::Duration,
    /// The first-run setup token expires after this long.
    pub setup_token_ttl: chrono::Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            access_token_ttl: chrono::Duration::minutes(15),
            refresh_token_ttl: chrono::Duration::days(14),
            session_max_age: chrono::Duration::days(30),
            setup_token_ttl: chrono::Duration::hours(24),
        }
    }
}

/// Bounds on an uploaded cost file, so a hostile one (a decompression bomb, a file with no line
/// breaks) is refused early instead of filling memory or disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct ImportLimits {
    /// The largest file once decompressed, in bytes (default 4 GiB, about 7 million rows).
    pub max_inflated_bytes: u64,
    /// The most a gzip'd upload may grow when decompressed (default 100×; real FOCUS exports
    /// compress 5–20×, a bomb of zeros about 1000×). Checked once 16 MiB have been inflated.
    pub max_compression_ratio: u32,
    /// The longest row, in bytes, newlines inside quoted fields included (default 1 MiB).
    pub max_line_bytes: u32,
    /// The longest single field, in bytes (default 64 KiB, room for long tag lists).
    pub max_field_bytes: u32,
}

impl Default for ImportLimits {
    fn default() -> Self {
        Self {
            max_inflated_bytes: 4 << 30,
            max_compression_ratio: 100,
            max_line_bytes: 1 << 20,
            max_field_bytes: 64 << 10,
        }
    }
}

/// Everything a service needs: the database and the injected outside world.
#[derive(Clone, Debug)]
pub struct Core {
    /// The connection pool (SQLite or PostgreSQL).
    pub db: DatabaseConnection,
    /// The source of time.
    pub clock: Arc<dyn Clock>,
    /// Password hashing on a bounded blocking pool.
    pub passwords: auth::password::PasswordHasher,
    /// Signs and checks access tokens.
    pub jwt: auth::jwt::JwtKeys,
    /// Encrypts secrets at rest.
    pub sealer: crypto::Sealer,
    /// Links the audit chain.
    pub audit_keys: audit::ChainKeys,
    /// Signs device cookies.
    pub device_keys: auth::device::DeviceKeys,
    /// The master key version that seals and signs now (the database's newest, see
    /// `services::key_ring`).
    pub key_version: keys::KeyVersion,
    /// Sends email, when a mail server is configured.
    pub mailer: Option<Arc<dyn ports::Mailer>>,
    /// AWS Cost Explorer, when connected accounts may be synced.
    pub cost_explorer: Option<Arc<dyn ports::CostExplorer>>,
    /// Gitea's and GitHub's APIs.
    pub git_hosts: Option<Arc<dyn ports::GitHosts>>,
    /// The container host builds run on (Docker or Podman).
    pub containers: Option<Arc<dyn ports::ContainerHost>>,
    /// How builds run.
    pub builds: BuildOptions,
    /// Checks that a deploy target's engine and proxy answer.
    pub target_probe: Option<Arc<dyn ports::TargetProbe>>,
    /// Runs releases on container hosts and routes their proxies.
    pub deployer: Option<Arc<dyn ports::Deployer>>,
    /// Kubernetes clusters, for releases to cluster targets.
    pub cluster: Option<Arc<dyn ports::Cluster>>,
    /// Looks at custom domains from outside (their DNS and certificates).
    pub domains: Option<Arc<dyn ports::DomainChecker>>,
    /// How releases roll out.
    pub deploys: DeployOptions,
    /// The address people use to reach gmac, for links in emails (e.g. `https://gmac.example.com`).
    pub public_url: String,
    /// Who issues invoices: the name printed on them (the `invoice_issuer` setting).
    pub invoice_issuer: String,
    /// Token lifetimes.
    pub settings: AuthSettings,
    /// Bounds on uploaded cost files.
    pub import_limits: ImportLimits,
    /// How long finished jobs (with their logs and stored uploads) are kept.
    pub job_retention: chrono::Duration,
    /// How long events are kept.
    pub event_retention: chrono::Duration,
    /// Where gmac may connect on a user's behalf.
    pub egress: Arc<egress::EgressPolicy>,
    /// Signed-in actors, reused while the authorisation epoch stands still.
    pub actors: Arc<auth::cache::ActorCache>,
    /// Reads on this thread, without sqlx's worker threads, when the database is a SQLite file.
    pub sqlite_reads: Option<Arc<sqlite_reads::SqliteReader>>,
}

impl Core {
    /// Assembles a core from its parts; keys are derived from `master_key`.
    pub fn new(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        master_key: &MasterKey,
        settings: AuthSettings,
    ) -> Self {
        let version = keys::KeyVersion::new(master_key.oldest());
        Self {
            clock,
            passwords: auth::password::PasswordHasher::new(),
            jwt: auth::jwt::JwtKeys::with_version(master_key, version.clone()),
            sealer: crypto::Sealer::new(master_key, version.clone()),
            audit_keys: audit::ChainKeys::with_version(master_key, version.clone()),
            device_keys: auth::device::DeviceKeys::with_version(master_key, version.clone()),
            key_version: version,
            mailer: None,
            cost_explorer: None,
            git_hosts: None,
            containers: None,
            builds: BuildOptions::default(),
            target_probe: None,
            deployer: None,
            cluster: None,
            domains: None,
            deploys: DeployOptions::default(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            invoice_issuer: "gmac".to_owned(),
            settings,
            import_limits: ImportLimits::default(),
            job_retention: chrono::Duration::days(30),
            event_retention: chrono::Duration::days(30),
            egress: Arc::new(egress::EgressPolicy::default()),
            actors: Arc::default(),
            sqlite_reads: sqlite_reads::SqliteReader::for_pool(&db).map(Arc::new),
            db,
        }
    }

    /// The current time, from the injected clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// A new UUIDv7 id, time-ordered by the injected clock.
    pub fn new_id(&self) -> String {
        ids::new_id(self.now())
    }
}
