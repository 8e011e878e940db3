//! The `gmac` command line: the server and its administration.

// Doc comments in this module are clap's help text, printed verbatim: no Markdown.
#![expect(
    clippy::doc_markdown,
    reason = "doc comments here are --help text, shown verbatim"
)]

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use secrecy::ExposeSecret;

use crate::config::{Config, Overrides};
use crate::startup::{Application, prepare_core};

/// gmac: run your company's cloud from one place.
#[derive(Debug, Parser)]
#[command(name = "gmac", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). Default: ./gmac.toml if it exists. Env: GMAC_CONFIG.
    #[arg(long, global = true, env = "GMAC_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the web interface.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DbArgs),
    /// Print the OpenAPI document on stdout.
    Openapi,
    /// Administration from the shell (trusted: it needs the database itself).
    Admin {
        /// What to administer.
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The audit log.
    Audit {
        /// What to do with it.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Store an API token for the commands that talk to a running gmac.
    Login(LoginArgs),
    /// Show who the stored token (or GMAC_TOKEN) signs in as.
    Whoami,
    /// Forget the stored token.
    Logout,
    /// Run job workers only (no API): on PostgreSQL, as many as you like, on any machine.
    Worker(WorkerArgs),
    /// Jobs, on the server `gmac login` signed in to.
    Jobs {
        /// What to do.
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Write a backup while gmac runs: a consistent snapshot of the SQLite database, with the
    /// master key sealed under a passphrase (--key-only: the key alone, for PostgreSQL).
    Backup(BackupArgs),
    /// Bring back a backup written by gmac backup. Stop gmac first.
    Restore(RestoreArgs),
    /// The master key ring: add a new key, rotate to it while gmac serves, see what each
    /// version still seals.
    Keys {
        /// What to do.
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Services, on the server `gmac login` signed in to.
    Services {
        /// What to do.
        #[command(subcommand)]
        command: ServicesCommand,
    },
    /// Templates and the git repositories they are added from, on the server `gmac login`
    /// signed in to.
    Templates {
        /// What to do.
        #[command(subcommand)]
        command: TemplatesCommand,
    },
    /// Deploy targets (container hosts), on the server `gmac login` signed in to.
    Targets {
        /// What to do.
        #[command(subcommand)]
        command: TargetsCommand,
    },
    /// Deploy a build (or an image) of a service to one of its environments and follow the
    /// rollout; exits non-zero unless the release goes live.
    Deploy(DeployArgs),
    /// Roll an environment back to an earlier release (the one before the live one unless
    /// --to names another), without a rebuild; exits non-zero unless it goes live.
    Rollback(RollbackArgs),
    /// An environment's variables (or, with --shared or --project, those its service or its
    /// project shares): list, set (a new version), diff two versions.
    Env {
        /// What to do.
        #[command(subcommand)]
        command: EnvCommand,
    },
    /// An environment's secrets: list their names and versions, set one (its value read from
    /// standard input).
    Secrets {
        /// What to do.
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// Builds of services, on the server `gmac login` signed in to.
    Builds {
        /// What to do.
        #[command(subcommand)]
        command: BuildsCommand,
    },
    /// Cloud costs, on the server `gmac login` signed in to.
    Costs {
        /// What to do.
        #[command(subcommand)]
        command: CostsCommand,
    },
}

/// `gmac worker` flags.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// How many jobs this process runs at once [default: the `job_workers` setting, or 1].
    #[arg(long)]
    pub concurrency: Option<usize>,
    #[command(flatten)]
    pub db: DbArgs,
}

/// `gmac jobs` subcommands.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// The newest jobs you may see.
    List {
        /// Only jobs in this status (queued, running, succeeded, failed, cancelled).
        #[arg(long)]
        status: Option<String>,
        /// Only jobs of this kind.
        #[arg(long)]
        kind: Option<String>,
    },
    /// One job, with its log.
    Show {
        /// The job's id.
        id: String,
    },
    /// Follow a job live until it ends; exits non-zero unless it succeeded.
    Watch {
        /// The job's id.
        id: String,
    },
}

/// `gmac services` subcommands.
#[derive(Debug, Subcommand)]
pub enum ServicesCommand {
    /// The services you may see, by name.
    List {
        /// Only this project's.
        #[arg(long)]
        project: Option<String>,
        /// Only those made from this template.
        #[arg(long)]
        template: Option<String>,
        /// Only those in this status (creating, failed, active, deleting).
        #[arg(long)]
        status: Option<String>,
        /// Only those whose name contains this.
        #[arg(long)]
        search: Option<String>,
    },
    /// Create a service from a template, and follow its creation job until it ends.
    Create(ServiceCreateArgs),
}

/// `gmac templates` subcommands.
#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// The catalog: built-in templates and those added from git repositories.
    List,
    /// The git repositories templates are added from, with their last sync.
    Sources,
    /// Add templates from a git repository and follow its first sync until it ends.
    Add {
        /// The repository's clone URL (http or https).
        url: String,
        /// The branch, tag or commit to read.
        #[arg(long = "ref", default_value = "main")]
        git_ref: String,
        /// The folder holding the templates [default: the repository's root].
        #[arg(long, default_value = "")]
        path: String,
        /// An installation-wide git connection whose token fetches a private repository.
        #[arg(long)]
        connection: Option<String>,
    },
    /// Read a source's repository again, and follow the sync until it ends.
    Sync {
        /// The source's id.
        id: String,
    },
}

/// `gmac deploy` arguments.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The service's id.
    #[arg(long)]
    pub service: String,
    /// The environment: staging or production.
    #[arg(long = "env", default_value = "staging")]
    pub environment: String,
    /// A succeeded build of the service.
    #[arg(long, conflicts_with = "image", required_unless_present = "image")]
    pub build: Option<String>,
    /// An image instead, e.g. 127.0.0.1:5000/acme/web:1.4.
    #[arg(long)]
    pub image: Option<String>,
}

