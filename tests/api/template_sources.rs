//! Templates added from a git repository (issue 11, point 2): `/api/v1/template-sources`, its
//! sync job against a real smart-HTTP git server (`git http-backend`, behind the named fake of
//! the hosting APIs), and services created from what it added.

use gmac_tests::fake_git_hosts::{FakeGitHosts, GOOD_TOKEN, developer_git as git};
use gmac_tests::template_repo::{manifest, publish, write};
use gmac_tests::{Options, Session, TestApp, spawn_app_with};
use gmac_types::{
    GitProvider, JobStatus, NewGitConnection, NewService, NewServiceRepository, NewTemplateSource,
    TemplateSource, TemplateSourceStatus,
};
use serde_json::json;

async fn app() -> TestApp {
    spawn_app_with(Options {
        job_worker: true,
        ..Options::default()
    })
    .await
}

async fn connect(admin: &Session, fake: &FakeGitHosts) -> String {
    admin
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
        .id
}

/// Waits for the source's sync to end, and answers the source.
async fn synced(admin: &Session, source: &TemplateSource) -> TemplateSource {
    let job_id = source.job_id.clone().expect("a sync job");
    for _ in 0..400 {
        let job = admin.client.get_job(&job_id).await.unwrap();
        if job.status.is_finished() {
            return admin.client.get_template_source(&source.id).await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the sync {job_id} did not end");
}

fn new_source(url: &str, connection: Option<&str>, path: &str) -> NewTemplateSource {
    NewTemplateSource {
        url: url.to_owned(),
        connection_id: connection.map(str::to_owned),
        git_ref: "main".into(),
        path: path.to_owned(),
    }
}

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one story, told in order")]
async fn templates_added_from_a_real_git_repository_are_checked_whole_and_a_service_is_created_from_one()
 {
    let app = app().await;
    let fake = FakeGitHosts::start();
    let admin = app.super_admin().await;
    let connection = connect(&admin, &fake).await;
    let (url, work, first_commit) = publish(&fake, "platform", "templates").await;

    // Without credentials the server refuses the fetch: the sync fails and says why, and the
    // catalog is as it was.
    let public = admin
        .client
        .create_template_source(&new_source(&url, None, "templates"))
        .await
        .unwrap();
    assert_eq!(public.status, TemplateSourceStatus::Syncing);
    let public = synced(&admin, &public).await;
    assert_eq!(public.status, TemplateSourceStatus::Failed);
    let error = public.error.clone().unwrap();
    assert!(error.contains("git fetch"), "{error}");
    assert_eq!(admin.client.list_templates().await.unwrap().len(), 5);
    admin
        .client
        .delete_template_source(&public.id)
        .await
        .unwrap();

    // With the installation's connection it is read; each folder is checked whole.
    let source = admin
        .client
        .create_template_source(&new_source(&url, Some(&connection), "/templates/"))
        .await
        .unwrap();
    assert_eq!(
        source.path, "templates",
        "the folder is kept without its slashes"
    );
    let source = synced(&admin, &source).await;
    assert_eq!(
        source.status,
        TemplateSourceStatus::Ready,
        "{:?}",
        source.error
    );
    assert_eq!(source.commit.as_deref(), Some(first_commit.as_str()));
    assert_eq!(source.templates, ["docs-page"]);
    let problems: Vec<(&str, &str)> = source
        .problems
        .iter()
        .map(|p| (p.folder.as_str(), p.detail.as_str()))
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].0, "templates/colour-card");
    assert!(problems[0].1.contains("colour"), "{problems:?}");
    assert_eq!(problems[1].0, "templates/static-site");
    assert!(problems[1].1.contains("built-in"), "{problems:?}");
    // The sync's log says what it found, and the token is in no line of it.
    let job_id = source.job_id.clone().unwrap();
    let job = admin.client.get_job(&job_id).await.unwrap();
    let steps: Vec<&str> = job.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(steps, ["fetch", "check the templates", "save"]);
    let log: Vec<String> = admin
        .client
        .job_log(&job_id, 0)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|l| l.line)
        .collect();
    assert!(
        log.iter()
            .any(|l| l == "templates/docs-page: template docs-page (2 files)"),
        "{log:?}"
    );
    assert!(log.iter().all(|l| !l.contains(GOOD_TOKEN)));

    // The catalog offers it beside the built-in ones, with where it came from.
    let catalog = admin.client.list_templates().await.unwrap();
    let ids: Vec<&str> = catalog.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "docs-page",
            "go-api",
            "nextjs-app",
            "postgres",
            "static-site",
            "worker"
        ]
    );
    let added = &catalog[0];
    assert_eq!(added.source, url);
    assert_eq!(added.source_id.as_deref(), Some(source.id.as_str()));
    assert_eq!(added.files, ["Dockerfile", "index.html"]);
    assert_eq!(added.parameters["required"], json!(["heading"]));
    let builtin = catalog.iter().find(|t| t.id == "static-site").unwrap();
    assert_eq!(
        builtin.source, "builtin",
        "the built-in template is not shadowed"
    );

    // A service is created from it: the server checks the source's schema, and the real git
    // server holds the first commit rendered from its files.
    let client_id = app.fixture(&admin).client("Acme").await;
    let project_id = app.fixture(&admin).project(&client_id, "Docs").await;
    fake.create_bare("team", "handbook");
    let mut input = NewService {
        project_id,
        name: "handbook".into(),
        template: "docs-page".into(),
        parameters: serde_json::Map::new(),
        git: NewServiceRepository {
            connection_id: connection.clone(),
            owner: "team".into(),
            name: "handbook".into(),
        },
        description: None,
        owner_team_id: None,
    };
    let refused = admin.client.create_service(&input).await.unwrap_err();
    let problem = refused.problem().unwrap();
    assert_eq!(problem.status, 422);
    assert_eq!(problem.errors[0].pointer, "/parameters/heading");
    input.parameters = json!({"heading": "Our handbook"})
        .as_object()
        .unwrap()
        .clone();
    let created = admin.client.create_service(&input).await.unwrap();
    assert_eq!(created.service.template, "docs-page");
    let job = wait_job(&admin, &created.job.id).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    assert_eq!(
        fake.git_in("team", "handbook", &["show", "main:index.html"]),
        "<h1>Our handbook</h1>\n<p>handbook of Docs</p>\n"
    );
    assert_eq!(
        fake.git_in("team", "handbook", &["show", "main:Dockerfile"]),
        "FROM scratch\nCOPY index.html /\nEXPOSE 8080\n"
    );

    // The repository changes: the broken template is fixed, the good one edited. A sync
    // reads the new commit; until it ends the catalog keeps what the last one found.
    let mut fixed = manifest("colour-card", "Colour card");
    fixed["parameters"]["properties"]["colour"] =
        json!({"type": "string", "title": "Colour", "enum": ["red", "blue"], "default": "blue"});
    write(
        work.path(),
        "templates/colour-card/template.json",
        &fixed.to_string(),
    );
    write(
        work.path(),
        "templates/docs-page/files/index.html",
        "<h2>{{ heading }}</h2>\n",
    );
    git(work.path(), &["commit", "-q", "-am", "Fix the colour card"]).await;
    let second_commit = git(work.path(), &["rev-parse", "HEAD"]).await;
    git(work.path(), &["push", "-q", "origin", "main"]).await;
    // A script syncs it with an API token: the command follows the job to its end.
    let (ok, out, err) = cli(&app, &admin, &["templates", "sync", &source.id]).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("Ready"), "{out}");
    assert!(out.contains("colour-card, docs-page"), "{out}");
    let again = admin.client.get_template_source(&source.id).await.unwrap();
    assert_ne!(again.job_id, source.job_id, "a new sync job");
    assert_eq!(again.status, TemplateSourceStatus::Ready);
    assert_eq!(again.commit.as_deref(), Some(second_commit.as_str()));
    assert_eq!(again.templates, ["colour-card", "docs-page"]);
    assert_eq!(again.problems.len(), 1);
    let (ok, out, _) = cli(&app, &admin, &["templates", "list"]).await;
    assert!(
        ok && out.contains("colour-card") && out.contains(&url),
        "{out}"
    );
    let (ok, out, _) = cli(&app, &admin, &["templates", "sources"]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("templates/static-site refused: its id"),
        "{out}"
    );
    let catalog = admin.client.list_templates().await.unwrap();
    let card = catalog.iter().find(|t| t.id == "colour-card").unwrap();
    assert_eq!(card.parameters["properties"]["colour"]["default"], "blue");

    // The same id from a second source is refused there, and the same place twice is a
    // conflict.
    let overlap = admin
        .client
        .create_template_source(&new_source(&url, Some(&connection), "templates/docs-page"))
        .await
        .unwrap();
    let overlap = synced(&admin, &overlap).await;
    assert!(overlap.templates.is_empty());
    assert!(
        overlap.problems[0].detail.contains("another source"),
        "{:?}",
        overlap.problems
    );
    let twice = admin
        .client
        .create_template_source(&new_source(&url, Some(&connection), "templates"))
        .await
        .unwrap_err();
    assert_eq!(twice.problem().unwrap().status, 409);
    // The connection cannot go while a source fetches with it.
    let busy = admin
        .client
        .delete_git_connection(&connection)
        .await
        .unwrap_err();
    assert_eq!(busy.problem().unwrap().status, 409);

    // Removed, its templates leave the catalog; the service made from one stays.
    admin
        .client
        .delete_template_source(&source.id)
        .await
        .unwrap();
    let ids: Vec<String> = admin
        .client
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert!(
        !ids.contains(&"docs-page".to_owned()) && ids.len() == 5,
        "{ids:?}"
    );
    let service = admin.client.get_service(&created.service.id).await.unwrap();
    assert_eq!(service.template, "docs-page");
    let sources: Vec<String> = admin
        .client
        .list_template_sources(&gmac_types::PageQuery::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(sources, [overlap.id]);
}

