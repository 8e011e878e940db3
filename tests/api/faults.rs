//! Right answers under faults, on SQLite and PostgreSQL alike: NUL characters are refused as
//! bad input, an unreachable database is a 503 to retry, racing creates of one name give one
//! object and 409s, and racing deletes of one object give one 204, 404s and one audit row.

use gmac_tests::spawn_app;
use gmac_types::{AuditQuery, NewClient};

#[tokio::test]
async fn nul_characters_are_bad_input_everywhere_never_a_server_error() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let bearer = admin.access_token.clone();
    let requests = [
        // An anonymous sign-in.
        (
            reqwest::Method::POST,
            "/api/v1/auth/login".to_owned(),
            Some(serde_json::json!({"email": "ada\u{0}@example.com", "password": "x"})),
            false,
        ),
        (
            reqwest::Method::POST,
            "/api/v1/clients".to_owned(),
            Some(serde_json::json!({"name": "Acme", "description": "a\u{0}b"})),
            true,
        ),
        (
            reqwest::Method::POST,
            "/api/v1/invitations".to_owned(),
            Some(serde_json::json!({"email": "x\u{0}@example.com", "role": "viewer"})),
            true,
        ),
        (
            reqwest::Method::GET,
            "/api/v1/audit?actor=a%00b".to_owned(),
            None,
            true,
        ),
        (
            reqwest::Method::GET,
            "/api/v1/costs?from=2024-01-01&to=2024-01-31&service=EC%002".to_owned(),
            None,
            true,
        ),
    ];
    for (method, path, body, signed_in) in requests {
        let mut request = app.http().request(method.clone(), app.url(&path));
        if signed_in {
            request = request.bearer_auth(&bearer);
        }
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 422, "{method} {path}");
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            problem["errors"][0]["code"], "invalid_characters",
            "{problem}"
        );
    }
    // A path id with a NUL names nothing.
    let response = app
        .http()
        .get(app.url("/api/v1/clients/01a2%00"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    // Nothing was created on the way.
    let clients = admin
        .client
        .list_clients(&gmac_types::ListQuery::default())
        .await
        .unwrap();
    assert_eq!(clients.total, 0);
}

#[tokio::test]
async fn an_unreachable_database_is_a_503_to_retry_not_a_500() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    // The server's pool is this one: closing it is the database going away under gmac.
    app.core.db.clone().close().await.unwrap();
    let response = app
        .http()
        .get(app.url("/api/v1/clients"))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "service_unavailable");
    let ready = app.http().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
}

#[tokio::test]
async fn racing_creates_of_one_name_make_one_client_and_409s() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let attempts = (0..8).map(|_| {
        let client = admin.client.clone();
        tokio::spawn(async move {
            client
                .create_client(&NewClient {
                    name: "Same name".into(),
                    description: None,
                })
                .await
                .map_err(|e| e.status())
        })
    });
    let mut created = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => created += 1,
            Err(status) => assert_eq!(status, Some(409)),
        }
    }
    assert_eq!(created, 1);
}

#[tokio::test]
async fn racing_deletes_of_one_object_give_one_204_then_404s_and_one_audit_row() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let id = app.fixture(&admin).client("Doomed").await;
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let client = admin.client.clone();
            let id = id.clone();
            tokio::spawn(async move {
                client
                    .delete_client(&id, None)
                    .await
                    .map_err(|e| e.status())
            })
        })
        .collect();
    let mut deleted = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(()) => deleted += 1,
            Err(status) => assert_eq!(status, Some(404)),
        }
    }
    assert_eq!(deleted, 1);
    let audited = admin
        .client
        .list_audit_events(&AuditQuery {
            action: Some("client.delete".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(audited.items.len(), 1);
}
