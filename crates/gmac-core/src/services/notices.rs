//! Which of a service's events notify whom (issue 12, point 7). A service keeps rules (these
//! events, in these kinds of environment, email these teams and addresses); a consumer of
//! events finds what happened to a service, the rules that tell of it and the people they
//! name, and enqueues one [`NOTICE_MAIL`] job per person, which emails them with retries.
//!
//! A team's member is emailed only while they are active, may see the service and have not
//! turned deploy emails off in their profile. Each person hears of an event once, however many
//! rules name them, and a batch of events handed on again emails no one twice.

use std::collections::{BTreeMap, BTreeSet};

use gmac_types::validation::EmailAddress;
use gmac_types::{
    EnvironmentKind, FieldError, MAX_NOTICE_RECIPIENTS, MAX_NOTICE_RULES, NoticeRule,
    NotificationPrefs, Permission, ServiceNotice,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::entities::{
    build, domain, environment, event, job, release, service, team, team_member, user,
};
use crate::platform::events::Handled;
use crate::platform::job_kinds::{NOTICE_MAIL, SERVICE_BUILD};
use crate::platform::jobs::{self, NewJob};
use crate::platform::worker::{self, JobFailure};
use crate::ports::Mail;
use crate::{Core, Result};

/// The service's rules.
pub(crate) fn rules_of(row: &service::Model) -> Vec<NoticeRule> {
    row.notice_rules
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

/// The column of `rules` (none when there are none).
pub(crate) fn to_column(rules: &[NoticeRule]) -> Result<Option<String>> {
    if rules.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        serde_json::to_string(rules).map_err(anyhow::Error::from)?,
    ))
}

/// Checks `given` rules and answers them as stored: each list sorted, without repeats, the
/// addresses lower-cased. Every problem is pushed onto `errors` at its pointer.
pub(crate) async fn check(
    core: &Core,
    errors: &mut gmac_types::validation::FieldErrors,
    given: &[NoticeRule],
) -> Result<Vec<NoticeRule>> {
    if given.len() > MAX_NOTICE_RULES {
        errors.push(FieldError::at(
            &["notifications"],
            "too_many",
            format!("A service has at most {MAX_NOTICE_RULES} rules."),
        ));
        return Ok(Vec::new());
    }
    let mut rules = Vec::with_capacity(given.len());
    for (i, rule) in given.iter().enumerate() {
        let at = i.to_string();
        if rule.events.is_empty() {
            errors.push(FieldError::at(
                &["notifications", &at, "events"],
                "required",
                "Choose at least one event the rule tells of.",
            ));
        }
        if rule.team_ids.is_empty() && rule.emails.is_empty() {
            errors.push(FieldError::at(
                &["notifications", &at],
                "no_recipients",
                "Name at least one team or email address the rule tells.",
            ));
        }
        if rule.team_ids.len() > MAX_NOTICE_RECIPIENTS || rule.emails.len() > MAX_NOTICE_RECIPIENTS
        {
            errors.push(FieldError::at(
                &["notifications", &at],
                "too_many",
                format!(
                    "A rule names at most {MAX_NOTICE_RECIPIENTS} teams and as many addresses."
                ),
            ));
            continue;
        }
        let mut emails = BTreeSet::new();
        for (j, raw) in rule.emails.iter().enumerate() {
            let pointer = format!("/notifications/{i}/emails/{j}");
            match EmailAddress::parse("emails", raw) {
                Ok(email) => {
                    emails.insert(email.into_inner());
                }
                Err(mut e) => {
                    e.pointer = pointer;
                    errors.push(e);
                }
            }
        }
        let team_ids: BTreeSet<String> = rule.team_ids.iter().cloned().collect();
        let known: BTreeSet<String> = team::Entity::find()
            .filter(team::Column::Id.is_in(team_ids.iter().filter(|t| crate::ids::is_id(t))))
            .all(&core.db)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        for (j, id) in rule.team_ids.iter().enumerate() {
            if !known.contains(id) {
                errors.push(FieldError::at(
                    &["notifications", &at, "team_ids", &j.to_string()],
                    "unknown",
                    "There is no team of this id.",
                ));
            }
        }
        rules.push(NoticeRule {
            events: sorted(&rule.events),
            environments: sorted(&rule.environments),
            team_ids: team_ids.into_iter().collect(),
            emails: emails.into_iter().collect(),
        });
    }
    Ok(rules)
}

