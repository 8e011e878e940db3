//! Where an import's lines are stored: `COPY` on PostgreSQL; on SQLite, one prepared
//! `INSERT` stepped through SQLite's C API on a blocking thread, on one of the pool's own
//! connections.
//!
//! Through sqlx, every value was copied into an argument buffer, handed to the connection's
//! worker thread and bound there, and the rows went through a third thread on the way: that
//! cost more than SQLite's own work (issue 8, point 20). The prepared statement keeps the
//! import's and client's ids bound for the whole import and rebinds the rest line by line.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use gmac_types::time::{Zone, rfc3339_text};

use crate::clock::Clock;
use crate::entities::cost_line_item;
use crate::focus::Line;
use crate::services::cost_query::{stored, stored_opt};
use crate::{Core, Error, Result};

/// A parsed line as the row that stores it.
pub(crate) fn line_model(
    import_id: &str,
    client_id: &str,
    line_no: i64,
    line: Line,
) -> Result<cost_line_item::Model> {
    // A parsed line is within ±10¹⁵; a stored one always splits.
    let what = || format!("line {line_no}");
    let (billed_cost_whole, billed_cost_frac) = stored(line.billed, what)?;
    let (effective_cost_whole, effective_cost_frac) = stored(line.effective, what)?;
    let (list_cost_whole, list_cost_frac) = stored_opt(line.list, what)?;
    let (contracted_cost_whole, contracted_cost_frac) = stored_opt(line.contracted, what)?;
    Ok(cost_line_item::Model {
        import_id: import_id.to_owned(),
        line_no,
        client_id: client_id.to_owned(),
        day: line.day.to_string(),
        charge_period_start: line.start,
        charge_period_end: line.end,
        currency: line.currency,
        billed_cost_whole,
        billed_cost_frac,
        effective_cost_whole,
        effective_cost_frac,
        list_cost_whole,
        list_cost_frac,
        contracted_cost_whole,
        contracted_cost_frac,
        provider_name: line.provider,
        billing_account_id: line.billing_account_id,
        sub_account_id: line.sub_account_id,
        service_name: line.service_name,
        service_category: line.service_category,
        region_id: line.region_id,
        resource_id: line.resource_id,
        charge_category: line.charge_category,
        sku_id: line.sku_id,
        charge_description: line.charge_description,
        consumed_quantity: line.consumed_quantity,
        consumed_unit: line.consumed_unit,
        tags: line.tags,
        attributes: line.attributes,
        billing_period_start: line.billing_period.map(|d| d.to_string()),
    })
}

/// Parsed lines and their physical line numbers, written in one transaction.
pub(crate) type Batch = Vec<(i64, Line)>;

/// The columns a line is stored in, in the order [`copy_csv`] and [`bind_line`] write them.
macro_rules! line_columns {
    () => {
        "import_id, line_no, client_id, day, charge_period_start, charge_period_end, currency, \
         billed_cost_whole, billed_cost_frac, effective_cost_whole, effective_cost_frac, \
         list_cost_whole, list_cost_frac, contracted_cost_whole, contracted_cost_frac, \
         provider_name, billing_account_id, sub_account_id, service_name, service_category, \
         region_id, resource_id, charge_category, sku_id, charge_description, \
         consumed_quantity, consumed_unit, tags, attributes, billing_period_start"
    };
}

/// `COPY` of the line columns, as [`copy_csv`] writes them.
const COPY_LINES: &str = concat!(
    "COPY cost_line_items (",
    line_columns!(),
    ") FROM STDIN WITH (FORMAT csv)"
);

/// One line's `INSERT`; [`bind_line`] binds its 30 values.
const INSERT_LINE: &str = concat!(
    "INSERT INTO cost_line_items (",
    line_columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
     ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)"
);

