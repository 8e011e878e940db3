//! Cloud costs: FOCUS imports into line items and daily rollups, and cost queries over the
//! rollups.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::NaiveDate;
use gmac_types::{
    CostGroup, CostImportParams, CostMetric, CostQuery, CostReport, ErrorCode, FieldError,
    OnRowError, Permission, RowError, SubjectKind,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use sha2::{Digest, Sha256};

use crate::access::Target;
use crate::audit::AuditEntry;
use crate::entities::{
    cost_allocation, cost_daily, cost_import, cost_line_item, cost_resource_month, cost_summary,
};
use crate::focus::{Header, Line};
use crate::platform::change::Change;
use crate::services::cost_lines::line_model;
use crate::services::cost_query::{
    beyond, col, is_tag_key, joined, labels, stored, sum_groups, summed_units, tag_equals,
    tag_expr, tag_sql, unreadable, visible_clients,
};
use crate::services::{clients, cost_lines};
use crate::{Actor, Core, Error, RequestMeta, Result, db, money};

/// Refusals reported in full; the rest are counted.
const MAX_REPORTED_ERRORS: usize = 100;
/// Parsed lines handed from the reading thread to the writer at a time.
const READ_BATCH: usize = 2000;

/// A FOCUS file spooled to disk (decompressed), ready to import.
#[derive(Clone, Debug)]
pub struct SpooledFile {
    /// Where it is.
    pub path: PathBuf,
    /// SHA-256 (hex) of its bytes.
    pub sha256: String,
    /// The name it was uploaded under.
    pub file_name: Option<String>,
    /// How far the import of it has read, for whoever follows it (a job's progress).
    pub progress: Arc<ImportProgress>,
}

/// How far an import has read its file.
#[derive(Debug, Default)]
pub struct ImportProgress {
    /// Bytes of the (decompressed) file read.
    pub bytes: AtomicU64,
    /// Rows read and handed to the writer.
    pub rows: AtomicU64,
}

impl SpooledFile {
    /// Hashes a file already on disk (the CLI's case).
    pub async fn from_path(path: &Path, file_name: Option<String>) -> Result<Self> {
        let owned = path.to_owned();
        let sha256 = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            let mut file = std::fs::File::open(&owned)?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
            Ok(hex::encode(hasher.finalize()))
        })
        .await
        .map_err(anyhow::Error::from)?
        .map_err(anyhow::Error::from)?;
        Ok(Self {
            path: path.to_owned(),
            sha256,
            file_name,
            progress: Arc::default(),
        })
    }
}

/// The file's header, or why it is no FOCUS header.
fn read_header<R: Read>(reader: &mut csv::Reader<R>) -> std::result::Result<Header, String> {
    match reader.headers() {
        Ok(names) => Header::parse(names).map_err(|err| err.0),
        Err(err) => Err(format!("the file is not CSV text: {err}")),
    }
}

/// Whether the file's first line ends in CRLF.
fn ends_first_line_with_crlf(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = Vec::new();
    let _ = std::io::Read::take(file, 1 << 16).read_to_end(&mut head);
    head.iter()
        .position(|b| *b == b'\n')
        .is_some_and(|at| at > 0 && head[at - 1] == b'\r')
}

/// Reads the file on a blocking thread, tallying every line and handing batches of valid
/// lines to `send` (which answers false once the writer has stopped). A strict import that
/// has refused a row sends no more, but reads on to report every bad row. Answers the tally,
/// or why the file cannot be read at all.
fn read_file(
    path: &Path,
    max_field_bytes: usize,
    (client_id, strict): (&str, bool),
    progress: &ImportProgress,
    mut send: impl FnMut(cost_lines::Batch) -> bool,
) -> std::result::Result<Tally, String> {
    let file =
        std::fs::File::open(path).map_err(|err| format!("the file cannot be read: {err}"))?;
    // The CSV reader ends a CRLF row at its CR and counts the LF into the next row's position,
    // one line short of what an editor shows; a file whose header ends in CRLF (Excel's and
    // Python's default) gets its line numbers back here.
    let crlf = ends_first_line_with_crlf(path);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(std::io::BufReader::with_capacity(1 << 16, file));
    let header = read_header(&mut reader)?;
    let mut tally = Tally {
        version: header.version,
        ..Tally::default()
    };
    let width = reader.headers().map_or(0, csv::StringRecord::len);
    let mut batch = Vec::with_capacity(READ_BATCH);
    let mut record = csv::StringRecord::new();
    loop {
        let line_no = i64::try_from(reader.position().line()).unwrap_or(i64::MAX);
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line_no = i64::try_from(record.position().map_or(0, csv::Position::line))
                    .unwrap_or(line_no)
                    + i64::from(crlf);
                if record.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                if record.iter().any(|f| f.len() > max_field_bytes) {
                    return Err(format!(
                        "line {line_no} has a field longer than {max_field_bytes} bytes"
                    ));
                }
                match classify(&header, &record, width) {
                    Ok(line) => {
                        tally.count(client_id, &line);
                        if strict && tally.rejected > 0 {
                            continue;
                        }
                        batch.push((line_no, line));
                        if batch.len() == READ_BATCH {
                            progress
                                .bytes
                                .store(reader.position().byte(), Ordering::Relaxed);
                            progress
                                .rows
                                .fetch_add(READ_BATCH as u64, Ordering::Relaxed);
                            if !send(std::mem::replace(
                                &mut batch,
                                Vec::with_capacity(READ_BATCH),
                            )) {
                                return Ok(tally);
                            }
                        }
                    }
                    Err((column, reason)) => tally.refuse(RowError {
                        line: u64::try_from(line_no).unwrap_or_default(),
                        column,
                        reason,
                    }),
                }
            }
            Err(err) => {
                let line = err.position().map_or(
                    u64::try_from(line_no).unwrap_or_default(),
                    csv::Position::line,
                ) + u64::from(crlf);
                let utf8 = matches!(err.kind(), csv::ErrorKind::Utf8 { .. });
                let reason = if utf8 {
                    "the row is not valid UTF-8 text".to_owned()
                } else {
                    format!("the row cannot be read: {err}")
                };
                tally.refuse(RowError {
                    line,
                    column: None,
                    reason,
                });
                if !utf8 {
                    // The reader cannot resynchronise after an I/O or framing error.
                    break;
                }
            }
        }
    }
    let refusing = strict && tally.rejected > 0;
    if !batch.is_empty() && !refusing {
        send(batch);
    }
    Ok(tally)
}

/// Parses one record, or says which column is wrong and why.
fn classify(
    header: &Header,
    record: &csv::StringRecord,
    width: usize,
) -> std::result::Result<Line, (Option<String>, String)> {
    if record.as_byte_record().as_slice().contains(&0)
        && let Some(column) = record.iter().position(|f| f.contains('\0'))
    {
        // SQLite would store it and PostgreSQL cannot: refuse the row on both.
        return Err((
            header.name_at(column),
            "the row contains a NUL character".to_owned(),
        ));
    }
    if record.len() != width {
        return Err((
            None,
            format!(
                "the row has {} fields where the header has {width}",
                record.len()
            ),
        ));
    }
    header
        .line(record)
        .map_err(|p| (p.column.map(str::to_owned), p.reason))
}

/// The identity of a rollup row within its day.
fn dims_key(line: &Line) -> [u8; 16] {
    let mut hasher = Sha256::new();
    for part in [
        line.currency.as_str(),
        &line.provider,
        &line.billing_account_id,
        &line.sub_account_id,
        &line.service_name,
        &line.service_category,
        &line.region_id,
        &line.resource_id,
        &line.charge_category,
        &line.tags,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    let mut key = [0; 16];
    key.copy_from_slice(&hasher.finalize()[..16]);
    key
}

/// Sums headed for one rollup row.
pub(crate) struct Rollup {
    row: cost_daily::Model,
    /// Billed, effective and list costs, in money units.
    sums: [i128; 3],
}

impl Rollup {
    /// Adds (`sign` 1) or removes (`sign` -1) a line.
    fn add(&mut self, line: &Line, sign: i64) {
        let units = [line.billed, line.effective, line.list.unwrap_or(0)];
        for (sum, units) in self.sums.iter_mut().zip(units) {
            *sum += i128::from(sign) * units;
        }
        self.row.line_count += sign;
    }

    /// The row to add, its sums split into stored columns.
    fn into_row(self) -> Result<cost_daily::Model> {
        let mut row = self.row;
        let [Ok(billed), Ok(effective), Ok(list)] = self.sums.map(money::split) else {
            return Err(beyond(&format!(
                "the costs of {} on {}",
                row.service_name, row.day
            )));
        };
        (row.billed_cost_whole, row.billed_cost_frac) = billed;
        (row.effective_cost_whole, row.effective_cost_frac) = effective;
        (row.list_cost_whole, row.list_cost_frac) = list;
        Ok(row)
    }
}

/// What an import accumulates while it writes.
#[derive(Default)]
pub(crate) struct Tally {
    version: &'static str,
    imported: u64,
    rejected: u64,
    errors: Vec<RowError>,
    /// Per currency: billed, effective, lines.
    totals: HashMap<String, (i128, i128, u64)>,
    first_day: Option<NaiveDate>,
    last_day: Option<NaiveDate>,
    /// The rollup deltas.
    pub(crate) rollups: foldhash::HashMap<(NaiveDate, [u8; 16]), Rollup>,
    /// The (billing account, billing period) pairs the lines declare.
    periods: std::collections::BTreeSet<(String, NaiveDate)>,
    /// The pair last added there: lines come in runs of one account and period.
    last_period: Option<(String, NaiveDate)>,
}

impl Tally {
    fn refuse(&mut self, error: RowError) {
        self.rejected += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(error);
        }
    }

    /// Takes a stored line back out of the rollups (a re-sync replaces it).
    pub(crate) fn uncount(&mut self, client_id: &str, line: &Line) {
        self.rollup(client_id, line).add(line, -1);
    }

    pub(crate) fn count(&mut self, client_id: &str, line: &Line) {
        self.imported += 1;
        let total = match self.totals.get_mut(&line.currency) {
            Some(total) => total,
            None => self.totals.entry(line.currency.clone()).or_default(),
        };
        total.0 += line.billed;
        total.1 += line.effective;
        total.2 += 1;
        self.first_day = Some(self.first_day.map_or(line.day, |d| Ord::min(d, line.day)));
        self.last_day = Some(self.last_day.map_or(line.day, |d| Ord::max(d, line.day)));
        if let Some(period) = line.billing_period
            && self
                .last_period
                .as_ref()
                .is_none_or(|(account, at)| *at != period || *account != line.billing_account_id)
        {
            self.periods
                .insert((line.billing_account_id.clone(), period));
            self.last_period = Some((line.billing_account_id.clone(), period));
        }
        self.rollup(client_id, line).add(line, 1);
    }

    fn rollup(&mut self, client_id: &str, line: &Line) -> &mut Rollup {
        let key = dims_key(line);
        self.rollups
            .entry((line.day, key))
            .or_insert_with(|| Rollup {
                row: cost_daily::Model {
                    client_id: client_id.to_owned(),
                    day: line.day.to_string(),
                    dims_key: hex::encode(key),
                    currency: line.currency.clone(),
                    provider_name: line.provider.clone(),
                    billing_account_id: line.billing_account_id.clone(),
                    sub_account_id: line.sub_account_id.clone(),
                    service_name: line.service_name.clone(),
                    service_category: line.service_category.clone(),
                    region_id: line.region_id.clone(),
                    resource_id: line.resource_id.clone(),
                    charge_category: line.charge_category.clone(),
                    tags: line.tags.clone(),
                    billed_cost_whole: 0,
                    billed_cost_frac: 0,
                    effective_cost_whole: 0,
                    effective_cost_frac: 0,
                    list_cost_whole: 0,
                    list_cost_frac: 0,
                    line_count: 0,
                },
                sums: [0; 3],
            })
    }

    /// The currency with the most lines, and its totals.
    fn main_currency(&self) -> (String, i128, i128) {
        self.totals
            .iter()
            .max_by_key(|(currency, (_, _, lines))| {
                (*lines, std::cmp::Reverse((*currency).clone()))
            })
            .map_or_else(
                || ("USD".to_owned(), 0, 0),
                |(currency, (billed, effective, _))| (currency.clone(), *billed, *effective),
            )
    }
}

