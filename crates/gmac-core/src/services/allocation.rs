//! Cost allocation: who pays for what.
//!
//! Each daily rollup row goes, in order of precedence, to the user or team its resource is
//! assigned to by hand, else to the first rule that matches it, else to **Unallocated**. Rules
//! may share costs, evenly or in proportion to what each owner was allocated directly that day.
//! Splits are exact: the parts always add up to the whole, to the last unit. Allocations are
//! recomputed from the rollups whenever costs, rules or assignments change, so history follows
//! the rules.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use gmac_types::{
    Allocation, AllocationRule, FieldError, NewAllocationRule, NewResourceAssignment, Permission,
    ResourceAssignment, ShareMethod, Subject, SubjectKind,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::access::Target;
use crate::audit::AuditEntry;
use crate::entities::{
    allocation_rule, client, cost_allocation, cost_daily, job, resource_assignment, team,
    team_member, user,
};
use crate::platform::change::Change;
use crate::platform::{events, job_kinds, jobs, paging, worker};
use crate::services::clients;
use crate::services::cost_query::stored;
use crate::{Actor, Core, Error, RequestMeta, Result, db, money};

/// Who pays: a user (with their team), a team, or nobody yet (both empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Owner {
    /// The user, or empty.
    pub user_id: String,
    /// The team, or empty.
    pub team_id: String,
}

impl Owner {
    fn is_unallocated(&self) -> bool {
        self.user_id.is_empty() && self.team_id.is_empty()
    }
}

/// Splits `amount` into parts proportional to `weights`, exactly: the parts add up to
/// `amount`, and leftover units go to the largest remainders (ties to the first). All-zero or
/// no weights give equal parts. Products are taken in 256 bits ([`mul_div`]), so amounts and
/// weights of any size split exactly.
pub fn split(amount: i128, weights: &[i128]) -> Vec<i128> {
    if weights.is_empty() {
        return Vec::new();
    }
    let positive: Vec<u128> = weights.iter().map(|w| w.max(&0).unsigned_abs()).collect();
    let weights: Vec<u128> = if positive.iter().all(|w| *w == 0) {
        vec![1; weights.len()]
    } else {
        positive
    };
    // Below 2¹²⁷ (halving every weight beyond it), so that two remainders add in 128 bits.
    let mut weights = weights;
    while weights
        .iter()
        .try_fold(0_u128, |sum, w| sum.checked_add(*w))
        .is_none_or(|total| total >= 1 << 127)
    {
        for w in &mut weights {
            *w /= 2;
        }
    }
    let total: u128 = weights.iter().sum();
    let magnitude = amount.unsigned_abs();
    let (mut parts, remainders): (Vec<u128>, Vec<u128>) = weights
        .iter()
        .map(|w| mul_div(magnitude, *w, total))
        .unzip();
    let mut remainders: Vec<(u128, usize)> = remainders.into_iter().zip(0..).collect();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut left = magnitude - parts.iter().sum::<u128>();
    for (_, i) in remainders {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
        .into_iter()
        .map(|p| {
            let p = i128::try_from(p).unwrap_or(i128::MAX);
            if amount < 0 { -p } else { p }
        })
        .collect()
}

/// `⌊m · w / total⌋` and its remainder, exactly, for `w ≤ total < 2¹²⁷`: the quotient is at
/// most `m`, and the product is built bit by bit without ever leaving 128 bits.
fn mul_div(amount: u128, weight: u128, total: u128) -> (u128, u128) {
    // amount = times·total + rest, so amount·weight = times·weight·total + rest·weight, with
    // times·weight ≤ amount.
    let (times, rest) = (amount / total, amount % total);
    let (mut quotient, mut remainder) = (0_u128, 0_u128);
    for bit in (0..128).rev() {
        // Doubling: remainder < total < 2¹²⁷, so twice it fits.
        quotient <<= 1;
        remainder <<= 1;
        if remainder >= total {
            remainder -= total;
            quotient += 1;
        }
        if (weight >> bit) & 1 == 1 {
            remainder += rest;
            if remainder >= total {
                remainder -= total;
                quotient += 1;
            }
        }
    }
    (times * weight + quotient, remainder)
}

/// A rule, ready to match.
#[derive(Clone, Debug)]
struct CompiledRule {
    tag_key: Option<String>,
    tag_value: Option<String>,
    account: Option<String>,
    service: Option<String>,
    allocation: Allocation,
}

/// What happens to one rollup row.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Decision {
    To(Owner),
    Share(Vec<Owner>, ShareMethod),
}

/// Everything needed to allocate one client's costs.
#[derive(Clone, Debug, Default)]
pub struct Allocator {
    assignments: HashMap<String, Owner>,
    rules: Vec<CompiledRule>,
    users_by_email: HashMap<String, String>,
    teams_by_name: HashMap<String, String>,
    team_of_user: HashMap<String, String>,
}