/// SQLite's page cache while an import writes (in KiB, as `cache_size` takes a negative
/// number): the pages of the table and its indexes that each insert touches stay in
/// memory instead of being read back from the file. The connection's own size returns after.
const IMPORT_CACHE_KIB: i64 = 64 * 1024;

/// Rows as PostgreSQL's `COPY ... FORMAT csv` reads them: text always quoted (an empty
/// string is `""`), a missing value left empty (NULL).
fn copy_csv(rows: &[cost_line_item::Model]) -> Vec<u8> {
    use std::fmt::Write as _;
    fn text(out: &mut String, value: &str) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push_str("\",");
    }
    fn opt_text(out: &mut String, value: Option<&str>) {
        match value {
            Some(v) => text(out, v),
            None => out.push(','),
        }
    }
    fn number(out: &mut String, value: Option<i64>) {
        if let Some(v) = value {
            let _ = write!(out, "{v}");
        }
        out.push(',');
    }
    let mut out = String::with_capacity(rows.len() * 400);
    for r in rows {
        text(&mut out, &r.import_id);
        number(&mut out, Some(r.line_no));
        text(&mut out, &r.client_id);
        text(&mut out, &r.day);
        text(&mut out, &r.charge_period_start.to_rfc3339());
        text(&mut out, &r.charge_period_end.to_rfc3339());
        text(&mut out, &r.currency);
        number(&mut out, Some(r.billed_cost_whole));
        number(&mut out, Some(r.billed_cost_frac));
        number(&mut out, Some(r.effective_cost_whole));
        number(&mut out, Some(r.effective_cost_frac));
        number(&mut out, r.list_cost_whole);
        number(&mut out, Some(r.list_cost_frac));
        number(&mut out, r.contracted_cost_whole);
        number(&mut out, Some(r.contracted_cost_frac));
        text(&mut out, &r.provider_name);
        text(&mut out, &r.billing_account_id);
        text(&mut out, &r.sub_account_id);
        text(&mut out, &r.service_name);
        text(&mut out, &r.service_category);
        text(&mut out, &r.region_id);
        text(&mut out, &r.resource_id);
        text(&mut out, &r.charge_category);
        opt_text(&mut out, r.sku_id.as_deref());
        opt_text(&mut out, r.charge_description.as_deref());
        opt_text(&mut out, r.consumed_quantity.as_deref());
        opt_text(&mut out, r.consumed_unit.as_deref());
        text(&mut out, &r.tags);
        text(&mut out, &r.attributes);
        opt_text(&mut out, r.billing_period_start.as_deref());
        // The last field's separator becomes the line's end.
        out.pop();
        out.push('\n');
    }
    out.into_bytes()
}

/// A batch as `COPY` data, made on the reading thread so that PostgreSQL is kept busy
/// meanwhile.
pub(crate) fn copy_data(import_id: &str, client_id: &str, batch: Batch) -> Result<Vec<u8>> {
    let rows = batch
        .into_iter()
        .map(|(no, line)| line_model(import_id, client_id, no, line))
        .collect::<Result<Vec<_>>>()?;
    Ok(copy_csv(&rows))
}

/// Batches per PostgreSQL transaction: each commit waits for the disk.
const BATCHES_PER_COMMIT: usize = 10;

