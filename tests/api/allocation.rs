//! Cost allocation on the real FOCUS sample: hand assignments beat rules, rules apply in
//! order, what no rule claims is Unallocated, shared costs split exactly, and changing the
//! rules re-allocates history.

use std::collections::BTreeMap;
use std::str::FromStr;

use gmac_tests::{Session, TestApp, spawn_app};
use gmac_types::{
    Allocation, CostImportParams, CostQuery, NewAllocationRule, NewClient, NewResourceAssignment,
    NewTeam, NewUser, OnRowError, ShareMethod, Subject, SubjectKind,
};
use rust_decimal::Decimal;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/focus/focus-1.0-sample.csv"
);
const HAND_PICKED: &str = "i-037929a54982e113l";

/// One row of the sample: resource, service, tags (keys trimmed), billed cost.
struct Row {
    resource: String,
    service: String,
    tags: BTreeMap<String, String>,
    billed: Decimal,
}

fn rows() -> Vec<Row> {
    let mut reader = csv::Reader::from_path(SAMPLE).unwrap();
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (resource, service, tags, billed) = (
        at("ResourceId"),
        at("ServiceName"),
        at("Tags"),
        at("BilledCost"),
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let raw: BTreeMap<String, serde_json::Value> =
                serde_json::from_str(&r[tags]).unwrap_or_default();
            Row {
                resource: r[resource].to_owned(),
                service: r[service].to_owned(),
                tags: raw
                    .into_iter()
                    .map(|(k, v)| (k.trim().to_owned(), v.as_str().unwrap_or("").to_owned()))
                    .collect(),
                billed: Decimal::from_str(&r[billed]).unwrap(),
            }
        })
        .collect()
}

fn september() -> CostQuery {
    CostQuery {
        from: "2024-08-01".parse().unwrap(),
        to: "2024-10-31".parse().unwrap(),
        ..CostQuery::default()
    }
}

async fn by(session: &Session, group_by: &str) -> BTreeMap<String, Decimal> {
    let report = session
        .client
        .costs(&CostQuery {
            group_by: Some(group_by.to_owned()),
            ..september()
        })
        .await
        .unwrap();
    let sum: Decimal = report.groups.iter().map(|g| g.amount).sum();
    assert_eq!(
        sum, report.total,
        "the groups add up to the total ({group_by})"
    );
    report
        .groups
        .into_iter()
        .map(|g| (g.label.unwrap_or(g.key), g.amount))
        .collect()
}

struct Fixture {
    app: TestApp,
    admin: Session,
    client_id: String,
    sameer: String,
    ada: String,
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let client_id = admin
        .client
        .create_client(&NewClient {
            name: "Acme".into(),
            description: None,
        })
        .await
        .unwrap()
        .id;
    admin
        .client
        .import_costs(
            &CostImportParams {
                client_id: client_id.clone(),
                on_error: OnRowError::Reject,
                file_name: None,
            },
            std::fs::read(SAMPLE).unwrap(),
        )
        .await
        .unwrap();
    let mut users = Vec::new();
    for (email, name) in [
        ("sameer@example.com", "Sameer"),
        ("grace@example.com", "Grace"),
    ] {
        users.push(
            admin
                .client
                .create_user(&NewUser {
                    email: email.into(),
                    display_name: name.into(),
                    password: "a long test password".into(),
                })
                .await
                .unwrap()
                .id,
        );
    }
    admin
        .client
        .create_team(&NewTeam {
            name: "Trey".into(),
            description: None,
        })
        .await
        .unwrap();
    Fixture {
        app,
        admin,
        client_id,
        ada: users.pop().unwrap(),
        sameer: users.pop().unwrap(),
    }
}

fn rule(
    name: &str,
    tag_key: &str,
    tag_value: Option<&str>,
    allocation: Allocation,
) -> NewAllocationRule {
    NewAllocationRule {
        client_id: None,
        name: name.into(),
        position: None,
        tag_key: Some(tag_key.into()),
        tag_value: tag_value.map(str::to_owned),
        account: None,
        service: None,
        allocation,
    }
}

