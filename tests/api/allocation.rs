//! Cost allocation: hand assignments beat rules, rules apply in order, what no rule claims is
//! Unallocated, shared costs split exactly, and changing the rules re-allocates history. Each
//! check runs on the real FOCUS sample where it is present (skipped, by name, where it is not)
//! and on a file of gmac's own generator, with the expected amounts summed from the file.

use gmac_types::PageQuery;
use std::collections::BTreeMap;
use std::str::FromStr;

use gmac_tests::{
    FocusRows, Session, TestApp, focus_sample, generated_focus, spawn_app, test_name,
};
use gmac_types::{
    Allocation, CostQuery, NewAllocationRule, NewResourceAssignment, ShareMethod, Subject,
    SubjectKind,
};
use rust_decimal::Decimal;

/// A FOCUS file and what in it the rules of these tests key on.
struct Data {
    file: Vec<u8>,
    /// The tag (key, value) a rule hands to Sameer.
    sameer_tag: (&'static str, &'static str),
    /// The tag key whose value names a team (`Trey` among others).
    team_key: &'static str,
    /// A resource assigned to Grace by hand, whatever its tags say.
    hand_picked: String,
}

impl Data {
    /// The real sample, or `None` (and a line naming `test` on stderr) where it is absent.
    fn real_sample(test: &str) -> Option<Self> {
        Some(Self {
            file: std::fs::read(focus_sample(test)?).unwrap(),
            sameer_tag: ("CostAllocationTest", "Sameer"),
            team_key: "org",
            hand_picked: "i-037929a54982e113l".to_owned(),
        })
    }

    /// The generated file: owners and teams in `owner` and `team` tags.
    fn generated() -> Self {
        let mut data = Self {
            file: generated_focus(),
            sameer_tag: ("owner", "sameer@example.com"),
            team_key: "team",
            hand_picked: String::new(),
        };
        // One of the resources Sameer's rule would claim.
        data.hand_picked = data
            .rows()
            .into_iter()
            .find(|r| data.is_sameers(r))
            .expect("the generated file tags resources with Sameer's address")
            .resource;
        data
    }