/// Writes the batches `batches` brings with `COPY`, several in each transaction with the
/// import's heartbeat (`COPY` is several times faster than multi-row `INSERT`s); stops with
/// an error, rolling back, once `stop` is set. Runs as a task of its own: a `COPY` dropped
/// midway left its connection out of step with the server, and back in the pool.
pub(crate) async fn copy(
    core: &Core,
    import_id: &str,
    mut batches: tokio::sync::mpsc::Receiver<Result<Vec<u8>>>,
    stop: &AtomicBool,
) -> Result<()> {
    let pool = core.db.get_postgres_connection_pool();
    let mut open = None;
    let mut in_transaction = 0;
    while let Some(data) = batches.recv().await {
        if stop.load(Ordering::Relaxed) {
            return Err(stopped());
        }
        let data = data?;
        let tx = match &mut open {
            Some(tx) => tx,
            None => open.insert(pool.begin().await?),
        };
        let mut copy = tx.copy_in_raw(COPY_LINES).await?;
        copy.send(data).await?;
        copy.finish().await?;
        in_transaction += 1;
        if in_transaction == BATCHES_PER_COMMIT
            && let Some(tx) = open.take()
        {
            commit_with_heartbeat(core, import_id, tx).await?;
            in_transaction = 0;
        }
    }
    if stop.load(Ordering::Relaxed) {
        return Err(stopped());
    }
    if let Some(tx) = open {
        commit_with_heartbeat(core, import_id, tx).await?;
    }
    Ok(())
}

fn stopped() -> Error {
    Error::Internal(anyhow::anyhow!(
        "the import was stopped before its lines were written"
    ))
}

async fn commit_with_heartbeat(
    core: &Core,
    import_id: &str,
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
) -> Result<()> {
    sqlx::query("UPDATE cost_imports SET heartbeat_at = $1 WHERE id = $2")
        .bind(core.now())
        .bind(import_id)
        .execute(&mut *tx)
        .await?;
    Ok(tx.commit().await?)
}

/// What the SQLite writer needs to know of its import.
pub(crate) struct SqliteLines {
    pub(crate) import_id: String,
    pub(crate) client_id: String,
    pub(crate) clock: Arc<dyn Clock>,
    /// gmac's writers' queue ([`crate::db::write_turns`]): each batch waits its turn, so a
    /// sign-in waits for one batch, not for the whole file.
    pub(crate) turns: Option<Arc<tokio::sync::Semaphore>>,
}

impl SqliteLines {
    /// Writes the batches `batches` brings, one short transaction each (the lines and the
    /// import's heartbeat, so other writers get their turn between them), until the reader
    /// closes the channel; stops with an error once `stop` is set. Runs on a blocking thread.
    pub(crate) fn write(
        &self,
        mut conn: sqlx::pool::PoolConnection<sqlx::Sqlite>,
        batches: &std::sync::mpsc::Receiver<Batch>,
        stop: &AtomicBool,
    ) -> Result<()> {
        let mut locked = tokio::runtime::Handle::current().block_on(conn.lock_handle())?;
        // SAFETY: the handle is the pool connection's open database, locked away from its
        // worker thread until `locked` drops. `from_handle` does not close it, and the
        // `Connection` (and every statement prepared on it) is dropped before `locked`.
        #[expect(
            unsafe_code,
            reason = "rusqlite on the pool's own connection: the in-memory database has no other"
        )]
        let db = unsafe { rusqlite::Connection::from_handle(locked.as_raw_handle().as_ptr()) }?;
        let cache: i64 = db.pragma_query_value(None, "cache_size", |row| row.get(0))?;
        db.pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)?;
        let written = self.batches(&db, batches, stop);
        if !db.is_autocommit() {
            // The connection goes back to the pool: never inside a transaction.
            let _ = db.execute_batch("ROLLBACK");
        }
        let _ = db.pragma_update(None, "cache_size", cache);
        drop(db);
        drop(locked);
        written
    }

    fn batches(
        &self,
        db: &rusqlite::Connection,
        batches: &std::sync::mpsc::Receiver<Batch>,
        stop: &AtomicBool,
    ) -> Result<()> {
        let mut insert = db.prepare(INSERT_LINE)?;
        insert.raw_bind_parameter(1, self.import_id.as_str())?;
        insert.raw_bind_parameter(3, self.client_id.as_str())?;
        let mut heartbeat =
            db.prepare("UPDATE cost_imports SET heartbeat_at = ?1 WHERE id = ?2")?;
        heartbeat.raw_bind_parameter(2, self.import_id.as_str())?;
        let runtime = tokio::runtime::Handle::current();
        for batch in batches {
            if stop.load(Ordering::Relaxed) {
                return Err(stopped());
            }
            let _turn = match &self.turns {
                Some(turns) => Some(runtime.block_on(crate::db::wait_turn(turns.clone()))?),
                None => None,
            };
            // The write lock at BEGIN, as db::begin_write takes it.
            db.execute_batch("BEGIN IMMEDIATE")?;
            for (line_no, line) in &batch {
                bind_line(&mut insert, *line_no, line)?;
                insert.raw_execute()?;
            }
            heartbeat
                .raw_bind_parameter(1, stored_time(&self.clock.now(), &mut [0; 35]).as_ref())?;
            heartbeat.raw_execute()?;
            db.execute_batch("COMMIT")?;
        }
        Ok(())
    }
}

