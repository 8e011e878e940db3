//! Releases (issue 12, points 2 and 3) for real: a static-site service built through Podman's
//! Docker-compatible API is deployed to a container host (the same Podman) behind a real
//! Caddy that gmac routes through its admin API; a load loop through Caddy sees no failed
//! request while a release replaces another; a release that never gets healthy leaves the
//! environment as it was; a rollback brings an earlier image back without a rebuild.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use gmac_tests::deploy_world::{DeployWorld, job_ended};
use gmac_tests::podman::BASE_IMAGE;
use gmac_types::{
    DeployStarted, EnvironmentPatch, ErrorCode, NewDeploy, NewRollback, PageQuery, Permission,
    Release, ReleaseStatus, ReleaseTrigger,
};

type Setup = DeployWorld;

/// A deploy of a build.
fn of_build(id: &str) -> NewDeploy {
    NewDeploy {
        build_id: Some(id.to_owned()),
        image: None,
    }
}

/// The world, with staging deploying to its target.
async fn setup() -> Setup {
    let mut s = DeployWorld::start().await;
    assert_eq!(s.staging.branch, "staging");
    assert!(!s.staging.production && s.production.production);
    assert!(s.staging.target_id.is_none() && s.production.target_id.is_none());
    s.staging_on_target().await;
    s
}

/// Waits for a release's rollout to end; answers the release as it ended.
async fn rolled_out(s: &Setup, started: &DeployStarted) -> Release {
    job_ended(&s.admin, &started.job.id).await;
    s.releases(&started.release.environment_id)
        .await
        .into_iter()
        .find(|r| r.id == started.release.id)
        .expect("the release is listed")
}

/// Requests to `host` through Caddy, one after another until stopped: answers how many were
/// sent, how many were sent again and the failures (anything but a 200 that holds one of
/// `titles`).
///
/// Every change through Caddy's admin API reloads its configuration, and the reload drops the
/// connections its old server had not answered yet (idle keep-alive ones, and on Linux the
/// ones still queued on its listener): a request on one sees a reset before any byte of an
/// answer. RFC 9110 (9.2.2) lets a client send an idempotent request again then, and browsers
/// do; so does this loop, once, and counts it. What is measured is the switch: an answer from
/// no upstream, a stopped one or the wrong one (a 502, an empty 200) is never sent again.
struct LoadLoop {
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<(usize, Vec<String>)>,
}

/// An error with its causes, outermost first.
fn chain(e: &reqwest::Error) -> String {
    let mut said = vec![e.to_string()];
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        said.push(cause.to_string());
        source = cause.source();
    }
    said.join(": ")
}

/// Whether a request failed before any byte of an answer because its connection was dropped.
fn dropped_before_an_answer(e: &reqwest::Error) -> bool {
    let said = chain(e);
    said.contains("Connection reset by peer")
        || said.contains("connection closed before message completed")
}

impl LoadLoop {
    fn start(s: &Setup, host: &str, titles: &'static [&'static str]) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicUsize::new(0));
        let (url, host) = (format!("{}/", s.caddy.traffic), host.to_owned());
        let (stop_in, sent_in) = (stop.clone(), sent.clone());
        let task = tokio::spawn(async move {
            // A connection per request, so that each request tests the route as it is then.
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap();
            let (mut retried, mut failures) = (0, Vec::new());
            while !stop_in.load(Ordering::SeqCst) {
                sent_in.fetch_add(1, Ordering::SeqCst);
                let mut answer = http.get(&url).header("Host", &host).send().await;
                if answer.as_ref().is_err_and(dropped_before_an_answer) {
                    retried += 1;
                    answer = http.get(&url).header("Host", &host).send().await;
                }
                match answer {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let body = r.text().await.unwrap_or_default();
                        if status != 200 || !titles.iter().any(|t| body.contains(t)) {
                            failures.push(format!("HTTP {status}: {body:.80}"));
                        }
                    }
                    Err(e) => failures.push(chain(&e)),
                }
            }
            (retried, failures)
        });
        Self { stop, sent, task }
    }

    /// Stops the loop; answers how many requests were sent, and the failures. Requests sent
    /// again are allowed around the one reload a switch makes, never more.
    async fn finish(self) -> (usize, Vec<String>) {
        self.stop.store(true, Ordering::SeqCst);
        let (retried, failures) = self.task.await.unwrap();
        let sent = self.sent.load(Ordering::SeqCst);
        assert!(
            retried <= 3,
            "{retried} of {sent} requests had their connection dropped by the proxy"
        );
        (sent, failures)
    }
}

/// Whether Podman still has the container (it answers 200 for it, 404 once it is gone).
fn container_exists(s: &Setup, id: &str) -> bool {
    let socket = s.podman.host.trim_start_matches("unix://");
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--unix-socket",
            socket,
        ])
        .arg(format!("http://d/v1.41/containers/{id}/json"))
        .output()
        .unwrap();
    let code = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        code == "200" || code == "404",
        "podman answered {code} for container {id}"
    );
    code == "200"
}

