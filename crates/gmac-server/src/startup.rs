//! Building and running the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{Compress, Condition, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use gmac_core::keys::{KeySource, MasterKey, check_key_file_permissions};
use gmac_core::{AuthSettings, Core, SystemClock};
use secrecy::ExposeSecret;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::error::{json_error, path_error};
use crate::middleware::context::request_context;
use crate::middleware::denials::audit_denials;
use crate::middleware::rate_limit::{ApiRateLimiter, rate_limit};
use crate::routes::fallback::{RouteTable, fallback};
use crate::state::AppState;

/// Connects to the database, applies migrations and loads the master key.
pub async fn prepare_core(config: &Config) -> anyhow::Result<Core> {
    Ok(prepare(config).await?.0)
}

/// The master key ring the configuration gives: `GMAC_MASTER_KEY`, or the key file (created
/// with a new key when there is none).
pub fn master_key(config: &Config) -> anyhow::Result<MasterKey> {
    if let Some(encoded) = &config.master_key {
        return MasterKey::from_base64(encoded.expose_secret());
    }
    let path = config.master_key_path();
    let (key, source) = MasterKey::load_or_create(&path)?;
    check_key_file_permissions(&path)?;
    if source == KeySource::Created {
        tracing::warn!(
            path = %path.display(),
            "created a new master key; back this file up: without it, sessions and encrypted secrets cannot be recovered"
        );
    }
    if !config.database_url().starts_with("sqlite:") {
        tracing::warn!(
            "no GMAC_MASTER_KEY is configured: replicas sharing this database must share one key"
        );
    }
    Ok(key)
}

/// [`prepare_core`], with the master key ring it was given.
pub async fn prepare(config: &Config) -> anyhow::Result<(Core, MasterKey)> {
    for key in &config.ignored_env {
        tracing::warn!(variable = %key, "ignoring an environment variable that names no gmac setting");
    }
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
    }
    let pool = gmac_core::db::PoolOptions {
        max_connections: config.db_max_connections,
        ..gmac_core::db::PoolOptions::default()
    };
    let patience = Duration::from_secs(u64::from(config.db_startup_timeout_secs));
    let db = gmac_core::db::connect_with_retry(&url, &pool, patience).await?;
    let keyed_now = gmac_core::db::migrate(&db).await?;

    let key = master_key(config)?;
    let mut core = Core::new(db, Arc::new(SystemClock), &key, auth_settings(config));
    gmac_core::services::key_ring::load(&mut core, &key).await?;
    if keyed_now {
        // Only as the migration that keyed the chain is applied: later, an unkeyed entry is a
        // forgery, never something to re-sign.
        let relinked = gmac_core::audit::relink_legacy(&core.db, &core.audit_keys).await?;
        tracing::info!(
            entries = relinked,
            "re-linked the audit log under the audit key"
        );
    }
    core.public_url = config.public_url();
    core.invoice_issuer.clone_from(&config.invoice_issuer);
    core.import_limits = config.import;
    core.job_retention = chrono::Duration::days(i64::from(config.job_retention_days));
    core.event_retention = chrono::Duration::days(i64::from(config.event_retention_days));
    core.egress = Arc::new(config.egress.policy()?);
    core.cost_explorer = Some(Arc::new(gmac_connectors::aws::SdkCostExplorer::new(
        core.egress.clone(),
    )));
    core.git_hosts = Some(Arc::new(gmac_connectors::git::HttpGitHosts::new(
        core.egress.clone(),
    )?));
    core.containers = Some(Arc::new(
        gmac_connectors::containers::DockerEngine::connect(&config.container_host)?,
    ));
    core.target_probe = Some(Arc::new(gmac_connectors::targets::HttpTargetProbe::new(
        core.egress.clone(),
    )?));
    core.deployer = Some(Arc::new(gmac_connectors::deploy::EngineDeployer::new(
        core.egress.clone(),
    )?));
    core.cluster = Some(Arc::new(gmac_connectors::kubernetes::KubeCluster::new(
        core.egress.clone(),
    )));
    core.domains = Some(Arc::new(gmac_connectors::domains::DnsDomainChecker::new(
        config.dns_resolver.as_deref(),
        core.egress.clone(),
    )?));
    core.builds = gmac_core::BuildOptions {
        registry: config.registry.clone(),
        per_project: config.builds_per_project.max(1),
        network: config.build_network,
        ..gmac_core::BuildOptions::default()
    };
    if let Some(url) = &config.smtp_url {
        let mailer =
            gmac_connectors::mail::SmtpMailer::new(url.expose_secret(), &config.mail_from)?;
        core.mailer = Some(Arc::new(mailer));
    } else {
        tracing::info!(
            "no smtp_url configured: invitation links are shown to the inviter instead of emailed"
        );
    }
    Ok((core, key))
}

