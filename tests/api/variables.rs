//! An environment's variables and secrets (issue 12, point 5) over the API: versions, a diff
//! of any two, a rollback as a new version, a stale write refused; secrets write-only,
//! encrypted at rest, revealed only with `secrets.reveal` and a fresh second factor.
//! (That they reach a release's container is in `deploys`.)

use std::collections::BTreeMap;

use gmac_client::SharedOwner;
use gmac_core::auth::totp;
use gmac_tests::{Options, Session, TestApp, spawn_app_with};
use gmac_types::variables::VariableChangeKind;
use gmac_types::{
    ErrorCode, GitProvider, NewGitConnection, NewService, NewServiceRepository, PageQuery, Scope,
};

async fn app() -> TestApp {
    spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await
}

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A service of a new client's project (its creation cancelled: nothing needs to run): its
/// client's id, its staging and production environments' ids, and its own id.
async fn environments(app: &TestApp, admin: &Session) -> (String, String, String, String) {
    let client_id = app.fixture(admin).client("Acme").await;
    let project_id = app.fixture(admin).project(&client_id, "Web").await;
    let connection = admin
        .client
        .create_git_connection(&NewGitConnection {
            provider: GitProvider::Git,
            base_url: "http://127.0.0.1:9/git".into(),
            token: None,
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
    let listed = admin
        .client
        .list_environments(&created.service.id, &PageQuery::default())
        .await
        .unwrap()
        .items;
    (
        client_id,
        listed[0].id.clone(),
        listed[1].id.clone(),
        created.service.id,
    )
}

#[tokio::test]
async fn variables_are_versioned_compared_rolled_back_and_a_stale_write_is_refused() {
    let app = app().await;
    let admin = app.super_admin().await;
    let (_, staging, _, _) = environments(&app, &admin).await;
    let api = &admin.client;

    let empty = api.get_variables(&staging, None).await.unwrap();
    assert_eq!((empty.version, empty.latest_version), (0, 0));
    assert!(empty.variables.is_empty() && !empty.pending);

    let one = api
        .set_variables(&staging, &vars(&[("A", "1"), ("B", "two")]), Some(0))
        .await
        .unwrap();
    assert_eq!(one.version, 1);
    let two = api
        .set_variables(
            &staging,
            &vars(&[("A", "1"), ("B", "2"), ("C", "new")]),
            Some(1),
        )
        .await
        .unwrap();
    assert_eq!((two.version, two.latest_version), (2, 2));
    // Saving what is already there makes no version.
    let same = api
        .set_variables(&staging, &two.variables, Some(2))
        .await
        .unwrap();
    assert_eq!(same.version, 2);

    // A write from a page read before version 2 is refused, and loses nothing.
    let stale = api
        .set_variables(&staging, &vars(&[("A", "overwritten")]), Some(1))
        .await
        .unwrap_err();
    assert_eq!(stale.problem().map(|p| p.status), Some(412));
    assert_eq!(
        api.get_variables(&staging, None).await.unwrap().variables,
        vars(&[("A", "1"), ("B", "2"), ("C", "new")])
    );

    // Any version can be read, and any two compared.
    let first = api.get_variables(&staging, Some(1)).await.unwrap();
    assert_eq!(first.variables, vars(&[("A", "1"), ("B", "two")]));
    assert_eq!(first.latest_version, 2);
    let diff = api.diff_variables(&staging, 1, 2).await.unwrap();
    let seen: Vec<_> = diff
        .changes
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.change,
                c.before.as_deref(),
                c.after.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("B", VariableChangeKind::Changed, Some("two"), Some("2")),
            ("C", VariableChangeKind::Added, None, Some("new")),
        ]
    );
    let unknown = api.diff_variables(&staging, 1, 9).await.unwrap_err();
    assert_eq!(unknown.problem().map(|p| p.status), Some(404));

    // A rollback is a new version equal to the old one.
    let back = api.rollback_variables(&staging, 1).await.unwrap();
    assert_eq!(back.version, 3);
    assert_eq!(back.variables, first.variables);
    assert_eq!(back.note.as_deref(), Some("rollback to 1"));

    // Names the shell cannot hold, or that gmac sets itself, are refused by name.
    let refused = api
        .set_variables(
            &staging,
            &vars(&[("PORT", "1"), ("1A", "x"), ("OK", "y")]),
            None,
        )
        .await
        .unwrap_err();
    let problem = refused.problem().expect("a problem");
    assert_eq!(problem.status, 422);
    let pointers: Vec<&str> = problem.errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(pointers, ["/variables/1A", "/variables/PORT"]);
    assert_eq!(api.get_variables(&staging, None).await.unwrap().version, 3);

    // The audit log names what changed, never a value.
    let audit = app.audit_actions().await;
    assert_eq!(
        audit
            .iter()
            .filter(|a| *a == "environment.variables")
            .count(),
        3
    );
    let rows = gmac_core::entities::audit_log::Entity::find()
        .all(&app.core.db)
        .await
        .unwrap();
    let details: String = rows.iter().map(|r| r.details.clone()).collect();
    assert!(
        details.contains("\"C\"") && !details.contains("\"new\""),
        "{details}"
    );
}

