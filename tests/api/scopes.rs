//! A grant on one project reaches that project and nothing else of its client; people are
//! named only where the caller's scope reaches.

use gmac_tests::{Session, TestApp, spawn_app};
use gmac_types::PageQuery;
use gmac_types::{CostQuery, MonthlyReportQuery, Scope};
use rust_decimal::Decimal;

/// Three projects' lines in one client: web 14, batch 7, and 1 untagged.
const FILE: &str = "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName,SubAccountId,Tags\n\
    10,10,USD,2024-09-01T00:00:00Z,2024-09-02T00:00:00Z,Usage,EC2,a1,\"{\"\"project\"\":\"\"web\"\"}\"\n\
    4,4,USD,2024-09-02T00:00:00Z,2024-09-03T00:00:00Z,Usage,S3,a1,\"{\"\"project\"\":\"\"web\"\"}\"\n\
    7,7,USD,2024-09-02T00:00:00Z,2024-09-03T00:00:00Z,Usage,EC2,a1,\"{\"\"project\"\":\"\"batch\"\"}\"\n\
    1,1,USD,2024-09-03T00:00:00Z,2024-09-04T00:00:00Z,Usage,EC2,a1,\n";

fn september() -> CostQuery {
    CostQuery {
        from: "2024-09-01".parse().unwrap(),
        to: "2024-09-30".parse().unwrap(),
        ..CostQuery::default()
    }
}

struct World {
    app: TestApp,
    admin: Session,
    client_id: String,
    web_id: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let fixture = app.fixture(&admin);
    let client_id = fixture.client("Acme").await;
    fixture.import(&client_id, FILE).await;
    // What the client keeps as a whole, which a project's people must not see: a cloud account
    // and an allocation rule.
    admin
        .client
        .create_cloud_account(&gmac_types::NewCloudAccount {
            client_id: client_id.clone(),
            name: "Payer".into(),
            access_key_id: Some("AKIAEXAMPLE".into()),
            secret_access_key: Some("secret".into()),
            role_arn: None,
            external_id: None,
            region: None,
            endpoint_url: Some("http://127.0.0.1:9".into()),
            group_by: None,
            resync_days: None,
            test: None,
        })
        .await
        .unwrap();
    let me = admin.client.me().await.unwrap().id;
    admin
        .client
        .create_allocation_rule(&gmac_types::NewAllocationRule {
            client_id: Some(client_id.clone()),
            name: "Web to Ada".into(),
            position: None,
            tag_key: Some("project".into()),
            tag_value: Some("web".into()),
            account: None,
            service: None,
            allocation: gmac_types::Allocation::Assign {
                to: gmac_types::Subject {
                    kind: gmac_types::SubjectKind::User,
                    id: me,
                },
            },
        })
        .await
        .unwrap();
    let web_id = fixture.project(&client_id, "web").await;
    fixture.project(&client_id, "batch").await;
    World {
        app,
        admin,
        client_id,
        web_id,
    }
}

