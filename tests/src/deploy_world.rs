//! A world to deploy in (issue 12): gmac with a job worker building and deploying on a real
//! Podman, a real Caddy beside it, a named fake of Gitea's API with real repositories, and
//! the static-site service `docs` (built on the local busybox image), with a target for its
//! client that no environment has chosen yet.

use std::time::Duration;

use gmac_types::{
    BuildSettingsPatch, BuildStatus, Environment, EnvironmentPatch, GitProvider, JobStatus,
    NewBuild, NewGitConnection, NewService, NewServiceRepository, NewTarget, PageQuery, Release,
    ServicePatch, TargetKind,
};

use crate::caddy::Caddy;
use crate::fake_git_hosts::{FakeGitHosts, GITEA_LOGIN, GOOD_TOKEN, developer_git as git};
use crate::podman::{BASE_IMAGE, Podman};
use crate::{Options, Session, TestApp, spawn_app_with};

/// The world; see the module's documentation.
pub struct DeployWorld {
    /// gmac.
    pub app: TestApp,
    /// The container host.
    pub podman: Podman,
    /// The proxy beside it.
    pub caddy: Caddy,
    /// The git host.
    pub fake: FakeGitHosts,
    /// A Super Admin.
    pub admin: Session,
    /// The service's id.
    pub service: String,
    /// Its staging environment, as made.
    pub staging: Environment,
    /// Its production environment, as made.
    pub production: Environment,
    /// The target registered for its client.
    pub target: String,
}

