//! FOCUS imports and cost reports. What a file must import as is checked twice: on the real
//! `FinOps` sample of `../shared/data/focus/` (skipped, by name, where it is absent) and on a
//! file of gmac's own generator; the expected values come from each file's own text.

use gmac_types::PageQuery;
use std::collections::BTreeSet;
use std::io::Write;
use std::str::FromStr;

use gmac_core::entities::{cost_daily, cost_import, cost_line_item};
use gmac_tests::{
    FocusRows, Session, TestApp, focus_sample, generated_focus, spawn_app, test_name,
};
use gmac_types::{
    CostImport, CostImportParams, CostMetric, CostQuery, NewClient, OnRowError, Scope,
};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

fn params(client_id: &str) -> CostImportParams {
    CostImportParams {
        client_id: client_id.to_owned(),
        on_error: OnRowError::Reject,
        file_name: Some("focus.csv".to_owned()),
    }
}

async fn admin_with_client(app: &TestApp) -> (Session, String) {
    let admin = app.super_admin().await;
    let client = admin
        .client
        .create_client(&NewClient {
            name: "Acme".into(),
            description: None,
        })
        .await
        .unwrap();
    (admin, client.id)
}

async fn counts(app: &TestApp) -> (u64, u64, u64) {
    let summary = gmac_core::entities::cost_summary::Entity::find()
        .count(&app.core.db)
        .await
        .unwrap();
    let daily = cost_daily::Entity::find()
        .count(&app.core.db)
        .await
        .unwrap();
    assert!(summary <= daily, "the coarse rollup is never larger");
    assert_eq!(summary == 0, daily == 0, "both rollups are filled together");
    (
        cost_import::Entity::find()
            .count(&app.core.db)
            .await
            .unwrap(),
        cost_line_item::Entity::find()
            .count(&app.core.db)
            .await
            .unwrap(),
        cost_daily::Entity::find()
            .count(&app.core.db)
            .await
            .unwrap(),
    )
}

fn september() -> CostQuery {
    CostQuery {
        from: "2024-08-01".parse().unwrap(),
        to: "2024-10-31".parse().unwrap(),
        ..CostQuery::default()
    }
}

#[tokio::test]
async fn a_focus_file_imports_every_row_with_exact_totals_once_on_the_real_focus_sample() {
    let Some(sample) = focus_sample(test_name!()) else {
        return;
    };
    let import = imports_every_row_with_exact_totals_once(std::fs::read(sample).unwrap()).await;
    // The sample's totals to the cent, fixed here: a check on the sums computed above too.
    assert_eq!(import.billed_cost_total.round_dp(2).to_string(), "20.52");
    assert_eq!(import.effective_cost_total.round_dp(2).to_string(), "14.98");
}

#[tokio::test]
async fn a_focus_file_imports_every_row_with_exact_totals_once_on_a_generated_focus_file() {
    imports_every_row_with_exact_totals_once(generated_focus()).await;
}

/// Imports `file` (then again, gzip'd) and checks the import, the rollups and every report
/// against the file's own rows and column sums.
async fn imports_every_row_with_exact_totals_once(file: Vec<u8>) -> CostImport {
    let rows = FocusRows::read(&file);
    let (billed, effective) = (rows.sum("BilledCost"), rows.sum("EffectiveCost"));
    let app = spawn_app().await;
    let (admin, client_id) = admin_with_client(&app).await;

    let (import, created) = admin
        .client
        .import_costs(&params(&client_id), file.clone())
        .await
        .unwrap();
    assert!(created);
    assert_eq!(import.rows_imported, rows.len());
    assert_eq!(import.rows_rejected, 0);
    assert_eq!(import.focus_version, "1.0");
    assert_eq!(import.currency, "USD");
    assert_eq!(import.billed_cost_total, billed);
    assert_eq!(import.effective_cost_total, effective);
    let (imports, lines, rollups) = counts(&app).await;
    assert_eq!((imports, lines), (1, rows.len()));
    assert!(rollups > 0 && rollups <= rows.len(), "{rollups}");

    // The same file again, even gzip'd, adds nothing.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&file).unwrap();
    let (again, created) = admin
        .client
        .import_costs(&params(&client_id), gz.finish().unwrap())
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.rows_imported, 0);
    assert_eq!(again.id, import.id);
    assert_eq!(counts(&app).await, (1, rows.len(), rollups));

    // The report, read from the rollups, matches the file to the last digit.
    let total = admin.client.costs(&september()).await.unwrap();
    assert_eq!(total.total, billed);
    assert!(total.groups.is_empty());
    let listed = admin
        .client
        .list_cost_imports(None, &PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].rows_imported, listed[0].focus_version.as_str()),
        (rows.len(), "1.0")
    );
    assert_eq!(listed[0].billed_cost_total, import.billed_cost_total);
    assert_eq!(listed[0].first_day, import.first_day);
    let by_effective = admin
        .client
        .costs(&CostQuery {
            metric: CostMetric::Effective,
            ..september()
        })
        .await
        .unwrap();
    assert_eq!(by_effective.total, effective);
    for group_by in ["service", "day", "month", "account", "provider", "tag:team"] {
        let report = admin
            .client
            .costs(&CostQuery {
                group_by: Some(group_by.to_owned()),
                ..september()
            })
            .await
            .unwrap();
        let sum: Decimal = report.groups.iter().map(|g| g.amount).sum();
        assert_eq!(sum, report.total, "{group_by}");
        assert_eq!(report.total, billed, "{group_by}");
        assert!(!report.groups.is_empty(), "{group_by}");
    }
    let by_provider = admin
        .client
        .costs(&CostQuery {
            group_by: Some("provider".to_owned()),
            ..september()
        })
        .await
        .unwrap();
    let providers: BTreeSet<String> = by_provider.groups.into_iter().map(|g| g.key).collect();
    assert_eq!(providers, rows.distinct("ProviderName"));
    import
}