#[tokio::test]
async fn a_project_viewer_reads_only_its_projects_costs() {
    let w = world().await;
    // The client's own account and rule exist, for whoever sees the whole client.
    assert_eq!(
        w.admin
            .client
            .list_cloud_accounts(&PageQuery::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(
        w.admin
            .client
            .list_allocation_rules(None, &PageQuery::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    for role in ["viewer", "billing_manager"] {
        let viewer = w
            .app
            .fixture(&w.admin)
            .member(
                &format!("{role}@example.com"),
                role,
                Scope::Project {
                    id: w.web_id.clone(),
                },
            )
            .await;
        let report = viewer.client.costs(&september()).await.unwrap();
        assert_eq!(report.total, Decimal::from(14), "{role}");
        // Grouping by the project tag shows no other project.
        let by_project = viewer
            .client
            .costs(&CostQuery {
                group_by: Some("tag:project".into()),
                ..september()
            })
            .await
            .unwrap();
        let keys: Vec<&str> = by_project.groups.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["web"], "{role}");
        // Its own project by id works; the client as a whole does not.
        let own = viewer
            .client
            .costs(&CostQuery {
                project_id: Some(w.web_id.clone()),
                ..september()
            })
            .await
            .unwrap();
        assert_eq!(own.total, Decimal::from(14));
        let whole = viewer
            .client
            .costs(&CostQuery {
                client_id: Some(w.client_id.clone()),
                ..september()
            })
            .await
            .unwrap_err();
        assert_eq!(whole.status(), Some(403));
        // What is kept per client is out of reach: imports, cloud accounts, allocation rules,
        // monthly reports of everything.
        assert!(
            viewer
                .client
                .list_cost_imports(None, &PageQuery::default())
                .await
                .unwrap()
                .items
                .is_empty()
        );
        assert!(
            viewer
                .client
                .list_cloud_accounts(&PageQuery::default())
                .await
                .unwrap()
                .items
                .is_empty()
        );
        assert!(
            viewer
                .client
                .list_allocation_rules(None, &PageQuery::default())
                .await
                .unwrap()
                .items
                .is_empty()
        );
        let month = viewer
            .client
            .monthly_report(&MonthlyReportQuery {
                period: "2024-09".into(),
                ..MonthlyReportQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(month.total, Decimal::ZERO, "{role}");
    }
}

#[tokio::test]
async fn a_project_token_reads_only_its_projects_costs() {
    let w = world().await;
    let token = w
        .admin
        .client
        .create_token(&gmac_types::NewApiToken {
            name: "web only".into(),
            scopes: vec![gmac_types::Permission::CostsView],
            expires_in_days: 7,
            scope: Some(Scope::Project {
                id: w.web_id.clone(),
            }),
        })
        .await
        .unwrap();
    let script = w.app.new_client().with_token(token.token.expose());
    assert_eq!(
        script.costs(&september()).await.unwrap().total,
        Decimal::from(14)
    );
    assert!(
        script
            .list_cost_imports(None, &PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn people_are_named_only_inside_the_callers_scope() {
    let w = world().await;
    let other_client = w.app.fixture(&w.admin).client("Globex").await;
    let outsider = w
        .app
        .fixture(&w.admin)
        .member(
            "outsider@globex.example",
            "developer",
            Scope::Client {
                id: other_client.clone(),
            },
        )
        .await;
    let outsider_id = outsider.client.me().await.unwrap().id;
    let insider = w
        .app
        .fixture(&w.admin)
        .member(
            "insider@acme.example",
            "developer",
            Scope::Project {
                id: w.web_id.clone(),
            },
        )
        .await;
    let insider_id = insider.client.me().await.unwrap().id;
    let viewer = w
        .app
        .fixture(&w.admin)
        .member(
            "billing@acme.example",
            "billing_manager",
            Scope::Client {
                id: w.client_id.clone(),
            },
        )
        .await;
    let people = viewer.client.cost_people().await.unwrap();
    let ids: Vec<&str> = people.users.iter().map(|u| u.id.as_str()).collect();
    assert!(ids.contains(&insider_id.as_str()), "{ids:?}");
    assert!(!ids.contains(&outsider_id.as_str()), "{ids:?}");
    // Another tenant's user is unknown to a report, not named.
    let err = viewer
        .client
        .monthly_report(&MonthlyReportQuery {
            period: "2024-09".into(),
            user_id: Some(outsider_id.clone()),
            ..MonthlyReportQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert!(!format!("{err:?}").contains("outsider"));

    // A client's admin lists that client's people, not the other tenant's.
    let admin = w
        .app
        .fixture(&w.admin)
        .member(
            "admin@acme.example",
            "admin",
            Scope::Client {
                id: w.client_id.clone(),
            },
        )
        .await;
    let users = admin
        .client
        .list_users(&gmac_types::ListQuery::default())
        .await
        .unwrap();
    let emails: Vec<&str> = users.items.iter().map(|u| u.email.as_str()).collect();
    assert!(emails.contains(&"insider@acme.example"), "{emails:?}");
    assert!(!emails.contains(&"outsider@globex.example"), "{emails:?}");
    assert_eq!(
        admin
            .client
            .get_user(&outsider_id)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
}
