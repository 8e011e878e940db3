//! A cluster's live release read as a person reads it from the board (issue 12, point 4), on
//! SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set, against the FAKE Kubernetes API
//! server (no real one can run here): a release of `GMAC_BENCH_PODS` (default 10) pods whose
//! configuration holds `GMAC_BENCH_SECRETS` (default 50) secrets of the environment and as many
//! the service shares, each masked in what is shown. Reports, p50 and p95 over repeated asks:
//! its instances; its last 200 lines of every pod as text; and, followed, the time until every
//! pod's first line has come.

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a benchmark report"
)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use gmac_tests::kube_world::KubeWorld;
use gmac_types::runtime::ServiceLogLine;
use gmac_types::{JobStatus, ScaleRequest};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() * p).div_ceil(100)).clamp(1, sorted.len()) - 1]
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{what}: p50 {:.1} ms, p95 {:.1} ms over {}",
        percentile(&times, 50).as_secs_f64() * 1000.0,
        percentile(&times, 95).as_secs_f64() * 1000.0,
        times.len()
    );
}

#[tokio::main]
async fn main() {
    let backend = if gmac_tests::TestDatabase::on_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let pods = env_number("GMAC_BENCH_PODS", 10);
    let secrets = env_number("GMAC_BENCH_SECRETS", 50);
    let w = Box::pin(KubeWorld::start()).await;
    let api = &w.admin.client;
    for n in 0..secrets {
        api.set_secret(
            &w.staging.id,
            &format!("ENV_SECRET_{n}"),
            &format!("env-value-{n:04}-x"),
        )
        .await
        .unwrap();
        api.set_service_secret(
            &w.service,
            &format!("SHARED_SECRET_{n}"),
            &format!("shared-value-{n:04}-y"),
        )
        .await
        .unwrap();
    }
    let (status, _, log) = w.deploy("127.0.0.1:5000/docs:1").await;
    assert_eq!(status, JobStatus::Succeeded, "{log}");
    w.operation(api.scale_environment(
        &w.staging.id,
        &ScaleRequest {
            replicas: u32::try_from(pods).unwrap(),
            autoscale: None,
        },
    ))
    .await;
    println!(
        "{backend}: a release of {pods} pods, {secrets} secrets of its own and {secrets} shared"
    );

    let mut times = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        let now = api.environment_instances(&w.staging.id).await.unwrap();
        times.push(started.elapsed());
        assert_eq!(now.instances.len(), pods);
    }
    report("instances", times);

    let mut times = Vec::new();
    let mut lines = 0;
    for _ in 0..20 {
        let started = Instant::now();
        let text = api
            .environment_log_text(&w.staging.id, Some(200))
            .await
            .unwrap();
        times.push(started.elapsed());
        lines = text.lines().count();
        assert!(!text.contains("env-value-0001-x") && !text.contains("shared-value-0001-y"));
    }
    report(&format!("logs as text ({lines} lines)"), times);

    let mut times = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        let response = w
            .app
            .http()
            .get(w.app.url(&format!(
                "/api/v1/environments/{}/logs?tail=1",
                w.staging.id
            )))
            .bearer_auth(&w.admin.access_token)
            .header("Accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        let mut body = response.bytes_stream();
        let mut seen = String::new();
        let mut writers = BTreeSet::new();
        while writers.len() < pods {
            let chunk = tokio::time::timeout(Duration::from_secs(30), body.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            seen.push_str(&String::from_utf8_lossy(&chunk));
            for line in seen
                .split("\n\n")
                .filter_map(|f| f.strip_prefix("event: log\ndata: "))
                .filter_map(|d| serde_json::from_str::<ServiceLogLine>(d).ok())
            {
                writers.insert(line.instance);
            }
        }
        times.push(started.elapsed());
    }
    report("followed, until every pod's first line", times);
}
