//! Test harness: each test gets its own gmac, on a random port, with its own database —
//! a fresh SQLite file, or a fresh PostgreSQL database when `TEST_DATABASE_URL` names a server
//! (the URL of any database there; tests create and drop their own next to it).

#![expect(
    clippy::missing_panics_doc,
    clippy::expect_used,
    reason = "test harness: a failed set-up should panic"
)]
#![expect(
    missing_debug_implementations,
    reason = "test harness types are not printed"
)]

pub mod caddy;
pub mod deploy_world;
pub mod dns;
pub mod engine_tls;
pub mod fake_git_hosts;
pub mod fake_kubernetes;
pub mod fixture;
pub mod focus;
pub mod kube_world;
pub mod loopback;
pub mod moto;
pub mod pdf;
pub mod pg_proxy;
pub mod podman;
pub mod registry;
pub mod smtp;
pub mod ssh_engine;
pub mod template_repo;

use std::sync::Arc;

use gmac_client::Client;
use gmac_core::keys::MasterKey;
use gmac_core::{Clock, Core, ManualClock, SystemClock};
use gmac_server::config::{AuthRateLimit, RateLimit};
use gmac_server::{Application, Config};
use gmac_types::{LoginRequest, SetupRequest};
use sea_orm::ConnectionTrait;

pub use focus::{FocusRows, focus_sample, generated_focus};

/// A running gmac and what a test needs to drive and inspect it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// An anonymous client with its own cookie jar.
    pub client: Client,
    /// The domain core the server uses, for direct inspection of the database.
    pub core: Core,
    /// The manual clock, when the test asked for one.
    pub clock: Option<Arc<ManualClock>>,
    /// The database URL the server uses.
    pub database_url: String,
    /// The master key (base64), for the command line to share with the server.
    pub master_key: String,
    handle: actix_web::dev::ServerHandle,
    db: TestDatabase,
}

/// A signed-in user.
pub struct Session {
    /// A client sending the access token (and holding the refresh cookie).
    pub client: Client,
    /// The access token.
    pub access_token: String,
    /// The email signed in with.
    pub email: String,
    /// The password signed in with.
    pub password: String,
}

/// A change to the test configuration.
pub type Configure = Box<dyn FnOnce(&mut Config)>;

/// How to start a test app.
#[derive(Default)]
pub struct Options {
    /// Use a manual clock starting now.
    pub manual_clock: bool,
    /// Start the manual clock here (implies `manual_clock`).
    pub clock_start: Option<chrono::DateTime<chrono::Utc>>,
    /// Adjust the configuration.
    pub configure: Option<Configure>,
    /// Connect to this URL instead of a fresh database (the caller owns it).
    pub database_url: Option<String>,
    /// Send mail through this SMTP server.
    pub smtp_url: Option<String>,
    /// Run a job worker, as `gmac serve` does (with short waits); without it jobs stay queued
    /// until a test runs them.
    pub job_worker: bool,
    /// Build on this container host (`unix:///…/podman.sock`, see [`crate::podman`]).
    pub container_host: Option<String>,
    /// Push built images to this registry (`127.0.0.1:port`).
    pub registry: Option<String>,
    /// Run at most this many builds of a project at once (gmac's default otherwise).
    pub builds_per_project: Option<u32>,
    /// Check custom domains through this DNS server (`127.0.0.1:port`, see [`crate::dns`]).
    pub dns_resolver: Option<String>,
    /// This master key (a lone base64 key or a ring, `2:<key> 1:<key>`) instead of a new one.
    pub master_key: Option<String>,
}