/// A timestamp as sqlx stores a `DateTime<Utc>` in SQLite (`+00:00`), so that sea-orm reads
/// it back.
fn stored_time<'b>(at: &DateTime<Utc>, buf: &'b mut [u8; 35]) -> Cow<'b, str> {
    rfc3339_text(at, Zone::Offset, buf)
}

/// Binds a line's values (all but the import's and client's ids, bound once) in
/// [`line_columns`] order.
fn bind_line(insert: &mut rusqlite::Statement<'_>, line_no: i64, line: &Line) -> Result<()> {
    let what = || format!("line {line_no}");
    let (billed_whole, billed_frac) = stored(line.billed, what)?;
    let (effective_whole, effective_frac) = stored(line.effective, what)?;
    let (list_whole, list_frac) = stored_opt(line.list, what)?;
    let (contracted_whole, contracted_frac) = stored_opt(line.contracted, what)?;
    let (mut start_buf, mut end_buf) = ([0; 35], [0; 35]);
    let start = stored_time(&line.start, &mut start_buf);
    let end = stored_time(&line.end, &mut end_buf);
    // The day is the start's UTC date, which begins the start's text (years 0 to 9999).
    let day = match &start {
        Cow::Borrowed(text) => Cow::Borrowed(&text[..10]),
        Cow::Owned(_) => Cow::Owned(line.day.to_string()),
    };
    let period = line.billing_period.map(|d| d.to_string());
    let bind = |insert: &mut rusqlite::Statement<'_>, at: usize, value: &dyn rusqlite::ToSql| {
        insert.raw_bind_parameter(at, value).map_err(Error::from)
    };
    bind(insert, 2, &line_no)?;
    bind(insert, 4, &day.as_ref())?;
    bind(insert, 5, &start.as_ref())?;
    bind(insert, 6, &end.as_ref())?;
    bind(insert, 7, &line.currency)?;
    bind(insert, 8, &billed_whole)?;
    bind(insert, 9, &billed_frac)?;
    bind(insert, 10, &effective_whole)?;
    bind(insert, 11, &effective_frac)?;
    bind(insert, 12, &list_whole)?;
    bind(insert, 13, &list_frac)?;
    bind(insert, 14, &contracted_whole)?;
    bind(insert, 15, &contracted_frac)?;
    bind(insert, 16, &line.provider)?;
    bind(insert, 17, &line.billing_account_id)?;
    bind(insert, 18, &line.sub_account_id)?;
    bind(insert, 19, &line.service_name)?;
    bind(insert, 20, &line.service_category)?;
    bind(insert, 21, &line.region_id)?;
    bind(insert, 22, &line.resource_id)?;
    bind(insert, 23, &line.charge_category)?;
    bind(insert, 24, &line.sku_id)?;
    bind(insert, 25, &line.charge_description)?;
    bind(insert, 26, &line.consumed_quantity)?;
    bind(insert, 27, &line.consumed_unit)?;
    bind(insert, 28, &line.tags)?;
    bind(insert, 29, &line.attributes)?;
    bind(insert, 30, &period)
}
