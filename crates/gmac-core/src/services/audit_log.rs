//! Reading the audit log: filtered pages, CSV export and chain verification.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use gmac_types::{AuditEvent, AuditQuery, AuditVerification, BrokenLink, Page, Permission};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::access::{Target, Visible};
use crate::entities::{audit_log, project};
use crate::{Actor, Core, Error, Result, audit};

/// The action of an access-token refresh.
const REFRESH: &str = "auth.refresh";
/// The most rows one CSV export carries.
pub const EXPORT_LIMIT: u64 = 100_000;

/// The wire form.
pub fn to_dto(row: audit_log::Model) -> AuditEvent {
    AuditEvent {
        details: serde_json::from_str(&row.details).unwrap_or(serde_json::Value::Null),
        id: row.id,
        seq: row.seq,
        occurred_at: row.occurred_at,
        actor_type: row.actor_type,
        actor_id: row.actor_id,
        actor_label: row.actor_label,
        action: row.action,
        target_type: row.target_type,
        target_id: row.target_id,
        target_label: None,
        scope_type: row.scope_type,
        scope_id: row.scope_id,
        ip: row.ip,
        request_id: row.request_id,
        outcome: row.outcome,
        hash: row.hash,
    }
}

fn parse_time(field: &str, raw: &str, end_of_day: bool) -> Result<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(raw) {
        return Ok(time.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        Error::BadRequest(format!(
            "`{field}` is neither an RFC 3339 time nor a YYYY-MM-DD day."
        ))
    })?;
    let time = if end_of_day {
        NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)
    } else {
        Some(NaiveTime::MIN)
    };
    Ok(day.and_time(time.unwrap_or(NaiveTime::MIN)).and_utc())
}

/// The filtered query, restricted to what the actor may read.
async fn filtered(
    core: &Core,
    actor: &Actor,
    query: &AuditQuery,
) -> Result<Select<audit_log::Entity>> {
    actor.ensure_enrolled()?;
    let visible = actor.permissions.visible(Permission::AuditView);
    if visible.is_nothing() {
        return Err(Error::Forbidden);
    }
    let mut select = audit_log::Entity::find();
    if let Visible::Some { clients, projects } = visible {
        // Events of a visible client, of its projects, or of a single visible project.
        let mut project_ids: Vec<String> = projects.into_iter().map(|(p, _)| p).collect();
        if !clients.is_empty() {
            let inside = project::Entity::find()
                .filter(project::Column::ClientId.is_in(clients.iter().cloned()))
                .all(&core.db)
                .await?;
            project_ids.extend(inside.into_iter().map(|p| p.id));
        }
        select = select.filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(audit_log::Column::ScopeType.eq("client"))
                        .add(audit_log::Column::ScopeId.is_in(clients)),
                )
                .add(
                    Condition::all()
                        .add(audit_log::Column::ScopeType.eq("project"))
                        .add(audit_log::Column::ScopeId.is_in(project_ids)),
                ),
        );
    }
    if let Some(who) = query.actor.as_deref().filter(|s| !s.is_empty()) {
        select = select.filter(
            Condition::any()
                .add(audit_log::Column::ActorId.eq(who))
                .add(audit_log::Column::ActorLabel.eq(who)),
        );
    }
    let action = query
        .action
        .as_deref()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    if let Some(action) = &action {
        select = match action.strip_suffix('*') {
            Some(prefix) => select.filter(audit_log::Column::Action.starts_with(prefix)),
            None if action.contains('.') => select.filter(audit_log::Column::Action.eq(action)),
            // A word, as a person types it: "role" finds the role changes.
            None => select.filter(audit_log::Column::Action.contains(action)),
        };
    }
    // Refreshes are routine: listed only when asked for.
    let asks_for_refreshes =
        query.refreshes == Some(true) || action.as_deref().is_some_and(|a| a.contains("refresh"));
    if !asks_for_refreshes {
        select = select.filter(
            Condition::any()
                .add(audit_log::Column::Action.ne(REFRESH))
                .add(audit_log::Column::Outcome.ne("success")),
        );
    }
    if let Some(target) = query.target.as_deref().filter(|s| !s.is_empty()) {
        select = select.filter(audit_log::Column::TargetId.eq(target));
    }
    if let Some(outcome) = query.outcome.as_deref().filter(|s| !s.is_empty()) {
        select = select.filter(audit_log::Column::Outcome.eq(outcome));
    }
    if let Some(from) = query.from.as_deref().filter(|s| !s.is_empty()) {
        select = select.filter(audit_log::Column::OccurredAt.gte(parse_time("from", from, false)?));
    }
    if let Some(to) = query.to.as_deref().filter(|s| !s.is_empty()) {
        select = select.filter(audit_log::Column::OccurredAt.lte(parse_time("to", to, true)?));
    }
    Ok(select)
}

/// The sequence number a cursor names: the entries older than it follow.
fn before_cursor(query: &AuditQuery) -> Result<Option<i64>> {
    crate::platform::paging::cursor(query.cursor.as_ref())
        .map(|cursor| {
            cursor
                .parse()
                .map_err(|_| Error::BadRequest("The cursor is not one this API issued.".to_owned()))
        })
        .transpose()
}

