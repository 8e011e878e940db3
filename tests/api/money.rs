//! Money without a ceiling: bills in rupiah and won, with lines up to 10¹⁵ carrying 11 decimals
//! and day sums far past the ±92 million a single 64-bit column of 10⁻¹¹ held, import and read
//! back exactly through every report; a line beyond 10¹⁵ is refused by name. What the tests
//! expect is summed from the file's own text with `csv` and `rust_decimal`, never by gmac.

use gmac_types::PageQuery;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;

use chrono::{NaiveDate, TimeZone, Utc};
use gmac_tests::{FocusRows, Options, Session, TestApp, spawn_app_with};
use gmac_types::{
    Allocation, AnomalyDimension, AnomalyQuery, BudgetPeriod, BudgetScope, BudgetThreshold,
    CostImportParams, CostMetric, CostQuery, ForecastQuery, InvoiceQuery, MonthlyReportQuery,
    NewAllocationRule, NewBudget, NewClient, NewResourceAssignment, NewUser, OnRowError,
    ShareMethod, Subject, SubjectKind, ThresholdBasis,
};
use rust_decimal::Decimal;

/// The most one line may hold, to the last of its 11 decimals.
const LARGEST: &str = "999999999999999.99999999999";

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn sept(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 9, day).unwrap()
}

