//! Builds (issue 11, point 5) for real: a service made from the static-site template on a
//! named fake of Gitea's API whose repositories are real (`git http-backend`); a developer's
//! real `git push` sends the signed webhook that starts a build; the image is built through
//! Podman's Docker-compatible API, its hooks run in containers, its log followed live.

use std::time::Duration;

use gmac_core::ports::ContainerHost as _;
use gmac_tests::fake_git_hosts::{FakeGitHosts, GITEA_LOGIN, GOOD_TOKEN, developer_git as git};
use gmac_tests::podman::{BASE_IMAGE, Podman};
use gmac_tests::{Options, Session, TestApp, spawn_app_with};
use gmac_types::{
    Build, BuildSettingsPatch, BuildStatus, BuildTrigger, GitProvider, JobStatus, NewGitConnection,
    NewService, NewServiceRepository, PageQuery, ServicePatch,
};
use sea_orm::{ConnectionTrait, Statement};

/// A build secret, as a user would set one.
const SECRET: &str = "npm_s3cr3t-Value-7f41c2";

struct Setup {
    app: TestApp,
    podman: Podman,
    fake: FakeGitHosts,
    admin: Session,
    service: String,
    remote: String,
}

/// gmac with a job worker and Podman, a Gitea connection, and the static-site service `docs`
/// created (its first build, which needs a public base image, fails: nothing is pulled here).
async fn setup() -> Setup {
    setup_with(Options::default()).await
}

