//! Services (issue 11, points 1, 3 and 4): `/api/v1/services`, the creation job against a
//! named fake of Gitea's and GitHub's APIs whose repositories are real (`git http-backend`),
//! and the inbound push webhook.

use gmac_tests::fake_git_hosts::{
    FakeGitHosts, GITEA_LOGIN, GOOD_TOKEN, developer_git as git, sign,
};
use gmac_tests::{Options, Session, TestApp, spawn_app_with};
use gmac_types::{
    GitProvider, JobStatus, NewGitConnection, NewService, NewServiceRepository, PageQuery,
    ServiceEnvironment, ServicePatch, ServiceQuery, ServiceStatus,
};

async fn app() -> TestApp {
    spawn_app_with(Options {
        job_worker: true,
        ..Options::default()
    })
    .await
}

async fn connect(
    admin: &Session,
    provider: GitProvider,
    base_url: String,
    client: Option<&str>,
) -> String {
    admin
        .client
        .create_git_connection(&NewGitConnection {
            provider,
            base_url,
            token: Some(GOOD_TOKEN.into()),
            client_id: client.map(str::to_owned),
            name: None,
        })
        .await
        .unwrap()
        .id
}

fn new_service(project_id: &str, connection_id: &str, owner: &str, name: &str) -> NewService {
    NewService {
        project_id: project_id.to_owned(),
        name: name.to_owned(),
        template: "static-site".to_owned(),
        parameters: serde_json::json!({"title": "Acme \"docs\"", "tagline": "Fast & simple"})
            .as_object()
            .unwrap()
            .clone(),
        git: NewServiceRepository {
            connection_id: connection_id.to_owned(),
            owner: owner.to_owned(),
            name: name.to_owned(),
        },
        description: Some("The docs site".to_owned()),
        owner_team_id: None,
    }
}