/// `gmac rollback` arguments.
#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// The service's id.
    #[arg(long)]
    pub service: String,
    /// The environment: staging or production.
    #[arg(long = "env", default_value = "production")]
    pub environment: String,
    /// The release to bring back: its number (3) or id; by default the one that served
    /// before the live one.
    #[arg(long = "to")]
    pub to: Option<String>,
}

/// The service and environment an `env` or `secrets` command works on.
#[derive(Debug, clap::Args)]
pub struct EnvironmentArgs {
    /// The service's id.
    #[arg(long)]
    pub service: String,
    /// The environment: staging or production.
    #[arg(long = "env", default_value = "staging")]
    pub environment: String,
}

/// Whose variables an `env` command works on, when not one environment's own.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct SharedArgs {
    /// The variables the service shares with every environment of it (staging, production
    /// and its previews) rather than one environment's (--env is ignored).
    #[arg(long)]
    pub shared: bool,
    /// The variables the service's project shares with every environment of each of its
    /// services (--env is ignored).
    #[arg(long, conflicts_with = "shared")]
    pub project: bool,
}

/// `gmac env` subcommands.
#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// The variables, one `NAME=value` a line (a `.env` file), newest version or --version.
    List {
        #[command(flatten)]
        at: EnvironmentArgs,
        #[command(flatten)]
        whose: SharedArgs,
        /// A version to read.
        #[arg(long)]
        version: Option<i64>,
    },
    /// Sets and removes variables: one new version, applied on the next deploy.
    Set {
        #[command(flatten)]
        at: EnvironmentArgs,
        #[command(flatten)]
        whose: SharedArgs,
        /// `NAME=value` pairs to set.
        pairs: Vec<String>,
        /// Names to remove.
        #[arg(long = "unset")]
        unset: Vec<String>,
        /// A `.env` file whose variables are set too.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// What changed between two versions (--to: the newest by default).
    Diff {
        #[command(flatten)]
        at: EnvironmentArgs,
        #[command(flatten)]
        whose: SharedArgs,
        /// The earlier version (0: none).
        #[arg(long)]
        from: i64,
        /// The later version.
        #[arg(long)]
        to: Option<i64>,
    },
}