/// [`setup`] with `options` (a registry, a concurrency limit).
async fn setup_with(options: Options) -> Setup {
    let podman = Podman::start().await;
    let app = spawn_app_with(Options {
        job_worker: true,
        container_host: Some(podman.host.clone()),
        ..options
    })
    .await;
    let fake = FakeGitHosts::start();
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let project_id = app.fixture(&admin).project(&client_id, "Web").await;
    let connection = admin
        .client
        .create_git_connection(&NewGitConnection {
            provider: GitProvider::Gitea,
            base_url: fake.gitea(),
            token: Some(GOOD_TOKEN.into()),
            client_id: None,
            name: None,
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
            parameters: serde_json::json!({"title": "Acme docs"})
                .as_object()
                .unwrap()
                .clone(),
            git: NewServiceRepository {
                connection_id: connection,
                owner: GITEA_LOGIN.into(),
                name: "docs".into(),
            },
            description: None,
            owner_team_id: None,
        })
        .await
        .unwrap();
    let mut job = created.job;
    for _ in 0..600 {
        job = admin.client.get_job(&job.id).await.unwrap();
        if job.status.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    let remote = format!("{}/{GITEA_LOGIN}/docs.git", fake.git());
    Setup {
        app,
        podman,
        fake,
        admin,
        service: created.service.id,
        remote,
    }
}

/// Waits for a build to end (images take seconds), and answers it.
async fn ended(session: &Session, id: &str) -> Build {
    for _ in 0..1200 {
        let build = session.client.get_build(id).await.unwrap();
        if build.status.is_finished() {
            return build;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // What the build's job was doing, to tell a hang from slowness.
    let build = session.client.get_build(id).await.unwrap();
    let job = session.client.get_job(&build.job_id).await.unwrap();
    let log = session
        .client
        .job_log(&build.job_id, 0)
        .await
        .map(|p| p.items.into_iter().map(|l| l.line).collect::<Vec<_>>())
        .unwrap_or_default();
    let tail = &log[log.len().saturating_sub(15)..];
    panic!(
        "build {id} did not end: job {} {:?}, steps {:?}, last lines {tail:#?}",
        job.id,
        job.status,
        job.steps
            .iter()
            .map(|s| (s.name.clone(), s.status.clone()))
            .collect::<Vec<_>>()
    );
}

/// The builds of a service, newest first.
async fn builds(s: &Setup) -> Vec<Build> {
    s.admin
        .client
        .list_builds(&s.service, None, &PageQuery::default())
        .await
        .unwrap()
        .items
}

/// Sets how the service builds.
async fn configure(s: &Setup, patch: BuildSettingsPatch) {
    s.admin
        .client
        .update_service(
            &s.service,
            &ServicePatch {
                build: Some(patch),
                ..ServicePatch::default()
            },
            None,
        )
        .await
        .unwrap();
}

/// A developer's change to staging, pushed with real git: answers the commit, and the build
/// its webhook started.
async fn push(
    s: &Setup,
    work: &std::path::Path,
    change: impl FnOnce(&std::path::Path),
) -> (String, String) {
    if !work.join(".git").exists() {
        git(work, &["clone", "-q", "-b", "staging", &s.remote, "."]).await;
    }
    let before = s.fake.deliveries().len();
    change(work);
    git(work, &["add", "-A"]).await;
    git(work, &["commit", "-q", "-m", "A change"]).await;
    let commit = git(work, &["rev-parse", "HEAD"]).await;
    git(work, &["push", "-q", "origin", "staging"]).await;
    let deliveries = s.fake.deliveries();
    assert_eq!(deliveries.len(), before + 1, "one webhook per push");
    let (_, status, _) = &deliveries[before];
    assert_eq!(*status, 202, "gmac took the push");
    let build = builds(s)
        .await
        .into_iter()
        .find(|b| b.commit.as_deref() == Some(commit.as_str()))
        .expect("the push started a build of its commit");
    assert_eq!(build.trigger, BuildTrigger::Push);
    assert_eq!(build.environment.as_deref(), Some("staging"));
    (commit, build.id)
}

fn dockerfile(work: &std::path::Path) -> std::path::PathBuf {
    work.join("Dockerfile")
}

#[tokio::test]
async fn a_push_builds_a_real_image_through_podman_and_a_broken_dockerfile_fails_at_its_line_until_a_fix_and_a_retry()
 {
    let s = setup().await;
    // The creation's last step queued the first build, of main: its base image is public and
    // not on this machine, so it fails at the image step.
    let first = builds(&s).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].trigger, BuildTrigger::Creation);
    assert_eq!(first[0].number, 1);
    let first = ended(&s.admin, &first[0].id).await;
    assert_eq!(first.status, BuildStatus::Failed);
    let failed_at: Vec<(&str, &str)> = first
        .steps
        .iter()
        .map(|st| (st.name.as_str(), st.status.as_str()))
        .collect();
    assert_eq!(failed_at, [("checkout", "succeeded"), ("image", "failed")]);
    assert!(
        first
            .error
            .as_deref()
            .unwrap_or("")
            .contains("image build failed"),
        "{:?}",
        first.error
    );

    // Built from the local base image, with a pre-build hook that writes a file into the
    // build's context and a post-build hook that runs in the image made.
    configure(
        &s,
        BuildSettingsPatch {
            build_args: Some([("BASE_IMAGE".to_owned(), BASE_IMAGE.to_owned())].into()),
            pre_build: Some(vec!["echo made-by-the-hook > site/generated.txt".into()]),
            post_build: Some(vec!["cat /www/generated.txt && echo post-build-ok".into()]),
            hook_image: Some(BASE_IMAGE.into()),
            ..BuildSettingsPatch::default()
        },
    )
    .await;
    let work = tempfile::tempdir().unwrap();
    let (commit, id) = push(&s, work.path(), |w| {
        std::fs::write(w.join("site/extra.html"), "<p>more</p>\n").unwrap();
    })
    .await;
    let built = ended(&s.admin, &id).await;
    assert_eq!(built.status, BuildStatus::Succeeded, "{:?}", built.error);
    let steps: Vec<&str> = built.steps.iter().map(|st| st.name.as_str()).collect();
    assert_eq!(
        steps,
        [
            "checkout",
            "pre-build hooks",
            "image",
            "tag",
            "post-build hooks"
        ]
    );
    assert!(
        built
            .steps
            .iter()
            .all(|st| st.status == "succeeded" && st.duration_ms.is_some())
    );
    assert!(built.duration_ms.is_some());
    let image = built.image_id.clone().expect("the image's id");
    let short = &commit[..12];
    assert!(
        built
            .image_tags
            .iter()
            .any(|t| t.ends_with(&format!(":{short}"))),
        "tagged with the commit: {:?}",
        built.image_tags
    );
    let engine = gmac_connectors::containers::DockerEngine::connect(&s.podman.host).unwrap();
    let labels = engine.image_labels(&image).await.unwrap();
    assert_eq!(labels["gmac.io/service"], s.service);
    assert_eq!(labels["gmac.io/environment"], "staging");
    assert_eq!(labels["gmac.io/commit"], commit);
    assert!(labels.contains_key("gmac.io/project") && labels.contains_key("gmac.io/client"));
    let log = s.admin.client.build_log_text(&id).await.unwrap();
    assert!(
        log.contains("made-by-the-hook"),
        "the pre-build hook's file is in the image: {log}"
    );
    assert!(log.contains("post-build-ok"), "{log}");
    assert!(
        log.contains("COPY site/ /www/"),
        "the builder's steps: {log}"
    );

    // A broken Dockerfile fails at the image step, its failing line in the error.
    let (_, broken) = push(&s, work.path(), |w| {
        let mut text = std::fs::read_to_string(dockerfile(w)).unwrap();
        text.push_str("RUN echo about-to-fail && exit 3\n");
        std::fs::write(dockerfile(w), text).unwrap();
    })
    .await;
    let broken = ended(&s.admin, &broken).await;
    assert_eq!(broken.status, BuildStatus::Failed);
    let failed_step = broken
        .steps
        .iter()
        .find(|st| st.status == "failed")
        .unwrap();
    assert_eq!(failed_step.name, "image");
    let error = broken.error.clone().unwrap();
    assert!(
        error.contains("exit 3"),
        "the failing line is named: {error}"
    );
    assert!(
        s.admin
            .client
            .build_log_text(&broken.id)
            .await
            .unwrap()
            .contains("about-to-fail"),
        "the log shows how far it got"
    );

    // The fix, pushed, builds; the first build, retried, now succeeds at the same commit.
    let (_, fixed) = push(&s, work.path(), |w| {
        let text = std::fs::read_to_string(dockerfile(w)).unwrap();
        std::fs::write(
            dockerfile(w),
            text.replace("RUN echo about-to-fail && exit 3\n", ""),
        )
        .unwrap();
    })
    .await;
    assert_eq!(ended(&s.admin, &fixed).await.status, BuildStatus::Succeeded);
    let retried = s.admin.client.retry_build(&first.id).await.unwrap();
    assert_eq!(retried.status, BuildStatus::Queued);
    let retried = ended(&s.admin, &first.id).await;
    assert_eq!(
        retried.status,
        BuildStatus::Succeeded,
        "{:?}",
        retried.error
    );
    assert_eq!(
        retried.commit, first.commit,
        "a retry builds the same commit"
    );
    // A retried build is the retrier's: it says so, and deploy-on-push leaves it alone.
    assert_eq!(retried.trigger, BuildTrigger::Manual);
    let again = s.admin.client.retry_build(&first.id).await.unwrap_err();
    assert!(
        again.to_string().contains("409") || again.to_string().contains("retried"),
        "{again}"
    );

    // The analytics say what the builds did.
    let all = builds(&s).await;
    assert_eq!(all.len(), 4);
    let stats = s.admin.client.build_stats(&s.service, 7).await.unwrap();
    let count = |status| i64::try_from(all.iter().filter(|b| b.status == status).count()).unwrap();
    assert_eq!(stats.total, 4);
    assert_eq!(stats.succeeded, count(BuildStatus::Succeeded));
    assert_eq!(stats.failed, count(BuildStatus::Failed));
    assert_eq!((stats.succeeded, stats.failed), (3, 1));
    assert_eq!(stats.success_rate, Some(75.0));
    assert_eq!(stats.per_day.len(), 7);
    assert_eq!(stats.per_day.last().unwrap().total, 4, "all of them today");
    let durations: Vec<i64> = all.iter().filter_map(|b| b.duration_ms).collect();
    assert_eq!(stats.p95_duration_ms, durations.iter().max().copied());
    assert_eq!(
        stats.mean_duration_ms,
        Some(durations.iter().sum::<i64>() / 4)
    );
}

#[tokio::test]
async fn a_build_log_follows_live_as_server_sent_events_and_gmac_builds_logs_follow_shows_it() {
    let s = setup().await;
    // The creation's build ends first (failed: its public base image is not here), before the
    // settings name the local one: a build reads its settings when it runs.
    let creation = builds(&s)
        .await
        .into_iter()
        .find(|b| b.trigger == BuildTrigger::Creation)
        .expect("the creation's build");
    assert_eq!(
        ended(&s.admin, &creation.id).await.status,
        BuildStatus::Failed
    );
    configure(
        &s,
        BuildSettingsPatch {
            build_args: Some([("BASE_IMAGE".to_owned(), BASE_IMAGE.to_owned())].into()),
            ..BuildSettingsPatch::default()
        },
    )
    .await;
    let build = s
        .admin
        .client
        .start_build(
            &s.service,
            &gmac_types::NewBuild {
                git_ref: "main".into(),
                cache: Some(false),
            },
        )
        .await
        .unwrap();
    assert_eq!(build.trigger, BuildTrigger::Manual);
    assert_eq!(build.environment.as_deref(), Some("production"));
    assert!(!build.cache);
    // Followed from the start: every line arrives as a `log` event, in order, then `end`.
    let mut events = s
        .admin
        .client
        .follow_build_log(&build.id, None)
        .await
        .unwrap();
    let mut lines = Vec::new();
    let mut ended_with = None;
    while let Some(event) = events.next().await {
        let event = event.unwrap();
        match event.event.as_str() {
            "log" => {
                let line: gmac_types::JobLogLine = serde_json::from_str(&event.data).unwrap();
                assert_eq!(event.id.as_deref(), Some(line.seq.to_string().as_str()));
                lines.push(line.line);
            }
            "end" => {
                ended_with = Some(serde_json::from_str::<gmac_types::Job>(&event.data).unwrap());
                break;
            }
            _ => {}
        }
    }
    let job = ended_with.expect("the stream ends with the build");
    assert_eq!(job.status, JobStatus::Succeeded);
    let text = s.admin.client.build_log_text(&build.id).await.unwrap();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        lines,
        "the stream is the log"
    );
    assert!(lines.iter().any(|l| l == "step: image"));
    // Resumed after a line: only what came after it.
    let mut resumed = s
        .admin
        .client
        .follow_build_log(&build.id, Some(2))
        .await
        .unwrap();
    let first = loop {
        let event = resumed.next().await.unwrap().unwrap();
        if event.event == "log" {
            break serde_json::from_str::<gmac_types::JobLogLine>(&event.data).unwrap();
        }
    };
    assert_eq!(first.seq, 3);

    // The command line: list, the log, and a retry that is refused for a build that succeeded.
    let token = crate::process::script_token(
        &s.admin,
        vec![
            gmac_types::Permission::ServicesView,
            gmac_types::Permission::BuildsRun,
        ],
    )
    .await;
    let cli = async |args: &[&str]| crate::process::run_gmac(&s.app.address, &token, args).await;
    let (ok, out, err) = cli(&["builds", "list", "--service", &s.service]).await;
    assert!(ok, "{err}");
    assert!(
        out.contains(&build.id) && out.contains("succeeded"),
        "{out}"
    );
    assert!(out.contains("creation") && out.contains("manual"), "{out}");
    let (ok, out, err) = cli(&["builds", "logs", &build.id, "--follow"]).await;
    assert!(ok, "{err}");
    assert!(err.contains("step: image"), "the log, followed: {err}");
    assert!(out.contains("succeeded"), "{out}");
    let (ok, out, _) = cli(&["builds", "logs", &build.id]).await;
    assert!(ok && out.contains("step: tag"), "{out}");
    let (ok, _, err) = cli(&["builds", "retry", &build.id]).await;
    assert!(!ok && err.contains("retried"), "{err}");
    // The first build (failed: no public base image here) is retried and followed.
    let first = builds(&s)
        .await
        .into_iter()
        .find(|b| b.trigger == BuildTrigger::Creation)
        .unwrap();
    ended(&s.admin, &first.id).await;
    let (ok, out, err) = cli(&["builds", "retry", &first.id]).await;
    assert!(ok, "{err}");
    assert!(
        out.contains("succeeded") && err.contains("step: checkout"),
        "{out}{err}"
    );
}

