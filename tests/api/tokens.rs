//! API tokens: shown once, hashed, scoped, expiring, revocable, rotatable; accepted as Bearer.

use gmac_core::entities::api_token;
use gmac_tests::{Options, TestApp, spawn_app, spawn_app_with};
use gmac_types::PageQuery;
use gmac_types::{
    AuthMethod, ListQuery, NewApiToken, NewClient, Permission, Scope, UserPatch, UserStatus,
};
use sea_orm::{EntityTrait, PaginatorTrait};

fn token_request(scopes: &[Permission], scope: Option<Scope>) -> NewApiToken {
    NewApiToken {
        name: "ci".into(),
        scopes: scopes.to_vec(),
        expires_in_days: 30,
        scope,
    }
}

fn as_token(app: &TestApp, token: &str) -> gmac_client::Client {
    app.new_client().with_token(token)
}

#[tokio::test]
async fn a_token_is_shown_once_stored_hashed_and_works_as_bearer() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let created = admin
        .client
        .create_token(&token_request(&[Permission::ResourcesView], None))
        .await
        .unwrap();
    let secret = created.token.expose().to_owned();
    assert!(secret.starts_with("gmac_") && secret.len() > 40, "{secret}");
    assert!(secret.starts_with(&created.info.prefix));

    let me = as_token(&app, &secret).me().await.unwrap();
    assert_eq!(me.authenticated_via, AuthMethod::ApiToken);
    assert_eq!(me.permissions, [Permission::ResourcesView]);

    let listed = admin
        .client
        .list_tokens(&PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(listed.len(), 1);
    let raw = serde_json::to_string(&listed).unwrap();
    assert!(
        !raw.contains(&secret[5..]),
        "a listed token never shows its secret"
    );
    let row = api_token::Entity::find()
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(row.token_hash, secret);
    assert!(
        !format!("{row:?}").contains(&secret[5..]),
        "only the hash is stored"
    );
    assert_eq!(listed[0].last_used_ip.as_deref(), Some("127.0.0.1"));
    assert!(listed[0].last_used_at.is_some());
}

#[tokio::test]
async fn a_token_carries_only_its_scopes_and_only_inside_its_scope() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let acme = app.fixture(&admin).client("Acme").await;
    let globex = app.fixture(&admin).client("Globex").await;
    let created = admin
        .client
        .create_token(&token_request(
            &[Permission::ResourcesView],
            Some(Scope::Client { id: acme.clone() }),
        ))
        .await
        .unwrap();
    let token = as_token(&app, created.token.expose());
    // The user is a Super Admin; the token is not.
    let attempt = token
        .create_client(&NewClient {
            name: "Initech".into(),
            description: None,
        })
        .await;
    assert_eq!(attempt.unwrap_err().status(), Some(403));
    assert_eq!(
        token
            .list_clients(&ListQuery::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(
        token.get_client(&globex).await.unwrap_err().status(),
        Some(404)
    );
    assert_eq!(token.get_client(&acme).await.unwrap().name, "Acme");
}

#[tokio::test]
async fn nobody_creates_a_token_with_permissions_they_do_not_hold() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let viewer = app
        .fixture(&admin)
        .member("v@example.com", "viewer", Scope::Global)
        .await;
    let err = viewer
        .client
        .create_token(&token_request(&[Permission::ClientsManage], None))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    viewer
        .client
        .create_token(&token_request(&[Permission::CostsView], None))
        .await
        .unwrap();
}

#[tokio::test]
async fn expiry_is_mandatory_bounded_and_enforced() {
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    for days in [0, 366] {
        let mut request = token_request(&[Permission::CostsView], None);
        request.expires_in_days = days;
        let err = admin.client.create_token(&request).await.unwrap_err();
        assert_eq!(
            err.problem()
                .unwrap()
                .field_errors("expires_in_days")
                .count(),
            1,
            "{days} days"
        );
    }
    let mut request = token_request(&[Permission::CostsView], None);
    request.expires_in_days = 1;
    let created = admin.client.create_token(&request).await.unwrap();
    let token = as_token(&app, created.token.expose());
    token.me().await.unwrap();
    app.advance(chrono::Duration::hours(25));
    assert_eq!(token.me().await.unwrap_err().status(), Some(401));
}