fn sorted<T: Ord + Copy>(items: &[T]) -> Vec<T> {
    items
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The events that may tell of something that happened to a service.
pub(crate) fn wanted(event_type: &str) -> bool {
    matches!(
        event_type,
        "release.updated"
            | "release.auto_rollback"
            | "job.failed"
            | "domain.tls_expiring"
            | "domain.status_changed"
    )
}

/// What an event says happened, read from its type and data alone.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Said {
    /// A release went live or failed (`live`: went live).
    Release { live: bool, detail: Option<String> },
    /// A release failed once live and the one before serves again.
    AutoRollback { reason: Option<String> },
    /// A rollback's release went live: it brings an earlier one back (told once it serves,
    /// not when it is asked for).
    Rollback { rollback_of: Option<String> },
    /// A job failed (a build, when its kind says so).
    BuildFailed { error: Option<String> },
    /// A domain's certificate nears its end.
    DomainExpiring {
        name: String,
        expires_at: Option<String>,
    },
    /// A domain turned failing.
    DomainFailed { name: String, error: Option<String> },
}

fn text_at(data: &Value, pointer: &str) -> Option<String> {
    data.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// What `event_type` with `data` says, if it is something a rule may tell of.
fn said(event_type: &str, data: &Value) -> Option<Said> {
    match event_type {
        "release.updated" => match data.pointer("/after/status").and_then(Value::as_str)? {
            "live" => Some(Said::Release {
                live: true,
                detail: None,
            }),
            "failed" => Some(Said::Release {
                live: false,
                detail: text_at(data, "/after/detail"),
            }),
            _ => None,
        },
        "release.auto_rollback" => Some(Said::AutoRollback {
            reason: text_at(data, "/reason"),
        }),
        "job.failed" if data.get("kind").and_then(Value::as_str) == Some(SERVICE_BUILD) => {
            Some(Said::BuildFailed {
                error: text_at(data, "/error"),
            })
        }
        "domain.tls_expiring" => Some(Said::DomainExpiring {
            name: text_at(data, "/name")?,
            expires_at: text_at(data, "/expires_at"),
        }),
        // A domain that turned failing (from pending or verified).
        "domain.status_changed"
            if data.get("status").and_then(Value::as_str) == Some("failing")
                && data.get("before").and_then(Value::as_str) != Some("failing") =>
        {
            Some(Said::DomainFailed {
                name: text_at(data, "/name")?,
                error: text_at(data, "/error"),
            })
        }
        _ => None,
    }
}

impl Said {
    /// The notices it is.
    fn notices(&self) -> &'static [ServiceNotice] {
        match self {
            Self::Release { live: true, .. } => &[ServiceNotice::DeploySucceeded],
            Self::Release { live: false, .. } => &[ServiceNotice::DeployFailed],
            Self::AutoRollback { .. } => &[ServiceNotice::DeployFailed, ServiceNotice::RolledBack],
            Self::Rollback { .. } => &[ServiceNotice::DeploySucceeded, ServiceNotice::RolledBack],
            Self::BuildFailed { .. } => &[ServiceNotice::BuildFailed],
            Self::DomainExpiring { .. } => &[ServiceNotice::DomainExpiring],
            Self::DomainFailed { .. } => &[ServiceNotice::DomainFailed],
        }
    }
}

/// An event of a service, with what the email says.
struct Happened {
    service: service::Model,
    /// The kind of environment it happened in (none for a build).
    kind: Option<EnvironmentKind>,
    notices: &'static [ServiceNotice],
    subject: String,
    text: String,
}