#[tokio::test]
async fn a_build_secret_is_mounted_for_the_build_and_appears_in_no_log_answer_database_row_or_image_history()
 {
    let s = setup().await;
    configure(
        &s,
        BuildSettingsPatch {
            build_args: Some([("BASE_IMAGE".to_owned(), BASE_IMAGE.to_owned())].into()),
            secrets: Some([("NPM_TOKEN".to_owned(), Some(SECRET.to_owned()))].into()),
            // Every step runs (the layer cache is shared by every test on this host).
            cache: Some(false),
            ..BuildSettingsPatch::default()
        },
    )
    .await;
    let service = s.admin.client.get_service(&s.service).await.unwrap();
    assert_eq!(service.build.secret_names, ["NPM_TOKEN"]);
    assert!(!service.build.cache);
    // A value too short to be masked in logs is refused, pointing at it; nothing changes.
    let short = s
        .admin
        .client
        .update_service(
            &s.service,
            &ServicePatch {
                build: Some(BuildSettingsPatch {
                    secrets: Some([("PIN".to_owned(), Some("123".to_owned()))].into()),
                    ..BuildSettingsPatch::default()
                }),
                ..ServicePatch::default()
            },
            None,
        )
        .await
        .unwrap_err();
    let problem = short.problem().expect("a problem");
    assert_eq!(problem.status, 422);
    assert_eq!(problem.errors[0].pointer, "/build/secrets/PIN");
    assert_eq!(
        s.admin
            .client
            .get_service(&s.service)
            .await
            .unwrap()
            .build
            .secret_names,
        ["NPM_TOKEN"]
    );
    let work = tempfile::tempdir().unwrap();
    let (_, id) = push(&s, work.path(), |w| {
        let mut text = std::fs::read_to_string(dockerfile(w)).unwrap();
        // A careless step that prints the secret, and one that only checks it is there.
        text.push_str("RUN --mount=type=secret,id=NPM_TOKEN cat /run/secrets/NPM_TOKEN\n");
        text.push_str(
            "RUN --mount=type=secret,id=NPM_TOKEN test -s /run/secrets/NPM_TOKEN && echo secret-was-mounted\n",
        );
        std::fs::write(dockerfile(w), text).unwrap();
    })
    .await;
    // Followed live while it runs.
    let mut stream = s.admin.client.follow_build_log(&id, None).await.unwrap();
    let mut streamed = String::new();
    while let Some(event) = stream.next().await {
        let event = event.unwrap();
        streamed.push_str(&event.data);
        if event.event == "end" {
            break;
        }
    }
    let build = ended(&s.admin, &id).await;
    assert_eq!(build.status, BuildStatus::Succeeded, "{:?}", build.error);
    let log = s.admin.client.build_log_text(&id).await.unwrap();
    assert!(
        log.contains("secret-was-mounted"),
        "the build read it: {log}"
    );
    assert!(
        log.contains("••••••"),
        "the printed secret is masked: {log}"
    );
    for (what, text) in [
        ("the stored log", log.as_str()),
        ("the live log", streamed.as_str()),
    ] {
        assert!(!text.contains(SECRET), "{what} holds the secret");
    }
    // No answer carries it.
    for path in [
        format!("/api/v1/builds/{id}"),
        format!("/api/v1/services/{}", s.service),
        format!("/api/v1/services/{}/builds", s.service),
        "/api/v1/audit?limit=200".to_owned(),
        format!("/api/v1/jobs/{}/log?limit=1000", build.job_id),
    ] {
        let body = s
            .admin
            .client
            .request(reqwest::Method::GET, &path)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!body.contains(SECRET), "{path} answers the secret");
    }
    // Nor the database: each text column of the rows a build writes.
    let db = &s.app.core.db;
    for (table, columns) in [
        ("job_logs", "line"),
        (
            "jobs",
            "payload || coalesce(result, '') || coalesce(error, '') || steps",
        ),
        ("builds", "git_ref || image_tags || coalesce(error, '')"),
        (
            "services",
            "build_settings || coalesce(sealed_build_secrets, '')",
        ),
        ("audit_log", "details"),
        ("events", "payload"),
    ] {
        let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {columns} LIKE '%{SECRET}%'");
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                sql.clone(),
            ))
            .await
            .unwrap()
            .unwrap();
        let n: i64 = row.try_get("", "n").unwrap();
        assert_eq!(n, 0, "{table} holds the secret ({sql})");
    }
    // On SQLite, the database's files themselves.
    if let Some(path) = s.app.database_url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap();
        for file in [path.to_owned(), format!("{path}-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                assert!(
                    !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
                    "{file} holds the secret"
                );
            }
        }
    }
    // Nor the image: its history names the mount, never the value.
    let engine = gmac_connectors::containers::DockerEngine::connect(&s.podman.host).unwrap();
    let history = engine
        .image_history(build.image_id.as_deref().unwrap())
        .await
        .unwrap()
        .join("\n");
    assert!(history.contains("secret-was-mounted"), "{history}");
    assert!(
        !history.contains(SECRET),
        "the image's history holds the secret: {history}"
    );
}