pub(crate) fn line_row(
    import_id: &str,
    client_id: &str,
    line_no: i64,
    line: Line,
) -> Result<cost_line_item::ActiveModel> {
    line_model(import_id, client_id, line_no, line).map(Into::into)
}

/// A stored line item as a parsed line (to take it back out of the rollups).
pub(crate) fn line_of(item: &cost_line_item::Model) -> Line {
    Line {
        day: item.day.parse().unwrap_or_default(),
        start: item.charge_period_start,
        end: item.charge_period_end,
        currency: item.currency.clone(),
        billed: money::join(item.billed_cost_whole, item.billed_cost_frac),
        effective: money::join(item.effective_cost_whole, item.effective_cost_frac),
        list: joined(item.list_cost_whole, item.list_cost_frac),
        contracted: joined(item.contracted_cost_whole, item.contracted_cost_frac),
        provider: item.provider_name.clone(),
        billing_account_id: item.billing_account_id.clone(),
        sub_account_id: item.sub_account_id.clone(),
        service_name: item.service_name.clone(),
        service_category: item.service_category.clone(),
        region_id: item.region_id.clone(),
        resource_id: item.resource_id.clone(),
        charge_category: item.charge_category.clone(),
        sku_id: item.sku_id.clone(),
        charge_description: item.charge_description.clone(),
        consumed_quantity: item.consumed_quantity.clone(),
        consumed_unit: item.consumed_unit.clone(),
        billing_period: item
            .billing_period_start
            .as_deref()
            .and_then(|d| d.parse().ok()),
        tags: item.tags.clone(),
        attributes: item.attributes.clone(),
    }
}