/// A new random master key, base64.
pub fn new_master_key() -> String {
    use base64::Engine;
    let bytes = [
        *uuid::Uuid::new_v4().as_bytes(),
        *uuid::Uuid::new_v4().as_bytes(),
    ]
    .concat();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Starts gmac with defaults.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// The configuration tests start from: one worker, and a rate limit no test reaches by
/// accident.
pub fn test_config() -> Config {
    Config {
        workers: 1,
        rate_limit: RateLimit {
            per_second: 10_000,
            burst: 10_000,
        },
        auth_rate_limit: AuthRateLimit {
            per_minute: 10_000,
            burst: 10_000,
        },
        shutdown_timeout_secs: 1,
        // Spooled uploads go to a temporary directory, not the working directory.
        data_dir: std::env::temp_dir().join("gmac-tests-data"),
        // The AWS emulator (moto) and other real peers listen on loopback.
        egress: gmac_server::config::Egress {
            allow: vec!["127.0.0.1/32".to_owned()],
            public: true,
        },
        ..Config::default()
    }
}

/// The waits of a test's job worker: short, so that jobs run within a test.
pub fn worker_options() -> gmac_core::platform::worker::WorkerOptions {
    gmac_core::platform::worker::WorkerOptions {
        lease: std::time::Duration::from_secs(5),
        heartbeat: std::time::Duration::from_millis(100),
        poll: std::time::Duration::from_millis(50),
        backoff_base: std::time::Duration::from_millis(200),
        backoff_max: std::time::Duration::from_secs(2),
    }
}

/// Migrates `db` back to just before the migration `name`, however many came after it.
pub async fn migrate_down_to_before(db: &sea_orm::DatabaseConnection, name: &str) {
    use gmac_migrations::MigratorTrait;
    let names: Vec<String> = gmac_migrations::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let at = names
        .iter()
        .position(|n| n == name)
        .expect("the migration exists");
    let after = u32::try_from(names.len() - at).expect("a migration count");
    gmac_migrations::Migrator::down(db, Some(after))
        .await
        .expect("migrating down");
}

/// The real adapters behind the core's ports, bound by its egress policy, as `gmac serve`
/// connects them.
fn connect_adapters(
    core: &mut Core,
    container_host: Option<&str>,
    registry: Option<&String>,
    builds_per_project: Option<u32>,
    dns_resolver: Option<&str>,
) {
    if let Some(resolver) = dns_resolver {
        core.domains = Some(Arc::new(
            gmac_connectors::domains::DnsDomainChecker::new(Some(resolver), core.egress.clone())
                .expect("a domain checker"),
        ));
    }
    core.cost_explorer = Some(Arc::new(gmac_connectors::aws::SdkCostExplorer::new(
        core.egress.clone(),
    )));
    core.git_hosts = Some(Arc::new(
        gmac_connectors::git::HttpGitHosts::new(core.egress.clone()).expect("a git host client"),
    ));
    core.target_probe = Some(Arc::new(
        gmac_connectors::targets::HttpTargetProbe::new(core.egress.clone())
            .expect("a target probe"),
    ));
    core.cluster = Some(Arc::new(gmac_connectors::kubernetes::KubeCluster::new(
        core.egress.clone(),
    )));
    core.deployer = Some(Arc::new(
        gmac_connectors::deploy::EngineDeployer::new(core.egress.clone()).expect("a deployer"),
    ));
    if let Some(host) = container_host {
        core.containers = Some(Arc::new(
            gmac_connectors::containers::DockerEngine::connect(host).expect("a container host"),
        ));
    }
    core.builds.registry = registry.cloned();
    if let Some(limit) = builds_per_project {
        core.builds.per_project = limit;
    }
}

/// Starts gmac with options.
pub async fn spawn_app_with(options: Options) -> TestApp {
    let mut config = test_config();
    if let Some(configure) = options.configure {
        configure(&mut config);
    }
    let db = match &options.database_url {
        Some(url) => TestDatabase::External(url.clone()),
        None => TestDatabase::create().await,
    };
    let url = db.url();
    let pool = gmac_core::db::connect(
        &url,
        &gmac_core::db::PoolOptions {
            acquire_timeout: std::time::Duration::from_secs(2),
            ..gmac_core::db::PoolOptions::default()
        },
    )
    .await
    .expect("connecting to the test database");
    gmac_core::db::migrate(&pool)
        .await
        .expect("migrating the test database");
    let manual = options
        .clock_start
        .or_else(|| options.manual_clock.then(chrono::Utc::now))
        .map(|start| Arc::new(ManualClock::new(start)));
    let clock: Arc<dyn Clock> = match &manual {
        Some(clock) => clock.clone(),
        None => Arc::new(SystemClock),
    };
    let listener = loopback::listener();
    let address = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("the bound address").port()
    );
    let master_key = options.master_key.clone().unwrap_or_else(new_master_key);
    let ring = MasterKey::from_base64(&master_key).expect("a valid key");
    let mut core = Core::new(
        pool,
        clock,
        &ring,
        gmac_server::startup::auth_settings(&config),
    );
    // As `gmac serve` does: the database says which version seals, and a rotation is followed.
    gmac_core::services::key_ring::load(&mut core, &ring)
        .await
        .expect("a master key this database was sealed under");
    tokio::spawn(gmac_core::services::key_ring::keep_current(core.clone()));
    core.public_url.clone_from(&address);
    core.import_limits = config.import;
    core.egress = Arc::new(config.egress.policy().expect("a valid egress policy"));
    connect_adapters(
        &mut core,
        options.container_host.as_deref(),
        options.registry.as_ref(),
        options.builds_per_project,
        options.dns_resolver.as_deref(),
    );
    // A release that is not healthy fails in seconds, not a minute; the old release keeps
    // running long enough after the proxy moved for the requests Caddy still holds for it
    // (half a second lost one request in thousands through Caddy 2.6's reload).
    core.deploys = gmac_core::DeployOptions {
        health_timeout: std::time::Duration::from_secs(20),
        drain: std::time::Duration::from_secs(3),
        verify: std::time::Duration::from_secs(5),
        // The Kubernetes fake honours a Deployment's deadline in real seconds.
        progress_deadline: std::time::Duration::from_secs(3),
    };
    if let Some(smtp) = &options.smtp_url {
        let mailer = gmac_connectors::mail::SmtpMailer::new(smtp, "gmac <gmac@test.example>")
            .expect("a mailer");
        core.mailer = Some(Arc::new(mailer));
    }
    // Consumers of events run as in `gmac serve` (budgets are checked when costs change); job
    // workers do not, so tests decide when jobs run.
    let dispatcher = gmac_core::services::background::dispatcher(core.clone());
    dispatcher
        .install()
        .await
        .expect("installing event consumers");
    tokio::spawn(dispatcher.run(std::time::Duration::from_millis(200)));
    if options.job_worker {
        let worker = gmac_core::services::background::worker(core.clone(), worker_options());
        tokio::spawn(worker.run());
    }
    let app =
        Application::with_listener(core.clone(), &config, listener).expect("building the app");
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        client: Client::new(&address).expect("building a client"),
        address,
        core,
        clock: manual,
        database_url: url,
        master_key,
        handle,
        db,
    }
}