    /// Every row: resource, service, tags (keys trimmed), billed cost.
    fn rows(&self) -> Vec<Row> {
        let file = FocusRows::read(&self.file);
        let (resource, service, tags, billed) = (
            file.column("ResourceId"),
            file.column("ServiceName"),
            file.column("Tags"),
            file.column("BilledCost"),
        );
        file.rows()
            .iter()
            .map(|r| {
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

    fn is_sameers(&self, row: &Row) -> bool {
        row.tags.get(self.sameer_tag.0).map(String::as_str) == Some(self.sameer_tag.1)
    }

    /// The rule handing Sameer's tag to Sameer.
    fn sameers_rule(&self, sameer: &str) -> NewAllocationRule {
        rule(
            "Sameer's tests",
            self.sameer_tag.0,
            Some(self.sameer_tag.1),
            Allocation::Assign {
                to: Subject {
                    kind: SubjectKind::User,
                    id: sameer.to_owned(),
                },
            },
        )
    }
}

/// One row of a file.
struct Row {
    resource: String,
    service: String,
    tags: BTreeMap<String, String>,
    billed: Decimal,
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
    grace: String,
}

/// A client with `file` imported, two users (Sameer, Grace) and a team (Trey).
async fn fixture(file: Vec<u8>) -> Fixture {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let fixture = app.fixture(&admin);
    let client_id = fixture.client("Acme").await;
    fixture.import(&client_id, file).await;
    let sameer = fixture.person("sameer@example.com", "Sameer").await;
    let grace = fixture.person("grace@example.com", "Grace").await;
    fixture.team("Trey", &[]).await;
    Fixture {
        app,
        admin,
        client_id,
        sameer,
        grace,
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
async fn hand_assignments_beat_rules_which_apply_in_order_on_the_real_focus_sample() {
    let Some(data) = Data::real_sample(test_name!()) else {
        return;
    };
    allocates_by_rules_in_order(data).await;
}

#[tokio::test]
async fn hand_assignments_beat_rules_which_apply_in_order_on_a_generated_focus_file() {
    allocates_by_rules_in_order(Data::generated()).await;
}

async fn allocates_by_rules_in_order(data: Data) {
    let all = data.rows();
    let f = fixture(data.file.clone()).await;
    let total: Decimal = all.iter().map(|r| r.billed).sum();

    // Before any rule, everything is unallocated.
    assert_eq!(
        by(&f.admin, "user").await,
        BTreeMap::from([("Unallocated".to_owned(), total)])
    );

    f.admin
        .client
        .create_allocation_rule(&data.sameers_rule(&f.sameer))
        .await
        .unwrap();
    f.admin
        .client
        .create_allocation_rule(&rule(
            "A tag names the team",
            data.team_key,
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
            resource_id: data.hand_picked.clone(),
            to: Subject {
                kind: SubjectKind::User,
                id: f.grace.clone(),
            },
        })
        .await
        .unwrap();

    // The history is re-allocated by a job: one for the three changes, queued with them, and
    // until it runs the figures are those from before.
    let waiting = f
        .admin
        .client
        .list_jobs(
            &gmac_types::JobQuery {
                kind: Some("cost_allocation.recompute".into()),
                status: Some(gmac_types::JobStatus::Queued),
                client_id: Some(f.client_id.clone()),
            },
            &PageQuery::default(),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(
        by(&f.admin, "user").await,
        BTreeMap::from([("Unallocated".to_owned(), total)])
    );
    f.app.run_jobs().await;

    // The same precedence, computed independently from the file.
    let (mut grace, mut sameer, mut trey) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for row in &all {
        if row.resource == data.hand_picked {
            grace += row.billed;
        } else if data.is_sameers(row) {
            sameer += row.billed;
        } else if row
            .tags
            .get(data.team_key)
            .is_some_and(|v| v.eq_ignore_ascii_case("trey"))
        {
            trey += row.billed;
        }
    }
    assert!(grace > Decimal::ZERO && sameer > Decimal::ZERO && trey > Decimal::ZERO);
    let users = by(&f.admin, "user").await;
    assert_eq!(users.get("Grace"), Some(&grace));
    assert_eq!(users.get("Sameer"), Some(&sameer));
    // The team's costs are not a user's: they count as unallocated among users.
    assert_eq!(users.get("Unallocated"), Some(&(total - grace - sameer)));
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
    let rules = f
        .admin
        .client
        .list_allocation_rules(None, &PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(rules.iter().map(|r| r.position).collect::<Vec<_>>(), [1, 2]);
    f.admin
        .client
        .delete_allocation_rule(&rules[1].id)
        .await
        .unwrap();
    f.app.run_jobs().await;
    assert_eq!(
        by(&f.admin, "team").await,
        BTreeMap::from([("Unallocated".to_owned(), total)])
    );
    assert_eq!(by(&f.admin, "user").await.get("Sameer"), Some(&sameer));
    drop(f.app);
}

#[tokio::test]
async fn shared_costs_split_exactly_among_those_named_on_the_real_focus_sample() {
    let Some(data) = Data::real_sample(test_name!()) else {
        return;
    };
    splits_shared_costs_exactly(data).await;
}

#[tokio::test]
async fn shared_costs_split_exactly_among_those_named_on_a_generated_focus_file() {
    splits_shared_costs_exactly(Data::generated()).await;
}

/// `AmazonCloudWatch` shared evenly between Sameer and Grace, ahead of Sameer's rule.
async fn splits_shared_costs_exactly(data: Data) {
    let all = data.rows();
    let f = fixture(data.file.clone()).await;
    let total: Decimal = all.iter().map(|r| r.billed).sum();
    let cloudwatch_rows: Vec<&Row> = all
        .iter()
        .filter(|r| r.service == "AmazonCloudWatch")
        .collect();
    assert!(!cloudwatch_rows.is_empty(), "the file has CloudWatch costs");
    f.admin
        .client
        .create_allocation_rule(&data.sameers_rule(&f.sameer))
        .await
        .unwrap();
    f.app.run_jobs().await;
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
                        id: f.grace.clone(),
                    },
                ],
                method: ShareMethod::Even,
            },
        })
        .await
        .unwrap();
    f.app.run_jobs().await;
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
    assert_eq!(
        cloudwatch,
        cloudwatch_rows.iter().map(|r| r.billed).sum::<Decimal>()
    );
    let grace = after.get("Grace").copied().unwrap_or_default();
    // Sameer's share: what he gained, plus the CloudWatch costs his rule gave him before.
    let sameer_share = after["Sameer"] - before["Sameer"]
        + cloudwatch_rows
            .iter()
            .filter(|r| data.is_sameers(r))
            .map(|r| r.billed)
            .sum::<Decimal>();
    assert_eq!(grace + sameer_share, cloudwatch);
    // Each rollup row of CloudWatch cost (no more than the file's CloudWatch lines) is split
    // in two to the last unit, so the halves differ by at most one unit (10⁻¹¹) a row.
    let rollup_rows = i64::try_from(cloudwatch_rows.len()).unwrap();
    assert!(
        (grace - sameer_share).abs() <= Decimal::new(rollup_rows, 11),
        "{grace} vs {sameer_share}"
    );
    let rules = f
        .admin
        .client
        .list_allocation_rules(Some(&f.client_id), &PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(rules[0].name, "Monitoring is shared");
}

#[tokio::test]
async fn bad_rules_are_refused_field_by_field() {
    // Any costs will do: the generated file, which every clone has.
    let f = fixture(generated_focus()).await;
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
            user_id: Some(f.grace.clone()),
            ..september()
        })
        .await
        .unwrap_err();
    assert_eq!(mixed.problem().unwrap().errors[0].pointer, "/group_by");
}

#[tokio::test]
async fn a_months_invoices_add_up_to_its_billed_cost_exactly_on_the_real_focus_sample() {
    let Some(data) = Data::real_sample(test_name!()) else {
        return;
    };
    invoices_add_up(data).await;
}

#[tokio::test]
async fn a_months_invoices_add_up_to_its_billed_cost_exactly_on_a_generated_focus_file() {
    invoices_add_up(Data::generated()).await;
}

/// Sameer's September invoice and the unallocated rest add up to September's billed cost.
async fn invoices_add_up(data: Data) {
    let all = data.rows();
    let f = fixture(data.file.clone()).await;
    f.admin
        .client
        .create_allocation_rule(&data.sameers_rule(&f.sameer))
        .await
        .unwrap();
    f.app.run_jobs().await;
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
    assert!(
        sameer.number.starts_with("DRAFT-2024-09-"),
        "not issued yet"
    );
    assert_eq!(sameer.kind, gmac_types::InvoiceKind::Draft);
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
    // Every line of the file is in September.
    assert_eq!(september, all.iter().map(|r| r.billed).sum::<Decimal>());
    assert_eq!(
        sameer.total,
        all.iter()
            .filter(|r| data.is_sameers(r))
            .map(|r| r.billed)
            .sum::<Decimal>()
    );

    // The same draft as a PDF document, read by poppler: a draft, not numbered, its total
    // with thousands separators at the end of its line.
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
    let text = gmac_tests::pdf::pdf_text(&pdf.bytes().await.unwrap());
    assert!(text.contains("Draft invoice"), "{text}");
    assert!(
        text.contains("Billed to") && text.contains("Sameer"),
        "{text}"
    );
    assert!(text.contains("September 2024"), "{text}");
    let total = format!("{} USD", gmac_core::money::grouped(sameer.total));
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("Total") && l.trim_end().ends_with(&total)),
        "the total, {total}, ends its line: {text}"
    );
    let nobody = f
        .admin
        .client
        .invoice(&invoice("01900000-0000-7000-8000-000000000000".into()))
        .await
        .unwrap_err();
    assert_eq!(nobody.status(), Some(404));
}