/// The import row that holds a synced source's lines (one per cloud account), created on
/// first use.
pub(crate) async fn source_import(
    conn: &impl ConnectionTrait,
    core: &Core,
    client_id: &str,
    key: &str,
    name: &str,
) -> Result<String> {
    if let Some(existing) = cost_import::Entity::find()
        .filter(cost_import::Column::ClientId.eq(client_id))
        .filter(cost_import::Column::Sha256.eq(key))
        .one(conn)
        .await?
    {
        return Ok(existing.id);
    }
    let id = core.new_id();
    cost_import::Entity::insert(cost_import::ActiveModel::from(cost_import::Model {
        id: id.clone(),
        client_id: client_id.to_owned(),
        file_name: Some(name.to_owned()),
        sha256: key.to_owned(),
        focus_version: "cost-explorer".to_owned(),
        rows_imported: 0,
        rows_rejected: 0,
        errors: "[]".to_owned(),
        billed_cost_total_whole: 0,
        billed_cost_total_frac: 0,
        effective_cost_total_whole: 0,
        effective_cost_total_frac: 0,
        currency: "USD".to_owned(),
        first_day: None,
        last_day: None,
        created_by: None,
        created_at: core.now(),
        state: PUBLISHED.to_owned(),
        heartbeat_at: None,
        replaced: "[]".to_owned(),
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(id)
}

/// Recomputes an import's counts and totals from its line items.
pub(crate) async fn refresh_import_totals(
    conn: &impl ConnectionTrait,
    import_id: &str,
) -> Result<()> {
    type Sums = (
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let (count, billed_whole, billed_frac, effective_whole, effective_frac, first, last): Sums =
        cost_line_item::Entity::find()
            .select_only()
            .column_as(Expr::cust("COUNT(*)"), "n")
            .column_as(Expr::cust("CAST(SUM(billed_cost_whole) AS TEXT)"), "bw")
            .column_as(Expr::cust("CAST(SUM(billed_cost_frac) AS TEXT)"), "bf")
            .column_as(Expr::cust("CAST(SUM(effective_cost_whole) AS TEXT)"), "ew")
            .column_as(Expr::cust("CAST(SUM(effective_cost_frac) AS TEXT)"), "ef")
            .column_as(Expr::cust("MIN(day)"), "f")
            .column_as(Expr::cust("MAX(day)"), "l")
            .filter(cost_line_item::Column::ImportId.eq(import_id))
            .into_tuple()
            .one(conn)
            .await?
            .unwrap_or((0, None, None, None, None, None, None));
    let what = || "the import's total".to_owned();
    let billed = stored(
        summed_units(billed_whole.as_deref(), billed_frac.as_deref())?,
        what,
    )?;
    let effective = stored(
        summed_units(effective_whole.as_deref(), effective_frac.as_deref())?,
        what,
    )?;
    cost_import::Entity::update_many()
        .col_expr(cost_import::Column::RowsImported, Expr::value(count))
        .col_expr(
            cost_import::Column::BilledCostTotalWhole,
            Expr::value(billed.0),
        )
        .col_expr(
            cost_import::Column::BilledCostTotalFrac,
            Expr::value(billed.1),
        )
        .col_expr(
            cost_import::Column::EffectiveCostTotalWhole,
            Expr::value(effective.0),
        )
        .col_expr(
            cost_import::Column::EffectiveCostTotalFrac,
            Expr::value(effective.1),
        )
        .col_expr(cost_import::Column::FirstDay, Expr::value(first))
        .col_expr(cost_import::Column::LastDay, Expr::value(last))
        .filter(cost_import::Column::Id.eq(import_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The wire form of an import; `imported_now` says whether this request added its rows.
pub fn to_dto(row: cost_import::Model, imported_now: bool) -> gmac_types::CostImport {
    let day = |d: Option<String>| d.and_then(|d| d.parse::<NaiveDate>().ok());
    gmac_types::CostImport {
        id: row.id,
        client_id: row.client_id,
        file_name: row.file_name,
        sha256: row.sha256,
        focus_version: row.focus_version,
        rows_imported: if imported_now {
            u64::try_from(row.rows_imported).unwrap_or_default()
        } else {
            0
        },
        rows_rejected: if imported_now {
            u64::try_from(row.rows_rejected).unwrap_or_default()
        } else {
            0
        },
        errors: if imported_now {
            serde_json::from_str(&row.errors).unwrap_or_default()
        } else {
            Vec::new()
        },
        billed_cost_total: money::from_units(money::join(
            row.billed_cost_total_whole,
            row.billed_cost_total_frac,
        )),
        effective_cost_total: money::from_units(money::join(
            row.effective_cost_total_whole,
            row.effective_cost_total_frac,
        )),
        currency: row.currency,
        first_day: day(row.first_day),
        last_day: day(row.last_day),
        created_by: row.created_by,
        created_at: row.created_at,
        replaced: serde_json::from_str(&row.replaced).unwrap_or_default(),
    }
}

fn refusal(errors: &[RowError], rejected: u64) -> Error {
    let mut fields: Vec<FieldError> = errors
        .iter()
        .map(|e| FieldError {
            pointer: match &e.column {
                Some(column) => format!("/lines/{}/{column}", e.line),
                None => format!("/lines/{}", e.line),
            },
            code: "invalid_row".to_owned(),
            detail: format!("line {}: {}", e.line, e.reason),
        })
        .collect();
    let reported = u64::try_from(errors.len()).unwrap_or(u64::MAX);
    if rejected > reported {
        fields.push(FieldError::new(
            "lines",
            "more_invalid_rows",
            format!("and {} more rows with errors", rejected - reported),
        ));
    }
    Error::Validation(fields)
}

/// The import of the same file (by its hash) into the client, if there is one.
async fn same_file(
    conn: &impl ConnectionTrait,
    client_id: &str,
    sha256: &str,
) -> Result<Option<cost_import::Model>> {
    Ok(cost_import::Entity::find()
        .filter(cost_import::Column::ClientId.eq(client_id))
        .filter(cost_import::Column::Sha256.eq(sha256))
        .one(conn)
        .await?)
}

/// Why an import wrote no line: an empty file, or (skipping bad rows) why each row was refused.
fn nothing_imported(tally: &Tally) -> Error {
    if tally.rejected == 0 {
        return unreadable("the file has no cost rows");
    }
    let mut fields = vec![FieldError::new(
        "file",
        "invalid_focus_file",
        "No row of the file could be imported.",
    )];
    if let Error::Validation(rows) = refusal(&tally.errors, tally.rejected) {
        fields.extend(rows);
    }
    Error::Validation(fields)
}

/// Whether the actor may import costs for the client (404 when it may not know the client),
/// checked before a large upload is read; [`import_focus`] checks again.
pub fn may_import(actor: &Actor, client_id: &str) -> Result<()> {
    actor.require_on(
        Permission::CostsManage,
        &Target::Client(client_id.to_owned()),
    )
}

/// An import's state while its lines are written: invisible to every reader.
pub const STAGING: &str = "staging";
/// An import's state once its lines count.
pub const PUBLISHED: &str = "published";
/// A published import someone deleted: hidden, its lines taken out by a job.
pub const DELETING: &str = "deleting";
/// A staging import that has not written for this long was abandoned (its process died).
const STALE_AFTER: chrono::Duration = chrono::Duration::minutes(2);
/// How long an import of a file waits for another request importing the same file.
const SAME_FILE_WAIT: std::time::Duration = std::time::Duration::from_mins(5);
/// Line items deleted per transaction when a staged import is discarded.
const DISCARD_BATCH: u64 = 5000;

/// Imports a FOCUS file into `params.client_id`'s costs. Returns the import and whether this
/// call added it (`false`: the same file was imported before, and nothing changed).
///
/// Atomic: either every valid line and its rollups count, or nothing does. The lines are
/// staged in short transactions (so that a large file never holds `SQLite`'s write lock for
/// long), then published with their rollups in one short transaction; a failed or cancelled
/// import discards what it staged. With [`OnRowError::Reject`] (the default) any refused row
/// refuses the file.
pub async fn import_focus(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    params: &CostImportParams,
    file: &SpooledFile,
) -> Result<(gmac_types::CostImport, bool)> {
    let target = Target::Client(params.client_id.clone());
    actor.require_on(Permission::CostsManage, &target)?;
    clients::find(&core.db, &params.client_id).await?;
    let file_name = file
        .file_name
        .clone()
        .or_else(|| params.file_name.clone())
        .map(|n| n.chars().take(255).collect::<String>());
    let staged = match begin_import(core, actor, params, file, file_name.clone()).await? {
        Begun::Existing(row) => return Ok((to_dto(row, false), false)),
        Begun::Staging(row) => row,
    };
    // Whatever ends this import early (an error, or the request being dropped) discards it.
    let guard = Discard {
        core: core.clone(),
        import_id: Some(staged.id.clone()),
    };
    // Boxed: the staging and publishing state is large, and every caller awaits it.
    match Box::pin(stage_and_publish(core, actor, meta, params, file, staged)).await {
        Ok(row) => {
            guard.disarm();
            // Budgets are checked again by the `budgets` consumer of `cost_import.created`.
            Ok((to_dto(row, true), true))
        }
        Err(err) => {
            if let Some(id) = guard.import_id.as_deref()
                && let Err(discard_err) = discard(core, id).await
            {
                tracing::warn!(error = %discard_err, import = id, "discarding a failed import");
            }
            guard.disarm();
            Err(err)
        }
    }
}

/// How an import begins.
enum Begun {
    /// The same file was imported before: its import is the answer.
    Existing(cost_import::Model),
    /// A new import, staging.
    Staging(cost_import::Model),
}

/// Finds the same file's import or registers a new staging one. A file another request is
/// importing right now is waited for, and its import answered.
async fn begin_import(
    core: &Core,
    actor: &Actor,
    params: &CostImportParams,
    file: &SpooledFile,
    file_name: Option<String>,
) -> Result<Begun> {
    let waited = std::time::Instant::now();
    loop {
        let now = core.now();
        let txn = db::begin_write(&core.db).await?;
        if let Some(existing) = same_file(&txn, &params.client_id, &file.sha256).await? {
            drop(txn);
            if existing.state == PUBLISHED {
                return Ok(Begun::Existing(existing));
            }
            if existing.state == DELETING {
                // Its lines go when its job runs; until then the same file cannot come back.
                return Err(Error::conflict(
                    ErrorCode::Conflict,
                    "This file's earlier import is being deleted; import it again once that \
                     job has finished.",
                ));
            }
            if existing
                .heartbeat_at
                .is_none_or(|at| now - at > STALE_AFTER)
            {
                discard(core, &existing.id).await?;
            } else if waited.elapsed() > SAME_FILE_WAIT {
                return Err(Error::conflict(
                    ErrorCode::Conflict,
                    "Another request is still importing this file; try again later.",
                ));
            } else {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            continue;
        }
        let row = cost_import::Model {
            id: core.new_id(),
            client_id: params.client_id.clone(),
            file_name: file_name.clone(),
            sha256: file.sha256.clone(),
            focus_version: String::new(),
            rows_imported: 0,
            rows_rejected: 0,
            errors: "[]".to_owned(),
            billed_cost_total_whole: 0,
            billed_cost_total_frac: 0,
            effective_cost_total_whole: 0,
            effective_cost_total_frac: 0,
            currency: String::new(),
            first_day: None,
            last_day: None,
            created_by: Some(actor.user_id.clone()),
            created_at: now,
            state: STAGING.to_owned(),
            heartbeat_at: Some(now),
            replaced: "[]".to_owned(),
        };
        let inserted = cost_import::Entity::insert(cost_import::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await;
        match inserted {
            Ok(_) => {
                txn.commit().await?;
                return Ok(Begun::Staging(row));
            }
            // The same file, registered at the same moment by another request (PostgreSQL
            // lets both look before either writes): look again, and wait for it.
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {}
            Err(err) => return Err(err.into()),
        }
    }
}

/// Writes the file's lines into the staging import, then publishes it with its rollups.
async fn stage_and_publish(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    params: &CostImportParams,
    file: &SpooledFile,
    staged: cost_import::Model,
) -> Result<cost_import::Model> {
    let strict = params.on_error == OnRowError::Reject;
    let started = std::time::Instant::now();
    let ids = (staged.id.as_str(), params.client_id.as_str());
    let mut tally = write_lines(core, file, ids, strict, &core.import_limits).await?;
    let lines_ms = started.elapsed().as_millis();
    if tally.rejected > 0 && strict {
        return Err(refusal(&tally.errors, tally.rejected));
    }
    if tally.imported == 0 {
        return Err(nothing_imported(&tally));
    }

    let txn = Change::begin(core).await?;
    // Published once: a sweeper that took it for abandoned has removed it.
    let claimed = cost_import::Entity::update_many()
        .col_expr(cost_import::Column::State, Expr::value(PUBLISHED))
        .filter(cost_import::Column::Id.eq(&staged.id))
        .filter(cost_import::Column::State.eq(STAGING))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "The import was taken for abandoned and discarded; import the file again.",
        ));
    }
    let (replaced, restated_days) =
        retract_restated(&txn, &mut tally, &params.client_id, &staged.id).await?;
    append(&txn, &mut tally, &params.client_id, lines_ms, restated_days).await?;

    let (currency, billed, effective) = tally.main_currency();
    let [billed_columns, effective_columns] = file_totals(billed, effective)?;
    let row = cost_import::Model {
        focus_version: tally.version.to_owned(),
        rows_imported: i64::try_from(tally.imported).unwrap_or(i64::MAX),
        rows_rejected: i64::try_from(tally.rejected).unwrap_or(i64::MAX),
        errors: serde_json::to_string(&tally.errors).map_err(anyhow::Error::from)?,
        billed_cost_total_whole: billed_columns.0,
        billed_cost_total_frac: billed_columns.1,
        effective_cost_total_whole: effective_columns.0,
        effective_cost_total_frac: effective_columns.1,
        currency,
        first_day: tally.first_day.map(|d| d.to_string()),
        last_day: tally.last_day.map(|d| d.to_string()),
        state: PUBLISHED.to_owned(),
        heartbeat_at: None,
        replaced: serde_json::to_string(&replaced).map_err(anyhow::Error::from)?,
        ..staged
    };
    // Every column is written: an active model made from a model would update nothing.
    cost_import::Entity::update(cost_import::ActiveModel::from(row.clone()).reset_all())
        .exec(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "cost_import.create")
        .target("cost_import", row.id.clone())
        .scope(&Target::Client(params.client_id.clone()))
        .details(serde_json::json!({
            "file_name": row.file_name,
            "sha256": row.sha256,
            "rows_imported": row.rows_imported,
            "rows_rejected": row.rows_rejected,
            "billed_cost_total": money::from_units(billed).to_string(),
            "replaced": replaced,
        }));
    txn.commit(core, meta, entry).await?;
    Ok(row)
}

/// Takes out the lines of earlier published imports that this one restates: for each billing
/// account and billing period its lines declare, the lines other imports hold for them. Their
/// rollups are taken back (into `tally`), they are deleted, and their imports' totals follow.
/// Answers what was replaced, and the days the replaced lines covered.
async fn retract_restated(
    txn: &impl ConnectionTrait,
    tally: &mut Tally,
    client_id: &str,
    import_id: &str,
) -> Result<(
    Vec<gmac_types::ReplacedPeriod>,
    Option<(NaiveDate, NaiveDate)>,
)> {
    use cost_line_item::Column as L;
    // (account, period, import, currency) -> (lines, billed)
    let mut replaced: BTreeMap<(String, NaiveDate, String, String), (u64, i128)> = BTreeMap::new();
    let mut days: Option<(NaiveDate, NaiveDate)> = None;
    if tally.periods.is_empty() {
        return Ok((Vec::new(), None));
    }
    // The client's other published imports. With none (a first import), nothing is restated
    // and no line is read: the lines are looked up by import, never by scanning the new one's.
    let others = other_published(txn, client_id, import_id).await?;
    if others.is_empty() {
        return Ok((Vec::new(), None));
    }
    let periods: Vec<(String, NaiveDate)> = tally.periods.iter().cloned().collect();
    for (account, period) in periods {
        let period_text = period.to_string();
        let earlier = || {
            Condition::all()
                .add(L::ImportId.is_in(others.iter().cloned()))
                .add(L::ClientId.eq(client_id))
                .add(L::BillingAccountId.eq(&account))
                .add(L::BillingPeriodStart.eq(&period_text))
        };
        // A page at a time, so that memory stays flat however many lines are replaced.
        let mut after: Option<(String, i64)> = None;
        loop {
            let mut select = cost_line_item::Entity::find().filter(earlier());
            if let Some((last_import, last_line)) = &after {
                select = select.filter(
                    Condition::any().add(L::ImportId.gt(last_import)).add(
                        Condition::all()
                            .add(L::ImportId.eq(last_import))
                            .add(L::LineNo.gt(*last_line)),
                    ),
                );
            }
            let rows = select
                .order_by_asc(L::ImportId)
                .order_by_asc(L::LineNo)
                .limit(DISCARD_BATCH)
                .all(txn)
                .await?;
            let Some(last) = rows.last() else {
                break;
            };
            after = Some((last.import_id.clone(), last.line_no));
            for item in &rows {
                let line = line_of(item);
                tally.uncount(client_id, &line);
                days = Some(days.map_or((line.day, line.day), |(from, to)| {
                    (Ord::min(from, line.day), Ord::max(to, line.day))
                }));
                let entry = replaced
                    .entry((
                        account.clone(),
                        period,
                        item.import_id.clone(),
                        item.currency.clone(),
                    ))
                    .or_default();
                entry.0 += 1;
                entry.1 += line.billed;
            }
        }
        cost_line_item::Entity::delete_many()
            .filter(earlier())
            .exec(txn)
            .await?;
    }
    let imports: BTreeSet<&String> = replaced.keys().map(|(_, _, import, _)| import).collect();
    let mut names = HashMap::new();
    for id in imports {
        refresh_import_totals(txn, id).await?;
        if let Some(row) = cost_import::Entity::find_by_id(id.as_str())
            .one(txn)
            .await?
        {
            names.insert(id.clone(), row.file_name);
        }
    }
    let replaced = replaced
        .into_iter()
        .map(
            |((account, period, import, currency), (rows, billed))| gmac_types::ReplacedPeriod {
                billing_account_id: account,
                billing_period_start: period,
                file_name: names.get(&import).cloned().flatten(),
                import_id: import,
                rows,
                billed_cost: money::from_units(billed),
                currency,
            },
        )
        .collect();
    Ok((replaced, days))
}

/// The ids of the client's published imports other than `import_id`.
async fn other_published(
    txn: &impl ConnectionTrait,
    client_id: &str,
    import_id: &str,
) -> Result<Vec<String>> {
    Ok(cost_import::Entity::find()
        .select_only()
        .column(cost_import::Column::Id)
        .filter(cost_import::Column::ClientId.eq(client_id))
        .filter(cost_import::Column::State.eq(PUBLISHED))
        .filter(cost_import::Column::Id.ne(import_id))
        .into_tuple()
        .all(txn)
        .await?)
}

/// Deletes a client's rollup rows that no longer count a line.
pub(crate) async fn drop_empty_rollups(txn: &impl ConnectionTrait, client_id: &str) -> Result<()> {
    cost_daily::Entity::delete_many()
        .filter(cost_daily::Column::ClientId.eq(client_id))
        .filter(cost_daily::Column::LineCount.lte(0))
        .exec(txn)
        .await?;
    cost_summary::Entity::delete_many()
        .filter(cost_summary::Column::ClientId.eq(client_id))
        .filter(cost_summary::Column::LineCount.lte(0))
        .exec(txn)
        .await?;
    Ok(())
}

/// Discards a staging import when dropped armed: the request that ran it was cancelled.
struct Discard {
    core: Core,
    import_id: Option<String>,
}

impl Discard {
    fn disarm(mut self) {
        self.import_id = None;
    }
}

impl Drop for Discard {
    fn drop(&mut self) {
        let Some(id) = self.import_id.take() else {
            return;
        };
        let core = self.core.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(err) = discard(&core, &id).await {
                    tracing::warn!(error = %err, import = id, "discarding a cancelled import");
                }
            });
        }
    }
}

/// Deletes a published import: it disappears from the list at once, and a job takes its lines
/// out of the rollups and the allocations of their days and deletes them (an import sent to
/// the wrong client is undone). Needs `costs.manage` on the client; audited. Answers the job.
pub async fn delete_import(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    import_id: &str,
) -> Result<gmac_types::Job> {
    actor.ensure_enrolled()?;
    let row = cost_import::Entity::find_by_id(import_id)
        .filter(cost_import::Column::State.is_in([PUBLISHED, DELETING]))
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    let target = Target::Client(row.client_id.clone());
    actor.require_on(Permission::CostsManage, &target)?;
    let txn = Change::begin(core).await?;
    if row.state == DELETING {
        // Asked again: its job is waiting or running (409), or it gave up, and another is
        // queued.
        let live = crate::entities::job::Entity::find()
            .filter(
                crate::entities::job::Column::Kind
                    .eq(crate::platform::job_kinds::COST_IMPORT_DELETE),
            )
            .filter(crate::entities::job::Column::ClientId.eq(&row.client_id))
            .filter(crate::entities::job::Column::Status.is_in([
                gmac_types::JobStatus::Queued.as_str(),
                gmac_types::JobStatus::Running.as_str(),
            ]))
            .count(&txn)
            .await?;
        if live > 0 {
            return Err(Error::conflict(
                ErrorCode::Conflict,
                "This import is being deleted already.",
            ));
        }
    } else {
        let claimed = cost_import::Entity::update_many()
            .col_expr(cost_import::Column::State, Expr::value(DELETING))
            .filter(cost_import::Column::Id.eq(import_id))
            .filter(cost_import::Column::State.eq(PUBLISHED))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(Error::NotFound);
        }
    }
    let mut new = crate::platform::jobs::NewJob::new(
        crate::platform::job_kinds::COST_IMPORT_DELETE,
        serde_json::json!({ "import_id": import_id, "client_id": row.client_id }),
    );
    new.client_id = Some(row.client_id.clone());
    new.max_attempts = 5;
    let (job, _) = crate::platform::jobs::enqueue(&txn, core, Some(actor), new).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "cost_import.delete")
        .target("cost_import", import_id.to_owned())
        .scope(&target)
        .details(serde_json::json!({
            "before": {
                "file_name": row.file_name,
                "sha256": row.sha256,
                "rows_imported": row.rows_imported,
                "first_day": row.first_day,
                "last_day": row.last_day,
            },
            "job_id": job.id,
        }));
    txn.commit(core, meta, entry).await?;
    crate::platform::jobs::to_dto(job)
}

/// The handler of [`crate::platform::job_kinds::COST_IMPORT_DELETE`] jobs: in one write
/// transaction, takes a deleted import's lines out of the rollups, deletes them and the
/// import, and recomputes the resource months and allocations of their days.
pub fn delete_import_handler() -> crate::platform::worker::Handler {
    crate::platform::worker::handler(|ctx| async move {
        #[derive(serde::Deserialize)]
        struct Input {
            import_id: String,
            client_id: String,
        }
        let input: Input = ctx.payload()?;
        let _ = ctx
            .log("taking the import's lines out of the rollups")
            .await;
        let txn = db::begin_write(&ctx.core.db).await?;
        let mut tally = Tally::default();
        let mut days: Option<(NaiveDate, NaiveDate)> = None;
        let mut after: i64 = -1;
        let mut lines = 0_u64;
        loop {
            let rows = cost_line_item::Entity::find()
                .filter(cost_line_item::Column::ImportId.eq(&input.import_id))
                .filter(cost_line_item::Column::LineNo.gt(after))
                .order_by_asc(cost_line_item::Column::LineNo)
                .limit(DISCARD_BATCH)
                .all(&txn)
                .await?;
            let Some(last) = rows.last() else {
                break;
            };
            after = last.line_no;
            for item in &rows {
                let line = line_of(item);
                tally.uncount(&input.client_id, &line);
                days = Some(days.map_or((line.day, line.day), |(from, to)| {
                    (Ord::min(from, line.day), Ord::max(to, line.day))
                }));
                lines += 1;
            }
        }
        cost_line_item::Entity::delete_many()
            .filter(cost_line_item::Column::ImportId.eq(&input.import_id))
            .exec(&txn)
            .await?;
        cost_import::Entity::delete_many()
            .filter(cost_import::Column::Id.eq(&input.import_id))
            .filter(cost_import::Column::State.eq(DELETING))
            .exec(&txn)
            .await?;
        // No new lines: `append` writes the negative deltas, drops the rollups left empty, and
        // recomputes the resource months and allocations of the days.
        append(&txn, &mut tally, &input.client_id, 0, days).await?;
        crate::platform::events::append(
            &txn,
            ctx.core.now(),
            crate::platform::events::NewEvent {
                event_type: "cost_import.deleted".to_owned(),
                target: Target::Client(input.client_id.clone()),
                subject: Some(("cost_import".to_owned(), input.import_id.clone())),
                actor_id: ctx.job.created_by.clone(),
                data: serde_json::json!({ "lines": lines }),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(serde_json::json!({ "import_id": input.import_id, "lines": lines }))
    })
}

/// Removes a staging import and its lines, a batch of lines per short transaction. A
/// published import is never touched.
pub async fn discard(core: &Core, import_id: &str) -> Result<()> {
    loop {
        let txn = db::begin_write(&core.db).await?;
        let batch = sea_orm::sea_query::Query::select()
            .column(cost_line_item::Column::LineNo)
            .from(cost_line_item::Entity)
            .and_where(cost_line_item::Column::ImportId.eq(import_id))
            .limit(DISCARD_BATCH)
            .to_owned();
        let staging = sea_orm::sea_query::Query::select()
            .column(cost_import::Column::Id)
            .from(cost_import::Entity)
            .and_where(cost_import::Column::Id.eq(import_id))
            .and_where(cost_import::Column::State.eq(STAGING))
            .to_owned();
        let deleted = cost_line_item::Entity::delete_many()
            .filter(cost_line_item::Column::ImportId.in_subquery(staging))
            .filter(cost_line_item::Column::LineNo.in_subquery(batch))
            .filter(cost_line_item::Column::ImportId.eq(import_id))
            .exec(&txn)
            .await?;
        if deleted.rows_affected == 0 {
            cost_import::Entity::delete_many()
                .filter(cost_import::Column::Id.eq(import_id))
                .filter(cost_import::Column::State.eq(STAGING))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            return Ok(());
        }
        txn.commit().await?;
    }
}

/// Discards the unfinished (staging) import of this file for this client, whoever started it:
/// for a job that took over from a worker that died mid-import, whose staging import would
/// otherwise look alive for a while.
pub async fn discard_unfinished(core: &Core, client_id: &str, sha256: &str) -> Result<()> {
    match same_file(&core.db, client_id, sha256).await? {
        Some(row) if row.state == STAGING => discard(core, &row.id).await,
        _ => Ok(()),
    }
}

/// Discards the staging imports that stopped writing a while ago: a process importing them
/// died (a live import writes a batch every fraction of a second).
pub async fn discard_abandoned(core: &Core) -> Result<usize> {
    let abandoned = cost_import::Entity::find()
        .filter(cost_import::Column::State.eq(STAGING))
        .filter(
            Condition::any()
                .add(cost_import::Column::HeartbeatAt.is_null())
                .add(cost_import::Column::HeartbeatAt.lt(core.now() - STALE_AFTER)),
        )
        .all(&core.db)
        .await?;
    for row in &abandoned {
        discard(core, &row.id).await?;
    }
    Ok(abandoned.len())
}

/// The stored columns of a file's billed and effective totals.
fn file_totals(billed: i128, effective: i128) -> Result<[(i64, i64); 2]> {
    let what = || "the file's total".to_owned();
    Ok([stored(billed, what)?, stored(effective, what)?])
}

/// The ledger's one pipeline, once lines are stored (by a FOCUS import or a Cost Explorer
/// sync) and the lines they replace removed: adds the tally's sums to the rollups, drops the
/// rollups that no longer count anything, refreshes the resource months and re-allocates the
/// days touched (`replaced_days`: those of the removed lines), logging how long each phase took.
pub(crate) async fn append(
    txn: &impl ConnectionTrait,
    tally: &mut Tally,
    client_id: &str,
    lines_ms: u128,
    replaced_days: Option<(NaiveDate, NaiveDate)>,
) -> Result<()> {
    let started = std::time::Instant::now();
    write_rollups(txn, std::mem::take(&mut tally.rollups)).await?;
    if replaced_days.is_some() {
        // Removed lines may leave rollups that count nothing.
        drop_empty_rollups(txn, client_id).await?;
    }
    // The days of the new lines, and of the lines they replaced.
    let range = match ((tally.first_day, tally.last_day), replaced_days) {
        ((Some(first), Some(last)), Some((from, to))) => {
            Some((Ord::min(first, from), Ord::max(last, to)))
        }
        ((Some(first), Some(last)), None) => Some((first, last)),
        (_, restated) => restated,
    };
    let daily_ms = started.elapsed().as_millis();
    if let Some(range) = range {
        refresh_resource_months(txn, client_id, range).await?;
    }
    let rollups_ms = started.elapsed().as_millis();
    let started = std::time::Instant::now();
    if let Some(range) = range {
        crate::services::allocation::reallocate(txn, client_id, Some(range)).await?;
    }
    tracing::info!(
        rows = tally.imported,
        lines_ms,
        daily_ms,
        rollups_ms,
        allocation_ms = started.elapsed().as_millis(),
        "cost lines added to the ledger"
    );
    Ok(())
}

/// Reads the file on one blocking thread and writes its valid lines on another (on SQLite) or
/// from a task of their own (`COPY` on PostgreSQL), answering the tally. Dropping the future
/// (a request given up) stops reader and writer at their next batch.
async fn write_lines(
    core: &Core,
    file: &SpooledFile,
    (import_id, client_id): (&str, &str),
    strict: bool,
    limits: &crate::ImportLimits,
) -> Result<Tally> {
    /// Sets the flag when dropped.
    struct StopOnDrop(Arc<AtomicBool>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let max_field = usize::try_from(limits.max_field_bytes).unwrap_or(usize::MAX);
    let path = file.path.clone();
    let progress = file.progress.clone();
    let client = client_id.to_owned();
    let stop = StopOnDrop(Arc::default());
    let flag = stop.0.clone();
    // A writer that stops drops its end of the channel, which stops the reader in turn.
    let (reader, written) = if core.db.get_database_backend() == DbBackend::Postgres {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let ids = (import_id.to_owned(), client_id.to_owned());
        let reader = tokio::task::spawn_blocking(move || {
            read_file(&path, max_field, (&client, strict), &progress, |batch| {
                let data = cost_lines::copy_data(&ids.0, &ids.1, batch);
                tx.blocking_send(data).is_ok()
            })
        });
        let writer = tokio::spawn({
            let (core, import_id) = (core.clone(), import_id.to_owned());
            async move { cost_lines::copy(&core, &import_id, rx, &flag).await }
        });
        (reader, writer.await)
    } else {
        let conn = core.db.get_sqlite_connection_pool().acquire().await?;
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        let lines = cost_lines::SqliteLines {
            import_id: import_id.to_owned(),
            client_id: client_id.to_owned(),
            clock: core.clock.clone(),
            turns: crate::db::write_turns(&core.db),
        };
        let writer = tokio::task::spawn_blocking(move || lines.write(conn, &rx, &flag));
        let reader = tokio::task::spawn_blocking(move || {
            read_file(&path, max_field, (&client, strict), &progress, |batch| {
                tx.send(batch).is_ok()
            })
        });
        (reader, writer.await)
    };
    let read = reader.await.map_err(anyhow::Error::from)?;
    let written = written.map_err(anyhow::Error::from)?;
    read.map_err(|reason| unreadable(&reason))
        .and_then(|tally| written.map(|()| tally))
}

/// Adds an import's sums to the daily rollups.
pub(crate) async fn write_rollups(
    conn: &impl ConnectionTrait,
    mut rollups: foldhash::HashMap<(NaiveDate, [u8; 16]), Rollup>,
) -> Result<()> {
    const DIMENSIONS: [&str; 13] = [
        "client_id",
        "day",
        "dims_key",
        "currency",
        "provider_name",
        "billing_account_id",
        "sub_account_id",
        "service_name",
        "service_category",
        "region_id",
        "resource_id",
        "charge_category",
        "tags",
    ];
    write_summary(conn, &rollups).await?;
    let mut rows = RowsAdder::new(conn, "cost_daily", &DIMENSIONS, &DIMENSIONS[..3]);
    // In the order of the table's key (day, then the key's hex, which sorts as its bytes): the
    // rows land in neighbouring pages instead of all over the table, which on a large import
    // is most of the time the write lock is held. Only the keys are sorted, and each row is
    // taken out of the map as it is sent, so the rollups are never held twice.
    let mut keys: Vec<(NaiveDate, [u8; 16])> = rollups.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let Some(rollup) = rollups.remove(&key) else {
            continue;
        };
        let r = rollup.into_row()?;
        let sums = [
            (r.billed_cost_whole, r.billed_cost_frac),
            (r.effective_cost_whole, r.effective_cost_frac),
            (r.list_cost_whole, r.list_cost_frac),
        ];
        let dimensions = [
            r.client_id,
            r.day,
            r.dims_key,
            r.currency,
            r.provider_name,
            r.billing_account_id,
            r.sub_account_id,
            r.service_name,
            r.service_category,
            r.region_id,
            r.resource_id,
            r.charge_category,
            r.tags,
        ];
        rows.push(dimensions, sums, r.line_count).await?;
    }
    rows.finish().await
}

/// Adds rows to a rollup table a thousand at a time: `INSERT ... ON CONFLICT DO UPDATE` that
/// adds the three costs (whole parts and fractions separately, carrying whole units out of
/// the fraction so that it stays below 10¹¹; both fractions are non-negative, so integer
/// division is floor division) and the line count to the stored row's. The statement's text
/// is built once, so the driver prepares it once, and rows are converted as they are sent
/// rather than all at once (a large import's rollups held twice were most of its peak memory).
struct RowsAdder<'c, C> {
    conn: &'c C,
    table: &'static str,
    /// The columns a row is told apart by, before the sums.
    dimensions: &'static [&'static str],
    /// Those that identify a stored row.
    keys: &'static [&'static str],
    full: Option<String>,
    values: Vec<sea_orm::Value>,
}

