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
    use std::fmt::Write as _;
    if err.status() == Some(401) {
        return anyhow::anyhow!(
            "the token was refused ({}): it may be revoked or expired",
            err.message()
        );
    }
    // A refused field says why on its own line, as a form shows it beside its input.
    let mut text = err.message();
    for field in err
        .problem()
        .map(|p| p.errors.as_slice())
        .unwrap_or_default()
    {
        let _ = write!(text, "\n  {}: {}", field.pointer, field.detail);
    }
    anyhow::anyhow!("{text}")
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

/// One line about a template source and its last sync.
fn source_line(source: &gmac_types::TemplateSource) -> String {
    use std::fmt::Write as _;
    let place = if source.path.is_empty() {
        String::new()
    } else {
        format!(" {}", source.path)
    };
    let mut line = format!(
        "{}  {:<8} {}@{}{}: {}",
        source.id,
        source.status.label(),
        source.url,
        source.git_ref,
        place,
        if source.templates.is_empty() {
            "no templates".to_owned()
        } else {
            source.templates.join(", ")
        }
    );
    if let Some(error) = &source.error {
        let _ = write!(line, "\n  failed: {error}");
    }
    for problem in &source.problems {
        let _ = write!(line, "\n  {} refused: {}", problem.folder, problem.detail);
    }
    line
}

/// Follows a source's sync job to its end; answers the source as it then is.
async fn follow_sync(
    api: &gmac_client::Client,
    source: &gmac_types::TemplateSource,
) -> anyhow::Result<String> {
    if let Some(job) = &source.job_id {
        // The job's own outcome is in the source's line below.
        let _ = jobs(crate::cli::JobsCommand::Watch { id: job.clone() }).await;
    }
    let source = api.get_template_source(&source.id).await.map_err(explain)?;
    let line = source_line(&source);
    if source.status == gmac_types::TemplateSourceStatus::Ready {
        Ok(line)
    } else {
        bail!("{line}")
    }
}

