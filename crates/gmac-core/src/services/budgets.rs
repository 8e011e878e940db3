//! Budgets: limits per period on a scope's costs, with thresholds on actual and forecasted
//! spend that alert once per period (by email and in the app), and budget-against-actual
//! history.

use chrono::{Datelike, Duration, NaiveDate};
use gmac_types::{
    Budget, BudgetAlert, BudgetPatch, BudgetPeriod, BudgetPeriodResult, BudgetScope, BudgetStatus,
    BudgetThreshold, CostMetric, FieldError, NewBudget, Page, PageQuery, Permission,
    ThresholdBasis,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
};

use crate::access::Target;
use crate::audit::AuditEntry;
use crate::entities::{budget, budget_alert, budget_history, project, team, user};
use crate::platform::change::Change;
use crate::platform::paging::{self, Direction, Key};
use crate::ports::Mail;
use crate::services::cost_query::{Slice, col, grouped, tag_equals};
use crate::services::{clients, insights};
use crate::{Actor, Core, Error, RequestMeta, Result, money};

/// The period containing `day`.
pub fn period_bounds(period: BudgetPeriod, day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let (year, month) = (day.year(), day.month());
    let (start, months) = match period {
        BudgetPeriod::Monthly => ((year, month), 1),
        BudgetPeriod::Quarterly => ((year, (month - 1) / 3 * 3 + 1), 3),
        BudgetPeriod::Yearly => ((year, 1), 12),
    };
    let first = NaiveDate::from_ymd_opt(start.0, start.1, 1).unwrap_or(day);
    let end_month = start.1 + months;
    let next = if end_month > 12 {
        NaiveDate::from_ymd_opt(start.0 + 1, end_month - 12, 1)
    } else {
        NaiveDate::from_ymd_opt(start.0, end_month, 1)
    }
    .unwrap_or(day);
    (first, next - Duration::days(1))
}

fn period_name(period: BudgetPeriod) -> &'static str {
    match period {
        BudgetPeriod::Monthly => "monthly",
        BudgetPeriod::Quarterly => "quarterly",
        BudgetPeriod::Yearly => "yearly",
    }
}

fn parse_period(raw: &str) -> BudgetPeriod {
    match raw {
        "quarterly" => BudgetPeriod::Quarterly,
        "yearly" => BudgetPeriod::Yearly,
        _ => BudgetPeriod::Monthly,
    }
}

fn basis_name(basis: ThresholdBasis) -> &'static str {
    match basis {
        ThresholdBasis::Actual => "actual",
        ThresholdBasis::Forecast => "forecast",
    }
}

fn scope_of(row: &budget::Model) -> BudgetScope {
    let id = row.scope_id.clone().unwrap_or_default();
    match row.scope_type.as_str() {
        "client" => BudgetScope::Client { id },
        "project" => BudgetScope::Project { id },
        "user" => BudgetScope::User { id },
        "team" => BudgetScope::Team { id },
        _ => BudgetScope::Global,
    }
}

fn to_dto(row: &budget::Model) -> Budget {
    Budget {
        id: row.id.clone(),
        name: row.name.clone(),
        scope: scope_of(row),
        period: parse_period(&row.period),
        amount: money::from_units(money::join(row.amount_whole, row.amount_frac)),
        currency: row.currency.clone(),
        thresholds: serde_json::from_str(&row.thresholds).unwrap_or_default(),
        notify: serde_json::from_str(&row.notify).unwrap_or_default(),
        created_at: row.created_at,
        version: row.version,
    }
}

/// Where a budget's permissions are checked: its client, or everywhere.
fn target(row: &budget::Model) -> Target {
    row.client_id
        .as_ref()
        .map_or(Target::Global, |id| Target::Client(id.clone()))
}

