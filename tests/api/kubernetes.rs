//! Releases on Kubernetes (issue 12, point 2) against a stateful FAKE API server
//! (`gmac_tests::fake_kubernetes`): no Kubernetes API server can run here. The fake keeps
//! resourceVersion and generation, merges server-side apply by field manager, serves watch,
//! and moves Deployments through a stale observedGeneration, progressing and available, or a
//! passed deadline with crash-looping or image-pull-failing pods, by the image's name. Every
//! object gmac applied is then checked against Kubernetes 1.33's own schemas by
//! `kubernetes-validate`.

use std::collections::BTreeMap;

use base64::Engine;
use gmac_tests::deploy_world::job_ended;
use gmac_tests::fake_git_hosts::{FakeGitHosts, GITEA_LOGIN, GOOD_TOKEN};
use gmac_tests::fake_kubernetes::FakeKubernetes;
use gmac_tests::{Options, Session, TestApp, spawn_app_with};
use gmac_types::{
    AuditQuery, Autoscale, Environment, EnvironmentPatch, GitProvider, JobStatus, NewDeploy,
    NewGitConnection, NewRollback, NewService, NewServiceRepository, NewTarget, PageQuery, Release,
    ReleaseStatus, ScaleRequest, TargetKind,
};

const SECRET: &str = "tok-9c1d-kube-secret-value";

struct Setup {
    app: TestApp,
    _git: FakeGitHosts,
    kube: FakeKubernetes,
    admin: Session,
    service: String,
    staging: Environment,
    target: String,
    /// Staging's namespace on the cluster.
    namespace: String,
}

async fn setup() -> Setup {
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
    let connection = admin
        .client
        .create_git_connection(&NewGitConnection {
            provider: GitProvider::Gitea,
            base_url: git.gitea(),
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
        .unwrap();
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
            cluster_issuer: Some("letsencrypt".into()),
            ingress_class: Some("nginx".into()),
            ingress_address: None,
        })
        .await
        .unwrap();
    assert_eq!(target.address, kube.url());
    assert!(target.has_credentials);
    let engine = target.engine.clone().unwrap_or_default();
    assert!(engine.starts_with("Kubernetes v1.33"), "{engine}");
    let service = created.service.id;
    let staging = admin
        .client
        .list_environments(&service, &PageQuery::default())
        .await
        .unwrap()
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
        .unwrap();
    let namespace = gmac_core::services::targets::namespace_of("docs", "staging", &staging.id);
    assert!(namespace.starts_with("gmac-docs-staging-"), "{namespace}");
    Setup {
        app,
        _git: git,
        kube,
        admin,
        service,
        staging,
        target: target.id,
        namespace,
    }
}

impl Setup {
    /// Deploys `image` to staging and waits for its rollout; answers the job's end, the
    /// release as it ended and the job's log.
    async fn deploy(&self, image: &str) -> (JobStatus, Release, String) {
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
            .unwrap();
        self.ended(started).await
    }

    async fn ended(&self, started: gmac_types::DeployStarted) -> (JobStatus, Release, String) {
        let status = job_ended(&self.admin, &started.job.id).await;
        let release = self
            .admin
            .client
            .list_releases(&self.staging.id, &PageQuery::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|r| r.id == started.release.id)
            .unwrap();
        let log = self
            .admin
            .client
            .job_log(&started.job.id, 0)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|l| l.line)
            .collect::<Vec<_>>()
            .join("\n");
        (status, release, log)
    }

    /// Waits for a restart's or a scale's job to succeed; answers its log.
    async fn operation(
        &self,
        asked: impl Future<Output = gmac_client::Result<gmac_types::Job>>,
    ) -> String {
        let job = asked.await.unwrap();
        let status = job_ended(&self.admin, &job.id).await;
        let log =
            serde_json::to_string(&self.admin.client.job_log(&job.id, 0).await.unwrap().items)
                .unwrap();
        assert_eq!(status, JobStatus::Succeeded, "{log}");
        log
    }

    fn deployment(&self) -> serde_json::Value {
        self.kube
            .object("deployments", &self.namespace, "docs")
            .expect("the deployment")
    }

    fn image(&self) -> String {
        self.deployment()["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn live_number(&self) -> Option<i64> {
        let env = self
            .admin
            .client
            .get_environment(&self.staging.id)
            .await
            .unwrap();
        env.live_release.map(|r| r.number)
    }
}