/// What `row` tells of a service, if anything.
async fn happened(core: &Core, row: &event::Model) -> Result<Option<Happened>> {
    let data: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
    let Some(mut said) = said(&row.event_type, &data) else {
        return Ok(None);
    };
    let subject_id = row
        .subject
        .as_deref()
        .and_then(|s| s.split_once('/'))
        .map(|(_, id)| id.to_owned())
        .unwrap_or_default();
    let (service_id, environment_id, env_name, what) = match said.clone() {
        Said::Release { .. } | Said::AutoRollback { .. } | Said::Rollback { .. } => {
            let Some(rel) = release::Entity::find_by_id(subject_id.as_str())
                .one(&core.db)
                .await?
            else {
                return Ok(None);
            };
            if matches!(said, Said::Release { live: true, .. }) && rel.rollback_of.is_some() {
                said = Said::Rollback {
                    rollback_of: rel.rollback_of.clone(),
                };
            }
            let what = release_text(core, &said, &rel).await?;
            (rel.service_id, Some(rel.environment_id), None, what)
        }
        Said::BuildFailed { error } => {
            let Some(found) = build_failed(core, &subject_id, error.as_deref()).await? else {
                return Ok(None);
            };
            found
        }
        Said::DomainExpiring { name, expires_at } => {
            let what = (
                format!("the certificate of {name} nears its end"),
                format!(
                    "The TLS certificate of {name} ends at {} UTC.\n\
                     Check that it is renewed.\n",
                    expires_at.as_deref().unwrap_or("an unknown time")
                ),
            );
            domain_of(core, &subject_id, &data, what).await?
        }
        Said::DomainFailed { name, error } => {
            let what = (
                format!("{name} stopped resolving"),
                format!(
                    "The custom domain {name} does not resolve to the service.\n\n{}\n",
                    error.as_deref().unwrap_or_default()
                ),
            );
            domain_of(core, &subject_id, &data, what).await?
        }
    };
    let Some(service) = service::Entity::find_by_id(service_id.as_str())
        .one(&core.db)
        .await?
    else {
        return Ok(None);
    };
    let mut env_name = env_name;
    if env_name.is_none()
        && let Some(id) = &environment_id
    {
        env_name = environment::Entity::find_by_id(id.as_str())
            .one(&core.db)
            .await?
            .map(|e| e.name);
    }
    // An environment gone since is a preview: staging and production go only with their
    // service. A build asked of no environment is of none.
    let kind = (environment_id.is_some() || env_name.is_some())
        .then(|| EnvironmentKind::of(env_name.as_deref().unwrap_or("preview")));
    let place = env_name.map(|n| format!(" {n}")).unwrap_or_default();
    let link = format!(
        "{}/services/{}",
        core.public_url.trim_end_matches('/'),
        service.id
    );
    Ok(Some(Happened {
        subject: format!("[gmac] {}{place}: {}", service.name, what.0),
        text: format!(
            "{}\n{link}\n\nYou get this email because a rule of the service {} names you\n\
             or your team. Turn deploy emails off in your profile, or ask who\n\
             manages the service to change its rules.\n",
            what.1, service.name
        ),
        notices: said.notices(),
        kind,
        service,
    }))
}

/// What an event is of: the service, the environment's id and name when known, and the
/// subject's end and the text of its email.
type Of = (String, Option<String>, Option<String>, (String, String));

/// The service of the build that the job `job_id` ran (and the environment it was asked
/// for), and what its failure says.
async fn build_failed(core: &Core, job_id: &str, error: Option<&str>) -> Result<Option<Of>> {
    let Some(built) = build::Entity::find()
        .filter(build::Column::JobId.eq(job_id))
        .one(&core.db)
        .await?
    else {
        return Ok(None);
    };
    let error = error.or(built.error.as_deref()).unwrap_or_default();
    let commit: String = built
        .commit_id
        .as_deref()
        .unwrap_or("no commit")
        .chars()
        .take(12)
        .collect();
    let what = (
        format!("build #{} failed", built.number),
        format!(
            "Build #{} of {} ({commit}) failed.\n\n{error}\n",
            built.number, built.git_ref
        ),
    );
    Ok(Some((built.service_id, None, built.environment, what)))
}

/// The service and environment of the domain `id` (from the event's data when the domain is
/// gone), with `what`.
async fn domain_of(core: &Core, id: &str, data: &Value, what: (String, String)) -> Result<Of> {
    let env = match domain::Entity::find_by_id(id).one(&core.db).await? {
        Some(d) => Some(d.environment_id),
        None => text_at(data, "/environment_id"),
    };
    let service = text_at(data, "/service_id").unwrap_or_default();
    Ok((service, env, None, what))
}

