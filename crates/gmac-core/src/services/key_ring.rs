//! Master key rotation while gmac serves (issue 12, point 5).
//!
//! The configured master key is a ring of versions (`2:<new> 1:<old>`, see [`MasterKey`]). The
//! database's `master_keys` table says which versions it has been sealed under; its newest is
//! the version every replica seals and signs with. The steps:
//!
//! 1. Every replica is given the ring with the new key (`gmac keys add` writes it to the key
//!    file, or prints it for `GMAC_MASTER_KEY`) and restarted, one at a time. Nothing changes
//!    yet: the database still says the old version, and every replica opens both.
//! 2. `gmac keys rotate` records the new version ([`rotate`]). Each replica reads it within
//!    [`REFRESH`] ([`refresh`]) and seals and signs under it from then on. The rotation
//!    re-wraps the data key of every value sealed under an older version (the encrypted data
//!    itself is untouched), each with a compare-and-swap on the old sealed text, so a value
//!    written meanwhile is never overwritten: it is looked at again on the next pass. Passes
//!    repeat, after replicas have had time to switch, until one finds nothing left.
//! 3. `gmac keys status` shows that the old version holds nothing; it may then be removed from
//!    every replica's ring. Its audit chain key stays in the database, sealed under the newer
//!    key, so the audit entries it signed still verify.
//!
//! At start-up ([`load`]) a replica checks its ring against the database: a key under a
//! recorded version must be that version's (by its fingerprint), the newest version must be
//! held, and no value may be left under a version the ring no longer holds.

use std::time::Duration;

use anyhow::{Context, bail};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Set};
use serde_json::json;

use super::{
    build_settings, catalog, cloud_accounts, git_connections, invitations, mfa, shared_secrets,
    targets, variables,
};
use crate::Core;
use crate::audit::{AuditActor, AuditEntry};
use crate::entities::master_key;
use crate::keys::MasterKey;
use crate::platform::change::Change;

/// How often a replica reads the database's current version.
pub const REFRESH: Duration = Duration::from_secs(2);

/// How a column's value is read.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Text,
    Int32,
    Int64,
}

/// A column that holds sealed values, and how its rows' bindings are made.
struct SealedColumn {
    table: &'static str,
    column: &'static str,
    /// The row's unique key, compared on update.
    id: (&'static str, Kind),
    /// The columns the binding is made of, in order.
    parts: &'static [(&'static str, Kind)],
    binding: fn(&[String]) -> String,
}

fn part(parts: &[String], i: usize) -> &str {
    parts.get(i).map_or("", String::as_str)
}

/// Every sealed column. A value sealed somewhere else (an invitation's link in its mail job)
/// is handled beside these.
const COLUMNS: &[SealedColumn] = &[
    SealedColumn {
        table: "environment_secrets",
        column: "sealed",
        id: ("id", Kind::Text),
        parts: &[
            ("id", Kind::Text),
            ("environment_id", Kind::Text),
            ("name", Kind::Text),
            ("version", Kind::Int64),
        ],
        binding: |p| variables::secret_binding(part(p, 0), part(p, 1), part(p, 2), part(p, 3)),
    },
    SealedColumn {
        table: "service_secrets",
        column: "sealed",
        id: ("id", Kind::Text),
        parts: &[
            ("id", Kind::Text),
            ("service_id", Kind::Text),
            ("name", Kind::Text),
            ("version", Kind::Int64),
        ],
        binding: |p| shared_secrets::binding(part(p, 0), part(p, 1), part(p, 2), part(p, 3)),
    },
    SealedColumn {
        table: "project_secrets",
        column: "sealed",
        id: ("id", Kind::Text),
        parts: &[
            ("id", Kind::Text),
            ("project_id", Kind::Text),
            ("name", Kind::Text),
            ("version", Kind::Int64),
        ],
        binding: |p| {
            shared_secrets::project_binding(part(p, 0), part(p, 1), part(p, 2), part(p, 3))
        },
    },
    SealedColumn {
        table: "services",
        column: "sealed_webhook_secret",
        id: ("id", Kind::Text),
        parts: &[("id", Kind::Text)],
        binding: |p| catalog::webhook_binding(part(p, 0)),
    },
    SealedColumn {
        table: "services",
        column: "sealed_build_secrets",
        id: ("id", Kind::Text),
        parts: &[("id", Kind::Text)],
        binding: |p| build_settings::binding(part(p, 0)),
    },
    SealedColumn {
        table: "cloud_accounts",
        column: "sealed_credentials",
        id: ("id", Kind::Text),
        parts: &[("id", Kind::Text)],
        binding: |p| cloud_accounts::binding(part(p, 0)),
    },
    SealedColumn {
        table: "totp_secrets",
        column: "secret_enc",
        id: ("user_id", Kind::Text),
        parts: &[("user_id", Kind::Text)],
        binding: |p| mfa::binding(part(p, 0)),
    },
    SealedColumn {
        table: "targets",
        column: "credentials",
        id: ("id", Kind::Text),
        parts: &[("id", Kind::Text)],
        binding: |p| targets::credentials_binding(part(p, 0)),
    },
    SealedColumn {
        table: "git_connections",
        column: "sealed_token",
        id: ("id", Kind::Text),
        parts: &[("id", Kind::Text)],
        binding: |p| git_connections::binding(part(p, 0)),
    },
    SealedColumn {
        table: "master_keys",
        column: "audit_key",
        id: ("version", Kind::Int32),
        parts: &[("version", Kind::Int32)],
        binding: |p| audit_key_binding(part(p, 0)),
    },
];