/// `gmac secrets` subcommands.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// The secrets' names and versions (never their values).
    List {
        #[command(flatten)]
        at: EnvironmentArgs,
        /// The secrets the service shares with every environment of it (--env is ignored).
        #[arg(long)]
        shared: bool,
        /// The secrets the service's project shares with every environment of its services
        /// (--env is ignored).
        #[arg(long, conflicts_with = "shared")]
        project: bool,
    },
    /// Writes a new version of a secret, its value read from standard input (one trailing
    /// newline dropped), so it is never in the shell's history or the process list.
    Set {
        #[command(flatten)]
        at: EnvironmentArgs,
        /// Its name.
        name: String,
        /// A secret the service shares with every environment of it (staging, production and
        /// its previews) rather than one environment's (--env is ignored).
        #[arg(long)]
        shared: bool,
        /// A secret the service's project shares with every environment of each of its
        /// services (--env is ignored).
        #[arg(long, conflicts_with = "shared")]
        project: bool,
    },
}

/// `gmac targets` subcommands.
#[derive(Debug, Subcommand)]
pub enum TargetsCommand {
    /// The deploy targets you may see, by name.
    List {
        /// Only this client's.
        #[arg(long)]
        client: Option<String>,
    },
    /// Register a container host (`--address`) or a Kubernetes cluster (`--kubeconfig`): its
    /// engine (and proxy) or API server are asked first, nothing is saved unless they answer.
    Add(Box<TargetAddArgs>),
    /// Test a target again; exits non-zero unless it answered.
    Test {
        /// The target's id.
        id: String,
    },
}

/// `gmac targets add` flags.
#[derive(Debug, Args)]
pub struct TargetAddArgs {
    /// A name, unique within the client.
    pub name: String,
    /// The client's id.
    #[arg(long)]
    pub client: String,
    /// Only this project of the client.
    #[arg(long)]
    pub project: Option<String>,
    /// The engine: unix:///path/to.sock, tcp://host:port over TLS (with --tlscacert,
    /// --tlscert and --tlskey, as the docker CLI takes them), or
    /// ssh://user@host[:port][/path/to/engine.sock] over SSH (with --identity and --host-key,
    /// as `podman system connection add` takes them).
    #[arg(
        long,
        required_unless_present = "kubeconfig",
        conflicts_with = "kubeconfig"
    )]
    pub address: Option<String>,
    /// A tcp:// engine's CA certificate file (PEM), which its certificate is checked
    /// against.
    #[arg(long, requires_all = ["tlscert", "tlskey"], conflicts_with = "kubeconfig")]
    pub tlscacert: Option<std::path::PathBuf>,
    /// gmac's client certificate file (PEM) for a tcp:// engine.
    #[arg(long, requires_all = ["tlscacert", "tlskey"], conflicts_with = "kubeconfig")]
    pub tlscert: Option<std::path::PathBuf>,
    /// The client certificate's key file (PEM; `-` reads standard input).
    #[arg(long, requires_all = ["tlscacert", "tlscert"], conflicts_with = "kubeconfig")]
    pub tlskey: Option<std::path::PathBuf>,
    /// gmac's private key file for an ssh:// engine (OpenSSH format, no passphrase; `-`
    /// reads standard input); its public key is in the user's authorized_keys there.
    #[arg(long, requires = "host_key", conflicts_with_all = ["kubeconfig", "tlscacert"])]
    pub identity: Option<std::path::PathBuf>,
    /// The ssh:// host's public key: a file of `ssh-keyscan HOST` output (its Ed25519 line
    /// is taken, else its first) or the host's `ssh_host_*_key.pub`.
    #[arg(long, requires = "identity", conflicts_with_all = ["kubeconfig", "tlscacert"])]
    pub host_key: Option<std::path::PathBuf>,
    /// The Caddy admin API beside it, e.g. http://127.0.0.1:2019.
    #[arg(long, conflicts_with = "kubeconfig")]
    pub proxy: Option<String>,
    /// A cluster's kubeconfig file, its credentials inline (`-` reads standard input).
    #[arg(long)]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// The cluster's cert-manager ClusterIssuer, for its Ingresses' TLS.
    #[arg(long, requires = "kubeconfig")]
    pub cluster_issuer: Option<String>,
    /// The cluster's `IngressClass` for its Ingresses (none: the cluster's default).
    #[arg(long, requires = "kubeconfig")]
    pub ingress_class: Option<String>,
    /// Where its traffic comes in, which custom domains point at: an IP address or a host
    /// name, with :port when HTTPS is not on 443.
    #[arg(long)]
    pub ingress_address: Option<String>,
}

