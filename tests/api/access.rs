//! Roles and role bindings: the matrix as data, grants at scopes, and no escalation.

use gmac_tests::{Session, TestApp, spawn_app};
use gmac_types::PageQuery;
use gmac_types::{
    NewClient, NewRoleBinding, Permission, RoleBindingQuery, Scope, Subject, SubjectKind,
    UserPatch, UserStatus,
};

fn grant(user_id: &str, role: &str, scope: Scope) -> NewRoleBinding {
    NewRoleBinding {
        subject: Subject {
            kind: SubjectKind::User,
            id: user_id.into(),
        },
        role: role.into(),
        scope,
    }
}

#[tokio::test]
async fn the_catalogue_lists_every_permission_and_the_five_builtin_roles() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let permissions = admin.client.list_permissions().await.unwrap();
    assert_eq!(permissions.len(), Permission::ALL.len());
    assert!(permissions.iter().all(|p| !p.description.is_empty()));
    let roles = admin.client.list_roles().await.unwrap();
    let ids: Vec<&str> = roles.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "super_admin",
            "admin",
            "developer",
            "viewer",
            "billing_manager"
        ]
    );
    let developer = roles.iter().find(|r| r.id == "developer").unwrap();
    assert!(!developer.permissions.contains(&Permission::ResourcesDelete));
    assert_eq!(developer.project_permissions, [Permission::ResourcesDelete]);
}

#[tokio::test]
async fn a_developer_may_delete_only_in_projects_where_granted() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let acme = app.fixture(&admin).client("Acme").await;
    let shop = admin
        .client
        .create_project(&gmac_types::NewProject {
            client_id: acme.clone(),
            name: "Shop".into(),
            description: None,
        })
        .await
        .unwrap();
    let global_dev = app
        .fixture(&admin)
        .member("g@example.com", "developer", Scope::Global)
        .await;
    let project_dev = app
        .fixture(&admin)
        .member(
            "p@example.com",
            "developer",
            Scope::Project {
                id: shop.id.clone(),
            },
        )
        .await;
    assert!(
        !global_dev
            .client
            .me()
            .await
            .unwrap()
            .permissions
            .contains(&Permission::ResourcesDelete)
    );
    assert!(
        project_dev
            .client
            .me()
            .await
            .unwrap()
            .permissions
            .contains(&Permission::ResourcesDelete)
    );
}

#[tokio::test]
async fn role_changes_take_effect_on_the_next_request() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let viewer = app
        .fixture(&admin)
        .member("v@example.com", "viewer", Scope::Global)
        .await;
    let acme = NewClient {
        name: "Acme".into(),
        description: None,
    };
    let attempt = || viewer.client.create_client(&acme);
    assert_eq!(attempt().await.unwrap_err().status(), Some(403));
    let me = viewer.client.me().await.unwrap();
    let binding = admin
        .client
        .create_role_binding(&grant(&me.id, "admin", Scope::Global))
        .await
        .unwrap();
    attempt().await.unwrap();
    admin.client.delete_role_binding(&binding.id).await.unwrap();
    let again = viewer
        .client
        .create_client(&NewClient {
            name: "Globex".into(),
            description: None,
        })
        .await;
    assert_eq!(again.unwrap_err().status(), Some(403));
}

#[tokio::test]
async fn nobody_grants_a_permission_they_do_not_hold() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let acme = app.fixture(&admin).client("Acme").await;
    let globex = app.fixture(&admin).client("Globex").await;
    let acme_admin = app
        .fixture(&admin)
        .member(
            "a@acme.example",
            "admin",
            Scope::Client { id: acme.clone() },
        )
        .await;
    let target = app.fixture(&admin).user("t@example.com").await;

    // Inside their client: fine.
    acme_admin
        .client
        .create_role_binding(&grant(
            &target,
            "developer",
            Scope::Client { id: acme.clone() },
        ))
        .await
        .unwrap();
    // Outside it, or globally: they hold nothing there.
    let global = acme_admin
        .client
        .create_role_binding(&grant(&target, "viewer", Scope::Global))
        .await;
    assert_eq!(global.unwrap_err().status(), Some(403));
    let other = acme_admin
        .client
        .create_role_binding(&grant(&target, "viewer", Scope::Client { id: globex }))
        .await;
    assert_eq!(
        other.unwrap_err().status(),
        Some(422),
        "another tenant's client is not even named"
    );

    // A developer manages no users at all.
    let dev = app
        .fixture(&admin)
        .member("d@example.com", "developer", Scope::Global)
        .await;
    let err = dev
        .client
        .create_role_binding(&grant(&target, "viewer", Scope::Client { id: acme }))
        .await;
    assert_eq!(err.unwrap_err().status(), Some(403));
}