/// Waits for a job to end (images take seconds) and answers how.
pub async fn job_ended(session: &Session, id: &str) -> JobStatus {
    let mut status = JobStatus::Queued;
    for _ in 0..1200 {
        status = session.client.get_job(id).await.expect("the job").status;
        if status.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(status.is_finished(), "job {id} did not end");
    status
}

/// The target `web-1` for `client_id`: the Podman, its Caddy, and Caddy's HTTPS listener as
/// the ingress address when it has one.
async fn register_target(
    admin: &Session,
    client_id: String,
    podman: &Podman,
    caddy: &Caddy,
) -> String {
    admin
        .client
        .create_target(&NewTarget {
            name: "web-1".into(),
            client_id,
            project_id: None,
            kind: TargetKind::ContainerHost,
            address: podman.host.clone(),
            proxy_admin_url: Some(caddy.admin.clone()),
            kubeconfig: None,
            tls: None,
            ssh: None,
            cluster_issuer: None,
            ingress_class: None,
            ingress_address: caddy.https.clone(),
        })
        .await
        .expect("the target")
        .id
}

impl DeployWorld {
    /// The id of the container running release `release_id`, as the engine lists it.
    pub fn container_of(&self, release_id: &str) -> String {
        let socket = self.podman.host.trim_start_matches("unix://");
        let filters = format!(r#"{{"label":["gmac.io/release={release_id}"]}}"#);
        let out = std::process::Command::new("curl")
            .args(["-s", "--unix-socket", socket, "-G"])
            .arg("http://d/v1.41/containers/json")
            .arg("--data-urlencode")
            .arg(format!("filters={filters}"))
            .output()
            .expect("curl runs");
        let listed: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("the engine answers JSON");
        listed[0]["Id"]
            .as_str()
            .map(str::to_owned)
            .expect("a container runs the release")
    }

    /// What the engine answers to `GET {path}` on its Docker-compatible API (`/containers/…`):
    /// the status and the JSON (`null` when it is none).
    pub fn engine_get(&self, path: &str) -> (u16, serde_json::Value) {
        let socket = self.podman.host.trim_start_matches("unix://");
        let out = std::process::Command::new("curl")
            .args(["-s", "-w", "\n%{http_code}", "--unix-socket", socket])
            .arg(format!("http://d/v1.41{path}"))
            .output()
            .expect("curl runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').expect("a status line");
        (
            status.trim().parse().expect("a status"),
            serde_json::from_str(body).unwrap_or_default(),
        )
    }

    /// The container running release `release_id`, as the engine inspects it.
    pub fn container_inspect(&self, release_id: &str) -> serde_json::Value {
        let id = self.container_of(release_id);
        self.engine_get(&format!("/containers/{id}/json")).1
    }

    /// Starts everything and makes the service, its build settings and the target.
    pub async fn start() -> Self {
        Self::start_with(None, None).await
    }

    /// [`DeployWorld::start`] with gmac emailing through the SMTP server at `smtp_url`.
    pub async fn start_with_mail(smtp_url: &str) -> Self {
        Self::start_with(None, Some(smtp_url)).await
    }

    /// [`DeployWorld::start`] for custom domains: Caddy answers HTTPS too, gmac checks domains
    /// through the DNS server at `dns_resolver`, and the target's ingress address is Caddy's
    /// HTTPS listener.
    pub async fn start_with_domains(dns_resolver: &str) -> Self {
        Self::start_with(Some(dns_resolver), None).await
    }

    async fn start_with(dns_resolver: Option<&str>, smtp_url: Option<&str>) -> Self {
        let podman = Podman::start().await;
        let caddy = if dns_resolver.is_some() {
            Caddy::start_with_https().await
        } else {
            Caddy::start().await
        };
        let app = spawn_app_with(Options {
            job_worker: true,
            container_host: Some(podman.host.clone()),
            dns_resolver: dns_resolver.map(str::to_owned),
            smtp_url: smtp_url.map(str::to_owned),
            ..Options::default()
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
            .expect("a git connection")
            .id;
        let parameters = serde_json::json!({"title": "Docs one"});
        let created = admin
            .client
            .create_service(&NewService {
                project_id,
                name: "docs".into(),
                template: "static-site".into(),
                parameters: parameters.as_object().cloned().unwrap_or_default(),
                git: NewServiceRepository {
                    connection_id: connection,
                    owner: GITEA_LOGIN.into(),
                    name: "docs".into(),
                },
                description: None,
                owner_team_id: None,
            })
            .await
            .expect("the service");
        assert_eq!(
            job_ended(&admin, &created.job.id).await,
            JobStatus::Succeeded
        );
        let service = created.service.id;
        admin
            .client
            .update_service(
                &service,
                &ServicePatch {
                    build: Some(BuildSettingsPatch {
                        build_args: Some([("BASE_IMAGE".to_owned(), BASE_IMAGE.to_owned())].into()),
                        ..BuildSettingsPatch::default()
                    }),
                    ..ServicePatch::default()
                },
                None,
            )
            .await
            .expect("the build settings");
        let target = register_target(&admin, client_id, &podman, &caddy).await;
        let mut listed = admin
            .client
            .list_environments(&service, &PageQuery::default())
            .await
            .expect("the environments")
            .items;
        assert_eq!(listed.len(), 2, "staging and production");
        let production = listed.remove(1);
        let staging = listed.remove(0);
        Self {
            app,
            podman,
            caddy,
            fake,
            admin,
            service,
            staging,
            production,
            target,
        }
    }

    /// Builds `git_ref` of the service; answers the succeeded build's id.
    pub async fn built(&self, git_ref: &str) -> String {
        let build = self
            .admin
            .client
            .start_build(
                &self.service,
                &NewBuild {
                    git_ref: git_ref.into(),
                    cache: None,
                },
            )
            .await
            .expect("a build");
        job_ended(&self.admin, &build.job_id).await;
        let build = self
            .admin
            .client
            .get_build(&build.id)
            .await
            .expect("the build");
        assert_eq!(build.status, BuildStatus::Succeeded, "{:?}", build.error);
        build.id
    }

    /// Staging deploying to the target; answers it as it now is (also kept in `staging`).
    pub async fn staging_on_target(&mut self) -> Environment {
        self.staging = self.on_target(&self.staging).await;
        self.staging.clone()
    }

    /// Production deploying to the target; answers it as it now is (also kept in
    /// `production`).
    pub async fn production_on_target(&mut self) -> Environment {
        self.production = self.on_target(&self.production).await;
        self.production.clone()
    }

    async fn on_target(&self, env: &Environment) -> Environment {
        let changed = self
            .admin
            .client
            .update_environment(
                &env.id,
                &EnvironmentPatch {
                    target_id: Some(Some(self.target.clone())),
                    ..EnvironmentPatch::default()
                },
                Some(env.version),
            )
            .await
            .expect("the environment deploys to the target");
        assert_eq!(changed.target_id.as_deref(), Some(self.target.as_str()));
        changed
    }

    /// A commit to staging whose page says `title` (in place of the title before), pushed
    /// with real git from the clone in `work` (made when missing); answers its id.
    pub async fn push_title(&self, work: &std::path::Path, title: &str) -> String {
        let remote = format!("{}/{GITEA_LOGIN}/docs.git", self.fake.git());
        if !work.join(".git").exists() {
            git(work, &["clone", "-q", "-b", "staging", &remote, "."]).await;
        }
        let page = work.join("site/index.html");
        let html = std::fs::read_to_string(&page).expect("the page");
        let html = ["Docs one", "Docs two", "Docs three"]
            .iter()
            .fold(html, |html, before| html.replace(before, title));
        std::fs::write(&page, html).expect("the page is written");
        git(work, &["commit", "-qam", title]).await;
        git(work, &["push", "-q", "origin", "staging"]).await;
        git(work, &["rev-parse", "HEAD"]).await
    }

    /// A commit to `branch` (made from staging when missing) whose page says `title` where it
    /// said `before`, pushed with real git from the clone in `work` (made when missing);
    /// answers its id.
    pub async fn push_branch(
        &self,
        work: &std::path::Path,
        branch: &str,
        (before, title): (&str, &str),
    ) -> String {
        let remote = format!("{}/{GITEA_LOGIN}/docs.git", self.fake.git());
        if !work.join(".git").exists() {
            git(work, &["clone", "-q", "-b", "staging", &remote, "."]).await;
        }
        git(work, &["checkout", "-q", "-B", branch]).await;
        let page = work.join("site/index.html");
        let html = std::fs::read_to_string(&page).expect("the page");
        assert!(html.contains(before), "the page says {before}");
        let html = html.replace(before, title);
        std::fs::write(&page, html).expect("the page is written");
        git(work, &["commit", "-qam", title]).await;
        git(work, &["push", "-q", "origin", branch]).await;
        git(work, &["rev-parse", "HEAD"]).await
    }

    /// Deletes `branch` on the remote, with real git from the clone in `work`.
    pub async fn delete_branch(&self, work: &std::path::Path, branch: &str) {
        git(work, &["push", "-q", "origin", "--delete", branch]).await;
    }

    /// The build a push of `commit` started, once it succeeded.
    pub async fn build_of_commit(&self, commit: &str) -> String {
        let mut found = None;
        for _ in 0..100 {
            found = self
                .admin
                .client
                .list_builds(&self.service, None, &PageQuery::default())
                .await
                .expect("the builds")
                .items
                .into_iter()
                .find(|b| b.commit.as_deref() == Some(commit));
            if found.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let build = found.expect("the push started a build");
        job_ended(&self.admin, &build.job_id).await;
        let build = self
            .admin
            .client
            .get_build(&build.id)
            .await
            .expect("the build");
        assert_eq!(build.status, BuildStatus::Succeeded, "{:?}", build.error);
        build.id
    }

    /// The releases of environment `environment_id`, newest first.
    pub async fn releases(&self, environment_id: &str) -> Vec<Release> {
        self.admin
            .client
            .list_releases(environment_id, &PageQuery::default())
            .await
            .expect("the releases")
            .items
    }

    /// The release deploy-on-push made of `build` in staging, once it is made.
    pub async fn release_of_build(&self, build: &str) -> Release {
        let mut found = None;
        for _ in 0..300 {
            found = self
                .releases(&self.staging.id)
                .await
                .into_iter()
                .find(|r| r.build_id.as_deref() == Some(build));
            if found.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        found.expect("deploy-on-push made a release of the build")
    }

    /// What Caddy answers for `host`: the status and the body.
    pub async fn through_caddy(&self, host: &str) -> (u16, String) {
        let response = reqwest::Client::new()
            .get(format!("{}/", self.caddy.traffic))
            .header("Host", host)
            .send()
            .await
            .expect("caddy answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }
}
