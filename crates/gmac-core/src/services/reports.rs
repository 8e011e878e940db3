//! Monthly cost reports (per user, per team, or everything) as data, PDF or CSV, and schedules
//! that email them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use chrono::{Datelike, Duration, NaiveDate};
use gmac_types::{
    CostMetric, DayAmount, FieldError, Job, MonthlyReport, MonthlyReportQuery, NewReportSchedule,
    Permission, ReportCadence, ReportDelivery, ReportFormat, ReportLine, ReportSchedule, Subject,
    SubjectKind,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter};

use crate::access::Target;
use crate::audit::AuditEntry;
use crate::entities::{report_delivery, report_schedule};
use crate::platform::change::Change;
use crate::platform::jobs;
use crate::platform::paging;
use crate::platform::worker::{self, JobFailure};
use crate::ports::{Attachment, Mail};
use crate::services::clients;
use crate::services::cost_query::{
    Slice, col, daily, grouped, labels, month_bounds, visible_clients,
};
use crate::{Actor, Core, Error, RequestMeta, Result, db, export, money};

/// Most recipients one schedule mails.
const MAX_RECIPIENTS: usize = 20;

/// `(now − before) / before` in percent, with one decimal (`65.0`); `None` when there was nothing before.
fn change_percent(now: Decimal, before: Decimal) -> Option<Decimal> {
    if before.is_zero() {
        return None;
    }
    let mut change = crate::forecast::percent(now.checked_sub(before)?, before.abs())?;
    change.rescale(1);
    Some(change)
}

/// Puts this month's and last month's sums side by side, largest first.
fn lines(
    now: Vec<(Option<String>, i128)>,
    before: Vec<(Option<String>, i128)>,
    label: impl Fn(&Option<String>) -> (String, String),
) -> Vec<ReportLine> {
    let mut merged: BTreeMap<Option<String>, (i128, i128)> = BTreeMap::new();
    for (key, units) in now {
        merged.entry(key).or_default().0 += units;
    }
    for (key, units) in before {
        merged.entry(key).or_default().1 += units;
    }
    let mut out: Vec<ReportLine> = merged
        .into_iter()
        .filter(|(_, (a, b))| *a != 0 || *b != 0)
        .map(|(key, (a, b))| {
            let (key, label) = label(&key);
            let (amount, previous) = (money::from_sum(a), money::from_sum(b));
            ReportLine {
                key,
                label,
                amount,
                previous,
                change_percent: change_percent(amount, previous),
            }
        })
        .collect();
    out.sort_by(|x, y| {
        y.amount
            .cmp(&x.amount)
            .then(y.previous.cmp(&x.previous))
            .then_with(|| x.label.cmp(&y.label))
    });
    out
}

/// The month before `YYYY-MM`.
fn previous_month(first: NaiveDate) -> String {
    (first - Duration::days(1)).format("%Y-%m").to_string()
}

/// The subject's name, or 404 when it does not exist.
async fn subject_name(conn: &impl ConnectionTrait, subject: Option<&Subject>) -> Result<String> {
    match subject {
        None => Ok("All costs".to_owned()),
        Some(s) => labels(conn, s.kind, vec![s.id.clone()])
            .await?
            .remove(&s.id)
            .ok_or(Error::NotFound),
    }
}

/// A team's members, or everything's teams, this month and the month before; nothing for a
/// user.
async fn breakdown(
    conn: &impl ConnectionTrait,
    subject: Option<&Subject>,
    slice: &Slice,
    (bounds, before): ((NaiveDate, NaiveDate), (NaiveDate, NaiveDate)),
    currency: &str,
) -> Result<Vec<ReportLine>> {
    let kind = match subject.map(|s| s.kind) {
        Some(SubjectKind::User) => return Ok(Vec::new()),
        Some(SubjectKind::Team) => SubjectKind::User,
        None => SubjectKind::Team,
    };
    let key = col(match kind {
        SubjectKind::User => "user_id",
        SubjectKind::Team => "team_id",
    });
    let (_, now) = grouped(
        conn,
        slice,
        bounds,
        key.clone(),
        CostMetric::Billed,
        Some(currency),
    )
    .await?;
    let (_, then) = grouped(conn, slice, before, key, CostMetric::Billed, Some(currency)).await?;
    let ids: Vec<String> = now
        .iter()
        .chain(&then)
        .filter_map(|(k, _)| k.clone())
        .collect();
    let names: HashMap<String, String> = labels(conn, kind, ids).await?;
    Ok(lines(now, then, |key| match key {
        Some(id) => (
            id.clone(),
            names.get(id).cloned().unwrap_or_else(|| id.clone()),
        ),
        None if kind == SubjectKind::User => {
            ("unallocated".to_owned(), "Shared by the team".to_owned())
        }
        None => (
            "unallocated".to_owned(),
            "No team or unallocated".to_owned(),
        ),
    }))
}