/// Waits for a job to end, and answers it.
async fn finished(session: &Session, id: &str) -> gmac_types::Job {
    for _ in 0..400 {
        let job = session.client.get_job(id).await.unwrap();
        if job.status.is_finished() {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {id} did not end");
}

async fn log_of(session: &Session, id: &str) -> Vec<String> {
    session
        .client
        .job_log(id, 0)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|l| l.line)
        .collect()
}

#[tokio::test]
async fn a_service_is_created_from_a_template_with_its_repository_first_commit_branches_and_webhook_on_a_fake_gitea()
 {
    let app = app().await;
    let fake = FakeGitHosts::start();
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let project_id = app.fixture(&admin).project(&client_id, "Web").await;
    let connection = connect(&admin, GitProvider::Gitea, fake.gitea(), None).await;

    let created = admin
        .client
        .create_service(&new_service(&project_id, &connection, GITEA_LOGIN, "docs"))
        .await
        .unwrap();
    assert_eq!(created.service.status, ServiceStatus::Creating);
    assert_eq!(
        created.service.labels["gmac.io/service"],
        created.service.id
    );
    assert_eq!(created.service.labels["gmac.io/project"], project_id);
    assert_eq!(created.service.labels["gmac.io/client"], client_id);
    assert_eq!(
        created.service.parameters["port"], 8080,
        "a parameter left out takes its default"
    );
    let job = finished(&admin, &created.job.id).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    let steps: Vec<(&str, &str)> = job
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.status.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("validate", "succeeded"),
            ("create the repository", "succeeded"),
            ("push the first commit", "succeeded"),
            ("create the branches", "succeeded"),
            ("register the webhook", "succeeded"),
            ("start the first build", "succeeded"),
        ]
    );

    let service = admin.client.get_service(&created.service.id).await.unwrap();
    assert_eq!(service.status, ServiceStatus::Active);
    let first = service.repository.first_commit.clone().unwrap();
    assert!(service.repository.created_by_gmac && service.repository.webhook_registered);

    // The real git server holds the first commit, with the parameters filled in, on both
    // branches.
    let heads = fake.git_in(
        GITEA_LOGIN,
        "docs",
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    );
    assert!(
        heads.contains(&format!("refs/heads/main {first}")),
        "{heads}"
    );
    assert!(
        heads.contains(&format!("refs/heads/staging {first}")),
        "{heads}"
    );
    let index = fake.git_in(GITEA_LOGIN, "docs", &["show", "main:site/index.html"]);
    assert!(
        index.contains("Acme \"docs\"") || index.contains("Acme &quot;docs&quot;"),
        "{index}"
    );
    assert!(index.contains("Fast &"), "{index}");
    let files = fake.git_in(
        GITEA_LOGIN,
        "docs",
        &["ls-tree", "-r", "--name-only", "main"],
    );
    assert!(files.lines().any(|f| f == "Dockerfile"), "{files}");

    // The webhook posts to gmac, signed with a secret gmac keeps to itself.
    let hooks = fake.hooks();
    assert_eq!(hooks.len(), 1);
    assert_eq!(
        hooks[0].url,
        app.url(&format!("/api/v1/hooks/git/{}", service.id))
    );
    let log = log_of(&admin, &job.id).await.join("\n");
    assert!(
        !log.contains(GOOD_TOKEN) && !log.contains(&hooks[0].secret),
        "{log}"
    );

    // The catalog finds it by its filters.
    for (query, found) in [
        (
            ServiceQuery {
                project_id: Some(project_id.clone()),
                ..ServiceQuery::default()
            },
            1,
        ),
        (
            ServiceQuery {
                template: Some("static-site".into()),
                ..ServiceQuery::default()
            },
            1,
        ),
        (
            ServiceQuery {
                template: Some("go-api".into()),
                ..ServiceQuery::default()
            },
            0,
        ),
        (
            ServiceQuery {
                status: Some(ServiceStatus::Active),
                ..ServiceQuery::default()
            },
            1,
        ),
        (
            ServiceQuery {
                q: Some("DOC".into()),
                ..ServiceQuery::default()
            },
            1,
        ),
        (
            ServiceQuery {
                q: Some("api".into()),
                ..ServiceQuery::default()
            },
            0,
        ),
    ] {
        let page = admin
            .client
            .list_services(&query, &PageQuery::default())
            .await
            .unwrap();
        assert_eq!(page.items.len(), found, "{query:?}");
    }

    // The same name again in the project is refused; nothing is made for it.
    let again = admin
        .client
        .create_service(&new_service(&project_id, &connection, GITEA_LOGIN, "docs"))
        .await
        .unwrap_err();
    assert_eq!(again.problem().unwrap().status, 409);

    // The project cannot go while it has a service, nor the connection.
    let project = admin.client.get_project(&project_id).await.unwrap();
    let refused = admin
        .client
        .delete_project(&project_id, Some(project.version))
        .await
        .unwrap_err();
    assert_eq!(refused.problem().unwrap().status, 409);
    let refused = admin
        .client
        .delete_git_connection(&connection)
        .await
        .unwrap_err();
    assert_eq!(refused.problem().unwrap().status, 409);

    // Settings: the branch each environment builds.
    let changed = admin
        .client
        .update_service(
            &service.id,
            &ServicePatch {
                environments: Some(vec![
                    ServiceEnvironment {
                        name: "staging".into(),
                        branch: "develop".into(),
                    },
                    ServiceEnvironment {
                        name: "production".into(),
                        branch: "main".into(),
                    },
                ]),
                ..ServicePatch::default()
            },
            Some(service.version),
        )
        .await
        .unwrap();
    assert_eq!(changed.environments[0].branch, "develop");
    let stale = admin
        .client
        .update_service(
            &service.id,
            &ServicePatch {
                description: Some("x".into()),
                ..ServicePatch::default()
            },
            Some(service.version),
        )
        .await
        .unwrap_err();
    assert_eq!(stale.problem().unwrap().status, 412);

    // Deleting the service removes its webhook and keeps the repository, unless asked.
    let deletion = admin
        .client
        .delete_service(&service.id, false, None)
        .await
        .unwrap();
    let deletion = finished(&admin, &deletion.id).await;
    assert_eq!(
        deletion.status,
        JobStatus::Succeeded,
        "{:?}",
        deletion.error
    );
    assert!(fake.hooks().is_empty());
    assert!(
        fake.repository(GITEA_LOGIN, "docs").is_some(),
        "the repository stays"
    );
    assert_eq!(
        admin
            .client
            .get_service(&service.id)
            .await
            .unwrap_err()
            .problem()
            .unwrap()
            .status,
        404
    );
    let audit = app.audit_actions().await;
    for action in ["service.create", "service.update", "service.delete"] {
        assert!(audit.iter().any(|a| a == action), "{action} in {audit:?}");
    }
}