#[tokio::test]
async fn rules_in_order_after_hand_assignments_and_the_rest_unallocated() {
    let f = fixture().await;
    let all = rows();
    let total: Decimal = all.iter().map(|r| r.billed).sum();

    // Before any rule, everything is unallocated.
    assert_eq!(
        by(&f.admin, "user").await,
        BTreeMap::from([("Unallocated".to_owned(), total)])
    );

    f.admin
        .client
        .create_allocation_rule(&rule(
            "Sameer's tests",
            "CostAllocationTest",
            Some("Sameer"),
            Allocation::Assign {
                to: Subject {
                    kind: SubjectKind::User,
                    id: f.sameer.clone(),
                },
            },
        ))
        .await
        .unwrap();
    f.admin
        .client
        .create_allocation_rule(&rule(
            "Org tag names the team",
            "org",
            None,
            Allocation::FromTag {
                kind: SubjectKind::Team,
            },
        ))
        .await
        .unwrap();
    f.admin
        .client
        .assign_resource(&NewResourceAssignment {
            client_id: f.client_id.clone(),
            resource_id: HAND_PICKED.into(),
            to: Subject {
                kind: SubjectKind::User,
                id: f.ada.clone(),
            },
        })
        .await
        .unwrap();

    // The same precedence, computed independently from the file.
    let (mut ada, mut sameer, mut trey) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for row in &all {
        if row.resource == HAND_PICKED {
            ada += row.billed;
        } else if row.tags.get("CostAllocationTest").map(String::as_str) == Some("Sameer") {
            sameer += row.billed;
        } else if row
            .tags
            .get("org")
            .is_some_and(|v| v.eq_ignore_ascii_case("trey"))
        {
            trey += row.billed;
        }
    }
    assert!(ada > Decimal::ZERO && sameer > Decimal::ZERO && trey > Decimal::ZERO);
    let users = by(&f.admin, "user").await;
    assert_eq!(users.get("Grace"), Some(&ada));
    assert_eq!(users.get("Sameer"), Some(&sameer));
    // The team's costs are not a user's: they count as unallocated among users.
    assert_eq!(users.get("Unallocated"), Some(&(total - ada - sameer)));
    let teams = by(&f.admin, "team").await;
    assert_eq!(teams.get("Trey"), Some(&trey));
    assert_eq!(teams.get("Unallocated"), Some(&(total - trey)));

    // A user's bill, by service, adds up to what they were allocated.
    let bill = f
        .admin
        .client
        .costs(&CostQuery {
            user_id: Some(f.sameer.clone()),
            group_by: Some("service".into()),
            ..september()
        })
        .await
        .unwrap();
    assert_eq!(bill.total, sameer);
    assert!(bill.groups.iter().all(|g| g.amount != Decimal::ZERO));

    // Deleting a rule re-allocates history.
    let rules = f.admin.client.list_allocation_rules(None).await.unwrap();
    assert_eq!(rules.iter().map(|r| r.position).collect::<Vec<_>>(), [1, 2]);
    f.admin
        .client
        .delete_allocation_rule(&rules[1].id)
        .await
        .unwrap();
    assert_eq!(
        by(&f.admin, "team").await,
        BTreeMap::from([("Unallocated".to_owned(), total)])
    );
    assert_eq!(by(&f.admin, "user").await.get("Sameer"), Some(&sameer));
    drop(f.app);
}

#[tokio::test]
async fn shared_costs_split_exactly_among_those_with_direct_costs() {
    let f = fixture().await;
    let total: Decimal = rows().iter().map(|r| r.billed).sum();
    f.admin
        .client
        .create_allocation_rule(&rule(
            "Sameer's tests",
            "CostAllocationTest",
            Some("Sameer"),
            Allocation::Assign {
                to: Subject {
                    kind: SubjectKind::User,
                    id: f.sameer.clone(),
                },
            },
        ))
        .await
        .unwrap();
    let before = by(&f.admin, "user").await;
    // CloudWatch is shared, ahead of every other rule.
    f.admin
        .client
        .create_allocation_rule(&NewAllocationRule {
            client_id: Some(f.client_id.clone()),
            name: "Monitoring is shared".into(),
            position: Some(1),
            tag_key: None,
            tag_value: None,
            account: None,
            service: Some("AmazonCloudWatch".into()),
            allocation: Allocation::Share {
                among: vec![
                    Subject {
                        kind: SubjectKind::User,
                        id: f.sameer.clone(),
                    },
                    Subject {
                        kind: SubjectKind::User,
                        id: f.ada.clone(),
                    },
                ],
                method: ShareMethod::Even,
            },
        })
        .await
        .unwrap();
    let after = by(&f.admin, "user").await;
    assert_eq!(after.values().copied().sum::<Decimal>(), total);
    let cloudwatch = f
        .admin
        .client
        .costs(&CostQuery {
            service: Some("AmazonCloudWatch".into()),
            ..september()
        })
        .await
        .unwrap()
        .total;
    let ada = after.get("Grace").copied().unwrap_or_default();
    // Each rollup row of CloudWatch cost is split in two to the last unit, so the halves differ
    // by at most one unit (10⁻¹¹) a row.
    let sameer_share = after["Sameer"] - before["Sameer"]
        + rows()
            .iter()
            .filter(|r| {
                r.service == "AmazonCloudWatch"
                    && r.tags.get("CostAllocationTest").map(String::as_str) == Some("Sameer")
            })
            .map(|r| r.billed)
            .sum::<Decimal>();
    assert_eq!(ada + sameer_share, cloudwatch);
    assert!(
        (ada - sameer_share).abs() <= Decimal::new(1000, 11),
        "{ada} vs {sameer_share}"
    );
    let rules = f
        .admin
        .client
        .list_allocation_rules(Some(&f.client_id))
        .await
        .unwrap();
    assert_eq!(rules[0].name, "Monitoring is shared");
}