fn audit_key_binding(version: &str) -> String {
    format!("master_keys:{version}:audit_key")
}

const MAIL_JOBS: &str = "jobs";

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

fn under(version: u32) -> String {
    format!("gmac1.{version}.%")
}

fn read(row: &sea_orm::QueryResult, name: &str, kind: Kind) -> anyhow::Result<String> {
    Ok(match kind {
        Kind::Text => row.try_get::<String>("", name)?,
        Kind::Int32 => row.try_get::<i32>("", name)?.to_string(),
        Kind::Int64 => row.try_get::<i64>("", name)?.to_string(),
    })
}

fn key_value(value: &str, kind: Kind) -> anyhow::Result<Expr> {
    Ok(match kind {
        Kind::Text => Expr::val(value.to_owned()),
        Kind::Int32 => Expr::val(value.parse::<i32>()?),
        Kind::Int64 => Expr::val(value.parse::<i64>()?),
    })
}

async fn count(core: &Core, select: &SelectStatement) -> anyhow::Result<u64> {
    let backend = core.db.get_database_backend();
    let row = core.db.query_one_raw(backend.build(select)).await?;
    let n: i64 = match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// How many values are sealed under `version`, everywhere.
async fn values_under(core: &Core, version: u32) -> anyhow::Result<u64> {
    let mut total = 0;
    for column in COLUMNS {
        let select = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from(Alias::new(column.table))
            .and_where(col(column.column).like(under(version)))
            .to_owned();
        total += count(core, &select).await?;
    }
    let select = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(Alias::new(MAIL_JOBS))
        .and_where(col("kind").eq(crate::platform::job_kinds::INVITATION_MAIL))
        .and_where(col("payload").like(format!("%\"link\":\"gmac1.{version}.%")))
        .to_owned();
    Ok(total + count(core, &select).await?)
}

async fn versions(core: &Core) -> anyhow::Result<Vec<master_key::Model>> {
    Ok(master_key::Entity::find()
        .order_by_asc(master_key::Column::Version)
        .all(&core.db)
        .await?)
}

fn as_u32(version: i32) -> u32 {
    u32::try_from(version).unwrap_or(0)
}

/// Brings this process's ring and the database together, at start-up (see the module's
/// documentation): records the ring's oldest version in a database that has none, refuses a
/// ring that is not the database's, and switches to the database's current version.
pub async fn load(core: &mut Core, master: &MasterKey) -> anyhow::Result<()> {
    if versions(core).await?.is_empty() {
        let version = version_in_use(core, master).await?;
        let first = master_key::ActiveModel {
            version: Set(i32::try_from(version).context("the key version")?),
            fingerprint: Set(master.fingerprint(version).unwrap_or_default()),
            audit_key: Set(None),
            created_at: Set(core.now()),
        };
        // Two replicas starting at once both try; the first one's row stands.
        master_key::Entity::insert(first)
            .on_conflict_do_nothing()
            .exec_without_returning(&core.db)
            .await?;
    }
    let rows = versions(core).await?;
    for row in &rows {
        let version = as_u32(row.version);
        if let Some(fingerprint) = master.fingerprint(version)
            && fingerprint != row.fingerprint
        {
            bail!(
                "the configured master key version {version} is not the key this database was sealed under (its fingerprint is {}, the configured key's {fingerprint}): configure this installation's key",
                row.fingerprint
            );
        }
    }
    let current = rows.last().map_or(master.oldest(), |r| as_u32(r.version));
    if !master.holds(current) {
        bail!(
            "this database seals under master key version {current}, which is not configured: add it to the ring in GMAC_MASTER_KEY or the key file, as `{current}:<key>`"
        );
    }
    core.key_version.set(current);
    for row in rows.iter().filter(|r| !master.holds(as_u32(r.version))) {
        let version = as_u32(row.version);
        let left = values_under(core, version).await?;
        if left > 0 {
            bail!(
                "{left} values are still sealed under master key version {version}, which is not configured: put it back in the ring and run `gmac keys rotate` before removing it"
            );
        }
    }
    add_retired_keys(&core.db, &core.sealer, &mut core.audit_keys, master).await
}

/// Adds to `keys` the audit chain keys of the versions `master` no longer holds, from where
/// the rotations that replaced them sealed them.
pub async fn add_retired_keys(
    db: &impl ConnectionTrait,
    sealer: &crate::crypto::Sealer,
    keys: &mut crate::audit::ChainKeys,
    master: &MasterKey,
) -> anyhow::Result<()> {
    let rows = master_key::Entity::find().all(db).await?;
    for row in rows.iter().filter(|r| !master.holds(as_u32(r.version))) {
        let Some(sealed) = &row.audit_key else {
            tracing::warn!(
                version = row.version,
                "the audit entries of master key version {} cannot be verified: its key is neither configured nor kept",
                row.version
            );
            continue;
        };
        let key: [u8; 32] = sealer
            .open(sealed, &audit_key_binding(&row.version.to_string()))?
            .try_into()
            .map_err(|_| anyhow::anyhow!("an audit key is not 32 bytes"))?;
        keys.add_retired(row.version, key);
    }
    Ok(())
}

/// Follows the database's current version every [`REFRESH`], for as long as the process runs.
pub async fn keep_current(core: Core) {
    let mut interval = tokio::time::interval(REFRESH);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(err) = refresh(&core).await {
            tracing::warn!(error = %format!("{err:#}"), "reading the master key version failed");
        }
    }
}