/// The columns every rollup table sums, after its dimensions.
const SUM_COLUMNS: [&str; 7] = [
    "billed_cost_whole",
    "billed_cost_frac",
    "effective_cost_whole",
    "effective_cost_frac",
    "list_cost_whole",
    "list_cost_frac",
    "line_count",
];

/// Rows per statement: 20,000 values at most, within both backends' limits.
const ROWS_PER_UPSERT: usize = 1000;

impl<'c, C: ConnectionTrait> RowsAdder<'c, C> {
    fn new(
        conn: &'c C,
        table: &'static str,
        dimensions: &'static [&'static str],
        keys: &'static [&'static str],
    ) -> Self {
        Self {
            conn,
            table,
            dimensions,
            keys,
            full: None,
            values: Vec::new(),
        }
    }

    fn width(&self) -> usize {
        self.dimensions.len() + SUM_COLUMNS.len()
    }

    /// Adds a row: its dimensions in order, the stored columns of its billed, effective and
    /// list costs, and its line count.
    async fn push<const N: usize>(
        &mut self,
        dimensions: [impl Into<sea_orm::Value>; N],
        sums: [(i64, i64); 3],
        line_count: i64,
    ) -> Result<()> {
        debug_assert_eq!(N, self.dimensions.len());
        if self.values.is_empty() {
            self.values.reserve(ROWS_PER_UPSERT * self.width());
        }
        self.values.extend(dimensions.map(Into::into));
        for (whole, frac) in sums {
            self.values.extend([whole.into(), frac.into()]);
        }
        self.values.push(line_count.into());
        if self.values.len() == ROWS_PER_UPSERT * self.width() {
            self.flush().await?;
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<()> {
        if !self.values.is_empty() {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        let rows = self.values.len() / self.width();
        let backend = self.conn.get_database_backend();
        let text = || add_rows_sql(backend, self.table, self.dimensions, self.keys, rows);
        let sql = if rows == ROWS_PER_UPSERT {
            self.full.get_or_insert_with(text).clone()
        } else {
            text()
        };
        let values = std::mem::take(&mut self.values);
        self.conn
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                backend, sql, values,
            ))
            .await?;
        Ok(())
    }
}

