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
use gmac_tests::kube_world::KubeWorld;
use gmac_types::{
    AuditQuery, Autoscale, EnvironmentPatch, JobStatus, NewDeploy, NewRollback, NewTarget,
    ReleaseStatus, ScaleRequest, TargetKind, runtime::ServiceLogLine,
};

const SECRET: &str = "tok-9c1d-kube-secret-value";
/// A secret the service shares.
const SHARED: &str = "svc-shared-4e7a-kube-value";
/// A secret the service's project shares.
const PROJECT_SHARED: &str = "prj-shared-6b3c-kube-value";

type Setup = KubeWorld;

async fn setup() -> Setup {
    KubeWorld::start().await
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
    let (config_one, secret_one) = (config.to_owned(), secret.to_owned());
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
    // Once #4 serves, the ConfigMap and Secret of #1 (and of the failed ones, the same) are
    // deleted: a namespace does not fill up with one pair per configuration ever deployed.
    assert!(
        log.contains(&format!(
            "earlier releases' configmap {config_one}, secret {secret_one} deleted"
        )),
        "{log}"
    );
    assert!(
        s.kube
            .object("configmaps", &s.namespace, &config_one)
            .is_none()
    );
    assert!(
        s.kube
            .object("secrets", &s.namespace, &secret_one)
            .is_none()
    );
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
                tls: None,
                ssh: None,
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
            tls: None,
            ssh: None,
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

/// A cluster's live release shows each of its pods (running, restarts, why one waits) and
/// their own output, every secret masked: as text in the order written, and followed live,
/// each line naming its pod.
#[tokio::test]
async fn a_cluster_release_shows_its_pods_and_their_output_masked_and_followed_on_a_fake_api_server()
 {
    use futures_util::StreamExt as _;
    let s = setup().await;
    let api = &s.admin.client;
    api.set_variables(
        &s.staging.id,
        &[("GREETING".to_owned(), "hello".to_owned())].into(),
        Some(0),
    )
    .await
    .unwrap();
    api.set_secret(&s.staging.id, "API_TOKEN", SECRET)
        .await
        .unwrap();
    // A secret the service shares with every environment of it comes along, masked too.
    api.set_service_secret(&s.service, "SHARED_TOKEN", SHARED)
        .await
        .unwrap();
    // So does one its project shares.
    let project = api.get_service(&s.service).await.unwrap().project_id;
    api.set_project_secret(&project, "PROJECT_TOKEN", PROJECT_SHARED)
        .await
        .unwrap();
    let none = api.environment_instances(&s.staging.id).await.unwrap();
    assert!(none.release_id.is_none() && none.instances.is_empty());

    let (status, one, log) = s.deploy("127.0.0.1:5000/docs:1").await;
    assert_eq!(status, JobStatus::Succeeded, "{log}");
    assert_eq!(
        one.config.service_secrets,
        BTreeMap::from([("SHARED_TOKEN".to_owned(), 1)])
    );
    let secret = s.deployment()["spec"]["template"]["spec"]["containers"][0]["envFrom"][1]
        ["secretRef"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        s.kube.object("secrets", &s.namespace, &secret).unwrap()["data"]["SHARED_TOKEN"],
        base64::engine::general_purpose::STANDARD.encode(SHARED)
    );
    assert_eq!(
        s.kube.object("secrets", &s.namespace, &secret).unwrap()["data"]["PROJECT_TOKEN"],
        base64::engine::general_purpose::STANDARD.encode(PROJECT_SHARED)
    );
    // Never in the ConfigMap, whose values anyone who reads the namespace's objects sees.
    let config_map = s.deployment()["spec"]["template"]["spec"]["containers"][0]["envFrom"][0]
        ["configMapRef"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let plain = s
        .kube
        .object("configmaps", &s.namespace, &config_map)
        .unwrap();
    assert!(plain["data"].get("PROJECT_TOKEN").is_none(), "{plain}");
    assert!(!plain.to_string().contains(PROJECT_SHARED), "{plain}");
    s.operation(api.scale_environment(
        &s.staging.id,
        &ScaleRequest {
            replicas: 2,
            autoscale: None,
        },
    ))
    .await;
    let up = api.environment_instances(&s.staging.id).await.unwrap();
    assert_eq!(up.release_id.as_deref(), Some(one.id.as_str()));
    assert_eq!(up.instances.len(), 2, "{up:?}");
    for pod in &up.instances {
        assert!(pod.name.starts_with("docs-"), "{pod:?}");
        assert!(pod.running && pod.restarts == 0, "{pod:?}");
        assert!(pod.waiting.is_none() && pod.last_exit.is_none(), "{pod:?}");
        assert!(pod.started_at.is_some(), "{pod:?}");
    }

    // As text: both pods' lines, the secret masked, the plain variable as it is.
    let text = api
        .environment_log_text(&s.staging.id, Some(50))
        .await
        .unwrap();
    assert_eq!(
        text.matches("env API_TOKEN=••••••").count(),
        2,
        "one line from each pod: {text}"
    );
    assert_eq!(text.matches("env GREETING=hello").count(), 2, "{text}");
    assert_eq!(text.matches("env SHARED_TOKEN=••••••").count(), 2, "{text}");
    assert!(!text.contains(SHARED), "{text}");
    assert_eq!(
        text.matches("env PROJECT_TOKEN=••••••").count(),
        2,
        "{text}"
    );
    assert!(!text.contains(PROJECT_SHARED), "{text}");
    assert_eq!(text.matches("listening on :").count(), 2, "{text}");
    assert!(!text.contains(SECRET), "{text}");
    // The last line of each pod only.
    let last = api
        .environment_log_text(&s.staging.id, Some(1))
        .await
        .unwrap();
    assert_eq!(last.lines().count(), 2, "{last}");
    assert!(
        last.lines().all(|l| l.starts_with("listening on :")),
        "{last}"
    );
    // A new version of the shared secret waits for the next deploy.
    let newer = api
        .set_service_secret(&s.service, "SHARED_TOKEN", "svc-shared-v2")
        .await
        .unwrap();
    assert!(newer.pending && newer.version == 2, "{newer:?}");

    // Followed: each pod's heartbeat comes, named by its pod.
    let response = s
        .app
        .http()
        .get(s.app.url(&format!(
            "/api/v1/environments/{}/logs?tail=5",
            s.staging.id
        )))
        .bearer_auth(&s.admin.access_token)
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let mut seen = String::new();
    let names: Vec<String> = up.instances.iter().map(|p| p.name.clone()).collect();
    let beating = |seen: &str| -> Vec<String> {
        seen.split("\n\n")
            .filter_map(|frame| frame.strip_prefix("event: log\ndata: "))
            .filter_map(|data| serde_json::from_str::<ServiceLogLine>(data).ok())
            .filter(|l| l.line.starts_with("heartbeat"))
            .map(|l| l.instance)
            .collect()
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while !names.iter().all(|n| beating(&seen).contains(n)) {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .unwrap_or_else(|_| panic!("no heartbeat of every pod: {seen}"))
            .unwrap_or_else(|| panic!("the stream ended: {seen}"))
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        seen.contains("••••••") && !seen.contains(SECRET),
        "the first lines, masked: {seen}"
    );
    drop(body);

    // A client that leaves while the pods are quiet closes their followed logs at once, not
    // at their next line.
    s.kube.hush();
    let response = s
        .app
        .http()
        .get(s.app.url(&format!(
            "/api/v1/environments/{}/logs?tail=1",
            s.staging.id
        )))
        .bearer_auth(&s.admin.access_token)
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    let mut body = response.bytes_stream();
    let mut quiet = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while quiet.matches("event: log").count() < 2 {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .unwrap_or_else(|_| panic!("no first lines: {quiet}"))
            .unwrap()
            .unwrap();
        quiet.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(s.kube.following() >= 2, "both pods followed");
    drop(body);
    // gmac sees its client gone at its next keep-alive (15 s) at the latest.
    let left = tokio::time::Instant::now() + std::time::Duration::from_secs(40);
    while s.kube.following() > 0 {
        assert!(
            tokio::time::Instant::now() < left,
            "{} pod logs still followed after the client left",
            s.kube.following()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // #2 crash-loops, and while it does another field manager takes the replicas: the
    // automatic rollback's apply of #1 is refused. #2 still ends failed, and its event says
    // so (who is notified of failed deploys is told), with the rollback that was not made.
    let started = api
        .deploy(
            &s.staging.id,
            &NewDeploy {
                build_id: None,
                image: Some("127.0.0.1:5000/docs-crashloop:2".to_owned()),
            },
        )
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while !s.image().contains("crashloop") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "#2 was never applied"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (code, taken) = s.kube.apply_as(
        "kubectl",
        "deployments",
        &s.namespace,
        "docs",
        serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "docs", "namespace": s.namespace},
            "spec": {"replicas": 4},
        }),
        true,
    );
    assert_eq!(code, 200, "{taken}");
    let (status, two, log) = s.ended(started).await;
    assert_eq!(status, JobStatus::Failed, "{log}");
    let detail = two.detail.clone().unwrap_or_default();
    assert!(
        detail.contains("could not be applied again") && detail.contains("CrashLoopBackOff"),
        "{detail}"
    );
    let events = api
        .list_events(&gmac_types::EventQuery {
            r#type: Some("release.updated".into()),
            ..gmac_types::EventQuery::default()
        })
        .await
        .unwrap()
        .items;
    let failed = events
        .iter()
        .find(|e| e.subject.as_deref() == Some(format!("release/{}", two.id).as_str()))
        .unwrap_or_else(|| panic!("no event of #2: {events:?}"));
    assert_eq!(failed.data["after"]["status"], "failed", "{failed:?}");
    assert_eq!(failed.data["auto_rollback"]["applied"], false, "{failed:?}");
    assert_eq!(s.live_number().await, Some(1), "#1 stays the live release");
}