/// An app whose clock reads noon on `day` of September 2024, with a client.
async fn app_on(day: u32) -> (TestApp, Session, String) {
    let app = spawn_app_with(Options {
        clock_start: Some(Utc.with_ymd_and_hms(2024, 9, day, 12, 0, 0).unwrap()),
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let client_id = admin
        .client
        .create_client(&NewClient {
            name: "PT Nusantara".into(),
            description: None,
        })
        .await
        .unwrap()
        .id;
    (app, admin, client_id)
}

async fn import(admin: &Session, client_id: &str, body: Vec<u8>) -> gmac_types::CostImport {
    admin
        .client
        .import_costs(
            &CostImportParams {
                client_id: client_id.to_owned(),
                on_error: OnRowError::Reject,
                file_name: None,
            },
            body,
        )
        .await
        .unwrap()
        .0
}

/// One line of a bill.
struct Line<'a> {
    day: NaiveDate,
    billed: &'a str,
    effective: &'a str,
    category: &'a str,
    service: &'a str,
    resource: &'a str,
}

/// A FOCUS file of `lines` in `currency`.
fn focus(currency: &str, lines: &[Line<'_>]) -> Vec<u8> {
    let mut out = String::from(
        "BilledCost,EffectiveCost,ListCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,\
         ChargeCategory,ServiceName,SubAccountId,ResourceId,ProviderName\n",
    );
    for l in lines {
        writeln!(
            out,
            "{},{},{},{currency},{}T00:00:00Z,{}T00:00:00Z,{},{},sub-jakarta,{},Microsoft",
            l.billed,
            l.effective,
            l.billed,
            l.day,
            l.day.succ_opt().unwrap(),
            l.category,
            l.service,
            l.resource,
        )
        .unwrap();
    }
    out.into_bytes()
}

/// A month of a large Azure bill in rupiah: each of days 1 to 20 has four lines of the largest
/// amount a line may hold, a database line, and a credit; day 18 a spike. Day sums reach
/// 4.6·10¹⁵, the month 7·10¹⁶.
fn rupiah_bill() -> Vec<u8> {
    let mut lines = Vec::new();
    for day in 1..=20 {
        for vm in ["vm-1", "vm-2", "vm-3", "vm-4"] {
            lines.push(Line {
                day: sept(day),
                billed: LARGEST,
                effective: "999999999999998.00000000001",
                category: "Usage",
                service: "Virtual Machines",
                resource: vm,
            });
        }
        lines.push(Line {
            day: sept(day),
            billed: "123456789012345.67890123456",
            effective: "123456789012345.67890123456",
            category: "Usage",
            service: "Azure SQL Database",
            resource: "sql-1",
        });
        lines.push(Line {
            day: sept(day),
            billed: "-500000000000000.00000000001",
            effective: "-500000000000000.00000000001",
            category: "Credit",
            service: "Credits",
            resource: "",
        });
        if day == 18 {
            lines.push(Line {
                day: sept(day),
                billed: "1000000000000000",
                effective: "1000000000000000",
                category: "Usage",
                service: "Azure SQL Database",
                resource: "sql-1",
            });
        }
    }
    focus("IDR", &lines)
}

/// Sums of a money column of `rows` per value of `by`, exactly.
/// (`ChargePeriodStart` by its day).
fn sums_by(rows: &FocusRows, by: &str, column: &str) -> BTreeMap<String, Decimal> {
    let (key, amount) = (rows.column(by), rows.column(column));
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    for row in rows.rows() {
        let key = if by == "ChargePeriodStart" {
            row[key][..10].to_owned()
        } else {
            row[key].to_owned()
        };
        let sum = out.entry(key).or_default();
        *sum = sum.checked_add(dec(&row[amount])).unwrap();
    }
    out
}

fn september(client_id: &str, group_by: Option<&str>) -> CostQuery {
    CostQuery {
        from: sept(1),
        to: sept(30),
        group_by: group_by.map(str::to_owned),
        client_id: Some(client_id.to_owned()),
        ..CostQuery::default()
    }
}

async fn groups(admin: &Session, query: &CostQuery) -> BTreeMap<String, Decimal> {
    admin
        .client
        .costs(query)
        .await
        .unwrap()
        .groups
        .into_iter()
        .map(|g| (g.key, g.amount))
        .collect()
}

#[tokio::test]
async fn a_rupiah_bill_of_lines_up_to_ten_to_the_fifteen_reads_back_exactly_everywhere() {
    let file = rupiah_bill();
    let rows = FocusRows::read(&file);
    let billed = rows.sum("BilledCost");
    let effective = rows.sum("EffectiveCost");
    assert!(billed > dec("10000000000000000"), "{billed}");
    let by_day = sums_by(&rows, "ChargePeriodStart", "BilledCost");
    assert!(by_day.values().all(|d| *d > dec("3000000000000000")));
    let by_service = sums_by(&rows, "ServiceName", "BilledCost");
    let (app, admin, client_id) = app_on(25).await;

    let imported = import(&admin, &client_id, file).await;
    assert_eq!(imported.currency, "IDR");
    assert_eq!(imported.billed_cost_total, billed);
    assert_eq!(imported.effective_cost_total, effective);

    // `/costs`: the total, by day, by service, by resource, and the effective cost.
    let report = admin
        .client
        .costs(&september(&client_id, None))
        .await
        .unwrap();
    assert_eq!((report.currency.as_str(), report.total), ("IDR", billed));
    assert_eq!(
        groups(&admin, &september(&client_id, Some("day"))).await,
        by_day
    );
    assert_eq!(
        groups(&admin, &september(&client_id, Some("service"))).await,
        by_service
    );
    let by_resource = groups(&admin, &september(&client_id, Some("resource"))).await;
    assert_eq!(
        by_resource["vm-1"],
        (0..20).fold(Decimal::ZERO, |s, _| s + dec(LARGEST))
    );
    assert_eq!(by_resource.values().copied().sum::<Decimal>(), billed);
    let effective_report = admin
        .client
        .costs(&CostQuery {
            metric: CostMetric::Effective,
            ..september(&client_id, None)
        })
        .await
        .unwrap();
    assert_eq!(effective_report.total, effective);

    // The CSV export.
    let csv = app
        .http()
        .get(app.url(&format!(
            "/api/v1/costs/export?from=2024-09-01&to=2024-09-30&group_by=service&client_id={client_id}"
        )))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    let mut exported = BTreeMap::new();
    for record in csv::Reader::from_reader(text.as_bytes()).records() {
        let record = record.unwrap();
        assert_eq!(&record[3], "IDR", "{text}");
        exported.insert(record[0].to_owned(), dec(&record[2]));
    }
    assert_eq!(exported.remove("total"), Some(billed), "{text}");
    assert_eq!(exported, by_service);

    // The monthly report.
    let monthly = admin
        .client
        .monthly_report(&MonthlyReportQuery {
            period: "2024-09".into(),
            client_id: Some(client_id.clone()),
            ..MonthlyReportQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(monthly.total, billed);
    assert_eq!(monthly.effective_total, effective);
    let services: BTreeMap<String, Decimal> = monthly
        .services
        .iter()
        .map(|l| (l.key.clone(), l.amount))
        .collect();
    assert_eq!(services, by_service);
    let days: BTreeMap<String, Decimal> = monthly
        .days
        .iter()
        .map(|d| (d.day.to_string(), d.amount))
        .collect();
    assert_eq!(days, by_day);

    // The month's unallocated invoice holds every line.
    let invoice = admin
        .client
        .invoice(&InvoiceQuery {
            user_id: "unallocated".into(),
            period: "2024-09".into(),
            client_id: Some(client_id.clone()),
        })
        .await
        .unwrap();
    assert_eq!(invoice.total, billed);
    let lines: BTreeMap<String, Decimal> = invoice
        .lines
        .iter()
        .map(|l| (l.description.clone(), l.amount))
        .collect();
    assert_eq!(lines, by_service);

    // Forecasts and anomalies over such sums answer.
    let forecast = admin
        .client
        .cost_forecast(&ForecastQuery {
            month: Some("2024-09".into()),
            client_id: Some(client_id.clone()),
            ..ForecastQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(forecast.actual, billed);
    assert!(forecast.forecast >= billed);
    let anomalies = admin
        .client
        .cost_anomalies(
            &AnomalyQuery {
                from: sept(10),
                to: sept(24),
                dimension: AnomalyDimension::Service,
                client_id: Some(client_id.clone()),
                min_impact: None,
            },
            &PageQuery::default(),
        )
        .await
        .unwrap()
        .items;
    assert!(
        anomalies
            .iter()
            .any(|a| a.day == sept(18) && a.key == "Azure SQL Database"),
        "{anomalies:?}"
    );
}

/// A file of one line, on September 1st.
fn one_line(amount: &str) -> Vec<u8> {
    focus(
        "IDR",
        &[Line {
            day: sept(1),
            billed: amount,
            effective: amount,
            category: "Usage",
            service: "Virtual Machines",
            resource: "vm-1",
        }],
    )
}

#[tokio::test]
async fn two_imports_whose_day_sums_pass_the_old_ceiling_add_up_exactly_and_so_does_a_small_one() {
    let (_app, admin, client_id) = app_on(25).await;
    // Each fits the old ±92,233,720; their sum in one rollup row did not.
    import(&admin, &client_id, one_line("90000000.00000000001")).await;
    import(&admin, &client_id, one_line("90000000.00000000002")).await;
    let total = |admin: &Session| {
        let query = september(&client_id, None);
        let admin = admin.client.clone();
        async move { admin.costs(&query).await.unwrap().total }
    };
    assert_eq!(total(&admin).await, dec("180000000.00000000003"));
    // A line of the largest size onto the same row, twice.
    import(&admin, &client_id, one_line(LARGEST)).await;
    import(&admin, &client_id, one_line(&format!("{LARGEST}0"))).await;
    let expected = dec("180000000.00000000003") + dec(LARGEST) + dec(LARGEST);
    assert_eq!(total(&admin).await, expected);
    // A small import afterwards is still counted to its last digit.
    import(&admin, &client_id, one_line("0.00000000001")).await;
    let expected = expected + dec("0.00000000001");
    assert_eq!(total(&admin).await, expected);
    assert_eq!(
        groups(&admin, &september(&client_id, Some("day"))).await,
        BTreeMap::from([("2024-09-01".to_owned(), expected)])
    );
    assert_eq!(
        groups(&admin, &september(&client_id, Some("resource"))).await,
        BTreeMap::from([("vm-1".to_owned(), expected)])
    );
    // Forecasts and anomalies read the same rows.
    admin
        .client
        .cost_forecast(&ForecastQuery {
            month: Some("2024-09".into()),
            ..ForecastQuery::default()
        })
        .await
        .unwrap();
    admin
        .client
        .cost_anomalies(
            &AnomalyQuery {
                from: sept(1),
                to: sept(24),
                dimension: AnomalyDimension::Service,
                client_id: None,
                min_impact: None,
            },
            &PageQuery::default(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_won_budget_of_ten_to_the_fifteen_crosses_its_thresholds_with_exact_status_and_forecast()
{
    let (_app, admin, client_id) = app_on(20).await;
    let limit = dec("1000000000000000");
    let budget = admin
        .client
        .create_budget(&NewBudget {
            name: "Seoul region".into(),
            scope: BudgetScope::Client {
                id: client_id.clone(),
            },
            period: BudgetPeriod::Monthly,
            amount: limit,
            currency: Some("KRW".into()),
            thresholds: Some(vec![
                BudgetThreshold {
                    percent: 50,
                    basis: ThresholdBasis::Actual,
                },
                BudgetThreshold {
                    percent: 100,
                    basis: ThresholdBasis::Actual,
                },
                BudgetThreshold {
                    percent: 100,
                    basis: ThresholdBasis::Forecast,
                },
            ]),
            notify: Some(vec!["finance@example.com".into()]),
        })
        .await
        .unwrap();
    assert_eq!(budget.amount, limit);
    // 40 trillion won and one 10⁻¹¹ a day, for the 19 days before today.
    let daily = "40000000000000.00000000001";
    let lines: Vec<Line<'_>> = (1..=19)
        .map(|day| Line {
            day: sept(day),
            billed: daily,
            effective: daily,
            category: "Usage",
            service: "Virtual Machines",
            resource: "vm-seoul",
        })
        .collect();
    let file = focus("KRW", &lines);
    let actual = FocusRows::read(&file).sum("BilledCost");
    import(&admin, &client_id, file).await;

    // Budgets are checked by the consumer of the import's event, just after it.
    let mut status = admin.client.budget_status(&budget.id).await.unwrap();
    for _ in 0..200 {
        if status.alerts.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        status = admin.client.budget_status(&budget.id).await.unwrap();
    }
    assert_eq!(status.actual, actual);
    assert_eq!(status.actual, dec("760000000000000.00000000019"));
    // Nineteen days so far, eleven to go at the same pace.
    let forecast = (actual + dec(daily) * Decimal::from(11)).round_dp(2);
    assert_eq!(status.forecast, forecast);
    assert_eq!(status.forecast, dec("1200000000000000"));
    assert_eq!(status.percent_used, dec("76.0"));
    assert_eq!(status.forecast_percent, dec("120.0"));
    let mut raised: Vec<(u32, ThresholdBasis, Decimal)> = status
        .alerts
        .iter()
        .map(|a| (a.threshold.percent, a.threshold.basis, a.amount))
        .collect();
    raised.sort_by_key(|r| (r.0, r.1 == ThresholdBasis::Forecast));
    assert_eq!(
        raised,
        [
            (50, ThresholdBasis::Actual, actual),
            (100, ThresholdBasis::Forecast, forecast),
        ]
    );
    assert_eq!(status.history[0].limit, limit);
    assert_eq!(status.history[0].actual, actual);

    let month = admin
        .client
        .cost_forecast(&ForecastQuery {
            month: Some("2024-09".into()),
            client_id: Some(client_id.clone()),
            ..ForecastQuery::default()
        })
        .await
        .unwrap();
    assert_eq!((month.actual, month.forecast), (actual, forecast));
    let anomalies = admin
        .client
        .cost_anomalies(
            &AnomalyQuery {
                from: sept(1),
                to: sept(19),
                dimension: AnomalyDimension::Service,
                client_id: Some(client_id.clone()),
                min_impact: None,
            },
            &PageQuery::default(),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(anomalies, []);
}

#[tokio::test]
async fn a_line_beyond_ten_to_the_fifteen_is_refused_by_line_and_column() {
    let (_app, admin, client_id) = app_on(25).await;
    let file = focus(
        "IDR",
        &[
            Line {
                day: sept(1),
                billed: LARGEST,
                effective: LARGEST,
                category: "Usage",
                service: "Virtual Machines",
                resource: "vm-1",
            },
            Line {
                day: sept(1),
                billed: "1000000000000000.00000000001",
                effective: "1",
                category: "Usage",
                service: "Virtual Machines",
                resource: "vm-2",
            },
            Line {
                day: sept(2),
                billed: "1",
                effective: "-1e16",
                category: "Credit",
                service: "Credits",
                resource: "",
            },
        ],
    );
    let refused = admin
        .client
        .import_costs(
            &CostImportParams {
                client_id: client_id.clone(),
                on_error: OnRowError::Reject,
                file_name: None,
            },
            file,
        )
        .await
        .unwrap_err();
    let problem = refused.problem().expect("a problem document");
    assert_eq!(problem.status, 422, "{problem:?}");
    let pointers: Vec<&str> = problem.errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        ["/lines/3/BilledCost", "/lines/4/EffectiveCost"],
        "{problem:?}"
    );
    assert!(problem.errors[0].detail.contains("line 3"), "{problem:?}");
    assert!(problem.errors[0].detail.contains("10¹⁵"), "{problem:?}");
    // Nothing was imported.
    let report = admin
        .client
        .costs(&september(&client_id, None))
        .await
        .unwrap();
    assert_eq!(report.total, Decimal::ZERO);
}

#[tokio::test]
async fn allocating_such_amounts_splits_them_exactly() {
    let (_app, admin, client_id) = app_on(25).await;
    let mut users = Vec::new();
    for (email, name) in [("budi@example.com", "Budi"), ("sari@example.com", "Sari")] {
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
    let user = |id: &str| Subject {
        kind: SubjectKind::User,
        id: id.to_owned(),
    };
    for (resource, owner) in [("vm-1", &users[0]), ("vm-2", &users[1])] {
        admin
            .client
            .assign_resource(&NewResourceAssignment {
                client_id: client_id.clone(),
                resource_id: resource.into(),
                to: user(owner),
            })
            .await
            .unwrap();
    }
    // Support is shared in proportion to what each owns; monitoring evenly, with an odd
    // number of 10⁻¹¹.
    for (service, method) in [
        ("Support", ShareMethod::Proportional),
        ("Monitor", ShareMethod::Even),
    ] {
        admin
            .client
            .create_allocation_rule(&NewAllocationRule {
                client_id: Some(client_id.clone()),
                name: format!("{service} is shared"),
                position: None,
                tag_key: None,
                tag_value: None,
                account: None,
                service: Some(service.into()),
                allocation: Allocation::Share {
                    among: vec![user(&users[0]), user(&users[1])],
                    method,
                },
            })
            .await
            .unwrap();
    }
    let mut lines = Vec::new();
    for day in 1..=3 {
        for (resource, billed, service) in [
            ("vm-1", LARGEST, "Virtual Machines"),
            ("vm-1", LARGEST, "Virtual Machines"),
            ("vm-2", "333333333333333.33333333333", "Virtual Machines"),
            ("support", LARGEST, "Support"),
            ("support", "777777777777777.77777777777", "Support"),
            ("monitor", "999999999999999.99999999997", "Monitor"),
        ] {
            lines.push(Line {
                day: sept(day),
                billed,
                effective: billed,
                category: "Usage",
                service,
                resource,
            });
        }
    }
    let file = focus("IDR", &lines);
    let total = FocusRows::read(&file).sum("BilledCost");
    import(&admin, &client_id, file).await;

    let by_user = groups(&admin, &september(&client_id, Some("user"))).await;
    assert_eq!(by_user.len(), 2, "{by_user:?}");
    assert_eq!(by_user.values().copied().sum::<Decimal>(), total);
    let (budi, sari) = (by_user[&users[0]], by_user[&users[1]]);
    // Budi owns six times Sari's direct costs, and so pays six sevenths of support.
    let direct = (
        dec(LARGEST) * Decimal::TWO,
        dec("333333333333333.33333333333"),
    );
    // Even shares of an odd amount differ by one 10⁻¹¹ at most.
    let monitor = groups(
        &admin,
        &CostQuery {
            service: Some("Monitor".into()),
            ..september(&client_id, Some("user"))
        },
    )
    .await;
    let parts: Vec<Decimal> = monitor.values().copied().collect();
    assert_eq!(
        parts.iter().copied().sum::<Decimal>(),
        dec("999999999999999.99999999997") * Decimal::from(3)
    );
    assert!(
        (parts[0] - parts[1]).abs() <= dec("0.00000000003"),
        "{parts:?}"
    );
    let support = groups(
        &admin,
        &CostQuery {
            service: Some("Support".into()),
            ..september(&client_id, Some("user"))
        },
    )
    .await;
    let support_total = (dec(LARGEST) + dec("777777777777777.77777777777")) * Decimal::from(3);
    assert_eq!(support.values().copied().sum::<Decimal>(), support_total);
    let expected_budi = support_total * (direct.0 / (direct.0 + direct.1));
    assert!(
        (support[&users[0]] - expected_budi).abs() < dec("0.0000000001"),
        "{support:?} {expected_budi}"
    );
    // Each one pays their own lines and their shares, to the last 10⁻¹¹.
    let three = Decimal::from(3);
    assert_eq!(
        budi,
        direct.0 * three + support[&users[0]] + monitor[&users[0]]
    );
    assert_eq!(
        sari,
        direct.1 * three + support[&users[1]] + monitor[&users[1]]
    );

    // Each one's invoice is their share, and the invoices add up to the bill.
    let mut invoiced = Decimal::ZERO;
    for id in users.iter().chain([&"unallocated".to_owned()]) {
        invoiced += admin
            .client
            .invoice(&InvoiceQuery {
                user_id: id.clone(),
                period: "2024-09".into(),
                client_id: Some(client_id.clone()),
            })
            .await
            .unwrap()
            .total;
    }
    assert_eq!(invoiced, total);
}

#[tokio::test]
async fn the_migration_converts_stored_amounts_in_place_and_back() {
    use gmac_migrations::MigratorTrait;
    use sea_orm::{ConnectionTrait, QueryResult};
    let database = gmac_tests::TestDatabase::create().await;
    let db = sea_orm::Database::connect(database.url()).await.unwrap();
    // Every migration, then back to single columns of 10⁻¹¹, with amounts as they were stored.
    gmac_migrations::Migrator::up(&db, None).await.unwrap();
    // Back to just before the money migration, however many came after it.
    gmac_tests::migrate_down_to_before(&db, "m20261204_000011_money_whole_frac").await;
    db.execute_unprepared(
        "INSERT INTO budgets (id, name, scope_type, scope_id, client_id, period, amount, \
         currency, thresholds, notify, created_by, created_at) VALUES \
         ('b1', 'B', 'global', NULL, NULL, 'monthly', -1605990, 'USD', '[]', '[]', NULL, \
         '2024-09-01T00:00:00Z')",
    )
    .await
    .unwrap();
    db.execute_unprepared(
        "INSERT INTO budget_history (budget_id, period_start, \"limit\", actual, updated_at) \
         VALUES ('b1', '2024-09-01', 9223372036854775807, -9223372036854775808, \
         '2024-09-01T00:00:00Z'), ('b1', '2024-10-01', 100000000000, -100000000001, \
         '2024-10-01T00:00:00Z')",
    )
    .await
    .unwrap();
    gmac_migrations::Migrator::up(&db, None).await.unwrap();
    let row = |r: &QueryResult, column: &str| -> i64 { r.try_get("", column).unwrap() };
    let budget = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT amount_whole, amount_frac FROM budgets",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row(&budget, "amount_whole"), row(&budget, "amount_frac")),
        (-1, 99_998_394_010)
    );
    let history: Vec<[i64; 4]> = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT limit_whole, limit_frac, actual_whole, actual_frac FROM budget_history \
             ORDER BY period_start",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| ["limit_whole", "limit_frac", "actual_whole", "actual_frac"].map(|c| row(r, c)))
        .collect();
    assert_eq!(
        history,
        [
            [92_233_720, 36_854_775_807, -92_233_721, 63_145_224_192],
            [1, 0, -2, 99_999_999_999],
        ]
    );
}
