//! The catalog of service templates, `GET /api/v1/templates`.

use gmac_tests::spawn_app;
use gmac_types::TemplateCategory;

#[tokio::test]
async fn a_signed_in_person_sees_the_five_built_in_templates_with_the_schema_of_their_form() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let templates = admin.client.list_templates().await.unwrap();
    let ids: Vec<&str> = templates.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        ["go-api", "nextjs-app", "postgres", "static-site", "worker"]
    );
    let site = templates.iter().find(|t| t.id == "static-site").unwrap();
    assert_eq!(site.category, TemplateCategory::Web);
    assert_eq!(site.source, "builtin");
    assert!(site.files.contains(&site.dockerfile));
    // The form is drawn from this schema, and the server validates the same one.
    assert_eq!(site.parameters["type"], "object");
    assert!(
        site.parameters["required"]
            .as_array()
            .unwrap()
            .contains(&"title".into())
    );
    assert_eq!(site.parameters["properties"]["title"]["type"], "string");
    assert_eq!(
        site.build_args.get("BASE_IMAGE").map(String::as_str),
        Some("docker.io/library/busybox:1.36")
    );
    let db = templates.iter().find(|t| t.id == "postgres").unwrap();
    assert_eq!(db.category, TemplateCategory::Database);
    assert_eq!(db.health.path, None, "a database is checked over TCP");
}

#[tokio::test]
async fn the_catalog_needs_a_sign_in() {
    let app = spawn_app().await;
    let response = app
        .http()
        .get(app.url("/api/v1/templates"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
}