#[tokio::test]
async fn a_build_pushes_its_image_to_the_installations_registry_and_records_the_digest() {
    let registry = gmac_tests::registry::Registry::start().await;
    let s = setup_with(Options {
        registry: Some(registry.address()),
        ..Options::default()
    })
    .await;
    configure(
        &s,
        BuildSettingsPatch {
            build_args: Some([("BASE_IMAGE".to_owned(), BASE_IMAGE.to_owned())].into()),
            ..BuildSettingsPatch::default()
        },
    )
    .await;
    let build = s
        .admin
        .client
        .start_build(
            &s.service,
            &gmac_types::NewBuild {
                git_ref: "staging".into(),
                cache: None,
            },
        )
        .await
        .unwrap();
    let build = ended(&s.admin, &build.id).await;
    assert_eq!(build.status, BuildStatus::Succeeded, "{:?}", build.error);
    let digest = build
        .digest
        .clone()
        .expect("the registry's digest is recorded");
    assert!(digest.starts_with("sha256:"), "{digest}");
    let pushed = &build.image_tags[0];
    let prefix = format!("{}/", registry.address());
    let (repository, tag) = pushed
        .strip_prefix(&prefix)
        .expect("the image is named in the registry")
        .rsplit_once(':')
        .unwrap();
    assert_eq!(tag, &build.commit.as_deref().unwrap()[..12]);
    assert_eq!(
        registry.digest(repository, tag).await.as_deref(),
        Some(digest.as_str()),
        "the registry holds the image under the recorded digest"
    );
    let log = s.admin.client.build_log_text(&build.id).await.unwrap();
    assert!(
        log.contains(&format!("pushed {pushed} as {digest}")),
        "{log}"
    );
}