use sea_orm::EntityTrait;

fn code(app: &TestApp, secret: &str) -> String {
    let now = u64::try_from(app.core.now().timestamp()).unwrap();
    totp::code_for_base32(secret, now).unwrap()
}

/// Enrols `session` in TOTP; answers its base32 secret.
async fn enrol(app: &TestApp, session: &Session) -> String {
    let enrollment = session.client.start_totp_enrollment().await.unwrap();
    let secret = enrollment.secret.expose().to_owned();
    session
        .client
        .confirm_totp_enrollment(&code(app, &secret))
        .await
        .unwrap();
    secret
}

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one secret's whole life, in order")]
async fn a_secret_is_write_only_encrypted_at_rest_and_revealed_only_with_a_fresh_second_factor() {
    const VALUE: &str = "pg-password-7f3a9c1e-do-not-show";
    let app = app().await;
    let admin = app.super_admin().await;
    let (client_id, staging, production, _) = environments(&app, &admin).await;
    let api = &admin.client;

    let info = api
        .set_secret(&staging, "DATABASE_PASSWORD", VALUE)
        .await
        .unwrap();
    assert_eq!((info.name.as_str(), info.version), ("DATABASE_PASSWORD", 1));
    let info = api
        .set_secret(&staging, "DATABASE_PASSWORD", &format!("{VALUE}-2"))
        .await
        .unwrap();
    assert_eq!(info.version, 2);

    // No answer holds the value: the write's, the list's.
    let listed = app
        .http()
        .get(app.url(&format!("/api/v1/environments/{staging}/secrets")))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains("DATABASE_PASSWORD") && !listed.contains(VALUE),
        "{listed}"
    );

    // A variable and a secret cannot share a name.
    let clash = api
        .set_variables(&staging, &vars(&[("DATABASE_PASSWORD", "x")]), None)
        .await
        .unwrap_err();
    assert_eq!(clash.problem().map(|p| p.status), Some(422));

    // Nothing in the database file holds it in clear.
    let url = app.database_url.clone();
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap_or(p))
    {
        sea_orm::ConnectionTrait::execute_unprepared(
            &app.core.db,
            "PRAGMA wal_checkpoint(TRUNCATE)",
        )
        .await
        .unwrap();
        for file in [path.to_owned(), format!("{path}-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                let needle = VALUE.as_bytes();
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "{file} holds the secret in clear"
                );
            }
        }
    }
    let rows = gmac_core::entities::environment_secret::Entity::find()
        .all(&app.core.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| {
        r.sealed
            .as_deref()
            .is_some_and(|s| s.starts_with("gmac1.") && !s.contains(VALUE))
    }));

    // Revealing needs a second factor: none enrolled yet, then a wrong code, then a code
    // already spent, all refused; a fresh code reveals the newest version, audited.
    let none = api
        .reveal_secret(&staging, "DATABASE_PASSWORD", "123456")
        .await
        .unwrap_err();
    assert_eq!(
        none.problem().map(|p| p.code),
        Some(ErrorCode::SecondFactorRequired)
    );
    let totp_secret = enrol(&app, &admin).await;
    app.advance(chrono::Duration::seconds(30));
    let wrong = api
        .reveal_secret(&staging, "DATABASE_PASSWORD", "000000")
        .await
        .unwrap_err();
    assert_eq!(
        wrong.problem().map(|p| p.code),
        Some(ErrorCode::InvalidMfaCode)
    );
    let fresh = code(&app, &totp_secret);
    let revealed = api
        .reveal_secret(&staging, "DATABASE_PASSWORD", &fresh)
        .await
        .unwrap();
    assert_eq!(revealed.value.expose(), format!("{VALUE}-2"));
    assert_eq!(revealed.version, 2);
    let replayed = api
        .reveal_secret(&staging, "DATABASE_PASSWORD", &fresh)
        .await
        .unwrap_err();
    assert_eq!(
        replayed.problem().map(|p| p.code),
        Some(ErrorCode::InvalidMfaCode)
    );
    let audit = app.audit_actions().await;
    assert_eq!(
        audit
            .iter()
            .filter(|a| *a == "environment.secret_reveal")
            .count(),
        1 + 2,
        "one reveal and two failed attempts: {audit:?}"
    );

    // A Developer deploys to staging and sets its secrets, but may not reveal them, nor set
    // production's.
    let dev = app
        .fixture(&admin)
        .member(
            "dev@example.com",
            "developer",
            Scope::Client { id: client_id },
        )
        .await;
    dev.client
        .set_secret(&staging, "API_KEY", "dev-made-key")
        .await
        .unwrap();
    let denied = dev
        .client
        .reveal_secret(&staging, "API_KEY", "123456")
        .await
        .unwrap_err();
    assert_eq!(denied.problem().map(|p| p.status), Some(403));
    let production_denied = dev
        .client
        .set_secret(&production, "API_KEY", "x")
        .await
        .unwrap_err();
    assert_eq!(production_denied.problem().map(|p| p.status), Some(403));

    // A deleted secret is gone from the list; deleting it again is a 404.
    api.delete_secret(&staging, "API_KEY").await.unwrap();
    let names: Vec<String> = api
        .list_secrets(&staging, &PageQuery::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["DATABASE_PASSWORD"]);
    let again = api.delete_secret(&staging, "API_KEY").await.unwrap_err();
    assert_eq!(again.problem().map(|p| p.status), Some(404));

    // Bad names and empty values are refused with the field named.
    let bad = api
        .set_secret(&staging, "NOT-A-NAME", "x")
        .await
        .unwrap_err();
    assert_eq!(bad.problem().map(|p| p.status), Some(422));
    let empty = api.set_secret(&staging, "EMPTY", "").await.unwrap_err();
    assert_eq!(empty.problem().map(|p| p.status), Some(422));
}