/// Builds a month's report for a subject over some clients (`None`: all).
async fn build(
    conn: &impl ConnectionTrait,
    subject: Option<&Subject>,
    period: &str,
    clients: Option<&BTreeSet<String>>,
) -> Result<MonthlyReport> {
    let bounds = month_bounds(period).ok_or_else(invalid_period)?;
    let before = month_bounds(&previous_month(bounds.0)).ok_or_else(invalid_period)?;
    let name = subject_name(conn, subject).await?;
    let mut condition = Condition::all();
    if let Some(s) = subject {
        let column = match s.kind {
            SubjectKind::User => "user_id",
            SubjectKind::Team => "team_id",
        };
        condition = condition.add(col(column).eq(s.id.clone()));
    }
    if let Some(ids) = clients {
        condition = condition.add(col("client_id").is_in(ids.iter().cloned()));
    }
    let slice = Slice {
        allocated: true,
        condition,
    };
    let (currency, services_now) = grouped(
        conn,
        &slice,
        bounds,
        col("service_name"),
        CostMetric::Billed,
        None,
    )
    .await?;
    let currency = currency.as_str();
    let (_, services_before) = grouped(
        conn,
        &slice,
        before,
        col("service_name"),
        CostMetric::Billed,
        Some(currency),
    )
    .await?;
    let (_, effective) = grouped(
        conn,
        &slice,
        bounds,
        Expr::val(""),
        CostMetric::Effective,
        Some(currency),
    )
    .await?;
    let total = money::from_sum(services_now.iter().map(|(_, u)| u).sum());
    let previous_total = money::from_sum(services_before.iter().map(|(_, u)| u).sum());
    let services = lines(services_now, services_before, |key| {
        let name = key.clone().unwrap_or_else(|| "(no service)".to_owned());
        (name.clone(), name)
    });
    let breakdown = breakdown(conn, subject, &slice, (bounds, before), currency).await?;
    let (_, days) = daily(conn, &slice, bounds, CostMetric::Billed, Some(currency)).await?;
    Ok(MonthlyReport {
        subject: subject.cloned(),
        name,
        period: period.to_owned(),
        currency: currency.to_owned(),
        total,
        effective_total: money::from_sum(effective.iter().map(|(_, u)| u).sum()),
        previous_total,
        change_percent: change_percent(total, previous_total),
        services,
        breakdown,
        days: days
            .into_iter()
            .map(|(day, units)| DayAmount {
                day,
                amount: money::from_sum(units),
            })
            .collect(),
    })
}

fn invalid_period() -> Error {
    Error::Validation(vec![FieldError::new(
        "period",
        "invalid_month",
        "Give the period as YYYY-MM.",
    )])
}

/// A month of costs for a user (`user_id`), a team (`team_id`) or everything the actor sees.
/// Needs `costs.view`.
pub async fn monthly_report(
    core: &Core,
    actor: &Actor,
    query: &MonthlyReportQuery,
) -> Result<MonthlyReport> {
    let visible = visible_clients(actor, query.client_id.as_ref())?;
    let subject = match (&query.user_id, &query.team_id) {
        (Some(_), Some(_)) => {
            return Err(Error::Validation(vec![FieldError::new(
                "team_id",
                "one_subject",
                "Give a user_id or a team_id, not both.",
            )]));
        }
        (Some(id), None) => Some(Subject {
            kind: SubjectKind::User,
            id: id.clone(),
        }),
        (None, Some(id)) => Some(Subject {
            kind: SubjectKind::Team,
            id: id.clone(),
        }),
        (None, None) => None,
    };
    if month_bounds(&query.period).is_none() {
        return Err(invalid_period());
    }
    if let Some(subject) = &subject
        && !in_reach(core, actor, subject).await?
    {
        // Another tenant's person is as unknown as one that does not exist.
        return Err(Error::NotFound);
    }
    build(&core.db, subject.as_ref(), &query.period, visible.as_ref()).await
}