impl TestApp {
    /// A new anonymous client with an empty cookie jar.
    pub fn new_client(&self) -> Client {
        Client::new(&self.address).expect("building a client")
    }

    /// A plain HTTP client that does not follow redirects, for raw requests.
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("building an HTTP client")
    }

    /// `address` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A fresh one-time setup token, as `gmac serve` prints at first start.
    pub async fn setup_token(&self) -> String {
        gmac_core::services::setup::issue_setup_token(&self.core)
            .await
            .expect("issuing a setup token")
            .expect("setup is still required")
    }

    /// Creates the first Super Admin through the API and signs in as them.
    pub async fn super_admin(&self) -> Session {
        let email = "ada@example.com".to_owned();
        let password = "correct horse battery staple".to_owned();
        let token = self.setup_token().await;
        self.client
            .complete_setup(&SetupRequest {
                setup_token: token.into(),
                email: email.clone(),
                password: password.clone().into(),
                display_name: "Ada Lovelace".to_owned(),
            })
            .await
            .expect("completing setup");
        self.sign_in(&email, &password).await
    }

    /// Signs in with a new client (its own cookie jar).
    pub async fn sign_in(&self, email: &str, password: &str) -> Session {
        let client = self.new_client();
        let token = client
            .login(&LoginRequest {
                email: email.to_owned(),
                password: password.into(),
            })
            .await
            .expect("signing in")
            .token()
            .expect("no second factor is set up");
        let access_token = token.access_token.expose().to_owned();
        Session {
            client: client.with_token(access_token.clone()),
            access_token,
            email: email.to_owned(),
            password: password.to_owned(),
        }
    }

    /// Runs the jobs that are due, one after another, as a worker of `gmac serve` would (tests
    /// start none unless asked): a rule's, an assignment's or a team's re-allocation, for one.
    pub async fn run_jobs(&self) {
        let worker = gmac_core::services::background::worker(self.core.clone(), worker_options());
        while worker.run_once().await.expect("running a job") {}
    }

    /// The actions of the audit log, oldest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        use sea_orm::{EntityTrait, QueryOrder};
        gmac_core::entities::audit_log::Entity::find()
            .order_by_asc(gmac_core::entities::audit_log::Column::Seq)
            .all(&self.core.db)
            .await
            .expect("reading the audit log")
            .into_iter()
            .map(|row| row.action)
            .collect()
    }

    /// Moves the manual clock.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock
            .as_ref()
            .expect("the app was started with a manual clock")
            .advance(by);
    }

    /// Stops the server, waiting for in-flight requests.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting; the database is dropped by `TestDatabase`.
        drop(self.handle.stop(false));
        let _ = &self.db;
    }
}