#[tokio::test]
async fn a_build_deploys_behind_caddy_a_new_release_replaces_it_without_a_failed_request_and_a_rollback_brings_it_back()
 {
    let s = Box::pin(setup()).await;
    let host = s.staging.host.clone();
    assert!(
        host.starts_with("docs-staging-") && host.ends_with(".localhost"),
        "{host}"
    );

    // Production has no target yet: a clear 409, nothing made.
    let first_build = s.built("staging").await;
    let refused = s
        .admin
        .client
        .deploy(&s.production.id, &of_build(&first_build))
        .await
        .unwrap_err();
    let problem = refused.problem().expect("a problem");
    assert_eq!(problem.status, 409);
    assert!(
        problem
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("Choose a target for production")
    );

    // Release #1: the first build, live behind Caddy.
    let started = s
        .admin
        .client
        .deploy(&s.staging.id, &of_build(&first_build))
        .await
        .unwrap();
    assert_eq!(started.release.status, ReleaseStatus::Deploying);
    assert_eq!(started.release.number, 1);
    // One rollout at a time in an environment.
    let second = s
        .admin
        .client
        .deploy(&s.staging.id, &of_build(&first_build))
        .await
        .unwrap_err();
    assert_eq!(second.problem().map(|p| p.status), Some(409), "{second:?}");
    let one = rolled_out(&s, &started).await;
    assert_eq!(one.status, ReleaseStatus::Live, "{:?}", one.detail);
    assert!(one.image_id.is_some());
    let (status, body) = s.through_caddy(&host).await;
    assert_eq!(status, 200);
    assert!(body.contains("Docs one"), "{body}");
    let env = s.admin.client.get_environment(&s.staging.id).await.unwrap();
    assert_eq!(
        env.live_release.as_ref().map(|r| r.id.as_str()),
        Some(one.id.as_str())
    );
    let one_container = container_of(&s, &one.id);

    // Release #2: a pushed change, built and deployed by deploy-on-push (staging has it on
    // by default), while a load loop runs through Caddy.
    assert!(env.deploy_on_push && env.paused.is_none(), "{env:?}");
    let load = LoadLoop::start(&s, &host, &["Docs one", "Docs two"]);
    let work = tempfile::tempdir().unwrap();
    let commit = s.push_title(work.path(), "Docs two").await;
    let second_build = s.build_of_commit(&commit).await;
    let pushed = s.release_of_build(&second_build).await;
    assert_eq!(pushed.trigger, ReleaseTrigger::Push);
    assert_eq!(pushed.created_by, None, "no person asked for it");
    job_ended(&s.admin, &pushed.job_id).await;
    let two = s.releases(&s.staging.id).await.remove(0);
    assert_eq!(
        (two.number, &two.build_id),
        (2, &Some(second_build.clone()))
    );
    let (sent, failures) = load.finish().await;
    assert_eq!(two.status, ReleaseStatus::Live, "{:?}", two.detail);
    assert!(
        sent > 20,
        "the loop ran through the rollout ({sent} requests)"
    );
    assert!(
        failures.is_empty(),
        "{} of {sent} requests failed: {failures:?}",
        failures.len()
    );
    let (_, body) = s.through_caddy(&host).await;
    assert!(body.contains("Docs two"), "{body}");
    assert!(
        !container_exists(&s, &one_container),
        "release #1's container was retired"
    );
    let listed = s.releases(&s.staging.id).await;
    assert_eq!(listed[0].number, 2, "newest first");
    assert_eq!(listed[1].status, ReleaseStatus::Retired);

    // Release #3 never gets healthy (busybox's sh exits at once): #2 keeps serving.
    let started = s
        .admin
        .client
        .deploy(
            &s.staging.id,
            &NewDeploy {
                build_id: None,
                image: Some(BASE_IMAGE.to_owned()),
            },
        )
        .await
        .unwrap();
    let three = rolled_out(&s, &started).await;
    assert_eq!(three.status, ReleaseStatus::Failed);
    let detail = three.detail.clone().unwrap_or_default();
    assert!(
        detail.contains("the container exited with code"),
        "{detail}"
    );
    let (_, body) = s.through_caddy(&host).await;
    assert!(body.contains("Docs two"), "the live release stayed: {body}");
    let env = s.admin.client.get_environment(&s.staging.id).await.unwrap();
    assert_eq!(env.live_release.as_ref().map(|r| r.number), Some(2));

    // Roll back to #1: its image comes back without a rebuild, under load again.
    let builds_before = s
        .admin
        .client
        .list_builds(&s.service, None, &PageQuery::default())
        .await
        .unwrap()
        .total;
    let load = LoadLoop::start(&s, &host, &["Docs one", "Docs two"]);
    let started = s
        .admin
        .client
        .rollback(
            &s.staging.id,
            &NewRollback {
                release_id: one.id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        started.release.rollback_of.as_deref(),
        Some(one.id.as_str())
    );
    assert_eq!(started.release.image, one.image);
    let four = rolled_out(&s, &started).await;
    let (sent, failures) = load.finish().await;
    assert_eq!(four.status, ReleaseStatus::Live, "{:?}", four.detail);
    assert!(
        failures.is_empty(),
        "{} of {sent} requests failed: {failures:?}",
        failures.len()
    );
    let (_, body) = s.through_caddy(&host).await;
    assert!(body.contains("Docs one"), "{body}");
    let builds_after = s
        .admin
        .client
        .list_builds(&s.service, None, &PageQuery::default())
        .await
        .unwrap()
        .total;
    assert_eq!(builds_before, builds_after, "nothing was rebuilt");

    // The manual rollback paused deploy-on-push, so that the next push does not undo it.
    let env = s.admin.client.get_environment(&s.staging.id).await.unwrap();
    let paused = env.paused.clone().expect("deploy-on-push is paused");
    assert!(paused.reason.contains("#1"), "{paused:?}");
    assert_eq!(paused.by, four.created_by, "paused by who rolled back");
    // A push while paused is built, not deployed; once resumed, the next push deploys (its
    // release is made after the paused one's build was seen, as events are handed in order).
    let commit = s.push_title(work.path(), "Docs three").await;
    let third_build = s.build_of_commit(&commit).await;
    let said = push_deploy_result(&s, &third_build).await;
    let skipped = said["skipped"].as_str().unwrap_or_default();
    assert!(skipped.contains("deploy-on-push is paused"), "{said}");
    let resumed = s
        .admin
        .client
        .update_environment(
            &s.staging.id,
            &EnvironmentPatch {
                paused: Some(false),
                ..EnvironmentPatch::default()
            },
            Some(env.version),
        )
        .await
        .unwrap();
    assert!(resumed.paused.is_none() && resumed.deploy_on_push);
    assert_eq!(
        resumed.target_id, env.target_id,
        "an absent field stays as it was"
    );
    let commit = s.push_title(work.path(), "Docs four").await;
    let fourth_build = s.build_of_commit(&commit).await;
    let five = s.release_of_build(&fourth_build).await;
    job_ended(&s.admin, &five.job_id).await;
    let listed = s.releases(&s.staging.id).await;
    assert_eq!(listed[0].number, 5);
    assert_eq!(
        listed[0].status,
        ReleaseStatus::Live,
        "{:?}",
        listed[0].detail
    );
    assert!(
        listed
            .iter()
            .all(|r| r.build_id.as_deref() != Some(third_build.as_str())),
        "the build pushed while paused was not deployed"
    );
    let (_, body) = s.through_caddy(&host).await;
    assert!(body.contains("Docs four"), "{body}");
    assert_eq!(listed[1].number, 4);
    // The one serving cannot be rolled back to.
    let again = s
        .admin
        .client
        .rollback(
            &s.staging.id,
            &NewRollback {
                release_id: five.id.clone(),
            },
        )
        .await
        .unwrap_err();
    let problem = again.problem().expect("a problem");
    assert_eq!(problem.status, 409);
    assert_eq!(problem.code, ErrorCode::Conflict);

    // A Developer deploys to staging, not to production (deploys.production is the Admins').
    let developer = s
        .app
        .fixture(&s.admin)
        .member("dev@example.com", "developer", gmac_types::Scope::Global)
        .await;
    let refused = developer
        .client
        .deploy(&s.production.id, &of_build(&first_build))
        .await
        .unwrap_err();
    assert_eq!(refused.problem().map(|p| p.status), Some(403));
    // Nor, through deploy-on-push, by moving production onto another branch they push to.
    let moved = developer
        .client
        .update_service(
            &s.service,
            &gmac_types::ServicePatch {
                environments: Some(vec![
                    gmac_types::ServiceEnvironment {
                        name: "staging".into(),
                        branch: "staging".into(),
                    },
                    gmac_types::ServiceEnvironment {
                        name: "production".into(),
                        branch: "hotfix".into(),
                    },
                ]),
                ..gmac_types::ServicePatch::default()
            },
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(moved.problem().map(|p| p.status), Some(403), "{moved:?}");
    // Nor switch production's deploy-on-push, or resume it.
    let resumed = developer
        .client
        .update_environment(
            &s.production.id,
            &EnvironmentPatch {
                paused: Some(false),
                ..EnvironmentPatch::default()
            },
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(resumed.problem().map(|p| p.status), Some(403));

    // A script rolls staging back by number, following the rollout to its end.
    let token = crate::process::script_token(
        &s.admin,
        vec![Permission::ServicesView, Permission::DeploysRun],
    )
    .await;
    let (ok, out, err) = crate::process::run_gmac(
        &s.app.address,
        &token,
        &[
            "rollback",
            "--service",
            &s.service,
            "--env",
            "staging",
            "--to",
            "2",
        ],
    )
    .await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("release #6 live"), "{out}");
    let (_, body) = s.through_caddy(&host).await;
    assert!(body.contains("Docs two"), "{body}");
    let (ok, _, err) = crate::process::run_gmac(
        &s.app.address,
        &token,
        &[
            "deploy",
            "--service",
            &s.service,
            "--env",
            "production",
            "--image",
            BASE_IMAGE,
        ],
    )
    .await;
    // Its token holds deploys.run: production is refused before anything else is looked at.
    assert!(!ok);
    assert!(err.contains("You do not have permission"), "{err}");
}

/// The result of the push deploy job of `build` (its release, or why it was skipped), once
/// the job has ended.
async fn push_deploy_result(s: &Setup, build: &str) -> serde_json::Value {
    let query = gmac_types::JobQuery {
        kind: Some("release.push_deploy".to_owned()),
        ..gmac_types::JobQuery::default()
    };
    for _ in 0..300 {
        let jobs = s
            .admin
            .client
            .list_jobs(&query, &PageQuery::default())
            .await
            .unwrap()
            .items;
        if let Some(job) = jobs.iter().find(|j| {
            j.status.is_finished()
                && j.result.as_ref().and_then(|r| r["build_id"].as_str()) == Some(build)
        }) {
            assert_eq!(job.status, gmac_types::JobStatus::Succeeded, "{job:?}");
            return job.result.clone().unwrap_or_default();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no push deploy of build {build} ended");
}

/// The container Podman runs for a release (by its `gmac.io/release` label).
fn container_of(s: &Setup, release_id: &str) -> String {
    s.container_of(release_id)
}

/// The environment of the container running release `release_id`, as the engine has it.
fn container_env(s: &Setup, release_id: &str) -> std::collections::BTreeMap<String, String> {
    let inspected = s.container_inspect(release_id);
    inspected["Config"]["Env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.as_str()?.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Every line a job logged, joined.
async fn job_text(s: &Setup, job_id: &str) -> String {
    let page = s.admin.client.job_log(job_id, 0).await.unwrap();
    page.items
        .into_iter()
        .map(|l| l.line)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Variables and a secret reach the release's container and nothing else; a change waits for
/// the next deploy (the API says it is pending); a rollback brings the configuration that
/// release ran with back with its image.
#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one environment's configuration through three releases"
)]
async fn a_deploy_runs_with_its_variables_and_secret_and_a_rollback_brings_its_configuration_back()
{
    const SECRET: &str = "tok-5f1c2e9a-first-secret";
    const SECRET_TWO: &str = "tok-0d4b7a13-second-secret";
    let s = Box::pin(setup()).await;
    let api = &s.admin.client;
    let build = s.built("staging").await;
    let greeting = |v: &str| {
        [("GREETING".to_owned(), v.to_owned())]
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    api.set_variables(&s.staging.id, &greeting("hello"), Some(0))
        .await
        .unwrap();
    api.set_secret(&s.staging.id, "API_TOKEN", SECRET)
        .await
        .unwrap();

    let started = api.deploy(&s.staging.id, &of_build(&build)).await.unwrap();
    let one = rolled_out(&s, &started).await;
    assert_eq!(one.status, ReleaseStatus::Live, "{:?}", one.detail);
    assert_eq!(one.config.variables_version, 1);
    assert_eq!(one.config.secrets.get("API_TOKEN"), Some(&1));
    let env = container_env(&s, &one.id);
    assert_eq!(env.get("GREETING").map(String::as_str), Some("hello"));
    assert_eq!(env.get("API_TOKEN").map(String::as_str), Some(SECRET));
    assert!(env.contains_key("PORT"), "{env:?}");
    let mut jobs = vec![started.job.id.clone()];
    assert!(
        !api.get_variables(&s.staging.id, None)
            .await
            .unwrap()
            .pending
    );

    // A change waits for the next deploy, and says so.
    api.set_variables(&s.staging.id, &greeting("bonjour"), Some(1))
        .await
        .unwrap();
    api.set_secret(&s.staging.id, "API_TOKEN", SECRET_TWO)
        .await
        .unwrap();
    assert!(
        api.get_variables(&s.staging.id, None)
            .await
            .unwrap()
            .pending
    );
    let secrets = api
        .list_secrets(&s.staging.id, &PageQuery::default())
        .await
        .unwrap()
        .items;
    assert!(secrets[0].pending && secrets[0].version == 2);
    assert_eq!(
        container_env(&s, &one.id)
            .get("GREETING")
            .map(String::as_str),
        Some("hello"),
        "the live release runs on as it was"
    );

    // Redeploying the same build applies them.
    let started = api.deploy(&s.staging.id, &of_build(&build)).await.unwrap();
    let two = rolled_out(&s, &started).await;
    assert_eq!(two.status, ReleaseStatus::Live, "{:?}", two.detail);
    jobs.push(started.job.id.clone());
    let env = container_env(&s, &two.id);
    assert_eq!(env.get("GREETING").map(String::as_str), Some("bonjour"));
    assert_eq!(env.get("API_TOKEN").map(String::as_str), Some(SECRET_TWO));
    assert!(
        !api.get_variables(&s.staging.id, None)
            .await
            .unwrap()
            .pending
    );

    // Rolling back to #1 brings its configuration back with its image.
    let started = api
        .rollback(
            &s.staging.id,
            &NewRollback {
                release_id: one.id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(started.release.config, one.config);
    let three = rolled_out(&s, &started).await;
    assert_eq!(three.status, ReleaseStatus::Live, "{:?}", three.detail);
    jobs.push(started.job.id.clone());
    let env = container_env(&s, &three.id);
    assert_eq!(env.get("GREETING").map(String::as_str), Some("hello"));
    assert_eq!(env.get("API_TOKEN").map(String::as_str), Some(SECRET));
    // The environment's newest configuration is now ahead of what serves.
    assert!(
        api.get_variables(&s.staging.id, None)
            .await
            .unwrap()
            .pending
    );

    // A container host runs one container: more is refused; a restart replaces it with a
    // fresh one, with no failed request through the proxy.
    let refused = api
        .scale_environment(
            &s.staging.id,
            &gmac_types::ScaleRequest {
                replicas: 2,
                autoscale: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.problem().unwrap().status, 409);
    let before = container_of(&s, &three.id);
    let load = LoadLoop::start(&s, &s.staging.host, &["Docs one"]);
    let job = api.restart_environment(&s.staging.id).await.unwrap();
    assert_eq!(
        job_ended(&s.admin, &job.id).await,
        gmac_types::JobStatus::Succeeded
    );
    let (sent, failures) = load.finish().await;
    assert!(
        sent > 5 && failures.is_empty(),
        "{} of {sent} requests failed: {failures:?}",
        failures.len()
    );
    let after = container_of(&s, &three.id);
    assert_ne!(after, before, "a fresh container serves");
    assert!(!container_exists(&s, &before), "the old one was removed");
    let restarted = s.releases(&s.staging.id).await.remove(0);
    assert_eq!(
        (restarted.id.as_str(), restarted.status),
        (three.id.as_str(), ReleaseStatus::Live),
        "the same release serves"
    );
    assert_eq!(
        container_env(&s, &three.id)
            .get("API_TOKEN")
            .map(String::as_str),
        Some(SECRET)
    );
    jobs.push(job.id);

    // No job log and no answer holds a secret.
    for job in &jobs {
        let text = job_text(&s, job).await;
        assert!(
            !text.contains(SECRET) && !text.contains(SECRET_TWO),
            "{text}"
        );
    }
    for path in [
        format!("/api/v1/environments/{}/releases", s.staging.id),
        format!("/api/v1/environments/{}", s.staging.id),
        format!("/api/v1/environments/{}/secrets", s.staging.id),
        format!("/api/v1/environments/{}/variables", s.staging.id),
        "/api/v1/audit".to_owned(),
        "/api/v1/events".to_owned(),
    ] {
        let body = s
            .app
            .http()
            .get(s.app.url(&path))
            .bearer_auth(&s.admin.access_token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !body.contains(SECRET) && !body.contains(SECRET_TWO),
            "{path}: {body}"
        );
    }

    // Deleting the service stops what runs for it: its container and its proxy route.
    let serving = container_of(&s, &three.id);
    let (status, _) = s.through_caddy(&s.staging.host).await;
    assert_eq!(status, 200);
    let job = api.delete_service(&s.service, false, None).await.unwrap();
    assert_eq!(
        job_ended(&s.admin, &job.id).await,
        gmac_types::JobStatus::Succeeded
    );
    assert!(!container_exists(&s, &serving), "the container was removed");
    let (status, body) = s.through_caddy(&s.staging.host).await;
    assert!(!body.contains("Docs one"), "{status}: {body}");
    let log = job_text(&s, &job.id).await;
    assert!(log.contains("stopped and removed"), "{log}");
}

/// Services made before environments were rows get their staging and production rows when
/// gmac upgrades, each with an id of its own that the API takes.
#[tokio::test]
async fn services_made_before_environments_were_rows_get_theirs_when_gmac_upgrades() {
    use gmac_migrations::MigratorTrait;
    let app = gmac_tests::spawn_app().await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let project_id = app.fixture(&admin).project(&client_id, "Web").await;
    let connection = admin
        .client
        .create_git_connection(&gmac_types::NewGitConnection {
            provider: gmac_types::GitProvider::Git,
            base_url: "http://127.0.0.1:9/git".into(),
            token: None,
            client_id: None,
            name: None,
        })
        .await
        .unwrap()
        .id;
    let mut services = Vec::new();
    for name in ["web", "api"] {
        let created = admin
            .client
            .create_service(&gmac_types::NewService {
                project_id: project_id.clone(),
                name: name.into(),
                template: "static-site".into(),
                parameters: serde_json::json!({"title": "Web"})
                    .as_object()
                    .unwrap()
                    .clone(),
                git: gmac_types::NewServiceRepository {
                    connection_id: connection.clone(),
                    owner: "acme".into(),
                    name: name.into(),
                },
                description: None,
                owner_team_id: None,
            })
            .await
            .unwrap();
        services.push(created.service.id);
    }
    gmac_tests::migrate_down_to_before(&app.core.db, "m20261223_000030_environments").await;
    gmac_migrations::Migrator::up(&app.core.db, None)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for service in &services {
        let listed = admin
            .client
            .list_environments(service, &PageQuery::default())
            .await
            .unwrap()
            .items;
        let names: Vec<&str> = listed.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["staging", "production"]);
        for env in listed {
            assert_eq!(
                admin.client.get_environment(&env.id).await.unwrap().name,
                env.name
            );
            ids.push(env.id);
        }
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "every environment has an id of its own");
}

#[tokio::test]
async fn a_release_that_fails_once_live_brings_the_one_before_back_by_itself_unless_that_is_switched_off()
 {
    let s = Box::pin(setup()).await;
    let host = s.staging.host.clone();
    // Two images from the base image: one that serves, one that serves and then crashes
    // (its httpd runs in the background and the container's command ends with an error).
    s.podman
        .serving_and_crashing("localhost/gmac-serving:1", "localhost/gmac-crashing:1");
    let deploy = async |image: &str| {
        let started = s
            .admin
            .client
            .deploy(
                &s.staging.id,
                &NewDeploy {
                    build_id: None,
                    image: Some(image.to_owned()),
                },
            )
            .await
            .unwrap();
        let status = job_ended(&s.admin, &started.job.id).await;
        let release = s
            .releases(&s.staging.id)
            .await
            .into_iter()
            .find(|r| r.id == started.release.id)
            .unwrap();
        (status, release, started.job.id)
    };
    let (_, one, _) = deploy("localhost/gmac-serving:1").await;
    assert_eq!(one.status, ReleaseStatus::Live, "{:?}", one.detail);
    let env = s.admin.client.get_environment(&s.staging.id).await.unwrap();
    assert!(env.auto_rollback, "on by default");

    // Release #2 gets healthy, goes live, then its container exits: #1 (still running while
    // #2 is watched) serves again, and #2 failed saying why.
    let (status, two, job) = deploy("localhost/gmac-crashing:1").await;
    assert_eq!(status, gmac_types::JobStatus::Failed);
    assert_eq!(two.status, ReleaseStatus::Failed);
    let detail = two.detail.clone().unwrap_or_default();
    assert!(
        detail.contains("release #1 serves again (automatic rollback)")
            && detail.contains("after it went live"),
        "{detail}"
    );
    let log = job_text(&s, &job).await;
    assert!(
        log.contains("release #2 serves staging"),
        "it did go live: {log}"
    );
    let env = s.admin.client.get_environment(&s.staging.id).await.unwrap();
    assert_eq!(env.live_release.as_ref().map(|r| r.number), Some(1));
    let (status, body) = s.through_caddy(&host).await;
    assert_eq!(status, 200);
    assert!(body.contains("Docs serving"), "{body}");
    assert!(container_exists(&s, &container_of(&s, &one.id)));
    let audited = s
        .admin
        .client
        .list_audit_events(&gmac_types::AuditQuery {
            action: Some("release.auto_rollback".into()),
            ..gmac_types::AuditQuery::default()
        })
        .await
        .unwrap()
        .items;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].target_id.as_deref(), Some(two.id.as_str()));

    // Switched off: the same failure leaves release #3 serving, and the job says so.
    let env = s
        .admin
        .client
        .update_environment(
            &s.staging.id,
            &EnvironmentPatch {
                auto_rollback: Some(false),
                ..EnvironmentPatch::default()
            },
            Some(env.version),
        )
        .await
        .unwrap();
    assert!(!env.auto_rollback);
    let (status, three, job) = deploy("localhost/gmac-crashing:1").await;
    assert_eq!(status, gmac_types::JobStatus::Succeeded);
    assert_eq!(three.status, ReleaseStatus::Live, "{:?}", three.detail);
    let log = job_text(&s, &job).await;
    assert!(
        log.contains("automatic rollback is off for staging: release #3 keeps serving"),
        "{log}"
    );
}

/// Variables shared by the project, by groups attached to the service and by the service reach
/// the container under the environment's own and its secrets; the environment's view says what
/// each scope gives and what overrides it; a shared change waits for the next deploy; a
/// rollback brings the shared versions back with its image; changing them needs
/// `deploys.production`; a group in use is not deleted, and a deleted group's versions stay
/// for the releases that ran with it.
#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one service's shared configuration through three releases and its refusals"
)]
async fn shared_variables_reach_the_container_under_the_environments_own_and_come_back_with_a_rollback()
 {
    use gmac_client::SharedOwner;
    use gmac_types::variables::VariableScope;
    const SECRET: &str = "tok-91c0d2-shared-test-secret";
    let s = Box::pin(setup()).await;
    let api = &s.admin.client;
    let vars = |pairs: &[(&str, &str)]| -> std::collections::BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let project_id = api.get_service(&s.service).await.unwrap().project_id;
    let project = SharedOwner::Project(&project_id);
    let service = SharedOwner::Service(&s.service);

    let p1 = api
        .set_shared_variables(
            project,
            &vars(&[
                ("REGION", "eu"),
                ("LEVEL", "project"),
                ("API_TOKEN", "shared"),
            ]),
            Some(0),
        )
        .await
        .unwrap();
    assert_eq!((p1.version, p1.scope), (1, VariableScope::Project));
    api.set_shared_variables(
        service,
        &vars(&[("LEVEL", "service"), ("COLOR", "blue")]),
        None,
    )
    .await
    .unwrap();
    api.set_variables(&s.staging.id, &vars(&[("COLOR", "green")]), None)
        .await
        .unwrap();
    api.set_secret(&s.staging.id, "API_TOKEN", SECRET)
        .await
        .unwrap();
    let group = |name: &str, pairs: &[(&str, &str)]| gmac_types::variables::NewVariableGroup {
        name: name.to_owned(),
        variables: vars(pairs),
    };
    let g1 = api
        .create_variable_group(
            &project_id,
            &group(
                "observability",
                &[("OTEL", "on"), ("MODE", "a"), ("LEVEL", "group")],
            ),
        )
        .await
        .unwrap();
    let g2 = api
        .create_variable_group(&project_id, &group("mode-b", &[("MODE", "b")]))
        .await
        .unwrap();
    assert_eq!(g1.latest_version, 1);
    let taken = api
        .create_variable_group(&project_id, &group("Observability", &[]))
        .await
        .unwrap_err();
    assert_eq!(
        taken.problem().map(|p| p.errors[0].code.as_str()),
        Some("taken")
    );
    let refused = api
        .set_service_variable_groups(&s.service, &[g1.id.clone(), g1.id.clone(), "nope".into()])
        .await
        .unwrap_err();
    let pointers: Vec<String> = refused
        .problem()
        .expect("a problem")
        .errors
        .iter()
        .map(|e| e.pointer.clone())
        .collect();
    assert_eq!(pointers, ["/group_ids/1", "/group_ids/2"]);
    let attached = api
        .set_service_variable_groups(&s.service, &[g1.id.clone(), g2.id.clone()])
        .await
        .unwrap();
    let names: Vec<&str> = attached.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["observability", "mode-b"]);

    // The environment's view: each shared variable, its scope, and what overrides it.
    let view = api.get_variables(&s.staging.id, None).await.unwrap();
    let seen: Vec<(String, VariableScope, Option<VariableScope>)> = view
        .inherited
        .iter()
        .map(|v| (v.name.clone(), v.scope, v.overridden_by))
        .collect();
    let owned = |n: &str, scope, by| (n.to_owned(), scope, by);
    assert_eq!(
        seen,
        vec![
            owned(
                "API_TOKEN",
                VariableScope::Project,
                Some(VariableScope::Secret)
            ),
            owned(
                "LEVEL",
                VariableScope::Project,
                Some(VariableScope::Service)
            ),
            owned("REGION", VariableScope::Project, None),
            owned("LEVEL", VariableScope::Group, Some(VariableScope::Service)),
            owned("MODE", VariableScope::Group, Some(VariableScope::Group)),
            owned("OTEL", VariableScope::Group, None),
            owned("MODE", VariableScope::Group, None),
            owned(
                "COLOR",
                VariableScope::Service,
                Some(VariableScope::Environment)
            ),
            owned("LEVEL", VariableScope::Service, None),
        ]
    );

    let build = s.built("staging").await;
    let started = api.deploy(&s.staging.id, &of_build(&build)).await.unwrap();
    let one = rolled_out(&s, &started).await;
    assert_eq!(one.status, ReleaseStatus::Live, "{:?}", one.detail);
    assert_eq!(
        (
            one.config.project_variables_version,
            one.config.service_variables_version
        ),
        (1, 1)
    );
    let env = container_env(&s, &one.id);
    let get = |env: &std::collections::BTreeMap<String, String>, k: &str| env.get(k).cloned();
    assert_eq!(get(&env, "REGION").as_deref(), Some("eu"));
    assert_eq!(get(&env, "LEVEL").as_deref(), Some("service"));
    assert_eq!(get(&env, "COLOR").as_deref(), Some("green"));
    assert_eq!(get(&env, "API_TOKEN").as_deref(), Some(SECRET));
    assert_eq!(get(&env, "OTEL").as_deref(), Some("on"));
    assert_eq!(
        get(&env, "MODE").as_deref(),
        Some("b"),
        "the later group wins"
    );
    assert_eq!(one.config.groups.len(), 2);

    // A shared change waits for the next deploy, and the environment says so.
    let stale = api
        .set_shared_variables(project, &vars(&[("REGION", "us")]), Some(0))
        .await
        .unwrap_err();
    assert_eq!(stale.status(), Some(412));
    let p2 = api
        .set_shared_variables(
            project,
            &vars(&[
                ("REGION", "us"),
                ("LEVEL", "project"),
                ("API_TOKEN", "shared"),
            ]),
            Some(1),
        )
        .await
        .unwrap();
    assert_eq!(p2.version, 2);
    assert!(
        api.get_variables(&s.staging.id, None)
            .await
            .unwrap()
            .pending
    );
    let changes = api
        .diff_shared_variables(project, 1, 2)
        .await
        .unwrap()
        .changes;
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (
            changes[0].name.as_str(),
            changes[0].before.as_deref(),
            changes[0].after.as_deref()
        ),
        ("REGION", Some("eu"), Some("us"))
    );
    let started = api.deploy(&s.staging.id, &of_build(&build)).await.unwrap();
    let two = rolled_out(&s, &started).await;
    assert_eq!(two.status, ReleaseStatus::Live, "{:?}", two.detail);
    assert_eq!(two.config.project_variables_version, 2);
    assert_eq!(
        get(&container_env(&s, &two.id), "REGION").as_deref(),
        Some("us")
    );

    // A rollback brings the shared versions #1 ran with back with its image.
    let started = api
        .rollback(
            &s.staging.id,
            &NewRollback {
                release_id: one.id.clone(),
            },
        )
        .await
        .unwrap();
    let three = rolled_out(&s, &started).await;
    assert_eq!(three.status, ReleaseStatus::Live, "{:?}", three.detail);
    assert_eq!(three.config, one.config);
    assert_eq!(
        get(&container_env(&s, &three.id), "REGION").as_deref(),
        Some("eu")
    );

    // A shared version comes back as a new one; the audit row names changes, never values.
    let back = api.rollback_shared_variables(project, 1).await.unwrap();
    assert_eq!(
        (
            back.version,
            back.variables.get("REGION").map(String::as_str)
        ),
        (3, Some("eu"))
    );
    let audit = api
        .list_audit_events(&gmac_types::AuditQuery {
            action: Some("project.variables".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 3);
    let details = audit.items[0].details.to_string();
    assert!(
        details.contains("rollback to 1") && !details.contains("\"eu\""),
        "{details}"
    );

    // Bad names are refused under their field; nothing changes.
    let refused = api
        .set_shared_variables(service, &vars(&[("GMAC_X", "1"), ("9BAD", "x")]), None)
        .await
        .unwrap_err();
    let problem = refused.problem().expect("a problem");
    assert_eq!(problem.status, 422);
    let pointers: Vec<&str> = problem.errors.iter().map(|e| e.pointer.as_str()).collect();
    assert!(
        pointers.contains(&"/variables/GMAC_X") && pointers.contains(&"/variables/9BAD"),
        "{pointers:?}"
    );
    assert_eq!(
        api.get_shared_variables(service, None)
            .await
            .unwrap()
            .version,
        1
    );

    // A Developer reads them but may not change them: they reach production too.
    let developer = s
        .app
        .fixture(&s.admin)
        .member(
            "dev-shared@example.com",
            "developer",
            gmac_types::Scope::Global,
        )
        .await;
    let read = developer
        .client
        .get_shared_variables(service, None)
        .await
        .unwrap();
    assert_eq!(
        read.variables.get("COLOR").map(String::as_str),
        Some("blue")
    );
    let refused = developer
        .client
        .set_shared_variables(service, &vars(&[("COLOR", "red")]), None)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(403));
    let refused = developer
        .client
        .set_service_variable_groups(&s.service, &[])
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(403));

    // A group in use stays; once detached it goes from the API, and a rollback to a release
    // that ran with it still runs with its variables.
    let in_use = api.delete_variable_group(&g2.id).await.unwrap_err();
    assert_eq!(in_use.status(), Some(409));
    api.set_service_variable_groups(&s.service, std::slice::from_ref(&g1.id))
        .await
        .unwrap();
    api.delete_variable_group(&g2.id).await.unwrap();
    let gone = api.get_variable_group(&g2.id).await.unwrap_err();
    assert_eq!(gone.status(), Some(404));
    let names: Vec<String> = api
        .list_variable_groups(&project_id, &PageQuery::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(names, ["observability"]);
    let started = api
        .rollback(
            &s.staging.id,
            &NewRollback {
                release_id: two.id.clone(),
            },
        )
        .await
        .unwrap();
    let four = rolled_out(&s, &started).await;
    assert_eq!(four.status, ReleaseStatus::Live, "{:?}", four.detail);
    let env = container_env(&s, &four.id);
    assert_eq!(get(&env, "MODE").as_deref(), Some("b"));
    assert_eq!(get(&env, "REGION").as_deref(), Some("us"));
}

#[tokio::test]
async fn a_projects_secret_reaches_the_container_under_the_services_own_and_a_rollback_brings_its_version_back()
 {
    const PROJECT_VALUE: &str = "prj-db-8a1f-first";
    const SERVICE_VALUE: &str = "svc-db-2c9e-own";
    let s = Box::pin(setup()).await;
    let api = &s.admin.client;
    let project_id = api.get_service(&s.service).await.unwrap().project_id;
    api.set_project_secret(&project_id, "DB_PASSWORD", PROJECT_VALUE)
        .await
        .unwrap();
    let build = s.built("staging").await;

    let started = api.deploy(&s.staging.id, &of_build(&build)).await.unwrap();
    let one = rolled_out(&s, &started).await;
    assert_eq!(one.status, ReleaseStatus::Live, "{:?}", one.detail);
    assert_eq!(one.config.project_secrets.get("DB_PASSWORD"), Some(&1));
    let env = container_env(&s, &one.id);
    assert_eq!(
        env.get("DB_PASSWORD").map(String::as_str),
        Some(PROJECT_VALUE)
    );
    assert!(!job_text(&s, &started.job.id).await.contains(PROJECT_VALUE));

    // The service's own secret of the same name wins over the project's, from the next deploy.
    api.set_service_secret(&s.service, "DB_PASSWORD", SERVICE_VALUE)
        .await
        .unwrap();
    let pending = api
        .list_project_secrets(&project_id, &PageQuery::default())
        .await
        .unwrap()
        .items;
    assert!(
        !pending[0].pending,
        "the live release runs the project's version 1"
    );
    let started = api.deploy(&s.staging.id, &of_build(&build)).await.unwrap();
    let two = rolled_out(&s, &started).await;
    assert_eq!(two.status, ReleaseStatus::Live, "{:?}", two.detail);
    let env = container_env(&s, &two.id);
    assert_eq!(
        env.get("DB_PASSWORD").map(String::as_str),
        Some(SERVICE_VALUE)
    );

    // A rollback runs the first release's configuration: the project's value again.
    let started = api
        .rollback(
            &s.staging.id,
            &NewRollback {
                release_id: one.id.clone(),
            },
        )
        .await
        .unwrap();
    let back = rolled_out(&s, &started).await;
    assert_eq!(back.status, ReleaseStatus::Live, "{:?}", back.detail);
    assert!(back.config.service_secrets.is_empty());
    let env = container_env(&s, &back.id);
    assert_eq!(
        env.get("DB_PASSWORD").map(String::as_str),
        Some(PROJECT_VALUE)
    );
}