/// The body of a `GET` as the admin.
async fn text_of(s: &Setup, path: &str) -> String {
    s.app
        .http()
        .get(s.app.url(path))
        .bearer_auth(&s.admin.access_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The objects gmac applied, checked by `kubernetes-validate` against Kubernetes 1.33's
/// schemas, strictly (no field the schema does not know).
fn assert_valid_by_the_real_schemas(applied: &[serde_json::Value]) {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, object) in applied.iter().enumerate() {
        let path = dir.path().join(format!(
            "{i:03}-{}.json",
            object["kind"].as_str().unwrap_or("object")
        ));
        std::fs::write(&path, serde_json::to_vec_pretty(object).unwrap()).unwrap();
        files.push(path);
    }
    let out = std::process::Command::new("kubernetes-validate")
        .args(["--strict", "--kubernetes-version", "1.33.0", "--quiet"])
        .args(&files)
        .output()
        .expect("kubernetes-validate runs (pip install kubernetes-validate==1.37.0)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one environment through six releases on the fake cluster"
)]
async fn a_service_rolls_out_to_kubernetes_on_a_fake_api_server_and_a_crash_looping_release_fails_with_its_reason()
 {
    let s = setup().await;
    let api = &s.admin.client;
    let greeting: BTreeMap<String, String> = [("GREETING".to_owned(), "hello".to_owned())].into();
    api.set_variables(&s.staging.id, &greeting, Some(0))
        .await
        .unwrap();
    api.set_secret(&s.staging.id, "API_TOKEN", SECRET)
        .await
        .unwrap();
    // The environment's own health path and CPU and memory become the pods' probes, requests
    // and limits.
    api.update_environment(
        &s.staging.id,
        &EnvironmentPatch {
            health_path: Some(Some("/ready".into())),
            resources: Some(Some(gmac_types::Resources {
                cpu_request_millis: 250,
                cpu_limit_millis: 1500,
                memory_request_mib: 64,
                memory_limit_mib: 96,
            })),
            ..EnvironmentPatch::default()
        },
        None,
    )
    .await
    .unwrap();

    // #1 rolls out: applied as gmac, followed past the controller's stale status.
    let (status, one, log) = s.deploy("127.0.0.1:5000/docs:1").await;
    assert_eq!(status, JobStatus::Succeeded, "{log}");
    assert_eq!(one.status, ReleaseStatus::Live, "{:?}", one.detail);
    assert!(
        log.contains("deployment docs applied: generation 1"),
        "{log}"
    );
    assert!(log.contains("release #1 serves staging"), "{log}");
    assert!(s.kube.namespaces().contains(&s.namespace.clone()));
    let deployment = s.deployment();
    assert_eq!(s.image(), "127.0.0.1:5000/docs:1");
    assert_eq!(
        deployment["spec"]["template"]["metadata"]["labels"]["gmac.io/release"],
        one.id.as_str()
    );
    assert_eq!(deployment["metadata"]["labels"]["project"], "web");
    assert_eq!(
        deployment["metadata"]["managedFields"][0]["manager"],
        "gmac"
    );
    assert_eq!(deployment["status"]["availableReplicas"], 1);
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["resources"]["requests"]["cpu"], "250m",
        "{container}"
    );
    assert_eq!(container["resources"]["limits"]["cpu"], "1500m");
    assert_eq!(container["resources"]["requests"]["memory"], "64Mi");
    assert_eq!(container["resources"]["limits"]["memory"], "96Mi");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/ready");
    let env_from = &deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"];
    let config = env_from[0]["configMapRef"]["name"].as_str().unwrap();
    let secret = env_from[1]["secretRef"]["name"].as_str().unwrap();
    assert_eq!(
        s.kube.object("configmaps", &s.namespace, config).unwrap()["data"]["GREETING"],
        "hello"
    );
    assert_eq!(
        s.kube.object("secrets", &s.namespace, secret).unwrap()["data"]["API_TOKEN"],
        base64::engine::general_purpose::STANDARD.encode(SECRET)
    );
    let ingress = s.kube.object("ingresses", &s.namespace, "docs").unwrap();
    assert_eq!(ingress["spec"]["rules"][0]["host"], s.staging.host.as_str());
    assert_eq!(
        ingress["spec"]["ingressClassName"], "nginx",
        "the target's class"
    );
    // No certificate authority issues one for a `.localhost` name: no TLS asked for yet.
    assert!(s.staging.host.ends_with(".localhost"));
    assert!(ingress["spec"]["tls"].is_null(), "{ingress}");
    for kind in ["services", "poddisruptionbudgets"] {
        assert!(
            s.kube.object(kind, &s.namespace, "docs").is_some(),
            "{kind}"
        );
    }

    // #2's pods crash: the cluster's deadline passes, the release fails with the pods'
    // reason, and #1's objects are applied again by themselves.
    let (status, two, log) = s.deploy("127.0.0.1:5000/docs-crashloop:2").await;
    assert_eq!(status, JobStatus::Failed, "{log}");
    assert_eq!(two.status, ReleaseStatus::Failed);
    let detail = two.detail.clone().unwrap_or_default();
    assert!(
        detail.contains("CrashLoopBackOff")
            && detail.contains("progress deadline passed")
            && detail.contains("release #1 was applied again (automatic rollback)"),
        "{detail}"
    );
    assert_eq!(s.image(), "127.0.0.1:5000/docs:1");
    assert_eq!(s.live_number().await, Some(1));
    let audited = api
        .list_audit_events(&AuditQuery {
            action: Some("release.auto_rollback".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .items;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].target_id.as_deref(), Some(two.id.as_str()));

    // #3's image cannot be pulled: said as such.
    let (status, three, _) = s.deploy("127.0.0.1:5000/docs-pullfail:3").await;
    assert_eq!(status, JobStatus::Failed);
    let detail = three.detail.clone().unwrap_or_default();
    assert!(detail.contains("ImagePullBackOff"), "{detail}");

    // #4 replaces #1; a rollback to #1 brings its image and configuration back, no rebuild.
    api.set_variables(
        &s.staging.id,
        &[("GREETING".to_owned(), "bonjour".to_owned())].into(),
        Some(1),
    )
    .await
    .unwrap();
    let (status, four, log) = s.deploy("127.0.0.1:5000/docs:4").await;
    assert_eq!(status, JobStatus::Succeeded, "{:?}", four.detail);
    // Right after the apply the server answers the old template's status, complete; the
    // rollout waited for the controller to see the new generation rather than call it done.
    assert!(
        log.contains("waiting: the controller has not seen generation"),
        "{log}"
    );
    assert_eq!(s.live_number().await, Some(4));
    let started = api
        .rollback(
            &s.staging.id,
            &NewRollback {
                release_id: one.id.clone(),
            },
        )
        .await
        .unwrap();
    let (status, five, _) = s.ended(started).await;
    assert_eq!(status, JobStatus::Succeeded, "{:?}", five.detail);
    assert_eq!(five.config, one.config);
    assert_eq!(s.image(), "127.0.0.1:5000/docs:1");
    let config = s.deployment()["spec"]["template"]["spec"]["containers"][0]["envFrom"][0]
        ["configMapRef"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        s.kube.object("configmaps", &s.namespace, &config).unwrap()["data"]["GREETING"],
        "hello"
    );

    // Bounds that make no sense are refused field by field.
    for (input, pointer) in [
        (
            ScaleRequest {
                replicas: 0,
                autoscale: None,
            },
            "/replicas",
        ),
        (
            ScaleRequest {
                replicas: 3,
                autoscale: Some(Autoscale {
                    min: 3,
                    max: 2,
                    cpu_percent: 70,
                }),
            },
            "/autoscale/max",
        ),
        (
            ScaleRequest {
                replicas: 2,
                autoscale: Some(Autoscale {
                    min: 2,
                    max: 4,
                    cpu_percent: 5,
                }),
            },
            "/autoscale/cpu_percent",
        ),
    ] {
        let refused = api
            .scale_environment(&s.staging.id, &input)
            .await
            .unwrap_err();
        let problem = refused.problem().unwrap();
        assert_eq!(problem.status, 422);
        assert!(
            problem.errors.iter().any(|e| e.pointer == pointer),
            "{pointer}: {problem:?}"
        );
    }

    // Scaled, the live release runs 3 replicas, and so will every later release.
    s.operation(api.scale_environment(
        &s.staging.id,
        &ScaleRequest {
            replicas: 3,
            autoscale: None,
        },
    ))
    .await;
    assert_eq!(s.deployment()["spec"]["replicas"], 3);
    assert_eq!(s.deployment()["status"]["availableReplicas"], 3);
    assert_eq!(
        s.image(),
        "127.0.0.1:5000/docs:1",
        "the live release, applied again"
    );
    let env = api.get_environment(&s.staging.id).await.unwrap();
    assert_eq!(
        (env.replicas, env.live_release.map(|r| r.number)),
        (3, Some(5))
    );
    // Autoscaled, a HorizontalPodAutoscaler holds the bounds; back to a fixed count, it goes.
    s.operation(api.scale_environment(
        &s.staging.id,
        &ScaleRequest {
            replicas: 2,
            autoscale: Some(Autoscale {
                min: 2,
                max: 5,
                cpu_percent: 70,
            }),
        },
    ))
    .await;
    let hpa = s
        .kube
        .object("horizontalpodautoscalers", &s.namespace, "docs")
        .expect("the autoscaler");
    assert_eq!(
        (
            hpa["spec"]["minReplicas"].clone(),
            hpa["spec"]["maxReplicas"].clone()
        ),
        (2.into(), 5.into())
    );
    s.operation(api.scale_environment(
        &s.staging.id,
        &ScaleRequest {
            replicas: 1,
            autoscale: None,
        },
    ))
    .await;
    assert!(
        s.kube
            .object("horizontalpodautoscalers", &s.namespace, "docs")
            .is_none()
    );
    // A restart replaces the pods: a new pod template, the same release.
    let before = s.deployment()["metadata"]["generation"].as_i64().unwrap();
    let log = s.operation(api.restart_environment(&s.staging.id)).await;
    let after = s.deployment();
    assert!(
        after["metadata"]["generation"].as_i64().unwrap() > before,
        "{log}"
    );
    assert!(
        after["spec"]["template"]["metadata"]["annotations"]["gmac.io/restarted-at"].is_string()
    );
    assert_eq!(s.live_number().await, Some(5));

    // Another field manager took a field gmac sets: gmac's next apply is refused by the
    // server's conflict, and the release says who holds it; nothing is overwritten.
    let (code, body) = s.kube.apply_as(
        "kubectl",
        "deployments",
        &s.namespace,
        "docs",
        serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "docs", "namespace": s.namespace},
            "spec": {"replicas": 3},
        }),
        true,
    );
    assert_eq!(code, 200, "{body}");
    let (status, six, _) = s.deploy("127.0.0.1:5000/docs:6").await;
    assert_eq!(status, JobStatus::Failed);
    let detail = six.detail.clone().unwrap_or_default();
    assert!(
        detail.contains("another field manager") && detail.contains("kubectl"),
        "{detail}"
    );
    assert_eq!(s.deployment()["spec"]["replicas"], 3);
    assert_eq!(s.image(), "127.0.0.1:5000/docs:1");

    // The secret's value is in no log and no answer.
    for release in [&one, &two, &three, &four, &five, &six] {
        let text =
            serde_json::to_string(&api.job_log(&release.job_id, 0).await.unwrap().items).unwrap();
        assert!(!text.contains(SECRET), "{text}");
    }
    for path in [
        format!("/api/v1/environments/{}/releases", s.staging.id),
        format!("/api/v1/targets/{}", s.target),
        "/api/v1/audit".to_owned(),
    ] {
        let body = text_of(&s, &path).await;
        assert!(!body.contains(SECRET), "{path}: {body}");
        assert!(
            !body.contains("gmac-fake-kubernetes-token"),
            "{path}: {body}"
        );
    }

    // Every object gmac applied is valid by Kubernetes' own schemas.
    let applied = s.kube.applied();
    assert!(applied.len() >= 30, "{}", applied.len());
    assert_valid_by_the_real_schemas(&applied);

    // Deleting the service deletes its environment's namespace.
    let job = api.delete_service(&s.service, false, None).await.unwrap();
    assert_eq!(job_ended(&s.admin, &job.id).await, JobStatus::Succeeded);
    assert!(!s.kube.namespaces().contains(&s.namespace.clone()));
}