/// The database of one test.
pub enum TestDatabase {
    /// A SQLite file in a temporary directory.
    Sqlite(tempfile::TempDir),
    /// A PostgreSQL database created for the test, dropped afterwards.
    Postgres {
        /// The server's admin URL.
        admin_url: String,
        /// The database's name.
        name: String,
    },
    /// Owned by the caller.
    External(String),
}

impl TestDatabase {
    /// Whether tests run on PostgreSQL.
    pub fn on_postgres() -> bool {
        std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
    }

    /// A fresh, empty database.
    pub async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("gmac_test_{}", uuid::Uuid::new_v4().simple());
                let template = migrated_template(&admin_url).await;
                let admin = sea_orm::Database::connect(&admin_url)
                    .await
                    .expect("connecting to PostgreSQL");
                admin
                    .execute_unprepared(&format!(
                        "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
                    ))
                    .await
                    .expect("creating a test database");
                admin.close().await.ok();
                TestDatabase::Postgres { admin_url, name }
            }
            _ => TestDatabase::Sqlite(tempfile::tempdir().expect("creating a temp dir")),
        }
    }

    /// Its URL.
    pub fn url(&self) -> String {
        match self {
            TestDatabase::Sqlite(dir) => {
                format!("sqlite://{}?mode=rwc", dir.path().join("gmac.db").display())
            }
            TestDatabase::Postgres { admin_url, name } => with_database(admin_url, name),
            TestDatabase::External(url) => url.clone(),
        }
    }
}

/// A database with every migration applied, named after the set of migrations, from which
/// each test's database is copied (much faster than migrating each one). Test processes run
/// in parallel, so the first to need it builds it under an advisory lock.
async fn migrated_template(admin_url: &str) -> String {
    use gmac_migrations::MigratorTrait;
    let names: Vec<String> = gmac_migrations::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let digest = names
        .join(",")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    let template = format!("gmac_template_{digest:016x}");
    // One connection, so the session-level advisory lock is held by the statements below.
    let mut options = sea_orm::ConnectOptions::new(admin_url.to_owned());
    options.max_connections(1).min_connections(1);
    let admin = sea_orm::Database::connect(options)
        .await
        .expect("connecting to PostgreSQL");
    admin
        .execute_unprepared("SELECT pg_advisory_lock(7347)")
        .await
        .expect("taking the template lock");
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT 1 FROM pg_database WHERE datname = '{template}'"),
        ))
        .await
        .expect("looking for the template")
        .is_some();
    if !exists {
        let building = format!("{template}_building");
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{building}\""))
            .await
            .expect("dropping a half-built template");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{building}\""))
            .await
            .expect("creating the template");
        let db = gmac_core::db::connect(
            &with_database(admin_url, &building),
            &gmac_core::db::PoolOptions::default(),
        )
        .await
        .expect("connecting to the template");
        gmac_core::db::migrate(&db)
            .await
            .expect("migrating the template");
        db.close().await.ok();
        admin
            .execute_unprepared(&format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{template}\""
            ))
            .await
            .expect("publishing the template");
    }
    admin
        .execute_unprepared("SELECT pg_advisory_unlock(7347)")
        .await
        .ok();
    admin.close().await.ok();
    template
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop happens outside any runtime we may block; use a private one.
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        admin.close().await.ok();
                    }
                });
            })
            .join();
        }
    }
}

/// The response's `X-Request-Id`.
pub fn request_id(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