/// The version a database from before rotation seals under, checked to be the configured
/// key's: a sealed value must open and the audit log's last entry must verify, so that a key
/// made by mistake (a command run from another data directory) is never recorded as the
/// installation's. A database with neither takes the ring's oldest version.
async fn version_in_use(core: &Core, master: &MasterKey) -> anyhow::Result<u32> {
    let wrong = "the configured master key is not this installation's: configure its key (GMAC_MASTER_KEY, or the key file in the data directory gmac serves from)";
    let backend = core.db.get_database_backend();
    for column in COLUMNS {
        let mut select = sealed_select(column);
        select.limit(1);
        let Some(row) = core.db.query_all_raw(backend.build(&select)).await?.pop() else {
            continue;
        };
        let (_, binding, sealed) = sealed_row(&row, column)?;
        let version = crate::crypto::version_of(&sealed).unwrap_or(0);
        if !master.holds(version) {
            bail!(
                "this database's secrets are sealed under master key version {version}, which is not configured"
            );
        }
        core.key_version.set(version);
        core.sealer.open(&sealed, &binding).context(wrong)?;
        return Ok(version);
    }
    let last = crate::entities::audit_log::Entity::find()
        .order_by_desc(crate::entities::audit_log::Column::Seq)
        .one(&core.db)
        .await?;
    if let Some(row) = last.filter(|r| r.key_version > 0) {
        if crate::audit::entry_hash(&core.audit_keys, &row).as_deref() != Some(row.hash.as_str()) {
            bail!("{wrong} (the audit log's last entry does not verify under it)");
        }
        return Ok(as_u32(row.key_version));
    }
    Ok(master.oldest())
}

