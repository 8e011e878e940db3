//! `gmac backup` and `gmac restore` on the real binary (issue 9, point 6). On SQLite the
//! backup is gmac's online snapshot; on PostgreSQL it is the README's procedure, `pg_dump` for
//! the database and `gmac backup --key-only` for the master key. Either way the restored
//! installation must be the same installation: its accounts, an access token issued before
//! the backup, an MFA secret sealed under the master key, and an audit chain that verifies.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use gmac_core::auth::totp;
use gmac_tests::TestDatabase;
use gmac_types::{
    ListQuery, LoginRequest, LoginResponse, MfaVerification, NewClient, SetupRequest,
};

use crate::process::{Server, command};

const PASSPHRASE: &str = "the passphrase of the safe\n";
const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";

/// Runs `gmac <args>` for the installation in `dir` on `url`, with `stdin` as its input.
fn gmac(dir: &Path, url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = command(dir, url)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "gmac failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Ada's sign-in with her password: a token, or the second step once MFA is on.
async fn sign_in(client: &gmac_client::Client) -> LoginResponse {
    client
        .login(&LoginRequest {
            email: EMAIL.into(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap()
}

fn totp_code(secret: &str, ahead_secs: u64) -> String {
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap() + ahead_secs;
    totp::code_for_base32(secret, now).unwrap()
}

async fn names(client: &gmac_client::Client) -> Vec<String> {
    client
        .list_clients(&ListQuery {
            limit: Some(200),
            ..ListQuery::default()
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.name)
        .collect()
}

fn run(program: &str, args: &[&str]) {
    let status = std::process::Command::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    assert!(status.success(), "{program} {args:?} failed");
}

/// A new, empty PostgreSQL database beside `db`, dropped with the returned guard.
async fn empty_postgres_like(db: &TestDatabase) -> TestDatabase {
    let TestDatabase::Postgres { admin_url, .. } = db else {
        unreachable!("on PostgreSQL")
    };
    let name = format!("gmac_restore_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(admin_url.as_str())
        .await
        .unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    admin.close().await.ok();
    TestDatabase::Postgres {
        admin_url: admin_url.clone(),
        name,
    }
}

#[tokio::test]
async fn a_backup_taken_while_gmac_serves_restores_to_the_same_installation() {
    let old_dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::create().await;
    let url = db.url();
    let server = Server::start(old_dir.path(), &url);
    let setup_token = server.setup_token();
    let client = server.wait_healthy().await;
    client
        .complete_setup(&SetupRequest {
            setup_token: setup_token.into(),
            email: EMAIL.into(),
            password: PASSWORD.into(),
            display_name: "Ada".into(),
        })
        .await
        .unwrap();
    let LoginResponse::Token(login) = sign_in(&client).await else {
        panic!("no MFA yet")
    };
    let ada = client.with_token(login.access_token.expose());
    // An MFA secret, sealed under the master key: only the right key opens it after restore.
    let enrollment = ada.start_totp_enrollment().await.unwrap();
    let secret = enrollment.secret.expose().to_owned();
    ada.confirm_totp_enrollment(&totp_code(&secret, 0))
        .await
        .unwrap();
    for name in ["Kept Corp", "Also Kept"] {
        ada.create_client(&NewClient {
            name: name.into(),
            description: None,
        })
        .await
        .unwrap();
    }

    // Writes go on while the backup is taken: it is online and must not fail or stop them.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = tokio::spawn({
        let (ada, writing) = (ada.clone(), writing.clone());
        async move {
            let mut made = Vec::new();
            while writing.load(Ordering::Relaxed) {
                let name = format!("During {}", made.len());
                ada.create_client(&NewClient {
                    name: name.clone(),
                    description: None,
                })
                .await
                .unwrap();
                made.push(name);
            }
            made
        }
    });
    let backup_file = old_dir.path().join("nightly.db");
    let dump_file = old_dir.path().join("gmac.pgdump");
    let backup_path = backup_file.to_str().unwrap().to_owned();
    let report = {
        let (dir, url, path) = (old_dir.path().to_owned(), url.clone(), backup_path.clone());
        let mut args = vec!["backup", "--passphrase-stdin", "--out"];
        args.push(&path);
        if TestDatabase::on_postgres() {
            // The README's procedure: the database with pg_dump, the key with gmac.
            run("pg_dump", &["-Fc", "-f", dump_file.to_str().unwrap(), &url]);
            args.push("--key-only");
        }
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            succeeded(&gmac(&dir, &url, &args, PASSPHRASE))
        })
        .await
        .unwrap()
    };
    writing.store(false, Ordering::Relaxed);
    let during = writer.await.unwrap();
    assert!(
        report.contains("verifies under this master key"),
        "{report}"
    );
    assert_eq!(
        std::fs::metadata(&backup_file)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600,
        "a backup holds password hashes: it is owner-only"
    );
    // A second backup never overwrites the first.
    let again = gmac(
        old_dir.path(),
        &url,
        &["backup", "--passphrase-stdin", "--out", &backup_path],
        PASSPHRASE,
    );
    assert!(!again.status.success());
    if !TestDatabase::on_postgres() {
        // Restoring over the database gmac is serving is refused, even with --force.
        let over = gmac(
            old_dir.path(),
            &url,
            &["restore", &backup_path, "--passphrase-stdin", "--force"],
            PASSPHRASE,
        );
        assert!(!over.status.success());
        assert!(
            String::from_utf8_lossy(&over.stderr).contains("is in use"),
            "{}",
            String::from_utf8_lossy(&over.stderr)
        );
    }
    ada.create_client(&NewClient {
        name: "After Corp".into(),
        description: None,
    })
    .await
    .unwrap();
    assert_eq!(server.terminate().code(), Some(0));

    // A new machine: another data directory (no key) and another database.
    let new_dir = tempfile::tempdir().unwrap();
    let (new_db, new_url) = if TestDatabase::on_postgres() {
        let fresh = empty_postgres_like(&db).await;
        let fresh_url = fresh.url();
        run(
            "pg_restore",
            &["--no-owner", "-d", &fresh_url, dump_file.to_str().unwrap()],
        );
        (fresh, fresh_url)
    } else {
        let fresh = TestDatabase::Sqlite(tempfile::tempdir().unwrap());
        let fresh_url = fresh.url();
        (fresh, fresh_url)
    };
    // A wrong passphrase restores nothing, and says why.
    let wrong = gmac(
        new_dir.path(),
        &new_url,
        &["restore", &backup_path, "--passphrase-stdin"],
        "not the passphrase at all\n",
    );
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("does not open"));
    let key_file = new_dir.path().join("data/master.key");
    assert!(!key_file.exists());

    let restored = succeeded(&gmac(
        new_dir.path(),
        &new_url,
        &["restore", &backup_path, "--passphrase-stdin"],
        PASSPHRASE,
    ));
    assert!(
        restored.contains("verifies under this master key"),
        "{restored}"
    );
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let server = Server::start(new_dir.path(), &new_url);
    let client = server.wait_healthy().await;
    assert!(!client.setup_status().await.unwrap().setup_required);
    // The access token issued before the backup still signs in: same signing key.
    let ada = client.with_token(login.access_token.expose());
    let restored_names = names(&ada).await;
    for kept in ["Kept Corp", "Also Kept"] {
        assert!(restored_names.iter().any(|n| n == kept), "{kept} is lost");
    }
    assert!(!restored_names.iter().any(|n| n == "After Corp"));
    for name in &restored_names {
        assert!(
            ["Kept Corp", "Also Kept"].contains(&name.as_str()) || during.contains(name),
            "{name} was never created"
        );
    }
    // Signing in again needs the second step, and the restored key opens the sealed secret.
    let LoginResponse::Mfa(challenge) = sign_in(&client).await else {
        panic!("MFA was on when the backup was taken")
    };
    // The next step's code: the one accepted at enrolment may be this step's, and replays fail.
    client
        .complete_mfa(&MfaVerification {
            mfa_token: challenge.mfa_token,
            code: Some(totp_code(&secret, 30).into()),
            recovery_code: None,
        })
        .await
        .unwrap();
    let verification = ada.verify_audit_log().await.unwrap();
    assert!(verification.valid, "{verification:?}");
    assert!(verification.checked > 0);
    assert_eq!(server.terminate().code(), Some(0));
    drop(new_db);
}

/// Types the passphrase at a real terminal (a pseudo-terminal from Python's `pty`) and answers
/// everything the terminal showed.
const TYPE_AT_A_TERMINAL: &str = r#"
import os, pty, select, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "backup", "--passphrase-stdin"])
shown = b""
def read(until):
    global shown
    while until not in shown:
        ready, _, _ = select.select([fd], [], [], 20)
        if not ready:
            return
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            return
        if not chunk:
            return
        shown += chunk
# Type once asked (or after 20 s of silence), then read to the end.
read(b"Passphrase:")
os.write(fd, sys.argv[2].encode() + b"\n")
read(b"\0")
os.waitpid(pid, 0)
sys.stdout.write(shown.decode(errors="replace"))
"#;

#[test]
fn a_passphrase_typed_at_a_terminal_is_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    let passphrase = "correct horse battery staple";
    let output = std::process::Command::new("python3")
        .args(["-c", TYPE_AT_A_TERMINAL])
        .arg(crate::process::gmac_bin())
        .arg(passphrase)
        .env("GMAC_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(
        shown.contains("Passphrase:"),
        "asked at the terminal: {shown}"
    );
    assert!(
        !shown.contains(passphrase),
        "the passphrase showed on the screen: {shown}"
    );
    assert!(
        shown.contains("no master key"),
        "it read the passphrase and went on (here to find no installation): {shown}"
    );
}