#[tokio::test]
async fn a_script_sets_lists_and_compares_variables_and_sets_a_secret_from_standard_input() {
    let app = app().await;
    let admin = app.super_admin().await;
    let (_, staging, _, service) = environments(&app, &admin).await;
    let token = crate::process::script_token(
        &admin,
        vec![
            gmac_types::Permission::ServicesView,
            gmac_types::Permission::DeploysRun,
        ],
    )
    .await;
    let gmac = async |args: &[&str], input: Option<&str>| {
        let mut all = vec![
            args[0],
            args[1],
            "--service",
            service.as_str(),
            "--env",
            "staging",
        ];
        all.extend_from_slice(&args[2..]);
        crate::process::run_gmac_with_input(&app.address, &token, &all, input).await
    };

    let (ok, out, err) = gmac(&["env", "set", "A=1", "B=two"], None).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("version 1 (added A, added B)"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".env");
    std::fs::write(&file, "# from another tool\nB=2\nexport C='x y'\n").unwrap();
    let (ok, out, err) = gmac(
        &[
            "env",
            "set",
            "--file",
            file.to_str().unwrap(),
            "--unset",
            "A",
        ],
        None,
    )
    .await;
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("version 2 (removed A, changed B, added C)"),
        "{out}"
    );
    let (ok, out, _) = gmac(&["env", "list"], None).await;
    assert!(ok);
    assert_eq!(out.trim(), "B=2\nC=\"x y\"");
    let (ok, out, _) = gmac(&["env", "diff", "--from", "1"], None).await;
    assert!(ok);
    assert_eq!(
        out.trim(),
        "staging variables, 1 → 2\n- A=1\n~ B: two → 2\n+ C=x y"
    );
    let (ok, _, err) = gmac(&["env", "set", "PORT=80"], None).await;
    assert!(!ok && err.contains("PORT"), "{err}");

    // The secret's value comes from standard input (its last newline dropped), never from an
    // argument.
    let (ok, out, err) = gmac(&["secrets", "set", "API_KEY"], Some("value-from-stdin\n")).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("API_KEY: version 1"), "{out}");
    let (ok, _, err) = gmac(&["secrets", "set", "EMPTY"], Some("")).await;
    assert!(!ok && err.contains("standard input was empty"), "{err}");
    let (ok, out, _) = gmac(&["secrets", "list"], None).await;
    assert!(ok && out.starts_with("API_KEY\tversion 1"), "{out}");
    let row = gmac_core::entities::environment_secret::Entity::find()
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    let opened = app
        .core
        .sealer
        .open(
            row.sealed.as_deref().unwrap(),
            &format!(
                "environment_secrets:{}:{}:{}:{}",
                row.id, row.environment_id, row.name, row.version
            ),
        )
        .unwrap();
    assert_eq!(opened, b"value-from-stdin");
    assert_eq!(row.environment_id, staging);

    // `--shared`: a secret the service shares with every environment of it. It reaches
    // production too, so a token that deploys to staging only may not set one.
    let (ok, _, err) = gmac(
        &["secrets", "set", "SHARED_KEY", "--shared"],
        Some("shared-from-stdin\n"),
    )
    .await;
    assert!(!ok && err.contains("permission"), "{err}");
    let production = crate::process::script_token(
        &admin,
        vec![
            gmac_types::Permission::ServicesView,
            gmac_types::Permission::DeploysProduction,
        ],
    )
    .await;
    let (ok, out, err) = crate::process::run_gmac_with_input(
        &app.address,
        &production,
        &[
            "secrets",
            "set",
            "--service",
            service.as_str(),
            "SHARED_KEY",
            "--shared",
        ],
        Some("shared-from-stdin\n"),
    )
    .await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("shared secret SHARED_KEY: version 1"), "{out}");
    let (ok, out, _) = gmac(&["secrets", "list", "--shared"], None).await;
    assert!(ok && out.starts_with("SHARED_KEY\tversion 1"), "{out}");
    let (ok, out, _) = gmac(&["secrets", "list"], None).await;
    assert!(ok && !out.contains("SHARED_KEY"), "staging's own: {out}");

    // `--project`: one the service's project shares with every environment of its services.
    let (ok, out, err) = crate::process::run_gmac_with_input(
        &app.address,
        &production,
        &[
            "secrets",
            "set",
            "--service",
            service.as_str(),
            "PROJECT_KEY",
            "--project",
        ],
        Some("project-from-stdin\n"),
    )
    .await;
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("project's shared secret PROJECT_KEY: version 1"),
        "{out}"
    );
    let (ok, out, _) = gmac(&["secrets", "list", "--project"], None).await;
    assert!(ok && out.starts_with("PROJECT_KEY\tversion 1"), "{out}");
    let (ok, _, err) = gmac(&["secrets", "list", "--project", "--shared"], None).await;
    assert!(!ok && err.contains("cannot be used with"), "{err}");
}