/// The subject's end and the text of a release's event.
async fn release_text(core: &Core, said: &Said, rel: &release::Model) -> Result<(String, String)> {
    let n = rel.number;
    Ok(match said {
        Said::Release { live: true, .. } => (
            format!("release #{n} is live"),
            format!("Release #{n} ({}) went live.\n", rel.image),
        ),
        Said::Release {
            live: false,
            detail,
        } => (
            format!("release #{n} failed"),
            format!(
                "Release #{n} ({}) failed.\n\n{}\n",
                rel.image,
                detail
                    .as_deref()
                    .or(rel.detail.as_deref())
                    .unwrap_or_default()
            ),
        ),
        Said::AutoRollback { reason } => (
            format!("release #{n} failed and was rolled back"),
            format!(
                "Release #{n} ({}) failed, and the release before it serves\n\
                 again (automatic rollback).\n\n{}\n",
                rel.image,
                reason.as_deref().unwrap_or_default()
            ),
        ),
        Said::Rollback { rollback_of } => {
            let earlier = match rollback_of {
                Some(id) => release::Entity::find_by_id(id.as_str())
                    .one(&core.db)
                    .await?
                    .map(|r| format!("release #{}", r.number)),
                None => None,
            };
            let by = match &rel.created_by {
                Some(id) => user::Entity::find_by_id(id.as_str())
                    .one(&core.db)
                    .await?
                    .map(|u| format!(" by {}", u.display_name)),
                None => None,
            };
            let earlier = earlier.unwrap_or_else(|| "an earlier release".to_owned());
            // Asked for by someone, it paused deploy-on-push there.
            let paused = if by.is_some() {
                " Deploy-on-push is paused\nthere until someone resumes it."
            } else {
                ""
            };
            (
                format!("rolled back to {earlier}"),
                format!(
                    "The service was rolled back{} to {earlier},\n\
                     which serves again as release #{n}, without a rebuild.{paused}\n",
                    by.unwrap_or_default()
                ),
            )
        }
        _ => (String::new(), String::new()),
    })
}

/// Where `service` is, for who may see it.
fn scope_of(service: &service::Model) -> crate::access::Target {
    // As the catalog says it (the catalog reads the rules from here, so it is not imported).
    crate::access::Target::Project {
        id: service.project_id.clone(),
        client_id: service.client_id.clone(),
    }
}

/// Whether a team's member `person` is told: active, wanting deploy emails, enrolled in MFA
/// where they must be (until then they see nothing), and allowed to see the service.
async fn member_told(
    core: &Core,
    person: &user::Model,
    scope: &crate::access::Target,
) -> Result<bool> {
    if person.status != user::STATUS_ACTIVE {
        return Ok(false);
    }
    let prefs: NotificationPrefs = person
        .notification_prefs
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();
    if !prefs.deploys {
        return Ok(false);
    }
    let held = crate::services::authz::load(&core.db, &person.id).await?;
    if held.mfa_required && !crate::services::authz::mfa_enabled(&core.db, &person.id).await? {
        return Ok(false);
    }
    Ok(held.permissions.can(Permission::ServicesView, scope))
}

/// The rules of `service` that tell of any of `notices` in `kind`.
fn covering(
    service: &service::Model,
    notices: &[ServiceNotice],
    kind: Option<EnvironmentKind>,
) -> Vec<NoticeRule> {
    rules_of(service)
        .into_iter()
        .filter(|rule| notices.iter().any(|&n| rule.covers(n, kind)))
        .collect()
}

