//! Sign-in, refresh-token rotation and reuse detection, sign-out, and `/me`.

use gmac_core::entities::{session, user};
use gmac_tests::{Options, Session, TestApp, spawn_app, spawn_app_with};
use gmac_types::{ErrorCode, LoginRequest};
use reqwest::header::{COOKIE, SET_COOKIE};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::Value;

fn refresh_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("gmac_refresh="))
        .expect("a gmac_refresh cookie is set")
        .to_owned()
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("gmac_refresh=")
        .to_owned()
}

async fn login_raw(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.http()
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn refresh_raw(app: &TestApp, cookie: &str) -> reqwest::Response {
    app.http()
        .post(app.url("/api/v1/auth/refresh"))
        .header(COOKIE, format!("gmac_refresh={cookie}"))
        .send()
        .await
        .unwrap()
}

async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.http()
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn signing_in_returns_a_bearer_token_and_an_httponly_strict_refresh_cookie() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let response = login_raw(&app, &admin.email, &admin.password).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let cookie = refresh_cookie(&response);
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/api/v1/auth"), "{cookie}");
    // Plain HTTP on loopback: a Secure cookie would never be sent back.
    assert!(!cookie.contains("Secure"), "{cookie}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["access_token"].as_str().unwrap().split('.').count(), 3);
}

#[tokio::test]
async fn the_refresh_cookie_is_secure_when_the_request_is_not_local_plain_http() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let response = app
        .http()
        .post(app.url("/api/v1/auth/login"))
        .header("host", "gmac.example.com")
        .json(&serde_json::json!({"email": admin.email, "password": admin.password}))
        .send()
        .await
        .unwrap();
    assert!(refresh_cookie(&response).contains("Secure"));
}

#[tokio::test]
async fn me_shows_the_signed_in_user() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let me = admin.client.me().await.unwrap();
    assert_eq!(me.email, "ada@example.com");
    assert_eq!(me.display_name, "Ada Lovelace");
    assert_eq!(me.authenticated_via, gmac_types::AuthMethod::Session);
}

#[tokio::test]
async fn email_case_and_spaces_do_not_matter_at_sign_in() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let response = login_raw(&app, "  ADA@Example.com ", &admin.password).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_unknown_user_a_wrong_password_and_a_disabled_account_get_the_same_answer() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let bob = gmac_core::services::users::create_user_from_cli(
        &app.core,
        "bob@example.com",
        None,
        "viewer",
        "bob's long password",
    )
    .await
    .unwrap();
    let mut disabled: user::ActiveModel = bob.into();
    disabled.status = Set(user::STATUS_DISABLED.to_owned());
    disabled.update(&app.core.db).await.unwrap();

    let mut bodies = Vec::new();
    for (email, password) in [
        ("nobody@example.com", "whatever password"),
        (admin.email.as_str(), "wrong password here"),
        ("bob@example.com", "bob's long password"),
    ] {
        let response = login_raw(&app, email, password).await;
        assert_eq!(response.status(), 401, "{email}");
        assert!(response.headers().get(SET_COOKIE).is_none());
        let mut body: Value = response.json().await.unwrap();
        body.as_object_mut().unwrap().remove("instance");
        bodies.push(body);
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[1], bodies[2]);
    assert_eq!(bodies[0]["code"], "invalid_credentials");
}

#[tokio::test]
async fn an_unknown_account_is_checked_with_the_same_argon2_work_as_a_real_one() {
    // Equal work is what makes the two failures take similar time; the timing itself is
    // measured by `cargo xtask bench`, not asserted here.
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let stored = user::Entity::find()
        .filter(user::Column::Email.eq(&admin.email))
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap()
        .password_hash
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    assert!(
        !app.core
            .passwords
            .verify(&admin.password, None)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn empty_credentials_are_a_validation_error() {
    let app = spawn_app().await;
    let err = app
        .client
        .login(&LoginRequest {
            email: String::new(),
            password: "".into(),
        })
        .await
        .unwrap_err();
    let problem = err.problem().unwrap();
    assert_eq!(problem.code, ErrorCode::ValidationFailed);
    assert_eq!(problem.errors.len(), 2);
}

#[tokio::test]
async fn refreshing_rotates_the_refresh_token_and_issues_a_working_access_token() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let first = cookie_value(&refresh_cookie(
        &login_raw(&app, &admin.email, &admin.password).await,
    ));
    let response = refresh_raw(&app, &first).await;
    assert_eq!(response.status(), 200);
    let second = cookie_value(&refresh_cookie(&response));
    assert_ne!(first, second);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        me_status(&app, body["access_token"].as_str().unwrap()).await,
        200
    );
    // The new one works in turn.
    assert_eq!(refresh_raw(&app, &second).await.status(), 200);
}

