//! Cost Explorer sync through the real AWS SDK against the moto server: every page read,
//! the injected results stored exactly, restated days replaced, credentials sealed.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use gmac_tests::moto::MotoServer;
use gmac_tests::{Options, Session, TestApp, spawn_app, spawn_app_with};
use gmac_types::PageQuery;
use gmac_types::{CostQuery, CostSync, NewCloudAccount};
use rust_decimal::Decimal;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 9, n).unwrap()
}

fn metric(amount: &str) -> Value {
    json!({"Amount": amount, "Unit": "USD"})
}

/// One day of results: its groups of (service, account, unblended cost).
type Day<'a> = (NaiveDate, Vec<(&'a str, &'a str, &'a str)>);

/// A `GetCostAndUsage` page.
fn page(days: &[Day<'_>], next: Option<&str>) -> Value {
    let results: Vec<Value> = days
        .iter()
        .map(|(d, groups)| {
            json!({
                "TimePeriod": {"Start": d.to_string(), "End": (*d + Duration::days(1)).to_string()},
                "Total": {},
                "Estimated": false,
                "Groups": groups.iter().map(|(service, account, amount)| json!({
                    "Keys": [service, account],
                    "Metrics": {
                        "UnblendedCost": metric(amount),
                        "AmortizedCost": metric(amount),
                        "NetUnblendedCost": metric(amount),
                    }
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut answer = json!({
        "GroupDefinitions": [
            {"Type": "DIMENSION", "Key": "SERVICE"},
            {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}
        ],
        "ResultsByTime": results,
        "DimensionValueAttributes": [],
    });
    if let Some(token) = next {
        answer["NextPageToken"] = json!(token);
    }
    answer
}

async fn wait_for_sync(admin: &Session, account: &str) -> CostSync {
    for _ in 0..200 {
        let syncs = admin
            .client
            .list_cost_syncs(account, &PageQuery::default())
            .await
            .unwrap()
            .items;
        if let Some(last) = syncs.first()
            && last.status != "running"
        {
            return last.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the sync did not finish");
}

async fn by(admin: &Session, group_by: &str) -> Vec<(String, Decimal)> {
    admin
        .client
        .costs(&CostQuery {
            from: day(1),
            to: day(30),
            group_by: Some(group_by.to_owned()),
            ..CostQuery::default()
        })
        .await
        .unwrap()
        .groups
        .into_iter()
        .map(|g| (g.key, g.amount))
        .collect()
}

async fn setup(moto: &MotoServer) -> (TestApp, Session, String) {
    // A sync started by hand is a job: a worker runs it, as in `gmac serve`.
    let app = spawn_app_with(Options {
        clock_start: Some(Utc.with_ymd_and_hms(2024, 9, 20, 6, 0, 0).unwrap()),
        job_worker: true,
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let account = admin
        .client
        .create_cloud_account(&NewCloudAccount {
            client_id,
            name: "Payer".into(),
            access_key_id: Some("AKIATESTINGKEY1234".into()),
            secret_access_key: Some("testing-secret-value".into()),
            role_arn: None,
            external_id: None,
            region: None,
            endpoint_url: Some(moto.url()),
            group_by: None,
            resync_days: Some(14),
            test: None,
        })
        .await
        .unwrap();
    assert_eq!(account.access_key_hint.as_deref(), Some("1234"));
    (app, admin, account.id)
}

#[tokio::test]
async fn a_sync_reads_every_page_and_stores_the_injected_costs_exactly() {
    let moto = MotoServer::start().await;
    let (app, admin, account) = setup(&moto).await;

    // The connection test asks for yesterday; moto answers.
    let test = admin.client.test_cloud_account(&account).await.unwrap();
    assert!(test.ok, "{}", test.detail);

    // 6 to 19 September, over two pages.
    let first: Vec<_> = (6..=12)
        .map(|d| {
            (
                day(d),
                vec![("Amazon EC2", "111111111111", "10.0000000001")],
            )
        })
        .collect();
    let second: Vec<_> = (13..=19)
        .map(|d| {
            (
                day(d),
                vec![
                    ("Amazon EC2", "111111111111", "10.0000000001"),
                    ("Amazon S3", "222222222222", "0.3333333333"),
                ],
            )
        })
        .collect();
    moto.queue_cost_and_usage(vec![page(&first, Some("page-2")), page(&second, None)])
        .await;
    let started = admin.client.start_cost_sync(&account).await.unwrap();
    assert_eq!(started.status, "running");
    let done = wait_for_sync(&admin, &account).await;
    assert_eq!(done.status, "succeeded", "{:?}", done.error);
    assert_eq!((done.pages, done.rows), (2, 21));
    assert_eq!((done.from, done.to), (day(6), day(19)));

    let ec2 = Decimal::new(100_000_000_001, 10) * Decimal::from(14);
    let s3 = Decimal::new(3_333_333_333, 10) * Decimal::from(7);
    assert_eq!(
        by(&admin, "service").await,
        [("Amazon EC2".to_owned(), ec2), ("Amazon S3".to_owned(), s3)]
    );
    assert_eq!(
        by(&admin, "account").await,
        [
            ("111111111111".to_owned(), ec2),
            ("222222222222".to_owned(), s3)
        ]
    );

    // A day later, AWS restates the 19th and adds the 20th; the 6th stays as it was.
    app.advance(chrono::Duration::days(1));
    // Access tokens last minutes: sign in again.
    let admin = app.sign_in(&admin.email, &admin.password).await;
    let restated: Vec<_> = (7..=20)
        .map(|d| {
            let ec2 = if d == 19 { "20" } else { "10.0000000001" };
            (day(d), vec![("Amazon EC2", "111111111111", ec2)])
        })
        .collect();
    moto.queue_cost_and_usage(vec![page(&restated, None)]).await;
    admin.client.start_cost_sync(&account).await.unwrap();
    let done = wait_for_sync(&admin, &account).await;
    assert_eq!(done.status, "succeeded", "{:?}", done.error);
    let ec2_now = Decimal::new(100_000_000_001, 10) * Decimal::from(14) + Decimal::from(20);
    assert_eq!(
        by(&admin, "service").await,
        [("Amazon EC2".to_owned(), ec2_now)],
        "S3 vanished from the re-read days"
    );
    let days = by(&admin, "day").await;
    assert_eq!(days.len(), 15, "6 to 20 September");

    // The credentials are sealed: not in the row as text, never in the API.
    let row = gmac_core::entities::cloud_account::Entity::find_by_id(&account)
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!row.sealed_credentials.contains("testing-secret-value"));
    let listed = serde_json::to_string(
        &admin
            .client
            .list_cloud_accounts(&PageQuery::default())
            .await
            .unwrap()
            .items,
    )
    .unwrap();
    assert!(!listed.contains("testing-secret-value") && !listed.contains("AKIATESTINGKEY"));
}

#[tokio::test]
async fn a_failing_endpoint_fails_the_sync_visibly_and_stores_nothing() {
    let moto = MotoServer::start().await;
    let (_app, admin, account) = setup(&moto).await;
    drop(moto);
    let test = admin.client.test_cloud_account(&account).await.unwrap();
    assert!(!test.ok);
    // One line for people, not the SDK's debug dump, and not whether the port was closed or
    // filtered (that goes to the log).
    assert!(
        test.detail == "Cost Explorer cannot be reached at its endpoint"
            && !test.detail.contains('\n'),
        "{}",
        test.detail
    );
    admin.client.start_cost_sync(&account).await.unwrap();
    let done = wait_for_sync(&admin, &account).await;
    assert_eq!(done.status, "failed");
    assert_eq!(done.error.as_deref(), Some(test.detail.as_str()));
    assert!(by(&admin, "service").await.is_empty());
}

#[tokio::test]
async fn an_endpoint_that_accepts_and_never_answers_fails_the_test_instead_of_hanging() {
    // A listener that takes connections and says nothing (as a database port does to HTTP).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in silent.incoming().take(8) {
            open.push(stream);
        }
        open
    });
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let account = admin
        .client
        .create_cloud_account(&account_at(&client_id, &url))
        .await
        .unwrap();
    let test = admin.client.test_cloud_account(&account.id).await.unwrap();
    assert!(!test.ok);
    assert_eq!(
        test.detail,
        "Cost Explorer cannot be reached at its endpoint"
    );
    drop(held);
}

fn account_at(client_id: &str, endpoint: &str) -> NewCloudAccount {
    NewCloudAccount {
        client_id: client_id.to_owned(),
        name: "Probe".into(),
        access_key_id: Some("AKIATESTINGKEY1234".into()),
        secret_access_key: Some("testing-secret-value".into()),
        role_arn: None,
        external_id: None,
        region: None,
        endpoint_url: Some(endpoint.to_owned()),
        group_by: None,
        resync_days: None,
        test: None,
    }
}

#[tokio::test]
async fn a_cloud_endpoint_on_an_internal_address_is_refused_without_a_connection() {
    // The install allows no internal network.
    let app = spawn_app_with(Options {
        configure: Some(Box::new(|c| c.egress.allow.clear())),
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    // Something listens here; a closed port is one above it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let open = listener.local_addr().unwrap().port();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut details = Vec::new();
    for endpoint in [
        format!("http://127.0.0.1:{open}"),
        format!("http://127.0.0.1:{closed}"),
        format!("http://localhost:{open}"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::ffff:169.254.169.254]/".to_owned(),
        "http://10.0.0.1:8080".to_owned(),
        "http://2130706433/".to_owned(),
    ] {
        let err = admin
            .client
            .create_cloud_account(&account_at(&client_id, &endpoint))
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(422), "{endpoint}: {err:?}");
        let problem = err.problem().unwrap();
        assert_eq!(problem.errors[0].pointer, "/endpoint_url");
        assert_eq!(problem.errors[0].code, "egress_denied");
        details.push(problem.errors[0].detail.replace(&open.to_string(), "P"));
    }
    // The open and the closed port get the same answer, and nothing connected to the listener.
    assert_eq!(
        details[0].replace("127.0.0.1", ""),
        details[1]
            .replace(&closed.to_string(), "P")
            .replace("127.0.0.1", "")
    );
    assert!(listener.accept().is_err(), "gmac connected to the listener");
    assert!(
        admin
            .client
            .list_cloud_accounts(&PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn an_account_whose_endpoint_became_internal_is_neither_tested_nor_synced() {
    // Connected while the emulator's network was allowed; the install no longer allows it.
    let moto = MotoServer::start().await;
    let (app, admin, account) = setup(&moto).await;
    let stricter = spawn_app_with(Options {
        database_url: Some(app.database_url.clone()),
        master_key: Some(app.master_key.clone()),
        configure: Some(Box::new(|c| c.egress.allow.clear())),
        ..Options::default()
    })
    .await;
    let same_admin = stricter.sign_in(&admin.email, &admin.password).await;
    let test = same_admin
        .client
        .test_cloud_account(&account)
        .await
        .unwrap();
    assert!(!test.ok);
    assert!(test.detail.contains("internal address"), "{}", test.detail);
}

#[tokio::test]
async fn an_access_key_id_that_could_not_travel_in_a_header_is_refused_field_by_field() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    for key in ["AK\u{e9}\u{1}", "AKIA EXAMPLE", "AKIA\nX"] {
        let mut account = account_at(&client_id, "http://127.0.0.1:9/");
        account.access_key_id = Some(key.to_owned());
        let err = admin
            .client
            .create_cloud_account(&account)
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(422), "{key:?}");
        assert_eq!(
            err.problem().unwrap().errors[0].code,
            "invalid_access_key_id"
        );
    }
    // The server is still there.
    admin.client.me().await.unwrap();
}

/// Issue 10, point 9: connecting can test the credentials first, and keeps the outcome; a
/// test run later replaces it.
#[tokio::test]
async fn a_connection_tested_before_saving_keeps_its_outcome_and_a_failed_one_saves_nothing() {
    let moto = MotoServer::start().await;
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;

    // Nothing answers there: refused, and nothing is saved.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let refused = admin
        .client
        .create_cloud_account(&NewCloudAccount {
            test: Some(true),
            ..account_at(&client_id, &nowhere)
        })
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(422), "{refused:?}");
    let problem = refused.problem().unwrap();
    assert_eq!(problem.errors[0].pointer, "/test");
    assert_eq!(problem.errors[0].code, "connection_failed");
    assert!(
        problem.errors[0]
            .detail
            .contains("Cost Explorer cannot be reached at its endpoint"),
        "{problem:?}"
    );
    let listed = admin
        .client
        .list_cloud_accounts(&PageQuery::default())
        .await
        .unwrap();
    assert!(listed.items.is_empty(), "nothing saved: {listed:?}");

    // Cost Explorer answers: saved, with the test's outcome.
    let account = admin
        .client
        .create_cloud_account(&NewCloudAccount {
            test: Some(true),
            ..account_at(&client_id, &moto.url())
        })
        .await
        .unwrap();
    let test = account.last_test.expect("the test is kept");
    assert!(test.ok, "{test:?}");
    assert!(test.detail.contains("Cost Explorer answered"), "{test:?}");
    let listed = admin
        .client
        .list_cloud_accounts(&PageQuery::default())
        .await
        .unwrap();
    assert_eq!(listed.items[0].last_test.as_ref(), Some(&test));

    // Later the endpoint goes: a test says so, and the list shows the new outcome.
    drop(moto);
    let again = admin.client.test_cloud_account(&account.id).await.unwrap();
    assert!(!again.ok);
    let listed = admin
        .client
        .list_cloud_accounts(&PageQuery::default())
        .await
        .unwrap();
    let last = listed.items[0].last_test.clone().unwrap();
    assert!(!last.ok && last.detail == again.detail, "{last:?}");
    let audit = admin
        .client
        .list_audit_events(&gmac_types::AuditQuery {
            action: Some("cloud_account.test".into()),
            ..gmac_types::AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 1, "the test is audited: {audit:?}");
}

/// Issue 10, point 3: an account's name, region and days re-synced change with `If-Match`;
/// a stale or bad change is refused and changes nothing; the credentials stay sealed.
#[tokio::test]
async fn a_cloud_account_is_changed_with_if_match_and_a_stale_or_bad_change_is_refused() {
    use gmac_types::CloudAccountPatch;
    let app = gmac_tests::spawn_app().await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let account = admin
        .client
        .create_cloud_account(&account_at(&client_id, "http://127.0.0.1:9"))
        .await
        .unwrap();
    let changed = admin
        .client
        .update_cloud_account(
            &account.id,
            &CloudAccountPatch {
                name: Some("Acme payer".into()),
                region: Some("eu-west-1".into()),
                resync_days: Some(30),
            },
            Some(account.version),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            changed.name.as_str(),
            changed.region.as_str(),
            changed.resync_days,
            changed.version
        ),
        ("Acme payer", "eu-west-1", 30, account.version + 1)
    );
    assert_eq!(
        changed.access_key_hint, account.access_key_hint,
        "credentials stay"
    );
    let stale = admin
        .client
        .update_cloud_account(
            &account.id,
            &CloudAccountPatch {
                name: Some("Mine".into()),
                ..CloudAccountPatch::default()
            },
            Some(account.version),
        )
        .await
        .unwrap_err();
    assert_eq!(stale.status(), Some(412));
    let bad = admin
        .client
        .update_cloud_account(
            &account.id,
            &CloudAccountPatch {
                resync_days: Some(91),
                region: Some("not a region!".into()),
                ..CloudAccountPatch::default()
            },
            Some(changed.version),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(422));
    let problem = bad.problem().unwrap();
    let pointers: Vec<&str> = problem.errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(pointers, ["/region", "/resync_days"]);
    let now = admin
        .client
        .list_cloud_accounts(&PageQuery::default())
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(
        (now.name.as_str(), now.version),
        ("Acme payer", changed.version)
    );
}
