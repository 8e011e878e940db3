//! Configuration: defaults, then a TOML file, then `GMAC_*` environment variables, then flags.
//!
//! Any key can also come from a file named by `GMAC_<KEY>_FILE` (for container secrets), e.g.
//! `GMAC_MASTER_KEY_FILE=/run/secrets/gmac-master-key`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For people.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Whether the refresh cookie carries `Secure`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CookieSecure {
    /// Secure, except for plain HTTP to a loopback address (local development and demo).
    #[default]
    Auto,
    /// Always Secure.
    Always,
    /// Never Secure (only behind a TLS-terminating proxy that rewrites cookies).
    Never,
}

/// Per-IP request rate limit on the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RateLimit {
    /// Sustained requests per second per IP address.
    pub per_second: u32,
    /// How many requests may come at once before the rate applies.
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_second: 50,
            burst: 200,
        }
    }
}

/// Per-IP limit on the endpoints that take credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AuthRateLimit {
    /// Sustained attempts per minute per IP address.
    pub per_minute: u32,
    /// How many attempts may come at once before the rate applies.
    pub burst: u32,
}

impl Default for AuthRateLimit {
    fn default() -> Self {
        Self {
            per_minute: 30,
            burst: 10,
        }
    }
}

/// Where gmac may connect on a user's behalf (cloud endpoints, later git hosts, webhooks).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Egress {
    /// Internal networks (loopback, link-local, private) gmac may still reach, as CIDR: e.g.
    /// `["10.20.0.0/16"]` for a LAN git host, `["127.0.0.1/32"]` for a local emulator.
    pub allow: Vec<String>,
    /// Whether public addresses are reachable (default `true`); `false` keeps gmac to the
    /// allowed networks, without even looking names up (an air-gapped install).
    pub public: bool,
}

impl Default for Egress {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            public: true,
        }
    }
}

impl Egress {
    /// The policy these settings describe.
    pub fn policy(&self) -> anyhow::Result<gmac_core::egress::EgressPolicy> {
        let policy = gmac_core::egress::EgressPolicy::allowing(&self.allow)?;
        Ok(if self.public {
            policy
        } else {
            policy.without_public()
        })
    }
}