#[tokio::test]
async fn reusing_a_refresh_token_revokes_its_whole_family() {
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let login = login_raw(&app, &admin.email, &admin.password).await;
    let stolen = cookie_value(&refresh_cookie(&login));
    let login_access: Value = login.json().await.unwrap();
    let login_access = login_access["access_token"].as_str().unwrap().to_owned();

    let rotated = refresh_raw(&app, &stolen).await;
    let current = cookie_value(&refresh_cookie(&rotated));
    let current_access: Value = rotated.json().await.unwrap();
    let current_access = current_access["access_token"].as_str().unwrap().to_owned();

    // The old token comes back later than any racing tab could: only a copy could do that.
    app.clock
        .as_ref()
        .unwrap()
        .advance(chrono::Duration::seconds(11));
    let reuse = refresh_raw(&app, &stolen).await;
    assert_eq!(reuse.status(), 401);
    assert!(
        refresh_cookie(&reuse).contains("Max-Age=0"),
        "the dead cookie is cleared"
    );
    let body: Value = reuse.json().await.unwrap();
    assert_eq!(body["code"], "invalid_token");

    // Everything of that session is dead: the legitimate holder's refresh token and both
    // access tokens.
    assert_eq!(refresh_raw(&app, &current).await.status(), 401);
    assert_eq!(me_status(&app, &current_access).await, 401);
    assert_eq!(me_status(&app, &login_access).await, 401);
    // Other sessions of the same user are untouched.
    assert_eq!(me_status(&app, &admin.access_token).await, 200);

    let revoked = session::Entity::find()
        .filter(session::Column::RevokedReason.eq("refresh_token_reuse"))
        .all(&app.core.db)
        .await
        .unwrap();
    assert_eq!(revoked.len(), 1);
}

#[tokio::test]
async fn two_tabs_refreshing_at_once_both_stay_signed_in() {
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let login = login_raw(&app, &admin.email, &admin.password).await;
    let shared = cookie_value(&refresh_cookie(&login));

    // Both tabs send the cookie they share; the first wins and rotates it.
    let first = refresh_raw(&app, &shared).await;
    assert_eq!(first.status(), 200);
    let current = cookie_value(&refresh_cookie(&first));
    app.clock
        .as_ref()
        .unwrap()
        .advance(chrono::Duration::seconds(2));
    let second = refresh_raw(&app, &shared).await;
    assert_eq!(second.status(), 200, "a sibling tab is not a thief");
    assert!(
        second.headers().get(SET_COOKIE).is_none(),
        "the browser keeps the winner's cookie"
    );
    let body: Value = second.json().await.unwrap();
    assert_eq!(
        me_status(&app, body["access_token"].as_str().unwrap()).await,
        200
    );
    // The session lives on: the rotated token works, and once it has been used the old one
    // is a replay again.
    let next = refresh_raw(&app, &current).await;
    assert_eq!(next.status(), 200);
    assert_eq!(refresh_raw(&app, &shared).await.status(), 401);
    assert_eq!(
        refresh_raw(&app, &cookie_value(&refresh_cookie(&next)))
            .await
            .status(),
        401,
        "the replay revoked the session"
    );
}

#[tokio::test]
async fn refresh_without_a_cookie_or_with_an_unknown_one_is_refused() {
    let app = spawn_app().await;
    let response = app
        .http()
        .post(app.url("/api/v1/auth/refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(refresh_raw(&app, "made-up").await.status(), 401);
}

#[tokio::test]
async fn a_cross_site_refresh_is_refused() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let cookie = cookie_value(&refresh_cookie(
        &login_raw(&app, &admin.email, &admin.password).await,
    ));
    let response = app
        .http()
        .post(app.url("/api/v1/auth/refresh"))
        .header(COOKIE, format!("gmac_refresh={cookie}"))
        .header("origin", "https://evil.example.net")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // A same-origin request with the same cookie still works: nothing was consumed.
    let same_origin = app
        .http()
        .post(app.url("/api/v1/auth/refresh"))
        .header(COOKIE, format!("gmac_refresh={cookie}"))
        .header("origin", app.address.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), 200);
}

#[tokio::test]
async fn signing_out_revokes_the_session_and_clears_the_cookie() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let login = login_raw(&app, &admin.email, &admin.password).await;
    let cookie = cookie_value(&refresh_cookie(&login));
    let access: Value = login.json().await.unwrap();
    let access = access["access_token"].as_str().unwrap().to_owned();

    let response = app
        .http()
        .post(app.url("/api/v1/auth/logout"))
        .header(COOKIE, format!("gmac_refresh={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(refresh_cookie(&response).contains("Max-Age=0"));
    assert_eq!(me_status(&app, &access).await, 401);
    assert_eq!(refresh_raw(&app, &cookie).await.status(), 401);
    // Signing out twice is harmless.
    let again = app
        .http()
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 204);
}