/// Issue 10, point 5: an invoice is issued once its month is over, numbered and dated with
/// its issuer, and kept as issued; a later change of allocation marks it outdated, and issuing
/// again adds a credit note cancelling it and a new invoice replacing it.
#[tokio::test]
async fn an_issued_invoice_is_kept_as_issued_and_a_changed_allocation_is_corrected_by_a_credit_note()
 {
    use gmac_types::{InvoiceKind, IssueInvoice};
    let data = Data::generated();
    let rows = data.rows();
    let f = fixture(data.file.clone()).await;
    f.admin
        .client
        .create_allocation_rule(&data.sameers_rule(&f.sameer))
        .await
        .unwrap();
    f.app.run_jobs().await;
    let year = chrono::Datelike::year(&f.app.core.now());
    let query = gmac_types::InvoiceQuery {
        user_id: f.sameer.clone(),
        period: "2024-09".into(),
        client_id: None,
    };
    let issue = IssueInvoice {
        user_id: f.sameer.clone(),
        period: "2024-09".into(),
        client_id: None,
    };
    let post = |body: &IssueInvoice| {
        f.app
            .http()
            .post(f.app.url("/api/v1/invoices"))
            .bearer_auth(&f.admin.access_token)
            .json(body)
            .send()
    };
    let response = post(&issue).await.unwrap();
    assert_eq!(response.status(), 201);
    let issued: gmac_types::Invoice = response.json().await.unwrap();
    assert_eq!(issued.number, format!("INV-{year}-00001"));
    assert_eq!(issued.kind, InvoiceKind::Invoice);
    assert_eq!(issued.issuer, "gmac");
    assert!(issued.issued_at.is_some());
    // Issuing again with the same figures changes nothing.
    let again = post(&issue).await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.json::<gmac_types::Invoice>().await.unwrap().number,
        issued.number
    );

    // Another rule gives Sameer a service's unclaimed costs: the issued invoice stays as it
    // was, and says it is outdated.
    let service = rows
        .iter()
        .find(|r| !data.is_sameers(r))
        .map(|r| r.service.clone())
        .unwrap();
    f.admin
        .client
        .create_allocation_rule(&NewAllocationRule {
            tag_key: None,
            tag_value: None,
            service: Some(service),
            ..rule(
                "More for Sameer",
                "unused",
                None,
                Allocation::Assign {
                    to: Subject {
                        kind: SubjectKind::User,
                        id: f.sameer.clone(),
                    },
                },
            )
        })
        .await
        .unwrap();
    f.app.run_jobs().await;
    let kept = f.admin.client.invoice(&query).await.unwrap();
    assert_eq!(kept.number, issued.number);
    assert_eq!((kept.total, &kept.lines), (issued.total, &issued.lines));
    assert!(kept.outdated, "the allocation changed since");

    // Issued again: a credit note for the first, and a second invoice replacing it.
    let corrected: gmac_types::Invoice = post(&issue).await.unwrap().json().await.unwrap();
    assert_eq!(corrected.number, format!("INV-{year}-00002"));
    assert_eq!(corrected.corrects.as_deref(), Some(issued.number.as_str()));
    assert!(corrected.total > issued.total);
    let credit = f
        .admin
        .client
        .issued_invoice(&format!("CN-{year}-00001"))
        .await
        .unwrap();
    assert_eq!(credit.kind, InvoiceKind::CreditNote);
    assert_eq!(credit.total, -issued.total);
    assert_eq!(credit.corrects.as_deref(), Some(issued.number.as_str()));
    let first = f.admin.client.issued_invoice(&issued.number).await.unwrap();
    assert_eq!((first.total, first.lines), (issued.total, issued.lines));
    let now = f.admin.client.invoice(&query).await.unwrap();
    assert_eq!(
        (now.number.as_str(), now.outdated),
        (corrected.number.as_str(), false)
    );

    // Nothing left to bill: the credit note alone, and the month is a draft again.
    let rules = f
        .admin
        .client
        .list_allocation_rules(None, &gmac_types::PageQuery::default())
        .await
        .unwrap();
    for rule in rules.items {
        f.admin
            .client
            .delete_allocation_rule(&rule.id)
            .await
            .unwrap();
    }
    f.app.run_jobs().await;
    let cancelled: gmac_types::Invoice = post(&issue).await.unwrap().json().await.unwrap();
    assert_eq!(cancelled.number, format!("CN-{year}-00002"));
    assert_eq!(cancelled.total, -corrected.total);
    assert_eq!(
        f.admin.client.invoice(&query).await.unwrap().kind,
        InvoiceKind::Draft
    );

    // The credit note as a PDF, read by poppler: its kind, number, what it cancels, the issuer
    // and the font it embeds.
    let pdf = f
        .app
        .http()
        .get(f.app.url(&format!("/api/v1/invoices/CN-{year}-00001")))
        .bearer_auth(&f.admin.access_token)
        .header("Accept", "application/pdf")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let text = gmac_tests::pdf::pdf_text(&pdf);
    for needle in [
        "Credit note".to_owned(),
        format!("CN-{year}-00001"),
        "Issued by".to_owned(),
    ] {
        assert!(text.contains(&needle), "{needle:?} in {text}");
    }
    assert!(
        text.lines()
            .any(|l| l.contains("Cancels invoice") && l.contains(&issued.number)),
        "{text}"
    );
    let fonts = gmac_tests::pdf::pdf_fonts(&pdf);
    assert!(fonts.contains("+DejaVuSans"), "{fonts}");

    // The current month is not over: a draft, not issued.
    let this_month = f.app.core.now().format("%Y-%m").to_string();
    let early = post(&IssueInvoice {
        period: this_month,
        ..issue.clone()
    })
    .await
    .unwrap();
    assert_eq!(early.status(), 422);
    let problem: gmac_types::ProblemDetails = early.json().await.unwrap();
    assert_eq!(problem.errors[0].code, "month_not_over");
}