/// Newest first, a page at a time. Needs `audit.view`; outside the global scope, only the
/// events of the clients and projects where the actor holds it.
pub async fn list_events(
    core: &Core,
    actor: &Actor,
    query: &AuditQuery,
) -> Result<Page<AuditEvent>> {
    let mut select = filtered(core, actor, query).await?;
    let limit = crate::platform::paging::page_size(query.limit)?;
    let total = select.clone().count(&core.db).await?;
    if let Some(before) = before_cursor(query)? {
        select = select.filter(audit_log::Column::Seq.lt(before));
    }
    let mut rows = select
        .order_by_desc(audit_log::Column::Seq)
        .limit(limit + 1)
        .all(&core.db)
        .await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        rows.last().map(|r| r.seq.to_string())
    } else {
        None
    };
    let mut items: Vec<AuditEvent> = rows.into_iter().map(to_dto).collect();
    name_targets(&core.db, &mut items).await?;
    Ok(Page {
        items,
        next_cursor,
        total,
    })
}

/// Fills in the targets' names: one query per kind of target on the page, and for objects
/// since deleted, the name their entry recorded (`details.before.name` or `details.name`).
async fn name_targets(db: &impl ConnectionTrait, items: &mut [AuditEvent]) -> Result<()> {
    use std::collections::{BTreeSet, HashMap};
    let mut wanted: HashMap<(&str, &str, &str), BTreeSet<String>> = HashMap::new();
    for item in items.iter() {
        if let (Some(kind), Some(id)) = (&item.target_type, &item.target_id)
            && let Some(named) = NAMED.iter().find(|(k, _, _)| *k == kind.as_str())
        {
            wanted.entry(*named).or_default().insert(id.clone());
        }
    }
    let mut names: HashMap<(&str, String), String> = HashMap::new();
    for ((kind, table, column), ids) in wanted {
        for (id, name) in names_of(db, (table, column), ids.into_iter().collect()).await? {
            if let Some(name) = name.filter(|n| !n.is_empty()) {
                names.insert((kind, id), name);
            }
        }
    }
    for item in items.iter_mut() {
        let (Some(kind), Some(id)) = (&item.target_type, &item.target_id) else {
            continue;
        };
        let recorded = || {
            ["before", "after"]
                .iter()
                .find_map(|side| item.details[side]["name"].as_str())
                .or_else(|| item.details["name"].as_str())
                .map(str::to_owned)
        };
        // Not taken out of the map: the same target may have several entries on the page.
        item.target_label = names
            .get(&(kind.as_str(), id.clone()))
            .cloned()
            .or_else(recorded);
    }
    Ok(())
}

/// The kinds of target that have a name: the kind, its table, and the column naming it.
const NAMED: [(&str, &str, &str); 14] = [
    ("client", "clients", "name"),
    ("project", "projects", "name"),
    ("team", "teams", "name"),
    ("user", "users", "display_name"),
    ("budget", "budgets", "name"),
    ("role", "roles", "name"),
    ("report_schedule", "report_schedules", "name"),
    ("allocation_rule", "allocation_rules", "name"),
    ("cloud_account", "cloud_accounts", "name"),
    ("git_connection", "git_connections", "name"),
    ("service", "services", "name"),
    ("api_token", "api_tokens", "name"),
    ("invitation", "invitations", "email"),
    ("cost_import", "cost_imports", "file_name"),
];

/// The names in `column` of `table`'s rows `ids` (one of [`NAMED`]).
async fn names_of(
    db: &impl ConnectionTrait,
    (table, column): (&str, &str),
    ids: Vec<String>,
) -> Result<Vec<(String, Option<String>)>> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Query};
    let select = Query::select()
        .column(Alias::new("id"))
        .column(Alias::new(column))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("id")).is_in(ids))
        .to_owned();
    let rows = db
        .query_all_raw(db.get_database_backend().build(&select))
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("", "id")?, row.try_get("", column)?)))
        .collect()
}

/// The filtered log as CSV, oldest first, at most [`EXPORT_LIMIT`] rows.
pub async fn export_csv(core: &Core, actor: &Actor, query: &AuditQuery) -> Result<Vec<u8>> {
    // The export takes no page size, but one out of bounds is still a mistake worth naming; a
    // cursor exports the entries older than the page it came from.
    crate::platform::paging::page_size(query.limit)?;
    let mut select = filtered(core, actor, query).await?;
    if let Some(before) = before_cursor(query)? {
        select = select.filter(audit_log::Column::Seq.lt(before));
    }
    let rows = select
        .order_by_asc(audit_log::Column::Seq)
        .limit(EXPORT_LIMIT)
        .all(&core.db)
        .await?;
    let header = [
        "seq",
        "occurred_at",
        "actor_type",
        "actor_id",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "scope_type",
        "scope_id",
        "ip",
        "request_id",
        "outcome",
        "details",
        "hash",
    ];
    let lines = rows.into_iter().map(|r| {
        vec![
            r.seq.to_string(),
            r.occurred_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            r.actor_type,
            r.actor_id.unwrap_or_default(),
            r.actor_label.unwrap_or_default(),
            r.action,
            r.target_type.unwrap_or_default(),
            r.target_id.unwrap_or_default(),
            r.scope_type.unwrap_or_default(),
            r.scope_id.unwrap_or_default(),
            r.ip.unwrap_or_default(),
            r.request_id.unwrap_or_default(),
            r.outcome,
            r.details,
            r.hash,
        ]
    });
    Ok(crate::export::to_csv(&header, lines)?)
}

/// Checks the whole chain. Needs `audit.view` at the global scope.
pub async fn verify(core: &Core, actor: &Actor) -> Result<AuditVerification> {
    actor.require(Permission::AuditView, &Target::Global)?;
    Ok(to_verification(
        audit::verify(&core.db, &core.audit_keys).await?,
    ))
}

/// The wire form of a verification.
pub fn to_verification(v: audit::Verification) -> AuditVerification {
    AuditVerification {
        valid: v.valid,
        checked: v.checked,
        first_bad: v.first_bad.map(|b| BrokenLink {
            seq: b.seq,
            reason: b.reason.to_owned(),
        }),
    }
}
