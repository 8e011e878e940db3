//! Teams, team leaders, roles through teams, custom roles, and one's own sessions.

use gmac_tests::{Session, TestApp, spawn_app};
use gmac_types::PageQuery;
use gmac_types::{
    ListQuery, NewClient, NewRole, NewRoleBinding, NewTeam, NewTeamMember, NewUser, Permission,
    RolePatch, Scope, Subject, SubjectKind,
};

async fn user(admin: &Session, email: &str) -> String {
    admin
        .client
        .create_user(&NewUser {
            email: email.into(),
            display_name: email.into(),
            password: "a long test password".into(),
        })
        .await
        .unwrap()
        .id
}

async fn team(admin: &Session, name: &str) -> String {
    admin
        .client
        .create_team(&NewTeam {
            name: name.into(),
            description: None,
        })
        .await
        .unwrap()
        .id
}

async fn sign_in(app: &TestApp, email: &str) -> Session {
    app.sign_in(email, "a long test password").await
}

#[tokio::test]
async fn a_role_bound_to_a_team_is_held_by_its_members_and_lost_on_leaving() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let platform = team(&admin, "Platform").await;
    let grace = user(&admin, "grace@example.com").await;
    admin
        .client
        .create_role_binding(&NewRoleBinding {
            subject: Subject {
                kind: SubjectKind::Team,
                id: platform.clone(),
            },
            role: "admin".into(),
            scope: Scope::Global,
        })
        .await
        .unwrap();
    let session = sign_in(&app, "grace@example.com").await;
    let acme = NewClient {
        name: "Acme".into(),
        description: None,
    };
    assert_eq!(
        session
            .client
            .create_client(&acme)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );

    admin
        .client
        .add_team_member(
            &platform,
            &NewTeamMember {
                user_id: grace.clone(),
                leader: false,
            },
        )
        .await
        .unwrap();
    let me = session.client.me().await.unwrap();
    assert_eq!(me.roles[0].via_team.as_deref(), Some(platform.as_str()));
    session.client.create_client(&acme).await.unwrap();

    admin
        .client
        .remove_team_member(&platform, &grace)
        .await
        .unwrap();
    let globex = NewClient {
        name: "Globex".into(),
        description: None,
    };
    assert_eq!(
        session
            .client
            .create_client(&globex)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
}

