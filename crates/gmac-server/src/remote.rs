//! Command-line commands that talk to a running gmac over its REST API, with a stored API
//! token (`gmac login --token`), through the same typed client as the SPA and the tests.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// Where `gmac login` keeps the URL and token: `$GMAC_CREDENTIALS`, else
/// `$XDG_CONFIG_HOME/gmac/credentials.json`, else `~/.config/gmac/credentials.json`.
pub fn credentials_path() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("GMAC_CREDENTIALS") {
        return Ok(PathBuf::from(path));
    }
    let base = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".config"),
    };
    Ok(base.join("gmac/credentials.json"))
}

/// A stored sign-in.
#[derive(Clone, Serialize, Deserialize)]
struct Credentials {
    url: String,
    token: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

fn save(credentials: &Credentials) -> anyhow::Result<PathBuf> {
    let path = credentials_path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let json = serde_json::to_string_pretty(credentials)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        file.write_all(json.as_bytes())?;
    }
    #[cfg(not(unix))]
    std::fs::write(&path, json)?;
    Ok(path)
}

fn load() -> anyhow::Result<Credentials> {
    // The environment wins, so scripts need no file.
    if let Ok(token) = std::env::var("GMAC_TOKEN") {
        let url = std::env::var("GMAC_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned());
        return Ok(Credentials { url, token });
    }
    let path = credentials_path()?;
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "not signed in ({} not found): run `gmac login --token …`",
            path.display()
        )
    })?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a credentials file", path.display()))
}

fn client(credentials: &Credentials) -> anyhow::Result<gmac_client::Client> {
    Ok(gmac_client::Client::new(&credentials.url)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_token(credentials.token.clone()))
}

#[expect(clippy::needless_pass_by_value, reason = "used as a map_err callback")]
fn explain(err: gmac_client::ApiError) -> anyhow::Error {
    match err.status() {
        Some(401) => anyhow::anyhow!(
            "the token was refused ({}): it may be revoked or expired",
            err.message()
        ),
        _ => anyhow::anyhow!("{}", err.message()),
    }
}

fn describe(me: &gmac_types::Me) -> String {
    let roles: Vec<String> = me
        .roles
        .iter()
        .map(|g| {
            let scope = match &g.scope {
                gmac_types::Scope::Global => "global".to_owned(),
                gmac_types::Scope::Client { id } => format!("client {id}"),
                gmac_types::Scope::Project { id } => format!("project {id}"),
            };
            format!("{} ({scope})", g.role)
        })
        .collect();
    let permissions: Vec<&str> = me.permissions.iter().map(|p| p.id()).collect();
    format!(
        "{} <{}>\n  id:          {}\n  via:         {:?}\n  roles:       {}\n  permissions: {}",
        me.display_name,
        me.email,
        me.id,
        me.authenticated_via,
        if roles.is_empty() {
            "none".to_owned()
        } else {
            roles.join(", ")
        },
        if permissions.is_empty() {
            "none".to_owned()
        } else {
            permissions.join(", ")
        },
    )
}

/// `gmac login --token`: checks the token against the server, then stores it.
pub async fn login(url: &str, token: Option<String>, token_stdin: bool) -> anyhow::Result<String> {
    let token = match (token, token_stdin) {
        (Some(token), false) => token,
        (None, true) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the token")?;
            line.trim().to_owned()
        }
        _ => bail!("give the token with --token TOKEN or on standard input with --token-stdin"),
    };
    if !token.starts_with(gmac_core::services::tokens::PREFIX) {
        bail!(
            "that is not a gmac API token (they start with gmac_); create one under Security → API tokens"
        );
    }
    let credentials = Credentials {
        url: url.trim_end_matches('/').to_owned(),
        token,
    };
    let me = client(&credentials)?.me().await.map_err(explain)?;
    let path = save(&credentials)?;
    Ok(format!(
        "Signed in to {} as {}\nCredentials saved to {}",
        credentials.url,
        describe(&me),
        path.display()
    ))
}

/// `gmac whoami`.
pub async fn whoami() -> anyhow::Result<String> {
    let credentials = load()?;
    let me = client(&credentials)?.me().await.map_err(explain)?;
    Ok(format!(
        "{}\n  server:      {}",
        describe(&me),
        credentials.url
    ))
}

/// `gmac logout`: forgets the stored token (it stays valid until revoked or expired).
pub fn logout() -> anyhow::Result<String> {
    let path = credentials_path()?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(format!(
            "Removed {}. The token itself stays valid until you revoke it.",
            path.display()
        )),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok("Not signed in.".to_owned()),
        Err(err) => Err(err).with_context(|| format!("removing {}", path.display())),
    }
}