#[tokio::test]
async fn a_revoked_token_stops_at_once_and_rotation_replaces_the_secret() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let first = admin
        .client
        .create_token(&token_request(&[Permission::CostsView], None))
        .await
        .unwrap();
    let rotated = admin.client.rotate_token(&first.info.id).await.unwrap();
    assert_ne!(rotated.token.expose(), first.token.expose());
    assert_eq!(rotated.info.name, first.info.name);
    assert_eq!(rotated.info.scopes, first.info.scopes);
    assert_eq!(
        as_token(&app, first.token.expose())
            .me()
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    as_token(&app, rotated.token.expose()).me().await.unwrap();

    admin.client.revoke_token(&rotated.info.id).await.unwrap();
    assert_eq!(
        as_token(&app, rotated.token.expose())
            .me()
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    assert_eq!(
        admin
            .client
            .rotate_token(&rotated.info.id)
            .await
            .unwrap_err()
            .status(),
        Some(409)
    );
    // Someone else's token is not found.
    let other = app
        .fixture(&admin)
        .member("o@example.com", "viewer", Scope::Global)
        .await;
    assert_eq!(
        other
            .client
            .revoke_token(&first.info.id)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
}

#[tokio::test]
async fn a_token_cannot_mint_more_tokens() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let created = admin
        .client
        .create_token(&token_request(&[Permission::UsersManage], None))
        .await
        .unwrap();
    let err = as_token(&app, created.token.expose())
        .create_token(&token_request(&[Permission::UsersManage], None))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
}

#[tokio::test]
async fn disabling_a_user_revokes_their_tokens() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let dev = app
        .fixture(&admin)
        .member("d@example.com", "developer", Scope::Global)
        .await;
    let created = dev
        .client
        .create_token(&token_request(&[Permission::ResourcesView], None))
        .await
        .unwrap();
    let id = dev.client.me().await.unwrap().id;
    admin
        .client
        .update_user(
            &id,
            &UserPatch {
                status: Some(UserStatus::Disabled),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        as_token(&app, created.token.expose())
            .me()
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    assert_eq!(
        api_token::Entity::find().count(&app.core.db).await.unwrap(),
        1
    );
}

#[tokio::test]
async fn token_events_are_audited_without_the_secret() {
    use gmac_core::entities::audit_log;
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let created = admin
        .client
        .create_token(&token_request(&[Permission::CostsView], None))
        .await
        .unwrap();
    admin.client.rotate_token(&created.info.id).await.unwrap();
    let rows = audit_log::Entity::find().all(&app.core.db).await.unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert!(
        actions.contains(&"token.create") && actions.contains(&"token.rotate"),
        "{actions:?}"
    );
    for row in &rows {
        assert!(
            !row.details.contains(&created.token.expose()[5..]),
            "{}",
            row.details
        );
    }
}

fn forbidden<T: std::fmt::Debug>(result: gmac_client::Result<T>) -> Option<u16> {
    result.unwrap_err().status()
}

#[tokio::test]
async fn a_token_cannot_act_on_its_owners_account() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    // A second browser session of the owner, which a token must not be able to end.
    let other = app.sign_in(&admin.email, &admin.password).await;
    let created = admin
        .client
        .create_token(&token_request(&[Permission::CostsView], None))
        .await
        .unwrap();
    let token = as_token(&app, created.token.expose());
    let sessions = admin
        .client
        .list_sessions(&PageQuery::default())
        .await
        .unwrap()
        .items;
    assert!(sessions.len() >= 2);

    assert_eq!(
        forbidden(token.list_sessions(&PageQuery::default()).await),
        Some(403)
    );
    assert_eq!(forbidden(token.end_other_sessions().await), Some(403));
    assert_eq!(
        forbidden(token.end_session(&sessions[0].id).await),
        Some(403)
    );
    let patch = gmac_types::ProfilePatch {
        display_name: Some("Renamed by a script".into()),
        ..Default::default()
    };
    assert_eq!(forbidden(token.update_profile(&patch).await), Some(403));
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.resize(64, 7);
    assert_eq!(
        forbidden(token.upload_avatar(png, "image/png").await),
        Some(403)
    );
    assert_eq!(forbidden(token.delete_avatar().await), Some(403));

    // Nothing changed: both sessions still work and the name is the old one.
    other.client.me().await.unwrap();
    let profile = admin.client.get_profile().await.unwrap();
    assert_ne!(profile.display_name, "Renamed by a script");
    // Reading is still open to the token: /me names its owner.
    assert_eq!(token.me().await.unwrap().email, admin.email);
}

#[tokio::test]
async fn a_token_whose_stored_scope_is_damaged_is_refused_never_widened_to_everything() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let acme = app.fixture(&admin).client("Acme").await;
    app.fixture(&admin).client("Globex").await;
    let created = admin
        .client
        .create_token(&token_request(
            &[Permission::ResourcesView],
            Some(Scope::Client { id: acme }),
        ))
        .await
        .unwrap();
    // The row loses its client's id: it names no scope any more (once read as the whole
    // installation).
    api_token::ActiveModel {
        id: Set(created.info.id.clone()),
        scope_id: Set(None),
        ..Default::default()
    }
    .update(&app.core.db)
    .await
    .unwrap();
    let err = as_token(&app, created.token.expose())
        .list_clients(&ListQuery::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
}