/// The costs a budget covers.
async fn slice(conn: &impl ConnectionTrait, row: &budget::Model) -> Result<Slice> {
    let id = row.scope_id.clone().unwrap_or_default();
    Ok(match row.scope_type.as_str() {
        "client" => Slice {
            allocated: false,
            condition: Condition::all().add(col("client_id").eq(id)),
        },
        "project" => {
            let project = project::Entity::find_by_id(&id)
                .one(conn)
                .await?
                .ok_or(Error::NotFound)?;
            let mut condition = Condition::all().add(col("client_id").eq(project.client_id));
            if let Some(tag) = tag_equals(conn.get_database_backend(), "project", &project.name) {
                condition = condition.add(tag);
            }
            Slice {
                allocated: false,
                condition,
            }
        }
        "user" => Slice {
            allocated: true,
            condition: Condition::all().add(col("user_id").eq(id)),
        },
        "team" => Slice {
            allocated: true,
            condition: Condition::all().add(col("team_id").eq(id)),
        },
        _ => Slice {
            allocated: false,
            condition: Condition::all(),
        },
    })
}

fn default_thresholds() -> Vec<BudgetThreshold> {
    vec![
        BudgetThreshold {
            percent: 80,
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
    ]
}

/// Resolves the scope: its type, id, client (for permissions), or a field error.
async fn resolve_scope(
    conn: &impl ConnectionTrait,
    scope: &BudgetScope,
) -> Result<std::result::Result<(&'static str, Option<String>, Option<String>), FieldError>> {
    let missing = |what: &str| {
        Err(FieldError {
            pointer: "/scope/id".to_owned(),
            code: "unknown_scope".to_owned(),
            detail: format!("There is no {what} with this id."),
        })
    };
    Ok(match scope {
        BudgetScope::Global => Ok(("global", None, None)),
        BudgetScope::Client { id } => match clients::find(conn, id).await {
            Ok(_) => Ok(("client", Some(id.clone()), Some(id.clone()))),
            Err(Error::NotFound) => missing("client"),
            Err(e) => return Err(e),
        },
        BudgetScope::Project { id } => match project::Entity::find_by_id(id).one(conn).await? {
            Some(p) => Ok(("project", Some(id.clone()), Some(p.client_id))),
            None => missing("project"),
        },
        BudgetScope::User { id } => match user::Entity::find_by_id(id).one(conn).await? {
            Some(_) => Ok(("user", Some(id.clone()), None)),
            None => missing("user"),
        },
        BudgetScope::Team { id } => match team::Entity::find_by_id(id).one(conn).await? {
            Some(_) => Ok(("team", Some(id.clone()), None)),
            None => missing("team"),
        },
    })
}

/// A new budget's checked fields.
struct Fields {
    name: String,
    /// Whole units and fractions.
    amount: (i64, i64),
    currency: String,
    thresholds: Vec<BudgetThreshold>,
    notify: Vec<String>,
}

/// Checks a new budget's fields, collecting what is wrong.
fn check_fields(input: &NewBudget, author_email: &str, errors: &mut Vec<FieldError>) -> Fields {
    let name = match gmac_types::validation::Name::parse("name", &input.name) {
        Ok(name) => name.as_str().to_owned(),
        Err(error) => {
            errors.push(error);
            String::new()
        }
    };
    let amount = match money::to_units(input.amount).map(|u| (u, money::split(u))) {
        Ok((units, Ok(columns))) if units > 0 => columns,
        _ => {
            errors.push(FieldError::new(
                "amount",
                "invalid_amount",
                "A positive amount, at most 10¹⁵ (1000000000000000).",
            ));
            (0, 0)
        }
    };
    let currency = input
        .currency
        .as_deref()
        .unwrap_or("USD")
        .trim()
        .to_ascii_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        errors.push(FieldError::new(
            "currency",
            "invalid_currency",
            "An ISO 4217 code, e.g. USD.",
        ));
    }
    let mut thresholds = input.thresholds.clone().unwrap_or_else(default_thresholds);
    thresholds.sort_by_key(|t| (t.percent, basis_name(t.basis)));
    thresholds.dedup();
    if thresholds.is_empty()
        || thresholds.len() > 10
        || thresholds
            .iter()
            .any(|t| t.percent == 0 || t.percent > 1000)
    {
        errors.push(FieldError::new(
            "thresholds",
            "invalid_thresholds",
            "1 to 10 thresholds, each 1 to 1000 percent.",
        ));
    }
    let notify: Vec<String> = match &input.notify {
        Some(list) => list.iter().map(|e| e.trim().to_lowercase()).collect(),
        None => vec![author_email.to_owned()],
    };
    for (i, email) in notify.iter().enumerate() {
        if gmac_types::validation::EmailAddress::parse("notify", email).is_err() {
            errors.push(FieldError {
                pointer: format!("/notify/{i}"),
                code: "invalid_email".to_owned(),
                detail: "Not an email address.".to_owned(),
            });
        }
    }
    Fields {
        name,
        amount,
        currency,
        thresholds,
        notify,
    }
}