impl Allocator {
    /// Loads the rules and assignments that apply to `client_id`, and the directory.
    pub async fn load(conn: &impl ConnectionTrait, client_id: &str) -> Result<Self> {
        let mut allocator = Self::default();
        let memberships = team_member::Entity::find().all(conn).await?;
        let teams = team::Entity::find().all(conn).await?;
        let team_key: HashMap<&str, &str> = teams
            .iter()
            .map(|t| (t.id.as_str(), t.name_key.as_str()))
            .collect();
        for t in &teams {
            allocator
                .teams_by_name
                .insert(t.name_key.clone(), t.id.clone());
        }
        // A user in several teams is counted in the first by name.
        let mut sorted: Vec<&team_member::Model> = memberships.iter().collect();
        sorted.sort_by_key(|m| (team_key.get(m.team_id.as_str()).copied(), m.team_id.clone()));
        for m in sorted {
            allocator
                .team_of_user
                .entry(m.user_id.clone())
                .or_insert_with(|| m.team_id.clone());
        }
        let users: Vec<(String, String)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::Email)
            .into_tuple()
            .all(conn)
            .await?;
        allocator.users_by_email = users.into_iter().map(|(id, email)| (email, id)).collect();
        for a in resource_assignment::Entity::find()
            .filter(resource_assignment::Column::ClientId.eq(client_id))
            .all(conn)
            .await?
        {
            let owner = allocator.owner(&a.subject_type, &a.subject_id);
            allocator.assignments.insert(a.resource_id, owner);
        }
        for r in rules_for(conn, Some(client_id)).await? {
            let allocation: Allocation = serde_json::from_str(&r.allocation)
                .map_err(|e| anyhow::anyhow!("rule {} is unreadable: {e}", r.id))?;
            allocator.rules.push(CompiledRule {
                tag_key: r.tag_key,
                tag_value: r.tag_value,
                account: r.account,
                service: r.service,
                allocation,
            });
        }
        Ok(allocator)
    }

    fn owner(&self, kind: &str, id: &str) -> Owner {
        if kind == SubjectKind::Team.as_str() {
            Owner {
                user_id: String::new(),
                team_id: id.to_owned(),
            }
        } else {
            Owner {
                user_id: id.to_owned(),
                team_id: self.team_of_user.get(id).cloned().unwrap_or_default(),
            }
        }
    }

    fn subject(&self, subject: &Subject) -> Owner {
        self.owner(subject.kind.as_str(), &subject.id)
    }

    fn decide(&self, row: &cost_daily::Model) -> Decision {
        if !row.resource_id.is_empty()
            && let Some(owner) = self.assignments.get(&row.resource_id)
        {
            return Decision::To(owner.clone());
        }
        let tags: BTreeMap<String, String> = if self.rules.iter().any(|r| r.tag_key.is_some()) {
            serde_json::from_str(&row.tags).unwrap_or_default()
        } else {
            BTreeMap::new()
        };
        for rule in &self.rules {
            if rule
                .account
                .as_ref()
                .is_some_and(|a| *a != row.sub_account_id)
                || rule
                    .service
                    .as_ref()
                    .is_some_and(|s| *s != row.service_name)
            {
                continue;
            }
            let tag = match &rule.tag_key {
                Some(key) => match tags.get(key) {
                    Some(value) if rule.tag_value.as_ref().is_none_or(|v| v == value) => {
                        Some(value)
                    }
                    _ => continue,
                },
                None => None,
            };
            return match &rule.allocation {
                Allocation::Assign { to } => Decision::To(self.subject(to)),
                Allocation::FromTag { kind } => {
                    let value = tag.map(|v| v.trim().to_lowercase()).unwrap_or_default();
                    let found = match kind {
                        SubjectKind::User => self.users_by_email.get(&value),
                        SubjectKind::Team => self.teams_by_name.get(&value),
                    };
                    match found {
                        Some(id) => Decision::To(self.owner(kind.as_str(), id)),
                        // A value naming nobody falls through to later rules.
                        None => continue,
                    }
                }
                Allocation::Share { among, method } => {
                    Decision::Share(among.iter().map(|s| self.subject(s)).collect(), *method)
                }
            };
        }
        Decision::To(Owner::default())
    }

    /// Allocates one day's rollup rows.
    pub fn allocate_day(&self, rows: &[cost_daily::Model]) -> Result<Vec<cost_allocation::Model>> {
        type Key = (Owner, String, String);
        let mut out: BTreeMap<Key, [i128; 3]> = BTreeMap::new();
        let mut direct: BTreeMap<Owner, i128> = BTreeMap::new();
        let mut shared = Vec::new();
        for row in rows {
            match self.decide(row) {
                Decision::To(owner) => {
                    if !owner.is_unallocated() {
                        *direct.entry(owner.clone()).or_default() += units(row)[0];
                    }
                    add(
                        &mut out,
                        (owner, row.service_name.clone(), row.currency.clone()),
                        row,
                        None,
                    );
                }
                Decision::Share(among, method) => shared.push((row, among, method)),
            }
        }
        for (row, among, method) in shared {
            let recipients: Vec<Owner> = if among.is_empty() {
                direct.keys().cloned().collect()
            } else {
                among
            };
            if recipients.is_empty() {
                add(
                    &mut out,
                    (
                        Owner::default(),
                        row.service_name.clone(),
                        row.currency.clone(),
                    ),
                    row,
                    None,
                );
                continue;
            }
            let weights: Vec<i128> = match method {
                ShareMethod::Even => vec![1; recipients.len()],
                ShareMethod::Proportional => recipients
                    .iter()
                    .map(|o| direct.get(o).copied().unwrap_or(0))
                    .collect(),
            };
            let parts = units(row).map(|amount| split(amount, &weights));
            for (i, owner) in recipients.into_iter().enumerate() {
                let share = [parts[0][i], parts[1][i], parts[2][i]];
                add(
                    &mut out,
                    (owner, row.service_name.clone(), row.currency.clone()),
                    row,
                    Some(share),
                );
            }
        }
        let (client_id, day) = rows
            .first()
            .map(|r| (r.client_id.clone(), r.day.clone()))
            .unwrap_or_default();
        out.into_iter()
            .map(|((owner, service_name, currency), sums)| {
                let what = || format!("the allocated costs of {service_name} on {day}");
                let billed = stored(sums[0], what)?;
                let effective = stored(sums[1], what)?;
                let list = stored(sums[2], what)?;
                Ok(cost_allocation::Model {
                    client_id: client_id.clone(),
                    day: day.clone(),
                    user_id: owner.user_id,
                    team_id: owner.team_id,
                    service_name,
                    currency,
                    billed_cost_whole: billed.0,
                    billed_cost_frac: billed.1,
                    effective_cost_whole: effective.0,
                    effective_cost_frac: effective.1,
                    list_cost_whole: list.0,
                    list_cost_frac: list.1,
                })
            })
            .collect()
    }
}