#[tokio::test]
async fn a_creation_that_fails_at_the_webhook_is_retried_from_that_step_and_an_abandoned_one_leaves_no_repository()
 {
    let app = app().await;
    let fake = FakeGitHosts::start();
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let project_id = app.fixture(&admin).project(&client_id, "Web").await;
    let connection = connect(&admin, GitProvider::Github, fake.github(), Some(&client_id)).await;

    // The host answers 500 when the webhook is registered: the job tries again, then fails
    // at that step, and the service says why.
    fake.fail_webhooks(true);
    let created = admin
        .client
        .create_service(&new_service(&project_id, &connection, "acme-org", "site"))
        .await
        .unwrap();
    let job = finished(&admin, &created.job.id).await;
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(
        job.attempts, job.max_attempts,
        "an outage is tried again first"
    );
    let failed_step = job.steps.iter().find(|s| s.status == "failed").unwrap();
    assert_eq!(failed_step.name, "register the webhook");
    let service = admin.client.get_service(&created.service.id).await.unwrap();
    assert_eq!(service.status, ServiceStatus::Failed);
    assert!(service.status_detail.unwrap().contains("HTTP 500"));
    let first = service.repository.first_commit.clone().unwrap();

    // Retried once the host works: the steps that succeeded are not done again.
    fake.fail_webhooks(false);
    admin.client.retry_job(&job.id).await.unwrap();
    let job = finished(&admin, &job.id).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    let log = log_of(&admin, &job.id).await;
    assert!(
        log.iter()
            .any(|l| l == "step: push the first commit (done in an earlier run)"),
        "{log:?}"
    );
    let order: Vec<&str> = job.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        order,
        [
            "validate",
            "create the repository",
            "push the first commit",
            "create the branches",
            "register the webhook",
            "start the first build"
        ],
        "a step run again keeps its place"
    );
    let service = admin.client.get_service(&created.service.id).await.unwrap();
    assert_eq!(service.status, ServiceStatus::Active);
    assert_eq!(
        service.repository.first_commit.as_deref(),
        Some(first.as_str()),
        "pushed once"
    );
    assert_eq!(fake.hooks().len(), 1);

    // Another creation fails for good (the webhook again) and is abandoned: deleting it
    // removes the repository it made.
    fake.fail_webhooks(true);
    let second = admin
        .client
        .create_service(&new_service(&project_id, &connection, "acme-org", "blog"))
        .await
        .unwrap();
    assert_eq!(
        finished(&admin, &second.job.id).await.status,
        JobStatus::Failed
    );
    assert!(fake.repository("acme-org", "blog").is_some());
    let undo = admin
        .client
        .delete_service(&second.service.id, false, None)
        .await
        .unwrap();
    let undo = finished(&admin, &undo.id).await;
    assert_eq!(undo.status, JobStatus::Succeeded, "{:?}", undo.error);
    assert!(
        fake.repository("acme-org", "blog").is_none(),
        "the abandoned repository is gone"
    );
    assert!(fake.repository("acme-org", "site").is_some());
}