/// `gmac builds` subcommands.
#[derive(Debug, Subcommand)]
pub enum BuildsCommand {
    /// A service's builds, newest first.
    List {
        /// The service's id.
        #[arg(long)]
        service: String,
        /// Only builds for this environment (staging, production).
        #[arg(long)]
        environment: Option<String>,
    },
    /// Build a branch, a tag or a commit of a service, and follow its log until it ends.
    Start {
        /// The service's id.
        #[arg(long)]
        service: String,
        /// The branch, tag or commit.
        #[arg(long = "ref", default_value = "main")]
        git_ref: String,
        /// Build without the layer cache.
        #[arg(long)]
        no_cache: bool,
        /// Return once the build is queued.
        #[arg(long)]
        no_wait: bool,
    },
    /// A build's log; with --follow, live until the build ends (exits non-zero unless it
    /// succeeded).
    Logs {
        /// The build's id.
        id: String,
        /// Follow the log live until the build ends.
        #[arg(long, short)]
        follow: bool,
    },
    /// Run a failed or cancelled build again, and follow it.
    Retry {
        /// The build's id.
        id: String,
        /// Return once the build is queued.
        #[arg(long)]
        no_wait: bool,
    },
}

/// `gmac services create` flags.
#[derive(Debug, Args)]
pub struct ServiceCreateArgs {
    /// The project's id.
    #[arg(long)]
    pub project: String,
    /// The service's name, a DNS label.
    #[arg(long)]
    pub name: String,
    /// The template's id (see GET /api/v1/templates).
    #[arg(long)]
    pub template: String,
    /// A template parameter, `name=value` (repeat it); a value that reads as JSON (a number,
    /// true) is taken as such, anything else as text.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// The git connection's id.
    #[arg(long)]
    pub connection: String,
    /// The repository's owner (account, organisation or folder).
    #[arg(long)]
    pub owner: String,
    /// The repository's name [default: the service's name].
    #[arg(long)]
    pub repo: Option<String>,
    /// Return once the service is accepted, without following its creation.
    #[arg(long)]
    pub no_wait: bool,
}

/// `gmac costs` subcommands.
#[derive(Debug, Subcommand)]
pub enum CostsCommand {
    /// Upload a FOCUS CSV file (optionally .gz), showing progress; prints the import's result.
    Import(CostsImportArgs),
}

/// `gmac costs import` arguments.
#[derive(Debug, Args)]
pub struct CostsImportArgs {
    /// The FOCUS file.
    pub file: std::path::PathBuf,
    /// The id of the client the costs belong to.
    #[arg(long)]
    pub client: String,
    /// Import the valid rows and report the others, instead of refusing the file.
    #[arg(long)]
    pub skip_invalid_rows: bool,
}

/// `gmac login` flags.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The gmac server. Env: GMAC_URL.
    #[arg(long, env = "GMAC_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The API token (gmac_…). Prefer --token-stdin: a flag shows in the process list.
    #[arg(long, conflicts_with = "token_stdin")]
    pub token: Option<String>,
    /// Read the token from the first line of standard input.
    #[arg(long)]
    pub token_stdin: bool,
}

