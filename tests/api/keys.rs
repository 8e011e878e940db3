//! Master key rotation while gmac serves (issue 12, point 5): `gmac keys add`, `rotate` and
//! `status` from the real binary, against a gmac answering writers all along. No secret is
//! lost, the old key is then retired, and the audit entries it signed still verify.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use gmac_core::keys::MasterKey;
use gmac_tests::{Options, Session, TestApp, new_master_key, spawn_app_with};
use gmac_types::{
    GitProvider, LoginRequest, LoginResponse, MfaVerification, NewGitConnection, NewService,
    NewServiceRepository, PageQuery,
};

use super::process::gmac_bin;

const WRITERS: usize = 4;

/// Runs `gmac keys …` (or any shell command on the database) under the ring `ring`.
async fn gmac(app: &TestApp, ring: &str, args: &[&str]) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = tokio::process::Command::new(gmac_bin())
        .args(args)
        .env("GMAC_DATABASE_URL", &app.database_url)
        .env("GMAC_DATA_DIR", dir.path())
        .env("GMAC_MASTER_KEY", ring)
        .env("GMAC_LOG_FORMAT", "json")
        .output()
        .await
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn code(app: &TestApp, secret: &str) -> String {
    let now = u64::try_from(app.core.now().timestamp()).unwrap();
    gmac_core::auth::totp::code_for_base32(secret, now).unwrap()
}

/// A service (whose webhook secret is sealed) reached through a git connection with a token
/// (sealed): its staging environment's id, and its own.
async fn staging(admin: &Session, app: &TestApp) -> (String, String) {
    let client_id = app.fixture(admin).client("Acme").await;
    let project_id = app.fixture(admin).project(&client_id, "Web").await;
    let connection = admin
        .client
        .create_git_connection(&NewGitConnection {
            provider: GitProvider::Git,
            base_url: "http://127.0.0.1:9/git".into(),
            token: Some("git-token-b7e1d0".into()),
            client_id: Some(client_id.clone()),
            name: Some("Remote".into()),
        })
        .await
        .unwrap()
        .id;
    let created = admin
        .client
        .create_service(&NewService {
            project_id,
            name: "docs".into(),
            template: "static-site".into(),
            parameters: serde_json::json!({"title": "Docs"})
                .as_object()
                .cloned()
                .unwrap(),
            git: NewServiceRepository {
                connection_id: connection,
                owner: "acme".into(),
                name: "docs".into(),
            },
            description: None,
            owner_team_id: None,
        })
        .await
        .unwrap();
    admin.client.cancel_job(&created.job.id).await.unwrap();
    let env = admin
        .client
        .list_environments(&created.service.id, &PageQuery::default())
        .await
        .unwrap()
        .items[0]
        .id
        .clone();
    (env, created.service.id)
}

/// Changes the service's settings over and over until told to stop: every other change sets
/// a build secret (sealed in the service's row), the others only its description, which
/// writes the row again without touching what is sealed in it. Answers how many changes.
fn settings_writer(
    admin: &Session,
    service: &str,
    stop: &Arc<AtomicBool>,
) -> tokio::task::JoinHandle<u32> {
    let client = admin.client.clone();
    let (service, stop) = (service.to_owned(), stop.clone());
    tokio::spawn(async move {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) || n < 2 {
            n += 1;
            let patch = if n % 2 == 0 {
                gmac_types::ServicePatch {
                    build: Some(gmac_types::BuildSettingsPatch {
                        secrets: Some(
                            [("BUILD_TOKEN".to_owned(), Some(format!("bt-{n}-5e")))].into(),
                        ),
                        ..gmac_types::BuildSettingsPatch::default()
                    }),
                    ..gmac_types::ServicePatch::default()
                }
            } else {
                gmac_types::ServicePatch {
                    description: Some(format!("change {n}")),
                    ..gmac_types::ServicePatch::default()
                }
            };
            client
                .update_service(&service, &patch, None)
                .await
                .unwrap_or_else(|e| panic!("changing the service #{n} during the rotation: {e}"));
        }
        n
    })
}