/// `file` with two rows broken: a cost that is not a number, a period that ends before it
/// starts.
fn broken(file: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(file.to_vec()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Line 10 of the file (index 9): BilledCost is the second column.
    let mut cells = split_csv_line(&lines[9]);
    "abc".clone_into(&mut cells[1]);
    lines[9] = cells.join(",");
    // Line 20: ChargePeriodEnd (12th column) before ChargePeriodStart (13th).
    let mut cells = split_csv_line(&lines[19]);
    "\"2020-01-01 00:00:00\"".clone_into(&mut cells[11]);
    lines[19] = cells.join(",");
    (lines.join("\n") + "\n").into_bytes()
}

/// Splits one line of a FOCUS file (no embedded newlines) into raw cells, quotes kept.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => cells.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    cells.push(current);
    cells
}

#[tokio::test]
async fn bad_rows_are_refused_line_by_line_and_change_nothing_on_the_real_focus_sample() {
    let Some(sample) = focus_sample(test_name!()) else {
        return;
    };
    refuses_bad_rows_line_by_line(&std::fs::read(sample).unwrap()).await;
}

#[tokio::test]
async fn bad_rows_are_refused_line_by_line_and_change_nothing_on_a_generated_focus_file() {
    refuses_bad_rows_line_by_line(&generated_focus()).await;
}

/// Breaks lines 10 and 20 of `file`: refused as a whole with an error per line, or, when asked,
/// imported without them.
async fn refuses_bad_rows_line_by_line(file: &[u8]) {
    let valid = FocusRows::read(file).len() - 2;
    let app = spawn_app().await;
    let (admin, client_id) = admin_with_client(&app).await;
    let refused = admin
        .client
        .import_costs(&params(&client_id), broken(file))
        .await
        .unwrap_err();
    let problem = refused.problem().expect("a problem document");
    assert_eq!(problem.status, 422);
    let pointers: Vec<&str> = problem.errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        ["/lines/10/BilledCost", "/lines/20/ChargePeriodEnd"],
        "{:?}",
        problem.errors
    );
    assert!(problem.errors[0].detail.contains("line 10"));
    assert!(
        problem
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("2 rows break the FOCUS specification")),
        "{problem:?}"
    );
    assert_eq!(counts(&app).await, (0, 0, 0));

    // Asked to, the valid rows go in and the others are reported.
    let (import, created) = admin
        .client
        .import_costs(
            &CostImportParams {
                on_error: OnRowError::Skip,
                ..params(&client_id)
            },
            broken(file),
        )
        .await
        .unwrap();
    assert!(created);
    assert_eq!((import.rows_imported, import.rows_rejected), (valid, 2));
    assert_eq!(import.errors[0].line, 10);
    assert_eq!(import.errors[1].column.as_deref(), Some("ChargePeriodEnd"));
    assert_eq!(counts(&app).await.1, valid);
}

#[tokio::test]
async fn what_is_not_a_focus_file_is_refused_as_a_whole() {
    let app = spawn_app().await;
    let (admin, client_id) = admin_with_client(&app).await;
    for body in [
        b"name,amount\nEC2,12.50\n".to_vec(),
        Vec::new(),
        b"\x1f\x8b not really gzip".to_vec(),
    ] {
        let refused = admin
            .client
            .import_costs(&params(&client_id), body)
            .await
            .unwrap_err();
        let status = refused.status().unwrap();
        assert!(status == 422 || status == 400, "{status}: {refused:?}");
    }
    let header_only = admin
        .client
        .import_costs(
            &params(&client_id),
            b"BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory\n"
                .to_vec(),
        )
        .await
        .unwrap_err();
    assert_eq!(header_only.problem().unwrap().errors[0].pointer, "/file");
    assert_eq!(counts(&app).await, (0, 0, 0));
}