#[tokio::test]
async fn a_builds_run_steps_have_no_network_so_they_reach_neither_gmacs_host_nor_link_local_metadata()
 {
    let s = setup().await;
    configure(
        &s,
        BuildSettingsPatch {
            build_args: Some([("BASE_IMAGE".to_owned(), BASE_IMAGE.to_owned())].into()),
            cache: Some(false),
            ..BuildSettingsPatch::default()
        },
    )
    .await;
    // gmac listens on loopback: a step in the host's network (Podman's default for its
    // Docker-compatible builds) would reach it.
    let health = s.app.url("/healthz");
    let work = tempfile::tempdir().unwrap();
    let (_, id) = push(&s, work.path(), |w| {
        let mut text = std::fs::read_to_string(dockerfile(w)).unwrap();
        text += "RUN wget -q -O- ";
        text += &health;
        text += " && echo gmac-reached || echo gmac-unreachable\n";
        text.push_str(
            "RUN wget -q -O- http://169.254.169.254/latest/meta-data/ && echo metadata-reached || echo metadata-unreachable\n",
        );
        std::fs::write(dockerfile(w), text).unwrap();
    })
    .await;
    let build = ended(&s.admin, &id).await;
    assert_eq!(build.status, BuildStatus::Succeeded, "{:?}", build.error);
    let log = s.admin.client.build_log_text(&id).await.unwrap();
    // What each step printed is a line of its own (the step's own line quotes both words).
    let printed = |word: &str| log.lines().any(|l| l.trim() == word);
    assert!(
        printed("gmac-unreachable") && !printed("gmac-reached"),
        "{log}"
    );
    assert!(
        printed("metadata-unreachable") && !printed("metadata-reached"),
        "{log}"
    );
}