/// The report as CSV: one row per total, service, breakdown line and day.
pub fn report_csv(report: &MonthlyReport) -> Result<Vec<u8>> {
    let text = |d: Decimal| d.to_string();
    let pct = |p: Option<Decimal>| p.map(|p| p.to_string()).unwrap_or_default();
    let mut rows = vec![vec![
        "total".to_owned(),
        report.period.clone(),
        report.name.clone(),
        text(report.total),
        text(report.previous_total),
        pct(report.change_percent),
        report.currency.clone(),
    ]];
    let breakdown = match report.subject.as_ref().map(|s| s.kind) {
        Some(SubjectKind::Team) => "member",
        _ => "team",
    };
    for (section, list) in [
        ("service", &report.services),
        (breakdown, &report.breakdown),
    ] {
        for line in list {
            rows.push(vec![
                section.to_owned(),
                line.key.clone(),
                line.label.clone(),
                text(line.amount),
                text(line.previous),
                pct(line.change_percent),
                report.currency.clone(),
            ]);
        }
    }
    for day in &report.days {
        rows.push(vec![
            "day".to_owned(),
            day.day.to_string(),
            String::new(),
            text(day.amount),
            String::new(),
            String::new(),
            report.currency.clone(),
        ]);
    }
    Ok(export::to_csv(
        &[
            "section",
            "key",
            "label",
            "amount",
            "previous_month",
            "change_percent",
            "currency",
        ],
        rows,
    )?)
}

/// A file name for a report: `gmac-costs-<name>-<period>.<ext>`.
pub fn file_name(report: &MonthlyReport, extension: &str) -> String {
    let slug: String = report
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!("gmac-costs-{slug}-{}.{extension}", report.period)
}

// ---- Schedules ----

fn cadence_name(c: ReportCadence) -> &'static str {
    match c {
        ReportCadence::Monthly => "monthly",
        ReportCadence::Weekly => "weekly",
    }
}

fn format_name(f: ReportFormat) -> &'static str {
    match f {
        ReportFormat::Pdf => "pdf",
        ReportFormat::Csv => "csv",
    }
}

fn cadence_of(row: &report_schedule::Model) -> ReportCadence {
    if row.cadence == "weekly" {
        ReportCadence::Weekly
    } else {
        ReportCadence::Monthly
    }
}

/// Whether the actor may know of the user or team a report is about.
async fn in_reach(core: &Core, actor: &Actor, subject: &Subject) -> Result<bool> {
    use crate::entities::{team, user};
    use crate::services::reach;
    let visible = actor.permissions.visible(Permission::CostsView);
    Ok(match subject.kind {
        SubjectKind::User => {
            let mut select = user::Entity::find_by_id(&subject.id);
            if let Some(condition) = reach::users(&visible, &actor.user_id) {
                select = select.filter(condition);
            }
            select.one(&core.db).await?.is_some()
        }
        SubjectKind::Team => {
            let mut select = team::Entity::find_by_id(&subject.id);
            if let Some(condition) = reach::teams(&visible, &actor.user_id) {
                select = select.filter(condition);
            }
            select.one(&core.db).await?.is_some()
        }
    })
}

fn subject_of(row: &report_schedule::Model) -> Option<Subject> {
    let kind = match row.subject_type.as_deref()? {
        "team" => SubjectKind::Team,
        _ => SubjectKind::User,
    };
    Some(Subject {
        kind,
        id: row.subject_id.clone()?,
    })
}

fn target(row: &report_schedule::Model) -> Target {
    row.client_id.clone().map_or(Target::Global, Target::Client)
}

/// The latest day on or before `today` that a schedule runs.
fn due_on_or_before(cadence: ReportCadence, today: NaiveDate) -> NaiveDate {
    match cadence {
        ReportCadence::Monthly => today.with_day(1).unwrap_or(today),
        ReportCadence::Weekly => {
            today - Duration::days(i64::from(today.weekday().num_days_from_monday()))
        }
    }
}

/// The first day after `today` that a schedule runs.
fn due_after(cadence: ReportCadence, today: NaiveDate) -> NaiveDate {
    match cadence {
        ReportCadence::Monthly => {
            let first = today.with_day(1).unwrap_or(today);
            (first + Duration::days(32)).with_day(1).unwrap_or(first)
        }
        ReportCadence::Weekly => due_on_or_before(cadence, today) + Duration::days(7),
    }
}

