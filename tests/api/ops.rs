//! `/healthz`, `/readyz`, `/metrics`.

use gmac_tests::{Options, TestDatabase, spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let health = app.client.health().await.unwrap();
    assert_eq!(health.status, "ok");
    assert_eq!(health.version, env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn readyz_answers_ok_when_the_database_answers() {
    let app = spawn_app().await;
    let ready = app.client.readiness().await.unwrap();
    assert_eq!(
        (ready.status.as_str(), ready.database.as_str()),
        ("ready", "up")
    );
}

#[tokio::test]
async fn metrics_count_requests_per_route_and_status_and_show_the_pool() {
    let app = spawn_app().await;
    app.client.health().await.unwrap();
    let _ = app.client.me().await;
    let response = app.http().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/api/v1/me",status="401"}"#),
        "{text}"
    );
    assert!(text.contains(r#"http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200",le="0.005"}"#), "{text}");
    assert!(
        text.contains("gmac_db_pool_connections{state=\"idle\"}"),
        "{text}"
    );
    assert!(text.contains("gmac_db_pool_max_connections"), "{text}");
}

#[tokio::test]
async fn readyz_is_503_while_postgres_is_unreachable_and_200_once_it_is_back() {
    if !TestDatabase::on_postgres() {
        eprintln!("skipped: this test cuts a real PostgreSQL connection; set TEST_DATABASE_URL");
        return;
    }
    let db = TestDatabase::create().await;
    let direct = db.url();
    let target = postgres_address(&direct);
    let proxy = gmac_tests::pg_proxy::PgProxy::start(target).await.unwrap();
    let through_proxy = direct.replacen(
        &format!(":{}/", target.port()),
        &format!(":{}/", proxy.port()),
        1,
    );
    let app = spawn_app_with(Options {
        database_url: Some(through_proxy),
        ..Options::default()
    })
    .await;
    assert_eq!(app.client.readiness().await.unwrap().database, "up");

    proxy.stop().await;
    let response = app.http().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "service_unavailable");
    // The process itself is fine.
    assert_eq!(app.client.health().await.unwrap().status, "ok");

    proxy.resume().await.unwrap();
    let mut ready = false;
    for _ in 0..50 {
        if app.client.readiness().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "readyz did not recover after the database came back");
    drop(app);
    drop(db);
}

fn postgres_address(url: &str) -> std::net::SocketAddr {
    let after_at = url.rsplit_once('@').map_or(url, |(_, rest)| rest);
    let host_port = after_at.split('/').next().unwrap();
    let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, "5432"));
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    format!("{host}:{port}").parse().unwrap()
}

#[tokio::test]
async fn head_answers_as_get_does_without_a_body() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let get = app
        .http()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    let head = app
        .http()
        .head(app.url("/api/v1/me"))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers().get("content-type"),
        get.headers().get("content-type")
    );
    assert!(head.bytes().await.unwrap().is_empty());
    // Without credentials HEAD is refused as GET is; a write route still refuses it.
    let anonymous = app.http().head(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let health = app.http().head(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let login = app
        .http()
        .head(app.url("/api/v1/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 405);
}

#[tokio::test]
async fn with_a_metrics_token_only_its_bearer_reads_the_metrics() {
    let app = spawn_app_with(Options {
        configure: Some(Box::new(|c| {
            c.metrics_token = Some("scrape-me-please".to_owned().into());
        })),
        ..Options::default()
    })
    .await;
    let url = app.url("/metrics");
    let anonymous = app.http().get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = app
        .http()
        .get(&url)
        .bearer_auth("scrape-me-pleasf")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = app
        .http()
        .get(&url)
        .bearer_auth("scrape-me-please")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(right.text().await.unwrap().contains("gmac_"));
}