#[tokio::test]
async fn only_a_super_admin_grants_or_removes_super_admin() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    let admin = app
        .fixture(&root)
        .member("admin@example.com", "admin", Scope::Global)
        .await;
    let target = app.fixture(&root).user("t@example.com").await;
    let err = admin
        .client
        .create_role_binding(&grant(&target, "super_admin", Scope::Global))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));

    let promoted = root
        .client
        .create_role_binding(&grant(&target, "super_admin", Scope::Global))
        .await
        .unwrap();
    assert_eq!(
        admin
            .client
            .delete_role_binding(&promoted.id)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    // Nor may an admin disable a Super Admin.
    let disable = UserPatch {
        status: Some(UserStatus::Disabled),
        ..UserPatch::default()
    };
    assert_eq!(
        admin
            .client
            .update_user(&target, &disable)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    root.client.delete_role_binding(&promoted.id).await.unwrap();
}

#[tokio::test]
async fn the_last_super_admin_cannot_be_removed() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    let me = root.client.me().await.unwrap();
    let bindings = root
        .client
        .list_role_bindings(
            &RoleBindingQuery {
                subject_id: Some(me.id),
                ..RoleBindingQuery::default()
            },
            &PageQuery::default(),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(bindings.len(), 1);
    assert_eq!(
        root.client
            .delete_role_binding(&bindings[0].id)
            .await
            .unwrap_err()
            .status(),
        Some(409)
    );
}

#[tokio::test]
async fn granting_the_same_role_twice_is_a_conflict_and_unknown_roles_are_invalid() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    let target = app.fixture(&root).user("t@example.com").await;
    root.client
        .create_role_binding(&grant(&target, "viewer", Scope::Global))
        .await
        .unwrap();
    let again = root
        .client
        .create_role_binding(&grant(&target, "viewer", Scope::Global))
        .await
        .unwrap_err();
    assert_eq!(again.status(), Some(409));
    let unknown = root
        .client
        .create_role_binding(&grant(&target, "emperor", Scope::Global))
        .await
        .unwrap_err();
    assert_eq!(unknown.problem().unwrap().field_errors("role").count(), 1);
    let nobody = root
        .client
        .create_role_binding(&grant("no-such-user", "viewer", Scope::Global))
        .await
        .unwrap_err();
    assert_eq!(nobody.status(), Some(422));
}

#[tokio::test]
async fn a_billing_manager_sees_costs_and_budgets_and_nothing_else() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    let billing = app
        .fixture(&root)
        .member("b@example.com", "billing_manager", Scope::Global)
        .await;
    let me = billing.client.me().await.unwrap();
    assert_eq!(
        me.permissions,
        [
            Permission::CostsView,
            Permission::CostsManage,
            Permission::BudgetsManage
        ]
    );
    assert_eq!(
        billing
            .client
            .list_users(&gmac_types::ListQuery::default())
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert_eq!(
        billing
            .client
            .list_role_bindings(&RoleBindingQuery::default(), &PageQuery::default())
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
}

#[tokio::test]
async fn a_refused_attempt_is_audited_as_denied() {
    use gmac_core::entities::audit_log;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let dev = app
        .fixture(&admin)
        .member("d@example.com", "developer", Scope::Global)
        .await;
    let attempt = dev
        .client
        .create_client(&NewClient {
            name: "Acme".into(),
            description: None,
        })
        .await;
    assert_eq!(attempt.unwrap_err().status(), Some(403));
    let denied = audit_log::Entity::find()
        .filter(audit_log::Column::Outcome.eq("denied"))
        .all(&app.core.db)
        .await
        .unwrap();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].action, "access.denied");
    assert_eq!(denied[0].actor_label.as_deref(), Some("d@example.com"));
    assert!(
        denied[0].details.contains("/api/v1/clients"),
        "{}",
        denied[0].details
    );
    assert!(
        gmac_core::audit::verify(&app.core.db, &app.core.audit_keys)
            .await
            .unwrap()
            .valid
    );
}