/// Everything `gmac serve` can be told.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub bind: String,
    /// `sqlite://...` or `postgres://...`; defaults to SQLite under `data_dir`.
    pub database_url: Option<SecretString>,
    /// Where embedded data lives: the SQLite database and the master key file.
    pub data_dir: PathBuf,
    /// Base64 of 32 random bytes; defaults to `data_dir/master.key`, created on first start.
    pub master_key: Option<SecretString>,
    /// Demo mode: a demo Super Admin and sample data.
    pub demo: bool,
    /// The demo Super Admin's password; random (and printed) when absent.
    pub demo_password: Option<SecretString>,
    /// `info`, `debug`, or any `tracing` filter such as `gmac=debug,sqlx=warn`.
    pub log_level: String,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// Origins allowed to call the API from a browser with credentials. Empty: same origin only.
    pub cors_allowed_origins: Vec<String>,
    /// Whether the refresh cookie is `Secure`.
    pub cookie_secure: CookieSecure,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Per-IP rate limit on `/api`.
    pub rate_limit: RateLimit,
    /// Per-IP rate limit on sign-in, second factor, setup and invitation acceptance.
    pub auth_rate_limit: AuthRateLimit,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Access-token lifetime in seconds.
    pub access_token_ttl_secs: u32,
    /// Refresh-token idle lifetime in seconds.
    pub refresh_token_ttl_secs: u32,
    /// Absolute session lifetime in seconds.
    pub session_max_age_secs: u32,
    /// The address people use to reach gmac, for links in emails (default: `http://<bind>`).
    pub public_url: Option<String>,
    /// The mail server, e.g. `smtp://relay:25`, `smtp://user:pass@host:587?tls=required` or
    /// `smtps://user:pass@host:465`. Without one, invitation links are shown to the inviter.
    pub smtp_url: Option<SecretString>,
    /// The sender of gmac's emails.
    pub mail_from: String,
    /// Who issues invoices: the name printed on them (e.g. `Acme Ltd, 1 Main St, London`).
    pub invoice_issuer: String,
    /// Database pool size.
    pub db_max_connections: u32,
    /// How long start-up waits for the database, in seconds.
    pub db_startup_timeout_secs: u32,
    /// How long a shutdown waits for in-flight requests, in seconds.
    pub shutdown_timeout_secs: u32,
    /// Worker threads; 0 means one per CPU.
    pub workers: usize,
    /// Job workers `gmac serve` runs beside the API (0: none; then run `gmac worker`).
    pub job_workers: usize,
    /// How long a job's lease lasts without a heartbeat, in milliseconds: a worker that dies
    /// mid-job gives the job up to another after this long. Heartbeats come ten times as often.
    pub job_lease_ms: u64,
    /// How long an idle job worker waits before looking for due jobs again, in milliseconds.
    pub job_poll_ms: u64,
    /// The wait before a failed job's second attempt, in milliseconds; it doubles with each
    /// attempt after (with jitter), up to ten minutes.
    pub job_backoff_ms: u64,
    /// How many days finished jobs, their logs and stored uploads are kept (a daily job
    /// removes older ones).
    pub job_retention_days: u32,
    /// How many days events are kept (the same daily job removes older ones); a stream or
    /// consumer further behind than that starts again from the oldest kept.
    pub event_retention_days: u32,
    /// When set, `/metrics` answers only `Authorization: Bearer <this>` (a Prometheus
    /// `bearer_token`); unset, it is open, for a scraper on a private network.
    pub metrics_token: Option<SecretString>,
    /// Where gmac may connect (`egress.allow`).
    pub egress: Egress,
    /// The container host builds run on, `DOCKER_HOST` style: `unix:///run/podman/podman.sock`
    /// for Podman's Docker-compatible service (default: Docker's local socket).
    pub container_host: String,
    /// The registry built images are pushed to (`host:port`); without one they stay on the
    /// container host.
    pub registry: Option<String>,
    /// The DNS server custom domains are checked through (`ip` or `ip:port`); without one,
    /// the system's (`/etc/resolv.conf`).
    pub dns_resolver: Option<String>,
    /// Builds of one project running at once; more wait, queued.
    pub builds_per_project: u32,
    /// Give a build's `RUN` steps a network (the engine's bridge, to fetch dependencies);
    /// without it (the default) they have none.
    pub build_network: bool,
    /// Bounds on uploaded cost files (`import.max_inflated_bytes`, `.max_compression_ratio`,
    /// `.max_line_bytes`, `.max_field_bytes`).
    pub import: gmac_core::ImportLimits,
    /// `GMAC_*` environment variables that name no setting (other tools share the prefix, so
    /// they are reported, not fatal).
    #[serde(skip)]
    pub ignored_env: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".to_owned(),
            database_url: None,
            data_dir: PathBuf::from("./gmac-data"),
            master_key: None,
            demo: false,
            demo_password: None,
            log_level: "info".to_owned(),
            log_format: LogFormat::Text,
            cors_allowed_origins: Vec::new(),
            cookie_secure: CookieSecure::Auto,
            body_limit_bytes: 1024 * 1024,
            rate_limit: RateLimit::default(),
            auth_rate_limit: AuthRateLimit::default(),
            trust_forwarded_for: false,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 14 * 24 * 3600,
            session_max_age_secs: 30 * 24 * 3600,
            public_url: None,
            smtp_url: None,
            mail_from: "gmac <gmac@localhost>".to_owned(),
            invoice_issuer: "gmac".to_owned(),
            db_max_connections: 10,
            db_startup_timeout_secs: 30,
            shutdown_timeout_secs: 30,
            workers: 0,
            job_workers: 1,
            job_lease_ms: 30_000,
            job_poll_ms: 1000,
            job_backoff_ms: 5000,
            job_retention_days: 30,
            event_retention_days: 30,
            metrics_token: None,
            import: gmac_core::ImportLimits::default(),
            egress: Egress::default(),
            container_host: "unix:///var/run/docker.sock".to_owned(),
            registry: None,
            dns_resolver: None,
            builds_per_project: 2,
            build_network: false,
            ignored_env: Vec::new(),
        }
    }
}

impl Config {
    /// How job workers pace themselves.
    pub fn worker_options(&self) -> gmac_core::platform::worker::WorkerOptions {
        use std::time::Duration;
        let lease = Duration::from_millis(self.job_lease_ms.max(100));
        gmac_core::platform::worker::WorkerOptions {
            lease,
            heartbeat: lease / 10,
            poll: Duration::from_millis(self.job_poll_ms.max(10)),
            backoff_base: Duration::from_millis(self.job_backoff_ms),
            ..gmac_core::platform::worker::WorkerOptions::default()
        }
    }
}

// Never print secrets, even in a debug dump of the configuration.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database", &self.database_url.as_ref().map(|_| "[set]"))
            .field("data_dir", &self.data_dir)
            .field("master_key", &self.master_key.as_ref().map(|_| "[set]"))
            .field("demo", &self.demo)
            .field("log_level", &self.log_level)
            .field("log_format", &self.log_format)
            .field("cors_allowed_origins", &self.cors_allowed_origins)
            .finish_non_exhaustive()
    }
}