/// A rollup row's billed, effective and list costs, in money units.
fn units(row: &cost_daily::Model) -> [i128; 3] {
    [
        money::join(row.billed_cost_whole, row.billed_cost_frac),
        money::join(row.effective_cost_whole, row.effective_cost_frac),
        money::join(row.list_cost_whole, row.list_cost_frac),
    ]
}

fn add(
    out: &mut BTreeMap<(Owner, String, String), [i128; 3]>,
    key: (Owner, String, String),
    row: &cost_daily::Model,
    share: Option<[i128; 3]>,
) {
    let amounts = share.unwrap_or_else(|| units(row));
    let sums = out.entry(key).or_default();
    for (sum, amount) in sums.iter_mut().zip(amounts) {
        *sum = sum.saturating_add(amount);
    }
}

/// The rules that apply to a client (its own and the global ones), in order of precedence.
async fn rules_for(
    conn: &impl ConnectionTrait,
    client_id: Option<&str>,
) -> Result<Vec<allocation_rule::Model>> {
    let mut select = allocation_rule::Entity::find();
    if let Some(id) = client_id {
        select = select.filter(
            Condition::any()
                .add(allocation_rule::Column::ClientId.eq(id))
                .add(allocation_rule::Column::ClientId.is_null()),
        );
    }
    Ok(select
        .order_by_asc(allocation_rule::Column::Position)
        .order_by_asc(allocation_rule::Column::CreatedAt)
        .order_by_asc(allocation_rule::Column::Id)
        .all(conn)
        .await?)
}