/// Whom the rules of `what`'s service tell of it: lower-cased addresses, each once, with the
/// member each belongs to (none for an address a rule names itself).
async fn recipients(core: &Core, what: &Happened) -> Result<BTreeMap<String, Option<String>>> {
    let mut emails = BTreeMap::new();
    let mut teams = BTreeSet::new();
    for rule in covering(&what.service, what.notices, what.kind) {
        emails.extend(rule.emails.iter().map(|e| (e.clone(), None)));
        teams.extend(rule.team_ids.iter().cloned());
    }
    if teams.is_empty() {
        return Ok(emails);
    }
    let members: Vec<String> = team_member::Entity::find()
        .filter(team_member::Column::TeamId.is_in(teams))
        .all(&core.db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let scope = scope_of(&what.service);
    for person in user::Entity::find()
        .filter(user::Column::Id.is_in(members))
        .filter(user::Column::Status.eq(user::STATUS_ACTIVE))
        .all(&core.db)
        .await?
    {
        if member_told(core, &person, &scope).await? {
            // An address a rule names itself stays the rule's.
            emails
                .entry(person.email.to_lowercase())
                .or_insert(Some(person.id));
        }
    }
    Ok(emails)
}

/// Why `input` is no longer sent, checked as it is about to be: its service is gone, no rule
/// tells of the event any more, or the rule's address or the team's member is no longer
/// named (left the team, turned deploy emails off, lost sight of the service, changed
/// address). `None`: it is sent.
async fn no_longer(core: &Core, input: &NoticeInput) -> Result<Option<&'static str>> {
    let Some(service) = service::Entity::find_by_id(input.service_id.as_str())
        .one(&core.db)
        .await?
    else {
        return Ok(Some("the service is gone"));
    };
    let rules = covering(&service, &input.notices, input.kind);
    if rules.iter().any(|r| r.emails.contains(&input.to)) {
        return Ok(None);
    }
    let Some(user_id) = &input.user_id else {
        return Ok(Some("no rule names the address any more"));
    };
    let teams: BTreeSet<String> = rules.iter().flat_map(|r| r.team_ids.clone()).collect();
    let member = !teams.is_empty()
        && team_member::Entity::find()
            .filter(team_member::Column::TeamId.is_in(teams))
            .filter(team_member::Column::UserId.eq(user_id.as_str()))
            .one(&core.db)
            .await?
            .is_some();
    if !member {
        return Ok(Some("the person is no longer in a team a rule names"));
    }
    let Some(person) = user::Entity::find_by_id(user_id.as_str())
        .one(&core.db)
        .await?
    else {
        return Ok(Some("the person is gone"));
    };
    if person.email.to_lowercase() != input.to
        || !member_told(core, &person, &scope_of(&service)).await?
    {
        return Ok(Some(
            "the person no longer wants deploy emails, may not see the service, or changed address",
        ));
    }
    Ok(None)
}

/// A [`NOTICE_MAIL`] job's input: the email, made when the event was handed on.
#[derive(Serialize, Deserialize)]
struct NoticeInput {
    event_id: i64,
    service_id: String,
    to: String,
    subject: String,
    text: String,
    /// The team member it is for (none: an address a rule names).
    #[serde(default)]
    user_id: Option<String>,
    /// What it tells of, and where: checked again before it is sent.
    #[serde(default)]
    notices: Vec<ServiceNotice>,
    #[serde(default)]
    kind: Option<EnvironmentKind>,
}

/// The consumer's handler: each event of a service that a rule tells of becomes one email job
/// per person it names.
pub(crate) fn tell<'a>(core: &'a Core, events: &'a [event::Model]) -> Handled<'a> {
    Box::pin(async move {
        if core.mailer.is_none() {
            return Ok(());
        }
        for row in events {
            let Some(what) = happened(core, row).await? else {
                continue;
            };
            let people = recipients(core, &what).await?;
            if people.is_empty() {
                continue;
            }
            let txn = crate::db::begin_write(&core.db).await?;
            // Handed on again (at least once): whoever was told already is not told twice.
            let keys: Vec<String> = people
                .keys()
                .map(|to| format!("notice:{}:{to}", row.id))
                .collect();
            let made: BTreeSet<String> = job::Entity::find()
                .filter(job::Column::DedupeKey.is_in(keys))
                .all(&txn)
                .await?
                .into_iter()
                .filter_map(|j| j.dedupe_key)
                .collect();
            for (to, user_id) in people {
                let key = format!("notice:{}:{to}", row.id);
                if made.contains(&key) {
                    continue;
                }
                let input = NoticeInput {
                    event_id: row.id,
                    service_id: what.service.id.clone(),
                    to,
                    subject: what.subject.clone(),
                    text: what.text.clone(),
                    user_id,
                    notices: what.notices.to_vec(),
                    kind: what.kind,
                };
                let mut new = NewJob::new(
                    NOTICE_MAIL,
                    serde_json::to_value(&input).map_err(anyhow::Error::from)?,
                );
                new.client_id = Some(what.service.client_id.clone());
                new.max_attempts = 5;
                new.dedupe_key = Some(key);
                jobs::enqueue(&txn, core, None, new).await?;
            }
            txn.commit().await?;
        }
        Ok(())
    })
}

