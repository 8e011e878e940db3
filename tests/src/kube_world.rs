//! A service live on a Kubernetes cluster, for tests and benchmarks: gmac with its job
//! worker, a static site made from a FAKE Gitea, and staging on the FAKE API server
//! ([`crate::fake_kubernetes`]), since no Kubernetes API server can run here.

use gmac_types::{
    Environment, EnvironmentPatch, GitProvider, JobStatus, NewDeploy, NewGitConnection, NewService,
    NewServiceRepository, NewTarget, PageQuery, Release, TargetKind,
};

use crate::deploy_world::job_ended;
use crate::fake_git_hosts::{FakeGitHosts, GITEA_LOGIN, GOOD_TOKEN};
use crate::fake_kubernetes::FakeKubernetes;
use crate::{Options, Session, TestApp, spawn_app_with};

/// The world: gmac, its fakes, the admin, the service and its staging environment.
pub struct KubeWorld {
    /// gmac.
    pub app: TestApp,
    /// The fake Gitea the service's repository is on.
    pub git: FakeGitHosts,
    /// The fake cluster.
    pub kube: FakeKubernetes,
    /// The super admin.
    pub admin: Session,
    /// The service's id.
    pub service: String,
    /// Its staging environment, on the cluster.
    pub staging: Environment,
    /// The cluster target's id.
    pub target: String,
    /// Staging's namespace on the cluster.
    pub namespace: String,
}

/// A connection to the fake Gitea, for the service's repository.
async fn gitea_connection(admin: &Session, git: &FakeGitHosts) -> String {
    admin
        .client
        .create_git_connection(&NewGitConnection {
            provider: GitProvider::Gitea,
            base_url: git.gitea(),
            token: Some(GOOD_TOKEN.into()),
            client_id: None,
            name: None,
        })
        .await
        .expect("the cluster world")
        .id
}

impl KubeWorld {
    /// gmac with its job worker, a static site `docs` made from a fake Gitea, and the cluster
    /// `cluster-1` (the fake, class `nginx`, issuer `letsencrypt`) as staging's target.
    ///
    /// # Panics
    /// When any step of the set-up fails.
    pub async fn start() -> Self {
        let app = spawn_app_with(Options {
            job_worker: true,
            ..Options::default()
        })
        .await;
        let git = FakeGitHosts::start();
        let kube = FakeKubernetes::start();
        let admin = app.super_admin().await;
        let client_id = app.fixture(&admin).client("Acme").await;
        let project_id = app.fixture(&admin).project(&client_id, "web").await;
        let connection = gitea_connection(&admin, &git).await;
        let created = admin
            .client
            .create_service(&NewService {
                project_id,
                name: "docs".into(),
                template: "static-site".into(),
                parameters: serde_json::json!({"title": "Docs"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                git: NewServiceRepository {
                    connection_id: connection,
                    owner: GITEA_LOGIN.into(),
                    name: "docs".into(),
                },
                description: None,
                owner_team_id: None,
            })
            .await
            .expect("the cluster world");
        assert_eq!(
            job_ended(&admin, &created.job.id).await,
            JobStatus::Succeeded
        );
        let target = admin
            .client
            .create_target(&NewTarget {
                name: "cluster-1".into(),
                client_id,
                project_id: None,
                kind: TargetKind::Kubernetes,
                address: String::new(),
                proxy_admin_url: None,
                kubeconfig: Some(kube.kubeconfig().into()),
                tls: None,
                ssh: None,
                cluster_issuer: Some("letsencrypt".into()),
                ingress_class: Some("nginx".into()),
                ingress_address: None,
            })
            .await
            .expect("the cluster world");
        assert_eq!(target.address, kube.url());
        assert!(target.has_credentials);
        let engine = target.engine.clone().unwrap_or_default();
        assert!(engine.starts_with("Kubernetes v1.33"), "{engine}");
        let service = created.service.id;
        let staging = admin
            .client
            .list_environments(&service, &PageQuery::default())
            .await
            .expect("the cluster world")
            .items
            .remove(0);
        let staging = admin
            .client
            .update_environment(
                &staging.id,
                &EnvironmentPatch {
                    target_id: Some(Some(target.id.clone())),
                    ..EnvironmentPatch::default()
                },
                Some(staging.version),
            )
            .await
            .expect("the cluster world");
        let namespace = gmac_core::services::targets::namespace_of("docs", "staging", &staging.id);
        assert!(namespace.starts_with("gmac-docs-staging-"), "{namespace}");
        Self {
            app,
            git,
            kube,
            admin,
            service,
            staging,
            target: target.id,
            namespace,
        }
    }

    /// Deploys `image` to staging and waits for its rollout; answers the job's end, the
    /// release as it ended and the job's log.
    pub async fn deploy(&self, image: &str) -> (JobStatus, Release, String) {
        let started = self
            .admin
            .client
            .deploy(
                &self.staging.id,
                &NewDeploy {
                    build_id: None,
                    image: Some(image.to_owned()),
                },
            )
            .await
            .expect("the cluster world");
        self.ended(started).await
    }

    pub async fn ended(&self, started: gmac_types::DeployStarted) -> (JobStatus, Release, String) {
        let status = job_ended(&self.admin, &started.job.id).await;
        let release = self
            .admin
            .client
            .list_releases(&self.staging.id, &PageQuery::default())
            .await
            .expect("the cluster world")
            .items
            .into_iter()
            .find(|r| r.id == started.release.id)
            .expect("the cluster world");
        let log = self
            .admin
            .client
            .job_log(&started.job.id, 0)
            .await
            .expect("the cluster world")
            .items
            .into_iter()
            .map(|l| l.line)
            .collect::<Vec<_>>()
            .join("\n");
        (status, release, log)
    }

    /// Waits for a restart's or a scale's job to succeed; answers its log.
    pub async fn operation(
        &self,
        asked: impl Future<Output = gmac_client::Result<gmac_types::Job>>,
    ) -> String {
        let job = asked.await.expect("the cluster world");
        let status = job_ended(&self.admin, &job.id).await;
        let log = serde_json::to_string(
            &self
                .admin
                .client
                .job_log(&job.id, 0)
                .await
                .expect("the job log")
                .items,
        )
        .expect("the cluster world");
        assert_eq!(status, JobStatus::Succeeded, "{log}");
        log
    }

    pub fn deployment(&self) -> serde_json::Value {
        self.kube
            .object("deployments", &self.namespace, "docs")
            .expect("the deployment")
    }

    pub fn image(&self) -> String {
        self.deployment()["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn live_number(&self) -> Option<i64> {
        let env = self
            .admin
            .client
            .get_environment(&self.staging.id)
            .await
            .expect("the cluster world");
        env.live_release.map(|r| r.number)
    }
}
