//! Budgets alert once per threshold and period through a real SMTP server (on the real FOCUS
//! sample where it is present, and on a generated file); forecasts and anomalies on constructed
//! series with known answers.

use gmac_types::PageQuery;
use std::fmt::Write as _;

use chrono::{NaiveDate, TimeZone, Utc};
use gmac_tests::smtp::SmtpServer;
use gmac_tests::{
    FocusRows, Options, Session, TestApp, focus_sample, generated_focus, spawn_app_with, test_name,
};
use gmac_types::{
    AnomalyDimension, AnomalyFeedback, AnomalyQuery, AnomalyVerdict, BudgetPeriod, BudgetScope,
    BudgetThreshold, CostImportParams, CostQuery, ForecastQuery, NewBudget, NewClient, OnRowError,
    ThresholdBasis,
};
use rust_decimal::Decimal;

async fn app_on(day: (i32, u32, u32), smtp: Option<&SmtpServer>) -> (TestApp, Session, String) {
    let app = spawn_app_with(Options {
        clock_start: Some(Utc.with_ymd_and_hms(day.0, day.1, day.2, 12, 0, 0).unwrap()),
        smtp_url: smtp.map(SmtpServer::url),
        ..Options::default()
    })
    .await;
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
    (app, admin, client_id)
}

async fn import(admin: &Session, client_id: &str, body: Vec<u8>) {
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
        .unwrap();
}

/// A FOCUS file with one line per (day, service, account, amount).
fn focus(lines: &[(NaiveDate, &str, &str, Decimal)]) -> Vec<u8> {
    let mut out = String::from(
        "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName,SubAccountId\n",
    );
    for (day, service, account, amount) in lines {
        writeln!(
            out,
            "{amount},{amount},USD,{day}T00:00:00Z,{}T00:00:00Z,Usage,{service},{account}",
            day.succ_opt().unwrap()
        )
        .unwrap();
    }
    out.into_bytes()
}

fn sept(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 9, day).unwrap()
}

fn threshold(percent: u32) -> BudgetThreshold {
    BudgetThreshold {
        percent,
        basis: ThresholdBasis::Actual,
    }
}

#[tokio::test]
async fn a_budget_crossing_80_and_100_percent_emails_once_each_on_the_real_focus_sample() {
    let Some(sample) = focus_sample(test_name!()) else {
        return;
    };
    emails_once_per_crossed_threshold(std::fs::read(sample).unwrap()).await;
}

#[tokio::test]
async fn a_budget_crossing_80_and_100_percent_emails_once_each_on_a_generated_focus_file() {
    emails_once_per_crossed_threshold(generated_focus()).await;
}

