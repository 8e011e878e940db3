//! Cloud accounts and their Cost Explorer syncs.
//!
//! A sync reads `GetCostAndUsage` day by day for the last `resync_days` (AWS restates recent
//! days), every page, grouped by service and by linked account or a tag, and replaces what an
//! earlier sync stored for those days: line items, rollups and allocations. Dashboards read the
//! stored results; they never call AWS.

use chrono::{Duration, NaiveDate};
use gmac_types::{
    CloudAccount, CloudAccountTest, ConnectionTest, CostSync, FieldError, NewCloudAccount,
    Permission,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use crate::access::Target;
use crate::audit::AuditEntry;
use crate::entities::{cloud_account, cost_line_item, cost_sync};
use crate::focus::Line;
use crate::platform::change::Change;
use crate::platform::paging;
use crate::ports::{AwsAccess, CostAndUsageRow};
use crate::services::clients;
use crate::services::costs::{self, Tally};
use crate::{Actor, Core, Error, RequestMeta, Result, db, money};

/// The sealed part of an account.
#[derive(Serialize, Deserialize)]
struct Sealed {
    access_key_id: String,
    secret_access_key: String,
    external_id: Option<String>,
}

fn to_dto(row: cloud_account::Model, last: Option<cost_sync::Model>) -> CloudAccount {
    CloudAccount {
        id: row.id,
        client_id: row.client_id,
        name: row.name,
        provider: row.provider,
        access_key_hint: row.access_key_hint,
        role_arn: row.role_arn,
        region: row.region,
        endpoint_url: row.endpoint_url,
        group_by: row.group_by,
        resync_days: u32::try_from(row.resync_days).unwrap_or(14),
        last_sync: last.map(sync_dto),
        last_test: row.last_test_at.map(|tested_at| CloudAccountTest {
            tested_at,
            ok: row.last_test_ok.unwrap_or(false),
            detail: row.last_test_detail.clone().unwrap_or_default(),
        }),
        created_at: row.created_at,
        version: row.version,
    }
}

fn sync_dto(row: cost_sync::Model) -> CostSync {
    CostSync {
        id: row.id,
        cloud_account_id: row.cloud_account_id,
        status: row.status,
        pages: u32::try_from(row.pages).unwrap_or(0),
        rows: u64::try_from(row.rows).unwrap_or(0),
        from: row.from_day.parse().unwrap_or_default(),
        to: row.to_day.parse().unwrap_or_default(),
        error: row.error,
        started_at: row.started_at,
        finished_at: row.finished_at,
    }
}

fn text(value: Option<&String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Whether `key` can be an AWS access key id (letters and digits, as IAM issues them).
fn is_access_key_id(key: &str) -> bool {
    (1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Checks a new account's fields.
fn check(input: &NewCloudAccount) -> std::result::Result<(Sealed, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    if let Err(error) = gmac_types::validation::Name::parse("name", &input.name) {
        errors.push(error);
    }
    let key = text(input.access_key_id.as_ref());
    let secret = input
        .secret_access_key
        .as_ref()
        .map(|s| s.expose().trim().to_owned())
        .filter(|s| !s.is_empty());
    if key.is_none() {
        errors.push(FieldError::new(
            "access_key_id",
            "required",
            "An access key id is required (also to assume a role).",
        ));
    } else if !input.access_key_id.as_deref().is_some_and(is_access_key_id) {
        // It travels in a request header: anything else would not even be sendable.
        errors.push(FieldError::new(
            "access_key_id",
            "invalid_access_key_id",
            "An access key id is 1 to 128 letters and digits, e.g. AKIAIOSFODNN7EXAMPLE.",
        ));
    }
    if secret.is_none() {
        errors.push(FieldError::new(
            "secret_access_key",
            "required",
            "The access key's secret is required.",
        ));
    }
    if let Some(role) = text(input.role_arn.as_ref())
        && !role.starts_with("arn:")
    {
        errors.push(FieldError::new(
            "role_arn",
            "invalid_arn",
            "A role ARN starts with arn:.",
        ));
    }
    if let Some(url) = text(input.endpoint_url.as_ref())
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        errors.push(FieldError::new(
            "endpoint_url",
            "invalid_url",
            "An http(s) URL.",
        ));
    }
    let group_by = text(input.group_by.as_ref()).unwrap_or_else(|| "LINKED_ACCOUNT".to_owned());
    let valid_group = group_by == "LINKED_ACCOUNT"
        || group_by
            .strip_prefix("TAG:")
            .is_some_and(|k| !k.is_empty() && k.len() <= 128);
    if !valid_group {
        errors.push(FieldError::new(
            "group_by",
            "invalid_group_by",
            "LINKED_ACCOUNT or TAG:<key>.",
        ));
    }
    if input.resync_days.is_some_and(|d| d == 0 || d > 90) {
        errors.push(FieldError::new(
            "resync_days",
            "out_of_range",
            "1 to 90 days.",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        Sealed {
            access_key_id: key.unwrap_or_default(),
            secret_access_key: secret.unwrap_or_default(),
            external_id: input
                .external_id
                .as_ref()
                .map(|e| e.expose().trim().to_owned())
                .filter(|e| !e.is_empty()),
        },
        group_by,
    ))
}

/// Connects an AWS account to a client. Needs `costs.manage` on the client. The credentials
/// are sealed, bound to the new row, and never shown again.
pub async fn create(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewCloudAccount,
) -> Result<CloudAccount> {
    let target = Target::Client(input.client_id.clone());
    actor.require_on(Permission::CostsManage, &target)?;
    clients::find(&core.db, &input.client_id).await?;
    let (sealed, group_by) = check(&input).map_err(Error::Validation)?;
    if let Some(url) = text(input.endpoint_url.as_ref())
        && let Err(denied) = core.egress.check_url(&url).await
    {
        return Err(Error::invalid(FieldError::new(
            "endpoint_url",
            "egress_denied",
            format!("gmac may not connect there: {denied}."),
        )));
    }
    let tested = if input.test == Some(true) {
        let access = AwsAccess {
            access_key_id: sealed.access_key_id.clone(),
            secret_access_key: sealed.secret_access_key.clone(),
            role_arn: text(input.role_arn.as_ref()),
            external_id: sealed.external_id.clone(),
            region: text(input.region.as_ref()).unwrap_or_else(|| "us-east-1".to_owned()),
            endpoint_url: text(input.endpoint_url.as_ref()),
        };
        let test = probe(core, &access, &group_by).await;
        if !test.ok {
            return Err(Error::invalid(FieldError::new(
                "test",
                "connection_failed",
                format!(
                    "Cost Explorer did not answer with these credentials, so nothing was saved: {}",
                    test.detail
                ),
            )));
        }
        Some(test)
    } else {
        None
    };
    let now = core.now();
    let id = core.new_id();
    let plaintext = serde_json::to_vec(&sealed).map_err(anyhow::Error::from)?;
    let row = cloud_account::Model {
        id: id.clone(),
        client_id: input.client_id.clone(),
        name: input.name.trim().to_owned(),
        provider: "aws".to_owned(),
        access_key_hint: Some(crate::crypto::last_four(&sealed.access_key_id)),
        sealed_credentials: core.sealer.seal(&plaintext, &binding(&id))?,
        role_arn: text(input.role_arn.as_ref()),
        region: text(input.region.as_ref()).unwrap_or_else(|| "us-east-1".to_owned()),
        endpoint_url: text(input.endpoint_url.as_ref()),
        group_by,
        resync_days: i64::from(input.resync_days.unwrap_or(14)),
        created_at: now,
        last_test_at: tested.as_ref().map(|_| now),
        last_test_ok: tested.as_ref().map(|t| t.ok),
        last_test_detail: tested.map(|t| t.detail),
        version: 1,
    };
    let txn = Change::begin(core).await?;
    cloud_account::Entity::insert(cloud_account::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "cloud_account.create")
        .target("cloud_account", id.clone())
        .scope(&target)
        .details(serde_json::json!({"after": {
            "name": row.name, "region": row.region, "endpoint_url": row.endpoint_url,
            "role_arn": row.role_arn, "group_by": row.group_by,
            "access_key_hint": row.access_key_hint,
        }}));
    txn.commit(core, meta, entry).await?;
    Ok(to_dto(row, None))
}

/// The accounts of the clients whose costs the actor may see.
pub async fn list(
    core: &Core,
    actor: &Actor,
    client_id: Option<&str>,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<CloudAccount>> {
    actor.ensure_enrolled()?;
    let mut select = cloud_account::Entity::find();
    if let Some(id) = client_id {
        actor.require_on(Permission::CostsView, &Target::Client(id.to_owned()))?;
        select = select.filter(cloud_account::Column::ClientId.eq(id));
    }
    if let Some(ids) = actor
        .permissions
        .visible(Permission::CostsView)
        .whole_client_ids()
    {
        select = select.filter(cloud_account::Column::ClientId.is_in(ids));
    }
    let (rows, next_cursor, total) = paging::page_by_text(
        core,
        select,
        (cloud_account::Column::Name, cloud_account::Column::Id),
        page,
        |r| (r.name.clone(), r.id.clone()),
    )
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let last = last_sync(&core.db, &row.id).await?;
        items.push(to_dto(row, last));
    }
    Ok(gmac_types::Page {
        items,
        next_cursor,
        total,
    })
}

async fn last_sync(conn: &impl ConnectionTrait, account: &str) -> Result<Option<cost_sync::Model>> {
    Ok(cost_sync::Entity::find()
        .filter(cost_sync::Column::CloudAccountId.eq(account))
        .order_by_desc(cost_sync::Column::StartedAt)
        .order_by_desc(cost_sync::Column::Id)
        .one(conn)
        .await?)
}

/// Loads an account the actor may act on with `permission`.
async fn find(
    core: &Core,
    actor: &Actor,
    id: &str,
    permission: Permission,
) -> Result<cloud_account::Model> {
    let row = cloud_account::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    actor.require_on(permission, &Target::Client(row.client_id.clone()))?;
    Ok(row)
}

/// Changes an account's name, region, grouping or days re-synced (its credentials are
/// replaced by connecting again). Needs `costs.manage` on the client; `if_match` (its version)
/// refuses a change made on a stale copy (412).
pub async fn update(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
    patch: gmac_types::CloudAccountPatch,
) -> Result<CloudAccount> {
    let row = find(core, actor, id, Permission::CostsManage).await?;
    let target = Target::Client(row.client_id.clone());
    let mut errors = Vec::new();
    let name = match patch
        .name
        .as_deref()
        .map(|n| gmac_types::validation::Name::parse("name", n))
    {
        Some(Ok(name)) => Some(name.as_str().to_owned()),
        Some(Err(error)) => {
            errors.push(error);
            None
        }
        None => None,
    };
    let region = match patch.region.as_deref().map(str::trim) {
        Some(r)
            if r.is_empty()
                || r.len() > 32
                || !r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            errors.push(FieldError::new(
                "region",
                "invalid_region",
                "An AWS region, e.g. us-east-1.",
            ));
            None
        }
        other => other.map(str::to_owned),
    };
    if patch.resync_days.is_some_and(|d| !(1..=90).contains(&d)) {
        errors.push(FieldError::new(
            "resync_days",
            "out_of_range",
            "From 1 to 90 days.",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let txn = Change::begin(core).await?;
    // Locked on PostgreSQL: a test or sync recording its outcome meanwhile is not written
    // back over.
    let mut find = cloud_account::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        find = find.lock_exclusive();
    }
    let before = find.one(&txn).await?.ok_or(Error::NotFound)?;
    Change::expect_version(if_match, before.version)?;
    let after = cloud_account::Model {
        name: name.unwrap_or_else(|| before.name.clone()),
        region: region.unwrap_or_else(|| before.region.clone()),
        resync_days: patch.resync_days.map_or(before.resync_days, i64::from),
        version: before.version + 1,
        ..before.clone()
    };
    cloud_account::Entity::update(sea_orm::ActiveModelTrait::reset_all(
        cloud_account::ActiveModel::from(after.clone()),
    ))
    .exec(&txn)
    .await?;
    let summary = |r: &cloud_account::Model| serde_json::json!({"name": r.name, "region": r.region, "resync_days": r.resync_days});
    let entry = AuditEntry::success(actor.audit_actor(), "cloud_account.update")
        .target("cloud_account", id.to_owned())
        .scope(&target)
        .details(serde_json::json!({"before": summary(&before), "after": summary(&after)}));
    txn.commit(core, meta, entry).await?;
    let last = last_sync(&core.db, id).await?;
    Ok(to_dto(after, last))
}

/// Disconnects an account (its synced costs stay).
pub async fn delete(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<()> {
    let row = find(core, actor, id, Permission::CostsManage).await?;
    let txn = Change::begin(core).await?;
    db::deleted_one(&cloud_account::Entity::delete_by_id(id).exec(&txn).await?)?;
    let entry = AuditEntry::success(actor.audit_actor(), "cloud_account.delete")
        .target("cloud_account", id.to_owned())
        .scope(&Target::Client(row.client_id.clone()))
        .details(serde_json::json!({"before": {"name": row.name}}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// What an account's credentials are sealed for.
pub(crate) fn binding(id: &str) -> String {
    format!("cloud_account:{id}")
}

fn access(core: &Core, row: &cloud_account::Model) -> Result<AwsAccess> {
    let plain = core
        .sealer
        .open(&row.sealed_credentials, &binding(&row.id))?;
    let sealed: Sealed = serde_json::from_slice(&plain).map_err(anyhow::Error::from)?;
    if !is_access_key_id(&sealed.access_key_id) {
        // Stored before ids were checked: refuse here rather than in the SDK's signer.
        return Err(Error::invalid(FieldError::new(
            "access_key_id",
            "invalid_access_key_id",
            "This account's access key id is not letters and digits; connect it again.",
        )));
    }
    Ok(AwsAccess {
        access_key_id: sealed.access_key_id,
        secret_access_key: sealed.secret_access_key,
        role_arn: row.role_arn.clone(),
        external_id: sealed.external_id,
        region: row.region.clone(),
        endpoint_url: row.endpoint_url.clone(),
    })
}

/// Whether the egress policy lets gmac reach the account's endpoint, checked at every use
/// (a name may resolve elsewhere than when the account was connected).
async fn reachable(core: &Core, endpoint: Option<&String>) -> std::result::Result<(), String> {
    match endpoint {
        Some(url) => core
            .egress
            .check_url(url)
            .await
            .map_err(|denied| format!("Cost Explorer endpoint refused: {denied}.")),
        None => Ok(()),
    }
}

/// Asks Cost Explorer for yesterday's total with `access`: whether the credentials and the
/// endpoint work. The SDK's timeouts bound it (3 s to connect, 9 s in all).
async fn probe(core: &Core, access: &AwsAccess, group_by: &str) -> ConnectionTest {
    let Some(explorer) = &core.cost_explorer else {
        return ConnectionTest {
            ok: false,
            detail: "This gmac has no Cost Explorer client.".to_owned(),
        };
    };
    if let Err(denied) = reachable(core, access.endpoint_url.as_ref()).await {
        return ConnectionTest {
            ok: false,
            detail: denied,
        };
    }
    let today = core.now().date_naive();
    match explorer
        .cost_and_usage(access, (today - Duration::days(1), today), group_by, None)
        .await
    {
        Ok(page) => ConnectionTest {
            ok: true,
            detail: format!(
                "Cost Explorer answered with {} cost groups for yesterday.",
                page.rows.len()
            ),
        },
        Err(err) => ConnectionTest {
            ok: false,
            detail: format!("{err:#}"),
        },
    }
}

/// Tests an account's connection (see [`probe`]) and keeps the outcome as its last test,
/// audited as `cloud_account.test`.
pub async fn test_connection(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
) -> Result<ConnectionTest> {
    let row = find(core, actor, id, Permission::CostsManage).await?;
    // The endpoint is checked before the credentials are even opened.
    let test = match reachable(core, row.endpoint_url.as_ref()).await {
        Err(denied) => ConnectionTest {
            ok: false,
            detail: denied,
        },
        Ok(()) => probe(core, &access(core, &row)?, &row.group_by).await,
    };
    let txn = Change::begin(core).await?;
    cloud_account::Entity::update_many()
        .col_expr(cloud_account::Column::LastTestAt, Expr::value(core.now()))
        .col_expr(cloud_account::Column::LastTestOk, Expr::value(test.ok))
        .col_expr(
            cloud_account::Column::LastTestDetail,
            Expr::value(test.detail.clone()),
        )
        .filter(cloud_account::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "cloud_account.test")
        .target("cloud_account", row.id.clone())
        .scope(&Target::Client(row.client_id.clone()))
        .details(serde_json::json!({"ok": test.ok, "detail": test.detail}));
    txn.commit(core, meta, entry).await?;
    Ok(test)
}

/// Starts a sync of one account as a job (`cloud_account.sync`); returns its run (status
/// `running`). The run, its job and its audit row are written together.
pub async fn start_sync(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
) -> Result<CostSync> {
    let row = find(core, actor, id, Permission::CostsManage).await?;
    // The run and its audit row are written together.
    let txn = Change::begin(core).await?;
    let run = begin_run(&txn, core, &row).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "cost_sync.start")
        .target("cloud_account", row.id.clone())
        .scope(&Target::Client(row.client_id.clone()))
        .details(serde_json::json!({"sync": run.id}));
    let mut job = crate::platform::jobs::NewJob::new(
        crate::platform::jobs::CLOUD_ACCOUNT_SYNC,
        serde_json::json!({"cloud_account_id": row.id, "sync_id": run.id}),
    );
    job.client_id = Some(row.client_id.clone());
    // Cost Explorer answers or it does not: a failed sync is recorded on its run, not retried.
    job.max_attempts = 1;
    crate::platform::jobs::enqueue(&txn, core, Some(actor), job).await?;
    txn.commit(core, meta, entry).await?;
    Ok(sync_dto(run))
}

/// The job of a sync started by hand: runs it to its end and records the outcome on its run.
pub fn sync_handler() -> crate::platform::worker::Handler {
    use crate::platform::worker::{JobFailure, handler};
    handler(|ctx| async move {
        #[derive(Deserialize)]
        struct Input {
            cloud_account_id: String,
            sync_id: String,
        }
        let input: Input = ctx.payload()?;
        let Some(row) = cloud_account::Entity::find_by_id(&input.cloud_account_id)
            .one(&ctx.core.db)
            .await?
        else {
            return Err(JobFailure::permanent("the cloud account was deleted"));
        };
        let Some(run) = cost_sync::Entity::find_by_id(&input.sync_id)
            .one(&ctx.core.db)
            .await?
        else {
            return Err(JobFailure::permanent("the sync's run was removed"));
        };
        let _ = ctx.log(format!("syncing cloud account {}", row.name)).await;
        match finish_run(&ctx.core, row, run).await {
            Ok(rows) => Ok(serde_json::json!({"sync_id": input.sync_id, "rows": rows})),
            Err(message) => Err(JobFailure::permanent(message)),
        }
    })
}

/// The syncs of one account, newest first.
pub async fn list_syncs(
    core: &Core,
    actor: &Actor,
    id: &str,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<CostSync>> {
    find(core, actor, id, Permission::CostsView).await?;
    let (rows, next_cursor, total) = paging::page_by_id(
        core,
        cost_sync::Entity::find().filter(cost_sync::Column::CloudAccountId.eq(id)),
        cost_sync::Column::Id,
        paging::Direction::Desc,
        page,
        |r| r.id.clone(),
    )
    .await?;
    Ok(gmac_types::Page {
        items: rows.into_iter().map(sync_dto).collect(),
        next_cursor,
        total,
    })
}

async fn begin_run(
    conn: &impl ConnectionTrait,
    core: &Core,
    row: &cloud_account::Model,
) -> Result<cost_sync::Model> {
    let today = core.now().date_naive();
    let run = cost_sync::Model {
        id: core.new_id(),
        cloud_account_id: row.id.clone(),
        status: "running".to_owned(),
        pages: 0,
        rows: 0,
        from_day: (today - Duration::days(row.resync_days.max(1))).to_string(),
        to_day: (today - Duration::days(1)).to_string(),
        error: None,
        started_at: core.now(),
        finished_at: None,
    };
    cost_sync::Entity::insert(cost_sync::ActiveModel::from(run.clone()))
        .exec_without_returning(conn)
        .await?;
    Ok(run)
}

/// Runs a sync to its end and records the outcome; answers the rows synced, or why it failed.
async fn finish_run(
    core: &Core,
    row: cloud_account::Model,
    run: cost_sync::Model,
) -> std::result::Result<u64, String> {
    let outcome = sync(core, &row, &run).await;
    let mut active: cost_sync::ActiveModel = run.clone().into();
    active.finished_at = Set(Some(core.now()));
    match &outcome {
        Ok(rows) => {
            active.status = Set("succeeded".to_owned());
            active.rows = Set(i64::try_from(*rows).unwrap_or(i64::MAX));
        }
        Err(err) => {
            tracing::warn!(account = %row.id, error = %err, "a Cost Explorer sync failed");
            active.status = Set("failed".to_owned());
            active.error = Set(Some(err.to_string()));
        }
    }
    // The outcome and its event (on which budgets are checked again) are written together.
    let recorded = async {
        let txn = crate::db::begin_write(&core.db).await?;
        active.update(&txn).await?;
        crate::platform::events::append(
            &txn,
            core.now(),
            crate::platform::events::NewEvent {
                event_type: if outcome.is_ok() {
                    "cost_sync.succeeded"
                } else {
                    "cost_sync.failed"
                }
                .to_owned(),
                target: Target::Client(row.client_id.clone()),
                subject: Some(("cost_sync".to_owned(), run.id.clone())),
                actor_id: None,
                data: serde_json::json!({
                    "cloud_account_id": row.id,
                    "rows": outcome.as_ref().ok(),
                    "error": outcome.as_ref().err().map(ToString::to_string),
                }),
            },
        )
        .await?;
        txn.commit().await?;
        Ok::<(), Error>(())
    };
    if let Err(err) = recorded.await {
        tracing::warn!(error = %err, "recording a sync's outcome failed");
    }
    outcome.map_err(|err| err.to_string())
}

/// Syncs every account now (the schedule); runs them one after another.
pub async fn sync_all(core: &Core) -> Result<usize> {
    let accounts = cloud_account::Entity::find().all(&core.db).await?;
    let n = accounts.len();
    for row in accounts {
        let run = begin_run(&core.db, core, &row).await?;
        // One account's failure is recorded on its run and does not stop the others.
        let _ = finish_run(core, row, run).await;
    }
    Ok(n)
}

/// Marks the runs a stopped process left `running` as failed.
pub async fn fail_interrupted(core: &Core) -> Result<()> {
    cost_sync::Entity::update_many()
        .col_expr(cost_sync::Column::Status, Expr::value("failed"))
        .col_expr(
            cost_sync::Column::Error,
            Expr::value("interrupted: gmac stopped during the sync"),
        )
        .col_expr(cost_sync::Column::FinishedAt, Expr::value(core.now()))
        .filter(cost_sync::Column::Status.eq("running"))
        .exec(&crate::db::Solo(&core.db))
        .await?;
    Ok(())
}

/// A Cost Explorer group as a FOCUS-shaped line.
fn line(row: &CostAndUsageRow, group_by: &str) -> Result<Line> {
    let service = row.keys.first().cloned().unwrap_or_default();
    let second = row.keys.get(1).cloned().unwrap_or_default();
    let (account, tags) = match group_by.strip_prefix("TAG:") {
        // Tag groups come back as `key$value` (`key$` when untagged).
        Some(key) => {
            let value = second.split_once('$').map_or("", |(_, v)| v);
            let tags = if value.is_empty() {
                "{}".to_owned()
            } else {
                serde_json::to_string(&std::collections::BTreeMap::from([(key, value)]))
                    .map_err(anyhow::Error::from)?
            };
            (String::new(), tags)
        }
        None => (second, "{}".to_owned()),
    };
    let amount = |d| money::to_units(d).map_err(|_| anyhow::anyhow!("an amount is out of range"));
    let start = row
        .day
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| anyhow::anyhow!("a day without midnight"))?
        .and_utc();
    Ok(Line {
        day: row.day,
        start,
        end: start + Duration::days(1),
        currency: row.currency.to_ascii_uppercase(),
        billed: amount(row.unblended)?,
        effective: amount(row.amortized)?,
        list: None,
        contracted: None,
        provider: "AWS".to_owned(),
        billing_account_id: String::new(),
        sub_account_id: account,
        service_name: service,
        service_category: String::new(),
        region_id: String::new(),
        resource_id: String::new(),
        charge_category: "Usage".to_owned(),
        sku_id: None,
        charge_description: None,
        consumed_quantity: None,
        consumed_unit: None,
        billing_period: None,
        tags,
        attributes: serde_json::json!({
            "source": "cost_explorer",
            "NetUnblendedCost": row.net_unblended.to_string(),
        })
        .to_string(),
    })
}

/// Reads every page for the window, then replaces the window's stored costs in one
/// transaction. Returns how many lines it stored.
async fn sync(core: &Core, row: &cloud_account::Model, run: &cost_sync::Model) -> Result<u64> {
    let explorer = core
        .cost_explorer
        .clone()
        .ok_or_else(|| anyhow::anyhow!("this gmac has no Cost Explorer client"))?;
    reachable(core, row.endpoint_url.as_ref())
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let access = access(core, row)?;
    let from: NaiveDate = run.from_day.parse().map_err(anyhow::Error::from)?;
    let to: NaiveDate = run.to_day.parse().map_err(anyhow::Error::from)?;
    let mut rows = Vec::new();
    let mut token = None;
    let mut pages = 0i64;
    loop {
        let page = explorer
            .cost_and_usage(
                &access,
                (from, to + Duration::days(1)),
                &row.group_by,
                token,
            )
            .await?;
        pages += 1;
        rows.extend(page.rows);
        // Progress, visible while the sync runs.
        cost_sync::Entity::update_many()
            .col_expr(cost_sync::Column::Pages, Expr::value(pages))
            .filter(cost_sync::Column::Id.eq(&run.id))
            .exec(&crate::db::Solo(&core.db))
            .await?;
        token = page.next_page_token.filter(|t| !t.is_empty());
        if token.is_none() || pages >= 1000 {
            break;
        }
    }
    let lines: Vec<Line> = rows
        .iter()
        .filter(|r| r.day >= from && r.day <= to)
        .map(|r| line(r, &row.group_by))
        .collect::<Result<_>>()?;
    replace_window(core, row, (from, to), lines).await
}

/// Replaces the account's stored lines for `[from, to]` with `lines`, keeping rollups,
/// allocations and the import's totals in step.
async fn replace_window(
    core: &Core,
    row: &cloud_account::Model,
    (from, to): (NaiveDate, NaiveDate),
    lines: Vec<Line>,
) -> Result<u64> {
    let txn = db::begin_write(&core.db).await?;
    let import_id = costs::source_import(
        &txn,
        core,
        &row.client_id,
        &format!("cost-explorer:{}", row.id),
        &format!("Cost Explorer: {}", row.name),
    )
    .await?;
    let window = |select: sea_orm::Select<cost_line_item::Entity>| {
        select
            .filter(cost_line_item::Column::ImportId.eq(&import_id))
            .filter(cost_line_item::Column::Day.gte(from.to_string()))
            .filter(cost_line_item::Column::Day.lte(to.to_string()))
    };
    let old = window(cost_line_item::Entity::find()).all(&txn).await?;
    let mut tally = Tally::default();
    for item in &old {
        tally.uncount(&row.client_id, &costs::line_of(item));
    }
    cost_line_item::Entity::delete_many()
        .filter(cost_line_item::Column::ImportId.eq(&import_id))
        .filter(cost_line_item::Column::Day.gte(from.to_string()))
        .filter(cost_line_item::Column::Day.lte(to.to_string()))
        .exec(&txn)
        .await?;
    let next: Option<i64> = cost_line_item::Entity::find()
        .select_only()
        .column_as(Expr::cust("MAX(line_no)"), "m")
        .filter(cost_line_item::Column::ImportId.eq(&import_id))
        .into_tuple()
        .one(&txn)
        .await?
        .flatten();
    let mut line_no = next.unwrap_or(1);
    let stored = u64::try_from(lines.len()).unwrap_or(0);
    let mut items = Vec::with_capacity(lines.len());
    for l in lines {
        line_no += 1;
        tally.count(&row.client_id, &l);
        items.push(costs::line_row(&import_id, &row.client_id, line_no, l)?);
    }
    for chunk in items.chunks(500) {
        cost_line_item::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    costs::append(&txn, &mut tally, &row.client_id, 0, Some((from, to))).await?;
    costs::refresh_import_totals(&txn, &import_id).await?;
    txn.commit().await?;
    Ok(stored)
}