#[tokio::test]
async fn importing_needs_costs_manage_and_reports_stay_inside_scopes_on_the_real_focus_sample() {
    let Some(sample) = focus_sample(test_name!()) else {
        return;
    };
    imports_and_reports_inside_scopes(std::fs::read(sample).unwrap()).await;
}

#[tokio::test]
async fn importing_needs_costs_manage_and_reports_stay_inside_scopes_on_a_generated_focus_file() {
    imports_and_reports_inside_scopes(generated_focus()).await;
}

/// Who may import `file` for a client, and who sees its costs afterwards.
async fn imports_and_reports_inside_scopes(file: Vec<u8>) {
    let rows = FocusRows::read(&file);
    let app = spawn_app().await;
    let (admin, client_id) = admin_with_client(&app).await;
    let other = admin
        .client
        .create_client(&NewClient {
            name: "Globex".into(),
            description: None,
        })
        .await
        .unwrap();
    let viewer = app
        .fixture(&admin)
        .member("v@example.com", "viewer", Scope::Global)
        .await;
    let billing = app
        .fixture(&admin)
        .member(
            "b@example.com",
            "billing_manager",
            Scope::Client {
                id: client_id.clone(),
            },
        )
        .await;
    let stranger = app
        .fixture(&admin)
        .member(
            "s@example.com",
            "admin",
            Scope::Client {
                id: other.id.clone(),
            },
        )
        .await;

    let denied = viewer
        .client
        .import_costs(&params(&client_id), file.clone())
        .await
        .unwrap_err();
    assert_eq!(denied.status(), Some(403));
    let unknown = stranger
        .client
        .import_costs(&params(&client_id), file.clone())
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404));
    assert_eq!(counts(&app).await.0, 0);

    let (import, _) = billing
        .client
        .import_costs(&params(&client_id), file.clone())
        .await
        .unwrap();
    assert_eq!(import.rows_imported, rows.len());
    // The audit log names who imported what.
    let events = admin
        .client
        .list_audit_events(&gmac_types::AuditQuery {
            action: Some("cost_import.create".into()),
            ..gmac_types::AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(events.items.len(), 1);
    assert_eq!(
        events.items[0].actor_label.as_deref(),
        Some("b@example.com")
    );

    // Everyone with costs.view sees the costs where they hold it, and only there.
    assert_eq!(
        viewer.client.costs(&september()).await.unwrap().total,
        rows.sum("BilledCost")
    );
    assert_eq!(
        stranger.client.costs(&september()).await.unwrap().total,
        Decimal::ZERO
    );
    let hidden = stranger
        .client
        .costs(&CostQuery {
            client_id: Some(client_id.clone()),
            ..september()
        })
        .await
        .unwrap_err();
    assert_eq!(hidden.status(), Some(404));
    assert_eq!(
        stranger
            .client
            .list_cost_imports(None, &PageQuery::default())
            .await
            .unwrap()
            .items
            .len(),
        0
    );
    assert_eq!(
        billing
            .client
            .list_cost_imports(None, &PageQuery::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

#[tokio::test]
async fn bad_report_parameters_get_field_errors() {
    let app = spawn_app().await;
    let (admin, _) = admin_with_client(&app).await;
    let backwards = admin
        .client
        .costs(&CostQuery {
            from: "2024-09-30".parse().unwrap(),
            to: "2024-09-01".parse().unwrap(),
            group_by: Some("tag:bad'key".to_owned()),
            ..CostQuery::default()
        })
        .await
        .unwrap_err();
    let problem = backwards.problem().unwrap();
    let pointers: Vec<&str> = problem.errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(pointers, ["/to", "/group_by"]);
    let garbage = app
        .http()
        .get(app.url("/api/v1/costs?from=yesterday&to=2024-09-01"))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
}

#[tokio::test]
async fn deleting_a_client_deletes_its_costs_budgets_and_report_schedules() {
    // Any costs will do: the generated file, which every clone has.
    let app = spawn_app().await;
    let (admin, client_id) = admin_with_client(&app).await;
    admin
        .client
        .import_costs(&params(&client_id), generated_focus())
        .await
        .unwrap();
    let (imports, lines, rollups) = counts(&app).await;
    assert!(imports == 1 && lines > 0 && rollups > 0);
    admin
        .client
        .create_budget(&gmac_types::NewBudget {
            name: "Acme monthly".into(),
            scope: gmac_types::BudgetScope::Client {
                id: client_id.clone(),
            },
            period: gmac_types::BudgetPeriod::Monthly,
            amount: Decimal::from(100),
            currency: None,
            thresholds: None,
            notify: Some(Vec::new()),
        })
        .await
        .unwrap();
    admin
        .client
        .create_report_schedule(&gmac_types::NewReportSchedule {
            name: "Acme report".into(),
            subject: None,
            client_id: Some(client_id.clone()),
            cadence: gmac_types::ReportCadence::Monthly,
            format: gmac_types::ReportFormat::Pdf,
            recipients: vec!["cfo@example.com".into()],
        })
        .await
        .unwrap();
    admin.client.delete_client(&client_id, None).await.unwrap();
    assert_eq!(counts(&app).await, (0, 0, 0));
    assert_eq!(
        admin.client.costs(&september()).await.unwrap().total,
        Decimal::ZERO
    );
    assert!(
        admin
            .client
            .list_budgets(&PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        admin
            .client
            .list_report_schedules(&PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn upgrading_gives_owned_rows_their_owner_keys_and_drops_only_orphans() {
    use gmac_migrations::MigratorTrait;
    use sea_orm::ConnectionTrait;
    let database = gmac_tests::TestDatabase::create().await;
    let db = sea_orm::Database::connect(database.url()).await.unwrap();
    gmac_migrations::Migrator::up(&db, None).await.unwrap();
    // Back to before the owner keys, with a client's rows and rows whose owner is gone.
    gmac_tests::migrate_down_to_before(&db, "m20261212_000019_owned_rows").await;
    let run = |sql: &'static str| {
        let db = &db;
        async move { db.execute_unprepared(sql).await.unwrap() }
    };
    run(
        "INSERT INTO clients (id, name, name_key, description, created_at, updated_at, version) \
         VALUES ('c1', 'Acme', 'acme', '', '2024-09-01T00:00:00Z', '2024-09-01T00:00:00Z', 1)",
    )
    .await;
    run(
        "INSERT INTO budgets (id, name, scope_type, scope_id, client_id, period, amount_whole, \
         amount_frac, currency, thresholds, notify, created_by, created_at) VALUES \
         ('kept', 'Acme', 'client', 'c1', 'c1', 'monthly', 100, 0, 'USD', '[]', '[]', NULL, \
         '2024-09-01T00:00:00Z'), \
         ('global', 'All', 'global', NULL, NULL, 'monthly', 100, 0, 'USD', '[]', '[]', NULL, \
         '2024-09-01T00:00:00Z'), \
         ('orphan', 'Gone', 'client', 'gone', 'gone', 'monthly', 100, 0, 'USD', '[]', '[]', \
         NULL, '2024-09-01T00:00:00Z')",
    )
    .await;
    run(
        "INSERT INTO budget_history (budget_id, period_start, limit_whole, limit_frac, \
         actual_whole, actual_frac, updated_at) VALUES \
         ('kept', '2024-09-01', 100, 0, 5, 0, '2024-09-01T00:00:00Z'), \
         ('orphan', '2024-09-01', 100, 0, 5, 0, '2024-09-01T00:00:00Z'), \
         ('deleted long ago', '2024-09-01', 100, 0, 5, 0, '2024-09-01T00:00:00Z')",
    )
    .await;
    run(
        "INSERT INTO cost_resource_months (client_id, month, resource_id, currency, \
         billed_cost_whole, effective_cost_whole, list_cost_whole) VALUES \
         ('c1', '2024-09', 'i-1', 'USD', 1, 1, 1), ('gone', '2024-09', 'i-2', 'USD', 1, 1, 1)",
    )
    .await;
    gmac_migrations::Migrator::up(&db, None).await.unwrap();

    let count = |sql: &'static str| {
        let db = &db;
        async move {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    sql,
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    assert_eq!(count("SELECT count(*) FROM budgets").await, 2);
    assert_eq!(count("SELECT count(*) FROM budget_history").await, 1);
    assert_eq!(count("SELECT count(*) FROM cost_resource_months").await, 1);
    // From now on the database itself keeps them with their owner.
    run("DELETE FROM clients WHERE id = 'c1'").await;
    assert_eq!(
        count("SELECT count(*) FROM budgets WHERE id = 'global'").await,
        1
    );
    assert_eq!(count("SELECT count(*) FROM budgets").await, 1);
    assert_eq!(count("SELECT count(*) FROM budget_history").await, 0);
    assert_eq!(count("SELECT count(*) FROM cost_resource_months").await, 0);
    let orphan = db
        .execute_unprepared(
            "INSERT INTO cost_daily (client_id, day, dims_key, currency, provider_name, \
             billing_account_id, sub_account_id, service_name, service_category, region_id, \
             resource_id, charge_category, tags, billed_cost_whole, effective_cost_whole, \
             list_cost_whole, line_count) VALUES ('nobody', '2024-09-01', 'k', 'USD', 'AWS', \
             '', '', 'EC2', '', '', '', 'Usage', '{}', 1, 1, 1, 1)",
        )
        .await;
    assert!(orphan.is_err(), "a rollup row needs its client");
}

#[tokio::test]
async fn a_report_exports_as_csv_with_credits_as_numbers_and_formulas_defused() {
    let app = spawn_app().await;
    let (admin, client_id) = admin_with_client(&app).await;
    let file = "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName\n\
                10.50,10.50,USD,2024-09-01,2024-09-02,Usage,=HYPERLINK(\"http://evil\")\n\
                -2.25,-2.25,USD,2024-09-01,2024-09-02,Credit,Credits\n";
    admin
        .client
        .import_costs(&params(&client_id), file.as_bytes().to_vec())
        .await
        .unwrap();
    let response = app
        .http()
        .get(app.url("/api/v1/costs/export?from=2024-09-01&to=2024-09-30&group_by=service"))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "key,label,amount,currency");
    assert!(
        lines.contains(&"\"'=HYPERLINK(\"\"http://evil\"\")\",,10.5,USD"),
        "{text}"
    );
    assert!(lines.contains(&"Credits,,-2.25,USD"), "{text}");
    assert_eq!(lines.last(), Some(&"total,Total,8.25,USD"));
}

#[tokio::test]
async fn a_form_upload_imports_like_a_body_and_keeps_its_name_on_the_real_focus_sample() {
    let Some(sample) = focus_sample(test_name!()) else {
        return;
    };
    imports_from_a_form_like_a_body(std::fs::read(sample).unwrap()).await;
}

#[tokio::test]
async fn a_form_upload_imports_like_a_body_and_keeps_its_name_on_a_generated_focus_file() {
    imports_from_a_form_like_a_body(generated_focus()).await;
}

/// Uploads `file` in a multipart form, then as a plain body.
async fn imports_from_a_form_like_a_body(file: Vec<u8>) {
    let rows = FocusRows::read(&file);
    let app = spawn_app().await;
    let (admin, client_id) = admin_with_client(&app).await;
    let boundary = "gmac-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"september.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend(&file);
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let response = app
        .http()
        .post(app.url(&format!("/api/v1/cost-imports?client_id={client_id}")))
        .bearer_auth(&admin.access_token)
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let import: gmac_types::CostImport = response.json().await.unwrap();
    assert_eq!(import.rows_imported, rows.len());
    assert_eq!(import.file_name.as_deref(), Some("september.csv"));
    assert_eq!(import.billed_cost_total, rows.sum("BilledCost"));
    // The same file as a plain body is the same file.
    let (again, created) = admin
        .client
        .import_costs(&params(&client_id), file)
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, import.id);
}

#[tokio::test]
async fn reports_filter_by_tag_and_by_project() {
    let app = spawn_app().await;
    let (admin, client_id) = admin_with_client(&app).await;
    let file = "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName,SubAccountId,Tags\n\
        10,10,USD,2024-09-01T00:00:00Z,2024-09-02T00:00:00Z,Usage,EC2,a1,\"{\"\"project\"\":\"\"web\"\",\"\"env\"\":\"\"prod\"\"}\"\n\
        4,4,USD,2024-09-02T00:00:00Z,2024-09-03T00:00:00Z,Usage,S3,a1,\"{\"\"project\"\":\"\"web\"\",\"\"env\"\":\"\"dev\"\"}\"\n\
        7,7,USD,2024-09-02T00:00:00Z,2024-09-03T00:00:00Z,Usage,EC2,a1,\"{\"\"project\"\":\"\"batch\"\",\"\"env\"\":\"\"prod\"\"}\"\n\
        1,1,USD,2024-09-03T00:00:00Z,2024-09-04T00:00:00Z,Usage,EC2,a1,\n";
    admin
        .client
        .import_costs(&params(&client_id), file.as_bytes().to_vec())
        .await
        .unwrap();
    let web = admin
        .client
        .create_project(&gmac_types::NewProject {
            client_id: client_id.clone(),
            name: "web".into(),
            description: None,
        })
        .await
        .unwrap();
    let total = |query: CostQuery| {
        let admin = &admin;
        async move { admin.client.costs(&query).await.map(|r| r.total) }
    };
    let prod = CostQuery {
        tag: Some("env=prod".into()),
        ..september()
    };
    assert_eq!(total(prod.clone()).await.unwrap(), Decimal::from(17));
    let by_service = admin
        .client
        .costs(&CostQuery {
            group_by: Some("service".into()),
            ..prod
        })
        .await
        .unwrap();
    assert_eq!(by_service.groups.len(), 1, "only EC2 runs in prod");
    let project = CostQuery {
        project_id: Some(web.id.clone()),
        ..september()
    };
    assert_eq!(total(project.clone()).await.unwrap(), Decimal::from(14));
    assert_eq!(
        total(CostQuery {
            tag: Some("env=prod".into()),
            ..project
        })
        .await
        .unwrap(),
        Decimal::from(10)
    );
    // Malformed or meaningless filters are field errors, not empty reports.
    for (query, pointer) in [
        (
            CostQuery {
                tag: Some("env".into()),
                ..september()
            },
            "/tag",
        ),
        (
            CostQuery {
                project_id: Some("no-such-project".into()),
                ..september()
            },
            "/project_id",
        ),
        (
            CostQuery {
                tag: Some("env=prod".into()),
                group_by: Some("user".into()),
                ..september()
            },
            "/tag",
        ),
    ] {
        let err = admin.client.costs(&query).await.unwrap_err();
        assert_eq!(err.status(), Some(422));
        assert_eq!(err.problem().unwrap().errors[0].pointer, pointer);
    }
}

#[tokio::test]
async fn costs_by_resource_add_whole_months_and_edge_days_exactly() {
    let app = spawn_app().await;
    let (admin, client_id) = admin_with_client(&app).await;
    let mut file = String::from(
        "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName,ResourceId\n",
    );
    for (day, resource, amount) in [
        ("2024-08-05", "i-1", "100"),
        ("2024-08-15", "i-1", "1.25"),
        ("2024-09-10", "i-1", "2.5"),
        ("2024-09-11", "i-2", "4"),
        ("2024-10-05", "i-2", "8"),
        ("2024-10-25", "i-2", "100"),
    ] {
        let next = chrono::NaiveDate::from_str(day)
            .unwrap()
            .succ_opt()
            .unwrap();
        std::fmt::Write::write_fmt(
            &mut file,
            format_args!(
                "{amount},{amount},USD,{day}T00:00:00Z,{next}T00:00:00Z,Usage,EC2,{resource}\n"
            ),
        )
        .unwrap();
    }
    admin
        .client
        .import_costs(&params(&client_id), file.into_bytes())
        .await
        .unwrap();
    let by_resource = |service: Option<&str>| {
        let admin = &admin;
        let query = CostQuery {
            from: "2024-08-10".parse().unwrap(),
            to: "2024-10-20".parse().unwrap(),
            group_by: Some("resource".into()),
            service: service.map(str::to_owned),
            ..CostQuery::default()
        };
        async move {
            let report = admin.client.costs(&query).await.unwrap();
            let groups: Vec<(String, Decimal)> = report
                .groups
                .into_iter()
                .map(|g| (g.key, g.amount))
                .collect();
            (report.total, groups)
        }
    };
    // August 15 and October 5 are edge days, September a whole month; the 5th of August and
    // the 25th of October are outside.
    let expected = (
        Decimal::from_str("15.75").unwrap(),
        vec![
            ("i-2".to_owned(), Decimal::from(12)),
            ("i-1".to_owned(), Decimal::from_str("3.75").unwrap()),
        ],
    );
    assert_eq!(by_resource(None).await, expected);
    // A service filter reads the daily rows only: the same answer.
    assert_eq!(by_resource(Some("EC2")).await, expected);
}

/// Twelve services over two days of September and one of October: the stacks are the ten
/// largest and `(other)`, each day's parts add up to its bar, and the month bars too.
#[tokio::test]
async fn days_and_months_stack_by_service_or_tag_with_the_smallest_as_other() {
    let app = spawn_app().await;
    let (admin, client_id) = admin_with_client(&app).await;
    let mut file = String::from(
        "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName,SubAccountId,Tags\n",
    );
    // Service sN costs N + 1 a day on 1 and 2 September; s0 and s1 are the two smallest.
    for day in ["2024-09-01", "2024-09-02"] {
        let next = if day == "2024-09-01" {
            "2024-09-02"
        } else {
            "2024-09-03"
        };
        for n in 0..12 {
            let tags = if n % 2 == 0 {
                "\"{\"\"env\"\":\"\"prod\"\"}\""
            } else {
                ""
            };
            let cost = n + 1;
            file.push_str(
                &[
                    format!("{cost},{cost},USD,{day}T00:00:00Z,{next}T00:00:00Z"),
                    format!("Usage,s{n},a1,{tags}\n"),
                ]
                .join(","),
            );
        }
    }
    file.push_str("0.25,0.25,USD,2024-10-05T00:00:00Z,2024-10-06T00:00:00Z,Usage,s11,a1,\n");
    admin
        .client
        .import_costs(&params(&client_id), file.into_bytes())
        .await
        .unwrap();
    let by_day = admin
        .client
        .costs(&CostQuery {
            group_by: Some("day".into()),
            stack_by: Some("service".into()),
            ..september()
        })
        .await
        .unwrap();
    let keys: Vec<&str> = by_day.stacks.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "s11", "s10", "s9", "s8", "s7", "s6", "s5", "s4", "s3", "s2", "(other)"
        ],
        "the ten largest, then the rest"
    );
    assert_eq!(by_day.stacks[0].amount, Decimal::from_str("24.25").unwrap());
    assert_eq!(
        by_day.stacks[10].amount,
        Decimal::from(6),
        "s0 and s1: 2 × (1 + 2)"
    );
    assert_eq!(by_day.stacks[10].label.as_deref(), Some("Other"));
    let stacked: Decimal = by_day.stacks.iter().map(|s| s.amount).sum();
    assert_eq!(stacked, by_day.total);
    let days: Vec<&str> = by_day.groups.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(days, ["2024-09-01", "2024-09-02", "2024-10-05"]);
    for group in &by_day.groups {
        let parts: Decimal = group.parts.iter().map(|p| p.amount).sum();
        assert_eq!(parts, group.amount, "{}'s parts add up", group.key);
    }
    assert_eq!(by_day.groups[0].parts.len(), 11);
    assert_eq!(
        by_day.groups[2].parts,
        [gmac_types::CostPart {
            stack: "s11".into(),
            amount: Decimal::from_str("0.25").unwrap()
        }]
    );

    // Clients stack under their names.
    let by_client = admin
        .client
        .costs(&CostQuery {
            group_by: Some("day".into()),
            stack_by: Some("client".into()),
            ..september()
        })
        .await
        .unwrap();
    assert_eq!(by_client.stacks[0].label.as_deref(), Some("Acme"));

    // By month and tag: untagged costs stack as `(none)`.
    let by_month = admin
        .client
        .costs(&CostQuery {
            group_by: Some("month".into()),
            stack_by: Some("tag:env".into()),
            ..september()
        })
        .await
        .unwrap();
    let months: Vec<(&str, Decimal)> = by_month
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.amount))
        .collect();
    assert_eq!(
        months,
        [
            ("2024-09", Decimal::from(156)),
            ("2024-10", Decimal::from_str("0.25").unwrap())
        ]
    );
    let september_parts: Vec<(&str, Decimal)> = by_month.groups[0]
        .parts
        .iter()
        .map(|p| (p.stack.as_str(), p.amount))
        .collect();
    // prod: s0, s2, … s10 cost 1 + 3 + … + 11 = 36 a day.
    assert_eq!(
        september_parts,
        [("(none)", Decimal::from(84)), ("prod", Decimal::from(72))]
    );

    // The export gives a row per bar and stack.
    let response = app
        .http()
        .get(app.url(
            "/api/v1/costs/export?from=2024-08-01&to=2024-10-31&group_by=month&stack_by=tag:env",
        ))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "key,stack,label,amount,currency");
    assert!(lines.contains(&"2024-09,prod,prod,72,USD"), "{text}");
    assert!(lines.contains(&"2024-10,(none),(none),0.25,USD"), "{text}");
    assert_eq!(lines.last(), Some(&"total,,Total,156.25,USD"));

    // Stacks need bars of days or months, and are not themselves days or months.
    for (group_by, stack_by, code) in [
        (Some("service"), "region", "needs_dates"),
        (None, "service", "needs_dates"),
        (Some("day"), "month", "invalid_stack_by"),
        (Some("day"), "colour", "invalid_stack_by"),
    ] {
        let err = admin
            .client
            .costs(&CostQuery {
                group_by: group_by.map(str::to_owned),
                stack_by: Some(stack_by.into()),
                ..september()
            })
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(422), "{group_by:?} {stack_by}");
        let problem = err.problem().unwrap();
        assert_eq!(problem.errors[0].pointer, "/stack_by");
        assert_eq!(problem.errors[0].code, code);
    }
}