/// Imports `file` (September 2024) under a budget it overruns, then sets one it overruns by
/// about 5%: each threshold mails once.
async fn emails_once_per_crossed_threshold(file: Vec<u8>) {
    let rows = FocusRows::read(&file);
    assert!(
        rows.sum("BilledCost") > Decimal::ONE,
        "the file overruns a budget of 1"
    );
    let smtp = SmtpServer::start().await;
    let (app, admin, client_id) = app_on((2024, 9, 30), Some(&smtp)).await;
    // Created before the import: the import itself checks budgets.
    let tiny = admin
        .client
        .create_budget(&NewBudget {
            name: "Tiny".into(),
            scope: BudgetScope::Client {
                id: client_id.clone(),
            },
            period: BudgetPeriod::Monthly,
            amount: Decimal::ONE,
            currency: None,
            thresholds: Some(vec![threshold(100)]),
            notify: Some(vec!["finance@example.com".into()]),
        })
        .await
        .unwrap();
    import(&admin, &client_id, file).await;
    let mails = smtp.wait_for(1).await;
    assert!(mails[0].contains("To: finance@example.com"), "{}", mails[0]);
    assert!(
        mails[0].contains("Budget \"Tiny\" has spent 100% of its limit"),
        "{}",
        mails[0]
    );

    let september = admin
        .client
        .costs(&CostQuery {
            from: sept(1),
            to: sept(30),
            ..CostQuery::default()
        })
        .await
        .unwrap()
        .total;
    assert_eq!(
        september,
        rows.sum("BilledCost"),
        "every line is in September"
    );
    // A limit the month has overrun by about 5%: both thresholds are crossed.
    let limit = (september * Decimal::new(95, 2)).round_dp(2);
    let budget = admin
        .client
        .create_budget(&NewBudget {
            name: "Acme monthly".into(),
            scope: BudgetScope::Client {
                id: client_id.clone(),
            },
            period: BudgetPeriod::Monthly,
            amount: limit,
            currency: None,
            thresholds: Some(vec![threshold(80), threshold(100)]),
            notify: None,
        })
        .await
        .unwrap();
    assert_eq!(
        gmac_core::services::budgets::evaluate_budgets(&app.core)
            .await
            .unwrap(),
        2
    );
    let mails = smtp.wait_for(3).await;
    let subjects: Vec<&str> = mails
        .iter()
        .skip(1)
        .filter_map(|m| m.lines().find(|l| l.starts_with("Subject:")))
        .collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(subjects.iter().any(|s| s.contains("80%")), "{subjects:?}");
    assert!(subjects.iter().any(|s| s.contains("100%")), "{subjects:?}");
    assert!(
        mails[1].contains("To: ada@example.com"),
        "the author is notified by default"
    );

    // Checking again raises nothing new and sends nothing.
    assert_eq!(
        gmac_core::services::budgets::evaluate_budgets(&app.core)
            .await
            .unwrap(),
        0
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.messages().len(), 3);

    // Each alert is an event too, in the alert's transaction: the bell follows them live.
    let crossed: Vec<u64> = admin
        .client
        .list_events(&gmac_types::EventQuery {
            r#type: Some("budget.threshold_crossed".into()),
            limit: Some(500),
            ..gmac_types::EventQuery::default()
        })
        .await
        .unwrap()
        .items
        .iter()
        .filter(|e| e.subject.as_deref() == Some(format!("budget/{}", budget.id).as_str()))
        .map(|e| e.data["percent"].as_u64().unwrap())
        .collect();
    assert_eq!(crossed.len(), 2, "{crossed:?}");
    assert!(crossed.contains(&80) && crossed.contains(&100));

    let status = admin.client.budget_status(&budget.id).await.unwrap();
    assert_eq!(status.actual, september);
    assert_eq!(status.period_start, sept(1));
    assert_eq!(status.alerts.len(), 2);
    assert!(status.alerts.iter().all(|a| a.emailed));
    assert!(status.percent_used > Decimal::from(100));
    assert_eq!(status.history[0].actual, september);
    assert_eq!(status.history[0].limit, limit);
    let alerts = admin
        .client
        .list_budget_alerts(&PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(alerts.len(), 3);
    assert!(alerts.iter().any(|a| a.budget_id == tiny.id));
}

#[tokio::test]
async fn bad_budgets_are_refused_field_by_field() {
    let (_app, admin, _client) = app_on((2024, 9, 30), None).await;
    let refused = admin
        .client
        .create_budget(&NewBudget {
            name: String::new(),
            scope: BudgetScope::Team {
                id: "01900000-0000-7000-8000-000000000000".into(),
            },
            period: BudgetPeriod::Quarterly,
            amount: Decimal::from(-5),
            currency: Some("dollars".into()),
            thresholds: Some(vec![threshold(0)]),
            notify: Some(vec!["not an address".into()]),
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
        [
            "/scope/id",
            "/name",
            "/amount",
            "/currency",
            "/thresholds",
            "/notify/0"
        ]
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
}

#[tokio::test]
async fn the_month_end_forecast_of_a_steady_series_is_exact() {
    let (_app, admin, client_id) = app_on((2024, 9, 20), None).await;
    let lines: Vec<_> = (1..=19)
        .map(|d| (sept(d), "EC2", "acct-1", Decimal::TEN))
        .collect();
    import(&admin, &client_id, focus(&lines)).await;
    let forecast = admin
        .client
        .cost_forecast(&ForecastQuery::default())
        .await
        .unwrap();
    assert_eq!(forecast.month, "2024-09");
    assert_eq!(forecast.days_elapsed, 19);
    assert_eq!(forecast.days_in_month, 30);
    assert_eq!(forecast.actual, Decimal::from(190));
    assert_eq!(forecast.forecast, Decimal::from(300));
    assert_eq!(
        (forecast.lower, forecast.upper),
        (forecast.forecast, forecast.forecast)
    );
    let bad = admin
        .client
        .cost_forecast(&ForecastQuery {
            month: Some("September".into()),
            ..ForecastQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.problem().unwrap().errors[0].pointer, "/month");
}

#[tokio::test]
async fn a_spike_is_found_with_its_root_cause_and_takes_feedback() {
    let (_app, admin, client_id) = app_on((2024, 9, 25), None).await;
    let mut lines = Vec::new();
    for d in 1..=21 {
        lines.push((sept(d), "EC2", "acct-1", Decimal::TEN));
        lines.push((sept(d), "EC2", "acct-2", Decimal::from(5)));
        lines.push((sept(d), "S3", "acct-1", Decimal::from(3)));
    }
    // On the 22nd, EC2 in acct-2 jumps by 40.
    lines.push((sept(22), "EC2", "acct-1", Decimal::TEN));
    lines.push((sept(22), "EC2", "acct-2", Decimal::from(45)));
    lines.push((sept(22), "S3", "acct-1", Decimal::from(3)));
    import(&admin, &client_id, focus(&lines)).await;

    let query = AnomalyQuery {
        from: sept(15),
        to: sept(22),
        dimension: AnomalyDimension::Service,
        client_id: None,
        min_impact: None,
    };
    let found = admin
        .client
        .cost_anomalies(&query, &PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(found.len(), 1, "{found:?}");
    let spike = &found[0];
    assert_eq!((spike.day, spike.key.as_str()), (sept(22), "EC2"));
    assert_eq!(spike.expected, Decimal::from(15));
    assert_eq!(spike.actual, Decimal::from(55));
    assert_eq!(spike.impact, Decimal::from(40));
    assert_eq!(spike.impact_percent, Some(Decimal::new(2667, 1)));
    let cause = spike.root_cause.as_ref().unwrap();
    assert_eq!(
        (cause.dimension.as_str(), cause.key.as_str()),
        ("account", "acct-2")
    );
    assert_eq!(cause.impact, Decimal::from(40));
    assert_eq!(spike.feedback, None);

    admin
        .client
        .give_anomaly_feedback(&AnomalyFeedback {
            day: sept(22),
            dimension: AnomalyDimension::Service,
            key: "EC2".into(),
            verdict: AnomalyVerdict::Expected,
        })
        .await
        .unwrap();
    let again = admin
        .client
        .cost_anomalies(&query, &PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(again[0].feedback, Some(AnomalyVerdict::Expected));

    // By account, the same day shows acct-2, caused by EC2.
    let by_account = admin
        .client
        .cost_anomalies(
            &AnomalyQuery {
                dimension: AnomalyDimension::Account,
                ..query
            },
            &PageQuery::default(),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(by_account.len(), 1, "{by_account:?}");
    assert_eq!(by_account[0].key, "acct-2");
    assert_eq!(by_account[0].root_cause.as_ref().unwrap().key, "EC2");
}

#[tokio::test]
async fn a_budget_forecasts_as_the_cost_forecast_does_and_shows_the_months_before_it() {
    let (_app, admin, client_id) = app_on((2024, 9, 20), None).await;
    let mut lines: Vec<_> = (1..=19)
        .map(|d| (sept(d), "EC2", "acct-1", Decimal::TEN))
        .collect();
    // Today's costs are still arriving: a partial day.
    lines.push((sept(20), "EC2", "acct-1", Decimal::ONE));
    for (month, days, amount) in [(7, 31, 2), (8, 31, 3)] {
        for d in 1..=days {
            lines.push((
                NaiveDate::from_ymd_opt(2024, month, d).unwrap(),
                "EC2",
                "acct-1",
                Decimal::from(amount),
            ));
        }
    }
    import(&admin, &client_id, focus(&lines)).await;
    let budget = admin
        .client
        .create_budget(&NewBudget {
            name: "Everything".into(),
            scope: BudgetScope::Global,
            period: BudgetPeriod::Monthly,
            amount: Decimal::from(250),
            currency: None,
            thresholds: None,
            notify: Some(Vec::new()),
        })
        .await
        .unwrap();
    let status = admin.client.budget_status(&budget.id).await.unwrap();
    let forecast = admin
        .client
        .cost_forecast(&ForecastQuery::default())
        .await
        .unwrap();
    // The partial day counts as spent, not as evidence: the same forecast as the dashboard.
    assert_eq!(status.actual, Decimal::from(191));
    assert_eq!(forecast.forecast, Decimal::from(300));
    assert_eq!(status.forecast, forecast.forecast);
    // History reaches back before the budget existed, from the first month with costs.
    let history: Vec<(NaiveDate, Decimal, Decimal)> = status
        .history
        .iter()
        .map(|h| (h.period_start, h.actual, h.limit))
        .collect();
    assert_eq!(
        history,
        vec![
            (sept(1), Decimal::from(191), Decimal::from(250)),
            (
                NaiveDate::from_ymd_opt(2024, 8, 1).unwrap(),
                Decimal::from(93),
                Decimal::from(250)
            ),
            (
                NaiveDate::from_ymd_opt(2024, 7, 1).unwrap(),
                Decimal::from(62),
                Decimal::from(250)
            ),
        ]
    );
}

#[tokio::test]
async fn deleting_a_project_deletes_its_budgets_and_the_others_are_still_checked() {
    let smtp = SmtpServer::start().await;
    let (app, admin, client_id) = app_on((2024, 9, 30), Some(&smtp)).await;
    let project = admin
        .client
        .create_project(&gmac_types::NewProject {
            client_id: client_id.clone(),
            name: "web".into(),
            description: None,
        })
        .await
        .unwrap();
    let budget = |name: &str, scope: BudgetScope| NewBudget {
        name: name.into(),
        scope,
        period: BudgetPeriod::Monthly,
        amount: Decimal::TEN,
        currency: None,
        thresholds: Some(vec![threshold(100)]),
        notify: None,
    };
    admin
        .client
        .create_budget(&budget(
            "Web",
            BudgetScope::Project {
                id: project.id.clone(),
            },
        ))
        .await
        .unwrap();
    admin
        .client
        .create_budget(&budget(
            "Acme",
            BudgetScope::Client {
                id: client_id.clone(),
            },
        ))
        .await
        .unwrap();
    admin
        .client
        .delete_project(&project.id, None)
        .await
        .unwrap();
    let names: Vec<String> = admin
        .client
        .list_budgets(&PageQuery::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, vec!["Acme".to_owned()]);
    import(
        &admin,
        &client_id,
        focus(&[(sept(3), "EC2", "acct-1", Decimal::from(12))]),
    )
    .await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1, "the client's budget alerted");
    assert!(mails[0].contains("Acme"));
    drop(app);
}

#[tokio::test]
async fn a_persons_budget_alerts_once_a_rules_reallocation_has_run() {
    let (app, admin, client_id) = app_on((2024, 9, 30), None).await;
    import(
        &admin,
        &client_id,
        focus(&[(sept(3), "AmazonEC2", "111", Decimal::from(50))]),
    )
    .await;
    let ana = app
        .fixture(&admin)
        .member("ana@example.com", "developer", gmac_types::Scope::Global)
        .await;
    let me = ana.client.me().await.unwrap();
    admin
        .client
        .create_budget(&NewBudget {
            name: "Ana's".into(),
            scope: BudgetScope::User { id: me.id.clone() },
            period: BudgetPeriod::Monthly,
            amount: Decimal::from(40),
            currency: None,
            thresholds: Some(vec![threshold(100)]),
            notify: Some(Vec::new()),
        })
        .await
        .unwrap();
    let alerts = || async {
        admin
            .client
            .list_budget_alerts(&PageQuery::default())
            .await
            .unwrap()
            .items
    };
    // The costs are nobody's yet.
    assert!(alerts().await.is_empty());
    admin
        .client
        .create_allocation_rule(&gmac_types::NewAllocationRule {
            client_id: Some(client_id.clone()),
            name: "EC2 is Ana's".into(),
            position: None,
            tag_key: None,
            tag_value: None,
            account: None,
            service: Some("AmazonEC2".into()),
            allocation: gmac_types::Allocation::Assign {
                to: gmac_types::Subject {
                    kind: gmac_types::SubjectKind::User,
                    id: me.id.clone(),
                },
            },
        })
        .await
        .unwrap();
    // Her costs move to her when the re-allocation runs, and its event has budgets checked.
    app.run_jobs().await;
    // The event reaches whoever sees the client's costs (a developer, without the audit log):
    // their cost pages refresh on it.
    let seen = ana
        .client
        .list_events(&gmac_types::EventQuery {
            after: None,
            r#type: Some("cost_allocation.recomputed".into()),
            limit: None,
        })
        .await
        .unwrap();
    assert_eq!(seen.items.len(), 1, "{:?}", seen.items);
    let mut raised = Vec::new();
    for _ in 0..100 {
        raised = alerts().await;
        if !raised.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(raised[0].budget_name, "Ana's");
    assert_eq!(raised[0].amount, Decimal::from(50));
}

/// Issue 10, point 3: a budget is changed in place, with `If-Match`; a stale copy, a bad
/// amount and someone without `budgets.manage` change nothing; the change is audited.
#[tokio::test]
async fn a_budget_is_changed_with_if_match_and_a_stale_or_bad_change_is_refused() {
    let (app, admin, client_id) = app_on((2024, 9, 30), None).await;
    let budget = admin
        .client
        .create_budget(&NewBudget {
            name: "Acme monthly".into(),
            scope: BudgetScope::Client {
                id: client_id.clone(),
            },
            period: BudgetPeriod::Monthly,
            amount: Decimal::from(1000),
            currency: None,
            thresholds: None,
            notify: None,
        })
        .await
        .unwrap();
    assert_eq!(budget.version, 1);
    let patch = gmac_types::BudgetPatch {
        name: Some("Acme, tighter".into()),
        amount: Some("750.50".parse().unwrap()),
        thresholds: Some(vec![threshold(50), threshold(90)]),
        notify: Some(vec!["Finance@Example.com".into()]),
    };
    let changed = admin
        .client
        .update_budget(&budget.id, &patch, Some(budget.version))
        .await
        .unwrap();
    assert_eq!(changed.version, 2);
    assert_eq!(changed.name, "Acme, tighter");
    assert_eq!(changed.amount, "750.50".parse::<Decimal>().unwrap());
    assert_eq!(changed.thresholds, [threshold(50), threshold(90)]);
    assert_eq!(changed.notify, ["finance@example.com"]);
    assert_eq!(changed.scope, budget.scope, "what it covers stays");
    let listed = admin
        .client
        .list_budgets(&PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(listed, std::slice::from_ref(&changed));

    // Made on the first copy: refused, and nothing changes.
    let stale = admin
        .client
        .update_budget(
            &budget.id,
            &gmac_types::BudgetPatch {
                name: Some("Overwritten".into()),
                ..gmac_types::BudgetPatch::default()
            },
            Some(budget.version),
        )
        .await
        .unwrap_err();
    assert_eq!(stale.status(), Some(412), "{stale:?}");
    let bad = admin
        .client
        .update_budget(
            &budget.id,
            &gmac_types::BudgetPatch {
                amount: Some(Decimal::from(-1)),
                ..gmac_types::BudgetPatch::default()
            },
            Some(changed.version),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(422));
    assert_eq!(bad.problem().unwrap().errors[0].pointer, "/amount");
    let viewer = app
        .fixture(&admin)
        .member("v@example.com", "viewer", gmac_types::Scope::Global)
        .await;
    let refused = viewer
        .client
        .update_budget(&budget.id, &patch, None)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(403), "{refused:?}");
    let now = admin
        .client
        .list_budgets(&PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(now, [changed], "nothing else changed");
    let audit = admin
        .client
        .list_audit_events(&gmac_types::AuditQuery {
            action: Some("budget.update".into()),
            ..gmac_types::AuditQuery::default()
        })
        .await
        .unwrap()
        .items;
    assert_eq!(audit.len(), 1, "{audit:?}");
}