/// `gmac serve` flags; each also reads from a `GMAC_*` variable.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]. Env: GMAC_BIND.
    #[arg(long)]
    pub bind: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
    /// Demo mode: a demo Super Admin (credentials printed) and sample data. Env: GMAC_DEMO.
    #[arg(long)]
    pub demo: bool,
}

/// Database selection.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// sqlite://PATH or postgres://... [default: SQLite under ./gmac-data]. Env: GMAC_DATABASE_URL.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Where a backup's passphrase comes from (never the command line: it would stay in the
/// shell's history and the process list).
#[derive(Debug, Args)]
pub struct PassphraseArgs {
    /// Read the passphrase from the first line of this file.
    #[arg(long, conflicts_with = "passphrase_stdin")]
    pub passphrase_file: Option<PathBuf>,
    /// Read the passphrase from the first line of standard input.
    #[arg(long)]
    pub passphrase_stdin: bool,
}

/// `gmac backup` flags.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to write; never overwritten [default: gmac-backup-<UTC time>.db].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Only the master key: on PostgreSQL, back the database up with pg_dump (see the README).
    #[arg(long)]
    pub key_only: bool,
    /// Write the backup even if the audit log does not verify under the master key.
    #[arg(long)]
    pub allow_unverified: bool,
    #[command(flatten)]
    pub passphrase: PassphraseArgs,
    #[command(flatten)]
    pub db: DbArgs,
}

/// `gmac restore` flags.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file gmac backup wrote.
    pub backup: PathBuf,
    /// Replace an existing database or key file (each is kept beside, renamed *.replaced-<time>).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub passphrase: PassphraseArgs,
    #[command(flatten)]
    pub db: DbArgs,
}

/// `gmac audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain in the database directly; exits 1 when it is broken.
    Verify(DbArgs),
}

/// `gmac keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a new key to the ring, as the version after its newest: written to the key file, or
    /// printed for GMAC_MASTER_KEY when that is how the key is configured. Nothing seals under
    /// it yet: give the ring to every replica, restart them one at a time, then run
    /// `gmac keys rotate`.
    Add(DbArgs),
    /// Make the ring's newest key the one every replica seals and signs with (they switch
    /// within seconds, while serving), then re-wrap every value sealed under an older key.
    /// Run again, it finishes what an interrupted run left.
    Rotate(RotateArgs),
    /// Each key version: whether it is configured, whether it seals now, and how many values
    /// are still sealed under it (a version holding none may be removed from the ring).
    Status(DbArgs),
}

/// `gmac keys rotate` flags.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Seconds between passes, for replicas to switch to the new key [default: 5].
    #[arg(long, default_value_t = 5)]
    pub settle_secs: u64,
    #[command(flatten)]
    pub db: DbArgs,
}

/// `gmac admin` subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account with a built-in role at the global scope.
    CreateUser(CreateUserArgs),
}