/// Settings that are strings whatever they look like.
const STRING_KEYS: [&str; 16] = [
    "container_host",
    "dns_resolver",
    "registry",
    "metrics_token",
    "public_url",
    "smtp_url",
    "mail_from",
    "invoice_issuer",
    "bind",
    "database_url",
    "data_dir",
    "master_key",
    "demo_password",
    "log_level",
    "log_format",
    "cookie_secure",
];

/// Every top-level setting, as named in a file or (upper-cased) after `GMAC_`.
const KNOWN_KEYS: [&str; 40] = [
    "build_network",
    "dns_resolver",
    "container_host",
    "registry",
    "builds_per_project",
    "bind",
    "database_url",
    "data_dir",
    "master_key",
    "demo",
    "demo_password",
    "log_level",
    "log_format",
    "cors_allowed_origins",
    "cookie_secure",
    "body_limit_bytes",
    "rate_limit",
    "auth_rate_limit",
    "trust_forwarded_for",
    "access_token_ttl_secs",
    "refresh_token_ttl_secs",
    "session_max_age_secs",
    "public_url",
    "smtp_url",
    "mail_from",
    "invoice_issuer",
    "db_max_connections",
    "db_startup_timeout_secs",
    "shutdown_timeout_secs",
    "workers",
    "job_workers",
    "job_lease_ms",
    "job_poll_ms",
    "job_backoff_ms",
    "job_retention_days",
    "event_retention_days",
    "metrics_token",
    "import",
    "egress",
    "config",
];

/// A configuration error for people: each bad setting by its key, where it was set (the file,
/// or the `GMAC_*` variable that sets it) and what it expects in words, instead of figment's
/// own text (which names Rust types, such as `(alloc::string::String, ...)`, for settings
/// from the environment).
fn explain(error: figment::Error) -> anyhow::Error {
    use figment::error::Kind;
    let lines: Vec<String> = error
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let variable = format!("GMAC_{}", key.to_uppercase().replace('.', "__"));
            let from = match &e.metadata {
                Some(m) if m.name.starts_with("TOML") => m.source.as_ref().map_or_else(
                    || "in the configuration file".to_owned(),
                    |s| format!("in {s}"),
                ),
                _ => format!("from {variable} or a flag"),
            };
            let what = match &e.kind {
                Kind::InvalidType(found, expected) | Kind::InvalidValue(found, expected) => {
                    format!(
                        "expected {}, found {found}",
                        in_words(expected, &key, &variable)
                    )
                }
                other => other.to_string(),
            };
            if key.is_empty() {
                format!("{what} ({from})")
            } else {
                format!("`{key}` ({from}): {what}")
            }
        })
        .collect();
    anyhow::anyhow!("invalid configuration: {}", lines.join("; "))
}

/// What serde says a setting expects, in words.
fn in_words(expected: &str, key: &str, variable: &str) -> String {
    match expected {
        "usize" | "u64" | "u32" | "u16" | "u8" => "a whole number, not negative".to_owned(),
        "i64" | "i32" => "a whole number".to_owned(),
        "a sequence" => "a list, such as [\"https://a.example\"]".to_owned(),
        "a string" => "text (in quotes in the file)".to_owned(),
        other if other.starts_with("struct ") => {
            format!("a table of settings: `{key}.<name> = ...` in the file, or {variable}__<NAME>")
        }
        other => other.to_owned(),
    }
}

/// Overrides from command-line flags, applied last.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--bind`.
    pub bind: Option<String>,
    /// `--database-url`.
    pub database_url: Option<String>,
    /// `--demo`.
    pub demo: bool,
}