/// Runs `gmac` with an API token of `session`'s that may manage services.
async fn cli(app: &TestApp, session: &Session, args: &[&str]) -> (bool, String, String) {
    let token = crate::process::script_token(
        session,
        vec![
            gmac_types::Permission::ServicesView,
            gmac_types::Permission::ServicesManage,
        ],
    )
    .await;
    crate::process::run_gmac(&app.address, &token, args).await
}

async fn wait_job(session: &Session, id: &str) -> gmac_types::Job {
    for _ in 0..400 {
        let job = session.client.get_job(id).await.unwrap();
        if job.status.is_finished() {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {id} did not end");
}

#[tokio::test]
async fn a_source_is_refused_field_by_field_when_it_cannot_be_read_safely() {
    let app = app().await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let clients_own = admin
        .client
        .create_git_connection(&NewGitConnection {
            provider: GitProvider::Git,
            base_url: "http://127.0.0.1:9/git".into(),
            token: None,
            client_id: Some(client_id),
            name: None,
        })
        .await
        .unwrap()
        .id;
    let response = admin
        .client
        .create_template_source(&NewTemplateSource {
            url: "http://user:secret@127.0.0.1:9/t.git".into(),
            connection_id: Some(clients_own),
            git_ref: "a..b".into(),
            path: "../elsewhere".into(),
        })
        .await
        .unwrap_err();
    let problem = response.problem().unwrap();
    assert_eq!(problem.status, 422);
    let mut pointers: Vec<&str> = problem.errors.iter().map(|e| e.pointer.as_str()).collect();
    pointers.sort_unstable();
    assert_eq!(pointers, ["/connection_id", "/path", "/ref", "/url"]);
    for url in [
        "ftp://127.0.0.1/t.git",
        "not a url",
        "http://127.0.0.1/t.git#main",
    ] {
        let refused = admin
            .client
            .create_template_source(&NewTemplateSource {
                url: url.into(),
                connection_id: None,
                git_ref: "main".into(),
                path: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            refused.problem().unwrap().errors[0].pointer,
            "/url",
            "{url}"
        );
    }
    let listed = admin
        .client
        .list_template_sources(&gmac_types::PageQuery::default())
        .await
        .unwrap();
    assert!(listed.items.is_empty() && listed.total == 0);
}

#[tokio::test]
async fn removing_a_source_cancels_its_sync_still_waiting_to_run() {
    // No job worker: the first sync stays queued.
    let app = gmac_tests::spawn_app().await;
    let admin = app.super_admin().await;
    let source = admin
        .client
        .create_template_source(&new_source("http://127.0.0.1:9/git/t.git", None, ""))
        .await
        .unwrap();
    assert_eq!(source.status, TemplateSourceStatus::Syncing);
    let job_id = source.job_id.clone().unwrap();
    // Asking again answers the sync already queued.
    let again = admin.client.sync_template_source(&source.id).await.unwrap();
    assert_eq!(again.job_id.as_deref(), Some(job_id.as_str()));
    admin
        .client
        .delete_template_source(&source.id)
        .await
        .unwrap();
    let job = admin.client.get_job(&job_id).await.unwrap();
    assert_eq!(job.status, JobStatus::Cancelled);
    let gone = admin
        .client
        .get_template_source(&source.id)
        .await
        .unwrap_err();
    assert_eq!(gone.problem().unwrap().status, 404);
}