#[tokio::test]
async fn bad_rules_are_refused_field_by_field() {
    let f = fixture().await;
    let refused = f
        .admin
        .client
        .create_allocation_rule(&NewAllocationRule {
            client_id: None,
            name: " ".into(),
            position: None,
            tag_key: None,
            tag_value: Some("x".into()),
            account: None,
            service: None,
            allocation: Allocation::Assign {
                to: Subject {
                    kind: SubjectKind::Team,
                    id: "01900000-0000-7000-8000-000000000000".into(),
                },
            },
        })
        .await
        .unwrap_err();
    let pointers: Vec<String> = refused
        .problem()
        .unwrap()
        .errors
        .iter()
        .map(|e| e.pointer.clone())
        .collect();
    assert_eq!(
        pointers,
        ["/name", "/tag_key", "/tag_value", "/allocation/to"]
    );
    let no_key = f
        .admin
        .client
        .create_allocation_rule(&NewAllocationRule {
            service: Some("S3".into()),
            ..rule(
                "x",
                "k",
                None,
                Allocation::FromTag {
                    kind: SubjectKind::User,
                },
            )
        })
        .await;
    assert!(
        no_key.is_ok(),
        "a tag key with any value may name the owner"
    );
    let mixed = f
        .admin
        .client
        .costs(&CostQuery {
            group_by: Some("region".into()),
            user_id: Some(f.ada.clone()),
            ..september()
        })
        .await
        .unwrap_err();
    assert_eq!(mixed.problem().unwrap().errors[0].pointer, "/group_by");
}

#[tokio::test]
async fn a_months_invoices_add_up_to_its_billed_cost_exactly() {
    let f = fixture().await;
    f.admin
        .client
        .create_allocation_rule(&rule(
            "Sameer's tests",
            "CostAllocationTest",
            Some("Sameer"),
            Allocation::Assign {
                to: Subject {
                    kind: SubjectKind::User,
                    id: f.sameer.clone(),
                },
            },
        ))
        .await
        .unwrap();
    let invoice = |user: String| gmac_types::InvoiceQuery {
        user_id: user,
        period: "2024-09".into(),
        client_id: None,
    };
    let sameer = f
        .admin
        .client
        .invoice(&invoice(f.sameer.clone()))
        .await
        .unwrap();
    let rest = f
        .admin
        .client
        .invoice(&invoice("unallocated".into()))
        .await
        .unwrap();
    assert_eq!(sameer.user_name, "Sameer");
    assert!(sameer.number.starts_with("INV-2024-09-"));
    assert_eq!(
        sameer.lines.iter().map(|l| l.amount).sum::<Decimal>(),
        sameer.total
    );
    assert_eq!(
        rest.lines.iter().map(|l| l.amount).sum::<Decimal>(),
        rest.total
    );
    let september = f
        .admin
        .client
        .costs(&CostQuery {
            from: "2024-09-01".parse().unwrap(),
            to: "2024-09-30".parse().unwrap(),
            ..CostQuery::default()
        })
        .await
        .unwrap()
        .total;
    assert_eq!(sameer.total + rest.total, september);

    // The same invoice as a PDF document.
    let pdf = f
        .app
        .http()
        .get(f.app.url(&format!(
            "/api/v1/invoices?user_id={}&period=2024-09",
            f.sameer
        )))
        .bearer_auth(&f.admin.access_token)
        .header("Accept", "application/pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(
        text.contains(&format!("({})", sameer.number)),
        "the invoice number"
    );
    assert!(
        text.contains(&format!("({} USD)", sameer.total.round_dp(2))),
        "the total"
    );
    let nobody = f
        .admin
        .client
        .invoice(&invoice("01900000-0000-7000-8000-000000000000".into()))
        .await
        .unwrap_err();
    assert_eq!(nobody.status(), Some(404));
}