/// `gmac costs import FILE --client ID`: streams the file to the server with a progress bar
/// on standard error, and describes the result.
pub async fn import_costs(args: &crate::cli::CostsImportArgs) -> anyhow::Result<String> {
    use std::fmt::Write as _;

    use futures_util::StreamExt;
    use tokio::io::AsyncReadExt;

    let credentials = load()?;
    let file = tokio::fs::File::open(&args.file)
        .await
        .with_context(|| format!("opening {}", args.file.display()))?;
    let size = file.metadata().await?.len();
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let progress = Progress::new(size);
    let chunks = futures_util::stream::unfold(
        (file, progress, vec![0u8; 1 << 16]),
        |(mut file, mut progress, mut buf)| async move {
            match file.read(&mut buf).await {
                Ok(0) => {
                    progress.finish();
                    None
                }
                Ok(n) => {
                    progress.advance(n as u64);
                    let chunk = buf[..n].to_vec();
                    Some((Ok::<_, std::io::Error>(chunk), (file, progress, buf)))
                }
                Err(err) => Some((Err(err), (file, progress, buf))),
            }
        },
    )
    .boxed();
    let params = gmac_types::CostImportParams {
        client_id: args.client.clone(),
        on_error: if args.skip_invalid_rows {
            gmac_types::OnRowError::Skip
        } else {
            gmac_types::OnRowError::Reject
        },
        file_name: name,
    };
    let (import, created) = client(&credentials)?
        .import_costs(&params, reqwest::Body::wrap_stream(chunks))
        .await
        .map_err(|err| match err.problem() {
            Some(problem) if !problem.errors.is_empty() => {
                let lines: Vec<String> = problem
                    .errors
                    .iter()
                    .map(|e| format!("  {}", e.detail))
                    .collect();
                anyhow::anyhow!("{}\n{}", err.message(), lines.join("\n"))
            }
            _ => explain(err),
        })?;
    let mut out = if created {
        format!(
            "Imported {} rows (FOCUS {}) into client {}: billed {} {}, effective {} {}, {} to {}.",
            import.rows_imported,
            import.focus_version,
            import.client_id,
            import.billed_cost_total,
            import.currency,
            import.effective_cost_total,
            import.currency,
            import.first_day.map(|d| d.to_string()).unwrap_or_default(),
            import.last_day.map(|d| d.to_string()).unwrap_or_default(),
        )
    } else {
        format!(
            "This file was already imported (import {}); nothing changed.",
            import.id
        )
    };
    if import.rows_rejected > 0 {
        let _ = write!(out, "\n{} rows were skipped:", import.rows_rejected);
        for e in &import.errors {
            let _ = write!(out, "\n  line {}: {}", e.line, e.reason);
        }
    }
    Ok(out)
}

/// `12.3 MiB`, without floating point.
pub(crate) fn mebibytes(bytes: u64) -> String {
    format!("{}.{} MiB", bytes >> 20, ((bytes & 0xF_FFFF) * 10) >> 20)
}

/// A one-line progress bar on standard error, redrawn at most every percent.
struct Progress {
    total: u64,
    done: u64,
    shown: Option<u64>,
    started: std::time::Instant,
}

impl Progress {
    fn new(total: u64) -> Self {
        Self {
            total,
            done: 0,
            shown: None,
            started: std::time::Instant::now(),
        }
    }

    fn advance(&mut self, by: u64) {
        self.done += by;
        let percent = (self.done * 100).checked_div(self.total).unwrap_or(100);
        if self.shown != Some(percent) {
            self.shown = Some(percent);
            let filled = usize::try_from(percent / 4).unwrap_or(25);
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\rUploading [{}{}] {percent:>3}%  {}",
                "#".repeat(filled),
                " ".repeat(25 - filled.min(25)),
                mebibytes(self.done)
            );
            let _ = err.flush();
        }
    }

    fn finish(&mut self) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "\rUploaded {} in {} ms; importing…{}",
            mebibytes(self.done),
            self.started.elapsed().as_millis(),
            " ".repeat(20)
        );
    }
}