/// Token lifetimes from the configuration.
pub fn auth_settings(config: &Config) -> AuthSettings {
    AuthSettings {
        access_token_ttl: chrono::Duration::seconds(i64::from(config.access_token_ttl_secs)),
        refresh_token_ttl: chrono::Duration::seconds(i64::from(config.refresh_token_ttl_secs)),
        session_max_age: chrono::Duration::seconds(i64::from(config.session_max_age_secs)),
        ..AuthSettings::default()
    }
}

/// A bound, not yet running, server.
pub struct Application {
    port: u16,
    server: Server,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Binds `config.bind` and builds the server around `core`.
    pub fn build(core: Core, config: &Config) -> anyhow::Result<Self> {
        let addr = config.bind_addr()?;
        let listener = TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
        Self::with_listener(core, config, listener)
    }

    /// Builds the server on an already bound listener (tests bind port 0).
    pub fn with_listener(
        core: Core,
        config: &Config,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        crate::metrics::init();
        let port = listener.local_addr()?.port();
        let api = crate::openapi::document();
        let wanted = crate::spool::dir(&config.data_dir);
        let (spool, stale) = match crate::spool::Spool::prepare(&wanted) {
            Ok(prepared) => prepared,
            Err(err) => {
                // A read-only data directory (PostgreSQL and a configured key need none).
                let fallback = std::env::temp_dir().join("gmac-spool");
                tracing::warn!(
                    error = %err,
                    dir = %wanted.display(),
                    fallback = %fallback.display(),
                    "cannot spool uploads in the data directory"
                );
                crate::spool::Spool::prepare(&fallback).with_context(|| {
                    format!("preparing the spool directory {}", fallback.display())
                })?
            }
        };
        if stale > 0 {
            tracing::info!(files = stale, "deleted the spool files of an earlier run");
        }
        let state = web::Data::new(AppState {
            spool,
            core,
            cookie_secure: config.cookie_secure,
            allowed_origins: config.cors_allowed_origins.clone(),
            trust_forwarded_for: config.trust_forwarded_for,
            openapi_json: Arc::new(crate::openapi::to_pretty_json(&api)?),
            routes: Arc::new(RouteTable::from_openapi(&api)),
            metrics_token_hash: config.metrics_token.as_ref().map(|t| {
                use secrecy::ExposeSecret as _;
                use sha2::Digest as _;
                sha2::Sha256::digest(t.expose_secret().as_bytes()).into()
            }),
        });
        let limiter = web::Data::new(ApiRateLimiter::new(
            config.rate_limit,
            config.auth_rate_limit,
            config.trust_forwarded_for,
        ));
        spawn_limiter_cleanup(limiter.clone());
        let body_limit = config.body_limit_bytes;
        let origins = config.cors_allowed_origins.clone();

        let mut server = HttpServer::new(move || {
            let json = web::JsonConfig::default()
                .limit(body_limit)
                .error_handler(|err, _| json_error(&err).into());
            let (app, _) = App::new()
                .into_utoipa_app()
                .app_data(state.clone())
                .app_data(limiter.clone())
                .app_data(json)
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(
                    web::PathConfig::default().error_handler(|err, _| path_error(&err).into()),
                )
                .configure(crate::routes::configure)
                .split_for_parts();
            app.route("/api/openapi.json", web::get().to(openapi_json))
                .service(
                    SwaggerUi::new("/api/docs/{_:.*}")
                        .config(utoipa_swagger_ui::Config::from("/api/openapi.json")),
                )
                .default_service(web::to(fallback))
                .wrap(from_fn(crate::middleware::json::json_objects))
                .wrap(from_fn(audit_denials))
                .wrap(from_fn(rate_limit))
                .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
                .wrap(from_fn(request_context))
                .wrap(Compress::default())
                .wrap(TracingLogger::default())
        })
        .listen(listener)
        .with_context(|| "starting the HTTP server")?
        .shutdown_timeout(u64::from(config.shutdown_timeout_secs));
        if config.workers > 0 {
            server = server.workers(config.workers);
        }
        Ok(Self {
            port,
            server: server.run(),
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(state.openapi_json.as_str().to_owned())
}

fn cors(origins: &[String]) -> Cors {
    // Without configured origins nothing cross-origin is allowed (browsers' default).
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            // `respond-async` (RFC 7240): imports and reports sent by a job.
            header::HeaderName::from_static("prefer"),
            header::HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::LOCATION,
            header::ETAG,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("preference-applied"),
        ])
        .supports_credentials()
        .max_age(600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

fn spawn_limiter_cleanup(limiter: web::Data<ApiRateLimiter>) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_mins(1));
            loop {
                tick.tick().await;
                limiter.shrink();
            }
        });
    }
}