/// `gmac templates …`.
pub async fn templates(command: crate::cli::TemplatesCommand) -> anyhow::Result<String> {
    use crate::cli::TemplatesCommand;
    let credentials = load()?;
    let api = client(&credentials)?;
    match command {
        TemplatesCommand::List => {
            let list = api.list_templates().await.map_err(explain)?;
            Ok(list
                .iter()
                .map(|t| {
                    format!(
                        "{:<24} {:<10} {:<28} {}",
                        t.id,
                        t.category.label(),
                        t.name,
                        t.source
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
        TemplatesCommand::Sources => {
            let list = api
                .list_template_sources(&gmac_types::PageQuery {
                    limit: Some(100),
                    cursor: None,
                })
                .await
                .map_err(explain)?;
            if list.items.is_empty() {
                return Ok("No template sources.".to_owned());
            }
            Ok(list
                .items
                .iter()
                .map(source_line)
                .collect::<Vec<_>>()
                .join("\n"))
        }
        TemplatesCommand::Add {
            url,
            git_ref,
            path,
            connection,
        } => {
            let input = gmac_types::NewTemplateSource {
                url,
                connection_id: connection,
                git_ref,
                path,
            };
            let source = api.create_template_source(&input).await.map_err(explain)?;
            eprintln!("template source {} added, syncing", source.id);
            follow_sync(&api, &source).await
        }
        TemplatesCommand::Sync { id } => {
            let source = api.sync_template_source(&id).await.map_err(explain)?;
            follow_sync(&api, &source).await
        }
    }
}

/// The host key line of `text` (`ssh-keyscan` output, or a `.pub` file): its Ed25519 key when
/// it has one, else its first key.
fn host_key_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    lines
        .iter()
        .find(|l| l.split_whitespace().any(|f| f == "ssh-ed25519"))
        .or_else(|| lines.first())
        .map_or_else(String::new, |l| (*l).to_owned())
}

/// A file's text, or standard input's for `-`.
fn read_file_or_stdin(path: &std::path::Path) -> anyhow::Result<String> {
    use std::io::Read as _;
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// One line about a deploy target and its last test.
fn target_line(target: &gmac_types::Target) -> String {
    let test = target.last_test.as_ref().map_or_else(
        || "not tested".to_owned(),
        |t| {
            format!(
                "{}: {}",
                if t.ok { "answering" } else { "not answering" },
                t.detail
            )
        },
    );
    format!(
        "{}  {:<16} {:<40} {test}",
        target.id, target.name, target.address
    )
}

/// `gmac targets …`.
pub async fn targets(command: crate::cli::TargetsCommand) -> anyhow::Result<String> {
    use crate::cli::TargetsCommand;
    let credentials = load()?;
    let api = client(&credentials)?;
    match command {
        TargetsCommand::List { client } => {
            let page = api
                .list_targets(
                    &gmac_types::TargetQuery { client_id: client },
                    &gmac_types::PageQuery {
                        limit: Some(100),
                        cursor: None,
                    },
                )
                .await
                .map_err(explain)?;
            if page.items.is_empty() {
                return Ok("No deploy targets.".to_owned());
            }
            Ok(page
                .items
                .iter()
                .map(target_line)
                .collect::<Vec<_>>()
                .join("\n"))
        }
        TargetsCommand::Add(args) => {
            let crate::cli::TargetAddArgs {
                name,
                client,
                project,
                address,
                tlscacert,
                tlscert,
                tlskey,
                identity,
                host_key,
                proxy,
                kubeconfig,
                cluster_issuer,
                ingress_class,
                ingress_address,
            } = *args;
            let kubeconfig = kubeconfig
                .map(|path| read_file_or_stdin(&path).map(gmac_types::SecretText::from))
                .transpose()?;
            let tls = match (tlscacert, tlscert, tlskey) {
                (Some(ca), Some(cert), Some(key)) => Some(gmac_types::EngineTls {
                    ca_certificate: read_file_or_stdin(&ca)?,
                    client_certificate: read_file_or_stdin(&cert)?,
                    client_key: read_file_or_stdin(&key)?.into(),
                }),
                _ => None,
            };
            let ssh = match (identity, host_key) {
                (Some(identity), Some(host_key)) => Some(gmac_types::EngineSsh {
                    private_key: read_file_or_stdin(&identity)?.into(),
                    host_key: host_key_line(&read_file_or_stdin(&host_key)?),
                }),
                _ => None,
            };
            let input = gmac_types::NewTarget {
                name,
                client_id: client,
                project_id: project,
                kind: if kubeconfig.is_some() {
                    gmac_types::TargetKind::Kubernetes
                } else {
                    gmac_types::TargetKind::ContainerHost
                },
                address: address.unwrap_or_default(),
                proxy_admin_url: proxy,
                kubeconfig,
                tls,
                ssh,
                cluster_issuer,
                ingress_class,
                ingress_address,
            };
            let target = api.create_target(&input).await.map_err(explain)?;
            Ok(target_line(&target))
        }
        TargetsCommand::Test { id } => {
            let target = api.test_target(&id).await.map_err(explain)?;
            let line = target_line(&target);
            if target.last_test.as_ref().is_some_and(|t| t.ok) {
                Ok(line)
            } else {
                bail!("{line}")
            }
        }
    }
}

/// The environment of `service` named `name`.
async fn environment_of(
    api: &gmac_client::Client,
    service: &str,
    name: &str,
) -> anyhow::Result<gmac_types::Environment> {
    let page = api
        .list_environments(service, &gmac_types::PageQuery::default())
        .await
        .map_err(explain)?;
    let names: Vec<String> = page.items.iter().map(|e| e.name.clone()).collect();
    page.items
        .into_iter()
        .find(|e| e.name == name)
        .with_context(|| format!("the service has no environment {name:?} (it has {names:?})"))
}

/// Follows a rollout's job, then says how its release ended.
async fn follow_rollout(
    api: &gmac_client::Client,
    started: &gmac_types::DeployStarted,
) -> anyhow::Result<String> {
    eprintln!(
        "release #{} of {} is rolling out (job {})",
        started.release.number, started.release.image, started.job.id
    );
    // The job's own outcome is in the release's line below.
    let _ = jobs(crate::cli::JobsCommand::Watch {
        id: started.job.id.clone(),
    })
    .await;
    let releases = api
        .list_releases(
            &started.release.environment_id,
            &gmac_types::PageQuery {
                limit: Some(5),
                cursor: None,
            },
        )
        .await
        .map_err(explain)?;
    let release = releases
        .items
        .into_iter()
        .find(|r| r.id == started.release.id)
        .context("the release is no longer listed")?;
    let line = format!(
        "release #{} {}: {}{}",
        release.number,
        release.status.id(),
        release.image,
        release
            .detail
            .as_ref()
            .map_or_else(String::new, |d| format!("\n{d}"))
    );
    if release.status == gmac_types::ReleaseStatus::Live {
        Ok(line)
    } else {
        bail!("{line}")
    }
}

/// `gmac deploy`.
pub async fn deploy(args: crate::cli::DeployArgs) -> anyhow::Result<String> {
    let credentials = load()?;
    let api = client(&credentials)?;
    let environment = environment_of(&api, &args.service, &args.environment).await?;
    let input = gmac_types::NewDeploy {
        build_id: args.build,
        image: args.image,
    };
    let started = api.deploy(&environment.id, &input).await.map_err(explain)?;
    follow_rollout(&api, &started).await
}

/// Whose variables an `env` command works on.
enum Holder {
    /// One environment's own: its id and its name.
    Environment { id: String, name: String },
    /// Those a service or its project shares.
    Shared(Sharer),
}

/// Who shares variables with environments: a service or a project, by id.
enum Sharer {
    /// The service, with every environment of it.
    Service(String),
    /// The service's project, with every environment of its services.
    Project(String),
}

impl Sharer {
    /// Its variables' place in the API.
    fn owner(&self) -> gmac_client::SharedOwner<'_> {
        match self {
            Self::Service(id) => gmac_client::SharedOwner::Service(id),
            Self::Project(id) => gmac_client::SharedOwner::Project(id),
        }
    }
}

/// One version of a holder's variables, whichever holder.
struct HeldVariables {
    /// 1, 2, … (0: none were ever set).
    version: i64,
    /// The newest version, sent back as `If-Match` with a write.
    latest_version: i64,
    /// Name to value.
    variables: std::collections::BTreeMap<String, String>,
    /// Whether the live release runs an older version (known for an environment only).
    pending: bool,
}

impl From<gmac_types::variables::VariableSet> for HeldVariables {
    fn from(set: gmac_types::variables::VariableSet) -> Self {
        Self {
            version: set.version,
            latest_version: set.latest_version,
            variables: set.variables,
            pending: set.pending,
        }
    }
}

impl From<gmac_types::variables::SharedVariableSet> for HeldVariables {
    fn from(set: gmac_types::variables::SharedVariableSet) -> Self {
        Self {
            version: set.version,
            latest_version: set.latest_version,
            variables: set.variables,
            pending: false,
        }
    }
}

impl Holder {
    /// The environment `at` names or, with --shared or --project, its service or the
    /// service's project.
    async fn of(
        api: &gmac_client::Client,
        at: &crate::cli::EnvironmentArgs,
        whose: crate::cli::SharedArgs,
    ) -> anyhow::Result<Self> {
        if whose.project {
            let service = api.get_service(&at.service).await.map_err(explain)?;
            return Ok(Self::Shared(Sharer::Project(service.project_id)));
        }
        if whose.shared {
            return Ok(Self::Shared(Sharer::Service(at.service.clone())));
        }
        let environment = environment_of(api, &at.service, &at.environment).await?;
        Ok(Self::Environment {
            id: environment.id,
            name: environment.name,
        })
    }

    /// What the messages call its variables.
    fn label(&self) -> String {
        match self {
            Self::Environment { name, .. } => format!("{name} variables"),
            Self::Shared(Sharer::Service(_)) => "the service's shared variables".to_owned(),
            Self::Shared(Sharer::Project(_)) => "the project's shared variables".to_owned(),
        }
    }

    /// What applies a new version.
    fn to_apply(&self) -> &'static str {
        match self {
            Self::Environment { .. } => "deploy to apply it",
            Self::Shared(Sharer::Service(_)) => "deploy each environment to apply it",
            Self::Shared(Sharer::Project(_)) => {
                "deploy each environment of its services to apply it"
            }
        }
    }

    /// The newest version, or `version`.
    async fn get(
        &self,
        api: &gmac_client::Client,
        version: Option<i64>,
    ) -> anyhow::Result<HeldVariables> {
        Ok(match self {
            Self::Environment { id, .. } => api
                .get_variables(id, version)
                .await
                .map_err(explain)?
                .into(),
            Self::Shared(sharer) => api
                .get_shared_variables(sharer.owner(), version)
                .await
                .map_err(explain)?
                .into(),
        })
    }

    /// Writes a new version; `version` is the newest one read (sent as `If-Match`).
    async fn set(
        &self,
        api: &gmac_client::Client,
        variables: &std::collections::BTreeMap<String, String>,
        version: i64,
    ) -> anyhow::Result<HeldVariables> {
        Ok(match self {
            Self::Environment { id, .. } => api
                .set_variables(id, variables, Some(version))
                .await
                .map_err(explain)?
                .into(),
            Self::Shared(sharer) => api
                .set_shared_variables(sharer.owner(), variables, Some(version))
                .await
                .map_err(explain)?
                .into(),
        })
    }

    /// What changed between versions `from` and `to`.
    async fn diff(
        &self,
        api: &gmac_client::Client,
        from: i64,
        to: i64,
    ) -> anyhow::Result<gmac_types::variables::VariablesDiff> {
        let diff = match self {
            Self::Environment { id, .. } => api.diff_variables(id, from, to).await,
            Self::Shared(sharer) => api.diff_shared_variables(sharer.owner(), from, to).await,
        };
        diff.map_err(explain)
    }
}

/// `gmac env`.
pub async fn env(command: crate::cli::EnvCommand) -> anyhow::Result<String> {
    use crate::cli::EnvCommand;
    let credentials = load()?;
    let api = client(&credentials)?;
    match command {
        EnvCommand::List { at, whose, version } => {
            let holder = Holder::of(&api, &at, whose).await?;
            let set = holder.get(&api, version).await?;
            eprintln!(
                "{}, version {} of {}{}",
                holder.label(),
                set.version,
                set.latest_version,
                if set.pending {
                    " (the live release runs an older version: deploy to apply it)"
                } else {
                    ""
                }
            );
            Ok(gmac_types::variables::to_dotenv(&set.variables)
                .trim_end()
                .to_owned())
        }
        EnvCommand::Set {
            at,
            whose,
            pairs,
            unset,
            file,
        } => {
            let holder = Holder::of(&api, &at, whose).await?;
            env_set(&api, &holder, pairs, unset, file).await
        }
        EnvCommand::Diff {
            at,
            whose,
            from,
            to,
        } => {
            let holder = Holder::of(&api, &at, whose).await?;
            env_diff(&api, &holder, from, to).await
        }
    }
}

/// `gmac env set`: one new version with the pairs set and the names removed.
async fn env_set(
    api: &gmac_client::Client,
    holder: &Holder,
    pairs: Vec<String>,
    unset: Vec<String>,
    file: Option<std::path::PathBuf>,
) -> anyhow::Result<String> {
    let current = holder.get(api, None).await?;
    let mut variables = current.variables.clone();
    if let Some(path) = file {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let read = gmac_types::variables::parse_dotenv(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        variables.extend(read);
    }
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .with_context(|| format!("{pair:?} is not NAME=value"))?;
        variables.insert(name.to_owned(), value.to_owned());
    }
    for name in unset {
        variables.remove(&name);
    }
    let saved = holder.set(api, &variables, current.latest_version).await?;
    let changes = gmac_types::variables::diff(&current.variables, &saved.variables);
    let said: Vec<String> = changes
        .iter()
        .map(|c| format!("{} {}", change_word(c.change), c.name))
        .collect();
    Ok(format!(
        "{}: version {} ({}); {}",
        holder.label(),
        saved.version,
        if said.is_empty() {
            "no change".to_owned()
        } else {
            said.join(", ")
        },
        holder.to_apply()
    ))
}

/// `gmac env diff`.
async fn env_diff(
    api: &gmac_client::Client,
    holder: &Holder,
    from: i64,
    to: Option<i64>,
) -> anyhow::Result<String> {
    let to = match to {
        Some(to) => to,
        None => holder.get(api, None).await?.latest_version,
    };
    let diff = holder.diff(api, from, to).await?;
    let mut lines = vec![format!("{}, {from} → {to}", holder.label())];
    for change in diff.changes {
        let line = match change.change {
            gmac_types::variables::VariableChangeKind::Added => {
                format!("+ {}={}", change.name, change.after.unwrap_or_default())
            }
            gmac_types::variables::VariableChangeKind::Removed => {
                format!("- {}={}", change.name, change.before.unwrap_or_default())
            }
            gmac_types::variables::VariableChangeKind::Changed => format!(
                "~ {}: {} → {}",
                change.name,
                change.before.unwrap_or_default(),
                change.after.unwrap_or_default()
            ),
        };
        lines.push(line);
    }
    if lines.len() == 1 {
        lines.push("no change".to_owned());
    }
    Ok(lines.join("\n"))
}

fn change_word(kind: gmac_types::variables::VariableChangeKind) -> &'static str {
    match kind {
        gmac_types::variables::VariableChangeKind::Added => "added",
        gmac_types::variables::VariableChangeKind::Removed => "removed",
        gmac_types::variables::VariableChangeKind::Changed => "changed",
    }
}

/// A secret's value from standard input (one trailing newline dropped), or typed at a
/// terminal without being echoed.
fn secret_value(name: &str) -> anyhow::Result<String> {
    let mut value = String::new();
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        // Typed at a terminal: one line, not echoed.
        crate::backup::read_line_unechoed(&mut value, &format!("Value of {name}: "))
            .context("reading the secret's value")?;
    } else {
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut value)
            .context("reading the secret's value from standard input")?;
    }
    let value = value
        .strip_suffix("\r\n")
        .or_else(|| value.strip_suffix('\n'))
        .unwrap_or(&value)
        .to_owned();
    if value.is_empty() {
        bail!("standard input was empty: give the secret's value there");
    }
    Ok(value)
}