#[tokio::test]
async fn a_kubeconfig_that_would_run_a_program_or_read_a_file_is_refused_and_none_is_returned() {
    let s = setup().await;
    let client_id = s.app.fixture(&s.admin).client("Other").await;
    let base = s.kube.kubeconfig();
    for (kubeconfig, said) in [
        (
            base.replace(
                "token: ",
                "exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh}\n    x-token: ",
            ),
            "exec plugin",
        ),
        (base.replace("token: ", "tokenFile: /etc/shadow\n    x-token: "), "file paths"),
        ("not: [a kubeconfig".to_owned(), "not a kubeconfig"),
    ] {
        let refused = s
            .admin
            .client
            .create_target(&NewTarget {
                name: "bad".into(),
                client_id: client_id.clone(),
                project_id: None,
                kind: TargetKind::Kubernetes,
                address: String::new(),
                proxy_admin_url: None,
                kubeconfig: Some(kubeconfig.into()),
                cluster_issuer: None,
                ingress_class: None,
                ingress_address: None,
            })
            .await
            .unwrap_err();
        let text = format!("{refused:?}");
        assert!(text.contains("kubeconfig") && text.contains(said), "{text}");
    }
    // A cluster whose API server does not answer is not saved.
    let dead = base.replace(&s.kube.url(), "http://127.0.0.1:9");
    let refused = s
        .admin
        .client
        .create_target(&NewTarget {
            name: "dead".into(),
            client_id,
            project_id: None,
            kind: TargetKind::Kubernetes,
            address: String::new(),
            proxy_admin_url: None,
            kubeconfig: Some(dead.into()),
            cluster_issuer: None,
            ingress_class: None,
            ingress_address: None,
        })
        .await
        .unwrap_err();
    assert!(
        format!("{refused:?}").contains("connection_failed"),
        "{refused:?}"
    );
    // A script registers a cluster from its kubeconfig file.
    let token = crate::process::script_token(
        &s.admin,
        vec![
            gmac_types::Permission::ServicesView,
            gmac_types::Permission::TargetsManage,
        ],
    )
    .await;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), s.kube.kubeconfig()).unwrap();
    let other = s.app.fixture(&s.admin).client("Initech").await;
    let (ok, out, err) = crate::process::run_gmac(
        &s.app.address,
        &token,
        &[
            "targets",
            "add",
            "cluster-2",
            "--client",
            &other,
            "--kubeconfig",
            &file.path().to_string_lossy(),
            "--cluster-issuer",
            "letsencrypt",
        ],
    )
    .await;
    assert!(ok, "{err}");
    assert!(
        out.contains("cluster-2") && out.contains("answering: Kubernetes v1.33"),
        "{out}"
    );
    // The target registered holds its kubeconfig, and no answer gives it back.
    let body = text_of(&s, "/api/v1/targets").await;
    assert!(body.contains("\"has_credentials\":true"), "{body}");
    assert!(!body.contains("gmac-fake-kubernetes-token") && !body.contains("current-context"));
}