/// Creates a budget. Needs `budgets.manage` on its client (client and project budgets) or
/// everywhere (global, user and team budgets).
pub async fn create_budget(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewBudget,
) -> Result<Budget> {
    actor.ensure_enrolled()?;
    let resolved = resolve_scope(&core.db, &input.scope).await?;
    let client_id = match &resolved {
        Ok((_, _, client)) => client.clone(),
        Err(_) => None,
    };
    let scope_target = client_id.clone().map_or(Target::Global, Target::Client);
    match &scope_target {
        Target::Global => actor.require(Permission::BudgetsManage, &scope_target)?,
        _ => actor.require_on(Permission::BudgetsManage, &scope_target)?,
    }
    let mut errors = Vec::new();
    let (scope_type, scope_id) = match resolved {
        Ok((kind, id, _)) => (kind, id),
        Err(e) => {
            errors.push(e);
            ("global", None)
        }
    };
    let fields = check_fields(&input, &actor.email, &mut errors);
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let now = core.now();
    let row = budget::Model {
        id: core.new_id(),
        name: fields.name,
        scope_type: scope_type.to_owned(),
        scope_id,
        client_id,
        period: period_name(input.period).to_owned(),
        amount_whole: fields.amount.0,
        amount_frac: fields.amount.1,
        currency: fields.currency,
        thresholds: serde_json::to_string(&fields.thresholds).map_err(anyhow::Error::from)?,
        notify: serde_json::to_string(&fields.notify).map_err(anyhow::Error::from)?,
        created_by: Some(actor.user_id.clone()),
        created_at: now,
        version: 1,
    };
    let txn = Change::begin(core).await?;
    budget::Entity::insert(budget::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "budget.create")
        .target("budget", row.id.clone())
        .scope(&scope_target)
        .details(serde_json::json!({"after": to_dto(&row)}));
    txn.commit(core, meta, entry).await?;
    Ok(to_dto(&row))
}

/// Whether the actor may see a budget.
fn may_see(actor: &Actor, row: &budget::Model) -> bool {
    actor.can(Permission::CostsView, &target(row))
        || actor.can(Permission::BudgetsManage, &target(row))
}

/// The clients whose budgets the actor may see (`None`: all, the global ones included): where
/// it sees costs or manages budgets on the whole client. Global budgets need a global grant.
fn visible_budget_clients(actor: &Actor) -> Option<std::collections::BTreeSet<String>> {
    let clients = |p| actor.permissions.visible(p).whole_client_ids();
    match (
        clients(Permission::CostsView),
        clients(Permission::BudgetsManage),
    ) {
        (Some(seen), Some(managed)) => Some(seen.union(&managed).cloned().collect()),
        _ => None,
    }
}