/// How many values in the whole database, in any text column of any table, are sealed under
/// `version`: read without gmac's own list of sealed columns, so a column it missed shows.
async fn sealed_anywhere_under(app: &TestApp, version: u32) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.core.db;
    let backend = db.get_database_backend();
    let columns: Vec<(String, String)> = if gmac_tests::TestDatabase::on_postgres() {
        db.query_all_raw(Statement::from_string(
            backend,
            "SELECT table_name AS t, column_name AS c FROM information_schema.columns \
             WHERE table_schema = 'public' AND data_type IN ('text', 'character varying')",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("", "t").unwrap(), r.try_get("", "c").unwrap()))
        .collect()
    } else {
        db.query_all_raw(Statement::from_string(
            backend,
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND (upper(p.type) IN ('TEXT', 'VARCHAR') OR upper(p.type) LIKE 'VARCHAR(%')",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("", "t").unwrap(), r.try_get("", "c").unwrap()))
        .collect()
    };
    assert!(columns.len() > 50, "the columns were listed: {columns:?}");
    let mut total = 0;
    for (table, column) in columns {
        let row = db
            .query_one_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT COUNT(*) AS n FROM \"{table}\" WHERE \"{column}\" LIKE '%gmac1.{version}.%'"
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        total += row.try_get::<i64>("", "n").unwrap();
    }
    total
}

/// Sets secrets `NAME_<writer>` over and over until told to stop; the last value each writer
/// was told was stored.
fn writers(
    admin: &Session,
    env: &str,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<(String, String, u32)>> {
    (0..WRITERS)
        .map(|w| {
            let client = admin.client.clone();
            let (env, stop) = (env.to_owned(), stop.clone());
            tokio::spawn(async move {
                let name = format!("NAME_{w}");
                let mut last = (String::new(), 0);
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) || n == 0 {
                    n += 1;
                    let value = format!("value-{w}-{n}-9d2c");
                    let info = client
                        .set_secret(&env, &name, &value)
                        .await
                        .unwrap_or_else(|e| panic!("writing {name} #{n} during the rotation: {e}"));
                    last = (value, u32::try_from(info.version).unwrap());
                }
                (name, last.0, last.1)
            })
        })
        .collect()
}

/// Signs in with the password and a code of now; the session.
async fn sign_in_with_code(app: &TestApp, admin: &Session, totp: &str) -> Session {
    let client = app.new_client();
    let LoginResponse::Mfa(challenge) = client
        .login(&LoginRequest {
            email: admin.email.clone(),
            password: admin.password.clone().into(),
        })
        .await
        .unwrap()
    else {
        panic!("the second factor is on");
    };
    let token = client
        .complete_mfa(&MfaVerification {
            mfa_token: challenge.mfa_token,
            code: Some(code(app, totp).into()),
            recovery_code: None,
        })
        .await
        .unwrap_or_else(|e| panic!("the second factor, after the rotation: {e}"));
    let access_token = token.access_token.expose().to_owned();
    Session {
        client: client.with_token(access_token.clone()),
        access_token,
        email: admin.email.clone(),
        password: admin.password.clone(),
    }
}

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one rotation's whole course, in order"
)]
async fn a_rotation_under_load_loses_no_secret_and_the_old_key_can_then_be_retired() {
    // Every replica was given the ring with the new key (version 2) first; the database still
    // says version 1 seals, so nothing is under version 2 yet.
    let first = new_master_key();
    let (ring, added) = MasterKey::from_base64(&first).unwrap().with_new_version();
    assert_eq!(added, 2);
    let ring_text = ring.encoded().replace('\n', " ");
    let app = spawn_app_with(Options {
        manual_clock: true,
        master_key: Some(ring_text.clone()),
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let (env, service) = staging(&admin, &app).await;
    let enrollment = admin.client.start_totp_enrollment().await.unwrap();
    let totp = enrollment.secret.expose().to_owned();
    admin
        .client
        .confirm_totp_enrollment(&code(&app, &totp))
        .await
        .unwrap();
    admin
        .client
        .set_secret(&env, "STEADY", "steady-4c1a")
        .await
        .unwrap();
    admin
        .client
        .set_service_secret(&service, "SHARED", "shared-90d2")
        .await
        .unwrap();
    let before = sealed_anywhere_under(&app, 1).await;
    assert!(
        before >= 4,
        "a secret, the TOTP secret, the webhook secret, the git token: {before}"
    );
    assert_eq!(sealed_anywhere_under(&app, 2).await, 0);
    let (ok, status, err) = gmac(&app, &ring_text, &["keys", "status"]).await;
    assert!(ok, "{err}");
    assert!(
        status.contains("Version 2 is configured and newer than the version sealing now"),
        "{status}"
    );

    // A replica that was not given the new ring (version 1 alone) is ready now.
    let behind = spawn_app_with(Options {
        database_url: Some(app.database_url.clone()),
        master_key: Some(first.clone()),
        ..Options::default()
    })
    .await;
    let readiness = async |replica: &TestApp| {
        let answer = replica
            .http()
            .get(replica.url("/readyz"))
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        (status, answer.text().await.unwrap())
    };
    assert_eq!(readiness(&behind).await.0, 200);

    // The rotation runs while writers keep setting secrets through the API.
    let stop = Arc::new(AtomicBool::new(false));
    let writing = writers(&admin, &env, &stop);
    let changing = settings_writer(&admin, &service, &stop);
    let (ok, said, err) = gmac(&app, &ring_text, &["keys", "rotate", "--settle-secs", "3"]).await;
    stop.store(true, Ordering::Relaxed);
    assert!(ok, "stdout: {said}\nstderr: {err}");
    assert!(
        said.contains("Rotated from version 1 to version 2"),
        "{said}"
    );
    let mut last = BTreeMap::new();
    for writer in writing {
        let (name, value, version) = writer.await.unwrap();
        assert!(version > 1, "{name} was written during the rotation");
        last.insert(name, value);
    }
    last.insert("STEADY".to_owned(), "steady-4c1a".to_owned());
    assert!(
        changing.await.unwrap() > 2,
        "the service changed during the rotation"
    );

    // The replica without version 2 cannot open what is sealed now: it says it is not ready,
    // and why, within a refresh; the server given the ring stays ready.
    let mut said = (0, String::new());
    for _ in 0..100 {
        said = readiness(&behind).await;
        if said.0 == 503 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(said.0, 503, "{said:?}");
    assert!(said.1.contains("master key version 2"), "{said:?}");
    assert_eq!(readiness(&app).await.0, 200);
    drop(behind);

    // The server switched by itself: what it seals now is under version 2, and nothing in the
    // database is left under version 1.
    admin
        .client
        .set_secret(&env, "AFTER", "after-77e0")
        .await
        .unwrap();
    last.insert("AFTER".to_owned(), "after-77e0".to_owned());
    assert_eq!(sealed_anywhere_under(&app, 1).await, 0);
    assert!(sealed_anywhere_under(&app, 2).await > before);
    let (ok, status, err) = gmac(&app, &ring_text, &["keys", "status"]).await;
    assert!(ok, "{err}");
    assert!(
        status.contains("Version 1 seals nothing now: it may be removed"),
        "{status}"
    );

    // Version 1 is retired: a gmac given version 2 alone signs the admin in with the second
    // factor (its secret re-wrapped), reveals every secret's newest value, and the audit log,
    // signed under version 1 until the rotation, still verifies.
    app.stop().await;
    let retired = ring.without_version(1).unwrap().encoded();
    let later = spawn_app_with(Options {
        clock_start: Some(app.core.now() + chrono::Duration::hours(1)),
        database_url: Some(app.database_url.clone()),
        master_key: Some(retired.clone()),
        ..Options::default()
    })
    .await;
    let session = sign_in_with_code(&later, &admin, &totp).await;
    for (name, value) in &last {
        later.advance(chrono::Duration::seconds(30));
        let revealed = session
            .client
            .reveal_secret(&env, name, &code(&later, &totp))
            .await
            .unwrap_or_else(|e| panic!("revealing {name}: {e}"));
        assert_eq!(revealed.value.expose(), value, "{name}");
    }
    later.advance(chrono::Duration::seconds(30));
    let shared = session
        .client
        .reveal_service_secret(&service, "SHARED", &code(&later, &totp))
        .await
        .unwrap();
    assert_eq!(shared.value.expose(), "shared-90d2", "the service's secret");
    let (ok, verified, err) = gmac(&later, &retired, &["audit", "verify"]).await;
    assert!(ok, "stdout: {verified}\nstderr: {err}");
    let actions = later.audit_actions().await;
    assert!(actions.iter().any(|a| a == "keys.rotate"), "{actions:?}");
    assert!(
        verified.contains(&format!("{} entries checked", actions.len())),
        "{verified} ({} entries)",
        actions.len()
    );

    // A replica that was not given version 2 does not start, nor does one whose version 1 is
    // another key: each says why.
    let (ok, _, err) = gmac(&later, &first, &["keys", "status"]).await;
    assert!(!ok);
    assert!(
        err.contains("seals under master key version 2, which is not configured"),
        "{err}"
    );
    let other = format!("{retired} 1:{}", new_master_key());
    let (ok, _, err) = gmac(&later, &other, &["keys", "status"]).await;
    assert!(!ok);
    assert!(
        err.contains(
            "the configured master key version 1 is not the key this database was sealed under"
        ),
        "{err}"
    );
    let impostor = format!("2:{}", new_master_key());
    let (ok, _, err) = gmac(&later, &impostor, &["keys", "status"]).await;
    assert!(!ok);
    assert!(
        err.contains(
            "the configured master key version 2 is not the key this database was sealed under"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn keys_add_extends_the_key_file_and_a_ring_left_with_values_under_a_removed_key_is_refused()
{
    // A lone key in a key file, as every installation began.
    let app = spawn_app_with(Options::default()).await;
    let admin = app.super_admin().await;
    staging(&admin, &app).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let key_file = data.join("master.key");
    std::fs::write(&key_file, format!("{}\n", app.master_key)).unwrap();
    std::fs::set_permissions(
        &key_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let run = |args: &'static [&'static str]| {
        let (url, data) = (app.database_url.clone(), data.clone());
        async move {
            let out = tokio::process::Command::new(gmac_bin())
                .args(args)
                .env("GMAC_DATABASE_URL", url)
                .env("GMAC_DATA_DIR", data)
                .env_remove("GMAC_MASTER_KEY")
                .output()
                .await
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    };
    let (ok, said, err) = run(&["keys", "add"]).await;
    assert!(ok, "{err}");
    assert!(said.contains("Added version 2"), "{said}");
    let ring = MasterKey::from_base64(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    assert_eq!(ring.versions(), vec![1, 2]);
    assert_eq!(
        ring.fingerprint(1),
        MasterKey::from_base64(&app.master_key)
            .unwrap()
            .fingerprint(1),
        "the key in use is kept"
    );
    assert!(gmac_core::keys::check_key_file_permissions(&key_file).is_ok());

    // Adding changed nothing in the database; rotating does.
    let (ok, said, err) = run(&["keys", "rotate", "--settle-secs", "1"]).await;
    assert!(ok, "{err}");
    assert!(
        said.contains("Rotated from version 1 to version 2"),
        "{said}"
    );
    // Run again, it has nothing left to do.
    let (ok, said, err) = run(&["keys", "rotate", "--settle-secs", "1"]).await;
    assert!(ok, "{err}");
    assert!(said.contains("Version 2 already sealed"), "{said}");

    // The test's server was never given version 2, so it still seals under version 1 (and
    // logs that it cannot switch). With a value under version 1 again, a ring without
    // version 1 is refused at start-up.
    admin.client.start_totp_enrollment().await.unwrap();
    let lone = ring.without_version(1).unwrap().encoded();
    let (ok, _, err) = gmac(&app, &lone, &["keys", "status"]).await;
    assert!(!ok);
    assert!(
        err.contains("still sealed under master key version 1, which is not configured"),
        "{err}"
    );
}