/// The text of [`RowsAdder`]'s statement for `rows` rows.
fn add_rows_sql(
    backend: DbBackend,
    table: &str,
    dimensions: &[&str],
    keys: &[&str],
    rows: usize,
) -> String {
    use std::fmt::Write as _;
    let columns = [dimensions, &SUM_COLUMNS[..]].concat();
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns.len() {
            if column > 0 {
                sql.push_str(", ");
            }
            n += 1;
            if backend == DbBackend::Postgres {
                let _ = write!(sql, "${n}");
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    let mut sets = Vec::new();
    for column in ["billed_cost", "effective_cost", "list_cost"] {
        let frac = format!("({table}.{column}_frac + excluded.{column}_frac)");
        let one = money::ONE;
        sets.push(format!(
            "{column}_whole = {table}.{column}_whole + excluded.{column}_whole + {frac} / {one}"
        ));
        sets.push(format!("{column}_frac = {frac} % {one}"));
    }
    sets.push(format!(
        "line_count = {table}.line_count + excluded.line_count"
    ));
    let _ = write!(
        sql,
        " ON CONFLICT ({}) DO UPDATE SET {}",
        keys.join(", "),
        sets.join(", ")
    );
    sql
}

/// Adds the same deltas to the coarse rollup.
async fn write_summary(
    conn: &impl ConnectionTrait,
    rollups: &foldhash::HashMap<(NaiveDate, [u8; 16]), Rollup>,
) -> Result<()> {
    const KEYS: [&str; 8] = [
        "client_id",
        "day",
        "currency",
        "provider_name",
        "sub_account_id",
        "service_name",
        "charge_category",
        "region_id",
    ];
    let mut coarse: HashMap<[&str; 8], ([i128; 3], i64)> = HashMap::new();
    for r in rollups.values() {
        let row = &r.row;
        let sums = coarse
            .entry([
                &row.client_id,
                &row.day,
                &row.currency,
                &row.provider_name,
                &row.sub_account_id,
                &row.service_name,
                &row.charge_category,
                &row.region_id,
            ])
            .or_default();
        for (sum, units) in sums.0.iter_mut().zip(r.sums) {
            *sum += units;
        }
        sums.1 += row.line_count;
    }
    let mut rows = RowsAdder::new(conn, "cost_summary", &KEYS, &KEYS);
    // In the order of the table's key, as the fine rows are.
    let mut coarse: Vec<_> = coarse.into_iter().collect();
    coarse.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (k, (v, line_count)) in coarse {
        let what = || format!("the costs of {} on {}", k[5], k[1]);
        let sums = [
            stored(v[0], what)?,
            stored(v[1], what)?,
            stored(v[2], what)?,
        ];
        rows.push(k, sums, line_count).await?;
    }
    rows.finish().await?;
    Ok(())
}

/// The imports of the clients whose costs the actor may see, newest first.
pub async fn list_imports(
    core: &Core,
    actor: &Actor,
    client_id: Option<&str>,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<gmac_types::CostImport>> {
    actor.ensure_enrolled()?;
    let mut select = cost_import::Entity::find().filter(cost_import::Column::State.eq(PUBLISHED));
    if let Some(id) = client_id {
        actor.require_on(Permission::CostsView, &Target::Client(id.to_owned()))?;
        select = select.filter(cost_import::Column::ClientId.eq(id));
    }
    if let Some(ids) = actor
        .permissions
        .visible(Permission::CostsView)
        .whole_client_ids()
    {
        select = select.filter(cost_import::Column::ClientId.is_in(ids));
    }
    let (rows, next_cursor, total) = crate::platform::paging::page_by_id(
        core,
        select,
        cost_import::Column::Id,
        crate::platform::paging::Direction::Desc,
        page,
        |r| r.id.clone(),
    )
    .await?;
    Ok(gmac_types::Page {
        items: rows.into_iter().map(|r| to_dto(r, true)).collect(),
        next_cursor,
        total,
    })
}

/// What a cost report groups by.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Grouping {
    /// A column both cost tables have, or only the rollups have.
    Column(&'static str),
    Month,
    Tag(String),
    User,
    Team,
}

impl Grouping {
    /// The grouping's SQL expression.
    fn sql(&self, backend: sea_orm::DbBackend) -> String {
        match self {
            Grouping::Column(name) => (*name).to_owned(),
            Grouping::Month => "substr(day, 1, 7)".to_owned(),
            Grouping::Tag(key) => tag_sql(backend, key),
            Grouping::User => "user_id".to_owned(),
            Grouping::Team => "team_id".to_owned(),
        }
    }

    fn is_by_date(&self) -> bool {
        matches!(self, Grouping::Column("day") | Grouping::Month)
    }

    /// Whether the coarse rollup (no resources, no tags) has the column.
    fn summarized(&self) -> bool {
        matches!(
            self,
            Grouping::Column(
                "day"
                    | "service_name"
                    | "client_id"
                    | "sub_account_id"
                    | "region_id"
                    | "provider_name"
                    | "charge_category"
            ) | Grouping::Month
        )
    }

    /// Whether the allocated costs can be grouped this way.
    fn allocated(&self) -> bool {
        matches!(
            self,
            Grouping::Column("day" | "service_name" | "client_id")
                | Grouping::Month
                | Grouping::User
                | Grouping::Team
        )
    }
}

fn grouping(raw: &str) -> Result<Grouping> {
    grouping_of("group_by", raw)
}

/// The grouping `raw` names, or 422 on `field`.
fn grouping_of(field: &str, raw: &str) -> Result<Grouping> {
    Ok(match raw {
        "day" => Grouping::Column("day"),
        "month" => Grouping::Month,
        "service" => Grouping::Column("service_name"),
        "service_category" => Grouping::Column("service_category"),
        "account" => Grouping::Column("sub_account_id"),
        "billing_account" => Grouping::Column("billing_account_id"),
        "region" => Grouping::Column("region_id"),
        "provider" => Grouping::Column("provider_name"),
        "charge_category" => Grouping::Column("charge_category"),
        "resource" => Grouping::Column("resource_id"),
        "client" => Grouping::Column("client_id"),
        "user" => Grouping::User,
        "team" => Grouping::Team,
        other => match other.strip_prefix("tag:") {
            Some(key) if is_tag_key(key.trim()) => Grouping::Tag(key.trim().to_owned()),
            _ => {
                return Err(Error::Validation(vec![FieldError::new(
                    field,
                    &format!("invalid_{field}"),
                    "Group by day, month, service, service_category, account, billing_account, \
                     region, provider, charge_category, resource, client, user, team or tag:KEY \
                     (a tag key of letters, digits, spaces and _.:/=+-@).",
                )]));
            }
        },
    })
}

/// A checked query: its grouping (and stacking), whether it reads the allocated costs, and its
/// tag filter.
struct Checked {
    group: Option<Grouping>,
    stack: Option<Grouping>,
    allocated: bool,
    tag: Option<(String, String)>,
}

/// Checks a query's stacking against its grouping: stacks split days or months.
fn check_stack(
    query: &CostQuery,
    group: Option<&Grouping>,
    errors: &mut Vec<FieldError>,
) -> Result<Option<Grouping>> {
    let mut stack = None;
    match query
        .stack_by
        .as_deref()
        .map(|raw| grouping_of("stack_by", raw))
        .transpose()
    {
        Ok(Some(s)) if s.is_by_date() => errors.push(FieldError::new(
            "stack_by",
            "invalid_stack_by",
            "Stack by anything but day or month: the bars are already days or months.",
        )),
        Ok(s) => stack = s,
        Err(Error::Validation(mut e)) => errors.append(&mut e),
        Err(e) => return Err(e),
    }
    if stack.is_some() && !group.is_some_and(Grouping::is_by_date) {
        errors.push(FieldError::new(
            "stack_by",
            "needs_dates",
            "Stack the days or months: give group_by day or month with stack_by.",
        ));
    }
    Ok(stack)
}

/// The tag filter, `KEY=VALUE`, checked.
fn check_tag(query: &CostQuery, errors: &mut Vec<FieldError>) -> Option<(String, String)> {
    match query.tag.as_deref().map(|t| t.split_once('=')) {
        None => None,
        Some(Some((key, value)))
            if is_tag_key(key.trim())
                && !value.trim().is_empty()
                && value.chars().count() <= 256 =>
        {
            Some((key.trim().to_owned(), value.trim().to_owned()))
        }
        Some(_) => {
            errors.push(FieldError::new(
                "tag",
                "invalid_tag",
                "Give the tag as KEY=VALUE, e.g. env=prod.",
            ));
            None
        }
    }
}

/// Checks a query's range, grouping and filters.
fn check_query(query: &CostQuery) -> Result<Checked> {
    let mut errors = Vec::new();
    let tag = check_tag(query, &mut errors);
    if query.to < query.from {
        errors.push(FieldError::new(
            "to",
            "before_from",
            "`to` is before `from`.",
        ));
    }
    if [query.from, query.to]
        .iter()
        .any(|d| !(1..=9999).contains(&chrono::Datelike::year(d)))
    {
        errors.push(FieldError::new(
            "from",
            "out_of_range",
            "Give days in the years 1 to 9999.",
        ));
    }
    if (query.to - query.from).num_days() > 3660 {
        errors.push(FieldError::new(
            "to",
            "range_too_long",
            "Ask for ten years at most.",
        ));
    }
    let mut group = None;
    match query.group_by.as_deref().map(grouping).transpose() {
        Ok(g) => group = g,
        Err(Error::Validation(mut e)) => errors.append(&mut e),
        Err(e) => return Err(e),
    }
    if query.compare && group.as_ref().is_some_and(Grouping::is_by_date) {
        errors.push(FieldError::new(
            "compare",
            "not_comparable",
            "Days and months have no counterpart in the period before: compare totals, services, \
             accounts, users or teams.",
        ));
    }
    let stack = check_stack(query, group.as_ref(), &mut errors)?;
    let allocated = query.user_id.is_some()
        || query.team_id.is_some()
        || matches!(group, Some(Grouping::User | Grouping::Team))
        || matches!(stack, Some(Grouping::User | Grouping::Team));
    if allocated {
        if stack.as_ref().is_some_and(|g| !g.allocated()) {
            errors.push(FieldError::new(
                "stack_by",
                "not_allocated",
                "Costs per user or team stack by service, client, user or team.",
            ));
        }
        if group.as_ref().is_some_and(|g| !g.allocated()) {
            errors.push(FieldError::new(
                "group_by",
                "not_allocated",
                "Costs per user or team group by day, month, service, client, user or team.",
            ));
        }
        for (field, given) in [
            ("account", query.account.is_some()),
            ("tag", query.tag.is_some()),
            ("project_id", query.project_id.is_some()),
        ] {
            if given {
                errors.push(FieldError::new(
                    field,
                    "not_allocated",
                    "Costs per user or team cannot be filtered by account, tag or project.",
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(Checked {
            group,
            stack,
            allocated,
            tag,
        })
    } else {
        Err(Error::Validation(errors))
    }
}

/// Which lines a cost report may read: the clients visible as a whole (`None`: all), and the
/// `(client id, project name)` of projects visible on their own.
async fn cost_reach(
    core: &Core,
    actor: &Actor,
    client_id: Option<&String>,
    allocated: bool,
) -> Result<(
    Option<std::collections::BTreeSet<String>>,
    Vec<(String, String)>,
)> {
    // The clients the actor sees as a whole, by the same rule as every other cost view.
    let whole = visible_clients(actor, client_id)?;
    // A grant on one project reads its client's lines tagged with that project, and nothing
    // else of the client; allocated costs carry no tags, so they stay out of reach.
    let projects = if allocated || client_id.is_some() {
        Vec::new()
    } else {
        let visible = actor.permissions.visible(Permission::CostsView);
        project_tags(&core.db, &visible.project_only()).await?
    };
    Ok((whole, projects))
}

/// The `(client id, project name)` of projects visible on their own, whose lines are the
/// client's lines tagged `project=<name>`.
async fn project_tags(
    conn: &impl ConnectionTrait,
    projects: &[(String, String)],
) -> Result<Vec<(String, String)>> {
    if projects.is_empty() {
        return Ok(Vec::new());
    }
    Ok(crate::entities::project::Entity::find()
        .filter(
            crate::entities::project::Column::Id.is_in(projects.iter().map(|(id, _)| id.clone())),
        )
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.client_id, p.name))
        .collect())
}

/// The rows a query reads: its range, the clients visible as a whole and the single projects
/// visible (by their tag), and its filters.
async fn filters(
    core: &Core,
    actor: &Actor,
    query: &CostQuery,
    (visible, projects): (
        Option<std::collections::BTreeSet<String>>,
        &[(String, String)],
    ),
    tag: Option<&(String, String)>,
) -> Result<Condition> {
    let backend = core.db.get_database_backend();
    let mut condition = Condition::all()
        .add(col("day").gte(query.from.to_string()))
        .add(col("day").lte(query.to.to_string()));
    if let Some(id) = &query.project_id {
        // Another tenant's project is as unknown as one that does not exist.
        let project = crate::entities::project::Entity::find_by_id(id)
            .one(&core.db)
            .await?
            .filter(|p| {
                actor.can(
                    Permission::CostsView,
                    &Target::Project {
                        id: p.id.clone(),
                        client_id: p.client_id.clone(),
                    },
                )
            })
            .ok_or_else(|| {
                Error::Validation(vec![FieldError::new(
                    "project_id",
                    "unknown_project",
                    "There is no project with this id.",
                )])
            })?;
        condition = condition.add(col("client_id").eq(project.client_id.clone()));
        if let Some(expr) = tag_equals(backend, "project", &project.name) {
            condition = condition.add(expr);
        }
    }
    if let Some((key, value)) = tag
        && let Some(expr) = tag_equals(backend, key, value)
    {
        condition = condition.add(expr);
    }
    if let Some(ids) = visible {
        let mut reach = Condition::any().add(col("client_id").is_in(ids));
        for (client_id, name) in projects {
            if let Some(expr) = tag_equals(backend, "project", name) {
                reach = reach.add(
                    Condition::all()
                        .add(col("client_id").eq(client_id.clone()))
                        .add(expr),
                );
            }
        }
        condition = condition.add(reach);
    }
    if let Some(service) = &query.service {
        condition = condition.add(col("service_name").eq(service.clone()));
    }
    if let Some(account) = &query.account {
        condition = condition.add(col("sub_account_id").eq(account.clone()));
    }
    if let Some(user) = &query.user_id {
        condition = condition.add(col("user_id").eq(user.clone()));
    }
    if let Some(team) = &query.team_id {
        condition = condition.add(col("team_id").eq(team.clone()));
    }
    Ok(condition)
}

/// The period a comparison reads: the same calendar months before a range of whole months
/// (September → August), the same days of the month before for a month so far (1–3 December →
/// 1–3 November, the days clamped to that month's end), else the same number of days just
/// before.
pub fn previous_period(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    use chrono::Datelike;
    let whole_months = from.day() == 1 && to.succ_opt().is_some_and(|d| d.day() == 1);
    let month_so_far =
        from.day() == 1 && !whole_months && (from.year(), from.month()) == (to.year(), to.month());
    if month_so_far
        && let (Some(start), Some(end)) = (
            from.checked_sub_months(chrono::Months::new(1)),
            to.checked_sub_months(chrono::Months::new(1)),
        )
    {
        return (start, end);
    }
    if whole_months {
        let months = (to.year() - from.year()) * 12 + i32::try_from(to.month()).unwrap_or(1)
            - i32::try_from(from.month()).unwrap_or(1)
            + 1;
        if let Some(start) =
            from.checked_sub_months(chrono::Months::new(u32::try_from(months).unwrap_or(1)))
        {
            return (start, from - chrono::Duration::days(1));
        }
    }
    let days = (to - from).num_days() + 1;
    (
        from - chrono::Duration::days(days),
        from - chrono::Duration::days(1),
    )
}

/// Sums costs from the daily rollups, or from the allocated costs when the query is about
/// users or teams; with `compare`, also over the period before, per group.
pub async fn query_costs(core: &Core, actor: &Actor, query: &CostQuery) -> Result<CostReport> {
    let mut report = sum_report(core, actor, query).await?;
    if !query.compare {
        return Ok(report);
    }
    // Like with like: the range up to its last day with costs (a day not imported yet is not
    // a day that cost nothing), against as many days before.
    let through = last_day_with_costs(core, actor, query, &report)
        .await?
        .unwrap_or(query.to);
    let (from, to) = previous_period(query.from, through);
    report.compared = Some(gmac_types::Comparison {
        from: query.from,
        to: through,
        previous_from: from,
        previous_to: to,
    });
    let before = CostQuery {
        from,
        to,
        currency: Some(report.currency.clone()),
        compare: false,
        ..query.clone()
    };
    let previous = sum_report(core, actor, &before).await?;
    let earlier: HashMap<String, rust_decimal::Decimal> = previous
        .groups
        .into_iter()
        .map(|g| (g.key, g.amount))
        .collect();
    for group in &mut report.groups {
        group.previous = Some(earlier.get(&group.key).copied().unwrap_or_default());
    }
    report.previous_total = Some(previous.total);
    Ok(report)
}

/// The last day of `query`'s range with costs under its filters, if any (`report` is its
/// report: a comparison is never grouped by day, so the days are summed again).
async fn last_day_with_costs(
    core: &Core,
    actor: &Actor,
    query: &CostQuery,
    report: &CostReport,
) -> Result<Option<NaiveDate>> {
    if report.groups.is_empty() && report.total.is_zero() {
        return Ok(None);
    }
    let by_day = CostQuery {
        group_by: Some("day".to_owned()),
        currency: Some(report.currency.clone()).filter(|c| !c.is_empty()),
        compare: false,
        ..query.clone()
    };
    Ok(sum_report(core, actor, &by_day)
        .await?
        .groups
        .iter()
        .filter(|g| !g.amount.is_zero())
        .filter_map(|g| g.key.parse::<NaiveDate>().ok())
        .max())
}

/// The key a report groups by: the grouping's column or expression, or with a stacking both
/// keys in one (`2024-09-18|Amazon EC2`: a date has no `|`).
fn key_expr(
    backend: sea_orm::DbBackend,
    group: Option<&Grouping>,
    stack: Option<&Grouping>,
) -> Expr {
    match (group, stack) {
        (None, _) => Expr::val(""),
        (Some(group), Some(stack)) => Expr::cust(format!(
            "({}) || '|' || COALESCE(({}), '')",
            group.sql(backend),
            stack.sql(backend)
        )),
        (Some(Grouping::Column(name)), None) => col(name),
        (Some(Grouping::Month), None) => Expr::cust("substr(day, 1, 7)"),
        (Some(Grouping::Tag(key)), None) => tag_expr(backend, key),
        (Some(Grouping::User), None) => col("user_id"),
        (Some(Grouping::Team), None) => col("team_id"),
    }
}

async fn sum_report(core: &Core, actor: &Actor, query: &CostQuery) -> Result<CostReport> {
    actor.ensure_enrolled()?;
    let Checked {
        group,
        stack,
        allocated,
        tag,
    } = check_query(query)?;
    let (visible, projects) = cost_reach(core, actor, query.client_id.as_ref(), allocated).await?;
    let backend = core.db.get_database_backend();
    let clients = visible.clone();
    let condition = filters(core, actor, query, (visible, &projects), tag.as_ref()).await?;
    let needs_tags = tag.is_some() || query.project_id.is_some() || !projects.is_empty();
    // Resources over whole months: the monthly table, unless a filter needs the daily rows.
    let by_resource_months = group == Some(Grouping::Column("resource_id"))
        && !needs_tags
        && query.service.is_none()
        && query.account.is_none();
    let key_expr = key_expr(backend, group.as_ref(), stack.as_ref());
    let metric = match query.metric {
        CostMetric::Billed => "billed_cost",
        CostMetric::Effective => "effective_cost",
        CostMetric::List => "list_cost",
    };
    let (currency, sums) = if allocated {
        sum_groups(
            &core.db,
            cost_allocation::Entity::find(),
            condition,
            key_expr,
            metric,
            query.currency.as_deref(),
        )
        .await?
    } else if by_resource_months && !allocated {
        by_resource(
            &core.db,
            clients.as_ref(),
            (query.from, query.to),
            metric,
            query.currency.as_deref(),
        )
        .await?
    } else if !needs_tags
        && group.as_ref().is_none_or(Grouping::summarized)
        && stack.as_ref().is_none_or(Grouping::summarized)
    {
        // Most reports: the coarse rollup, a fraction of the rows.
        sum_groups(
            &core.db,
            cost_summary::Entity::find(),
            condition,
            key_expr,
            metric,
            query.currency.as_deref(),
        )
        .await?
    } else {
        sum_groups(
            &core.db,
            cost_daily::Entity::find(),
            condition,
            key_expr,
            metric,
            query.currency.as_deref(),
        )
        .await?
    };
    let total: i128 = sums.iter().map(|(_, units)| units).sum();
    let mut stacks = Vec::new();
    let mut groups = match (&group, &stack) {
        (None, _) => Vec::new(),
        (Some(_), Some(stacking)) => {
            let stacked = stacked(&core.db, stacking, sums).await?;
            stacks = stacked.0;
            stacked.1
        }
        (Some(grouping), None) => labelled(&core.db, grouping, sums).await?,
    };
    if group.as_ref().is_some_and(Grouping::is_by_date) {
        groups.sort_by(|a, b| a.key.cmp(&b.key));
    } else {
        groups.sort_by(|a, b| b.amount.cmp(&a.amount).then_with(|| a.key.cmp(&b.key)));
    }
    Ok(CostReport {
        currency,
        metric: query.metric,
        total: money::from_sum(total),
        groups,
        previous_total: None,
        compared: None,
        stacks,
    })
}

/// How many stacks a stacked report keeps apart; the rest are summed as `(other)`.
const STACKS: usize = 10;

/// Splits the sums of a stacked report (keys `DATE|STACK`) into the stacks over the whole
/// range, largest first (at most [`STACKS`], then `(other)`), and each date's group with its
/// parts per stack.
async fn stacked(
    conn: &impl ConnectionTrait,
    stacking: &Grouping,
    sums: Vec<(Option<String>, i128)>,
) -> Result<(Vec<CostGroup>, Vec<CostGroup>)> {
    let split: Vec<(String, Option<String>, i128)> = sums
        .into_iter()
        .map(|(key, units)| {
            let key = key.unwrap_or_default();
            let (date, stack) = key.split_once('|').unwrap_or((key.as_str(), ""));
            (
                date.to_owned(),
                Some(stack.to_owned()).filter(|s| !s.is_empty()),
                units,
            )
        })
        .collect();
    let mut per_stack: HashMap<Option<String>, i128> = HashMap::new();
    for (_, stack, units) in &split {
        *per_stack.entry(stack.clone()).or_default() += units;
    }
    // The same keys and labels as a report grouped by the stacking.
    let mut stacks = labelled(conn, stacking, per_stack.into_iter().collect()).await?;
    stacks.sort_by(|a, b| b.amount.cmp(&a.amount).then_with(|| a.key.cmp(&b.key)));
    let key_of = |stack: &Option<String>| -> String {
        match (stacking, stack) {
            (Grouping::User | Grouping::Team, None) => "unallocated".to_owned(),
            (_, None) => "(none)".to_owned(),
            (_, Some(key)) => key.clone(),
        }
    };
    if stacks.len() > STACKS {
        let rest: rust_decimal::Decimal = stacks[STACKS..].iter().map(|g| g.amount).sum();
        stacks.truncate(STACKS);
        stacks.push(CostGroup {
            key: OTHER_STACK.to_owned(),
            label: Some("Other".to_owned()),
            amount: rest,
            previous: None,
            parts: Vec::new(),
        });
    }
    let order: HashMap<&str, usize> = stacks
        .iter()
        .enumerate()
        .map(|(i, g)| (g.key.as_str(), i))
        .collect();
    let other = order.get(OTHER_STACK).copied();
    let mut dates: BTreeMap<String, Vec<i128>> = BTreeMap::new();
    for (date, stack, units) in split {
        let key = key_of(&stack);
        let Some(index) = order.get(key.as_str()).copied().or(other) else {
            continue;
        };
        dates.entry(date).or_insert_with(|| vec![0; stacks.len()])[index] += units;
    }
    let groups = dates
        .into_iter()
        .map(|(date, units)| CostGroup {
            key: date,
            label: None,
            amount: money::from_sum(units.iter().sum()),
            previous: None,
            parts: units
                .into_iter()
                .enumerate()
                .filter(|(_, u)| *u != 0)
                .map(|(i, u)| gmac_types::CostPart {
                    stack: stacks[i].key.clone(),
                    amount: money::from_sum(u),
                })
                .collect(),
        })
        .collect();
    Ok((stacks, groups))
}

/// The stack that sums the stacks past the tenth.
pub const OTHER_STACK: &str = "(other)";

/// The whole calendar months inside `[from, to]`: the first day of the first and the last day
/// of the last, if there is one.
fn whole_months(from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    use chrono::Datelike;
    let start = if from.day() == 1 {
        from
    } else {
        from.checked_add_months(chrono::Months::new(1))?
            .with_day(1)?
    };
    let end = if to.succ_opt()?.day() == 1 {
        to
    } else {
        to.with_day(1)?.pred_opt()?
    };
    (start < end).then_some((start, end))
}

/// Costs by resource: whole months from the monthly table, the days before and after them
/// from the fine rollup, summed per resource in one currency.
async fn by_resource(
    conn: &impl ConnectionTrait,
    clients: Option<&std::collections::BTreeSet<String>>,
    (from, to): (NaiveDate, NaiveDate),
    metric: &str,
    currency: Option<&str>,
) -> Result<(String, Vec<(Option<String>, i128)>)> {
    let scoped = |condition: Condition| match clients {
        Some(ids) => condition.add(col("client_id").is_in(ids.iter().cloned())),
        None => condition,
    };
    let days = |a: NaiveDate, b: NaiveDate| {
        scoped(
            Condition::all()
                .add(col("day").gte(a.to_string()))
                .add(col("day").lte(b.to_string())),
        )
    };
    let Some((first, last)) = whole_months(from, to) else {
        return sum_groups(
            conn,
            cost_daily::Entity::find(),
            days(from, to),
            col("resource_id"),
            metric,
            currency,
        )
        .await;
    };
    // One currency for every part: the one asked for, or the range's main one.
    let currency = match currency {
        Some(c) => c.to_ascii_uppercase(),
        None => {
            sum_groups(
                conn,
                cost_summary::Entity::find(),
                days(from, to),
                Expr::val(""),
                metric,
                None,
            )
            .await?
            .0
        }
    };
    let mut merged: HashMap<Option<String>, i128> = HashMap::new();
    let months = scoped(
        Condition::all()
            .add(col("month").gte(first.format("%Y-%m").to_string()))
            .add(col("month").lte(last.format("%Y-%m").to_string())),
    );
    let (_, sums) = sum_groups(
        conn,
        cost_resource_month::Entity::find(),
        months,
        col("resource_id"),
        metric,
        Some(&currency),
    )
    .await?;
    for (key, units) in sums {
        *merged.entry(key).or_default() += units;
    }
    let edges = [
        (from, first.pred_opt().unwrap_or(first)),
        (last.succ_opt().unwrap_or(last), to),
    ];
    for (a, b) in edges {
        if a > b {
            continue;
        }
        let (_, sums) = sum_groups(
            conn,
            cost_daily::Entity::find(),
            days(a, b),
            col("resource_id"),
            metric,
            Some(&currency),
        )
        .await?;
        for (key, units) in sums {
            *merged.entry(key).or_default() += units;
        }
    }
    Ok((currency, merged.into_iter().collect()))
}

/// Recomputes a client's resource months that `[from, to]` touches, from the fine rollup.
pub(crate) async fn refresh_resource_months(
    conn: &impl ConnectionTrait,
    client_id: &str,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<()> {
    use chrono::Datelike;
    let start = from.with_day(1).unwrap_or(from);
    let end = to
        .with_day(1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .and_then(|d| d.pred_opt())
        .unwrap_or(to);
    cost_resource_month::Entity::delete_many()
        .filter(cost_resource_month::Column::ClientId.eq(client_id))
        .filter(cost_resource_month::Column::Month.gte(start.format("%Y-%m").to_string()))
        .filter(cost_resource_month::Column::Month.lte(end.format("%Y-%m").to_string()))
        .exec(conn)
        .await?;
    let backend = conn.get_database_backend();
    let (p1, p2, p3) = if backend == DbBackend::Postgres {
        ("$1", "$2", "$3")
    } else {
        ("?", "?", "?")
    };
    // Whole parts and fractions sum separately; whole units carried out of the summed
    // (non-negative) fractions keep each fraction below 10¹¹.
    let mut columns = Vec::new();
    let mut sums = Vec::new();
    let mut updates = Vec::new();
    for column in ["billed_cost", "effective_cost", "list_cost"] {
        let frac = format!("CAST(SUM({column}_frac) AS BIGINT)");
        columns.push(format!("{column}_whole, {column}_frac"));
        sums.push(format!(
            "SUM({column}_whole) + {frac} / {one}, {frac} % {one}",
            one = money::ONE
        ));
        updates.push(format!(
            "{column}_whole = excluded.{column}_whole, {column}_frac = excluded.{column}_frac"
        ));
    }
    let (columns, sums, updates) = (columns.join(", "), sums.join(", "), updates.join(", "));
    let sql = format!(
        "INSERT INTO cost_resource_months (client_id, month, resource_id, currency, {columns}) \
         SELECT client_id, substr(day, 1, 7), resource_id, currency, {sums} FROM cost_daily \
         WHERE client_id = {p1} AND day >= {p2} AND day <= {p3} \
         GROUP BY client_id, substr(day, 1, 7), resource_id, currency \
         ON CONFLICT (client_id, month, resource_id, currency) DO UPDATE SET {updates}"
    );
    conn.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend,
        sql,
        [
            client_id.into(),
            start.to_string().into(),
            end.to_string().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Turns sums into report groups, naming users and teams.
async fn labelled(
    conn: &impl ConnectionTrait,
    grouping: &Grouping,
    sums: Vec<(Option<String>, i128)>,
) -> Result<Vec<CostGroup>> {
    let kind = match grouping {
        Grouping::User => Some(SubjectKind::User),
        Grouping::Team => Some(SubjectKind::Team),
        _ => None,
    };
    let names = match kind {
        Some(kind) => {
            let ids = sums.iter().filter_map(|(k, _)| k.clone()).collect();
            labels(conn, kind, ids).await?
        }
        // Clients by their names, as people know them.
        None if *grouping == Grouping::Column("client_id") => {
            let ids: Vec<String> = sums.iter().filter_map(|(k, _)| k.clone()).collect();
            crate::entities::client::Entity::find()
                .filter(crate::entities::client::Column::Id.is_in(ids))
                .all(conn)
                .await?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect()
        }
        None => HashMap::new(),
    };
    Ok(sums
        .into_iter()
        .map(|(key, units)| {
            let amount = money::from_sum(units);
            match (kind, key) {
                (Some(_), None) => CostGroup {
                    key: "unallocated".to_owned(),
                    label: Some("Unallocated".to_owned()),
                    amount,
                    previous: None,
                    parts: Vec::new(),
                },
                (Some(_), Some(key)) => CostGroup {
                    label: Some(names.get(&key).cloned().unwrap_or_else(|| key.clone())),
                    key,
                    amount,
                    previous: None,
                    parts: Vec::new(),
                },
                (None, key) => CostGroup {
                    label: key.as_ref().and_then(|k| names.get(k).cloned()),
                    key: key.unwrap_or_else(|| "(none)".to_owned()),
                    amount,
                    previous: None,
                    parts: Vec::new(),
                },
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{previous_period, whole_months};

    #[test]
    fn ranges_split_into_whole_months_and_edge_days() {
        assert_eq!(
            whole_months(day("2024-08-10"), day("2024-10-20")),
            Some((day("2024-09-01"), day("2024-09-30")))
        );
        assert_eq!(
            whole_months(day("2024-01-01"), day("2024-12-31")),
            Some((day("2024-01-01"), day("2024-12-31")))
        );
        assert_eq!(whole_months(day("2024-09-02"), day("2024-09-30")), None);
        assert_eq!(whole_months(day("2024-09-10"), day("2024-10-20")), None);
    }

    fn day(s: &str) -> chrono::NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn whole_months_compare_with_the_calendar_months_before_other_ranges_with_as_many_days() {
        assert_eq!(
            previous_period(day("2024-09-01"), day("2024-09-30")),
            (day("2024-08-01"), day("2024-08-31"))
        );
        assert_eq!(
            previous_period(day("2024-03-01"), day("2024-03-31")),
            (day("2024-02-01"), day("2024-02-29"))
        );
        assert_eq!(
            previous_period(day("2024-01-01"), day("2024-03-31")),
            (day("2023-10-01"), day("2023-12-31"))
        );
        assert_eq!(
            previous_period(day("2024-09-10"), day("2024-09-16")),
            (day("2024-09-03"), day("2024-09-09"))
        );
    }

    #[test]
    fn a_month_so_far_compares_with_the_same_days_of_the_month_before() {
        assert_eq!(
            previous_period(day("2026-12-01"), day("2026-12-02")),
            (day("2026-11-01"), day("2026-11-02"))
        );
        // Days the month before does not have are clamped to its end.
        assert_eq!(
            previous_period(day("2024-03-01"), day("2024-03-30")),
            (day("2024-02-01"), day("2024-02-29"))
        );
        assert_eq!(
            previous_period(day("2025-01-01"), day("2025-01-15")),
            (day("2024-12-01"), day("2024-12-15"))
        );
    }
}