/// `gmac env --shared` and `--project` read, set and compare the variables the service, or
/// its project, shares with every environment, and leave each environment's own alone.
#[tokio::test]
async fn a_script_lists_sets_and_compares_the_variables_a_service_and_its_project_share() {
    let app = app().await;
    let admin = app.super_admin().await;
    let (_, _, _, service) = environments(&app, &admin).await;
    let project = admin.client.get_service(&service).await.unwrap().project_id;
    let token = crate::process::script_token(
        &admin,
        vec![
            gmac_types::Permission::ServicesView,
            gmac_types::Permission::DeploysRun,
            gmac_types::Permission::DeploysProduction,
        ],
    )
    .await;
    let gmac = async |args: &[&str]| {
        let mut all = vec![args[0], args[1], "--service", service.as_str()];
        all.extend_from_slice(&args[2..]);
        crate::process::run_gmac(&app.address, &token, &all).await
    };
    let (ok, out, err) = gmac(&["env", "set", "--env", "staging", "OWN=1"]).await;
    assert!(ok, "{out}{err}");

    // `--shared`: the service's variables, not staging's.
    let (ok, out, err) = gmac(&["env", "set", "--shared", "A=1"]).await;
    assert!(ok, "{out}{err}");
    assert_eq!(
        out.trim(),
        "the service's shared variables: version 1 (added A); deploy each environment to apply it"
    );
    let (ok, out, err) = gmac(&["env", "set", "--shared", "A=2", "B=x"]).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("version 2 (changed A, added B)"), "{out}");
    let (ok, out, err) = gmac(&["env", "list", "--shared"]).await;
    assert!(ok, "{out}{err}");
    assert_eq!(out.trim(), "A=2\nB=x");
    assert!(
        err.contains("the service's shared variables, version 2 of 2"),
        "{err}"
    );
    let (ok, out, _) = gmac(&["env", "list", "--shared", "--version", "1"]).await;
    assert!(ok && out.trim() == "A=1", "{out}");
    let (ok, out, _) = gmac(&["env", "list", "--env", "staging"]).await;
    assert!(ok && out.trim() == "OWN=1", "staging's own: {out}");
    let shared = admin
        .client
        .get_shared_variables(SharedOwner::Service(&service), None)
        .await
        .unwrap();
    assert_eq!(shared.variables, vars(&[("A", "2"), ("B", "x")]));
    let (ok, out, _) = gmac(&["env", "diff", "--shared", "--from", "0"]).await;
    assert!(ok);
    assert_eq!(
        out.trim(),
        "the service's shared variables, 0 → 2\n+ A=2\n+ B=x"
    );

    // `--project`: the project's, neither the service's nor staging's.
    let (ok, out, err) = gmac(&["env", "set", "--project", "P=p"]).await;
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("project's shared variables: version 1 (added P)"),
        "{out}"
    );
    let (ok, out, _) = gmac(&["env", "list", "--project"]).await;
    assert!(ok && out.trim() == "P=p", "{out}");
    let (ok, out, _) = gmac(&["env", "list", "--shared"]).await;
    assert!(ok && out.trim() == "A=2\nB=x", "{out}");
    let (ok, out, _) = gmac(&["env", "list", "--env", "staging"]).await;
    assert!(ok && out.trim() == "OWN=1", "staging's own: {out}");
    let shared = admin
        .client
        .get_shared_variables(SharedOwner::Project(&project), None)
        .await
        .unwrap();
    assert_eq!(shared.variables, vars(&[("P", "p")]));
    let (ok, out, _) = gmac(&["env", "diff", "--project", "--from", "0", "--to", "1"]).await;
    assert!(ok);
    assert_eq!(out.trim(), "the project's shared variables, 0 → 1\n+ P=p");

    // Both at once is refused before anything is asked or written.
    let (ok, _, err) = gmac(&["env", "set", "--shared", "--project", "C=3"]).await;
    assert!(!ok && err.contains("cannot be used with"), "{err}");
    let (ok, _, err) = gmac(&["env", "list", "--shared", "--project"]).await;
    assert!(!ok && err.contains("cannot be used with"), "{err}");
    let (ok, out, _) = gmac(&["env", "list", "--project"]).await;
    assert!(ok && out.trim() == "P=p", "{out}");
}

