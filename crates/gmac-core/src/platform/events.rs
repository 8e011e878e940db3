//! Events: the transactional outbox.
//!
//! Every change writes an event in its own transaction: [`crate::audit::append`] writes one
//! for each successful audited action, and changes gmac makes by itself (a budget threshold
//! crossed, a job ended) call [`append`]. Event ids come from a counter on the audit chain's
//! head row, which every writer locks until it commits, so ids are handed out in commit order
//! and without gaps: a reader that has seen id `n` has seen every event before it, and an event
//! of a rolled-back transaction never existed.
//!
//! Readers: the live stream (`GET /events/stream`) reads the table directly, so every replica
//! serves every event; consumers (gmac's are in `services::background`) are handed events at least once, in order,
//! by one [`Dispatcher`] at a time across replicas (each consumer's cursor is leased).

use std::time::Duration;

use chrono::{DateTime, Utc};
use gmac_types::{Event, EventList, EventQuery, EventScope, Permission};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::access::Target;
use crate::entities::{audit_chain, event, event_consumer};
use crate::{Actor, Core, Error, Result};

/// An event to append.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// `subject_kind.past_verb`.
    pub event_type: String,
    /// Where it happened.
    pub target: Target,
    /// What it happened to, as `(kind, id)`.
    pub subject: Option<(String, String)>,
    /// The user behind it.
    pub actor_id: Option<String>,
    /// What changed.
    pub data: serde_json::Value,
}