/// Reads the database's current version and switches to it when the ring holds that very key
/// (by its fingerprint); the version now. When it does not, the replica keeps its version,
/// says so once in its log, and is not ready (`/readyz` answers `503`) until it is given the
/// ring and restarted. A replica calls it every [`REFRESH`].
pub async fn refresh(core: &Core) -> anyhow::Result<u32> {
    let newest = master_key::Entity::find()
        .order_by_desc(master_key::Column::Version)
        .one(&core.db)
        .await?;
    if let Some(row) = newest
        && as_u32(row.version) != core.key_version.get()
    {
        let version = as_u32(row.version);
        match core.sealer.fingerprint(version) {
            Some(ours) if ours == row.fingerprint => {
                tracing::info!(
                    version,
                    "now sealing and signing under master key version {version}"
                );
                core.key_version.set(version);
            }
            Some(_) => {
                if core.key_version.set_missing(version) {
                    tracing::error!(
                        version,
                        "the database seals under master key version {version}, but this replica's version {version} is another key: give it the ring `gmac keys add` made, and restart it"
                    );
                }
            }
            None => {
                if core.key_version.set_missing(version) {
                    tracing::error!(
                        version,
                        "the database seals under master key version {version}, which this replica's ring does not hold: add it and restart"
                    );
                }
            }
        }
    }
    Ok(core.key_version.get())
}

/// What one pass found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    /// Values moved to the current version.
    pub rewrapped: u64,
    /// Values changed by someone else between reading and writing (looked at again).
    pub changed: u64,
    /// Values that did not open, as `table.column of id: why`.
    pub unreadable: Vec<String>,
}

/// The rows of `column` that hold a sealed value: their key, binding parts and value.
fn sealed_select(column: &SealedColumn) -> SelectStatement {
    let mut select = Query::select();
    for (name, _) in column.parts {
        select.column(Alias::new(*name));
    }
    if !column.parts.iter().any(|(name, _)| *name == column.id.0) {
        select.column(Alias::new(column.id.0));
    }
    select
        .column(Alias::new(column.column))
        .from(Alias::new(column.table))
        .and_where(col(column.column).like("gmac1.%"));
    select
}

/// A row of [`sealed_select`]: its key, its value's binding, its value.
fn sealed_row(
    row: &sea_orm::QueryResult,
    column: &SealedColumn,
) -> anyhow::Result<(String, String, String)> {
    let id = read(row, column.id.0, column.id.1)?;
    let parts = column
        .parts
        .iter()
        .map(|(name, kind)| read(row, name, *kind))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let sealed: String = row.try_get("", column.column)?;
    Ok((id, (column.binding)(&parts), sealed))
}

/// Runs `statement`, committed by itself; on SQLite, another process's writers (the server
/// `gmac keys rotate` runs beside) may hold the write lock past the busy timeout, so a busy
/// database is asked again a few times, a moment later each time. Each of the rotation's
/// writes changes a value only if it is still the one read, so asking again is safe.
async fn patiently(
    core: &Core,
    statement: sea_orm::Statement,
) -> anyhow::Result<sea_orm::ExecResult> {
    let mut waited = Duration::from_millis(100);
    for _ in 0..6 {
        match core.db.execute_raw(statement.clone()).await {
            Err(e)
                if matches!(
                    crate::error::classify_db(&e),
                    Some(crate::Error::Unavailable { .. })
                ) =>
            {
                tokio::time::sleep(waited).await;
                waited *= 2;
            }
            done => return Ok(done?),
        }
    }
    Ok(core.db.execute_raw(statement).await?)
}

