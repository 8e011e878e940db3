//! Deploys (issue 12) on a real Podman behind a real Caddy, on SQLite, or PostgreSQL when
//! `TEST_DATABASE_URL` is set: one build of the static-site service, then `GMAC_BENCH_DEPLOYS`
//! (default 10) releases of it to each of staging and production at once, each through
//! `POST /environments/{id}/deploys` and the job queue. Reports the time from the deploy
//! request to the release serving (its health check passed and Caddy's route moved), p50 and
//! p95, and the deploys per minute through the queue (each rollout also waits the drain
//! before it retires the release before it, 3 s in tests). With `GMAC_BENCH_TLS=1` the target
//! is the same Podman reached over the network: TLS with a client certificate, through a Caddy
//! that requires it (health checked on the port each container publishes); with
//! `GMAC_BENCH_SSH=1`, the same Podman over SSH, through a real sshd (health checked through
//! the SSH session). Then restarts staging `GMAC_BENCH_DEPLOYS` times (a fresh container
//! beside the serving one, health checked, routed, the old one retired after the drain) and
//! reports the time from the request to the job's end, p50 and p95.

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    reason = "a benchmark report"
)]

use std::time::{Duration, Instant};

use gmac_tests::deploy_world::{DeployWorld, job_ended};
use gmac_types::{EnvironmentPatch, JobStatus, NewDeploy, PageQuery, ReleaseStatus};

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() * p).div_ceil(100)).clamp(1, sorted.len()) - 1]
}

/// Deploys `build` to `environment` `n` times, one after the other; answers the time each took
/// to serve.
async fn deploys(world: &DeployWorld, environment: &str, build: &str, n: u64) -> Vec<Duration> {
    let mut took = Vec::new();
    for _ in 0..n {
        let asked = Instant::now();
        let started = world
            .admin
            .client
            .deploy(
                environment,
                &NewDeploy {
                    build_id: Some(build.to_owned()),
                    image: None,
                },
            )
            .await
            .unwrap();
        let mut serving = None;
        loop {
            let env = world
                .admin
                .client
                .get_environment(environment)
                .await
                .unwrap();
            if env.live_release.as_ref().map(|r| r.id.as_str()) == Some(started.release.id.as_str())
            {
                serving = Some(asked.elapsed());
                break;
            }
            let job = world.admin.client.get_job(&started.job.id).await.unwrap();
            if job.status.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(serving.is_some(), "the release went live");
        took.push(serving.unwrap());
        assert_eq!(
            job_ended(&world.admin, &started.job.id).await,
            JobStatus::Succeeded
        );
    }
    took
}

/// Restarts `environment` `n` times, one after the other; answers the time each job took.
async fn restarts(world: &DeployWorld, environment: &str, n: u64) -> Vec<Duration> {
    let mut took = Vec::new();
    for _ in 0..n {
        let asked = Instant::now();
        let job = world
            .admin
            .client
            .restart_environment(environment)
            .await
            .unwrap();
        assert_eq!(job_ended(&world.admin, &job.id).await, JobStatus::Succeeded);
        took.push(asked.elapsed());
    }
    took.sort();
    took
}

/// The engine over the network a run deploys to, kept running until it ends.
enum Remote {
    Tls(#[expect(dead_code, reason = "held for its Drop")] gmac_tests::engine_tls::TlsEngine),
    Ssh(#[expect(dead_code, reason = "held for its Drop")] gmac_tests::ssh_engine::SshEngine),
}

/// `GMAC_BENCH_TLS=1`: the engine over TLS, `GMAC_BENCH_SSH=1`: over SSH, registered as the
/// world's target (none: the local socket stays the target).
async fn remote_target(world: &mut DeployWorld) -> Option<Remote> {
    let remote = if std::env::var("GMAC_BENCH_TLS").is_ok() {
        let engine = gmac_tests::engine_tls::TlsEngine::start(&world.podman.host).await;
        let tls = gmac_types::EngineTls {
            ca_certificate: engine.ca.clone(),
            client_certificate: engine.client_certificate.clone(),
            client_key: engine.client_key.clone().into(),
        };
        Some((engine.address.clone(), Some(tls), None, Remote::Tls(engine)))
    } else if std::env::var("GMAC_BENCH_SSH").is_ok() {
        let host = gmac_tests::ssh_engine::SshEngine::start(&world.podman.host).await;
        let ssh = gmac_types::EngineSsh {
            private_key: host.private_key.clone().into(),
            host_key: host.host_key.clone(),
        };
        Some((host.address.clone(), None, Some(ssh), Remote::Ssh(host)))
    } else {
        None
    };
    match remote {
        Some((address, tls, ssh, engine)) => {
            let client_id = world
                .admin
                .client
                .get_target(&world.target)
                .await
                .unwrap()
                .client_id;
            world.target = world
                .admin
                .client
                .create_target(&gmac_types::NewTarget {
                    name: "web-remote".into(),
                    client_id,
                    project_id: None,
                    kind: gmac_types::TargetKind::ContainerHost,
                    address,
                    proxy_admin_url: Some(world.caddy.admin.clone()),
                    kubeconfig: None,
                    tls,
                    ssh,
                    cluster_issuer: None,
                    ingress_class: None,
                    ingress_address: None,
                })
                .await
                .unwrap()
                .id;
            Some(engine)
        }
        None => None,
    }
}

#[tokio::main]
async fn main() {
    let n: u64 = std::env::var("GMAC_BENCH_DEPLOYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let mut world = DeployWorld::start().await;
    let remote_engine = remote_target(&mut world).await;
    let build = world.built("staging").await;
    for env in [&world.staging, &world.production] {
        world
            .admin
            .client
            .update_environment(
                &env.id,
                &EnvironmentPatch {
                    target_id: Some(Some(world.target.clone())),
                    ..EnvironmentPatch::default()
                },
                None,
            )
            .await
            .unwrap();
    }
    let started = Instant::now();
    let (staging, production) = tokio::join!(
        deploys(&world, &world.staging.id, &build, n),
        deploys(&world, &world.production.id, &build, n)
    );
    let elapsed = started.elapsed();
    let mut all: Vec<Duration> = staging.into_iter().chain(production).collect();
    all.sort();
    let live = world
        .admin
        .client
        .list_releases(&world.staging.id, &PageQuery::default())
        .await
        .unwrap()
        .items
        .iter()
        .filter(|r| r.status == ReleaseStatus::Live)
        .count();
    assert_eq!(live, 1, "one release serves staging");
    let backend = if std::env::var("TEST_DATABASE_URL").is_ok() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let engine = match &remote_engine {
        Some(Remote::Tls(_)) => "Podman over TLS",
        Some(Remote::Ssh(_)) => "Podman over SSH",
        None => "Podman",
    };
    println!(
        "deploys ({backend}, {engine} + Caddy): {} releases in {:.1} s, {:.1} deploys/min through the queue (two environments at once); deploy to serving p50 {} ms, p95 {} ms, max {} ms",
        all.len(),
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64() * 60.0,
        percentile(&all, 50).as_millis(),
        percentile(&all, 95).as_millis(),
        all.last().copied().unwrap_or_default().as_millis(),
    );
    let restarted = restarts(&world, &world.staging.id, n).await;
    println!(
        "restarts ({backend}, {engine} + Caddy): {} of staging, request to done (a fresh container healthy and routed, the old one removed after the 3 s drain) p50 {} ms, p95 {} ms",
        restarted.len(),
        percentile(&restarted, 50).as_millis(),
        percentile(&restarted, 95).as_millis(),
    );
}