/// Issue 10, point 3: a rule is changed with `If-Match` (criteria, allocation and place), the
/// history is re-allocated by it, and a stale or bad change is refused without a trace.
#[tokio::test]
async fn an_allocation_rule_is_changed_with_if_match_and_history_follows() {
    use gmac_types::AllocationRuleChange;
    let data = Data::generated();
    let f = fixture(data.file.clone()).await;
    let sameers = f
        .admin
        .client
        .create_allocation_rule(&data.sameers_rule(&f.sameer))
        .await
        .unwrap();
    let graces = f
        .admin
        .client
        .create_allocation_rule(&rule(
            "Grace's tests",
            data.sameer_tag.0,
            Some(data.sameer_tag.1),
            Allocation::Assign {
                to: Subject {
                    kind: SubjectKind::User,
                    id: f.grace.clone(),
                },
            },
        ))
        .await
        .unwrap();
    f.app.run_jobs().await;
    let per_user = || by(&f.admin, "user");
    let before = per_user().await;
    assert!(
        before.contains_key("Sameer") && !before.contains_key("Grace"),
        "{before:?}"
    );

    // Grace's rule goes first: the same costs are Grace's now.
    let change = AllocationRuleChange {
        name: "Grace's tests, first".into(),
        position: Some(1),
        tag_key: graces.tag_key.clone(),
        tag_value: graces.tag_value.clone(),
        account: None,
        service: None,
        allocation: graces.allocation.clone(),
    };
    let changed = f
        .admin
        .client
        .update_allocation_rule(&graces.id, &change, Some(graces.version))
        .await
        .unwrap();
    assert_eq!((changed.position, changed.version), (1, graces.version + 1));
    let order: Vec<String> = f
        .admin
        .client
        .list_allocation_rules(None, &gmac_types::PageQuery::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(order, ["Grace's tests, first", "Sameer's tests"]);
    f.app.run_jobs().await;
    let after = per_user().await;
    assert_eq!(after.get("Grace"), before.get("Sameer"), "{after:?}");
    assert!(!after.contains_key("Sameer"), "{after:?}");

    // A stale version, or a rule that matches nothing, changes nothing.
    let stale = f
        .admin
        .client
        .update_allocation_rule(&graces.id, &change, Some(graces.version))
        .await
        .unwrap_err();
    assert_eq!(stale.status(), Some(412));
    let bad = f
        .admin
        .client
        .update_allocation_rule(
            &sameers.id,
            &AllocationRuleChange {
                tag_key: None,
                tag_value: None,
                ..change.clone()
            },
            Some(sameers.version),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(422));
    assert_eq!(bad.problem().unwrap().errors[0].code, "no_criterion");
    let rules = f
        .admin
        .client
        .list_allocation_rules(None, &gmac_types::PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(rules[1].version, sameers.version, "untouched");
    let audit = f
        .admin
        .client
        .list_audit_events(&gmac_types::AuditQuery {
            action: Some("allocation_rule.update".into()),
            ..gmac_types::AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 1, "one change, audited");
}
