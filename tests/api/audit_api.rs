//! The audit log over the API: filters, pages, scope, CSV export, verification.

use gmac_tests::spawn_app;
use gmac_types::{AuditQuery, NewClient, NewProject, Scope};
use sea_orm::ConnectionTrait;

#[tokio::test]
async fn events_are_listed_newest_first_and_filtered() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    admin
        .client
        .create_client(&NewClient {
            name: "Acme".into(),
            description: None,
        })
        .await
        .unwrap();
    let all = admin
        .client
        .list_audit_events(&AuditQuery::default())
        .await
        .unwrap();
    let actions: Vec<&str> = all.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["client.create", "auth.login", "setup.complete"]);
    assert_eq!(all.total, 3);
    assert!(all.items[0].request_id.is_some());
    assert_eq!(all.items[0].details["after"]["name"], "Acme");

    let auth = admin
        .client
        .list_audit_events(&AuditQuery {
            action: Some("auth.*".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(auth.total, 1);
    let by_actor = admin
        .client
        .list_audit_events(&AuditQuery {
            actor: Some("ada@example.com".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        by_actor.total, 2,
        "the setup was done by the system, the rest by Ada"
    );
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let future = admin
        .client
        .list_audit_events(&AuditQuery {
            from: Some(tomorrow),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(future.total, 0);
    let err = admin
        .client
        .list_audit_events(&AuditQuery {
            from: Some("last tuesday".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));

    let first = admin
        .client
        .list_audit_events(&AuditQuery {
            limit: Some(2),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let second = admin
        .client
        .list_audit_events(&AuditQuery {
            limit: Some(2),
            cursor: first.next_cursor.clone(),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(second.items.len(), 1);
    assert!(second.next_cursor.is_none());
    assert_eq!(second.items[0].action, "setup.complete");
}

#[tokio::test]
async fn reading_the_log_needs_audit_view_and_a_client_admin_sees_only_their_client() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    let acme = root
        .client
        .create_client(&NewClient {
            name: "Acme".into(),
            description: None,
        })
        .await
        .unwrap();
    let globex = root
        .client
        .create_client(&NewClient {
            name: "Globex".into(),
            description: None,
        })
        .await
        .unwrap();
    for client in [&acme.id, &globex.id] {
        root.client
            .create_project(&NewProject {
                client_id: client.clone(),
                name: "Shop".into(),
                description: None,
            })
            .await
            .unwrap();
    }
    let viewer = app
        .fixture(&root)
        .member("v@example.com", "viewer", Scope::Global)
        .await;
    assert_eq!(
        viewer
            .client
            .list_audit_events(&AuditQuery::default())
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );

    let acme_admin = app
        .fixture(&root)
        .member(
            "a@acme.example",
            "admin",
            Scope::Client {
                id: acme.id.clone(),
            },
        )
        .await;
    let seen = acme_admin
        .client
        .list_audit_events(&AuditQuery::default())
        .await
        .unwrap();
    assert!(!seen.items.is_empty());
    for event in &seen.items {
        let in_acme = event.scope_id.as_deref() == Some(acme.id.as_str())
            || event.details["after"]["client_id"] == acme.id.as_str();
        assert!(in_acme, "{event:?}");
    }
    assert_eq!(
        acme_admin
            .client
            .verify_audit_log()
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
}

#[tokio::test]
async fn the_csv_export_is_safe_to_open_in_a_spreadsheet() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    admin
        .client
        .create_client(&NewClient {
            name: "=HYPERLINK(\"http://evil\")".into(),
            description: None,
        })
        .await
        .unwrap();
    let response = admin
        .client
        .request(
            reqwest::Method::GET,
            "/api/v1/audit/export.csv?action=client.create",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[0], "seq");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let action = header.iter().position(|h| h == "action").unwrap();
    assert_eq!(&rows[0][action], "client.create");
    for cell in &rows[0] {
        assert!(!cell.starts_with('='), "{cell}");
    }
}

#[tokio::test]
async fn verification_over_the_api_reports_the_first_broken_entry() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let ok = admin.client.verify_audit_log().await.unwrap();
    assert!(ok.valid);
    assert_eq!(ok.checked, 2);
    app.core
        .db
        .execute_unprepared("UPDATE audit_log SET outcome = 'failure' WHERE seq = 1")
        .await
        .unwrap();
    let bad = admin.client.verify_audit_log().await.unwrap();
    assert!(!bad.valid);
    assert_eq!(
        bad.first_bad.map(|b| (b.seq, b.reason)),
        Some((1, "hash_mismatch".to_owned()))
    );
}

/// Issue 10, point 6: the log reads as what people did. Token refreshes (most entries after
/// half an hour in a browser) are left out unless asked for, and the action filter finds what
/// a person types.
#[tokio::test]
async fn refreshes_are_left_out_unless_asked_for_and_a_typed_word_finds_its_actions() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    for _ in 0..3 {
        admin.client.refresh().await.unwrap();
    }
    let user = app.fixture(&admin).user("bo@example.com").await;
    app.fixture(&admin)
        .grant(&user, "viewer", Scope::Global)
        .await;
    let list = |query: AuditQuery| {
        let client = admin.client.clone();
        async move {
            client
                .list_audit_events(&query)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|e| e.action)
                .collect::<Vec<_>>()
        }
    };
    let plain = list(AuditQuery::default()).await;
    assert!(!plain.iter().any(|a| a == "auth.refresh"), "{plain:?}");
    assert!(plain.iter().any(|a| a == "auth.login"), "{plain:?}");

    let with = list(AuditQuery {
        refreshes: Some(true),
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(with.iter().filter(|a| *a == "auth.refresh").count(), 3);
    let named = list(AuditQuery {
        action: Some("Refresh".into()),
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(named, ["auth.refresh"; 3]);

    let roles = list(AuditQuery {
        action: Some(" role ".into()),
        ..AuditQuery::default()
    })
    .await;
    assert!(!roles.is_empty());
    assert!(roles.iter().all(|a| a.contains("role")), "{roles:?}");
}

/// Issue 10, point 6: targets are named, not shown as ids, also once deleted when their entry
/// recorded a name.
#[tokio::test]
async fn targets_are_listed_by_their_names() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let fixture = app.fixture(&admin);
    let client = fixture.client("Acme").await;
    // Two entries of one target on the page: both are named, by its name now.
    admin
        .client
        .update_client(
            &client,
            &gmac_types::ClientPatch {
                name: Some("Acme Corp".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let team = fixture.team("Platform", &[]).await;
    admin.client.delete_team(&team).await.unwrap();
    let events = admin
        .client
        .list_audit_events(&AuditQuery::default())
        .await
        .unwrap()
        .items;
    let label = |action: &str| {
        events
            .iter()
            .find(|e| e.action == action)
            .and_then(|e| e.target_label.clone())
    };
    assert_eq!(label("client.create").as_deref(), Some("Acme Corp"));
    assert_eq!(label("client.update").as_deref(), Some("Acme Corp"));
    assert_eq!(label("team.delete").as_deref(), Some("Platform"));
    let created = events.iter().find(|e| e.action == "client.create").unwrap();
    assert_eq!(created.target_id.as_deref(), Some(client.as_str()));
}