/// A saved view is its owner's alone: listed by name, refused under a name already used
/// (whatever its case) or with a query that is not one, deleted only by its owner, audited.
#[tokio::test]
async fn a_saved_cost_view_is_kept_by_name_for_its_owner_alone() {
    use gmac_types::NewSavedView;
    let app = spawn_app().await;
    let root = app.super_admin().await;
    let viewer = app
        .fixture(&root)
        .member("v@example.com", "viewer", Scope::Global)
        .await;
    let view = |name: &str, query: &str| NewSavedView {
        name: name.to_owned(),
        query: query.to_owned(),
    };
    let platform = root
        .client
        .create_cost_view(&view("Platform, 6 months", "?range=6m&stack=team"))
        .await
        .unwrap();
    assert_eq!(platform.query, "range=6m&stack=team", "the `?` is dropped");
    root.client
        .create_cost_view(&view("Acme by day", "range=90d&client=c1&by=day"))
        .await
        .unwrap();
    let mine = root
        .client
        .list_cost_views(&PageQuery::default())
        .await
        .unwrap();
    let names: Vec<&str> = mine.items.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["Acme by day", "Platform, 6 months"], "by name");

    let taken = root
        .client
        .create_cost_view(&view("platform, 6 MONTHS", "range=30d"))
        .await
        .unwrap_err();
    assert_eq!(taken.status(), Some(409));
    assert_eq!(
        taken.problem().unwrap().code,
        gmac_types::ErrorCode::NameTaken
    );
    for (name, query, pointer) in [
        ("Bad", "range=6m&<script>", "/query"),
        ("Bad", "range 6m", "/query"),
        ("   ", "range=6m", "/name"),
    ] {
        let err = root
            .client
            .create_cost_view(&view(name, query))
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(422), "{name:?} {query:?}");
        assert_eq!(err.problem().unwrap().errors[0].pointer, pointer);
    }

    // Another person sees none of them, may use the same name, and cannot delete them.
    let theirs = viewer
        .client
        .list_cost_views(&PageQuery::default())
        .await
        .unwrap();
    assert_eq!(theirs.total, 0);
    viewer
        .client
        .create_cost_view(&view("Platform, 6 months", "range=6m"))
        .await
        .unwrap();
    assert_eq!(
        viewer
            .client
            .delete_cost_view(&platform.id)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    root.client.delete_cost_view(&platform.id).await.unwrap();
    let left = root
        .client
        .list_cost_views(&PageQuery::default())
        .await
        .unwrap();
    assert_eq!(left.total, 1);
    let audit = root
        .client
        .list_audit_events(&gmac_types::AuditQuery {
            action: Some("cost_view".into()),
            ..gmac_types::AuditQuery::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    for action in ["cost_view.create", "cost_view.delete"] {
        assert!(actions.contains(&action), "{actions:?}");
    }
}

/// Issue 10, point 3: an import sent to the wrong client is deleted: it leaves the list at
/// once, and a job takes its lines, rollups and allocations out; the other client's costs
/// stay, and the file can then be imported where it belongs.
#[tokio::test]
async fn an_import_sent_to_the_wrong_client_is_deleted_by_a_job_with_its_rollups_and_allocations() {
    let app = spawn_app().await;
    let (admin, acme) = admin_with_client(&app).await;
    let globex = admin
        .client
        .create_client(&NewClient {
            name: "Globex".into(),
            description: None,
        })
        .await
        .unwrap()
        .id;
    let file = generated_focus();
    let (kept, _) = admin
        .client
        .import_costs(&params(&acme), b"BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName\n5,5,USD,2024-09-01T00:00:00Z,2024-09-02T00:00:00Z,Usage,Support\n".to_vec())
        .await
        .unwrap();
    let (wrong, _) = admin
        .client
        .import_costs(&params(&globex), file.clone())
        .await
        .unwrap();
    app.run_jobs().await;
    let total = |client: &str| {
        let query = CostQuery {
            client_id: Some(client.to_owned()),
            ..september()
        };
        let admin = &admin;
        async move { admin.client.costs(&query).await.unwrap().total }
    };
    assert!(total(&globex).await > Decimal::ZERO);
    assert_eq!(total(&acme).await, Decimal::from(5));

    let job = admin.client.delete_cost_import(&wrong.id).await.unwrap();
    assert_eq!(job.kind, "cost_import.delete");
    let listed = admin
        .client
        .list_cost_imports(None, &PageQuery::default())
        .await
        .unwrap();
    let ids: Vec<&str> = listed.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, [kept.id.as_str()], "gone from the list at once");
    let again = admin
        .client
        .delete_cost_import(&wrong.id)
        .await
        .unwrap_err();
    assert_eq!(again.status(), Some(409), "being deleted already");
    // Until its job has run, the same file cannot come back there (it would count twice).
    let early = admin
        .client
        .import_costs(&params(&globex), file.clone())
        .await
        .unwrap_err();
    assert_eq!(early.status(), Some(409));

    app.run_jobs().await;
    let gone = admin
        .client
        .delete_cost_import(&wrong.id)
        .await
        .unwrap_err();
    assert_eq!(gone.status(), Some(404), "deleted once");
    assert_eq!(
        admin.client.get_job(&job.id).await.unwrap().status,
        gmac_types::JobStatus::Succeeded
    );
    assert_eq!(total(&globex).await, Decimal::ZERO);
    assert_eq!(
        total(&acme).await,
        Decimal::from(5),
        "the other client's costs stay"
    );
    let db = &app.core.db;
    let left = |client: String| async move {
        (
            cost_daily::Entity::find()
                .filter(cost_daily::Column::ClientId.eq(client.clone()))
                .count(db)
                .await
                .unwrap(),
            gmac_core::entities::cost_allocation::Entity::find()
                .filter(gmac_core::entities::cost_allocation::Column::ClientId.eq(client.clone()))
                .count(db)
                .await
                .unwrap(),
            cost_line_item::Entity::find()
                .filter(cost_line_item::Column::ClientId.eq(client))
                .count(db)
                .await
                .unwrap(),
        )
    };
    assert_eq!(
        left(globex.clone()).await,
        (0, 0, 0),
        "rollups, allocations, lines"
    );
    // Now where it belongs.
    let (moved, added) = admin
        .client
        .import_costs(&params(&acme), file)
        .await
        .unwrap();
    assert!(added, "{moved:?}");
    let audit = admin
        .client
        .list_audit_events(&gmac_types::AuditQuery {
            action: Some("cost_import.delete".into()),
            ..gmac_types::AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 1);
}