#[tokio::test]
async fn builds_of_a_project_beyond_its_limit_wait_queued_and_never_run_at_once() {
    let s = setup_with(Options {
        builds_per_project: Some(1),
        ..Options::default()
    })
    .await;
    // Three workers in all (the app's and two more), so only the limit keeps builds apart.
    for _ in 0..2 {
        let worker = gmac_core::services::background::worker(
            s.app.core.clone(),
            gmac_tests::worker_options(),
        );
        tokio::spawn(worker.run());
    }
    configure(
        &s,
        BuildSettingsPatch {
            build_args: Some([("BASE_IMAGE".to_owned(), BASE_IMAGE.to_owned())].into()),
            // Long enough for the others to be claimed meanwhile.
            pre_build: Some(vec!["sleep 1".into()]),
            hook_image: Some(BASE_IMAGE.into()),
            ..BuildSettingsPatch::default()
        },
    )
    .await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let build = s
            .admin
            .client
            .start_build(
                &s.service,
                &gmac_types::NewBuild {
                    git_ref: "main".into(),
                    cache: None,
                },
            )
            .await
            .unwrap();
        ids.push(build.id);
    }
    let mut spans = Vec::new();
    let mut waited = 0;
    for id in &ids {
        let build = ended(&s.admin, id).await;
        assert_eq!(build.status, BuildStatus::Succeeded, "{:?}", build.error);
        let job = s.admin.client.get_job(&build.job_id).await.unwrap();
        assert!(
            job.attempts <= 1,
            "waiting for a place uses no attempt: {}",
            job.attempts
        );
        let log = s.admin.client.build_log_text(id).await.unwrap();
        if log.contains("waiting: 1 builds of this project are running (the limit is 1)") {
            waited += 1;
        }
        // The span of its steps: from the checkout's start to the last step's end.
        let start = build.steps.first().unwrap().started_at.unwrap();
        let end = build.steps.last().unwrap().finished_at.unwrap();
        spans.push((start, end));
    }
    assert!(waited >= 1, "a build waited for a place");
    spans.sort();
    for pair in spans.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "two builds ran at once: {spans:?}");
    }
}