/// The handler of [`NOTICE_MAIL`] jobs: checks the person is still told of the event, then
/// sends the email; a mail server that does not answer is tried again, with backoff, up to the
/// job's attempts, and one that refuses the address for good ends the job at once.
pub fn mail_handler() -> worker::Handler {
    worker::handler(|ctx| async move {
        let input: NoticeInput = ctx.payload()?;
        let Some(mailer) = &ctx.core.mailer else {
            return Err(JobFailure::permanent(
                "no mail server is configured (GMAC_SMTP_URL)",
            ));
        };
        // Made before it was sent (a retry may come much later): told only if still named.
        if !input.notices.is_empty()
            && let Some(why) = no_longer(&ctx.core, &input).await?
        {
            let _ = ctx.log(format!("not sent: {why}")).await;
            return Ok(serde_json::json!({
                "event_id": input.event_id, "service_id": input.service_id,
                "emailed": false, "skipped": why,
            }));
        }
        // The address stays in the job's input: its log and result are read more widely.
        let _ = ctx
            .log(format!(
                "emailing one person of event {} of the service",
                input.event_id
            ))
            .await;
        mailer
            .send(Mail {
                to: input.to.clone(),
                subject: input.subject.clone(),
                text: input.text.clone(),
                attachments: Vec::new(),
            })
            .await
            .map_err(|err| {
                let said = format!("the mail server did not accept it: {err:#}");
                if err.downcast_ref::<crate::ports::MailRefused>().is_some() {
                    JobFailure::permanent(said)
                } else {
                    JobFailure::transient(said)
                }
            })?;
        let _ = ctx.log("the mail server accepted it").await;
        Ok(serde_json::json!({
            "event_id": input.event_id, "service_id": input.service_id, "emailed": true,
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_say_what_a_rule_may_tell_of() {
        let live = serde_json::json!({"after": {"status": "live"}});
        assert_eq!(
            said("release.updated", &live),
            Some(Said::Release {
                live: true,
                detail: None
            })
        );
        let failed = serde_json::json!({"after": {"status": "failed", "detail": "unhealthy"}});
        assert_eq!(
            said("release.updated", &failed).map(|s| s.notices()),
            Some(&[ServiceNotice::DeployFailed][..])
        );
        assert_eq!(
            said(
                "release.updated",
                &serde_json::json!({"after": {"status": "retired"}})
            ),
            None
        );
        assert_eq!(
            said("release.auto_rollback", &serde_json::json!({})).map(|s| s.notices()),
            Some(&[ServiceNotice::DeployFailed, ServiceNotice::RolledBack][..])
        );
        let build = serde_json::json!({"kind": "service.build", "error": "exit 1"});
        assert!(matches!(
            said("job.failed", &build),
            Some(Said::BuildFailed { .. })
        ));
        let other = serde_json::json!({"kind": "cost_import"});
        assert_eq!(said("job.failed", &other), None);
        let turned =
            serde_json::json!({"name": "a.example", "before": "verified", "status": "failing"});
        assert!(matches!(
            said("domain.status_changed", &turned),
            Some(Said::DomainFailed { .. })
        ));
        let still =
            serde_json::json!({"name": "a.example", "before": "failing", "status": "failing"});
        assert_eq!(said("domain.status_changed", &still), None);
    }

    #[test]
    fn a_rule_covers_its_events_in_its_kinds_of_environment() {
        let rule = NoticeRule {
            events: vec![ServiceNotice::DeployFailed],
            environments: vec![EnvironmentKind::Production],
            team_ids: Vec::new(),
            emails: vec!["ops@example.com".into()],
        };
        assert!(rule.covers(
            ServiceNotice::DeployFailed,
            Some(EnvironmentKind::Production)
        ));
        assert!(!rule.covers(ServiceNotice::DeployFailed, Some(EnvironmentKind::Staging)));
        assert!(!rule.covers(
            ServiceNotice::DeploySucceeded,
            Some(EnvironmentKind::Production)
        ));
        let everywhere = NoticeRule {
            environments: Vec::new(),
            events: vec![ServiceNotice::BuildFailed],
            ..rule
        };
        assert!(everywhere.covers(ServiceNotice::BuildFailed, None));
        assert!(everywhere.covers(ServiceNotice::BuildFailed, Some(EnvironmentKind::Preview)));
    }
}