/// The month a run on `day` reports: the month just ended for monthly runs; for weekly runs
/// the month the day before falls in (the month so far, or the one just ended on the 1st).
pub fn period_for(cadence: ReportCadence, day: NaiveDate) -> String {
    let reported = match cadence {
        ReportCadence::Monthly => day.with_day(1).unwrap_or(day) - Duration::days(1),
        ReportCadence::Weekly => day - Duration::days(1),
    };
    reported.format("%Y-%m").to_string()
}

fn to_dto(row: &report_schedule::Model, subject_name: String, today: NaiveDate) -> ReportSchedule {
    let cadence = cadence_of(row);
    let due = due_on_or_before(cadence, today);
    let ran_today = row.last_sent_at.is_some_and(|at| at.date_naive() >= due);
    let next_run = if due == today && !ran_today && row.created_at.date_naive() <= due {
        today
    } else {
        due_after(cadence, today)
    };
    ReportSchedule {
        id: row.id.clone(),
        name: row.name.clone(),
        subject: subject_of(row),
        subject_name,
        client_id: row.client_id.clone(),
        cadence,
        format: if row.format == "csv" {
            ReportFormat::Csv
        } else {
            ReportFormat::Pdf
        },
        recipients: serde_json::from_str(&row.recipients).unwrap_or_default(),
        next_run,
        last_sent_at: row.last_sent_at,
        last_period: row.last_period.clone(),
        last_error: row.last_error.clone(),
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        version: row.version,
    }
}

async fn dto(core: &Core, row: &report_schedule::Model) -> Result<ReportSchedule> {
    let name = subject_name(&core.db, subject_of(row).as_ref())
        .await
        .unwrap_or_else(|_| "(deleted)".to_owned());
    Ok(to_dto(row, name, core.now().date_naive()))
}

/// Checks a new schedule, collecting what is wrong: its name, recipients, subject and client.
async fn check_schedule(
    conn: &impl ConnectionTrait,
    input: &NewReportSchedule,
) -> Result<(String, Vec<String>)> {
    let mut errors = Vec::new();
    let name = match gmac_types::validation::Name::parse("name", &input.name) {
        Ok(name) => name.as_str().to_owned(),
        Err(error) => {
            errors.push(error);
            String::new()
        }
    };
    let recipients: Vec<String> = input
        .recipients
        .iter()
        .map(|e| e.trim().to_lowercase())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if recipients.is_empty() || recipients.len() > MAX_RECIPIENTS {
        errors.push(FieldError::new(
            "recipients",
            "invalid_length",
            "1 to 20 email addresses.",
        ));
    }
    for (i, email) in input.recipients.iter().enumerate() {
        if gmac_types::validation::EmailAddress::parse("recipients", email).is_err() {
            errors.push(FieldError {
                pointer: format!("/recipients/{i}"),
                code: "invalid_email".to_owned(),
                detail: "Not an email address.".to_owned(),
            });
        }
    }
    if let Some(subject) = &input.subject
        && matches!(
            subject_name(conn, Some(subject)).await,
            Err(Error::NotFound)
        )
    {
        errors.push(FieldError {
            pointer: "/subject/id".to_owned(),
            code: "unknown_subject".to_owned(),
            detail: format!("There is no {} with this id.", subject.kind.as_str()),
        });
    }
    if errors.is_empty() {
        Ok((name, recipients))
    } else {
        Err(Error::Validation(errors))
    }
}

/// Schedules a report. Needs `costs.manage` on its client, or everywhere without one.
pub async fn create_schedule(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewReportSchedule,
) -> Result<ReportSchedule> {
    actor.ensure_enrolled()?;
    let scope = if let Some(id) = &input.client_id {
        let scope = Target::Client(id.clone());
        actor.require_on(Permission::CostsManage, &scope)?;
        clients::find(&core.db, id).await?;
        scope
    } else {
        actor.require(Permission::CostsManage, &Target::Global)?;
        Target::Global
    };
    let (name, recipients) = check_schedule(&core.db, &input).await?;
    if let Some(subject) = &input.subject
        && !in_reach(core, actor, subject).await?
    {
        // Another tenant's person is as unknown as one that does not exist.
        return Err(Error::Validation(vec![FieldError {
            pointer: "/subject/id".to_owned(),
            code: "unknown_subject".to_owned(),
            detail: format!("There is no {} with this id.", subject.kind.as_str()),
        }]));
    }
    let now = core.now();
    let row = report_schedule::Model {
        id: core.new_id(),
        name,
        subject_type: input.subject.as_ref().map(|s| s.kind.as_str().to_owned()),
        subject_id: input.subject.as_ref().map(|s| s.id.clone()),
        client_id: input.client_id.clone(),
        cadence: cadence_name(input.cadence).to_owned(),
        format: format_name(input.format).to_owned(),
        recipients: serde_json::to_string(&recipients).map_err(anyhow::Error::from)?,
        last_sent_at: None,
        last_period: None,
        last_error: None,
        created_by: Some(actor.user_id.clone()),
        created_at: now,
        version: 1,
    };
    let out = dto(core, &row).await?;
    let txn = Change::begin(core).await?;
    report_schedule::Entity::insert(report_schedule::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "report_schedule.create")
        .target("report_schedule", row.id.clone())
        .scope(&scope)
        .details(serde_json::json!({"after": out}));
    txn.commit(core, meta, entry).await?;
    Ok(out)
}