#[tokio::test]
async fn the_client_keeps_the_session_through_its_cookie_jar() {
    let app = spawn_app().await;
    let admin: Session = app.super_admin().await;
    let refreshed = admin.client.anonymous().refresh().await.unwrap();
    let again = admin
        .client
        .with_token(refreshed.access_token.expose())
        .me()
        .await
        .unwrap();
    assert_eq!(again.email, admin.email);
    admin.client.logout().await.unwrap();
    assert_eq!(
        admin
            .client
            .anonymous()
            .refresh()
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
}

#[tokio::test]
async fn an_expired_access_token_is_refused_while_the_refresh_token_still_works() {
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    app.advance(chrono::Duration::minutes(16));
    assert_eq!(me_status(&app, &admin.access_token).await, 401);
    let renewed = admin.client.anonymous().refresh().await.unwrap();
    assert_eq!(me_status(&app, renewed.access_token.expose()).await, 200);
}

#[tokio::test]
async fn an_idle_refresh_token_expires() {
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    app.advance(chrono::Duration::days(15));
    assert_eq!(
        admin
            .client
            .anonymous()
            .refresh()
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_at_once() {
    let app = spawn_app().await;
    app.super_admin().await;
    gmac_core::services::users::create_user_from_cli(
        &app.core,
        "bob@example.com",
        None,
        "viewer",
        "bob's long password",
    )
    .await
    .unwrap();
    let bob = app.sign_in("bob@example.com", "bob's long password").await;
    assert_eq!(me_status(&app, &bob.access_token).await, 200);
    let row = user::Entity::find()
        .filter(user::Column::Email.eq("bob@example.com"))
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: user::ActiveModel = row.into();
    row.status = Set(user::STATUS_DISABLED.to_owned());
    row.update(&app.core.db).await.unwrap();
    assert_eq!(me_status(&app, &bob.access_token).await, 401);
    assert_eq!(
        bob.client.anonymous().refresh().await.unwrap_err().status(),
        Some(401)
    );
}

fn hint_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("gmac_signed_in="))
        .map(str::to_owned)
}

/// The web interface asks for a refresh only while the readable note says a refresh cookie
/// is there: the note comes and goes with the cookie, on the whole site, and says nothing else.
#[tokio::test]
async fn a_readable_note_of_the_refresh_cookie_comes_and_goes_with_it() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let response = login_raw(&app, &admin.email, &admin.password).await;
    let refresh = refresh_cookie(&response);
    let hint = hint_cookie(&response).expect("sign-in sets the note");
    assert!(hint.starts_with("gmac_signed_in=1;"), "{hint}");
    assert!(
        hint.contains("Path=/;") || hint.ends_with("Path=/"),
        "{hint}"
    );
    assert!(!hint.contains("HttpOnly"), "the page reads it: {hint}");
    assert!(hint.contains("SameSite=Strict"), "{hint}");
    let max_age = |c: &str| {
        c.split(';')
            .find_map(|p| p.trim().strip_prefix("Max-Age="))
            .map(str::to_owned)
    };
    assert_eq!(max_age(&hint), max_age(&refresh), "the same lifetime");

    // A refresh renews both; a refused one, and one without a cookie, clear the note.
    let renewed = refresh_raw(&app, &cookie_value(&refresh)).await;
    assert_eq!(renewed.status(), 200);
    assert!(hint_cookie(&renewed).is_some_and(|c| c.starts_with("gmac_signed_in=1;")));
    let refused = refresh_raw(&app, "not-a-refresh-token").await;
    assert_eq!(refused.status(), 401);
    let cleared = hint_cookie(&refused).expect("a refused refresh clears the note");
    assert!(cleared.starts_with("gmac_signed_in=;"), "{cleared}");
    let bare = app
        .http()
        .post(app.url("/api/v1/auth/refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 401);
    assert!(hint_cookie(&bare).is_some_and(|c| c.starts_with("gmac_signed_in=;")));

    // Signing out clears it too.
    let again = login_raw(&app, &admin.email, &admin.password).await;
    let out = app
        .http()
        .post(app.url("/api/v1/auth/logout"))
        .header(
            COOKIE,
            format!("gmac_refresh={}", cookie_value(&refresh_cookie(&again))),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert!(hint_cookie(&out).is_some_and(|c| c.starts_with("gmac_signed_in=;")));
}
