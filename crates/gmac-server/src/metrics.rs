//! Prometheus metrics: request counts and latency per route and status, and pool gauges.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process-wide recorder; installed once, however many servers a process starts.
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &LATENCY_BUCKETS,
                )
                .ok()?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            metrics::describe_counter!(
                "http_requests_total",
                "HTTP requests by method, route and status."
            );
            metrics::describe_histogram!(
                "http_request_duration_seconds",
                metrics::Unit::Seconds,
                "HTTP request latency by method, route and status."
            );
            metrics::describe_gauge!(
                "gmac_db_pool_connections",
                "Database pool connections by state."
            );
            metrics::describe_gauge!(
                "gmac_db_pool_max_connections",
                "Database pool maximum size."
            );
            Some(handle)
        })
        .as_ref()
}

/// Installs the recorder (idempotent).
pub fn init() {
    let _ = handle();
}

/// Counts one request and its latency.
pub fn record_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
}

/// Renders every metric in the Prometheus text format, after refreshing the pool gauges.
pub fn render(core: &gmac_core::Core) -> String {
    if let Some(stats) = gmac_core::db::pool_stats(&core.db) {
        metrics::gauge!("gmac_db_pool_connections", "state" => "idle").set(f64::from(stats.idle));
        metrics::gauge!("gmac_db_pool_connections", "state" => "in_use")
            .set(f64::from(stats.size.saturating_sub(stats.idle)));
        metrics::gauge!("gmac_db_pool_max_connections").set(f64::from(stats.max));
    }
    handle().map(PrometheusHandle::render).unwrap_or_default()
}
