//! Clients and projects: CRUD, pagination, name filter, ETag/If-Match, tenant isolation.

use gmac_tests::{TestApp, spawn_app};
use gmac_types::{
    ClientPatch, ErrorCode, ListQuery, NewClient, NewProject, ProjectListQuery, ProjectPatch, Scope,
};

fn named(name: &str) -> NewClient {
    NewClient {
        name: name.to_owned(),
        description: None,
    }
}

fn code(err: &gmac_client::ApiError) -> Option<ErrorCode> {
    err.problem().map(|p| p.code)
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    use gmac_core::entities::audit_log;
    use sea_orm::{EntityTrait, QueryOrder};
    audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Seq)
        .all(&app.core.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect()
}

#[tokio::test]
async fn creating_a_client_answers_201_with_location_and_etag() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let response = admin
        .client
        .request(reqwest::Method::POST, "/api/v1/clients")
        .json(&named("Acme Corp"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let created: gmac_types::Client = response.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/clients/{}", created.id));
    assert_eq!(admin.client.get_client(&created.id).await.unwrap(), created);
    assert!(
        audit_actions(&app)
            .await
            .contains(&"client.create".to_owned())
    );
}

#[tokio::test]
async fn client_names_are_unique_whatever_their_case_and_required() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    admin.client.create_client(&named("Acme")).await.unwrap();
    let err = admin
        .client
        .create_client(&named("  ACME "))
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), code(&err)),
        (Some(409), Some(ErrorCode::NameTaken))
    );
    let err = admin.client.create_client(&named(" ")).await.unwrap_err();
    assert_eq!(err.problem().unwrap().field_errors("name").count(), 1);
}