/// A secret a service shares with every environment of it: write-only, versioned, sealed for
/// its row, changed only with `deploys.production`, revealed only with a fresh second factor.
/// (That it reaches a release, and is masked in its output, is in `kubernetes`.)
#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one shared secret's whole life, in order"
)]
async fn a_service_shares_a_write_only_secret_with_its_environments_changed_only_by_who_deploys_to_production()
 {
    const VALUE: &str = "svc-shared-9b2e-do-not-show";
    let app = app().await;
    let admin = app.super_admin().await;
    let (client_id, _, _, service) = environments(&app, &admin).await;
    let api = &admin.client;

    let info = api
        .set_service_secret(&service, "SHARED_TOKEN", VALUE)
        .await
        .unwrap();
    assert_eq!((info.name.as_str(), info.version), ("SHARED_TOKEN", 1));
    assert!(!info.pending, "no environment runs a release yet");
    let info = api
        .set_service_secret(&service, "SHARED_TOKEN", &format!("{VALUE}-2"))
        .await
        .unwrap();
    assert_eq!(info.version, 2);
    let listed = app
        .http()
        .get(app.url(&format!("/api/v1/services/{service}/secrets")))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains("SHARED_TOKEN") && !listed.contains(VALUE),
        "{listed}"
    );
    let rows = gmac_core::entities::service_secret::Entity::find()
        .all(&app.core.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| {
        r.sealed
            .as_deref()
            .is_some_and(|s| s.starts_with("gmac1.") && !s.contains(VALUE))
    }));

    // A variable the service shares cannot take a secret's name.
    api.set_shared_variables(
        SharedOwner::Service(&service),
        &vars(&[("REGION", "eu")]),
        None,
    )
    .await
    .unwrap();
    let clash = api
        .set_service_secret(&service, "REGION", "x")
        .await
        .unwrap_err();
    let problem = clash.problem().unwrap();
    assert_eq!(problem.status, 422);
    assert!(
        problem
            .errors
            .iter()
            .any(|e| e.pointer == "/name" && e.code == "taken"),
        "{problem:?}"
    );

    // Nor a shared secret a variable's.
    let clash = api
        .set_shared_variables(
            SharedOwner::Service(&service),
            &vars(&[("REGION", "eu"), ("SHARED_TOKEN", "plain")]),
            None,
        )
        .await
        .unwrap_err();
    let problem = clash.problem().unwrap();
    assert_eq!(problem.status, 422);
    assert!(
        problem
            .errors
            .iter()
            .any(|e| e.pointer == "/variables/SHARED_TOKEN" && e.code == "taken"),
        "{problem:?}"
    );

    // Revealing needs a fresh second factor, and is audited.
    let totp_secret = enrol(&app, &admin).await;
    app.advance(chrono::Duration::seconds(30));
    let wrong = api
        .reveal_service_secret(&service, "SHARED_TOKEN", "000000")
        .await
        .unwrap_err();
    assert_eq!(
        wrong.problem().map(|p| p.code),
        Some(ErrorCode::InvalidMfaCode)
    );
    let revealed = api
        .reveal_service_secret(&service, "SHARED_TOKEN", &code(&app, &totp_secret))
        .await
        .unwrap();
    assert_eq!(revealed.value.expose(), format!("{VALUE}-2"));
    let audit = app.audit_actions().await;
    for action in ["service.secret_set", "service.secret_reveal"] {
        assert!(audit.iter().any(|a| a == action), "{action}: {audit:?}");
    }

    // A Developer sees the names but may not change one (it reaches production) nor reveal it.
    let dev = app
        .fixture(&admin)
        .member(
            "dev@example.com",
            "developer",
            Scope::Client { id: client_id },
        )
        .await;
    let seen = dev
        .client
        .list_service_secrets(&service, &PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(seen.len(), 1);
    let refusals = [
        dev.client
            .set_service_secret(&service, "SHARED_TOKEN", "x")
            .await
            .unwrap_err(),
        dev.client
            .reveal_service_secret(&service, "SHARED_TOKEN", "123456")
            .await
            .unwrap_err(),
        dev.client
            .delete_service_secret(&service, "SHARED_TOKEN")
            .await
            .unwrap_err(),
    ];
    for refused in refusals {
        assert_eq!(refused.problem().map(|p| p.status), Some(403));
    }

    // Deleted, it is gone from the list; deleting it again is a 404. Bad input is a 422.
    api.delete_service_secret(&service, "SHARED_TOKEN")
        .await
        .unwrap();
    assert!(
        api.list_service_secrets(&service, &PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let again = api
        .delete_service_secret(&service, "SHARED_TOKEN")
        .await
        .unwrap_err();
    assert_eq!(again.problem().map(|p| p.status), Some(404));
    for (name, value) in [("NOT-A-NAME", "x"), ("EMPTY", "")] {
        let bad = api
            .set_service_secret(&service, name, value)
            .await
            .unwrap_err();
        assert_eq!(bad.problem().map(|p| p.status), Some(422), "{name}");
    }
}

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one project secret's whole life, in order"
)]
async fn a_project_shares_a_write_only_secret_with_its_services_environments_shown_under_the_narrower_scopes()
 {
    use gmac_types::variables::VariableScope;
    const VALUE: &str = "prj-shared-4d7a-do-not-show";
    let app = app().await;
    let admin = app.super_admin().await;
    let (client_id, staging, _, service) = environments(&app, &admin).await;
    let api = &admin.client;
    let project = api.get_service(&service).await.unwrap().project_id;

    let info = api
        .set_project_secret(&project, "DB_PASSWORD", VALUE)
        .await
        .unwrap();
    assert_eq!((info.name.as_str(), info.version), ("DB_PASSWORD", 1));
    let listed = app
        .http()
        .get(app.url(&format!("/api/v1/projects/{project}/secrets")))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains("DB_PASSWORD") && !listed.contains(VALUE),
        "{listed}"
    );
    let rows = gmac_core::entities::project_secret::Entity::find()
        .all(&app.core.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0]
            .sealed
            .as_deref()
            .is_some_and(|s| s.starts_with("gmac1.") && !s.contains(VALUE))
    );

    // Every environment of the project's services sees it by name, never by value, and which
    // narrower scope wins over it.
    let inherited = |set: gmac_types::variables::VariableSet| {
        set.inherited
            .into_iter()
            .filter(|v| v.secret)
            .map(|v| (v.name, v.value, v.scope, v.version, v.overridden_by))
            .collect::<Vec<_>>()
    };
    let seen = inherited(api.get_variables(&staging, None).await.unwrap());
    assert_eq!(
        seen,
        [(
            "DB_PASSWORD".to_owned(),
            String::new(),
            VariableScope::Project,
            1,
            None
        )]
    );
    api.set_service_secret(&service, "DB_PASSWORD", "svc-own")
        .await
        .unwrap();
    let seen = inherited(api.get_variables(&staging, None).await.unwrap());
    assert_eq!(
        seen.iter()
            .map(|(n, _, scope, _, by)| (n.as_str(), *scope, *by))
            .collect::<Vec<_>>(),
        [
            (
                "DB_PASSWORD",
                VariableScope::Project,
                Some(VariableScope::Service)
            ),
            ("DB_PASSWORD", VariableScope::Service, None),
        ]
    );

    // Within the project a variable and a secret cannot share a name, either way.
    api.set_shared_variables(
        SharedOwner::Project(&project),
        &vars(&[("REGION", "eu")]),
        None,
    )
    .await
    .unwrap();
    let clash = api
        .set_project_secret(&project, "REGION", "x")
        .await
        .unwrap_err();
    let problem = clash.problem().unwrap();
    assert!(
        problem
            .errors
            .iter()
            .any(|e| e.pointer == "/name" && e.code == "taken"),
        "{problem:?}"
    );
    let clash = api
        .set_shared_variables(
            SharedOwner::Project(&project),
            &vars(&[("DB_PASSWORD", "plain")]),
            None,
        )
        .await
        .unwrap_err();
    let problem = clash.problem().unwrap();
    assert!(
        problem
            .errors
            .iter()
            .any(|e| e.pointer == "/variables/DB_PASSWORD" && e.code == "taken"),
        "{problem:?}"
    );

    // Revealing needs a fresh second factor, and is audited.
    let totp_secret = enrol(&app, &admin).await;
    app.advance(chrono::Duration::seconds(30));
    let wrong = api
        .reveal_project_secret(&project, "DB_PASSWORD", "000000")
        .await
        .unwrap_err();
    assert_eq!(
        wrong.problem().map(|p| p.code),
        Some(ErrorCode::InvalidMfaCode)
    );
    let revealed = api
        .reveal_project_secret(&project, "DB_PASSWORD", &code(&app, &totp_secret))
        .await
        .unwrap();
    assert_eq!(revealed.value.expose(), VALUE);
    let audit = app.audit_actions().await;
    for action in ["project.secret_set", "project.secret_reveal"] {
        assert!(audit.iter().any(|a| a == action), "{action}: {audit:?}");
    }

    // A Developer sees the names but may not change one (it reaches production) nor reveal it.
    let dev = app
        .fixture(&admin)
        .member(
            "dev@example.com",
            "developer",
            Scope::Client { id: client_id },
        )
        .await;
    let seen = dev
        .client
        .list_project_secrets(&project, &PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(seen.len(), 1);
    let refusals = [
        dev.client
            .set_project_secret(&project, "DB_PASSWORD", "x")
            .await
            .unwrap_err(),
        dev.client
            .reveal_project_secret(&project, "DB_PASSWORD", "123456")
            .await
            .unwrap_err(),
        dev.client
            .delete_project_secret(&project, "DB_PASSWORD")
            .await
            .unwrap_err(),
    ];
    for refused in refusals {
        assert_eq!(refused.problem().map(|p| p.status), Some(403));
    }

    // Deleted, it is gone from the list and from what environments inherit; again is a 404.
    api.delete_project_secret(&project, "DB_PASSWORD")
        .await
        .unwrap();
    assert!(
        api.list_project_secrets(&project, &PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let seen = inherited(api.get_variables(&staging, None).await.unwrap());
    assert!(
        seen.iter().all(|v| v.2 == VariableScope::Service),
        "{seen:?}"
    );
    let again = api
        .delete_project_secret(&project, "DB_PASSWORD")
        .await
        .unwrap_err();
    assert_eq!(again.problem().map(|p| p.status), Some(404));
    let bad = api
        .set_project_secret(&project, "NOT-A-NAME", "x")
        .await
        .unwrap_err();
    assert_eq!(bad.problem().map(|p| p.status), Some(422));
}