#[tokio::test]
async fn a_team_leader_manages_members_of_their_own_team_only() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let platform = team(&admin, "Platform").await;
    let data = team(&admin, "Data").await;
    let lead = user(&admin, "lead@example.com").await;
    let newbie = user(&admin, "new@example.com").await;
    let other_lead = user(&admin, "other@example.com").await;
    admin
        .client
        .add_team_member(
            &platform,
            &NewTeamMember {
                user_id: lead.clone(),
                leader: true,
            },
        )
        .await
        .unwrap();
    admin
        .client
        .add_team_member(
            &platform,
            &NewTeamMember {
                user_id: other_lead.clone(),
                leader: true,
            },
        )
        .await
        .unwrap();
    let leader = sign_in(&app, "lead@example.com").await;

    leader
        .client
        .add_team_member(
            &platform,
            &NewTeamMember {
                user_id: newbie.clone(),
                leader: false,
            },
        )
        .await
        .unwrap();
    let members = leader
        .client
        .list_team_members(&platform, &PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(
        members.iter().map(|m| m.email.as_str()).collect::<Vec<_>>(),
        ["lead@example.com", "new@example.com", "other@example.com"]
    );
    leader
        .client
        .remove_team_member(&platform, &newbie)
        .await
        .unwrap();
    // Leaders do not make leaders, remove leaders, or touch other teams.
    let promote = NewTeamMember {
        user_id: newbie.clone(),
        leader: true,
    };
    assert_eq!(
        leader
            .client
            .add_team_member(&platform, &promote)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert_eq!(
        leader
            .client
            .remove_team_member(&platform, &other_lead)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    let elsewhere = NewTeamMember {
        user_id: newbie.clone(),
        leader: false,
    };
    assert_eq!(
        leader
            .client
            .add_team_member(&data, &elsewhere)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    // Nor do they rename or delete the team.
    assert_eq!(
        leader
            .client
            .delete_team(&platform)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    // They see their own team only.
    let teams = leader
        .client
        .list_teams(&ListQuery::default())
        .await
        .unwrap();
    assert_eq!(
        teams
            .items
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["Platform"]
    );
}

#[tokio::test]
async fn deleting_a_team_takes_its_roles_away_from_its_members() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let ops = team(&admin, "Ops").await;
    let grace = user(&admin, "grace@example.com").await;
    admin
        .client
        .add_team_member(
            &ops,
            &NewTeamMember {
                user_id: grace,
                leader: false,
            },
        )
        .await
        .unwrap();
    admin
        .client
        .create_role_binding(&NewRoleBinding {
            subject: Subject {
                kind: SubjectKind::Team,
                id: ops.clone(),
            },
            role: "viewer".into(),
            scope: Scope::Global,
        })
        .await
        .unwrap();
    let session = sign_in(&app, "grace@example.com").await;
    assert!(
        session
            .client
            .me()
            .await
            .unwrap()
            .permissions
            .contains(&Permission::ResourcesView)
    );
    admin.client.delete_team(&ops).await.unwrap();
    assert!(session.client.me().await.unwrap().permissions.is_empty());
}

#[tokio::test]
async fn a_custom_role_grants_exactly_its_permissions_and_changes_take_effect_at_once() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let role = admin
        .client
        .create_role(&NewRole {
            name: "Cost auditor".into(),
            description: Some("Reads costs and the audit log".into()),
            permissions: vec![Permission::CostsView, Permission::AuditView],
            project_permissions: vec![],
        })
        .await
        .unwrap();
    assert!(!role.builtin);
    let grace = user(&admin, "grace@example.com").await;
    admin
        .client
        .create_role_binding(&NewRoleBinding {
            subject: Subject {
                kind: SubjectKind::User,
                id: grace,
            },
            role: role.id.clone(),
            scope: Scope::Global,
        })
        .await
        .unwrap();
    let session = sign_in(&app, "grace@example.com").await;
    assert_eq!(
        session.client.me().await.unwrap().permissions,
        [Permission::CostsView, Permission::AuditView]
    );
    session
        .client
        .list_audit_events(&gmac_types::AuditQuery::default())
        .await
        .unwrap();

    admin
        .client
        .update_role(
            &role.id,
            &RolePatch {
                permissions: Some(vec![Permission::CostsView]),
                ..RolePatch::default()
            },
            Some(role.version),
        )
        .await
        .unwrap();
    let err = session
        .client
        .list_audit_events(&gmac_types::AuditQuery::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    // In use: cannot be deleted.
    assert_eq!(
        admin
            .client
            .delete_role(&role.id)
            .await
            .unwrap_err()
            .status(),
        Some(409)
    );
    // A stale version is refused.
    let stale = admin
        .client
        .update_role(&role.id, &RolePatch::default(), Some(role.version))
        .await;
    assert_eq!(stale.unwrap_err().status(), Some(412));
}

#[tokio::test]
async fn a_custom_role_cannot_hold_more_than_its_author_and_names_stay_unique() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let viewer = app
        .fixture(&admin)
        .member("v@example.com", "viewer", Scope::Global)
        .await;
    let request = NewRole {
        name: "Mine".into(),
        description: None,
        permissions: vec![Permission::CostsView],
        project_permissions: vec![],
    };
    assert_eq!(
        viewer
            .client
            .create_role(&request)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    let clash = NewRole {
        name: "viewer".into(),
        ..request.clone()
    };
    assert_eq!(
        admin.client.create_role(&clash).await.unwrap_err().status(),
        Some(409)
    );
    let empty = NewRole {
        permissions: vec![],
        ..request
    };
    assert_eq!(
        admin.client.create_role(&empty).await.unwrap_err().status(),
        Some(422)
    );
}

#[tokio::test]
async fn you_list_your_sessions_and_end_one_or_all_the_others() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let laptop = app.sign_in(&admin.email, &admin.password).await;
    let phone = app.sign_in(&admin.email, &admin.password).await;
    let sessions = laptop
        .client
        .list_sessions(&PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);
    assert!(
        sessions
            .iter()
            .all(|s| s.device == "gmac CLI" && s.ip.as_deref() == Some("127.0.0.1"))
    );

    let phone_id = phone
        .client
        .list_sessions(&PageQuery::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|s| s.current)
        .unwrap()
        .id;
    laptop.client.end_session(&phone_id).await.unwrap();
    assert_eq!(phone.client.me().await.unwrap_err().status(), Some(401));

    let ended = laptop.client.end_other_sessions().await.unwrap();
    assert_eq!(ended.ended, 1);
    assert_eq!(admin.client.me().await.unwrap_err().status(), Some(401));
    laptop.client.me().await.unwrap();
    assert_eq!(
        laptop
            .client
            .list_sessions(&PageQuery::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

#[test]
fn user_agents_read_as_devices() {
    use gmac_core::services::sessions::describe_device;
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    let chrome_mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";
    let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1";
    assert_eq!(describe_device(Some(firefox)), "Firefox on Linux");
    assert_eq!(describe_device(Some(chrome_mac)), "Chrome on macOS");
    assert_eq!(describe_device(Some(iphone)), "Safari on iOS");
    assert_eq!(describe_device(None), "Unknown device");
}

#[tokio::test]
async fn a_users_teams_are_listed_with_the_roles_they_hold_through_them() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let acme = admin
        .client
        .create_client(&NewClient {
            name: "Acme".into(),
            description: None,
        })
        .await
        .unwrap();
    let globex = admin
        .client
        .create_client(&NewClient {
            name: "Globex".into(),
            description: None,
        })
        .await
        .unwrap();
    let bind = |kind: SubjectKind, id: &str, role: &str, client: &str| NewRoleBinding {
        subject: Subject {
            kind,
            id: id.to_owned(),
        },
        role: role.into(),
        scope: Scope::Client {
            id: client.to_owned(),
        },
    };
    let platform = team(&admin, "Platform").await;
    let data = team(&admin, "Data").await;
    let grace = user(&admin, "grace@example.com").await;
    let manager_id = user(&admin, "manager@example.com").await;
    for (team_id, leader) in [(&platform, true), (&data, false)] {
        admin
            .client
            .add_team_member(
                team_id,
                &NewTeamMember {
                    user_id: grace.clone(),
                    leader,
                },
            )
            .await
            .unwrap();
    }
    for binding in [
        bind(SubjectKind::Team, &platform, "developer", &acme.id),
        bind(SubjectKind::Team, &platform, "viewer", &globex.id),
        bind(SubjectKind::Team, &data, "viewer", &globex.id),
        bind(SubjectKind::User, &manager_id, "admin", &acme.id),
    ] {
        admin.client.create_role_binding(&binding).await.unwrap();
    }

    // An administrator of everything sees both teams, by name, with every role.
    let teams = admin
        .client
        .list_user_teams(&grace, &ListQuery::default())
        .await
        .unwrap();
    let names: Vec<&str> = teams.items.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Data", "Platform"]);
    assert_eq!(teams.total, 2);
    let platform_team = &teams.items[1];
    assert!(platform_team.leader && !teams.items[0].leader);
    let held: Vec<(&str, &Scope)> = platform_team
        .roles
        .iter()
        .map(|b| (b.role.as_str(), &b.scope))
        .collect();
    assert_eq!(
        held,
        [
            (
                "developer",
                &Scope::Client {
                    id: acme.id.clone()
                }
            ),
            (
                "viewer",
                &Scope::Client {
                    id: globex.id.clone()
                }
            ),
        ]
    );

    // Acme's administrator sees the team that holds a role in Acme, and only that role.
    let manager = sign_in(&app, "manager@example.com").await;
    let seen = manager
        .client
        .list_user_teams(&grace, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(seen.items.len(), 1, "{seen:?}");
    assert_eq!(seen.items[0].name, "Platform");
    let roles: Vec<&str> = seen.items[0]
        .roles
        .iter()
        .map(|b| b.role.as_str())
        .collect();
    assert_eq!(roles, ["developer"]);

    // Grace sees her own teams and all their roles; she may not see the manager's.
    let grace_session = sign_in(&app, "grace@example.com").await;
    let own = grace_session
        .client
        .list_user_teams(&grace, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(own.items.len(), 2);
    assert_eq!(own.items[1].roles.len(), 2);
    let refused = grace_session
        .client
        .list_user_teams(&manager_id, &ListQuery::default())
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(404), "{refused:?}");
}