/// `gmac admin create-user` flags.
#[derive(Debug, Args)]
pub struct CreateUserArgs {
    /// The login email address.
    #[arg(long)]
    pub email: String,
    /// super_admin, admin, developer, viewer or billing_manager.
    #[arg(long)]
    pub role: String,
    /// The display name [default: the part of the email before @].
    #[arg(long)]
    pub display_name: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Runs the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = cli.config.as_deref();
    // Shell commands that work on the database directly share its settings with `serve`.
    let db_config = |url: Option<String>| {
        Config::load(
            file,
            &Overrides {
                database_url: url,
                ..Overrides::default()
            },
        )
    };
    match cli.command {
        Command::Serve(args) => {
            let overrides = Overrides {
                bind: args.bind,
                database_url: args.db.database_url,
                demo: args.demo,
            };
            serve(Config::load(file, &overrides)?).await
        }
        Command::Migrate(args) => {
            let config = db_config(args.database_url)?;
            crate::telemetry::init(&config.log_level, config.log_format);
            prepare_core(&config).await?;
            say("Migrations applied.")
        }
        Command::Audit {
            command: AuditCommand::Verify(args),
        } => audit_verify(&db_config(args.database_url)?).await,
        Command::Login(args) => {
            say(&crate::remote::login(&args.url, args.token, args.token_stdin).await?)
        }
        Command::Whoami => say(&crate::remote::whoami().await?),
        Command::Logout => say(&crate::remote::logout()?),
        Command::Costs {
            command: CostsCommand::Import(args),
        } => say(&crate::remote::import_costs(&args).await?),
        Command::Worker(args) => {
            let config = db_config(args.db.database_url)?;
            crate::telemetry::init(&config.log_level, config.log_format);
            let core = prepare_core(&config).await?;
            let n = args.concurrency.unwrap_or(config.job_workers).max(1);
            spawn_job_workers(&core, &config, n).await?;
            tracing::info!(workers = n, "gmac worker is running");
            tokio::signal::ctrl_c()
                .await
                .context("waiting for a signal")?;
            Ok(())
        }
        Command::Jobs { command } => say(&crate::remote::jobs(command).await?),
        Command::Services { command } => say(&crate::remote::services(command).await?),
        Command::Builds { command } => say(&crate::remote::builds(command).await?),
        Command::Templates { command } => say(&crate::remote::templates(command).await?),
        Command::Targets { command } => say(&crate::remote::targets(command).await?),
        Command::Deploy(args) => say(&crate::remote::deploy(args).await?),
        Command::Rollback(args) => say(&crate::remote::rollback(args).await?),
        Command::Env { command } => say(&crate::remote::env(command).await?),
        Command::Secrets { command } => say(&crate::remote::secrets(command).await?),
        Command::Backup(args) => {
            let config = db_config(args.db.database_url.clone())?;
            say(&crate::backup::back_up(&config, &args).await?)
        }
        Command::Restore(args) => {
            let config = db_config(args.db.database_url.clone())?;
            say(&crate::backup::restore(&config, &args).await?)
        }
        Command::Keys { command } => {
            let url = match &command {
                KeysCommand::Add(db) | KeysCommand::Status(db) => db.database_url.clone(),
                KeysCommand::Rotate(args) => args.db.database_url.clone(),
            };
            say(&crate::keys::run(&db_config(url)?, &command).await?)
        }
        Command::Openapi => {
            let json = crate::openapi::to_pretty_json(&crate::openapi::document())?;
            std::io::stdout()
                .write_all(json.as_bytes())
                .context("writing the document")
        }
        Command::Admin {
            command: AdminCommand::CreateUser(args),
        } => {
            let config = db_config(args.db.database_url.clone())?;
            create_user(&config, &args).await
        }
    }
}

async fn audit_verify(config: &Config) -> anyhow::Result<()> {
    crate::telemetry::init("warn", config.log_format);
    let core = prepare_core(config).await?;
    let result = gmac_core::audit::verify(&core.db, &core.audit_keys)
        .await
        .map_err(describe)?;
    if result.valid {
        return say(&format!(
            "The audit log is intact: {} entries checked.",
            result.checked
        ));
    }
    let bad = result
        .first_bad
        .map(|b| format!("entry {} ({})", b.seq, b.reason))
        .unwrap_or_default();
    bail!(
        "the audit log is broken at {bad}; {} entries before it are intact",
        result.checked
    )
}