async fn pass_column(core: &Core, column: &SealedColumn, pass: &mut Pass) -> anyhow::Result<()> {
    let current = core.key_version.get();
    let backend = core.db.get_database_backend();
    let mut select = sealed_select(column);
    select.and_where(col(column.column).not_like(under(current)));
    for row in core.db.query_all_raw(backend.build(&select)).await? {
        let (id, binding, sealed) = sealed_row(&row, column)?;
        let rewrapped = match core.sealer.rewrap(&sealed, &binding) {
            Ok(Some(value)) => value,
            Ok(None) => continue,
            Err(err) => {
                pass.unreadable.push(format!(
                    "{}.{} of {id}: {err:#}",
                    column.table, column.column
                ));
                continue;
            }
        };
        let update = Query::update()
            .table(Alias::new(column.table))
            .value(Alias::new(column.column), rewrapped)
            .and_where(col(column.id.0).eq(key_value(&id, column.id.1)?))
            .and_where(col(column.column).eq(sealed))
            .to_owned();
        if patiently(core, backend.build(&update))
            .await?
            .rows_affected()
            == 1
        {
            pass.rewrapped += 1;
        } else {
            pass.changed += 1;
        }
    }
    Ok(())
}

async fn pass_mail_jobs(core: &Core, pass: &mut Pass) -> anyhow::Result<()> {
    let current = core.key_version.get();
    let backend = core.db.get_database_backend();
    let select = Query::select()
        .columns([Alias::new("id"), Alias::new("payload")])
        .from(Alias::new(MAIL_JOBS))
        .and_where(col("kind").eq(crate::platform::job_kinds::INVITATION_MAIL))
        .and_where(col("payload").like("%\"link\":\"gmac1.%"))
        .and_where(col("payload").not_like(format!("%\"link\":\"gmac1.{current}.%")))
        .to_owned();
    for row in core.db.query_all_raw(backend.build(&select)).await? {
        let id: String = row.try_get("", "id")?;
        let text: String = row.try_get("", "payload")?;
        let mut payload: serde_json::Value = serde_json::from_str(&text)?;
        let (Some(invitation), Some(link)) = (
            payload["invitation_id"].as_str().map(str::to_owned),
            payload["link"].as_str().map(str::to_owned),
        ) else {
            continue;
        };
        match core
            .sealer
            .rewrap(&link, &invitations::mail_binding(&invitation))
        {
            Ok(Some(value)) => payload["link"] = value.into(),
            Ok(None) => continue,
            Err(err) => {
                pass.unreadable
                    .push(format!("jobs.payload of {id}: {err:#}"));
                continue;
            }
        }
        let update = Query::update()
            .table(Alias::new(MAIL_JOBS))
            .value(Alias::new("payload"), payload.to_string())
            .and_where(col("id").eq(id))
            .and_where(col("payload").eq(text))
            .to_owned();
        if patiently(core, backend.build(&update))
            .await?
            .rows_affected()
            == 1
        {
            pass.rewrapped += 1;
        } else {
            pass.changed += 1;
        }
    }
    Ok(())
}

/// One pass over every sealed value: what is under an older version is moved to the current.
pub async fn rewrap_pass(core: &Core) -> anyhow::Result<Pass> {
    let mut pass = Pass::default();
    for column in COLUMNS {
        pass_column(core, column, &mut pass).await?;
    }
    pass_mail_jobs(core, &mut pass).await?;
    Ok(pass)
}

/// What a rotation did.
#[derive(Clone, Debug, Default)]
pub struct Rotation {
    /// The version sealing before, when this rotation switched it.
    pub from: Option<u32>,
    /// The version sealing now.
    pub to: u32,
    /// Values moved to it.
    pub rewrapped: u64,
    /// Passes made.
    pub passes: u32,
    /// Values that did not open.
    pub unreadable: Vec<String>,
}