/// The schedules whose costs the actor may see.
pub async fn list_schedules(
    core: &Core,
    actor: &Actor,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<ReportSchedule>> {
    actor.ensure_enrolled()?;
    // Scoped in the query: a client's schedules where the actor sees the whole client's costs,
    // the install-wide ones only with a global grant.
    let mut select = report_schedule::Entity::find();
    if let Some(clients) = actor
        .permissions
        .visible(Permission::CostsView)
        .whole_client_ids()
    {
        select = select.filter(report_schedule::Column::ClientId.is_in(clients));
    }
    let (rows, next_cursor, total) = paging::page_by_text(
        core,
        select,
        (report_schedule::Column::Name, report_schedule::Column::Id),
        page,
        |r| (r.name.clone(), r.id.clone()),
    )
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        items.push(dto(core, row).await?);
    }
    Ok(gmac_types::Page {
        items,
        next_cursor,
        total,
    })
}

async fn find_managed(core: &Core, actor: &Actor, id: &str) -> Result<report_schedule::Model> {
    actor.ensure_enrolled()?;
    let row = report_schedule::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    if !actor.can(Permission::CostsView, &target(&row)) {
        return Err(Error::NotFound);
    }
    actor.require(Permission::CostsManage, &target(&row))?;
    Ok(row)
}

/// Changes a schedule's name, cadence, format or recipients (what it reports on stays).
/// Needs `costs.manage` where it applies; `if_match` (its version) refuses a change made on a
/// stale copy (412). The fields are checked as a new schedule's are.
pub async fn update_schedule(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
    patch: gmac_types::ReportSchedulePatch,
) -> Result<ReportSchedule> {
    let row = find_managed(core, actor, id).await?;
    // What it reports on does not change: its name is read once, before the transaction.
    let subject = subject_name(&core.db, subject_of(&row).as_ref())
        .await
        .unwrap_or_else(|_| "(deleted)".to_owned());
    let today = core.now().date_naive();
    let txn = Change::begin(core).await?;
    let mut find = report_schedule::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        find = sea_orm::QuerySelect::lock_exclusive(find);
    }
    let before = find.one(&txn).await?.ok_or(Error::NotFound)?;
    Change::expect_version(if_match, before.version)?;
    let current = to_dto(&before, subject.clone(), today);
    let wanted = NewReportSchedule {
        name: patch.name.unwrap_or(current.name),
        subject: current.subject,
        client_id: current.client_id,
        cadence: patch.cadence.unwrap_or(current.cadence),
        format: patch.format.unwrap_or(current.format),
        recipients: patch.recipients.unwrap_or(current.recipients),
    };
    // The subject stays as it is (even one deleted since): only the fields given are checked.
    let (name, recipients) = check_schedule(
        &txn,
        &NewReportSchedule {
            subject: None,
            ..wanted.clone()
        },
    )
    .await?;
    let after = report_schedule::Model {
        name,
        cadence: cadence_name(wanted.cadence).to_owned(),
        format: format_name(wanted.format).to_owned(),
        recipients: serde_json::to_string(&recipients).map_err(anyhow::Error::from)?,
        version: before.version + 1,
        ..before.clone()
    };
    report_schedule::Entity::update(sea_orm::ActiveModelTrait::reset_all(
        report_schedule::ActiveModel::from(after.clone()),
    ))
    .exec(&txn)
    .await?;
    let (was, now) = (
        to_dto(&before, subject.clone(), today),
        to_dto(&after, subject, today),
    );
    let entry = AuditEntry::success(actor.audit_actor(), "report_schedule.update")
        .target("report_schedule", id.to_owned())
        .scope(&target(&after))
        .details(serde_json::json!({"before": was, "after": now}));
    txn.commit(core, meta, entry).await?;
    Ok(now)
}