/// Recomputes a client's allocations, for the days in `range` (inclusive) or for all days.
pub async fn reallocate(
    conn: &impl ConnectionTrait,
    client_id: &str,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<()> {
    const PAGE: u64 = 5000;
    let allocator = Allocator::load(conn, client_id).await?;
    let mut delete = cost_allocation::Entity::delete_many()
        .filter(cost_allocation::Column::ClientId.eq(client_id));
    let mut select = cost_daily::Entity::find().filter(cost_daily::Column::ClientId.eq(client_id));
    if let Some((from, to)) = range {
        delete = delete
            .filter(cost_allocation::Column::Day.gte(from.to_string()))
            .filter(cost_allocation::Column::Day.lte(to.to_string()));
        select = select
            .filter(cost_daily::Column::Day.gte(from.to_string()))
            .filter(cost_daily::Column::Day.lte(to.to_string()));
    }
    delete.exec(conn).await?;
    let mut after: Option<(String, String)> = None;
    let mut day_rows: Vec<cost_daily::Model> = Vec::new();
    let mut pending: Vec<cost_allocation::ActiveModel> = Vec::new();
    loop {
        let mut page = select.clone();
        if let Some((day, key)) = &after {
            page = page.filter(
                Condition::any()
                    .add(cost_daily::Column::Day.gt(day.clone()))
                    .add(
                        Condition::all()
                            .add(cost_daily::Column::Day.eq(day.clone()))
                            .add(cost_daily::Column::DimsKey.gt(key.clone())),
                    ),
            );
        }
        let rows = page
            .order_by_asc(cost_daily::Column::Day)
            .order_by_asc(cost_daily::Column::DimsKey)
            .limit(PAGE)
            .all(conn)
            .await?;
        let done = rows.len() < usize::try_from(PAGE).unwrap_or(usize::MAX);
        if let Some(last) = rows.last() {
            after = Some((last.day.clone(), last.dims_key.clone()));
        }
        for row in rows {
            if day_rows.first().is_some_and(|r| r.day != row.day) {
                pending.extend(
                    allocator
                        .allocate_day(&std::mem::take(&mut day_rows))?
                        .into_iter()
                        .map(cost_allocation::ActiveModel::from),
                );
            }
            day_rows.push(row);
        }
        if done {
            break;
        }
        flush(conn, &mut pending, 2000).await?;
    }
    if !day_rows.is_empty() {
        pending.extend(
            allocator
                .allocate_day(&day_rows)?
                .into_iter()
                .map(cost_allocation::ActiveModel::from),
        );
    }
    flush(conn, &mut pending, 0).await
}

/// Writes pending allocation rows once there are more than `above`.
async fn flush(
    conn: &impl ConnectionTrait,
    pending: &mut Vec<cost_allocation::ActiveModel>,
    above: usize,
) -> Result<()> {
    if pending.len() <= above {
        return Ok(());
    }
    // 10 columns a row.
    for chunk in std::mem::take(pending).chunks(1000) {
        cost_allocation::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Queues the recomputation of a client's allocations, on the caller's transaction: a rule,
/// an assignment or a team changed. A job for the client that has not started yet reads the
/// change when it does, so one waiting job is enough; a running one may have read the rules
/// before the change, so another is queued behind it.
///
/// On PostgreSQL the waiting job's row is locked until the change commits: a worker's claim
/// skips locked rows, so the job cannot start (and read the rules) before the change is in;
/// and if a worker claimed it just before, the lock waits for that claim, the row is no longer
/// `queued`, and a new job is queued.
pub(crate) async fn queue_reallocation(
    conn: &impl ConnectionTrait,
    core: &Core,
    actor: &Actor,
    client_id: &str,
) -> Result<()> {
    let mut waiting = job::Entity::find()
        .filter(job::Column::Kind.eq(job_kinds::COST_REALLOCATE))
        .filter(job::Column::ClientId.eq(client_id))
        .filter(job::Column::Status.eq(gmac_types::JobStatus::Queued.as_str()));
    if conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        waiting = waiting.lock_exclusive();
    }
    if waiting.one(conn).await?.is_none() {
        let mut new = jobs::NewJob::new(
            job_kinds::COST_REALLOCATE,
            serde_json::json!({ "client_id": client_id }),
        );
        new.client_id = Some(client_id.to_owned());
        new.max_attempts = 5;
        jobs::enqueue(conn, core, Some(actor), new).await?;
    }
    Ok(())
}

/// Queues the recomputation for every client a rule applies to (all, for a global rule).
async fn queue_for(
    conn: &impl ConnectionTrait,
    core: &Core,
    actor: &Actor,
    client_id: Option<&str>,
) -> Result<()> {
    let ids: Vec<String> = match client_id {
        Some(id) => vec![id.to_owned()],
        None => {
            client::Entity::find()
                .select_only()
                .column(client::Column::Id)
                .into_tuple()
                .all(conn)
                .await?
        }
    };
    for id in ids {
        queue_reallocation(conn, core, actor, &id).await?;
    }
    Ok(())
}

/// Queues the recomputation for every client with costs allocated to a user (whose team
/// changed) or a team (deleted): a user's costs follow their team, so team changes re-allocate
/// history as rule changes do.
pub(crate) async fn queue_for_subject(
    conn: &impl ConnectionTrait,
    core: &Core,
    actor: &Actor,
    (kind, id): (SubjectKind, &str),
) -> Result<()> {
    let column = match kind {
        SubjectKind::User => cost_allocation::Column::UserId,
        SubjectKind::Team => cost_allocation::Column::TeamId,
    };
    let clients: Vec<String> = cost_allocation::Entity::find()
        .select_only()
        .column(cost_allocation::Column::ClientId)
        .filter(column.eq(id))
        .distinct()
        .into_tuple()
        .all(conn)
        .await?;
    for client_id in clients {
        queue_reallocation(conn, core, actor, &client_id).await?;
    }
    Ok(())
}

/// The handler of [`job_kinds::COST_REALLOCATE`] jobs: recomputes one client's allocations
/// from its rollups, in one write transaction that also writes `cost_allocation.recomputed`
/// (budgets on people and teams are checked again when it is delivered). On PostgreSQL the
/// client's row is locked first, so two runs for one client never interleave.
pub fn reallocation_handler() -> worker::Handler {
    worker::handler(|ctx| async move {
        #[derive(serde::Deserialize)]
        struct Input {
            client_id: String,
        }
        let input: Input = ctx.payload()?;
        // Logged before the write transaction: a log line is a write of its own, and on
        // SQLite it would wait for the turn this transaction holds.
        let _ = ctx
            .log("recomputing the allocations from the daily rollups")
            .await;
        let txn = db::begin_write(&ctx.core.db).await?;
        let mut find = client::Entity::find_by_id(&input.client_id);
        if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            find = find.lock_exclusive();
        }
        let found = find.one(&txn).await?;
        if found.is_none() {
            // Deleted since: its allocations went with it.
            txn.rollback().await?;
            return Ok(serde_json::json!({ "client_id": input.client_id, "deleted": true }));
        }
        reallocate(&txn, &input.client_id, None).await?;
        events::append(
            &txn,
            ctx.core.now(),
            events::NewEvent {
                event_type: "cost_allocation.recomputed".to_owned(),
                target: Target::Client(input.client_id.clone()),
                subject: Some(("client".to_owned(), input.client_id.clone())),
                actor_id: ctx.job.created_by.clone(),
                data: serde_json::json!({ "job_id": ctx.job.id }),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(serde_json::json!({ "client_id": input.client_id }))
    })
}

fn rule_dto(row: allocation_rule::Model) -> Result<AllocationRule> {
    Ok(AllocationRule {
        allocation: serde_json::from_str(&row.allocation)
            .map_err(|e| anyhow::anyhow!("rule {} is unreadable: {e}", row.id))?,
        id: row.id,
        client_id: row.client_id,
        name: row.name,
        position: u32::try_from(row.position).unwrap_or(u32::MAX),
        tag_key: row.tag_key,
        tag_value: row.tag_value,
        account: row.account,
        service: row.service,
        created_at: row.created_at,
        version: row.version,
    })
}

fn target_of(client_id: Option<&String>) -> Target {
    client_id.map_or(Target::Global, |id| Target::Client(id.clone()))
}

/// Checks that a subject exists.
async fn check_subject(
    conn: &impl ConnectionTrait,
    subject: &Subject,
    pointer: &str,
    errors: &mut Vec<FieldError>,
) -> Result<()> {
    let exists = match subject.kind {
        SubjectKind::User => user::Entity::find_by_id(&subject.id)
            .one(conn)
            .await?
            .is_some(),
        SubjectKind::Team => team::Entity::find_by_id(&subject.id)
            .one(conn)
            .await?
            .is_some(),
    };
    if !exists {
        errors.push(FieldError {
            pointer: pointer.to_owned(),
            code: "unknown_subject".to_owned(),
            detail: format!("There is no {} with this id.", subject.kind.as_str()),
        });
    }
    Ok(())
}

fn clean(value: Option<&String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A rule's fields, checked.
struct RuleFields {
    name: String,
    tag_key: Option<String>,
    tag_value: Option<String>,
    account: Option<String>,
    service: Option<String>,
}

/// Checks a rule's name, criteria and allocation as a new or changed rule has them.
async fn check_rule(
    conn: &impl ConnectionTrait,
    change: &gmac_types::AllocationRuleChange,
) -> Result<RuleFields> {
    let mut errors = Vec::new();
    let name = match gmac_types::validation::Name::parse("name", &change.name) {
        Ok(name) => name.as_str().to_owned(),
        Err(error) => {
            errors.push(error);
            String::new()
        }
    };
    let tag_key = clean(change.tag_key.as_ref());
    let tag_value = clean(change.tag_value.as_ref());
    let account = clean(change.account.as_ref());
    let service = clean(change.service.as_ref());
    if tag_key.is_none() && account.is_none() && service.is_none() {
        errors.push(FieldError::new(
            "tag_key",
            "no_criterion",
            "Match on a tag, an account or a service.",
        ));
    }
    if tag_value.is_some() && tag_key.is_none() {
        errors.push(FieldError::new(
            "tag_value",
            "needs_tag_key",
            "A tag value needs a tag key.",
        ));
    }
    match &change.allocation {
        Allocation::Assign { to } => {
            check_subject(conn, to, "/allocation/to", &mut errors).await?;
        }
        Allocation::FromTag { .. } if tag_key.is_none() || tag_value.is_some() => {
            errors.push(FieldError::new(
                "allocation",
                "needs_tag_key",
                "Taking the owner from a tag needs a tag key and no fixed value.",
            ));
        }
        Allocation::FromTag { .. } => {}
        Allocation::Share { among, .. } => {
            for (i, s) in among.iter().enumerate() {
                check_subject(conn, s, &format!("/allocation/among/{i}"), &mut errors).await?;
            }
        }
    }
    if errors.is_empty() {
        Ok(RuleFields {
            name,
            tag_key,
            tag_value,
            account,
            service,
        })
    } else {
        Err(Error::Validation(errors))
    }
}

/// Creates an allocation rule at its position (shifting the later ones) and re-allocates the
/// history it touches. Needs `costs.manage` where it applies.
pub async fn create_rule(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewAllocationRule,
) -> Result<AllocationRule> {
    let target = target_of(input.client_id.as_ref());
    match &target {
        Target::Global => actor.require(Permission::CostsManage, &target)?,
        _ => actor.require_on(Permission::CostsManage, &target)?,
    }
    if let Some(id) = &input.client_id {
        clients::find(&core.db, id).await?;
    }
    let RuleFields {
        name,
        tag_key,
        tag_value,
        account,
        service,
    } = check_rule(
        &core.db,
        &gmac_types::AllocationRuleChange {
            name: input.name.clone(),
            position: input.position,
            tag_key: input.tag_key.clone(),
            tag_value: input.tag_value.clone(),
            account: input.account.clone(),
            service: input.service.clone(),
            allocation: input.allocation.clone(),
        },
    )
    .await?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    let count = i64::try_from(rules_for(&txn, None).await?.len()).unwrap_or(i64::MAX);
    let position = input.position.map_or(count + 1, |p| {
        Ord::min(i64::from(Ord::max(p, 1)), count + 1)
    });
    allocation_rule::Entity::update_many()
        .col_expr(
            allocation_rule::Column::Position,
            Expr::col(allocation_rule::Column::Position).add(1),
        )
        .filter(allocation_rule::Column::Position.gte(position))
        .exec(&txn)
        .await?;
    let row = allocation_rule::Model {
        id: core.new_id(),
        client_id: input.client_id.clone(),
        name,
        position,
        tag_key,
        tag_value,
        account,
        service,
        allocation: serde_json::to_string(&input.allocation).map_err(anyhow::Error::from)?,
        created_at: now,
        version: 1,
    };
    allocation_rule::Entity::insert(allocation_rule::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    queue_for(&txn, core, actor, input.client_id.as_deref()).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "allocation_rule.create")
        .target("allocation_rule", row.id.clone())
        .scope(&target)
        .details(serde_json::json!({"after": {
            "name": row.name, "position": row.position, "tag_key": row.tag_key,
            "tag_value": row.tag_value, "account": row.account, "service": row.service,
            "allocation": input.allocation,
        }}));
    txn.commit(core, meta, entry).await?;
    rule_dto(row)
}

/// The rules the actor may see, in order of precedence.
pub async fn list_rules(
    core: &Core,
    actor: &Actor,
    client_id: Option<&str>,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<AllocationRule>> {
    actor.ensure_enrolled()?;
    if let Some(id) = client_id {
        actor.require_on(Permission::CostsView, &Target::Client(id.to_owned()))?;
    } else if !actor.permissions.can_anywhere(Permission::CostsView) {
        return Err(Error::Forbidden);
    }
    let visible = actor
        .permissions
        .visible(Permission::CostsView)
        .whole_client_ids();
    // Scoped in the query: the install-wide rules and those of the clients seen whole.
    let mut select = allocation_rule::Entity::find();
    if let Some(id) = client_id {
        select = select.filter(
            Condition::any()
                .add(allocation_rule::Column::ClientId.eq(id))
                .add(allocation_rule::Column::ClientId.is_null()),
        );
    }
    if let Some(ids) = visible {
        select = select.filter(
            Condition::any()
                .add(allocation_rule::Column::ClientId.is_null())
                .add(allocation_rule::Column::ClientId.is_in(ids)),
        );
    }
    // In order of precedence; ids run in order of creation, which breaks ties of position.
    let col = paging::column::<allocation_rule::Entity>;
    let (rows, next_cursor, total) = paging::page_by_keys(
        core,
        select,
        [
            col(allocation_rule::Column::Position),
            col(allocation_rule::Column::Id),
        ],
        paging::Direction::Asc,
        page,
        |r| {
            [
                paging::Key::Int(r.position),
                paging::Key::Text(r.id.clone()),
            ]
        },
    )
    .await?;
    Ok(gmac_types::Page {
        items: rows.into_iter().map(rule_dto).collect::<Result<Vec<_>>>()?,
        next_cursor,
        total,
    })
}

/// Changes a rule: its name, criteria and allocation as given, and its position when given
/// (the others close up and make room). `if_match` (its version) refuses a change made on a
/// stale copy (412). Re-allocates the history it touches, as a job.
pub async fn update_rule(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
    change: gmac_types::AllocationRuleChange,
) -> Result<AllocationRule> {
    let row = allocation_rule::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    let target = target_of(row.client_id.as_ref());
    match &target {
        Target::Global => actor.require(Permission::CostsManage, &target)?,
        _ => actor.require_on(Permission::CostsManage, &target)?,
    }
    let fields = check_rule(&core.db, &change).await?;
    let txn = Change::begin(core).await?;
    let mut find = allocation_rule::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        find = find.lock_exclusive();
    }
    let before = find.one(&txn).await?.ok_or(Error::NotFound)?;
    Change::expect_version(if_match, before.version)?;
    let count = i64::try_from(rules_for(&txn, None).await?.len()).unwrap_or(i64::MAX);
    let position = change.position.map_or(before.position, |p| {
        Ord::min(i64::from(Ord::max(p, 1)), count)
    });
    if position != before.position {
        // Out of its place, then into the new one.
        allocation_rule::Entity::update_many()
            .col_expr(
                allocation_rule::Column::Position,
                Expr::col(allocation_rule::Column::Position).sub(1),
            )
            .filter(allocation_rule::Column::Position.gt(before.position))
            .exec(&txn)
            .await?;
        allocation_rule::Entity::update_many()
            .col_expr(
                allocation_rule::Column::Position,
                Expr::col(allocation_rule::Column::Position).add(1),
            )
            .filter(allocation_rule::Column::Position.gte(position))
            .filter(allocation_rule::Column::Id.ne(id))
            .exec(&txn)
            .await?;
    }
    let after = allocation_rule::Model {
        name: fields.name,
        position,
        tag_key: fields.tag_key,
        tag_value: fields.tag_value,
        account: fields.account,
        service: fields.service,
        allocation: serde_json::to_string(&change.allocation).map_err(anyhow::Error::from)?,
        version: before.version + 1,
        ..before.clone()
    };
    allocation_rule::Entity::update(sea_orm::ActiveModelTrait::reset_all(
        allocation_rule::ActiveModel::from(after.clone()),
    ))
    .exec(&txn)
    .await?;
    queue_for(&txn, core, actor, after.client_id.as_deref()).await?;
    let summary = |r: &allocation_rule::Model| {
        serde_json::json!({
            "name": r.name, "position": r.position, "tag_key": r.tag_key,
            "tag_value": r.tag_value, "account": r.account, "service": r.service,
            "allocation": serde_json::from_str::<serde_json::Value>(&r.allocation).ok(),
        })
    };
    let entry = AuditEntry::success(actor.audit_actor(), "allocation_rule.update")
        .target("allocation_rule", id.to_owned())
        .scope(&target)
        .details(serde_json::json!({"before": summary(&before), "after": summary(&after)}));
    txn.commit(core, meta, entry).await?;
    rule_dto(after)
}

/// Deletes a rule, closes the gap in the order and re-allocates.
pub async fn delete_rule(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<()> {
    let row = allocation_rule::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    let target = target_of(row.client_id.as_ref());
    match &target {
        Target::Global => actor.require(Permission::CostsManage, &target)?,
        _ => actor.require_on(Permission::CostsManage, &target)?,
    }
    let txn = Change::begin(core).await?;
    db::deleted_one(&allocation_rule::Entity::delete_by_id(id).exec(&txn).await?)?;
    allocation_rule::Entity::update_many()
        .col_expr(
            allocation_rule::Column::Position,
            Expr::col(allocation_rule::Column::Position).sub(1),
        )
        .filter(allocation_rule::Column::Position.gt(row.position))
        .exec(&txn)
        .await?;
    queue_for(&txn, core, actor, row.client_id.as_deref()).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "allocation_rule.delete")
        .target("allocation_rule", id.to_owned())
        .scope(&target)
        .details(serde_json::json!({"before": {"name": row.name, "position": row.position}}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

fn assignment_dto(row: resource_assignment::Model) -> ResourceAssignment {
    ResourceAssignment {
        id: row.id,
        client_id: row.client_id,
        resource_id: row.resource_id,
        to: Subject {
            kind: if row.subject_type == SubjectKind::Team.as_str() {
                SubjectKind::Team
            } else {
                SubjectKind::User
            },
            id: row.subject_id,
        },
        created_at: row.created_at,
    }
}

/// Assigns a resource's costs to a user or team (replacing an earlier assignment of it) and
/// re-allocates. Needs `costs.manage` on the client.
pub async fn assign_resource(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewResourceAssignment,
) -> Result<ResourceAssignment> {
    let target = Target::Client(input.client_id.clone());
    actor.require_on(Permission::CostsManage, &target)?;
    clients::find(&core.db, &input.client_id).await?;
    let resource_id = input.resource_id.trim().to_owned();
    let mut errors = Vec::new();
    if resource_id.is_empty() || resource_id.len() > 2048 {
        errors.push(FieldError::new(
            "resource_id",
            "invalid_length",
            "1 to 2048 characters.",
        ));
    }
    check_subject(&core.db, &input.to, "/to", &mut errors).await?;
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let now = core.now();
    let txn = Change::begin(core).await?;
    resource_assignment::Entity::delete_many()
        .filter(resource_assignment::Column::ClientId.eq(&input.client_id))
        .filter(resource_assignment::Column::ResourceId.eq(&resource_id))
        .exec(&txn)
        .await?;
    let row = resource_assignment::Model {
        id: core.new_id(),
        client_id: input.client_id.clone(),
        resource_id,
        subject_type: input.to.kind.as_str().to_owned(),
        subject_id: input.to.id.clone(),
        created_at: now,
    };
    resource_assignment::Entity::insert(resource_assignment::ActiveModel {
        id: Set(row.id.clone()),
        client_id: Set(row.client_id.clone()),
        resource_id: Set(row.resource_id.clone()),
        subject_type: Set(row.subject_type.clone()),
        subject_id: Set(row.subject_id.clone()),
        created_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    queue_reallocation(&txn, core, actor, &input.client_id).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "resource_assignment.create")
        .target("resource_assignment", row.id.clone())
        .scope(&target)
        .details(serde_json::json!({"after": {
            "resource_id": row.resource_id, "to": input.to,
        }}));
    txn.commit(core, meta, entry).await?;
    Ok(assignment_dto(row))
}

/// A client's resource assignments.
pub async fn list_assignments(
    core: &Core,
    actor: &Actor,
    client_id: &str,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<ResourceAssignment>> {
    actor.require_on(Permission::CostsView, &Target::Client(client_id.to_owned()))?;
    let col = paging::column::<resource_assignment::Entity>;
    let (rows, next_cursor, total) = paging::page_by_keys(
        core,
        resource_assignment::Entity::find()
            .filter(resource_assignment::Column::ClientId.eq(client_id)),
        [
            col(resource_assignment::Column::ResourceId),
            col(resource_assignment::Column::Id),
        ],
        paging::Direction::Asc,
        page,
        |r| {
            [
                paging::Key::Text(r.resource_id.clone()),
                paging::Key::Text(r.id.clone()),
            ]
        },
    )
    .await?;
    Ok(gmac_types::Page {
        items: rows.into_iter().map(assignment_dto).collect(),
        next_cursor,
        total,
    })
}

/// Removes an assignment and re-allocates.
pub async fn unassign_resource(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
) -> Result<()> {
    let row = resource_assignment::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    let target = Target::Client(row.client_id.clone());
    actor.require_on(Permission::CostsManage, &target)?;
    let txn = Change::begin(core).await?;
    db::deleted_one(
        &resource_assignment::Entity::delete_by_id(id)
            .exec(&txn)
            .await?,
    )?;
    queue_reallocation(&txn, core, actor, &row.client_id).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "resource_assignment.delete")
        .target("resource_assignment", id.to_owned())
        .scope(&target)
        .details(serde_json::json!({"before": {"resource_id": row.resource_id}}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// Everyone costs can be allocated to, by name (users' emails only for those who manage
/// costs everywhere). Needs `costs.view` somewhere: budgets, rules and reports name people even for those
/// who may not manage users.
pub async fn people(core: &Core, actor: &Actor) -> Result<gmac_types::CostPeople> {
    actor.ensure_enrolled()?;
    if !actor.permissions.can_anywhere(Permission::CostsView) {
        return Err(Error::Forbidden);
    }
    // Emails tell people apart when budgets, rules and schedules are made; only those who
    // manage costs everywhere see them (a client's billing manager must not list the others').
    let emails = actor.can(Permission::CostsManage, &Target::Global);
    // Only the people within the caller's reach: a client's viewer does not list the
    // install's other tenants.
    let visible = actor.permissions.visible(Permission::CostsView);
    let mut users = user::Entity::find();
    if let Some(condition) = crate::services::reach::users(&visible, &actor.user_id) {
        users = users.filter(condition);
    }
    let mut teams = team::Entity::find();
    if let Some(condition) = crate::services::reach::teams(&visible, &actor.user_id) {
        teams = teams.filter(condition);
    }
    let users = users
        .order_by_asc(user::Column::DisplayName)
        .all(&core.db)
        .await?
        .into_iter()
        .map(|u| gmac_types::CostPerson {
            active: u.status == user::STATUS_ACTIVE,
            id: u.id,
            name: u.display_name,
            email: emails.then_some(u.email),
        })
        .collect();
    let teams = teams
        .order_by_asc(team::Column::Name)
        .all(&core.db)
        .await?
        .into_iter()
        .map(|t| gmac_types::CostPerson {
            id: t.id,
            name: t.name,
            email: None,
            active: true,
        })
        .collect();
    Ok(gmac_types::CostPeople { users, teams })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_add_up_exactly_and_follow_the_weights() {
        assert_eq!(split(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(split(-100, &[1, 1, 1]), vec![-34, -33, -33]);
        assert_eq!(split(10, &[3, 1]), vec![8, 2]);
        assert_eq!(split(7, &[0, 0]), vec![4, 3]);
        assert_eq!(split(1, &[5, 5, 90]), vec![0, 0, 1]);
        for amount in [0, 1, 999_999_999_999, -17] {
            let parts = split(amount, &[13, 7, 0, 29]);
            assert_eq!(parts.iter().sum::<i128>(), amount);
        }
        // Amounts and weights near 10¹⁷ whole units still split exactly, in proportion.
        let huge = 10_i128.pow(28) - 7;
        let parts = split(huge, &[6 * 10_i128.pow(27), 10_i128.pow(27), 0]);
        assert_eq!(parts.iter().sum::<i128>(), huge);
        assert_eq!(parts, [huge / 7 * 6 + (huge % 7) * 6 / 7, huge / 7 + 1, 0]);
        let m = u128::MAX >> 1;
        assert_eq!(
            mul_div(m, 3, 7),
            (m / 7 * 3 + (m % 7) * 3 / 7, (m % 7) * 3 % 7)
        );
    }

    fn row(resource: &str, service: &str, tags: &str, billed: i64) -> cost_daily::Model {
        let (whole, frac) = money::split(i128::from(billed)).unwrap();
        cost_daily::Model {
            client_id: "c".into(),
            day: "2024-09-01".into(),
            dims_key: format!("{resource}{service}{tags}"),
            currency: "USD".into(),
            provider_name: "AWS".into(),
            billing_account_id: String::new(),
            sub_account_id: "acct".into(),
            service_name: service.into(),
            service_category: String::new(),
            region_id: String::new(),
            resource_id: resource.into(),
            charge_category: "Usage".into(),
            tags: tags.into(),
            billed_cost_whole: whole,
            billed_cost_frac: frac,
            effective_cost_whole: whole,
            effective_cost_frac: frac,
            list_cost_whole: whole,
            list_cost_frac: frac,
            line_count: 1,
        }
    }

    fn rule(tag_key: Option<&str>, service: Option<&str>, allocation: Allocation) -> CompiledRule {
        CompiledRule {
            tag_key: tag_key.map(str::to_owned),
            tag_value: None,
            account: None,
            service: service.map(str::to_owned),
            allocation,
        }
    }

    fn user(id: &str) -> Owner {
        Owner {
            user_id: id.into(),
            team_id: String::new(),
        }
    }

    #[test]
    fn hand_assignments_beat_rules_and_what_no_rule_claims_is_unallocated() {
        let mut allocator = Allocator::default();
        allocator
            .users_by_email
            .insert("ada@example.com".into(), "u-ada".into());
        allocator.assignments.insert("i-1".into(), user("u-bob"));
        allocator.rules.push(rule(
            Some("owner"),
            None,
            Allocation::FromTag {
                kind: SubjectKind::User,
            },
        ));
        let rows = [
            row("i-1", "EC2", r#"{"owner":"ada@example.com"}"#, 50),
            row("i-2", "EC2", r#"{"owner":"Ada@Example.com "}"#, 30),
            row("i-3", "S3", r#"{"owner":"nobody@example.com"}"#, 20),
            row("i-4", "S3", "{}", 7),
        ];
        let out = allocator.allocate_day(&rows).unwrap();
        let of = |user: &str| -> i128 {
            out.iter()
                .filter(|a| a.user_id == user)
                .map(|a| money::join(a.billed_cost_whole, a.billed_cost_frac))
                .sum()
        };
        assert_eq!((of("u-bob"), of("u-ada"), of("")), (50, 30, 27));
        assert_eq!(
            out.iter()
                .map(|a| money::join(a.billed_cost_whole, a.billed_cost_frac))
                .sum::<i128>(),
            107
        );
    }

    #[test]
    fn shared_costs_split_evenly_or_in_proportion_to_direct_costs() {
        let mut allocator = Allocator::default();
        allocator.assignments.insert("a".into(), user("u1"));
        allocator.assignments.insert("b".into(), user("u2"));
        allocator.rules.push(rule(
            None,
            Some("Support"),
            Allocation::Share {
                among: Vec::new(),
                method: ShareMethod::Proportional,
            },
        ));
        let rows = [
            row("a", "EC2", "{}", 300),
            row("b", "EC2", "{}", 100),
            row("", "Support", "{}", 41),
        ];
        let out = allocator.allocate_day(&rows).unwrap();
        let support = |user: &str| -> i128 {
            out.iter()
                .filter(|a| a.user_id == user && a.service_name == "Support")
                .map(|a| money::join(a.billed_cost_whole, a.billed_cost_frac))
                .sum()
        };
        assert_eq!((support("u1"), support("u2")), (31, 10));

        allocator.rules[0].allocation = Allocation::Share {
            among: vec![
                Subject {
                    kind: SubjectKind::User,
                    id: "u1".into(),
                },
                Subject {
                    kind: SubjectKind::User,
                    id: "u3".into(),
                },
            ],
            method: ShareMethod::Even,
        };
        let out = allocator.allocate_day(&rows).unwrap();
        let support = |user: &str| -> i128 {
            out.iter()
                .filter(|a| a.user_id == user && a.service_name == "Support")
                .map(|a| money::join(a.billed_cost_whole, a.billed_cost_frac))
                .sum()
        };
        assert_eq!((support("u1"), support("u3"), support("u2")), (21, 20, 0));
    }
}
