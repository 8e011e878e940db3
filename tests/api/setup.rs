//! First-run setup: no default account; a one-time token creates the first Super Admin.

use gmac_core::entities::user;
use gmac_tests::{Options, spawn_app, spawn_app_with};
use gmac_types::SetupRequest;
use sea_orm::{EntityTrait, PaginatorTrait};

fn request(token: &str, email: &str) -> SetupRequest {
    SetupRequest {
        setup_token: token.into(),
        email: email.to_owned(),
        password: "correct horse battery staple".into(),
        display_name: "Ada Lovelace".to_owned(),
    }
}

async fn user_count(app: &gmac_tests::TestApp) -> u64 {
    user::Entity::find().count(&app.core.db).await.unwrap()
}

#[tokio::test]
async fn a_new_install_has_no_account_and_asks_for_setup() {
    let app = spawn_app().await;
    assert!(app.client.setup_status().await.unwrap().setup_required);
    assert_eq!(user_count(&app).await, 0);
}

#[tokio::test]
async fn the_setup_token_creates_the_first_super_admin_once() {
    let app = spawn_app().await;
    let token = app.setup_token().await;
    let response = app
        .http()
        .post(app.url("/api/v1/setup"))
        .json(&request(&token, "Ada@Example.COM"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: gmac_types::User = response.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/users/{}", created.id));
    assert_eq!(created.email, "ada@example.com");

    let me = app
        .sign_in("ada@example.com", "correct horse battery staple")
        .await
        .client
        .me()
        .await
        .unwrap();
    assert_eq!(me.roles.len(), 1);
    assert_eq!(me.roles[0].role, "super_admin");
    assert_eq!(me.roles[0].scope, gmac_types::Scope::Global);
    assert!(!app.client.setup_status().await.unwrap().setup_required);

    // The route is closed for good, even with the same token.
    let again = app
        .client
        .complete_setup(&request(&token, "mallory@example.com"))
        .await
        .unwrap_err();
    assert_eq!(again.status(), Some(409));
    assert_eq!(
        again.problem().map(|p| p.code),
        Some(gmac_types::ErrorCode::SetupAlreadyDone)
    );
    assert_eq!(user_count(&app).await, 1);
}

#[tokio::test]
async fn a_wrong_setup_token_creates_nothing() {
    let app = spawn_app().await;
    app.setup_token().await;
    let err = app
        .client
        .complete_setup(&request("guessed-token", "mallory@example.com"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(
        err.problem().map(|p| p.code),
        Some(gmac_types::ErrorCode::InvalidToken)
    );
    assert_eq!(user_count(&app).await, 0);
    assert!(app.client.setup_status().await.unwrap().setup_required);
}

#[tokio::test]
async fn an_expired_setup_token_is_refused() {
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    let token = app.setup_token().await;
    app.advance(chrono::Duration::hours(25));
    let err = app
        .client
        .complete_setup(&request(&token, "ada@example.com"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(user_count(&app).await, 0);
}

#[tokio::test]
async fn invalid_setup_input_is_refused_field_by_field_and_creates_nothing() {
    let app = spawn_app().await;
    let token = app.setup_token().await;
    let mut bad = request(&token, "not-an-email");
    bad.password = "short".into();
    let err = app.client.complete_setup(&bad).await.unwrap_err();
    let problem = err.problem().unwrap();
    assert_eq!(problem.status, 422);
    assert_eq!(problem.field_errors("email").count(), 1);
    assert_eq!(problem.field_errors("password").count(), 1);
    assert_eq!(user_count(&app).await, 0);
    // The token still works after a refused attempt.
    app.client
        .complete_setup(&request(&token, "ada@example.com"))
        .await
        .unwrap();
}

#[tokio::test]
async fn setup_from_the_shell_and_from_the_api_share_the_one_time_rule() {
    let app = spawn_app().await;
    let token = app.setup_token().await;
    gmac_core::services::users::create_user_from_cli(
        &app.core,
        "root@example.com",
        None,
        "super_admin",
        "correct horse battery staple",
    )
    .await
    .unwrap();
    let err = app
        .client
        .complete_setup(&request(&token, "ada@example.com"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert!(
        gmac_core::services::setup::issue_setup_token(&app.core)
            .await
            .unwrap()
            .is_none()
    );
}