/// `gmac secrets`.
pub async fn secrets(command: crate::cli::SecretsCommand) -> anyhow::Result<String> {
    use crate::cli::SecretsCommand;
    let credentials = load()?;
    let api = client(&credentials)?;
    match command {
        SecretsCommand::List {
            at, project: true, ..
        } => {
            let project = api
                .get_service(&at.service)
                .await
                .map_err(explain)?
                .project_id;
            let secrets = gmac_client::Client::all_pages(|page| {
                let api = &api;
                let id = project.clone();
                async move { api.list_project_secrets(&id, &page).await }
            })
            .await
            .map_err(explain)?;
            if secrets.is_empty() {
                return Ok("the project shares no secrets".to_owned());
            }
            Ok(secret_lines(&secrets))
        }
        SecretsCommand::List {
            at, shared: true, ..
        } => {
            let secrets = gmac_client::Client::all_pages(|page| {
                let api = &api;
                let id = at.service.clone();
                async move { api.list_service_secrets(&id, &page).await }
            })
            .await
            .map_err(explain)?;
            if secrets.is_empty() {
                return Ok("the service shares no secrets".to_owned());
            }
            Ok(secret_lines(&secrets))
        }
        SecretsCommand::List { at, .. } => {
            let environment = environment_of(&api, &at.service, &at.environment).await?;
            let secrets = gmac_client::Client::all_pages(|page| {
                let api = &api;
                let id = environment.id.clone();
                async move { api.list_secrets(&id, &page).await }
            })
            .await
            .map_err(explain)?;
            if secrets.is_empty() {
                return Ok(format!("{} has no secrets", environment.name));
            }
            Ok(secret_lines(&secrets))
        }
        SecretsCommand::Set {
            at,
            name,
            shared,
            project,
        } => {
            let value = &secret_value(&name)?;
            if project {
                let project = api
                    .get_service(&at.service)
                    .await
                    .map_err(explain)?
                    .project_id;
                let info = api
                    .set_project_secret(&project, &name, value)
                    .await
                    .map_err(explain)?;
                return Ok(format!(
                    "the project's shared secret {}: version {}; deploy each environment of its services to apply it",
                    info.name, info.version
                ));
            }
            if shared {
                let info = api
                    .set_service_secret(&at.service, &name, value)
                    .await
                    .map_err(explain)?;
                return Ok(format!(
                    "the service's shared secret {}: version {}; deploy each environment to apply it",
                    info.name, info.version
                ));
            }
            let environment = environment_of(&api, &at.service, &at.environment).await?;
            let info = api
                .set_secret(&environment.id, &name, value)
                .await
                .map_err(explain)?;
            Ok(format!(
                "{} secret {}: version {}; deploy to apply it",
                environment.name, info.name, info.version
            ))
        }
    }
}

