//! The OpenAPI document: committed, served, and current.

use gmac_tests::spawn_app;

fn committed() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    std::fs::read_to_string(path).expect("openapi/openapi.json is committed")
}

#[test]
fn the_committed_openapi_document_is_what_the_code_generates() {
    let generated =
        gmac_server::openapi::to_pretty_json(&gmac_server::openapi::document()).unwrap();
    assert!(
        generated == committed(),
        "openapi/openapi.json is stale: run `cargo xtask openapi` and commit the result"
    );
}

#[test]
fn the_document_is_openapi_3_1_and_every_operation_is_named_and_documented() {
    let doc: serde_json::Value = serde_json::from_str(&committed()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(
                id.contains('_'),
                "{method} {path}: operation id {id:?} is not <verb>_<resource>"
            );
            assert!(op["summary"].is_string(), "{method} {path} has no summary");
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn the_served_document_is_identical_to_the_committed_file() {
    let app = spawn_app().await;
    let response = app
        .http()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served = response.text().await.unwrap();
    assert!(
        served == committed(),
        "/api/openapi.json differs from openapi/openapi.json"
    );
}

#[tokio::test]
async fn interactive_docs_are_served_without_any_cdn() {
    let app = spawn_app().await;
    let response = app.http().get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "the docs page loads something from the internet: {html}"
    );
    let init = app
        .http()
        .get(app.url("/api/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(init.status(), 200);
    assert!(init.text().await.unwrap().contains("/api/openapi.json"));
    let bundle = app
        .http()
        .get(app.url("/api/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200);
}