/// `gmac jobs list|show|watch`.
pub async fn jobs(command: crate::cli::JobsCommand) -> anyhow::Result<String> {
    use std::fmt::Write as _;

    use crate::cli::JobsCommand;
    let credentials = load()?;
    let api = client(&credentials)?;
    let line = |job: &gmac_types::Job| {
        let total = job
            .progress
            .total
            .map(|t| format!("/{t}"))
            .unwrap_or_default();
        format!(
            "{}  {:<12} {:<10} {}{}  {}",
            job.id,
            job.kind,
            job.status.as_str(),
            job.progress.done,
            total,
            job.progress.message.as_deref().unwrap_or("")
        )
    };
    match command {
        JobsCommand::List { status, kind } => {
            let status = match status.as_deref() {
                None => None,
                Some(text) => Some(gmac_types::JobStatus::parse(text).with_context(|| {
                    format!(
                        "unknown status {text:?} (queued, running, succeeded, failed, cancelled)"
                    )
                })?),
            };
            let query = gmac_types::JobQuery {
                kind,
                status,
                client_id: None,
            };
            let page = api
                .list_jobs(&query, &gmac_types::PageQuery::default())
                .await
                .map_err(explain)?;
            if page.items.is_empty() {
                return Ok("No jobs.".to_owned());
            }
            Ok(page.items.iter().map(line).collect::<Vec<_>>().join("\n"))
        }
        JobsCommand::Show { id } => {
            let job = api.get_job(&id).await.map_err(explain)?;
            let mut out = line(&job);
            let _ = write!(
                out,
                "\n  attempts: {} of {}",
                job.attempts, job.max_attempts
            );
            for step in &job.steps {
                let _ = write!(out, "\n  step {}: {}", step.name, step.status);
            }
            if let Some(result) = &job.result {
                let _ = write!(out, "\n  result: {result}");
            }
            if let Some(error) = &job.error {
                let _ = write!(out, "\n  error: {error}");
            }
            for l in api.job_log(&id, 0).await.map_err(explain)?.items {
                let _ = write!(out, "\n  {} {}", l.at.format("%H:%M:%S"), l.line);
            }
            Ok(out)
        }
        JobsCommand::Watch { id } => {
            let mut after = 0;
            let mut shown = String::new();
            loop {
                let job = api.get_job(&id).await.map_err(explain)?;
                for l in api.job_log(&id, after).await.map_err(explain)?.items {
                    after = l.seq;
                    eprintln!("{} {}", l.at.format("%H:%M:%S"), l.line);
                }
                let now = line(&job);
                if now != shown {
                    eprintln!("{now}");
                    shown = now;
                }
                if job.status.is_finished() {
                    if job.status == gmac_types::JobStatus::Succeeded {
                        return Ok(line(&job));
                    }
                    bail!(
                        "the job ended {}: {}",
                        job.status.as_str(),
                        job.error.as_deref().unwrap_or("no reason given")
                    );
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
    }
}

/// `gmac services …`.
pub async fn services(command: crate::cli::ServicesCommand) -> anyhow::Result<String> {
    use crate::cli::ServicesCommand;
    let credentials = load()?;
    let api = client(&credentials)?;
    match command {
        ServicesCommand::List {
            project,
            template,
            status,
            search,
        } => {
            let status = match status.as_deref() {
                None => None,
                Some(text) => {
                    Some(gmac_types::ServiceStatus::from_id(text).with_context(|| {
                        format!("unknown status {text:?} (creating, failed, active, deleting)")
                    })?)
                }
            };
            let query = gmac_types::ServiceQuery {
                project_id: project,
                template,
                status,
                q: search,
                ..gmac_types::ServiceQuery::default()
            };
            let services = gmac_client::Client::all_pages(|page| {
                let (api, query) = (&api, &query);
                async move { api.list_services(query, &page).await }
            })
            .await
            .map_err(explain)?;
            if services.is_empty() {
                return Ok("No services.".to_owned());
            }
            Ok(services
                .iter()
                .map(|s| {
                    format!(
                        "{}  {:<24} {:<12} {:<9} {}/{}",
                        s.id,
                        s.name,
                        s.template,
                        s.status.id(),
                        s.repository.owner,
                        s.repository.name
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
        ServicesCommand::Create(args) => {
            let parameters = parse_params(&args.params)?;
            let input = gmac_types::NewService {
                project_id: args.project,
                git: gmac_types::NewServiceRepository {
                    connection_id: args.connection,
                    owner: args.owner,
                    name: args.repo.unwrap_or_else(|| args.name.clone()),
                },
                name: args.name,
                template: args.template,
                parameters,
                description: None,
                owner_team_id: None,
            };
            let created = api.create_service(&input).await.map_err(explain)?;
            let summary = format!(
                "Service {} ({}), creation job {}",
                created.service.name, created.service.id, created.job.id
            );
            if args.no_wait {
                return Ok(summary);
            }
            eprintln!("{summary}");
            jobs(crate::cli::JobsCommand::Watch {
                id: created.job.id.clone(),
            })
            .await?;
            let service = api
                .get_service(&created.service.id)
                .await
                .map_err(explain)?;
            Ok(format!(
                "{} is {}: {}",
                service.name,
                service.status.id(),
                service.repository.clone_url.as_deref().unwrap_or("")
            ))
        }
    }
}

/// One line about a build.
fn build_line(build: &gmac_types::Build) -> String {
    let took = build
        .duration_ms
        .map(|ms| {
            format!(
                " in {:.1} s",
                Duration::from_millis(u64::try_from(ms).unwrap_or(0)).as_secs_f64()
            )
        })
        .unwrap_or_default();
    format!(
        "{}  #{:<4} {:<10} {:<12} {:<10} {}{}{}",
        build.id,
        build.number,
        build.status.id(),
        build.git_ref,
        build
            .commit
            .as_deref()
            .map_or("", |c| &c[..c.len().min(10)]),
        build.trigger.id(),
        took,
        build
            .error
            .as_deref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default()
    )
}

/// Follows a build's log live (server-sent events) until it ends; answers the build as it
/// ended, or fails unless it succeeded.
async fn follow_build(api: &gmac_client::Client, id: &str) -> anyhow::Result<String> {
    let mut after = None;
    loop {
        let mut events = api.follow_build_log(id, after).await.map_err(explain)?;
        while let Some(event) = events.next().await {
            let Ok(event) = event else { break };
            match event.event.as_str() {
                "log" => {
                    if let Ok(line) = serde_json::from_str::<gmac_types::JobLogLine>(&event.data) {
                        after = Some(line.seq);
                        eprintln!("{} {}", line.at.format("%H:%M:%S"), line.line);
                    }
                }
                "end" => {
                    let build = api.get_build(id).await.map_err(explain)?;
                    if build.status == gmac_types::BuildStatus::Succeeded {
                        return Ok(build_line(&build));
                    }
                    bail!("{}", build_line(&build));
                }
                _ => {}
            }
        }
        // The stream was cut: resume after the last line shown.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// `gmac builds …`.
pub async fn builds(command: crate::cli::BuildsCommand) -> anyhow::Result<String> {
    use crate::cli::BuildsCommand;
    let credentials = load()?;
    let api = client(&credentials)?;
    match command {
        BuildsCommand::List {
            service,
            environment,
        } => {
            let page = api
                .list_builds(
                    &service,
                    environment.as_deref(),
                    &gmac_types::PageQuery {
                        limit: Some(50),
                        cursor: None,
                    },
                )
                .await
                .map_err(explain)?;
            if page.items.is_empty() {
                return Ok("No builds.".to_owned());
            }
            Ok(page
                .items
                .iter()
                .map(build_line)
                .collect::<Vec<_>>()
                .join("\n"))
        }
        BuildsCommand::Start {
            service,
            git_ref,
            no_cache,
            no_wait,
        } => {
            let input = gmac_types::NewBuild {
                git_ref,
                cache: no_cache.then_some(false),
            };
            let build = api.start_build(&service, &input).await.map_err(explain)?;
            if no_wait {
                return Ok(build_line(&build));
            }
            eprintln!("build #{} ({}) queued", build.number, build.id);
            follow_build(&api, &build.id).await
        }
        BuildsCommand::Logs { id, follow } => {
            if follow {
                return follow_build(&api, &id).await;
            }
            let text = api.build_log_text(&id).await.map_err(explain)?;
            Ok(text.trim_end().to_owned())
        }
        BuildsCommand::Retry { id, no_wait } => {
            let build = api.retry_build(&id).await.map_err(explain)?;
            if no_wait {
                return Ok(build_line(&build));
            }
            eprintln!("build #{} queued again", build.number);
            follow_build(&api, &id).await
        }
    }
}

/// `--param NAME=VALUE` pairs: a value that reads as a JSON number or `true`/`false` is taken
/// as such, anything else as text.
fn parse_params(pairs: &[String]) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    let mut parameters = serde_json::Map::new();
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .with_context(|| format!("--param {pair:?} is not NAME=VALUE"))?;
        let value = serde_json::from_str::<serde_json::Value>(value)
            .ok()
            .filter(|v| v.is_number() || v.is_boolean())
            .unwrap_or_else(|| serde_json::Value::String(value.to_owned()));
        parameters.insert(name.to_owned(), value);
    }
    Ok(parameters)
}