#[tokio::test]
async fn lists_are_paged_by_cursor_sorted_by_name_and_filtered() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    for name in ["Delta", "alpha", "Charlie", "bravo", "Echo"] {
        admin.client.create_client(&named(name)).await.unwrap();
    }
    let mut names = Vec::new();
    let mut cursor = None;
    loop {
        let page = admin
            .client
            .list_clients(&ListQuery {
                limit: Some(2),
                cursor: cursor.clone(),
                name: None,
            })
            .await
            .unwrap();
        assert_eq!(page.total, 5);
        assert!(page.items.len() <= 2);
        names.extend(page.items.into_iter().map(|c| c.name));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(names, ["alpha", "bravo", "Charlie", "Delta", "Echo"]);
    let filtered = admin
        .client
        .list_clients(&ListQuery {
            name: Some("HAR".into()),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        filtered
            .items
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["Charlie"]
    );
    assert_eq!(filtered.total, 1);
    // Wildcards in the filter are literal.
    let none = admin
        .client
        .list_clients(&ListQuery {
            name: Some("%".into()),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(none.total, 0);
    let err = admin
        .client
        .list_clients(&ListQuery {
            cursor: Some("garbage".into()),
            ..ListQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
}

#[tokio::test]
async fn a_stale_if_match_is_refused_with_412_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let client = admin.client.create_client(&named("Acme")).await.unwrap();
    let renamed = admin
        .client
        .update_client(
            &client.id,
            &ClientPatch {
                name: Some("Acme Corp".into()),
                ..ClientPatch::default()
            },
            Some(1),
        )
        .await
        .unwrap();
    assert_eq!(renamed.version, 2);
    let err = admin
        .client
        .update_client(
            &client.id,
            &ClientPatch {
                name: Some("Lost update".into()),
                ..ClientPatch::default()
            },
            Some(1),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), code(&err)),
        (Some(412), Some(ErrorCode::PreconditionFailed))
    );
    assert_eq!(
        admin.client.get_client(&client.id).await.unwrap().name,
        "Acme Corp"
    );
    // A garbage If-Match can never match, and nothing changes.
    let response = admin
        .client
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/clients/{}", client.id),
        )
        .header("if-match", "yesterday")
        .json(&ClientPatch {
            name: Some("Renamed".into()),
            ..ClientPatch::default()
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 412);
    assert_eq!(
        admin.client.get_client(&client.id).await.unwrap().name,
        "Acme Corp"
    );
    // Without If-Match the last writer wins, and the ETag follows.
    let response = admin
        .client
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/clients/{}", client.id),
        )
        .json(&ClientPatch {
            description: Some("Our first client".into()),
            ..ClientPatch::default()
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["etag"], "\"3\"");
}

#[tokio::test]
async fn a_client_with_projects_cannot_be_deleted_until_they_are_gone() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let client = admin.client.create_client(&named("Acme")).await.unwrap();
    let project = admin
        .client
        .create_project(&NewProject {
            client_id: client.id.clone(),
            name: "Shop".into(),
            description: None,
        })
        .await
        .unwrap();
    assert_eq!(
        admin
            .client
            .delete_client(&client.id, None)
            .await
            .unwrap_err()
            .status(),
        Some(409)
    );
    admin
        .client
        .delete_project(&project.id, Some(project.version))
        .await
        .unwrap();
    admin.client.delete_client(&client.id, None).await.unwrap();
    assert_eq!(
        admin
            .client
            .get_client(&client.id)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    let actions = audit_actions(&app).await;
    for action in ["project.create", "project.delete", "client.delete"] {
        assert!(actions.contains(&action.to_owned()), "{action} is audited");
    }
}

#[tokio::test]
async fn project_names_are_unique_within_their_client_only() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let acme = admin.client.create_client(&named("Acme")).await.unwrap();
    let globex = admin.client.create_client(&named("Globex")).await.unwrap();
    let new = |client: &str| NewProject {
        client_id: client.to_owned(),
        name: "Shop".into(),
        description: None,
    };
    admin.client.create_project(&new(&acme.id)).await.unwrap();
    admin.client.create_project(&new(&globex.id)).await.unwrap();
    let err = admin
        .client
        .create_project(&new(&acme.id))
        .await
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::NameTaken));
    let only_acme = admin
        .client
        .list_projects(&ProjectListQuery {
            client_id: Some(acme.id.clone()),
            ..ProjectListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(only_acme.total, 1);
    let err = admin
        .client
        .create_project(&NewProject {
            client_id: uuid::Uuid::now_v7().to_string(),
            name: "X".into(),
            description: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

/// Two clients, a project in the second, and an admin of the first only.
async fn two_tenants(app: &gmac_tests::TestApp) -> (gmac_tests::Session, String, String, String) {
    let admin = app.super_admin().await;
    let acme = admin.client.create_client(&named("Acme")).await.unwrap();
    let globex = admin.client.create_client(&named("Globex")).await.unwrap();
    let globex_shop = admin
        .client
        .create_project(&NewProject {
            client_id: globex.id.clone(),
            name: "Shop".into(),
            description: None,
        })
        .await
        .unwrap();
    let acme_admin = app
        .fixture(&admin)
        .member(
            "boss@acme.example",
            "admin",
            Scope::Client {
                id: acme.id.clone(),
            },
        )
        .await;
    (acme_admin, acme.id, globex.id, globex_shop.id)
}

#[tokio::test]
async fn another_clients_objects_answer_404_and_lists_hold_only_your_own() {
    let app = spawn_app().await;
    let (acme_admin, _, globex, globex_shop) = two_tenants(&app).await;
    let listed = acme_admin
        .client
        .list_clients(&ListQuery::default())
        .await
        .unwrap();
    assert_eq!(
        listed
            .items
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["Acme"]
    );
    assert_eq!(listed.total, 1);
    assert_eq!(
        acme_admin
            .client
            .get_client(&globex)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert_eq!(
        acme_admin
            .client
            .get_project(&globex_shop)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    let patch = ClientPatch {
        name: Some("Mine now".into()),
        ..ClientPatch::default()
    };
    assert_eq!(
        acme_admin
            .client
            .update_client(&globex, &patch, None)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert_eq!(
        acme_admin
            .client
            .delete_project(&globex_shop, None)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert_eq!(
        acme_admin
            .client
            .list_projects(&ProjectListQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
}

#[tokio::test]
async fn a_client_admin_manages_inside_their_client_but_creates_no_clients() {
    let app = spawn_app().await;
    let (acme_admin, acme, _, _) = two_tenants(&app).await;
    let patch = ClientPatch {
        name: Some("Acme Corp".into()),
        ..ClientPatch::default()
    };
    acme_admin
        .client
        .update_client(&acme, &patch, None)
        .await
        .unwrap();
    let shop = acme_admin
        .client
        .create_project(&NewProject {
            client_id: acme.clone(),
            name: "Shop".into(),
            description: None,
        })
        .await
        .unwrap();
    let rename = ProjectPatch {
        name: Some("Store".into()),
        ..ProjectPatch::default()
    };
    acme_admin
        .client
        .update_project(&shop.id, &rename, None)
        .await
        .unwrap();
    assert_eq!(
        acme_admin
            .client
            .create_client(&named("Initech"))
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
}

#[tokio::test]
async fn a_project_grant_shows_the_project_and_its_clients_name_but_not_its_siblings() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let acme = admin.client.create_client(&named("Acme")).await.unwrap();
    let mk = |name: &str| NewProject {
        client_id: acme.id.clone(),
        name: name.into(),
        description: None,
    };
    let shop = admin.client.create_project(&mk("Shop")).await.unwrap();
    let blog = admin.client.create_project(&mk("Blog")).await.unwrap();
    let dev = app
        .fixture(&admin)
        .member(
            "dev@acme.example",
            "developer",
            Scope::Project {
                id: shop.id.clone(),
            },
        )
        .await;

    assert_eq!(
        dev.client
            .list_clients(&ListQuery::default())
            .await
            .unwrap()
            .total,
        1
    );
    let projects = dev
        .client
        .list_projects(&ProjectListQuery::default())
        .await
        .unwrap();
    assert_eq!(
        projects
            .items
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["Shop"]
    );
    assert_eq!(
        dev.client.get_project(&blog.id).await.unwrap_err().status(),
        Some(404)
    );
    // Seeing is not managing.
    let patch = ProjectPatch {
        name: Some("Mine".into()),
        ..ProjectPatch::default()
    };
    assert_eq!(
        dev.client
            .update_project(&shop.id, &patch, None)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
}