/// Appends `new` on `conn`, the transaction of the change it describes; answers its id.
pub async fn append(conn: &impl ConnectionTrait, now: DateTime<Utc>, new: NewEvent) -> Result<i64> {
    // Taking the next number locks the head row until the transaction ends: ids follow
    // commit order.
    audit_chain::Entity::update_many()
        .col_expr(
            audit_chain::Column::LastEventId,
            Expr::col(audit_chain::Column::LastEventId).add(1),
        )
        .filter(audit_chain::Column::Id.eq(1))
        .exec(conn)
        .await?;
    let id = head(conn).await?;
    let (scope_type, scope_id, client_id) = match new.target {
        Target::Global => ("global", None, None),
        Target::Client(id) => ("client", Some(id.clone()), Some(id)),
        Target::Project { id, client_id } => ("project", Some(id), Some(client_id)),
    };
    event::Entity::insert(event::ActiveModel {
        id: Set(id),
        event_type: Set(new.event_type),
        scope_type: Set(scope_type.to_owned()),
        scope_id: Set(scope_id),
        client_id: Set(client_id),
        subject: Set(new.subject.map(|(kind, id)| format!("{kind}/{id}"))),
        actor_id: Set(new.actor_id),
        payload: Set(new.data.to_string()),
        occurred_at: Set(now),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(id)
}

/// The newest event's id (0 when none).
pub async fn head(conn: &impl ConnectionTrait) -> Result<i64> {
    let id: Option<i64> = audit_chain::Entity::find_by_id(1)
        .select_only()
        .column(audit_chain::Column::LastEventId)
        .into_tuple()
        .one(conn)
        .await?;
    id.ok_or_else(|| anyhow::anyhow!("the audit chain head row is missing").into())
}

/// Verbs of audited actions and the past tense their events take.
const PAST: &[(&str, &str)] = &[
    ("create", "created"),
    ("verify", "verified"),
    ("update", "updated"),
    ("delete", "deleted"),
    ("revoke", "revoked"),
    ("rotate", "rotated"),
    ("enable", "enabled"),
    ("disable", "disabled"),
    ("accept", "accepted"),
    ("cancel", "cancelled"),
    ("retry", "retried"),
    ("send", "sent"),
    ("send_request", "send_requested"),
    ("start", "started"),
    ("enqueue", "enqueued"),
    ("complete", "completed"),
    ("member_add", "member_added"),
    ("member_remove", "member_removed"),
    ("avatar", "avatar_changed"),
    ("avatar_remove", "avatar_removed"),
    ("password_change", "password_changed"),
    ("password_reset", "password_reset"),
    ("policy", "policy_changed"),
    ("end", "ended"),
    ("end_others", "others_ended"),
    ("feedback", "feedback_given"),
    ("enroll_start", "enrollment_started"),
    ("recovery_codes", "recovery_codes_renewed"),
];

/// The event type of an audited action: `client.create` → `client.created`. `None` for
/// actions that are not changes anyone follows (sign-in, token refresh).
pub fn type_of_action(action: &str) -> Option<String> {
    let (kind, verb) = action.split_once('.')?;
    if kind == "auth" {
        return None;
    }
    let past = PAST
        .iter()
        .find(|(v, _)| *v == verb)
        .map_or(verb, |(_, p)| p);
    Some(format!("{kind}.{past}"))
}

/// Who may see an event, by the kind of its subject (the part of its type before the dot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Audience {
    /// Whoever knows the scope (as reading a client or project).
    Known,
    /// Holders of a permission at the scope.
    With(Permission),
    /// The user behind it, and the audit log's readers.
    Own,
}

/// Kinds of subject and their audience; any other kind is seen by the audit log's readers.
const AUDIENCES: &[(&str, Audience)] = &[
    ("client", Audience::Known),
    ("project", Audience::Known),
    ("budget", Audience::With(Permission::CostsView)),
    ("cost_import", Audience::With(Permission::CostsView)),
    ("cost_sync", Audience::With(Permission::CostsView)),
    ("cloud_account", Audience::With(Permission::CostsView)),
    ("allocation_rule", Audience::With(Permission::CostsView)),
    ("cost_allocation", Audience::With(Permission::CostsView)),
    ("resource_assignment", Audience::With(Permission::CostsView)),
    ("cost_anomaly", Audience::With(Permission::CostsView)),
    ("report_schedule", Audience::With(Permission::CostsView)),
    ("git_connection", Audience::With(Permission::ServicesView)),
    ("service", Audience::With(Permission::ServicesView)),
    ("build", Audience::With(Permission::ServicesView)),
    ("template_source", Audience::With(Permission::ServicesView)),
    ("target", Audience::With(Permission::ServicesView)),
    ("environment", Audience::With(Permission::ServicesView)),
    ("release", Audience::With(Permission::ServicesView)),
    ("domain", Audience::With(Permission::ServicesView)),
    ("variable_group", Audience::With(Permission::ServicesView)),
    ("user", Audience::With(Permission::UsersManage)),
    ("team", Audience::With(Permission::UsersManage)),
    ("role", Audience::With(Permission::UsersManage)),
    ("role_binding", Audience::With(Permission::UsersManage)),
    ("invitation", Audience::With(Permission::UsersManage)),
    ("profile", Audience::Own),
    ("session", Audience::Own),
    ("mfa", Audience::Own),
    ("token", Audience::Own),
];

fn audience(event_type: &str, data: &serde_json::Value) -> Audience {
    let kind = event_type.split_once('.').map_or(event_type, |(k, _)| k);
    if kind == "job" {
        // A job is seen as what it does is.
        let job_kind = data.get("kind").and_then(|k| k.as_str()).unwrap_or("");
        return Audience::With(crate::platform::job_kinds::permissions(job_kind).0);
    }
    AUDIENCES
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(Audience::With(Permission::AuditView), |&(_, a)| a)
}

/// Where a stored event happened. Unknown text is an error, never the installation.
fn target_of(row: &event::Model) -> Result<Target> {
    match (row.scope_type.as_str(), &row.scope_id, &row.client_id) {
        ("global", None, _) => Ok(Target::Global),
        ("client", Some(id), _) => Ok(Target::Client(id.clone())),
        ("project", Some(id), Some(client_id)) => Ok(Target::Project {
            id: id.clone(),
            client_id: client_id.clone(),
        }),
        _ => Err(anyhow::anyhow!(
            "event {} has the unknown scope {:?} {:?}",
            row.id,
            row.scope_type,
            row.scope_id
        )
        .into()),
    }
}

/// Whether `actor` may see `row` (the same rules as reading what it is about).
pub fn may_see(actor: &Actor, row: &event::Model, data: &serde_json::Value) -> bool {
    if actor.mfa_enrollment_required {
        return false;
    }
    let Ok(target) = target_of(row) else {
        return false;
    };
    match audience(&row.event_type, data) {
        Audience::Known => actor.permissions.knows(&target),
        Audience::With(permission) => actor.can(permission, &target),
        Audience::Own => {
            row.actor_id.as_deref() == Some(actor.user_id.as_str())
                || actor.can(Permission::AuditView, &Target::Global)
        }
    }
}

/// The event as the API shows it.
fn to_dto(row: event::Model, data: serde_json::Value) -> Event {
    Event {
        id: row.id,
        event_type: row.event_type,
        timestamp: row.occurred_at,
        scope: EventScope {
            kind: row.scope_type,
            id: row.scope_id,
            client_id: row.client_id,
        },
        subject: row.subject,
        actor_id: row.actor_id,
        data,
    }
}

/// How many events one read scans at most.
const SCAN: u64 = 500;

/// The events after `after` that `actor` may see, oldest first: at most `limit`, from at most
/// a few scans. `last_id` is the newest event looked at, seen or not, to continue from.
pub async fn list_after(
    core: &Core,
    actor: &Actor,
    after: i64,
    type_prefix: Option<&str>,
    limit: u64,
) -> Result<EventList> {
    actor.ensure_enrolled()?;
    let limit = limit.clamp(1, SCAN);
    let mut last_id = std::cmp::Ord::max(after, 0);
    let mut items = Vec::new();
    for _ in 0..4 {
        let rows = event::Entity::find()
            .filter(event::Column::Id.gt(last_id))
            .order_by_asc(event::Column::Id)
            .limit(SCAN)
            .all(&core.db)
            .await?;
        let scanned = rows.len();
        for row in rows {
            if items.len() as u64 >= limit {
                return Ok(EventList { items, last_id });
            }
            last_id = row.id;
            if type_prefix.is_some_and(|p| !row.event_type.starts_with(p)) {
                continue;
            }
            let data = serde_json::from_str(&row.payload)
                .ok()
                .filter(serde_json::Value::is_object)
                .unwrap_or_else(|| serde_json::json!({}));
            if may_see(actor, &row, &data) {
                items.push(to_dto(row, data));
            }
        }
        if (scanned as u64) < SCAN || !items.is_empty() {
            break;
        }
    }
    Ok(EventList { items, last_id })
}

/// Refuses a negative `after` (a list's or a stream's).
pub fn check_after(after: Option<i64>) -> Result<()> {
    if after.is_some_and(|a| a < 0) {
        return Err(Error::invalid(gmac_types::FieldError::new(
            "after",
            "range",
            "must be 0 or more",
        )));
    }
    Ok(())
}

/// `GET /events`: a page of events after `query.after`.
pub async fn list(core: &Core, actor: &Actor, query: &EventQuery) -> Result<EventList> {
    check_after(query.after)?;
    if query.limit.is_some_and(|l| !(1..=SCAN).contains(&l)) {
        return Err(Error::invalid(gmac_types::FieldError::new(
            "limit",
            "range",
            "must be from 1 to 500",
        )));
    }
    list_after(
        core,
        actor,
        query.after.unwrap_or(0),
        query.r#type.as_deref(),
        query.limit.unwrap_or(100),
    )
    .await
}

/// Removes events older than the retention (`core.event_retention`); answers how many.
pub async fn prune(core: &Core) -> Result<u64> {
    let cutoff = core.now() - core.event_retention;
    Ok(event::Entity::delete_many()
        .filter(event::Column::OccurredAt.lt(cutoff))
        .exec(&crate::db::Solo(&core.db))
        .await?
        .rows_affected)
}

/// What a consumer's handler answers: a future of the batch's handling.
pub type Handled<'a> = std::pin::Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// A consumer's handler of a batch of the events it wants.
pub type Handle = for<'a> fn(&'a Core, &'a [event::Model]) -> Handled<'a>;

/// A consumer of events: which types it wants and what it does with a batch of them.
#[derive(Clone, Copy)]
pub struct Consumer {
    /// Its stable name (its cursor's key).
    pub name: &'static str,
    /// Whether it wants events of this type.
    pub wants: fn(&str) -> bool,
    /// Handles the wanted events of one batch, in order. An error leaves the cursor where it
    /// was: the batch comes again.
    pub handle: Handle,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Hands events to consumers: at least once, in order, one dispatcher per consumer at a time
/// across replicas.
#[derive(Debug)]
pub struct Dispatcher {
    core: Core,
    owner: String,
    consumers: Vec<Consumer>,
    lease: Duration,
}

impl Dispatcher {
    /// A dispatcher of `consumers`.
    pub fn with(core: Core, consumers: Vec<Consumer>) -> Self {
        let owner = format!("dispatcher-{}", core.new_id());
        Self {
            core,
            owner,
            consumers,
            lease: Duration::from_mins(5),
        }
    }

    /// Creates each consumer's cursor at the newest event, if it has none: a new consumer
    /// starts from now, not from history.
    pub async fn install(&self) -> Result<()> {
        let head = head(&self.core.db).await?;
        for consumer in &self.consumers {
            event_consumer::Entity::insert(event_consumer::ActiveModel {
                name: Set(consumer.name.to_owned()),
                last_event_id: Set(head),
                lease_owner: Set(None),
                lease_until: Set(None),
                updated_at: Set(self.core.now()),
            })
            .on_conflict_do_nothing_on([event_consumer::Column::Name])
            .exec(&crate::db::Solo(&self.core.db))
            .await?;
        }
        Ok(())
    }

    /// Dispatches until every consumer is up to date; answers how many events were handed on.
    pub async fn run_once(&self) -> Result<usize> {
        let mut handed = 0;
        for consumer in &self.consumers {
            while let Some(n) = self.step(consumer).await? {
                handed += n;
            }
        }
        Ok(handed)
    }

    /// Runs for ever, every `every`.
    pub async fn run(self, every: Duration) {
        if let Err(err) = self.install().await {
            tracing::error!(error = %err, "installing event consumers failed");
        }
        loop {
            if let Err(err) = self.run_once().await {
                tracing::warn!(error = %err, "dispatching events failed");
            }
            tokio::time::sleep(every).await;
        }
    }

    /// One batch for `consumer`: `None` when it is up to date or another dispatcher holds it.
    async fn step(&self, consumer: &Consumer) -> Result<Option<usize>> {
        let db = &self.core.db;
        let Some(cursor) = event_consumer::Entity::find_by_id(consumer.name)
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let pending = event::Entity::find()
            .filter(event::Column::Id.gt(cursor.last_event_id))
            .order_by_asc(event::Column::Id)
            .limit(SCAN)
            .all(db)
            .await?;
        let Some(last) = pending.last().map(|e| e.id) else {
            return Ok(None);
        };
        let now = self.core.now();
        // Only while the cursor has not moved since it was read and nobody else holds it.
        let untouched = Condition::all()
            .add(event_consumer::Column::Name.eq(consumer.name))
            .add(event_consumer::Column::LastEventId.eq(cursor.last_event_id))
            .add(
                Condition::any()
                    .add(event_consumer::Column::LeaseOwner.is_null())
                    .add(event_consumer::Column::LeaseUntil.lt(now))
                    .add(event_consumer::Column::LeaseOwner.eq(self.owner.as_str())),
            );
        let wanted: Vec<event::Model> = pending
            .into_iter()
            .filter(|e| (consumer.wants)(&e.event_type))
            .collect();
        if wanted.is_empty() {
            // Nothing to hand on: the cursor moves past the batch in one write, no lease.
            let moved = event_consumer::Entity::update_many()
                .col_expr(event_consumer::Column::LastEventId, Expr::value(last))
                .col_expr(event_consumer::Column::UpdatedAt, Expr::value(now))
                .filter(untouched)
                .exec(&crate::db::Solo(db))
                .await?
                .rows_affected;
            return Ok((moved > 0).then_some(0));
        }
        let until = now
            + chrono::Duration::from_std(self.lease).unwrap_or_else(|_| chrono::Duration::zero());
        let took = event_consumer::Entity::update_many()
            .col_expr(
                event_consumer::Column::LeaseOwner,
                Expr::value(self.owner.clone()),
            )
            .col_expr(event_consumer::Column::LeaseUntil, Expr::value(until))
            .filter(untouched)
            .exec(&crate::db::Solo(db))
            .await?
            .rows_affected;
        if took == 0 {
            return Ok(None);
        }
        let handled = (consumer.handle)(&self.core, &wanted).await;
        let mut release = event_consumer::Entity::update_many()
            .col_expr(
                event_consumer::Column::LeaseOwner,
                Expr::value(None::<String>),
            )
            .col_expr(
                event_consumer::Column::LeaseUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(
                event_consumer::Column::UpdatedAt,
                Expr::value(self.core.now()),
            );
        if handled.is_ok() {
            release = release.col_expr(event_consumer::Column::LastEventId, Expr::value(last));
        }
        release
            .filter(event_consumer::Column::Name.eq(consumer.name))
            .filter(event_consumer::Column::LeaseOwner.eq(self.owner.as_str()))
            .exec(&crate::db::Solo(db))
            .await?;
        handled?;
        Ok(Some(wanted.len()))
    }
}