#[tokio::test]
async fn builds_started_at_the_same_moment_each_get_a_number_of_their_own() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    // No worker: the builds stay queued; what is checked is how they are numbered.
    let app = spawn_app_with(Options::default()).await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let project_id = app.fixture(&admin).project(&client_id, "Web").await;
    let connection = admin
        .client
        .create_git_connection(&NewGitConnection {
            provider: GitProvider::Git,
            base_url: "http://127.0.0.1:9/git".into(),
            token: None,
            client_id: None,
            name: None,
        })
        .await
        .unwrap()
        .id;
    let created = admin
        .client
        .create_service(&NewService {
            project_id,
            name: "web".into(),
            template: "static-site".into(),
            parameters: serde_json::json!({"title": "Web"})
                .as_object()
                .unwrap()
                .clone(),
            git: NewServiceRepository {
                connection_id: connection,
                owner: "acme".into(),
                name: "web".into(),
            },
            description: None,
            owner_team_id: None,
        })
        .await
        .unwrap();
    // Refused while the service is not active.
    let early = admin
        .client
        .start_build(
            &created.service.id,
            &gmac_types::NewBuild {
                git_ref: "main".into(),
                cache: None,
            },
        )
        .await
        .unwrap_err();
    assert!(early.to_string().contains("active"), "{early}");
    admin.client.cancel_job(&created.job.id).await.unwrap();
    gmac_core::entities::service::Entity::update_many()
        .filter(gmac_core::entities::service::Column::Id.eq(created.service.id.as_str()))
        .col_expr(
            gmac_core::entities::service::Column::Status,
            Expr::value("active"),
        )
        .exec(&app.core.db)
        .await
        .unwrap();
    let starts: Vec<_> = (0..12)
        .map(|i| {
            let client = admin.client.clone();
            let id = created.service.id.clone();
            tokio::spawn(async move {
                client
                    .start_build(
                        &id,
                        &gmac_types::NewBuild {
                            git_ref: if i % 2 == 0 { "main" } else { "staging" }.into(),
                            cache: None,
                        },
                    )
                    .await
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for start in starts {
        let build = start.await.unwrap().expect("every start is taken");
        assert_eq!(build.status, BuildStatus::Queued);
        numbers.push(build.number);
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=12).collect::<Vec<i64>>());
    // A bad ref points at its field and starts nothing.
    let bad = admin
        .client
        .start_build(
            &created.service.id,
            &gmac_types::NewBuild {
                git_ref: "--upload-pack=x".into(),
                cache: None,
            },
        )
        .await
        .unwrap_err();
    let problem = bad.problem().expect("a problem");
    assert_eq!(problem.status, 422);
    assert_eq!(problem.errors[0].pointer, "/ref");
    let page = admin
        .client
        .list_builds(&created.service.id, Some("staging"), &PageQuery::default())
        .await
        .unwrap();
    assert_eq!(page.total, 6, "filtered by environment");
    // Cancelled while queued: at once.
    let cancelled = admin.client.cancel_build(&page.items[0].id).await.unwrap();
    assert_eq!(cancelled.status, BuildStatus::Cancelled);
    let again = admin
        .client
        .cancel_build(&page.items[0].id)
        .await
        .unwrap_err();
    assert_eq!(again.problem().map(|p| p.status), Some(409));
}