/// A client signed in with a new API token of `user`'s that may view resources.
async fn script_token(app: &TestApp, user: &Session) -> gmac_client::Client {
    let token = user
        .client
        .create_token(&gmac_types::NewApiToken {
            name: "script".into(),
            scopes: vec![Permission::ResourcesView],
            expires_in_days: 1,
            scope: None,
        })
        .await
        .unwrap();
    app.new_client().with_token(token.token.expose())
}

/// Another replica (here: a second connection pool on the same database) changes who may do
/// what behind this server's back; the server's cached actors must not outlive the change.
#[tokio::test]
async fn changes_made_by_another_replica_take_effect_on_the_next_request() {
    use sea_orm::ConnectionTrait;

    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let acme = app.fixture(&admin).client("Acme").await;
    let dev = app
        .fixture(&admin)
        .member(
            "d@example.com",
            "developer",
            Scope::Client { id: acme.clone() },
        )
        .await;
    let script = script_token(&app, &dev).await;
    let visible = |c: gmac_client::Client| async move {
        c.list_clients(&gmac_types::ListQuery::default())
            .await
            .map(|page| page.items.len())
    };
    // Twice each, so the second answer comes from whatever the server keeps between requests.
    for _ in 0..2 {
        assert_eq!(visible(dev.client.clone()).await.unwrap(), 1);
        assert_eq!(visible(script.clone()).await.unwrap(), 1);
    }

    let replica = gmac_core::db::connect(&app.database_url, &gmac_core::db::PoolOptions::default())
        .await
        .unwrap();
    let me = dev.client.me().await.unwrap();
    replica
        .execute_unprepared(&format!(
            "DELETE FROM role_bindings WHERE subject_id = '{}'",
            me.id
        ))
        .await
        .unwrap();
    assert_eq!(visible(dev.client.clone()).await.unwrap(), 0);
    assert_eq!(visible(script.clone()).await.unwrap(), 0);

    replica
        .execute_unprepared(&format!(
            "UPDATE users SET status = 'disabled' WHERE id = '{}'",
            me.id
        ))
        .await
        .unwrap();
    assert_eq!(
        visible(dev.client.clone()).await.unwrap_err().status(),
        Some(401)
    );
    assert_eq!(visible(script).await.unwrap_err().status(), Some(401));
    replica.close().await.unwrap();
}

/// Reading must not invalidate what the server keeps: a token's "last used" and a session's
/// "last seen" are written as requests come in, and neither is a change to who may do what.
#[tokio::test]
async fn using_a_session_or_token_leaves_the_authorisation_epoch_alone() {
    let app = gmac_tests::spawn_app_with(gmac_tests::Options {
        manual_clock: true,
        ..gmac_tests::Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let script = script_token(&app, &admin).await;
    let before = gmac_core::auth::cache::epoch(&app.core).await.unwrap();
    for _ in 0..3 {
        admin.client.me().await.unwrap();
        script.me().await.unwrap();
        app.advance(chrono::Duration::minutes(2));
    }
    let listed = admin
        .client
        .list_tokens(&PageQuery::default())
        .await
        .unwrap();
    assert!(
        listed.items[0].last_used_at.is_some(),
        "the token's use was recorded"
    );
    let after = gmac_core::auth::cache::epoch(&app.core).await.unwrap();
    assert_eq!(before, after);
}