/// Records the ring's newest version as the database's current one (with the older versions'
/// audit keys sealed under it, and its audit row), then re-wraps every value sealed under an
/// older version, pass after pass, `settle` apart, until a pass finds nothing: replicas switch
/// within [`REFRESH`], so `settle` should be longer. Run again, it finishes what an interrupted
/// run left.
pub async fn rotate(
    core: &Core,
    master: &MasterKey,
    settle: Duration,
    progress: &mut (dyn FnMut(String) + Send),
) -> anyhow::Result<Rotation> {
    let rows = versions(core).await?;
    let current = rows.last().map_or(master.oldest(), |r| as_u32(r.version));
    let newest = master.newest();
    if newest < current {
        bail!(
            "this database seals under master key version {current}, newer than any configured (up to {newest})"
        );
    }
    let mut rotation = Rotation {
        to: newest,
        ..Rotation::default()
    };
    if newest > current {
        switch(core, master, &rows, current, newest).await?;
        rotation.from = Some(current);
        progress(format!(
            "Master key version {newest} now seals and signs (was {current}); replicas switch within {} s.",
            REFRESH.as_secs()
        ));
    } else {
        core.key_version.set(newest);
    }
    loop {
        let pass = rewrap_pass(core).await?;
        rotation.passes += 1;
        rotation.rewrapped += pass.rewrapped;
        progress(format!(
            "Pass {}: {} values re-wrapped, {} changed meanwhile, {} unreadable.",
            rotation.passes,
            pass.rewrapped,
            pass.changed,
            pass.unreadable.len()
        ));
        let settled = pass.rewrapped == 0 && pass.changed == 0;
        rotation.unreadable = pass.unreadable;
        // The first pass after a switch runs while replicas may still seal under the old
        // version: one more pass, after they have switched, must find nothing.
        if settled && (rotation.passes > 1 || rotation.from.is_none()) || rotation.passes >= 20 {
            break;
        }
        tokio::time::sleep(settle).await;
    }
    for version in versions(core).await?.iter().map(|r| as_u32(r.version)) {
        let left = values_under(core, version).await?;
        if version < newest && left > rotation.unreadable.len() as u64 {
            bail!(
                "{left} values were sealed under master key version {version} again after the last pass (a replica that has not switched?): run `gmac keys rotate` again"
            );
        }
    }
    Ok(rotation)
}

async fn switch(
    core: &Core,
    master: &MasterKey,
    rows: &[master_key::Model],
    current: u32,
    newest: u32,
) -> anyhow::Result<()> {
    core.key_version.set(newest);
    let change = Change::begin(core).await?;
    // Each older version's audit key, sealed under the new one, for when its key is retired.
    for row in rows.iter().filter(|r| r.audit_key.is_none()) {
        let Some(key) = master.derive_version(as_u32(row.version), crate::audit::CHAIN_KEY_PURPOSE)
        else {
            continue;
        };
        let sealed = core
            .sealer
            .seal(&key, &audit_key_binding(&row.version.to_string()))?;
        master_key::Entity::update(master_key::ActiveModel {
            version: Set(row.version),
            audit_key: Set(Some(sealed)),
            ..Default::default()
        })
        .exec(&change)
        .await?;
    }
    master_key::Entity::insert(master_key::ActiveModel {
        version: Set(i32::try_from(newest).context("the key version")?),
        fingerprint: Set(master.fingerprint(newest).unwrap_or_default()),
        audit_key: Set(None),
        created_at: Set(core.now()),
    })
    .exec_without_returning(&change)
    .await?;
    let entry = AuditEntry::success(
        AuditActor::System {
            label: "cli".to_owned(),
        },
        "keys.rotate",
    )
    .target("master_key", newest.to_string())
    .details(json!({ "from": current, "to": newest }));
    change
        .commit(core, &crate::RequestMeta::default(), entry)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// A version of the master key, as `gmac keys status` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionState {
    /// The version.
    pub version: u32,
    /// Whether this process's ring holds it.
    pub configured: bool,
    /// Whether it seals and signs now.
    pub current: bool,
    /// How many values are sealed under it.
    pub values: u64,
    /// Whether its audit key is kept in the database (so it may be retired).
    pub audit_key_kept: bool,
}

/// Every version the database or the ring knows, oldest first.
pub async fn status(core: &Core, master: &MasterKey) -> anyhow::Result<Vec<VersionState>> {
    let rows = versions(core).await?;
    let current = rows.last().map(|r| as_u32(r.version));
    let mut all: Vec<u32> = rows.iter().map(|r| as_u32(r.version)).collect();
    all.extend(master.versions());
    all.sort_unstable();
    all.dedup();
    let mut states = Vec::new();
    for version in all {
        states.push(VersionState {
            version,
            configured: master.holds(version),
            current: current == Some(version),
            values: values_under(core, version).await?,
            audit_key_kept: rows
                .iter()
                .any(|r| as_u32(r.version) == version && r.audit_key.is_some()),
        });
    }
    Ok(states)
}