/// The budgets the actor may see, by name.
pub async fn list_budgets(core: &Core, actor: &Actor, page: &PageQuery) -> Result<Page<Budget>> {
    actor.ensure_enrolled()?;
    // Scoped in the query, as `may_see` decides one budget: a client's budgets where the actor
    // sees costs or manages budgets on the whole client; global ones only with a global grant.
    let mut select = budget::Entity::find();
    if let Some(clients) = visible_budget_clients(actor) {
        select = select.filter(budget::Column::ClientId.is_in(clients));
    }
    let (rows, next_cursor, total) = paging::page_by_text(
        core,
        select,
        (budget::Column::Name, budget::Column::Id),
        page,
        |r| (r.name.clone(), r.id.clone()),
    )
    .await?;
    Ok(Page {
        items: rows.iter().map(to_dto).collect(),
        next_cursor,
        total,
    })
}

async fn find_visible(core: &Core, actor: &Actor, id: &str) -> Result<budget::Model> {
    let row = budget::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    actor.ensure_enrolled()?;
    if may_see(actor, &row) {
        Ok(row)
    } else {
        Err(Error::NotFound)
    }
}

/// Changes a budget's name, amount, thresholds or recipients. Needs `budgets.manage` where
/// the budget is; `if_match` (its version) refuses a change made on a stale copy (412). The
/// fields are checked as a new budget's are; the next evaluation judges the period by the new
/// amount and thresholds, and alerts already sent stay sent.
pub async fn update_budget(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
    patch: BudgetPatch,
) -> Result<Budget> {
    let row = find_visible(core, actor, id).await?;
    actor.require(Permission::BudgetsManage, &target(&row))?;
    // The fields left out keep what the budget holds inside the transaction, not what an
    // earlier read saw: a change made meanwhile is not written back over.
    let txn = Change::begin(core).await?;
    let mut find = budget::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        find = sea_orm::QuerySelect::lock_exclusive(find);
    }
    let before = find.one(&txn).await?.ok_or(Error::NotFound)?;
    Change::expect_version(if_match, before.version)?;
    let current = to_dto(&before);
    let wanted = NewBudget {
        name: patch.name.unwrap_or(current.name),
        scope: current.scope,
        period: current.period,
        amount: patch.amount.unwrap_or(current.amount),
        currency: Some(current.currency),
        thresholds: Some(patch.thresholds.unwrap_or(current.thresholds)),
        notify: Some(patch.notify.unwrap_or(current.notify)),
    };
    let mut errors = Vec::new();
    let fields = check_fields(&wanted, &actor.email, &mut errors);
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let after = budget::Model {
        name: fields.name,
        amount_whole: fields.amount.0,
        amount_frac: fields.amount.1,
        thresholds: serde_json::to_string(&fields.thresholds).map_err(anyhow::Error::from)?,
        notify: serde_json::to_string(&fields.notify).map_err(anyhow::Error::from)?,
        version: before.version + 1,
        ..before.clone()
    };
    budget::Entity::update_many()
        .col_expr(budget::Column::Name, Expr::value(after.name.clone()))
        .col_expr(budget::Column::AmountWhole, Expr::value(after.amount_whole))
        .col_expr(budget::Column::AmountFrac, Expr::value(after.amount_frac))
        .col_expr(
            budget::Column::Thresholds,
            Expr::value(after.thresholds.clone()),
        )
        .col_expr(budget::Column::Notify, Expr::value(after.notify.clone()))
        .col_expr(budget::Column::Version, Expr::value(after.version))
        .filter(budget::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "budget.update")
        .target("budget", id.to_owned())
        .scope(&target(&after))
        .details(serde_json::json!({"before": to_dto(&before), "after": to_dto(&after)}));
    txn.commit(core, meta, entry).await?;
    Ok(to_dto(&after))
}

