//! Monthly reports per user, per team and for everything, against the month before; schedules
//! that email them as PDF or CSV through a real SMTP server, once per run.

use gmac_types::PageQuery;
use std::fmt::Write as _;

use chrono::{NaiveDate, TimeZone, Utc};
use gmac_tests::smtp::SmtpServer;
use gmac_tests::{Options, Session, TestApp, spawn_app_with};
use gmac_types::{
    Allocation, MonthlyReportQuery, NewAllocationRule, NewReportSchedule, ReportCadence,
    ReportFormat, Subject, SubjectKind,
};
use rust_decimal::Decimal;

struct World {
    app: TestApp,
    admin: Session,
    ana: String,
    sameer: String,
    platform: String,
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// August and September 2024: Ana's EC2 grows, Sameer's S3 stays, untagged costs shrink.
/// Effective cost is billed cost less 1 per line.
const LINES: &[(&str, &str, &str, &str)] = &[
    ("2024-08-01", "Amazon EC2", "ana@example.com", "10"),
    ("2024-08-02", "Amazon EC2", "ana@example.com", "10"),
    ("2024-08-01", "Amazon S3", "sameer@example.com", "5"),
    ("2024-08-01", "AWS Lambda", "", "7"),
    ("2024-09-01", "Amazon EC2", "ana@example.com", "15"),
    ("2024-09-02", "Amazon EC2", "ana@example.com", "15"),
    ("2024-09-03", "Amazon S3", "ana@example.com", "3"),
    ("2024-09-01", "Amazon S3", "sameer@example.com", "5"),
    ("2024-09-04", "AWS Lambda", "", "2"),
];

fn focus() -> Vec<u8> {
    let mut out = String::from(
        "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName,SubAccountId,Tags\n",
    );
    for (d, service, owner, amount) in LINES {
        let effective = dec(amount) - Decimal::ONE;
        let tags = if owner.is_empty() {
            String::new()
        } else {
            format!("\"{{\"\"owner\"\":\"\"{owner}\"\"}}\"")
        };
        writeln!(
            out,
            "{amount},{effective},USD,{d}T00:00:00Z,{}T00:00:00Z,Usage,{service},111122223333,{tags}",
            day(d).succ_opt().unwrap()
        )
        .unwrap();
    }
    out.into_bytes()
}

async fn world(now: (i32, u32, u32), smtp: Option<&SmtpServer>) -> World {
    let app = spawn_app_with(Options {
        clock_start: Some(Utc.with_ymd_and_hms(now.0, now.1, now.2, 9, 0, 0).unwrap()),
        smtp_url: smtp.map(SmtpServer::url),
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let c = &admin.client;
    let fixture = app.fixture(&admin);
    let client_id = fixture.client("Acme").await;
    let ana = fixture.person("ana@example.com", "Ana").await;
    let sameer = fixture.person("sameer@example.com", "Sameer").await;
    let platform = fixture.team("Platform", &[&ana, &sameer]).await;
    c.create_allocation_rule(&NewAllocationRule {
        client_id: None,
        name: "Owner tag".into(),
        position: None,
        tag_key: Some("owner".into()),
        tag_value: None,
        account: None,
        service: None,
        allocation: Allocation::FromTag {
            kind: SubjectKind::User,
        },
    })
    .await
    .unwrap();
    fixture.import(&client_id, focus()).await;
    World {
        app,
        admin,
        ana,
        sameer,
        platform,
    }
}

fn september(user: Option<&str>, team: Option<&str>) -> MonthlyReportQuery {
    MonthlyReportQuery {
        period: "2024-09".into(),
        user_id: user.map(str::to_owned),
        team_id: team.map(str::to_owned),
        client_id: None,
    }
}

/// `(key, amount, previous, change)` of report lines.
fn table(lines: &[gmac_types::ReportLine]) -> Vec<(String, Decimal, Decimal, Option<Decimal>)> {
    lines
        .iter()
        .map(|l| (l.label.clone(), l.amount, l.previous, l.change_percent))
        .collect()
}

#[tokio::test]
async fn monthly_reports_per_user_team_and_everything_compare_with_the_month_before() {
    let w = world((2024, 10, 15), None).await;
    let c = &w.admin.client;

    let ada = c
        .monthly_report(&september(Some(&w.ana), None))
        .await
        .unwrap();
    assert_eq!(ada.name, "Ana");
    assert_eq!(ada.currency, "USD");
    assert_eq!(
        (ada.total, ada.previous_total, ada.change_percent),
        (dec("33"), dec("20"), Some(dec("65.0")))
    );
    assert_eq!(ada.effective_total, dec("30"), "three lines, 1 less each");
    assert_eq!(
        table(&ada.services),
        vec![
            ("Amazon EC2".into(), dec("30"), dec("20"), Some(dec("50.0"))),
            ("Amazon S3".into(), dec("3"), dec("0"), None),
        ]
    );
    assert!(ada.breakdown.is_empty());
    let days: Vec<(NaiveDate, Decimal)> = ada.days.iter().map(|d| (d.day, d.amount)).collect();
    assert_eq!(
        days,
        vec![
            (day("2024-09-01"), dec("15")),
            (day("2024-09-02"), dec("15")),
            (day("2024-09-03"), dec("3")),
        ]
    );

    let sameer = c
        .monthly_report(&september(Some(&w.sameer), None))
        .await
        .unwrap();
    assert_eq!(
        (sameer.total, sameer.previous_total, sameer.change_percent),
        (dec("5"), dec("5"), Some(dec("0.0")))
    );

    let team = c
        .monthly_report(&september(None, Some(&w.platform)))
        .await
        .unwrap();
    assert_eq!(team.name, "Platform");
    assert_eq!(
        (team.total, team.previous_total, team.change_percent),
        (dec("38"), dec("25"), Some(dec("52.0")))
    );
    assert_eq!(
        table(&team.breakdown),
        vec![
            ("Ana".into(), dec("33"), dec("20"), Some(dec("65.0"))),
            ("Sameer".into(), dec("5"), dec("5"), Some(dec("0.0"))),
        ]
    );

    let all = c.monthly_report(&september(None, None)).await.unwrap();
    assert_eq!(
        (all.total, all.previous_total, all.change_percent),
        (dec("40"), dec("32"), Some(dec("25.0")))
    );
    assert_eq!(
        table(&all.breakdown),
        vec![
            ("Platform".into(), dec("38"), dec("25"), Some(dec("52.0"))),
            (
                "No team or unallocated".into(),
                dec("2"),
                dec("7"),
                Some(dec("-71.4"))
            ),
        ]
    );
    // The services add up to the total, to the last digit.
    assert_eq!(
        all.services.iter().map(|l| l.amount).sum::<Decimal>(),
        all.total
    );

    // The same report as PDF and as CSV.
    let url = format!(
        "/api/v1/reports/monthly?period=2024-09&team_id={}",
        w.platform
    );
    let pdf = c
        .request(reqwest::Method::GET, &url)
        .header("Accept", "application/pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(
        pdf.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("gmac-costs-platform-2024-09.pdf")
    );
    let text = gmac_tests::pdf::pdf_text(&pdf.bytes().await.unwrap());
    assert!(text.contains("amounts in USD"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("Billed cost") && l.trim_end().ends_with("38.00")),
        "{text}"
    );
    let csv = c
        .request(reqwest::Method::GET, &url)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let member = rows
        .iter()
        .find(|r| &r[0] == "member" && &r[2] == "Ana")
        .expect("Ana's line");
    assert_eq!(
        (dec(&member[3]), dec(&member[4]), &member[5]),
        (dec("33"), dec("20"), "65.0")
    );
    assert_eq!(
        rows.iter().filter(|r| &r[0] == "day").count(),
        3,
        "the team had costs on 1, 2 and 3 September"
    );
}

#[tokio::test]
async fn bad_report_queries_are_refused_clearly() {
    let w = world((2024, 10, 15), None).await;
    let c = &w.admin.client;
    let both = c
        .monthly_report(&september(Some(&w.ana), Some(&w.platform)))
        .await
        .unwrap_err();
    assert_eq!(both.status(), Some(422));
    for period in [
        "2024-13",
        "-262143-01",
        "2024-\n01",
        " 2024-09",
        "2024-9",
        "0000-01",
    ] {
        let mut bad = september(None, None);
        bad.period = period.into();
        assert_eq!(
            c.monthly_report(&bad).await.unwrap_err().status(),
            Some(422),
            "{period:?}"
        );
    }
    // Days at chrono's limits are refused, not overflowed.
    let err = c
        .costs(&gmac_types::CostQuery {
            from: NaiveDate::MIN,
            to: NaiveDate::MIN,
            group_by: Some("user".into()),
            compare: true,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422));
    let err = c
        .cost_anomalies(
            &gmac_types::AnomalyQuery {
                from: NaiveDate::MIN,
                to: NaiveDate::MIN,
                ..Default::default()
            },
            &PageQuery::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(
        c.monthly_report(&september(Some("no-such-user"), None))
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
}

fn schedule(
    subject: Option<Subject>,
    cadence: ReportCadence,
    format: ReportFormat,
) -> NewReportSchedule {
    NewReportSchedule {
        name: "Platform monthly".into(),
        subject,
        client_id: None,
        cadence,
        format,
        recipients: vec!["cto@example.com".into(), "lead@example.com".into()],
    }
}

#[tokio::test]
async fn a_scheduled_report_is_emailed_once_per_run_with_its_pdf_attached() {
    let smtp = SmtpServer::start().await;
    // Friday 20 September 2024.
    let w = world((2024, 9, 20), Some(&smtp)).await;
    let c = &w.admin.client;
    let created = c
        .create_report_schedule(&schedule(
            Some(Subject {
                kind: SubjectKind::Team,
                id: w.platform.clone(),
            }),
            ReportCadence::Monthly,
            ReportFormat::Pdf,
        ))
        .await
        .unwrap();
    assert_eq!(created.next_run, day("2024-10-01"));
    assert_eq!(created.subject_name, "Platform");

    // Nothing is due before the 1st.
    let core = &w.app.core;
    assert_eq!(
        gmac_core::services::reports::run_due(core).await.unwrap(),
        0
    );
    let clock = w.app.clock.as_ref().unwrap();
    clock.advance(chrono::Duration::days(11));
    assert_eq!(
        gmac_core::services::reports::run_due(core).await.unwrap(),
        1
    );
    let mails = smtp.wait_for(2).await;
    assert_eq!(mails.len(), 2);
    for mail in &mails {
        assert!(
            mail.contains("Subject: Cost report: Platform, 2024-09"),
            "{mail}"
        );
        assert!(mail.contains("multipart/mixed"));
        assert!(mail.contains("gmac-costs-platform-2024-09.pdf"));
        // "%PDF-" in base64.
        assert!(mail.contains("JVBERi0"), "the PDF is attached");
        assert!(mail.contains("Billed cost: 38.00 USD"));
    }
    let to: Vec<bool> = ["cto@example.com", "lead@example.com"]
        .iter()
        .map(|r| mails.iter().any(|m| m.contains(&format!("To: {r}"))))
        .collect();
    assert_eq!(to, vec![true, true]);

    // Checking again the same day, or a day later, sends nothing more.
    assert_eq!(
        gmac_core::services::reports::run_due(core).await.unwrap(),
        0
    );
    clock.advance(chrono::Duration::days(1));
    assert_eq!(
        gmac_core::services::reports::run_due(core).await.unwrap(),
        0
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.messages().len(), 2);
    // Twelve days on, the first sign-in has expired.
    let admin = w.app.sign_in(&w.admin.email, &w.admin.password).await;
    let c = &admin.client;
    let listed = c
        .list_report_schedules(&PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_period.as_deref(), Some("2024-09"));
    assert!(listed[0].last_sent_at.is_some());
    assert_eq!(listed[0].last_error, None);
    assert_eq!(listed[0].next_run, day("2024-11-01"));

    // A weekly CSV of everything, sent now by hand: the month so far.
    let weekly = c
        .create_report_schedule(&NewReportSchedule {
            name: "Everything, weekly".into(),
            recipients: vec!["cfo@example.com".into()],
            ..schedule(None, ReportCadence::Weekly, ReportFormat::Csv)
        })
        .await
        .unwrap();
    let sent = c.send_report(&weekly.id, None).await.unwrap();
    assert_eq!(sent.period, "2024-10");
    assert_eq!(sent.sent_to, vec!["cfo@example.com".to_owned()]);
    // With `Prefer: respond-async` a job sends it; asking again while it waits is that job.
    let job = c
        .send_report_async(&weekly.id, Some("2024-09"))
        .await
        .unwrap();
    assert_eq!(job.kind, "report_schedule.send");
    let again = c
        .send_report_async(&weekly.id, Some("2024-09"))
        .await
        .unwrap();
    assert_eq!(again.id, job.id);
    assert_eq!(
        smtp.messages().len(),
        3,
        "nothing is sent before the job runs"
    );
    w.app.run_jobs().await;
    let job = c.get_job(&job.id).await.unwrap();
    assert_eq!(job.status, gmac_types::JobStatus::Succeeded, "{job:?}");
    let sent: gmac_types::ReportDelivery = serde_json::from_value(job.result.unwrap()).unwrap();
    assert_eq!(sent.period, "2024-09");
    assert_eq!(sent.sent_to, vec!["cfo@example.com".to_owned()]);
    let mails = smtp.wait_for(4).await;
    assert_eq!(mails.len(), 4, "sent once");
    let csv = mails.last().unwrap();
    assert!(csv.contains("gmac-costs-all-costs-2024-09.csv"), "{csv}");
    assert!(csv.contains("text/csv"));

    // Both sends are in the audit log with the schedule's creation.
    let events = c
        .list_audit_events(&gmac_types::AuditQuery {
            action: Some("report_schedule.send".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.items.len(), 2);

    c.delete_report_schedule(&weekly.id).await.unwrap();
    assert_eq!(
        c.list_report_schedules(&PageQuery::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

#[tokio::test]
async fn bad_schedules_are_refused_field_by_field() {
    let w = world((2024, 9, 20), None).await;
    let c = &w.admin.client;
    let err = c
        .create_report_schedule(&NewReportSchedule {
            name: " ".into(),
            recipients: vec!["not an address".into()],
            ..schedule(
                Some(Subject {
                    kind: SubjectKind::User,
                    id: "nobody".into(),
                }),
                ReportCadence::Monthly,
                ReportFormat::Pdf,
            )
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422));
    let mut pointers: Vec<String> = err
        .problem()
        .unwrap()
        .errors
        .iter()
        .map(|e| e.pointer.clone())
        .collect();
    pointers.sort();
    assert_eq!(pointers, vec!["/name", "/recipients/0", "/subject/id"]);
    let none = c
        .create_report_schedule(&NewReportSchedule {
            recipients: Vec::new(),
            ..schedule(None, ReportCadence::Monthly, ReportFormat::Pdf)
        })
        .await
        .unwrap_err();
    assert_eq!(none.status(), Some(422));
    assert!(
        c.list_report_schedules(&PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty(),
        "nothing was stored"
    );
    // Without a mail server, sending now says so instead of pretending.
    let s = c
        .create_report_schedule(&schedule(None, ReportCadence::Monthly, ReportFormat::Pdf))
        .await
        .unwrap();
    let sent = c.send_report(&s.id, None).await.unwrap();
    assert!(sent.sent_to.is_empty());
    assert_eq!(sent.failed.len(), 2);
    let listed = c
        .list_report_schedules(&PageQuery::default())
        .await
        .unwrap()
        .items;
    assert!(
        listed[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("no mail server")
    );
    assert_eq!(listed[0].last_sent_at, None);
    // Sent by a job, it fails at once: no retry can bring a mail server.
    let job = c.send_report_async(&s.id, None).await.unwrap();
    w.app.run_jobs().await;
    let job = c.get_job(&job.id).await.unwrap();
    assert_eq!(job.status, gmac_types::JobStatus::Failed, "{job:?}");
    assert_eq!(job.attempts, 1);
    assert!(job.error.unwrap().contains("no mail server"));
}

#[tokio::test]
async fn a_billing_manager_who_cannot_list_users_can_name_them_for_costs() {
    let w = world((2024, 10, 15), None).await;
    let billing = w
        .app
        .fixture(&w.admin)
        .member(
            "billing@example.com",
            "billing_manager",
            gmac_types::Scope::Global,
        )
        .await;
    assert_eq!(
        billing
            .client
            .list_users(&gmac_types::ListQuery::default())
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    let people = billing.client.cost_people().await.unwrap();
    let users: Vec<(&str, Option<&str>)> = people
        .users
        .iter()
        .map(|u| (u.name.as_str(), u.email.as_deref()))
        .collect();
    assert!(users.contains(&("Ana", Some("ana@example.com"))));
    assert!(users.contains(&("Sameer", Some("sameer@example.com"))));
    assert_eq!(
        people
            .teams
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Platform"]
    );
    assert!(people.users.iter().any(|u| u.id == w.ana));

    // Someone who only views costs gets names, not addresses; a deactivated user is still
    // named (their past costs are theirs) and marked.
    w.admin
        .client
        .update_user(
            &w.sameer,
            &gmac_types::UserPatch {
                status: Some(gmac_types::UserStatus::Disabled),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let viewer = w
        .app
        .fixture(&w.admin)
        .member("viewer@example.com", "viewer", gmac_types::Scope::Global)
        .await;
    let seen = viewer.client.cost_people().await.unwrap();
    assert!(seen.users.iter().all(|u| u.email.is_none()));
    let sameer = seen.users.iter().find(|u| u.id == w.sameer).unwrap();
    assert_eq!((sameer.name.as_str(), sameer.active), ("Sameer", false));
    assert!(seen.users.iter().find(|u| u.id == w.ana).unwrap().active);
}

#[tokio::test]
async fn a_member_leaving_a_team_takes_their_costs_along_once_re_allocated() {
    let w = world((2024, 10, 15), None).await;
    let c = &w.admin.client;
    c.remove_team_member(&w.platform, &w.sameer).await.unwrap();
    w.app.run_jobs().await;
    let report = c
        .monthly_report(&september(None, Some(&w.platform)))
        .await
        .unwrap();
    assert_eq!(
        report.total,
        dec("33"),
        "Sameer's 5 left with him, without a new import"
    );
    let all = c.monthly_report(&september(None, None)).await.unwrap();
    assert_eq!(all.total, dec("40"), "nothing is lost");
    let no_team = all
        .breakdown
        .iter()
        .find(|l| l.key == "unallocated")
        .unwrap();
    assert_eq!(no_team.amount, dec("7"), "Sameer's 5 and the untagged 2");

    // A deleted team takes its schedules along; its costs stay, without a team.
    c.create_report_schedule(&schedule(
        Some(Subject {
            kind: SubjectKind::Team,
            id: w.platform.clone(),
        }),
        ReportCadence::Monthly,
        ReportFormat::Pdf,
    ))
    .await
    .unwrap();
    c.delete_team(&w.platform).await.unwrap();
    w.app.run_jobs().await;
    assert!(
        c.list_report_schedules(&PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let all = c.monthly_report(&september(None, None)).await.unwrap();
    assert_eq!(all.total, dec("40"));
    assert_eq!(
        table(&all.breakdown),
        vec![(
            "No team or unallocated".into(),
            dec("40"),
            dec("32"),
            Some(dec("25.0"))
        )]
    );
}

#[tokio::test]
async fn costs_per_user_compare_month_over_month() {
    let w = world((2024, 10, 15), None).await;
    let report = w
        .admin
        .client
        .costs(&gmac_types::CostQuery {
            from: day("2024-09-01"),
            to: day("2024-09-30"),
            group_by: Some("user".into()),
            compare: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (report.total, report.previous_total),
        (dec("40"), Some(dec("32")))
    );
    let rows: Vec<(String, Decimal, Option<Decimal>)> = report
        .groups
        .iter()
        .map(|g| (g.label.clone().unwrap_or_default(), g.amount, g.previous))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("Ana".into(), dec("33"), Some(dec("20"))),
            ("Sameer".into(), dec("5"), Some(dec("5"))),
            ("Unallocated".into(), dec("2"), Some(dec("7"))),
        ]
    );
    // Days have no counterpart in the month before.
    let err = w
        .admin
        .client
        .costs(&gmac_types::CostQuery {
            from: day("2024-09-01"),
            to: day("2024-09-30"),
            group_by: Some("day".into()),
            compare: true,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.problem().unwrap().errors[0].pointer, "/compare");
}

/// Issue 10, point 1: a month so far is compared like with like. The range runs to the 10th,
/// but costs reach only the 4th: the days after are not counted as days that cost nothing,
/// and 1–4 September are set against 1–4 August, not the 10 days before the 1st.
#[tokio::test]
async fn a_month_so_far_compares_its_days_with_data_with_the_same_days_of_the_month_before() {
    let w = world((2024, 9, 11), None).await;
    let report = w
        .admin
        .client
        .costs(&gmac_types::CostQuery {
            from: day("2024-09-01"),
            to: day("2024-09-10"),
            group_by: Some("user".into()),
            compare: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        report.compared,
        Some(gmac_types::Comparison {
            from: day("2024-09-01"),
            to: day("2024-09-04"),
            previous_from: day("2024-08-01"),
            previous_to: day("2024-08-04"),
        })
    );
    assert_eq!(
        (report.total, report.previous_total),
        (dec("40"), Some(dec("32")))
    );
    let ana = report.groups.iter().find(|g| g.key == w.ana).unwrap();
    assert_eq!((ana.amount, ana.previous), (dec("33"), Some(dec("20"))));
}

/// Issue 10, point 5, read by poppler: names in Latin, Greek and Cyrillic print as written
/// (not `?`), amounts have thousands separators and end at one right edge, and the chart has
/// amounts on an axis and dated days under the bars with no text over them.
#[tokio::test]
async fn a_report_pdf_prints_every_script_aligns_amounts_and_keeps_labels_off_the_bars() {
    use gmac_types::{DayAmount, MonthlyReport, ReportLine};
    let line = |label: &str, amount: &str, previous: &str| ReportLine {
        key: label.to_owned(),
        label: label.to_owned(),
        amount: dec(amount),
        previous: dec(previous),
        change_percent: None,
    };
    let names = ["Zoë Łukasiewicz", "Αθηνά Παπαδοπούλου", "Жанна Иванова"];
    let report = MonthlyReport {
        subject: None,
        name: "Платформа — Ωmega".into(),
        period: "2024-09".into(),
        currency: "EUR".into(),
        total: dec("1234567.891"),
        effective_total: dec("1000000"),
        previous_total: dec("999.5"),
        change_percent: None,
        services: vec![
            line("Amazon Elastic Compute Cloud", "1234000.5", "900"),
            line("Amazon S3", "567.39", "99.5"),
        ],
        breakdown: names
            .iter()
            .zip(["1000000", "234000.5", "567.391"])
            .map(|(name, amount)| line(name, amount, "1"))
            .collect(),
        days: (1..=30)
            .map(|d| DayAmount {
                day: day(&format!("2024-09-{d:02}")),
                amount: dec("41152.26"),
            })
            .collect(),
    };
    let pdf = gmac_core::pdf::report_pdf(&report);
    let text = gmac_tests::pdf::pdf_text(&pdf);
    assert!(!text.contains('?'), "nothing printed as ?: {text}");
    for name in names.iter().chain(&["Платформа — Ωmega"]) {
        assert!(text.contains(name), "{name} in {text}");
    }
    assert!(text.contains("1,234,567.89"), "{text}");
    assert!(text.contains("1,000,000.00"), "{text}");
    // The amounts of a column end at one edge.
    let words = gmac_tests::pdf::pdf_words(&pdf);
    let right_edges: Vec<f64> = ["1,000,000.00", "234,000.50", "567.39"]
        .iter()
        .map(|amount| {
            words
                .iter()
                .filter(|w| w.text == *amount)
                .map(|w| w.x_max)
                .next_back()
                .unwrap_or_else(|| panic!("{amount} on the page"))
        })
        .collect();
    assert!(
        right_edges.iter().all(|x| (x - right_edges[0]).abs() < 0.5),
        "right-aligned: {right_edges:?}"
    );
    // The chart: its title, then only amounts left of the first day until the days' row.
    let title = words
        .windows(3)
        .position(|w| {
            (w[0].text.as_str(), w[1].text.as_str(), w[2].text.as_str())
                == ("Billed", "cost", "per")
        })
        .expect("the chart's title");
    let first_day = words
        .windows(2)
        .position(|pair| pair[0].text == "1" && pair[1].text == "Sep")
        .expect("the 1st of September under its bar");
    let plot_left = words[first_day].x_min;
    let axis: Vec<&gmac_tests::pdf::Word> = words
        .iter()
        .filter(|w| w.y_min > words[title].y_max && w.y_min < words[first_day].y_min)
        .collect();
    assert_eq!(axis.len(), 5, "five amounts on the axis: {axis:?}");
    for label in &axis {
        assert!(
            label.x_max < plot_left,
            "{} is left of the bars",
            label.text
        );
        assert!(label.text.ends_with(".00"), "{} is an amount", label.text);
    }
    assert!(axis.iter().any(|w| w.text == "40,000.00"), "{axis:?}");
    for day in ["5", "10", "30"] {
        assert!(
            words
                .iter()
                .any(|w| w.text == day && (w.y_min - words[first_day].y_min).abs() < 1.0),
            "day {day} under the bars"
        );
    }
}

/// Issue 10, point 3: a schedule's name, cadence, format and recipients change with
/// `If-Match`; what it reports on stays; a stale or bad change is refused and changes nothing.
#[tokio::test]
async fn a_report_schedule_is_changed_with_if_match_and_a_stale_or_bad_change_is_refused() {
    use gmac_types::ReportSchedulePatch;
    let w = world((2024, 9, 20), None).await;
    let c = &w.admin.client;
    let created = c
        .create_report_schedule(&schedule(None, ReportCadence::Monthly, ReportFormat::Pdf))
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    let changed = c
        .update_report_schedule(
            &created.id,
            &ReportSchedulePatch {
                name: Some("Platform weekly".into()),
                cadence: Some(ReportCadence::Weekly),
                format: Some(ReportFormat::Csv),
                recipients: Some(vec!["CFO@example.com".into()]),
            },
            Some(created.version),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            changed.name.as_str(),
            changed.cadence,
            changed.format,
            changed.recipients.clone(),
            changed.version
        ),
        (
            "Platform weekly",
            ReportCadence::Weekly,
            ReportFormat::Csv,
            vec!["cfo@example.com".to_owned()],
            2
        )
    );
    assert_eq!(changed.subject, created.subject, "what it reports on stays");
    assert!(changed.next_run <= created.next_run, "weekly runs sooner");

    let stale = c
        .update_report_schedule(
            &created.id,
            &ReportSchedulePatch {
                name: Some("Mine".into()),
                ..ReportSchedulePatch::default()
            },
            Some(created.version),
        )
        .await
        .unwrap_err();
    assert_eq!(stale.status(), Some(412));
    let bad = c
        .update_report_schedule(
            &created.id,
            &ReportSchedulePatch {
                recipients: Some(vec!["not an address".into()]),
                ..ReportSchedulePatch::default()
            },
            Some(changed.version),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(422));
    assert_eq!(bad.problem().unwrap().errors[0].pointer, "/recipients/0");
    let now = c
        .list_report_schedules(&PageQuery::default())
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(
        (now.name.as_str(), now.version),
        ("Platform weekly", 2),
        "unchanged since"
    );
}