/// Deletes a schedule. Needs `costs.manage` where it applies.
pub async fn delete_schedule(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
) -> Result<()> {
    let row = find_managed(core, actor, id).await?;
    let before = dto(core, &row).await?;
    let txn = Change::begin(core).await?;
    if delete_schedules_where(&txn, report_schedule::Column::Id.eq(id)).await? == 0 {
        return Err(Error::NotFound);
    }
    let entry = AuditEntry::success(actor.audit_actor(), "report_schedule.delete")
        .target("report_schedule", id.to_owned())
        .scope(&target(&row))
        .details(serde_json::json!({"before": before}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// Deletes the schedules that match; their deliveries go with them by foreign key.
pub(crate) async fn delete_schedules_where(
    conn: &impl ConnectionTrait,
    condition: impl sea_orm::sea_query::IntoCondition,
) -> Result<u64> {
    Ok(report_schedule::Entity::delete_many()
        .filter(condition)
        .exec(conn)
        .await?
        .rows_affected)
}

/// Builds a schedule's report for `period` and mails it to each recipient.
async fn deliver(
    core: &Core,
    row: &report_schedule::Model,
    period: &str,
) -> Result<ReportDelivery> {
    let clients = row.client_id.clone().map(|c| BTreeSet::from([c]));
    let report = build(&core.db, subject_of(row).as_ref(), period, clients.as_ref()).await?;
    let recipients: Vec<String> = serde_json::from_str(&row.recipients).unwrap_or_default();
    let Some(mailer) = &core.mailer else {
        return Ok(ReportDelivery {
            period: period.to_owned(),
            sent_to: Vec::new(),
            failed: recipients
                .into_iter()
                .map(|r| format!("{r}: no mail server is configured (GMAC_SMTP_URL)"))
                .collect(),
        });
    };
    let attachment = if row.format == "csv" {
        Attachment {
            file_name: file_name(&report, "csv"),
            content_type: "text/csv; charset=utf-8".to_owned(),
            bytes: report_csv(&report)?,
        }
    } else {
        Attachment {
            file_name: file_name(&report, "pdf"),
            content_type: "application/pdf".to_owned(),
            bytes: crate::pdf::report_pdf(&report),
        }
    };
    let mut text = format!(
        "{} — {} cost report\n\nBilled cost: {} {}",
        report.name,
        report.period,
        money::cents(report.total),
        report.currency
    );
    if let Some(change) = report.change_percent {
        let _ = write!(text, " ({change:+}% on the month before)");
    }
    text.push_str("\n\nTop services:\n");
    for line in report.services.iter().take(5) {
        let _ = writeln!(
            text,
            "  {}: {} {}",
            line.label,
            money::cents(line.amount),
            report.currency
        );
    }
    let _ = writeln!(
        text,
        "\nThe full report is attached. This is the schedule \"{}\" in gmac.",
        row.name
    );
    let mut delivery = ReportDelivery {
        period: period.to_owned(),
        sent_to: Vec::new(),
        failed: Vec::new(),
    };
    for to in recipients {
        let mail = Mail {
            to: to.clone(),
            subject: format!("Cost report: {}, {}", report.name, report.period),
            text: text.clone(),
            attachments: vec![attachment.clone()],
        };
        match mailer.send(mail).await {
            Ok(()) => delivery.sent_to.push(to),
            Err(err) => {
                tracing::warn!(schedule = %row.id, error = format!("{err:#}"), "a report email was not accepted");
                delivery
                    .failed
                    .push(format!("{to}: the mail server refused it"));
            }
        }
    }
    Ok(delivery)
}

/// Records a delivery on its schedule.
async fn record(
    conn: &impl ConnectionTrait,
    row: &report_schedule::Model,
    delivery: &ReportDelivery,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let error = (!delivery.failed.is_empty()).then(|| delivery.failed.join("; "));
    let mut update = report_schedule::Entity::update_many()
        .col_expr(report_schedule::Column::LastError, Expr::value(error))
        .filter(report_schedule::Column::Id.eq(&row.id));
    if !delivery.sent_to.is_empty() {
        update = update
            .col_expr(report_schedule::Column::LastSentAt, Expr::value(Some(at)))
            .col_expr(
                report_schedule::Column::LastPeriod,
                Expr::value(Some(delivery.period.clone())),
            );
    }
    update.exec(conn).await?;
    Ok(())
}

/// The schedule `id` the actor manages, and the period to send: `period`, or else the month a
/// run today would report.
async fn schedule_and_period(
    core: &Core,
    actor: &Actor,
    id: &str,
    period: Option<&str>,
) -> Result<(report_schedule::Model, String)> {
    let row = find_managed(core, actor, id).await?;
    let today = core.now().date_naive();
    let period = match period {
        Some(p) if month_bounds(p).is_some() => p.to_owned(),
        Some(_) => return Err(invalid_period()),
        None => period_for(cadence_of(&row), today),
    };
    Ok((row, period))
}

/// Sends a schedule's report now, for `period`, or else for the month a run today would
/// report (a monthly schedule: the month just ended; a weekly one: the month so far).
/// Needs `costs.manage` where it applies.
pub async fn send_now(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    period: Option<&str>,
) -> Result<ReportDelivery> {
    let (row, period) = schedule_and_period(core, actor, id, period).await?;
    deliver_and_record(core, actor, meta, &row, &period).await
}

/// Builds the schedule's report for `period`, mails it, and records the delivery on the
/// schedule with its audit row, as `actor`.
async fn deliver_and_record(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    row: &report_schedule::Model,
    period: &str,
) -> Result<ReportDelivery> {
    let delivery = deliver(core, row, period).await?;
    let txn = Change::begin(core).await?;
    record(&txn, row, &delivery, core.now()).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "report_schedule.send")
        .target("report_schedule", row.id.clone())
        .scope(&target(row))
        .details(serde_json::json!({
            "period": delivery.period,
            "sent_to": delivery.sent_to,
            "failed": delivery.failed.len(),
        }));
    txn.commit(core, meta, entry).await?;
    Ok(delivery)
}

/// A [`jobs::REPORT_SEND`] job's input.
#[derive(serde::Serialize, serde::Deserialize)]
struct SendPayload {
    schedule_id: String,
    period: String,
}

/// Queues a job that sends a schedule's report (as [`send_now`] does, with retries while the
/// mail server is unreachable) and answers it. A request for the same schedule and period
/// while one waits is that job. Needs `costs.manage` where it applies.
pub async fn enqueue_send(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    period: Option<&str>,
) -> Result<Job> {
    let (row, period) = schedule_and_period(core, actor, id, period).await?;
    let txn = Change::begin(core).await?;
    let payload = SendPayload {
        schedule_id: row.id.clone(),
        period: period.clone(),
    };
    let new = jobs::NewJob {
        client_id: row.client_id.clone(),
        max_attempts: 5,
        dedupe_key: Some(format!("report_send:{}:{period}", row.id)),
        ..jobs::NewJob::new(
            jobs::REPORT_SEND,
            serde_json::to_value(&payload).map_err(anyhow::Error::from)?,
        )
    };
    let (job, created) = jobs::enqueue(&txn, core, Some(actor), new).await?;
    let entry = created.then(|| {
        AuditEntry::success(actor.audit_actor(), "report_schedule.send_request")
            .target("report_schedule", row.id.clone())
            .scope(&target(&row))
            .details(serde_json::json!({ "period": period, "job_id": job.id }))
    });
    txn.commit_if(core, meta, entry).await?;
    jobs::to_dto(job)
}

/// The handler of [`jobs::REPORT_SEND`] jobs: as the person who asked (with the permissions
/// they hold now), builds the report, mails it to each recipient and records and audits the
/// delivery. When the mail server took none of the mails the job is tried again (with
/// backoff); a recipient refused while others were reached is reported in the result and on
/// the schedule. A schedule deleted meanwhile fails the job.
pub fn send_handler() -> worker::Handler {
    worker::handler(|ctx| async move {
        let input: SendPayload = ctx.payload()?;
        let actor = crate::services::sessions::job_starter(&ctx).await?;
        let row = find_managed(&ctx.core, &actor, &input.schedule_id)
            .await
            .map_err(|err| match err {
                Error::NotFound => JobFailure::permanent("the schedule was deleted"),
                other => other.into(),
            })?;
        let meta = RequestMeta {
            request_id: Some(format!("job-{}", ctx.job.id)),
            ..RequestMeta::default()
        };
        let delivery = deliver_and_record(&ctx.core, &actor, &meta, &row, &input.period).await?;
        let _ = ctx
            .log(format!(
                "{} report for {}: sent to {}{}",
                row.format,
                input.period,
                if delivery.sent_to.is_empty() {
                    "no one".to_owned()
                } else {
                    delivery.sent_to.join(", ")
                },
                if delivery.failed.is_empty() {
                    String::new()
                } else {
                    format!("; not sent: {}", delivery.failed.join("; "))
                }
            ))
            .await;
        if delivery.sent_to.is_empty() && !delivery.failed.is_empty() {
            let message = delivery.failed.join("; ");
            return Err(if ctx.core.mailer.is_none() {
                JobFailure::permanent(message)
            } else {
                JobFailure::transient(message)
            });
        }
        serde_json::to_value(&delivery).map_err(|e| JobFailure::transient(e.to_string()))
    })
}

/// Sends every schedule whose run is due and not yet claimed: a monthly schedule on the 1st, a
/// weekly one on Mondays, late (once) if gmac was down that day. A run is claimed by a row
/// with a unique key before its mail goes out, so concurrent or repeated checks send it once.
/// Returns how many runs it made.
pub async fn run_due(core: &Core) -> Result<usize> {
    let today = core.now().date_naive();
    let mut ran = 0;
    for row in report_schedule::Entity::find().all(&core.db).await? {
        let cadence = cadence_of(&row);
        let due = due_on_or_before(cadence, today);
        if due < row.created_at.date_naive() {
            continue;
        }
        let period = period_for(cadence, due);
        let claimed = report_delivery::Entity::insert(report_delivery::ActiveModel::from(
            report_delivery::Model {
                schedule_id: row.id.clone(),
                run_on: due.to_string(),
                period: period.clone(),
                sent: false,
                at: core.now(),
            },
        ))
        .on_conflict(
            OnConflict::columns([
                report_delivery::Column::ScheduleId,
                report_delivery::Column::RunOn,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&crate::db::Solo(&core.db))
        .await?;
        if claimed == 0 {
            continue;
        }
        ran += 1;
        let delivery = match deliver(core, &row, &period).await {
            Ok(d) => d,
            Err(err) => {
                tracing::warn!(schedule = %row.id, error = %err, "building a scheduled report failed");
                ReportDelivery {
                    period: period.clone(),
                    sent_to: Vec::new(),
                    failed: vec!["the report could not be built".to_owned()],
                }
            }
        };
        let txn = db::begin_write(&core.db).await?;
        record(&txn, &row, &delivery, core.now()).await?;
        report_delivery::Entity::update_many()
            .col_expr(
                report_delivery::Column::Sent,
                Expr::value(delivery.failed.is_empty()),
            )
            .filter(report_delivery::Column::ScheduleId.eq(&row.id))
            .filter(report_delivery::Column::RunOn.eq(due.to_string()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn monthly_runs_on_the_first_and_report_the_month_just_ended() {
        let c = ReportCadence::Monthly;
        assert_eq!(due_on_or_before(c, day("2026-11-21")), day("2026-11-01"));
        assert_eq!(due_after(c, day("2026-11-21")), day("2026-12-01"));
        assert_eq!(due_after(c, day("2026-12-31")), day("2027-01-01"));
        assert_eq!(period_for(c, day("2026-11-01")), "2026-10");
        assert_eq!(period_for(c, day("2027-01-01")), "2026-12");
    }

    #[test]
    fn weekly_runs_on_mondays_and_report_the_month_so_far() {
        let c = ReportCadence::Weekly;
        // 2026-11-23 is a Monday.
        assert_eq!(due_on_or_before(c, day("2026-11-25")), day("2026-11-23"));
        assert_eq!(due_on_or_before(c, day("2026-11-23")), day("2026-11-23"));
        assert_eq!(due_after(c, day("2026-11-23")), day("2026-11-30"));
        assert_eq!(period_for(c, day("2026-11-23")), "2026-11");
        // A Monday on the 1st reports the month just ended.
        assert_eq!(period_for(c, day("2027-03-01")), "2027-02");
    }

    #[test]
    fn changes_are_percentages_of_the_month_before() {
        assert_eq!(
            change_percent(Decimal::new(150, 0), Decimal::new(100, 0)),
            Some(Decimal::new(500, 1))
        );
        assert_eq!(
            change_percent(Decimal::new(50, 0), Decimal::new(200, 0)),
            Some(Decimal::new(-750, 1))
        );
        assert_eq!(change_percent(Decimal::ONE, Decimal::ZERO), None);
    }
}