/// Deletes a budget with its alerts and history.
pub async fn delete_budget(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<()> {
    let row = find_visible(core, actor, id).await?;
    actor.require(Permission::BudgetsManage, &target(&row))?;
    let txn = Change::begin(core).await?;
    if delete_where(&txn, budget::Column::Id.eq(id)).await? == 0 {
        return Err(Error::NotFound);
    }
    let entry = AuditEntry::success(actor.audit_actor(), "budget.delete")
        .target("budget", id.to_owned())
        .scope(&target(&row))
        .details(serde_json::json!({"before": to_dto(&row)}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// Deletes the budgets that match; their alerts and history go with them by foreign key.
pub(crate) async fn delete_where(
    conn: &impl ConnectionTrait,
    condition: impl sea_orm::sea_query::IntoCondition,
) -> Result<u64> {
    Ok(budget::Entity::delete_many()
        .filter(condition)
        .exec(conn)
        .await?
        .rows_affected)
}

/// Where one budget stands now.
struct Standing {
    start: NaiveDate,
    end: NaiveDate,
    actual: Decimal,
    forecast: Decimal,
}

async fn standing(core: &Core, row: &budget::Model) -> Result<Standing> {
    let today = core.now().date_naive();
    let (start, end) = period_bounds(parse_period(&row.period), today);
    let slice = slice(&core.db, row).await?;
    // Today's costs count towards the actual spend as they arrive…
    let (_, so_far, _) = insights::forecast_period(
        core,
        &slice,
        (start, end),
        today + Duration::days(1),
        CostMetric::Billed,
        Some(&row.currency),
    )
    .await?;
    // …but, as in `/costs/forecast`, a partial day is no evidence for the forecast.
    let (_, f, _) = insights::forecast_period(
        core,
        &slice,
        (start, end),
        today,
        CostMetric::Billed,
        Some(&row.currency),
    )
    .await?;
    Ok(Standing {
        start,
        end,
        actual: so_far.actual,
        forecast: Ord::max(f.expected, so_far.actual),
    })
}

/// How many periods before the current one a budget's history shows.
fn history_length(period: BudgetPeriod) -> usize {
    match period {
        BudgetPeriod::Monthly => 12,
        BudgetPeriod::Quarterly => 8,
        BudgetPeriod::Yearly => 3,
    }
}

/// Budget against actual for the periods before `current_start`, newest first, from the first
/// with costs: the actual from the rollups (restatements included), the limit as recorded
/// when the period was checked, else today's. One query, by month.
async fn past_periods(
    core: &Core,
    row: &budget::Model,
    current_start: NaiveDate,
) -> Result<Vec<BudgetPeriodResult>> {
    let period = parse_period(&row.period);
    let mut starts = Vec::new();
    let mut start = current_start;
    for _ in 0..history_length(period) {
        start = period_bounds(period, start - Duration::days(1)).0;
        starts.push(start);
    }
    let Some(earliest) = starts.last().copied() else {
        return Ok(Vec::new());
    };
    let slice = slice(&core.db, row).await?;
    let (_, months) = grouped(
        &core.db,
        &slice,
        (earliest, current_start - Duration::days(1)),
        Expr::cust("substr(day, 1, 7)"),
        CostMetric::Billed,
        Some(&row.currency),
    )
    .await?;
    let recorded: std::collections::HashMap<String, i128> = budget_history::Entity::find()
        .filter(budget_history::Column::BudgetId.eq(&row.id))
        .all(&core.db)
        .await?
        .into_iter()
        .map(|h| (h.period_start, money::join(h.limit_whole, h.limit_frac)))
        .collect();
    let mut out: Vec<BudgetPeriodResult> = starts
        .iter()
        .map(|start| {
            let (first, last) = period_bounds(period, *start);
            let (from, to) = (
                first.format("%Y-%m").to_string(),
                last.format("%Y-%m").to_string(),
            );
            let units: i128 = months
                .iter()
                .filter(|(m, _)| m.as_deref().is_some_and(|m| *m >= *from && *m <= *to))
                .map(|(_, u)| u)
                .sum();
            let limit = recorded
                .get(&start.to_string())
                .copied()
                .unwrap_or_else(|| money::join(row.amount_whole, row.amount_frac));
            BudgetPeriodResult {
                period_start: *start,
                limit: money::from_units(limit),
                actual: money::from_sum(units),
            }
        })
        .collect();
    // Nothing before the first period with costs or a record.
    while out
        .last()
        .is_some_and(|p| p.actual.is_zero() && !recorded.contains_key(&p.period_start.to_string()))
    {
        out.pop();
    }
    Ok(out)
}

/// `part` as a percentage of `whole`, to one place; checked, as amounts may be large.
fn percent_of(part: Decimal, whole: Decimal) -> Decimal {
    if whole.is_zero() {
        return Decimal::ZERO;
    }
    part.checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|p| p.checked_div(whole))
        .or_else(|| {
            part.checked_div(whole)
                .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
        })
        .map_or(Decimal::MAX, |p| p.round_dp(1))
}

/// Whether `value` reaches `percent` percent of `limit`, compared exactly in money units.
fn reaches(value: Decimal, limit: Decimal, percent: u32) -> bool {
    match (money::units_of(value), money::units_of(limit)) {
        (Some(value), Some(limit)) => {
            let (value, limit) = (
                value.saturating_mul(100),
                limit.saturating_mul(percent.into()),
            );
            value >= limit
        }
        _ => percent_of(value, limit) >= Decimal::from(percent),
    }
}

/// A budget's current period, alerts and history.
pub async fn budget_status(core: &Core, actor: &Actor, id: &str) -> Result<BudgetStatus> {
    let row = find_visible(core, actor, id).await?;
    let now = standing(core, &row).await?;
    let limit = money::from_units(money::join(row.amount_whole, row.amount_frac));
    let alerts = budget_alert::Entity::find()
        .filter(budget_alert::Column::BudgetId.eq(id))
        .order_by_desc(budget_alert::Column::RaisedAt)
        .order_by_desc(budget_alert::Column::Percent)
        .all(&core.db)
        .await?
        .into_iter()
        .map(|a| alert_dto(&row, a))
        .collect();
    let mut history = past_periods(core, &row, now.start).await?;
    history.insert(
        0,
        BudgetPeriodResult {
            period_start: now.start,
            limit,
            actual: now.actual,
        },
    );
    Ok(BudgetStatus {
        budget: to_dto(&row),
        period_start: now.start,
        period_end: now.end,
        actual: now.actual,
        forecast: now.forecast,
        percent_used: percent_of(now.actual, limit),
        forecast_percent: percent_of(now.forecast, limit),
        alerts,
        history,
    })
}

fn alert_dto(row: &budget::Model, a: budget_alert::Model) -> BudgetAlert {
    BudgetAlert {
        budget_id: a.budget_id,
        budget_name: row.name.clone(),
        period_start: a.period_start.parse().unwrap_or_default(),
        threshold: BudgetThreshold {
            percent: u32::try_from(a.percent).unwrap_or_default(),
            basis: if a.basis == "forecast" {
                ThresholdBasis::Forecast
            } else {
                ThresholdBasis::Actual
            },
        },
        amount: money::from_units(money::join(a.amount_whole, a.amount_frac)),
        currency: row.currency.clone(),
        raised_at: a.raised_at,
        emailed: a.emailed,
    }
}

/// The alerts of the budgets the actor may see, newest first (at most 100): the in-app
/// notifications.
pub async fn list_alerts(
    core: &Core,
    actor: &Actor,
    page: &PageQuery,
) -> Result<Page<BudgetAlert>> {
    actor.ensure_enrolled()?;
    // The alerts of the budgets the actor may see, decided in the query as `list_budgets` does.
    let mut select = budget_alert::Entity::find();
    if let Some(clients) = visible_budget_clients(actor) {
        select = select.filter(
            budget_alert::Column::BudgetId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(budget::Column::Id)
                    .from(budget::Entity)
                    .and_where(budget::Column::ClientId.is_in(clients))
                    .to_owned(),
            ),
        );
    }
    let col = paging::column::<budget_alert::Entity>;
    let (alerts, next_cursor, total) = paging::page_by_keys(
        core,
        select,
        [
            col(budget_alert::Column::RaisedAt),
            col(budget_alert::Column::BudgetId),
            col(budget_alert::Column::PeriodStart),
            col(budget_alert::Column::Percent),
            col(budget_alert::Column::Basis),
        ],
        Direction::Desc,
        page,
        |a| {
            [
                Key::Time(a.raised_at),
                Key::Text(a.budget_id.clone()),
                Key::Text(a.period_start.clone()),
                Key::Int(a.percent),
                Key::Text(a.basis.clone()),
            ]
        },
    )
    .await?;
    let ids: Vec<String> = alerts.iter().map(|a| a.budget_id.clone()).collect();
    let budgets = budget::Entity::find()
        .filter(budget::Column::Id.is_in(ids))
        .all(&core.db)
        .await?;
    Ok(Page {
        items: alerts
            .into_iter()
            .filter_map(|a| {
                let row = budgets.iter().find(|b| b.id == a.budget_id)?;
                Some(alert_dto(row, a))
            })
            .collect(),
        next_cursor,
        total,
    })
}

/// Checks every budget: records this period's actual spend, and raises (and emails) each
/// threshold crossed for the first time this period. Returns how many alerts were raised.
/// Runs after each cost import and on a schedule; safe to run concurrently (an alert is a
/// row with a unique key, inserted before its email is sent).
pub async fn evaluate_budgets(core: &Core) -> Result<usize> {
    let mut raised = 0;
    for row in budget::Entity::find().all(&core.db).await? {
        // One budget that cannot be read must not silence the others.
        let now = match standing(core, &row).await {
            Ok(now) => now,
            Err(err) => {
                tracing::warn!(budget = %row.id, error = %err, "a budget could not be checked");
                continue;
            }
        };
        let limit = money::from_units(money::join(row.amount_whole, row.amount_frac));
        let at = core.now();
        let (actual_whole, actual_frac) = stored_amount(now.actual);
        budget_history::Entity::insert(budget_history::ActiveModel::from(budget_history::Model {
            budget_id: row.id.clone(),
            period_start: now.start.to_string(),
            limit_whole: row.amount_whole,
            limit_frac: row.amount_frac,
            actual_whole,
            actual_frac,
            updated_at: at,
        }))
        .on_conflict(
            OnConflict::columns([
                budget_history::Column::BudgetId,
                budget_history::Column::PeriodStart,
            ])
            .update_columns([
                budget_history::Column::LimitWhole,
                budget_history::Column::LimitFrac,
                budget_history::Column::ActualWhole,
                budget_history::Column::ActualFrac,
                budget_history::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(&crate::db::Solo(&core.db))
        .await?;
        let thresholds: Vec<BudgetThreshold> =
            serde_json::from_str(&row.thresholds).unwrap_or_default();
        for t in thresholds {
            let value = match t.basis {
                ThresholdBasis::Actual => now.actual,
                ThresholdBasis::Forecast => now.forecast,
            };
            if !reaches(value, limit, t.percent) {
                continue;
            }
            if raise_alert(core, &row, t, value, limit, &now, at).await? {
                raised += 1;
            }
        }
    }
    Ok(raised)
}

/// Raises the alert of threshold `t` of budget `row` for this period, with its event, and
/// emails it; `false` when it was raised before.
async fn raise_alert(
    core: &Core,
    row: &budget::Model,
    t: BudgetThreshold,
    value: Decimal,
    limit: Decimal,
    now: &Standing,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    let (amount_whole, amount_frac) = stored_amount(value);
    // The alert and its event stand or fall together.
    let txn = crate::db::begin_write(&core.db).await?;
    let inserted =
        budget_alert::Entity::insert(budget_alert::ActiveModel::from(budget_alert::Model {
            budget_id: row.id.clone(),
            period_start: now.start.to_string(),
            percent: i64::from(t.percent),
            basis: basis_name(t.basis).to_owned(),
            amount_whole,
            amount_frac,
            emailed: false,
            raised_at: at,
        }))
        .on_conflict(
            OnConflict::columns([
                budget_alert::Column::BudgetId,
                budget_alert::Column::PeriodStart,
                budget_alert::Column::Percent,
                budget_alert::Column::Basis,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    if inserted == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    crate::platform::events::append(
        &txn,
        at,
        crate::platform::events::NewEvent {
            event_type: "budget.threshold_crossed".to_owned(),
            target: target(row),
            subject: Some(("budget".to_owned(), row.id.clone())),
            actor_id: None,
            data: serde_json::json!({
                "budget_id": row.id,
                "name": row.name,
                "percent": t.percent,
                "basis": basis_name(t.basis),
                "amount": value.to_string(),
                "limit": limit.to_string(),
                "currency": row.currency,
                "period_start": now.start.to_string(),
            }),
        },
    )
    .await?;
    txn.commit().await?;
    let emailed = send_alert(core, row, t, value, limit, now).await;
    if emailed {
        budget_alert::Entity::update_many()
            .col_expr(
                budget_alert::Column::Emailed,
                sea_orm::sea_query::Expr::value(true),
            )
            .filter(budget_alert::Column::BudgetId.eq(&row.id))
            .filter(budget_alert::Column::PeriodStart.eq(now.start.to_string()))
            .filter(budget_alert::Column::Percent.eq(i64::from(t.percent)))
            .filter(budget_alert::Column::Basis.eq(basis_name(t.basis)))
            .exec(&crate::db::Solo(&core.db))
            .await?;
    }
    Ok(true)
}

/// The stored columns of a spend or forecast; one beyond what a column holds (±9.2·10¹⁸)
/// is recorded as the most it can hold, as before.
fn stored_amount(amount: Decimal) -> (i64, i64) {
    money::units_of(amount)
        .and_then(|u| money::split(u).ok())
        .unwrap_or(if amount.is_sign_negative() {
            (i64::MIN, 0)
        } else {
            (i64::MAX, 0)
        })
}

/// Emails an alert to the budget's list; whether every message was accepted.
async fn send_alert(
    core: &Core,
    row: &budget::Model,
    threshold: BudgetThreshold,
    value: Decimal,
    limit: Decimal,
    now: &Standing,
) -> bool {
    let Some(mailer) = &core.mailer else {
        return false;
    };
    let what = match threshold.basis {
        ThresholdBasis::Actual => "has spent",
        ThresholdBasis::Forecast => "is forecast to spend",
    };
    let subject = format!(
        "Budget \"{}\" {what} {}% of its limit",
        row.name, threshold.percent
    );
    let text = format!(
        "The budget \"{}\" {what} {} {} of its {} {} limit ({}%) for {} to {}.\n\n\
         Spent so far: {} {}\nForecast for the period: {} {}\n",
        row.name,
        money::cents(value),
        row.currency,
        money::cents(limit),
        row.currency,
        percent_of(value, limit),
        now.start,
        now.end,
        money::cents(now.actual),
        row.currency,
        money::cents(now.forecast),
        row.currency,
    );
    let recipients: Vec<String> = serde_json::from_str(&row.notify).unwrap_or_default();
    let mut all_sent = !recipients.is_empty();
    for to in recipients {
        let mail = Mail {
            to,
            subject: subject.clone(),
            text: text.clone(),
            attachments: Vec::new(),
        };
        if let Err(err) = mailer.send(mail).await {
            tracing::warn!(budget = %row.id, error = %err, "a budget alert email was not accepted");
            all_sent = false;
        }
    }
    all_sent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_are_calendar_months_quarters_and_years() {
        assert_eq!(
            period_bounds(BudgetPeriod::Monthly, day("2024-02-15")),
            (day("2024-02-01"), day("2024-02-29"))
        );
        assert_eq!(
            period_bounds(BudgetPeriod::Quarterly, day("2024-11-30")),
            (day("2024-10-01"), day("2024-12-31"))
        );
        assert_eq!(
            period_bounds(BudgetPeriod::Yearly, day("2024-06-01")),
            (day("2024-01-01"), day("2024-12-31"))
        );
    }
}