async fn create_user(config: &Config, args: &CreateUserArgs) -> anyhow::Result<()> {
    crate::telemetry::init("warn", config.log_format);
    if !args.password_stdin {
        bail!(
            "pass the password on standard input with --password-stdin (it must not appear in shell history)"
        );
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password")?;
    let password = password.trim_end_matches(['\n', '\r']);
    let core = prepare_core(config).await?;
    let created = gmac_core::services::users::create_user_from_cli(
        &core,
        &args.email,
        args.display_name.as_deref(),
        &args.role,
        password,
    )
    .await
    .map_err(describe)?;
    say(&format!(
        "Created {} ({}) with role {} (global).",
        created.email, created.id, args.role
    ))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    crate::telemetry::init(&config.log_level, config.log_format);
    let core = prepare_core(&config).await?;
    let addr = config.bind_addr()?;
    let url = format!("http://{addr}");

    if config.demo {
        if !addr.ip().is_loopback() {
            tracing::warn!(
                "demo mode on a non-loopback address: anyone who can reach {addr} can sign in as the demo admin"
            );
        }
        let password = config.demo_password.as_ref().map_or_else(
            || gmac_core::auth::tokens::generate_token()[..20].to_owned(),
            |p| p.expose_secret().to_owned(),
        );
        let admin = gmac_core::services::users::ensure_demo_admin(&core, &password)
            .await
            .map_err(describe)?;
        if gmac_core::services::demo::seed(&core, &admin)
            .await
            .map_err(describe)?
        {
            tracing::info!("demo data created: Demo Corp with 90 days of costs");
        }
        say(&format!(
            "\n  gmac demo is running at {url}\n  Sign in as {} with password {password}\n",
            gmac_core::services::users::DEMO_EMAIL
        ))?;
    }
    if let Some(token) = gmac_core::services::setup::issue_setup_token(&core).await? {
        say(&format!(
            "\n  No account exists yet. Open {url}/ and create the first administrator with this\n  one-time setup token (valid 24 hours):\n\n    {token}\n\n  or run: gmac admin create-user --email you@example.com --role super_admin --password-stdin\n"
        ))?;
    }
    if !crate::spa::is_available() {
        tracing::warn!("the web interface is not built (cargo xtask spa); serving the API only");
    }
    if let Err(err) = gmac_core::services::cloud_accounts::fail_interrupted(&core).await {
        tracing::warn!(error = %err, "marking interrupted cost syncs failed");
    }
    spawn_job_workers(&core, &config, config.job_workers).await?;
    let app = Application::build(core, &config)?;
    tracing::info!(%url, "gmac is listening");
    app.run_until_stopped().await.context("serving")?;
    tracing::info!("gmac stopped");
    Ok(())
}

/// Installs gmac's schedules, starts their scheduler (every replica runs one: each slot is
/// enqueued once), the event dispatcher and `n` job workers on this process's runtime.
async fn spawn_job_workers(
    core: &gmac_core::Core,
    config: &Config,
    n: usize,
) -> anyhow::Result<()> {
    gmac_core::platform::schedules::install(core)
        .await
        .map_err(describe)?;
    // Seals and signs under the master key version the database says, switching when a
    // rotation records a new one.
    tokio::spawn(gmac_core::services::key_ring::keep_current(core.clone()));
    tokio::spawn(gmac_core::platform::schedules::run(
        core.clone(),
        config.worker_options().poll,
    ));
    if n > 0 {
        // Hands events to their consumers (budgets checked when costs change); one per
        // consumer at a time across replicas.
        let dispatcher = gmac_core::services::background::dispatcher(core.clone());
        tokio::spawn(dispatcher.run(config.worker_options().poll));
    }
    for _ in 0..n {
        let worker = gmac_core::services::background::worker(core.clone(), config.worker_options());
        tokio::spawn(worker.run());
    }
    Ok(())
}

/// Prints a line for the operator on stdout (not the log: it may carry a one-time secret).
fn say(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").context("writing to stdout")?;
    out.flush().context("writing to stdout")
}

/// Turns a domain error into a message for the shell.
fn describe(err: gmac_core::Error) -> anyhow::Error {
    match err {
        gmac_core::Error::Validation(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|e| format!("  {}: {}", e.pointer.trim_start_matches('/'), e.detail))
                .collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        gmac_core::Error::Internal(source) => source,
        other => anyhow::anyhow!("{other}"),
    }
}