impl Config {
    /// Loads the configuration: `file` (or `gmac.toml` if present), then the environment, then
    /// `overrides`.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        Self::load_from(file, overrides, std::env::vars())
    }

    /// Like [`Config::load`], with the environment given explicitly (for tests).
    pub fn load_from(
        file: Option<&Path>,
        overrides: &Overrides,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        type Vars = Vec<(String, String)>;
        let (env, ignored_env): (Vars, Vars) = env.into_iter().partition(|(key, _)| {
            let Some(name) = key.strip_prefix("GMAC_") else {
                return true;
            };
            let name = name.strip_suffix("_FILE").unwrap_or(name).to_lowercase();
            let top = name.split("__").next().unwrap_or_default();
            KNOWN_KEYS.contains(&top)
        });
        let mut figment = Figment::new();
        match file {
            Some(path) => {
                anyhow::ensure!(
                    path.exists(),
                    "configuration file {} not found",
                    path.display()
                );
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("gmac.toml")),
        }
        for (key, value) in env
            .iter()
            .filter(|(k, _)| k.starts_with("GMAC_") && !k.ends_with("_FILE") && k != "GMAC_CONFIG")
        {
            // GMAC_RATE_LIMIT__BURST=10 sets rate_limit.burst. Values are typed ("true" is a
            // bool, "[a, b]" a list), except for string settings: a digits-only password
            // must stay a string.
            let path = key["GMAC_".len()..].to_lowercase().replace("__", ".");
            if STRING_KEYS.contains(&path.as_str()) {
                figment = figment.merge((path, value.clone()));
            } else {
                let parsed: figment::value::Value = value
                    .parse()
                    .unwrap_or_else(|_| figment::value::Value::from(value.clone()));
                figment = figment.merge((path, parsed));
            }
        }
        for (key, path) in env
            .iter()
            .filter(|(k, _)| k.starts_with("GMAC_") && k.ends_with("_FILE"))
        {
            let name = key["GMAC_".len()..key.len() - "_FILE".len()].to_lowercase();
            let value =
                std::fs::read_to_string(path).with_context(|| format!("reading {key} ({path})"))?;
            figment = figment.merge((name, value.trim_end_matches(['\n', '\r']).to_owned()));
        }
        if let Some(bind) = &overrides.bind {
            figment = figment.merge(("bind", bind));
        }
        if let Some(url) = &overrides.database_url {
            figment = figment.merge(("database_url", url));
        }
        if overrides.demo {
            figment = figment.merge(("demo", true));
        }
        let mut config: Config = figment.extract().map_err(explain)?;
        config.bind_addr()?;
        config.ignored_env = ignored_env.into_iter().map(|(key, _)| key).collect();
        Ok(config)
    }

    /// The address to listen on.
    pub fn bind_addr(&self) -> anyhow::Result<SocketAddr> {
        self.bind
            .parse()
            .with_context(|| format!("bind address {:?} is not HOST:PORT", self.bind))
    }

    /// The database URL, defaulting to SQLite under the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("gmac.db").display()
            ),
        }
    }

    /// The base URL for links in emails.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_owned()
    }

    /// Where the master key file lives when no key is configured.
    pub fn master_key_path(&self) -> PathBuf {
        self.data_dir.join("master.key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bind_locally_and_use_embedded_sqlite() -> anyhow::Result<()> {
        let config = Config::load_from(None, &Overrides::default(), Vec::new())?;
        assert_eq!(config.bind, "127.0.0.1:8080");
        assert!(config.database_url().starts_with("sqlite://"));
        assert!(config.database_url().contains("gmac-data"));
        Ok(())
    }

    #[test]
    fn unknown_gmac_variables_are_reported_not_fatal_but_unknown_file_keys_are()
    -> anyhow::Result<()> {
        let env = vec![
            ("GMAC_REQUIRE_E2E".to_owned(), "1".to_owned()),
            ("GMAC_BIND".to_owned(), "127.0.0.1:9001".to_owned()),
            ("GMAC_RATE_LIMIT__BURST".to_owned(), "7".to_owned()),
        ];
        let config = Config::load_from(None, &Overrides::default(), env)?;
        assert_eq!(config.bind, "127.0.0.1:9001");
        assert_eq!(config.rate_limit.burst, 7);
        assert_eq!(config.ignored_env, ["GMAC_REQUIRE_E2E"]);

        let dir = tempfile::tempdir()?;
        let file = dir.path().join("gmac.toml");
        std::fs::write(&file, "bnid = \"0.0.0.0:9000\"\n")?;
        let typo = Config::load_from(Some(&file), &Overrides::default(), Vec::new());
        assert!(format!("{:#}", typo.err().context("a typo is refused")?).contains("bnid"));
        Ok(())
    }

    #[test]
    fn the_known_keys_are_exactly_the_settings() -> anyhow::Result<()> {
        // serde lists the fields it expects when it meets an unknown one.
        let refused: figment::Result<Config> =
            Figment::new().merge(("no_such_setting", 1)).extract();
        let message = refused
            .err()
            .context("an unknown key is refused")?
            .to_string();
        let (_, listed) = message
            .split_once("one of")
            .context("serde lists the fields")?;
        let mut expected: Vec<&str> = listed
            .split('`')
            .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect();
        let mut known: Vec<&str> = KNOWN_KEYS
            .iter()
            .copied()
            .filter(|k| *k != "config")
            .collect();
        expected.sort_unstable();
        known.sort_unstable();
        assert_eq!(expected, known, "{message}");
        Ok(())
    }

    #[test]
    fn flags_override_the_file() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("gmac.toml");
        std::fs::write(&file, "bind = \"0.0.0.0:9000\"\nlog_level = \"debug\"\n")?;
        let overrides = Overrides {
            bind: Some("127.0.0.1:7000".into()),
            ..Overrides::default()
        };
        let config = Config::load_from(Some(&file), &overrides, Vec::new())?;
        assert_eq!(config.bind, "127.0.0.1:7000");
        assert_eq!(config.log_level, "debug");
        Ok(())
    }

    #[test]
    fn a_secret_can_come_from_a_file() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let secret = dir.path().join("key");
        std::fs::write(&secret, "c2VjcmV0\n")?;
        let env = vec![(
            "GMAC_MASTER_KEY_FILE".to_owned(),
            secret.display().to_string(),
        )];
        let config = Config::load_from(None, &Overrides::default(), env)?;
        assert_eq!(
            config.master_key.map(|k| k.expose_secret().to_owned()),
            Some("c2VjcmV0".into())
        );
        Ok(())
    }

    #[test]
    fn a_bad_setting_is_named_with_where_it_was_set_and_what_it_expects() -> anyhow::Result<()> {
        let message = |env: Vec<(String, String)>| {
            Config::load_from(None, &Overrides::default(), env)
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default()
        };
        let table = message(vec![("GMAC_RATE_LIMIT".to_owned(), "5".to_owned())]);
        assert!(
            table.contains("`rate_limit` (from GMAC_RATE_LIMIT"),
            "{table}"
        );
        assert!(table.contains("GMAC_RATE_LIMIT__<NAME>"), "{table}");
        let number = message(vec![("GMAC_BODY_LIMIT_BYTES".to_owned(), "abc".to_owned())]);
        assert!(number.contains("expected a whole number"), "{number}");
        assert!(number.contains("\"abc\""), "{number}");
        for text in [table, number] {
            assert!(!text.contains("alloc::"), "no Rust type names: {text}");
        }
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("gmac.toml");
        std::fs::write(&file, "demo = \"maybe\"\n")?;
        let from_file = Config::load_from(Some(&file), &Overrides::default(), Vec::new())
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(from_file.contains("`demo` (in "), "{from_file}");
        assert!(from_file.contains("gmac.toml"), "{from_file}");
        Ok(())
    }

    #[test]
    fn unknown_keys_and_bad_addresses_are_refused() {
        let dir = tempfile::tempdir().ok();
        let file = dir.as_ref().map(|d| d.path().join("gmac.toml"));
        if let Some(file) = &file {
            std::fs::write(file, "bnid = \"x\"\n").ok();
        }
        assert!(Config::load_from(file.as_deref(), &Overrides::default(), Vec::new()).is_err());
        let bad = Overrides {
            bind: Some("nowhere".into()),
            ..Overrides::default()
        };
        assert!(Config::load_from(None, &bad, Vec::new()).is_err());
    }

    #[test]
    fn environment_values_are_typed_like_the_file() -> anyhow::Result<()> {
        let env = vec![
            ("GMAC_DEMO".to_owned(), "true".to_owned()),
            (
                "GMAC_DEMO_PASSWORD".to_owned(),
                "123456789012345".to_owned(),
            ),
            ("GMAC_RATE_LIMIT__BURST".to_owned(), "7".to_owned()),
            (
                "GMAC_CORS_ALLOWED_ORIGINS".to_owned(),
                "[\"https://a.example\", \"https://b.example\"]".to_owned(),
            ),
            (
                "GMAC_DATABASE_URL".to_owned(),
                "postgres://u:p@db:5432/gmac".to_owned(),
            ),
        ];
        let config = Config::load_from(None, &Overrides::default(), env)?;
        assert!(config.demo);
        assert_eq!(
            config
                .demo_password
                .as_ref()
                .map(|p| p.expose_secret().to_owned()),
            Some("123456789012345".into())
        );
        assert_eq!(config.rate_limit.burst, 7);
        assert_eq!(
            config.rate_limit.per_second,
            RateLimit::default().per_second
        );
        assert_eq!(
            config.cors_allowed_origins,
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(config.database_url(), "postgres://u:p@db:5432/gmac");
        Ok(())
    }

    #[test]
    fn debug_output_hides_secrets() -> anyhow::Result<()> {
        let env = vec![("GMAC_MASTER_KEY".to_owned(), "top-secret-value".to_owned())];
        let config = Config::load_from(None, &Overrides::default(), env)?;
        assert!(!format!("{config:?}").contains("top-secret-value"));
        Ok(())
    }
}
