//! User administration: create, list, rename, disable.

use gmac_tests::spawn_app;
use gmac_types::{ErrorCode, ListQuery, NewUser, Scope, UserPatch, UserStatus};

fn new(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        display_name: "Grace Hopper".into(),
        password: "a long test password".into(),
    }
}

#[tokio::test]
async fn an_admin_creates_a_user_who_can_then_sign_in_with_no_role() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    let created = root
        .client
        .create_user(&new("Grace@Example.com"))
        .await
        .unwrap();
    assert_eq!(created.email, "grace@example.com");
    assert_eq!(created.status, UserStatus::Active);
    let grace = app
        .sign_in("grace@example.com", "a long test password")
        .await;
    let me = grace.client.me().await.unwrap();
    assert!(me.roles.is_empty() && me.permissions.is_empty());
    assert_eq!(
        grace
            .client
            .list_clients(&ListQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
}

#[tokio::test]
async fn duplicate_emails_and_weak_passwords_are_refused() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    root.client
        .create_user(&new("grace@example.com"))
        .await
        .unwrap();
    let err = root
        .client
        .create_user(&new("GRACE@example.com"))
        .await
        .unwrap_err();
    assert_eq!(err.problem().map(|p| p.code), Some(ErrorCode::EmailTaken));
    let mut weak = new("weak@example.com");
    weak.password = "short".into();
    let err = root.client.create_user(&weak).await.unwrap_err();
    assert_eq!(err.problem().unwrap().field_errors("password").count(), 1);
}

#[tokio::test]
async fn users_are_listed_by_email_and_filtered_by_email_or_name() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    root.client
        .create_user(&new("zed@example.com"))
        .await
        .unwrap();
    let mut bob = new("bob@example.com");
    bob.display_name = "Robert Tables".into();
    root.client.create_user(&bob).await.unwrap();
    let all = root.client.list_users(&ListQuery::default()).await.unwrap();
    let emails: Vec<&str> = all.items.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(
        emails,
        ["ada@example.com", "bob@example.com", "zed@example.com"]
    );
    let tables = root
        .client
        .list_users(&ListQuery {
            name: Some("tables".into()),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(tables.items.len(), 1);
    assert_eq!(tables.items[0].email, "bob@example.com");
}

#[tokio::test]
async fn disabling_a_user_through_the_api_ends_their_sessions_at_once() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    let victim = app
        .fixture(&root)
        .member("v@example.com", "viewer", Scope::Global)
        .await;
    let id = victim.client.me().await.unwrap().id;
    let disable = UserPatch {
        status: Some(UserStatus::Disabled),
        ..UserPatch::default()
    };
    let after = root.client.update_user(&id, &disable).await.unwrap();
    assert_eq!(after.status, UserStatus::Disabled);
    assert_eq!(victim.client.me().await.unwrap_err().status(), Some(401));
    assert_eq!(
        victim
            .client
            .anonymous()
            .refresh()
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    let err = app
        .new_client()
        .login(&gmac_types::LoginRequest {
            email: "v@example.com".into(),
            password: "a long test password".into(),
        })
        .await;
    assert_eq!(err.unwrap_err().status(), Some(401));
    // Re-enabled, they can sign in again (old sessions stay ended).
    root.client
        .update_user(
            &id,
            &UserPatch {
                status: Some(UserStatus::Active),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    app.sign_in("v@example.com", "a long test password").await;
}

#[tokio::test]
async fn nobody_disables_their_own_account() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    let me = root.client.me().await.unwrap();
    let disable = UserPatch {
        status: Some(UserStatus::Disabled),
        ..UserPatch::default()
    };
    assert_eq!(
        root.client
            .update_user(&me.id, &disable)
            .await
            .unwrap_err()
            .status(),
        Some(409)
    );
}

#[tokio::test]
async fn viewers_cannot_manage_users_and_strangers_are_not_found() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    let viewer = app
        .fixture(&root)
        .member("v@example.com", "viewer", Scope::Global)
        .await;
    assert_eq!(
        viewer
            .client
            .list_users(&ListQuery::default())
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert_eq!(
        viewer
            .client
            .create_user(&new("x@example.com"))
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    let root_id = root.client.me().await.unwrap().id;
    assert_eq!(
        viewer.client.get_user(&root_id).await.unwrap_err().status(),
        Some(404)
    );
    let own = viewer.client.me().await.unwrap().id;
    assert_eq!(
        viewer.client.get_user(&own).await.unwrap().email,
        "v@example.com"
    );
}
