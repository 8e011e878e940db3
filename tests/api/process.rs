//! Smoke tests of the real `gmac` binary: `serve` (and stopping it with SIGTERM), `migrate`,
//! `openapi`, and `admin create-user`. `cargo xtask test` builds the binary first.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use gmac_tests::TestDatabase;
use gmac_types::{LoginRequest, SetupRequest};

/// A script's API token of `session`'s with these scopes, valid for a day.
pub(crate) async fn script_token(
    session: &gmac_tests::Session,
    scopes: Vec<gmac_types::Permission>,
) -> String {
    session
        .client
        .create_token(&gmac_types::NewApiToken {
            name: "script".into(),
            scopes,
            expires_in_days: 1,
            scope: None,
        })
        .await
        .unwrap()
        .token
        .expose()
        .to_owned()
}

/// Runs the `gmac` command line against the server at `address` with an API token, on a
/// thread of its own (the server answers on the calling test's runtime); answers whether it
/// succeeded, its standard output and its standard error.
pub(crate) async fn run_gmac(address: &str, token: &str, args: &[&str]) -> (bool, String, String) {
    run_gmac_with_input(address, token, args, None).await
}

/// [`run_gmac`], with `input` on its standard input.
pub(crate) async fn run_gmac_with_input(
    address: &str,
    token: &str,
    args: &[&str],
    input: Option<&str>,
) -> (bool, String, String) {
    use std::io::Write as _;
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let (address, token) = (address.to_owned(), token.to_owned());
    let input = input.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut child = std::process::Command::new(gmac_bin())
            .args(&args)
            .env("GMAC_URL", &address)
            .env("GMAC_TOKEN", &token)
            .env("GMAC_CREDENTIALS", "/nonexistent/credentials.json")
            .stdin(if input.is_some() {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            })
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin.write_all(text.as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

pub(crate) fn gmac_bin() -> PathBuf {
    if let Ok(path) = std::env::var("GMAC_BIN") {
        return PathBuf::from(path);
    }
    // target/<profile>/deps/api-<hash> → target/<profile>/gmac
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("gmac");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p gmac-server --bin gmac` (cargo xtask test does)",
        bin.display()
    );
    bin
}

/// A `gmac serve` child process; killed if the test fails before stopping it.
pub(crate) struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn command(dir: &std::path::Path, database_url: &str) -> Command {
    let mut cmd = Command::new(gmac_bin());
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GMAC_DATA_DIR", dir.join("data"))
        .env("GMAC_DATABASE_URL", database_url)
        .env("GMAC_LOG_FORMAT", "json");
    cmd
}

impl Server {
    pub(crate) fn start(dir: &std::path::Path, database_url: &str) -> Self {
        Self::start_with(dir, database_url, &[])
    }

    fn start_with(dir: &std::path::Path, database_url: &str, extra: &[&str]) -> Self {
        let port = gmac_tests::loopback::free_port();
        let mut child = command(dir, database_url)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// The one-time setup token the server prints on a fresh database.
    pub(crate) fn setup_token(&self) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_mins(2))
                .expect("gmac printed no setup token");
            let trimmed = line.trim();
            if trimmed.len() == 43
                && trimmed
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return trimmed.to_owned();
            }
        }
    }

    pub(crate) async fn wait_healthy(&self) -> gmac_client::Client {
        let client = gmac_client::Client::new(&self.base).unwrap();
        for _ in 0..600 {
            if client.health().await.is_ok() {
                return client;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("gmac did not become healthy at {}", self.base);
    }

    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("gmac did not stop within 30 s of SIGTERM");
    }
}

/// Signs in over HTTP and returns who the server says we are.
async fn sign_in_and_me(
    client: &gmac_client::Client,
    email: &str,
    password: &str,
) -> gmac_types::Me {
    let login = client
        .login(&LoginRequest {
            email: email.to_owned(),
            password: password.into(),
        })
        .await
        .unwrap()
        .token()
        .unwrap();
    client
        .with_token(login.access_token.expose())
        .me()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_real_binary_serves_the_api_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::create().await;
    let server = Server::start(dir.path(), &db.url());
    let token = server.setup_token();
    let client = server.wait_healthy().await;
    assert!(client.readiness().await.is_ok());

    client
        .complete_setup(&SetupRequest {
            setup_token: token.into(),
            email: "ada@example.com".into(),
            password: "correct horse battery staple".into(),
            display_name: "Ada".into(),
        })
        .await
        .unwrap();
    let me = sign_in_and_me(&client, "ada@example.com", "correct horse battery staple").await;
    assert_eq!(me.roles[0].role, "super_admin");

    let document = client
        .request(reqwest::Method::GET, "/api/openapi.json")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/openapi.json"
    ))
    .unwrap();
    assert!(
        document == committed,
        "the running binary serves a different document"
    );

    if !TestDatabase::on_postgres() {
        // The embedded default keeps its master key beside the database, readable by its owner only.
        let key_file = dir.path().join("data/master.key");
        assert!(key_file.exists());
        assert_eq!(
            std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // So are the database and its write-ahead log: they hold password hashes and sessions.
        let TestDatabase::Sqlite(db_dir) = &db else {
            unreachable!("not on PostgreSQL")
        };
        for name in ["gmac.db", "gmac.db-wal", "gmac.db-shm"] {
            let file = db_dir.path().join(name);
            assert!(file.exists(), "{name} is missing");
            assert_eq!(
                std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
                0o600,
                "{name} is readable by others"
            );
        }
    }

    let status = server.terminate();
    assert_eq!(
        status.code(),
        Some(0),
        "SIGTERM must end gmac with exit code 0"
    );
}

#[tokio::test]
async fn migrate_and_admin_create_user_work_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::create().await;
    let url = db.url();

    let migrate = command(dir.path(), &url).arg("migrate").output().unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let mut create = command(dir.path(), &url)
        .args([
            "admin",
            "create-user",
            "--email",
            "Root@Example.com",
            "--role",
            "super_admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    create
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long shell password\n")
        .unwrap();
    let output = create.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("root@example.com"));

    // A bad role is refused with a message, and nothing is created.
    let bad = command(dir.path(), &url)
        .args([
            "admin",
            "create-user",
            "--email",
            "x@example.com",
            "--role",
            "emperor",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
        .wait_with_output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Unknown role"));

    let server = Server::start(dir.path(), &url);
    let client = server.wait_healthy().await;
    assert!(!client.setup_status().await.unwrap().setup_required);
    let me = sign_in_and_me(&client, "root@example.com", "a long shell password").await;
    assert_eq!(me.email, "root@example.com");
    assert_eq!(server.terminate().code(), Some(0));
}

#[test]
fn gmac_openapi_prints_the_committed_document() {
    let output = Command::new(gmac_bin()).arg("openapi").output().unwrap();
    assert!(output.status.success());
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/openapi.json"
    ))
    .unwrap();
    assert!(
        output.stdout == committed.as_bytes(),
        "gmac openapi differs from openapi/openapi.json"
    );
}

#[tokio::test]
async fn demo_mode_prints_working_credentials_for_the_demo_super_admin() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::create().await;
    let server = Server::start_with(dir.path(), &db.url(), &["--demo"]);
    let credentials = loop {
        let line = server
            .lines
            .recv_timeout(Duration::from_mins(2))
            .expect("demo mode printed no credentials");
        if let Some(rest) = line.trim().strip_prefix("Sign in as ") {
            let (email, password) = rest.split_once(" with password ").unwrap();
            break (email.to_owned(), password.to_owned());
        }
    };
    assert_eq!(credentials.0, "demo@gmac.local");
    let client = server.wait_healthy().await;
    // Demo data means no first-run setup.
    assert!(!client.setup_status().await.unwrap().setup_required);
    let me = sign_in_and_me(&client, &credentials.0, &credentials.1).await;
    assert_eq!(me.roles[0].role, "super_admin");
    assert_eq!(server.terminate().code(), Some(0));
}

#[tokio::test]
async fn gmac_login_with_a_token_then_whoami_shows_the_user() {
    let app = gmac_tests::spawn_app().await;
    let admin = app.super_admin().await;
    let created = admin
        .client
        .create_token(&gmac_types::NewApiToken {
            name: "laptop".into(),
            scopes: vec![gmac_types::Permission::CostsView],
            expires_in_days: 7,
            scope: None,
        })
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials.json");
    let credentials_file = credentials.clone();
    let gmac = move |args: &[&str], stdin: Option<&str>| {
        let mut child = Command::new(gmac_bin())
            .args(args)
            .env("GMAC_CREDENTIALS", &credentials)
            .env_remove("GMAC_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        child.wait_with_output().unwrap()
    };
    let url = app.address.clone();
    let secret = format!("{}\n", created.token.expose());
    let login = tokio::task::spawn_blocking({
        let gmac = gmac.clone();
        let url = url.clone();
        move || gmac(&["login", "--url", &url, "--token-stdin"], Some(&secret))
    })
    .await
    .unwrap();
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );
    assert_eq!(
        std::fs::metadata(&credentials_file)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );

    let whoami = tokio::task::spawn_blocking({
        let gmac = gmac.clone();
        move || gmac(&["whoami"], None)
    })
    .await
    .unwrap();
    let out = String::from_utf8_lossy(&whoami.stdout);
    assert!(
        whoami.status.success(),
        "{}",
        String::from_utf8_lossy(&whoami.stderr)
    );
    assert!(
        out.contains("ada@example.com") && out.contains("ApiToken") && out.contains("costs.view"),
        "{out}"
    );

    admin.client.revoke_token(&created.info.id).await.unwrap();
    let refused = tokio::task::spawn_blocking(move || gmac(&["whoami"], None))
        .await
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("refused"));
}

#[tokio::test]
async fn gmac_audit_verify_checks_the_chain_in_the_database() {
    use sea_orm::ConnectionTrait;
    let app = gmac_tests::spawn_app().await;
    app.super_admin().await;
    let dir = tempfile::tempdir().unwrap();
    let key = app.master_key.clone();
    let run = |url: String, dir: std::path::PathBuf| {
        let key = key.clone();
        move || {
            Command::new(gmac_bin())
                .args(["audit", "verify"])
                .env("GMAC_DATABASE_URL", url)
                .env("GMAC_DATA_DIR", dir)
                .env("GMAC_MASTER_KEY", key)
                .output()
                .unwrap()
        }
    };
    // The chain is keyed: without the server's master key, nothing verifies.
    let stranger = tokio::task::spawn_blocking({
        let url = app.database_url.clone();
        let dir = dir.path().to_owned();
        move || {
            Command::new(gmac_bin())
                .args(["audit", "verify"])
                .env("GMAC_DATABASE_URL", url)
                .env("GMAC_DATA_DIR", dir)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(!stranger.status.success());
    let ok = tokio::task::spawn_blocking(run(app.database_url.clone(), dir.path().into()))
        .await
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let said = String::from_utf8_lossy(&ok.stdout);
    assert!(said.contains(" 2 entries checked"), "{said}");

    app.core
        .db
        .execute_unprepared("DELETE FROM audit_log WHERE seq = 1")
        .await
        .unwrap();
    let broken = tokio::task::spawn_blocking(run(app.database_url.clone(), dir.path().into()))
        .await
        .unwrap();
    let complaint = String::from_utf8_lossy(&broken.stderr);
    assert!(!broken.status.success(), "{complaint}");
    assert!(
        complaint.contains("broken at entry 1 (missing)"),
        "stdout: {}\nstderr: {complaint}",
        String::from_utf8_lossy(&broken.stdout)
    );
}

#[tokio::test]
async fn gmac_costs_import_shows_progress_and_reports_the_totals_on_the_real_focus_sample() {
    let Some(sample) = gmac_tests::focus_sample(gmac_tests::test_name!()) else {
        return;
    };
    imports_with_the_command_line(&sample).await;
}

#[tokio::test]
async fn gmac_costs_import_shows_progress_and_reports_the_totals_on_a_generated_focus_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("focus.csv");
    std::fs::write(&path, gmac_tests::generated_focus()).unwrap();
    imports_with_the_command_line(&path).await;
}

/// `gmac costs import <file>` twice: the first reports the file's own totals, the second
/// that nothing changed.
async fn imports_with_the_command_line(file: &std::path::Path) {
    let rows = gmac_tests::FocusRows::read(&std::fs::read(file).unwrap());
    let app = gmac_tests::spawn_app().await;
    let admin = app.super_admin().await;
    let acme = admin
        .client
        .create_client(&gmac_types::NewClient {
            name: "Acme".into(),
            description: None,
        })
        .await
        .unwrap();
    let token = admin
        .client
        .create_token(&gmac_types::NewApiToken {
            name: "importer".into(),
            scopes: vec![
                gmac_types::Permission::CostsManage,
                gmac_types::Permission::CostsView,
            ],
            expires_in_days: 1,
            scope: None,
        })
        .await
        .unwrap();
    let run = {
        let url = app.address.clone();
        let token = token.token.expose().to_owned();
        let client = acme.id.clone();
        let file = file.to_owned();
        move || {
            Command::new(gmac_bin())
                .args(["costs", "import"])
                .arg(&file)
                .args(["--client", &client])
                .env("GMAC_URL", &url)
                .env("GMAC_TOKEN", &token)
                .output()
                .unwrap()
        }
    };
    let first = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    let said = String::from_utf8_lossy(&first.stdout);
    let progress = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{said}\n{progress}");
    assert!(
        said.contains(&format!("Imported {} rows (FOCUS 1.0)", rows.len())),
        "{said}"
    );
    assert_eq!(
        amount_after(&said, "billed "),
        rows.sum("BilledCost"),
        "{said}"
    );
    assert_eq!(
        amount_after(&said, "effective "),
        rows.sum("EffectiveCost"),
        "{said}"
    );
    assert!(progress.contains("100%"), "{progress}");

    let second = tokio::task::spawn_blocking(run).await.unwrap();
    assert!(second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("already imported"),
        "{}",
        String::from_utf8_lossy(&second.stdout)
    );
}

/// The amount that follows `label` in `text` (`billed 20.52022672899 USD`).
fn amount_after(text: &str, label: &str) -> rust_decimal::Decimal {
    let (_, rest) = text
        .split_once(label)
        .unwrap_or_else(|| panic!("no {label:?} in {text}"));
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

/// A child process killed (SIGKILL) and reaped when dropped.
struct Killed(Child);

impl Killed {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `gmac worker` child process on the test app's database and master key.
fn start_worker(app: &gmac_tests::TestApp, dir: &std::path::Path) -> Killed {
    let child = command(dir, &app.database_url)
        .env("GMAC_MASTER_KEY", &app.master_key)
        .env("GMAC_JOB_LEASE_MS", "3000")
        .env("GMAC_JOB_POLL_MS", "50")
        .arg("worker")
        .stdout(
            std::fs::File::create(
                dir.join(format!("worker-{}.log", gmac_tests::loopback::free_port())),
            )
            .unwrap(),
        )
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Killed(child)
}

/// Prints the workers' logs (a failing test's evidence).
fn print_worker_logs(dir: &std::path::Path) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_name().to_string_lossy().starts_with("worker-") {
            eprintln!(
                "{}",
                std::fs::read_to_string(entry.path()).unwrap_or_default()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_killed_mid_import_leaves_its_job_to_another_worker_that_finishes_it() {
    use gmac_types::JobStatus;
    use sea_orm::{EntityTrait, PaginatorTrait};
    let dir = tempfile::tempdir().unwrap();
    let app = gmac_tests::spawn_app().await;
    let admin = app.super_admin().await;
    let client = admin
        .client
        .create_client(&gmac_types::NewClient {
            name: "Acme".into(),
            description: None,
        })
        .await
        .unwrap();
    // Large enough that the import is still writing when the worker is killed.
    let options = gmac_core::focus_gen::Options {
        last_day: chrono::NaiveDate::from_ymd_opt(2024, 9, 30).unwrap(),
        days: 60,
        rows_per_day: 1000,
        owners: vec!["ada@example.com".into()],
        teams: vec!["Platform".into()],
        seed: 9,
        spike_days_ago: None,
    };
    let mut file = Vec::new();
    let rows = gmac_core::focus_gen::write(&mut file, &options).unwrap();
    let job = admin
        .client
        .import_costs_async(
            &gmac_types::CostImportParams {
                client_id: client.id.clone(),
                ..gmac_types::CostImportParams::default()
            },
            file,
        )
        .await
        .unwrap();
    let mut first = start_worker(&app, dir.path());
    let mut killed = false;
    for _ in 0..1200 {
        let now = admin.client.get_job(&job.id).await.unwrap();
        if now.status == JobStatus::Running && now.progress.done > 0 {
            // SIGKILL: no heartbeat, no clean-up, the staging import left behind.
            first.kill();
            killed = true;
            break;
        }
        assert!(
            !now.status.is_finished(),
            "the job ended before the kill: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if !killed {
        print_worker_logs(dir.path());
    }
    assert!(killed, "the first worker never got into the import");
    let orphaned = admin.client.get_job(&job.id).await.unwrap();
    assert_eq!(orphaned.status, JobStatus::Running);
    assert_eq!(orphaned.attempts, 1);
    let mut second = start_worker(&app, dir.path());
    let mut done = orphaned;
    for _ in 0..1200 {
        done = admin.client.get_job(&job.id).await.unwrap();
        if done.status.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    second.kill();
    if !done.status.is_finished() {
        print_worker_logs(dir.path());
    }
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.attempts, 2);
    assert_eq!(done.result.as_ref().unwrap()["rows_imported"], rows);
    // One import of the file, with every row: the dead worker's staging is gone.
    let imports = admin
        .client
        .list_cost_imports(Some(&client.id), &gmac_types::PageQuery::default())
        .await
        .unwrap();
    assert_eq!(imports.items.len(), 1);
    assert_eq!(imports.items[0].rows_imported, rows);
    let stored = gmac_core::entities::cost_import::Entity::find()
        .count(&app.core.db)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    let lines = gmac_core::entities::cost_line_item::Entity::find()
        .count(&app.core.db)
        .await
        .unwrap();
    assert_eq!(lines, rows);
}
