//! Which events notify whom (issue 12, point 7) for real: a service's rules email the people
//! they name, through a real SMTP server (aiosmtpd), when releases built on a real Podman go
//! live, fail and are rolled back behind a real Caddy. Each person hears of an event once,
//! only in the kinds of environment the rule names, and only while they may see the service
//! and want deploy emails.

use std::collections::BTreeMap;
use std::time::Duration;

use gmac_tests::deploy_world::{DeployWorld, job_ended};
use gmac_tests::smtp::SmtpServer;
use gmac_types::{
    EnvironmentKind, JobQuery, JobStatus, NewDeploy, NewRollback, NoticeRule, NotificationPrefs,
    PageQuery, ProfilePatch, ReleaseStatus, Scope, ServiceNotice, ServicePatch,
};

/// A header of a raw message.
fn header(mail: &str, name: &str) -> String {
    mail.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// A raw message with quoted-printable's soft line breaks undone (a long line comes folded).
fn unfolded(mail: &str) -> String {
    mail.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// Waits up to two minutes for `n` messages.
async fn mails(smtp: &SmtpServer, n: usize) -> Vec<String> {
    for _ in 0..1200 {
        if smtp.messages().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    smtp.messages()
}

/// Waits until gmac has handed on every event so far and every notice job it made has ended
/// well: what the mailbox holds then is all it will hold.
async fn all_told(s: &DeployWorld) {
    // The dispatcher runs every 200 ms; a second covers a batch handed on.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let jobs = s
        .admin
        .client
        .list_jobs(
            &JobQuery {
                kind: Some("service.notice".into()),
                ..JobQuery::default()
            },
            &PageQuery::default(),
        )
        .await
        .unwrap()
        .items;
    for job in jobs {
        assert_eq!(job_ended(&s.admin, &job.id).await, JobStatus::Succeeded);
    }
}

/// Who got which subjects, in no order.
fn by_recipient(messages: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in messages {
        found
            .entry(header(m, "To"))
            .or_default()
            .push(header(m, "Subject"));
    }
    for subjects in found.values_mut() {
        subjects.sort();
    }
    found
}

fn rule(
    events: &[ServiceNotice],
    environments: &[EnvironmentKind],
    teams: &[&str],
    emails: &[&str],
) -> NoticeRule {
    NoticeRule {
        events: events.to_vec(),
        environments: environments.to_vec(),
        team_ids: teams.iter().map(|t| (*t).to_owned()).collect(),
        emails: emails.iter().map(|e| (*e).to_owned()).collect(),
    }
}

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one service's rules through three releases, a rollback and their emails"
)]
async fn a_services_rules_email_whom_they_name_once_per_event_in_their_environments_only() {
    use ServiceNotice::{DeployFailed, DeploySucceeded, RolledBack};
    let smtp = SmtpServer::start().await;
    let mut s = Box::pin(DeployWorld::start_with_mail(&smtp.url())).await;
    s.staging_on_target().await;
    let project = s
        .admin
        .client
        .get_service(&s.service)
        .await
        .unwrap()
        .project_id;
    let fixture = s.app.fixture(&s.admin);
    let on_project = || Scope::Project {
        id: project.clone(),
    };
    // A developer of the project; one who turned deploy emails off; one who may not see
    // the service. All three are in the team a rule names.
    let dev = fixture.user("dev@example.com").await;
    fixture.grant(&dev, "developer", on_project()).await;
    let quiet = fixture.user("quiet@example.com").await;
    fixture.grant(&quiet, "developer", on_project()).await;
    let outsider = fixture.user("outsider@example.com").await;
    let team = fixture.team("Web", &[&dev, &quiet, &outsider]).await;
    let quiet_session = s
        .app
        .sign_in("quiet@example.com", gmac_tests::fixture::PASSWORD)
        .await;
    quiet_session
        .client
        .update_profile(&ProfilePatch {
            notifications: Some(NotificationPrefs {
                deploys: false,
                ..NotificationPrefs::default()
            }),
            ..ProfilePatch::default()
        })
        .await
        .unwrap();

    // Bad rules point at what is wrong, and nothing is saved.
    let bad = vec![
        rule(&[], &[], &[], &["ops@example.com"]),
        rule(&[DeployFailed], &[], &[], &[]),
        rule(
            &[DeployFailed],
            &[],
            &["0190a0a0-0000-7000-8000-000000000000"],
            &["not an address"],
        ),
    ];
    let err = s
        .admin
        .client
        .update_service(
            &s.service,
            &ServicePatch {
                notifications: Some(bad),
                ..ServicePatch::default()
            },
            None,
        )
        .await
        .unwrap_err();
    let problem = err.problem().expect("a problem");
    assert_eq!(problem.status, 422);
    let mut pointers: Vec<(&str, &str)> = problem
        .errors
        .iter()
        .map(|e| (e.pointer.as_str(), e.code.as_str()))
        .collect();
    pointers.sort_unstable();
    assert_eq!(
        pointers,
        [
            ("/notifications/0/events", "required"),
            ("/notifications/1", "no_recipients"),
            ("/notifications/2/emails/0", "invalid_email"),
            ("/notifications/2/team_ids/0", "unknown"),
        ]
    );
    let service = s.admin.client.get_service(&s.service).await.unwrap();
    assert!(service.notifications.is_empty(), "nothing was saved");

    // The rules, as saved: lists sorted and without repeats, addresses lower-cased.
    let rules = vec![
        rule(
            &[DeployFailed, DeploySucceeded, DeployFailed],
            &[EnvironmentKind::Staging],
            &[&team],
            &["Ops@Example.com"],
        ),
        // The same address for failures anywhere: told once per event all the same.
        rule(&[DeployFailed], &[], &[], &["ops@example.com"]),
        rule(
            &[RolledBack],
            &[EnvironmentKind::Staging],
            &[],
            &["rollbacks@example.com"],
        ),
        // Production only: nothing here happens there.
        rule(
            &[DeploySucceeded, DeployFailed, RolledBack],
            &[EnvironmentKind::Production],
            &[],
            &["prod@example.com"],
        ),
    ];
    let saved = s
        .admin
        .client
        .update_service(
            &s.service,
            &ServicePatch {
                notifications: Some(rules),
                ..ServicePatch::default()
            },
            Some(service.version),
        )
        .await
        .unwrap();
    assert_eq!(saved.notifications.len(), 4);
    assert_eq!(
        saved.notifications[0].events,
        [DeploySucceeded, DeployFailed]
    );
    assert_eq!(saved.notifications[0].emails, ["ops@example.com"]);
    assert_eq!(saved.notifications[0].team_ids, std::slice::from_ref(&team));
    assert_eq!(
        s.admin
            .client
            .get_service(&s.service)
            .await
            .unwrap()
            .notifications,
        saved.notifications
    );

    // Release #1 goes live in staging: the address and the developer are told, not the one
    // who turned deploy emails off, not the one who may not see the service, not production's.
    s.podman.serving_and_crashing(
        "localhost/gmac-notice-serving:1",
        "localhost/gmac-notice-crashing:1",
    );
    let deploy = async |image: &str| {
        let started = s
            .admin
            .client
            .deploy(
                &s.staging.id,
                &NewDeploy {
                    build_id: None,
                    image: Some(image.to_owned()),
                },
            )
            .await
            .unwrap();
        job_ended(&s.admin, &started.job.id).await;
        started.release.id
    };
    let one = deploy("localhost/gmac-notice-serving:1").await;
    let first = mails(&smtp, 2).await;
    all_told(&s).await;
    let live_one = "[gmac] docs staging: release #1 is live".to_owned();
    assert_eq!(
        by_recipient(&smtp.messages()),
        BTreeMap::from([
            ("dev@example.com".to_owned(), vec![live_one.clone()]),
            ("ops@example.com".to_owned(), vec![live_one.clone()]),
        ]),
        "{first:#?}"
    );
    let body = &unfolded(&first[0]);
    assert!(
        body.contains(&format!("/services/{}", s.service)),
        "the email links the service: {body}"
    );

    // Release #2 goes live, then crashes and #1 serves again: it is told as live, then as
    // failed and rolled back (to the failures' addresses once, and to the rollbacks' one).
    let two = deploy("localhost/gmac-notice-crashing:1").await;
    let releases = s.releases(&s.staging.id).await;
    let two_row = releases.iter().find(|r| r.id == two).unwrap();
    assert_eq!(two_row.status, ReleaseStatus::Failed);
    mails(&smtp, 7).await;
    all_told(&s).await;
    let live_two = "[gmac] docs staging: release #2 is live".to_owned();
    let rolled_two = "[gmac] docs staging: release #2 failed and was rolled back".to_owned();
    let mut told = vec![rolled_two.clone(), live_one.clone(), live_two.clone()];
    told.sort();
    assert_eq!(
        by_recipient(&smtp.messages()),
        BTreeMap::from([
            ("dev@example.com".to_owned(), told.clone()),
            ("ops@example.com".to_owned(), told.clone()),
            ("rollbacks@example.com".to_owned(), vec![rolled_two.clone()]),
        ])
    );
    let failed = smtp
        .messages()
        .into_iter()
        .find(|m| header(m, "Subject") == rolled_two)
        .map(|m| unfolded(&m))
        .unwrap();
    assert!(failed.contains("automatic rollback"), "{failed}");

    // #3 goes live; then someone rolls back to #1: the rollbacks' address hears of it (as
    // release #4, by whom), and #4 going live is told as a deploy.
    deploy("localhost/gmac-notice-serving:1").await;
    let started = s
        .admin
        .client
        .rollback(
            &s.staging.id,
            &NewRollback {
                release_id: one.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        job_ended(&s.admin, &started.job.id).await,
        JobStatus::Succeeded
    );
    mails(&smtp, 12).await;
    all_told(&s).await;
    let got = by_recipient(&smtp.messages());
    assert_eq!(got["rollbacks@example.com"], {
        let mut v = vec![
            rolled_two.clone(),
            "[gmac] docs staging: rolled back to release #1".to_owned(),
        ];
        v.sort();
        v
    });
    assert_eq!(got["ops@example.com"].len(), 5, "{got:#?}");
    assert_eq!(got["dev@example.com"], got["ops@example.com"]);
    assert_eq!(got.len(), 3, "no one else: {got:#?}");
    assert_eq!(smtp.messages().len(), 12, "each person once per event");
    let rollback = smtp
        .messages()
        .into_iter()
        .find(|m| header(m, "Subject").contains("rolled back to release #1"))
        .map(|m| unfolded(&m))
        .unwrap();
    assert!(
        rollback.contains("as release #4, without a") && rollback.contains("paused"),
        "{rollback}"
    );

    // No rules: no one is told of the next deploy.
    let current = s.admin.client.get_service(&s.service).await.unwrap();
    s.admin
        .client
        .update_service(
            &s.service,
            &ServicePatch {
                notifications: Some(Vec::new()),
                ..ServicePatch::default()
            },
            Some(current.version),
        )
        .await
        .unwrap();
    deploy("localhost/gmac-notice-serving:1").await;
    all_told(&s).await;
    assert_eq!(smtp.messages().len(), 12);
    let audited = s
        .admin
        .client
        .list_audit_events(&gmac_types::AuditQuery {
            action: Some("service.update".into()),
            ..gmac_types::AuditQuery::default()
        })
        .await
        .unwrap()
        .items;
    assert!(
        audited.iter().any(|a| a
            .details
            .pointer("/before/notifications/0/emails/0")
            .and_then(|e| e.as_str())
            == Some("ops@example.com")),
        "the audit row says which rules were there"
    );
}

/// A notice is checked again as it is sent (a retry may come long after the event): a member
/// who left the team meanwhile is not emailed. An address the mail server refuses for good
/// (`550`) ends its job at once, not after every attempt.
#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one event's emails through a mail server that is down, then up"
)]
async fn a_notice_goes_only_to_who_is_still_named_when_sent_and_a_refused_address_is_not_tried_again()
 {
    let port = gmac_tests::loopback::free_port();
    let mut s = Box::pin(DeployWorld::start_with_mail(&format!(
        "smtp://127.0.0.1:{port}"
    )))
    .await;
    s.staging_on_target().await;
    let project = s
        .admin
        .client
        .get_service(&s.service)
        .await
        .unwrap()
        .project_id;
    let fixture = s.app.fixture(&s.admin);
    let stays = fixture.user("stays@example.com").await;
    let leaves = fixture.user("leaves@example.com").await;
    for person in [&stays, &leaves] {
        fixture
            .grant(
                person,
                "developer",
                Scope::Project {
                    id: project.clone(),
                },
            )
            .await;
    }
    let team = fixture.team("Web", &[&stays, &leaves]).await;
    let service = s.admin.client.get_service(&s.service).await.unwrap();
    s.admin
        .client
        .update_service(
            &s.service,
            &ServicePatch {
                notifications: Some(vec![rule(
                    &[ServiceNotice::DeploySucceeded],
                    &[],
                    &[&team],
                    &["ops@example.com", "nobody@refused.test"],
                )]),
                ..ServicePatch::default()
            },
            Some(service.version),
        )
        .await
        .unwrap();

    // Release #1 goes live while no mail server answers: each of the four emails waits to be
    // tried again. (The server is loaded now, so that it answers at once when asked to, well
    // before the emails' retries run out.)
    let standby = SmtpServer::refusing_on_cue(port).await;
    s.podman.serving_and_crashing(
        "localhost/gmac-recheck-serving:1",
        "localhost/gmac-recheck-crashing:1",
    );
    let started = s
        .admin
        .client
        .deploy(
            &s.staging.id,
            &NewDeploy {
                build_id: None,
                image: Some("localhost/gmac-recheck-serving:1".to_owned()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        job_ended(&s.admin, &started.job.id).await,
        JobStatus::Succeeded
    );
    let notices = async || {
        s.admin
            .client
            .list_jobs(
                &JobQuery {
                    kind: Some("service.notice".into()),
                    ..JobQuery::default()
                },
                &PageQuery::default(),
            )
            .await
            .unwrap()
            .items
    };
    // Each email that waits (tried once at least) is held, its next try an hour away, until the
    // server answers: the retries do not run out meanwhile however slow the machine.
    let hold = async |until: chrono::DateTime<chrono::Utc>| {
        use gmac_core::entities::job;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        job::Entity::update_many()
            .col_expr(job::Column::RunAt, Expr::value(until))
            .filter(job::Column::Kind.eq("service.notice"))
            .filter(job::Column::Status.eq("queued"))
            .filter(job::Column::Attempts.gte(1))
            .exec(&s.app.core.db)
            .await
            .unwrap();
    };
    let mut waiting = Vec::new();
    for _ in 0..3000 {
        hold(s.app.core.now() + chrono::Duration::hours(1)).await;
        waiting = notices().await;
        let held = s.app.core.now() + chrono::Duration::minutes(30);
        if waiting.len() == 4
            && waiting
                .iter()
                .all(|j| j.attempts >= 1 && j.status == JobStatus::Queued && j.run_at > held)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        waiting.len() == 4
            && waiting.iter().all(|j| j.status == JobStatus::Queued
                && (1..j.max_attempts).contains(&j.attempts)
                && j.error.is_some()),
        "four emails wait for the mail server: {waiting:#?}"
    );

    // One member leaves the team; then the mail server answers.
    s.admin
        .client
        .remove_team_member(&team, &leaves)
        .await
        .unwrap();
    let smtp = standby.answer().await;
    hold(s.app.core.now()).await;
    let mut ended = Vec::new();
    for job in &waiting {
        job_ended(&s.admin, &job.id).await;
        ended.push(s.admin.client.get_job(&job.id).await.unwrap());
    }
    let mut outcomes: Vec<(JobStatus, Option<bool>, bool)> = ended
        .iter()
        .map(|j| {
            (
                j.status,
                j.result.as_ref().and_then(|r| r["emailed"].as_bool()),
                j.result.as_ref().is_some_and(|r| r["skipped"].is_string()),
            )
        })
        .collect();
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(
        outcomes,
        [
            (JobStatus::Failed, None, false),
            (JobStatus::Succeeded, Some(false), true),
            (JobStatus::Succeeded, Some(true), false),
            (JobStatus::Succeeded, Some(true), false),
        ],
        "{ended:#?}"
    );
    let refused = ended
        .iter()
        .find(|j| j.status == JobStatus::Failed)
        .unwrap();
    // Refused for good: gmac does not try again, nor ask the server for that address again.
    let tried = waiting
        .iter()
        .find(|j| j.id == refused.id)
        .map(|j| j.attempts)
        .unwrap_or_default();
    assert_eq!(refused.attempts, tried + 1, "{refused:?}");
    assert_eq!(
        smtp.recipients_asked()
            .iter()
            .filter(|r| r.ends_with("@refused.test"))
            .count(),
        1,
        "refused for good, not tried again: {refused:?}, {:?}",
        smtp.recipients_asked()
    );
    assert!(
        refused.error.as_deref().unwrap_or_default().contains("550"),
        "{refused:?}"
    );
    let live = "[gmac] docs staging: release #1 is live".to_owned();
    assert_eq!(
        by_recipient(&mails(&smtp, 2).await),
        BTreeMap::from([
            ("ops@example.com".to_owned(), vec![live.clone()]),
            ("stays@example.com".to_owned(), vec![live]),
        ])
    );
}
