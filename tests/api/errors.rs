//! Every failure is RFC 9457 problem+json with a stable code, the request id as `instance`,
//! and the security headers.

use gmac_server::config::RateLimit;
use gmac_tests::{Options, request_id, spawn_app, spawn_app_with};
use reqwest::Response;
use sea_orm::ConnectionTrait;
use serde_json::Value;

/// Checks the problem shape and returns it.
async fn problem(response: Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let id = request_id(&response).expect("every response has an X-Request-Id");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["code"], code);
    assert_eq!(body["type"], format!("urn:gmac:problem:{code}"));
    assert!(body["title"].is_string());
    assert_eq!(body["instance"], id, "the instance is the request id");
    body
}

#[tokio::test]
async fn an_unknown_api_route_is_a_404_problem() {
    let app = spawn_app().await;
    let response = app
        .http()
        .get(app.url("/api/v1/no-such-thing"))
        .send()
        .await
        .unwrap();
    problem(response, 404, "not_found").await;
}

#[tokio::test]
async fn a_wrong_method_on_a_known_route_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    let response = app
        .http()
        .delete(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    problem(response, 405, "method_not_allowed").await;
    let response = app
        .http()
        .get(app.url("/api/v1/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "POST");
    problem(response, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = spawn_app().await;
    let response = app
        .http()
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    problem(response, 400, "malformed_json").await;
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_a_400_problem() {
    let app = spawn_app().await;
    let response = app
        .http()
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": 42}))
        .send()
        .await
        .unwrap();
    let body = problem(response, 400, "malformed_json").await;
    assert!(
        body["detail"].as_str().unwrap().contains("expected"),
        "{body}"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_problem() {
    let app = spawn_app_with(Options {
        configure: Some(Box::new(|c| c.body_limit_bytes = 1024)),
        ..Options::default()
    })
    .await;
    let big = serde_json::json!({"email": "a".repeat(4096), "password": "x"});
    let response = app
        .http()
        .post(app.url("/api/v1/auth/login"))
        .json(&big)
        .send()
        .await
        .unwrap();
    problem(response, 413, "payload_too_large").await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415_problem() {
    let app = spawn_app().await;
    let response = app
        .http()
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "text/plain")
        .body("email=a")
        .send()
        .await
        .unwrap();
    problem(response, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn invalid_fields_are_a_422_problem_pointing_at_each_field() {
    let app = spawn_app().await;
    let response = app
        .http()
        .post(app.url("/api/v1/setup"))
        .json(&serde_json::json!({"setup_token": "", "email": "not-an-email", "password": "short", "display_name": " "}))
        .send()
        .await
        .unwrap();
    let body = problem(response, 422, "validation_failed").await;
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        ["/setup_token", "/email", "/password", "/display_name"]
    );
    for error in body["errors"].as_array().unwrap() {
        assert!(
            error["code"].is_string() && error["detail"].is_string(),
            "{error}"
        );
    }
}

#[tokio::test]
async fn a_missing_bearer_token_is_a_401_problem_with_www_authenticate() {
    let app = spawn_app().await;
    let response = app.http().get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="gmac""#
    );
    problem(response, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_garbage_bearer_token_is_a_401_invalid_token_problem() {
    let app = spawn_app().await;
    let response = app
        .http()
        .get(app.url("/api/v1/me"))
        .bearer_auth("not.a.jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="gmac", error="invalid_token""#
    );
    problem(response, 401, "invalid_token").await;
}

#[tokio::test]
async fn too_many_requests_from_one_address_are_a_429_problem_with_retry_after() {
    let app = spawn_app_with(Options {
        configure: Some(Box::new(|c| {
            c.rate_limit = RateLimit {
                per_second: 1,
                burst: 3,
            }
        })),
        ..Options::default()
    })
    .await;
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..5 {
        let response = app
            .http()
            .get(app.url("/api/v1/setup"))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            limited = Some(response);
        }
    }
    assert_eq!(&statuses[..3], [200, 200, 200], "{statuses:?}");
    let response = limited.expect("the fourth request in a second is limited");
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    problem(response, 429, "rate_limited").await;
    // Operations endpoints are not limited: probes must always get through.
    assert_eq!(
        app.http()
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    for path in ["/healthz", "/api/v1/me", "/api/nothing", "/"] {
        let response = app.http().get(app.url(path)).send().await.unwrap();
        let h = response.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(
            request_id(&response).is_some_and(|id| uuid::Uuid::parse_str(&id).is_ok()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn request_ids_differ_between_requests() {
    let app = spawn_app().await;
    let a = request_id(&app.http().get(app.url("/healthz")).send().await.unwrap());
    let b = request_id(&app.http().get(app.url("/healthz")).send().await.unwrap());
    assert_ne!(a, b);
}

#[tokio::test]
async fn cors_allows_only_configured_origins_and_never_a_wildcard() {
    let app = spawn_app_with(Options {
        configure: Some(Box::new(|c| {
            c.cors_allowed_origins = vec!["https://console.example.com".into()];
        })),
        ..Options::default()
    })
    .await;
    let allowed = app
        .http()
        .get(app.url("/healthz"))
        .header("origin", "https://console.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://console.example.com"
    );
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    // An import or a report sent by a job, from the allowed origin: `Prefer` may be sent.
    let preflight = app
        .http()
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/cost-imports"))
        .header("origin", "https://console.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, prefer")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let allowed_headers = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed_headers.contains("prefer"), "{allowed_headers}");

    let preflight = app
        .http()
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/me"))
        .header("origin", "https://evil.example.net")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert!(preflight.status().is_client_error());
}

#[tokio::test]
async fn without_configured_origins_no_cors_headers_are_sent() {
    let app = spawn_app().await;
    let response = app
        .http()
        .get(app.url("/healthz"))
        .header("origin", "https://evil.example.net")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert!(
        response
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
}

#[tokio::test]
async fn an_unexpected_failure_is_a_500_problem_that_reveals_nothing_internal() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    // Break the database under the running server: sign-in can no longer create a session.
    app.core
        .db
        .execute_unprepared("DROP TABLE refresh_tokens")
        .await
        .unwrap();
    let response = app
        .http()
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": admin.email, "password": admin.password}))
        .send()
        .await
        .unwrap();
    let body = problem(response, 500, "internal").await;
    let text = body.to_string().to_lowercase();
    for leak in [
        "refresh_tokens",
        "sql",
        "table",
        "database",
        "error returned",
    ] {
        assert!(
            !text.contains(leak),
            "the 500 body mentions {leak:?}: {body}"
        );
    }
    // The server keeps serving.
    assert_eq!(app.client.health().await.unwrap().status, "ok");
}

#[tokio::test]
async fn a_json_array_where_an_object_belongs_is_a_400_problem_and_creates_nothing() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    // serde would read the array as the fields in order: a client named "Array Co".
    let response = app
        .http()
        .post(app.url("/api/v1/clients"))
        .bearer_auth(&admin.access_token)
        .json(&serde_json::json!(["Array Co", null]))
        .send()
        .await
        .unwrap();
    let body = problem(response, 400, "malformed_json").await;
    assert!(
        body["detail"].as_str().unwrap().contains("object"),
        "{body}"
    );
    let clients = admin
        .client
        .list_clients(&gmac_types::ListQuery::default())
        .await
        .unwrap();
    assert_eq!(clients.total, 0);
}

#[tokio::test]
async fn a_bad_query_parameter_is_a_400_problem_that_names_it() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    for (query, says) in [
        (
            "from=yesterday&to=2026-01-31",
            "The query parameter `from` is not a date (YYYY-MM-DD).",
        ),
        (
            "from=2026-01-01&to=2026-01-31&metric=cheapest",
            "The query parameter `metric` is not valid: unknown variant `cheapest`",
        ),
    ] {
        let response = app
            .http()
            .get(app.url(&format!("/api/v1/costs?{query}")))
            .bearer_auth(&admin.access_token)
            .send()
            .await
            .unwrap();
        let body = problem(response, 400, "bad_request").await;
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.starts_with(says), "{query}: {detail}");
    }
}