#[tokio::test]
async fn a_real_git_push_sends_a_signed_webhook_that_is_taken_once_per_ref_and_commit() {
    let app = app().await;
    let fake = FakeGitHosts::start();
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let project_id = app.fixture(&admin).project(&client_id, "Web").await;
    let connection = connect(&admin, GitProvider::Gitea, fake.gitea(), None).await;
    let created = admin
        .client
        .create_service(&new_service(&project_id, &connection, GITEA_LOGIN, "docs"))
        .await
        .unwrap();
    assert_eq!(
        finished(&admin, &created.job.id).await.status,
        JobStatus::Succeeded
    );

    // A developer clones, commits and pushes to staging with real git.
    let work = tempfile::tempdir().unwrap();
    let remote = format!("{}/{GITEA_LOGIN}/docs.git", fake.git());
    git(work.path(), &["clone", "-q", "-b", "staging", &remote, "."]).await;
    std::fs::write(work.path().join("site/extra.html"), "<p>more</p>\n").unwrap();
    git(work.path(), &["add", "-A"]).await;
    git(work.path(), &["commit", "-q", "-m", "More"]).await;
    let commit = git(work.path(), &["rev-parse", "HEAD"]).await;
    git(work.path(), &["push", "-q", "origin", "staging"]).await;

    let deliveries = fake.deliveries();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(deliveries[0].1, 202, "gmac took the push");
    let taken: gmac_types::ServicePush = serde_json::from_str(&{
        // The same delivery again (hosts redeliver): a duplicate, nothing new.
        let hook = &fake.hooks()[0];
        let body = &deliveries[0].2;
        let response = reqwest::Client::new()
            .post(&hook.url)
            .header("X-Gitea-Event", "push")
            .header("X-Gitea-Signature", sign(&hook.secret, body.as_bytes()))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        response.text().await.unwrap()
    })
    .unwrap();
    assert!(taken.duplicate);
    assert_eq!(taken.commit, commit);
    assert_eq!(taken.git_ref, "refs/heads/staging");
    assert_eq!(taken.environment.as_deref(), Some("staging"));
    // The same commit written in upper case is the same push.
    let upper = deliveries[0].2.replace(&commit, &commit.to_uppercase());
    let response = reqwest::Client::new()
        .post(&fake.hooks()[0].url)
        .header("X-Gitea-Event", "push")
        .header(
            "X-Gitea-Signature",
            sign(&fake.hooks()[0].secret, upper.as_bytes()),
        )
        .body(upper)
        .send()
        .await
        .unwrap();
    let again: gmac_types::ServicePush = response.json().await.unwrap();
    assert!(again.duplicate, "a commit's case does not make it new");

    // A wrong signature, or none, is refused with a problem, and nothing is taken.
    let hook = &fake.hooks()[0];
    let forged = serde_json::json!({"ref": "refs/heads/main", "after": "a".repeat(40)}).to_string();
    for signature in [Some(sign("not-the-secret", forged.as_bytes())), None] {
        let mut request = reqwest::Client::new()
            .post(&hook.url)
            .header("X-Gitea-Event", "push")
            .body(forged.clone());
        if let Some(signature) = signature {
            request = request.header("X-Gitea-Signature", signature);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
    }
    // A ping is acknowledged and ignored.
    let ping = r#"{"zen":"Keep it logically awesome.","hook_id":1}"#;
    let response = reqwest::Client::new()
        .post(&hook.url)
        .header("X-GitHub-Event", "ping")
        .header(
            "X-Hub-Signature-256",
            format!("sha256={}", sign(&hook.secret, ping.as_bytes())),
        )
        .body(ping)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let pushes = app
        .audit_actions()
        .await
        .iter()
        .filter(|a| *a == "service.push")
        .count();
    assert_eq!(pushes, 1, "one push taken, once");
}

#[tokio::test]
async fn a_service_on_a_plain_git_remote_pushes_to_an_existing_empty_repository_and_refuses_a_full_one()
 {
    let app = app().await;
    let fake = FakeGitHosts::start();
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let project_id = app.fixture(&admin).project(&client_id, "Web").await;
    let connection = admin
        .client
        .create_git_connection(&NewGitConnection {
            provider: GitProvider::Git,
            base_url: fake.git(),
            token: Some(GOOD_TOKEN.into()),
            client_id: None,
            name: None,
        })
        .await
        .unwrap()
        .id;
    fake.create_bare("team", "site");
    let created = admin
        .client
        .create_service(&new_service(&project_id, &connection, "team", "site"))
        .await
        .unwrap();
    let job = finished(&admin, &created.job.id).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    let service = admin.client.get_service(&created.service.id).await.unwrap();
    assert!(!service.repository.created_by_gmac && !service.repository.webhook_registered);
    let main = fake.git_in("team", "site", &["rev-parse", "main"]);
    assert_eq!(
        Some(main.trim()),
        service.repository.first_commit.as_deref()
    );

    // Pushes reach gmac through the post-receive hook it gave once, installed on the real
    // git server (it signs with openssl and posts with curl).
    let hook = created
        .post_receive_hook
        .clone()
        .expect("a plain remote's hook");
    let hooks_dir = fake.repository("team", "site").unwrap().join("hooks");
    std::fs::write(hooks_dir.join("post-receive"), &hook).unwrap();
    std::fs::set_permissions(
        hooks_dir.join("post-receive"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let remote = format!("{}/team/site.git", fake.git());
    git(work.path(), &["clone", "-q", &remote, "."]).await;
    std::fs::write(work.path().join("site/about.html"), "<p>About</p>\n").unwrap();
    git(work.path(), &["add", "-A"]).await;
    git(work.path(), &["commit", "-q", "-m", "About"]).await;
    let commit = git(work.path(), &["rev-parse", "HEAD"]).await;
    git(work.path(), &["push", "-q", "origin", "main"]).await;
    let pushes = admin
        .client
        .list_service_pushes(&service.id, &PageQuery::default())
        .await
        .unwrap();
    assert_eq!(pushes.items.len(), 1, "{:?}", pushes.items);
    assert_eq!(pushes.items[0].commit, commit);
    assert_eq!(pushes.items[0].environment.as_deref(), Some("production"));
    let again = admin.client.get_service(&service.id).await.unwrap();
    assert!(
        !serde_json::to_string(&again)
            .unwrap()
            .contains("post-receive"),
        "the hook (and its secret) is shown once"
    );

    // A second service on the same, now full, repository fails at the push and says why; the
    // repository it did not make stays when it is abandoned.
    let mut again = new_service(&project_id, &connection, "team", "site");
    again.name = "site-two".into();
    let second = admin.client.create_service(&again).await.unwrap();
    let job = finished(&admin, &second.job.id).await;
    assert_eq!(job.status, JobStatus::Failed);
    assert!(job.error.unwrap().contains("not empty"));
    assert_eq!(job.attempts, 1, "a refusal is not tried again");
    let undo = admin
        .client
        .delete_service(&second.service.id, true, None)
        .await
        .unwrap();
    assert_eq!(
        finished(&admin, &undo.id).await.status,
        JobStatus::Succeeded
    );
    assert!(fake.repository("team", "site").is_some());
}

#[tokio::test]
async fn bad_service_input_points_at_its_field_and_makes_nothing() {
    let app = app().await;
    let fake = FakeGitHosts::start();
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let other_client = app.fixture(&admin).client("Other").await;
    let project_id = app.fixture(&admin).project(&client_id, "Web").await;
    let others = connect(
        &admin,
        GitProvider::Gitea,
        fake.gitea(),
        Some(&other_client),
    )
    .await;
    let connection = connect(&admin, GitProvider::Gitea, fake.gitea(), None).await;

    let cases: Vec<(NewService, &str)> = vec![
        (
            {
                let mut s = new_service(&project_id, &connection, "o", "r");
                s.name = "Not_DNS".into();
                s
            },
            "/name",
        ),
        (
            {
                let mut s = new_service(&project_id, &connection, "o", "r");
                s.template = "nope".into();
                s
            },
            "/template",
        ),
        (
            {
                let mut s = new_service(&project_id, &connection, "o", "r");
                s.parameters.insert("title".into(), serde_json::json!(42));
                s
            },
            "/parameters/title",
        ),
        (
            new_service(&project_id, &connection, "o", "r.git"),
            "/git/name",
        ),
        (
            new_service(&project_id, &connection, "../x", "r"),
            "/git/owner",
        ),
        (
            new_service(&project_id, &others, "o", "r"),
            "/git/connection_id",
        ),
    ];
    for (input, pointer) in cases {
        let err = admin.client.create_service(&input).await.unwrap_err();
        let problem = err.problem().unwrap();
        assert_eq!(problem.status, 422, "{pointer}");
        assert!(
            problem.errors.iter().any(|e| e.pointer == pointer),
            "{pointer}: {:?}",
            problem.errors
        );
    }
    let listed = admin
        .client
        .list_services(&ServiceQuery::default(), &PageQuery::default())
        .await
        .unwrap();
    assert!(listed.items.is_empty());
    assert!(
        fake.requests().iter().all(|(m, _, _)| m == "GET"),
        "no repository was made"
    );
}

#[tokio::test]
async fn gmac_services_create_follows_the_creation_job_and_list_shows_the_service() {
    use std::process::{Command, Stdio};
    let app = app().await;
    let fake = FakeGitHosts::start();
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let project_id = app.fixture(&admin).project(&client_id, "Web").await;
    let connection = connect(&admin, GitProvider::Gitea, fake.gitea(), None).await;
    let token = admin
        .client
        .create_token(&gmac_types::NewApiToken {
            name: "ci".into(),
            scopes: vec![
                gmac_types::Permission::ServicesView,
                gmac_types::Permission::ServicesManage,
            ],
            expires_in_days: 1,
            scope: None,
        })
        .await
        .unwrap();
    let token = token.token.expose().to_owned();
    let address = app.address.clone();
    let run = move |args: Vec<String>| {
        let out = Command::new(crate::process::gmac_bin())
            .args(&args)
            .env("GMAC_URL", &address)
            .env("GMAC_TOKEN", &token)
            .env("GMAC_CREDENTIALS", "/nonexistent/credentials.json")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let args: Vec<String> = [
        "services",
        "create",
        "--project",
        &project_id,
        "--name",
        "docs",
        "--template",
        "static-site",
        "--param",
        "title=Docs",
        "--param",
        "port=8081",
        "--connection",
        &connection,
        "--owner",
        GITEA_LOGIN,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let (ok, out, err) = tokio::task::spawn_blocking({
        let run = run.clone();
        move || run(args)
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert!(out.contains("docs is active"), "{out}");
    assert!(
        err.contains("step: register the webhook"),
        "the job's log followed: {err}"
    );
    assert!(!err.contains(GOOD_TOKEN) && !out.contains(GOOD_TOKEN));
    let service = &admin
        .client
        .list_services(&ServiceQuery::default(), &PageQuery::default())
        .await
        .unwrap()
        .items[0];
    assert_eq!(
        service.parameters["port"], 8081,
        "a number parameter is a number"
    );

    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        run(vec![
            "services".into(),
            "list".into(),
            "--status".into(),
            "active".into(),
        ])
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert!(
        out.contains("docs") && out.contains("static-site") && out.contains(GITEA_LOGIN),
        "{out}"
    );
}

#[tokio::test]
async fn a_cancelled_creation_leaves_the_service_failed_to_retry_or_abandon() {
    // No job worker: the creation stays queued until it is cancelled.
    let app = spawn_app_with(Options::default()).await;
    let fake = FakeGitHosts::start();
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let project_id = app.fixture(&admin).project(&client_id, "Web").await;
    let connection = connect(&admin, GitProvider::Gitea, fake.gitea(), None).await;
    let created = admin
        .client
        .create_service(&new_service(&project_id, &connection, GITEA_LOGIN, "docs"))
        .await
        .unwrap();
    assert_eq!(created.service.status, ServiceStatus::Creating);
    admin.client.cancel_job(&created.job.id).await.unwrap();
    let mut service = admin.client.get_service(&created.service.id).await.unwrap();
    for _ in 0..100 {
        if service.status != ServiceStatus::Creating {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        service = admin.client.get_service(&created.service.id).await.unwrap();
    }
    assert_eq!(service.status, ServiceStatus::Failed);
    assert!(
        service
            .status_detail
            .as_deref()
            .is_some_and(|d| d.contains("cancelled")),
        "{:?}",
        service.status_detail
    );
    // Abandoned: the deletion is taken (and nothing was made on the host to undo).
    let deletion = admin
        .client
        .delete_service(&service.id, false, Some(service.version))
        .await
        .unwrap();
    assert_eq!(deletion.kind, "service.delete");
    fake.stop().await;
}

/// Cost lines tagged with a service's `gmac.io/service` label are its costs, with no set-up:
/// this month's, exactly, day by day; another service's and last month's are not; reading them
/// needs `costs.view`.
#[tokio::test]
async fn a_services_costs_are_the_cost_lines_tagged_with_its_label() {
    let app = app().await;
    let fake = FakeGitHosts::start();
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let project_id = app.fixture(&admin).project(&client_id, "Web").await;
    let connection = connect(&admin, GitProvider::Gitea, fake.gitea(), None).await;
    let created = admin
        .client
        .create_service(&new_service(&project_id, &connection, GITEA_LOGIN, "docs"))
        .await
        .unwrap();
    finished(&admin, &created.job.id).await;
    let id = created.service.id;
    let today = app.core.now().date_naive();
    let month_start = chrono::Datelike::with_day(&today, 1).unwrap();
    let last_month = month_start - chrono::Duration::days(3);
    let line = |day: chrono::NaiveDate, cost: &str, service: &str, environment: &str| {
        let next = day + chrono::Duration::days(1);
        format!(
            "{cost},{cost},USD,{day}T00:00:00Z,{next}T00:00:00Z,Usage,EC2,a1,\"{{\"\"gmac.io/service\"\":\"\"{service}\"\",\"\"gmac.io/environment\"\":\"\"{environment}\"\",\"\"project\"\":\"\"Web\"\"}}\"\n"
        )
    };
    let file = [
        "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName,SubAccountId,Tags\n".to_owned(),
        line(month_start, "1.25", &id, "staging"),
        line(month_start, "10.10", &id, "production"),
        line(today, "0.333", &id, "production"),
        line(last_month, "500", &id, "production"),
        line(month_start, "77", "01a00000-0000-7000-8000-000000000000", "staging"),
    ]
    .concat();
    app.fixture(&admin).import(&client_id, file).await;

    let costs = admin.client.service_costs(&id).await.unwrap();
    assert_eq!(costs.tag, format!("gmac.io/service={id}"));
    assert_eq!(costs.currency, "USD");
    assert_eq!(costs.month_start, month_start);
    assert_eq!(
        costs.month_to_date,
        "11.683".parse::<rust_decimal::Decimal>().unwrap(),
        "this month's lines of this service only, exactly"
    );
    let first = costs.days.iter().find(|d| d.date == month_start).unwrap();
    let first_day = if today == month_start {
        "11.683"
    } else {
        "11.35"
    };
    assert_eq!(
        first.amount,
        first_day.parse::<rust_decimal::Decimal>().unwrap()
    );
    assert!(costs.days.iter().all(|d| d.date >= month_start));
    // Nothing has gone live yet: no release to charge.
    assert!(costs.releases.is_empty());

    // A Developer of the project alone sees them too, through the project's tag.
    let developer = app
        .fixture(&admin)
        .member(
            "dev@example.com",
            "developer",
            gmac_types::Scope::Project {
                id: project_id.clone(),
            },
        )
        .await;
    let seen = developer.client.service_costs(&id).await.unwrap();
    assert_eq!(seen.month_to_date, costs.month_to_date);
    // A Billing Manager sees costs but not services.
    let billing = app
        .fixture(&admin)
        .member(
            "billing@example.com",
            "billing_manager",
            gmac_types::Scope::Global,
        )
        .await;
    let refused = billing.client.service_costs(&id).await.unwrap_err();
    assert_eq!(refused.status(), Some(403));
}