/// Secrets, one a line: name, version, when, and whether a deploy has yet to apply it.
fn secret_lines(secrets: &[gmac_types::variables::SecretInfo]) -> String {
    secrets
        .iter()
        .map(|s| {
            format!(
                "{}\tversion {}\t{}{}",
                s.name,
                s.version,
                s.updated_at.format("%Y-%m-%d %H:%M UTC"),
                if s.pending { "\tnot deployed yet" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `gmac rollback`.
pub async fn rollback(args: crate::cli::RollbackArgs) -> anyhow::Result<String> {
    let credentials = load()?;
    let api = client(&credentials)?;
    let environment = environment_of(&api, &args.service, &args.environment).await?;
    let releases = api
        .list_releases(
            &environment.id,
            &gmac_types::PageQuery {
                limit: Some(100),
                cursor: None,
            },
        )
        .await
        .map_err(explain)?
        .items;
    let live = environment.live_release.as_ref().map(|r| r.id.clone());
    let chosen = match &args.to {
        Some(to) => releases
            .iter()
            .find(|r| r.id == *to || r.number.to_string() == to.trim_start_matches('#'))
            .with_context(|| format!("{} has no release {to}", environment.name))?,
        None => releases
            .iter()
            .find(|r| {
                Some(&r.id) != live.as_ref() && r.status == gmac_types::ReleaseStatus::Retired
            })
            .with_context(|| {
                format!(
                    "{} has no earlier release that served: name one with --to",
                    environment.name
                )
            })?,
    };
    let input = gmac_types::NewRollback {
        release_id: chosen.id.clone(),
    };
    let started = api
        .rollback(&environment.id, &input)
        .await
        .map_err(explain)?;
    follow_rollout(&api, &started).await
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
