//! FOCUS imports run as jobs (`POST /cost-imports` with `Prefer: respond-async`).
//!
//! The upload is stored with its job in the database (`job_files`, 1 MiB parts), so the
//! worker of any replica can read it; the job rebuilds the file, imports it as the person who
//! uploaded it (with the permissions they hold when it runs), reports how far it has read,
//! and names the import it made. The parts are dropped once the import stands; a failed job
//! keeps them, so that it can be retried.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use gmac_types::{CostImportParams, Job, JobProgress};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::access::Target;
use crate::audit::AuditEntry;
use crate::entities::{job, job_file};
use crate::platform::change::Change;
use crate::platform::jobs::{self, COST_IMPORT, NewJob};
use crate::platform::worker::{self, Handler, JobContext, JobFailure, JobOutcome};
use crate::services::clients;
use crate::services::costs::{self, SpooledFile};
use crate::{Actor, Core, RequestMeta, Result, db};

/// The size of one stored part of an upload.
const PART_BYTES: usize = 1 << 20;

/// Parts stored per write transaction (8 MiB: a few milliseconds of `SQLite`'s write lock).
const PARTS_PER_TURN: usize = 8;

/// An upload still being stored after this long was abandoned by the process storing it.
const UNSTORED_AFTER: chrono::Duration = chrono::Duration::hours(1);

/// A cost import job's input.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    params: CostImportParams,
    sha256: String,
    file_name: Option<String>,
    bytes: u64,
    parts: u32,
}

/// Stores the spooled upload with a new import job for it, and answers the job. Needs
/// `costs.manage` on the client, as importing at once does.
pub async fn enqueue(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    params: &CostImportParams,
    file: &SpooledFile,
) -> Result<Job> {
    let target = Target::Client(params.client_id.clone());
    actor.require_on(gmac_types::Permission::CostsManage, &target)?;
    clients::find(&core.db, &params.client_id).await?;
    let bytes = tokio::fs::metadata(&file.path)
        .await
        .map_err(anyhow::Error::from)?
        .len();
    let parts = u32::try_from(bytes.div_ceil(PART_BYTES as u64)).map_err(anyhow::Error::from)?;
    let payload = Payload {
        params: params.clone(),
        sha256: file.sha256.clone(),
        file_name: file.file_name.clone(),
        bytes,
        parts,
    };
    let txn = Change::begin(core).await?;
    let new = NewJob {
        client_id: Some(params.client_id.clone()),
        // An upload of the same file to the same client while one is pending is that job.
        dedupe_key: Some(format!("cost_import:{}:{}", params.client_id, file.sha256)),
        // Held until its upload is stored (no worker takes it before).
        run_at: Some(jobs::held()),
        ..NewJob::new(
            COST_IMPORT,
            serde_json::to_value(&payload).map_err(anyhow::Error::from)?,
        )
    };
    let (row, created) = jobs::enqueue(&txn, core, Some(actor), new).await?;
    if !created {
        // A deduplicated job (the same file, still pending) has its file already.
        txn.commit_if(core, meta, None).await?;
        return jobs::to_dto(row);
    }
    let entry = AuditEntry::success(actor.audit_actor(), "cost_import.enqueue")
        .target("job", row.id.clone())
        .scope(&target)
        .details(serde_json::json!({
            "kind": COST_IMPORT,
            "sha256": file.sha256,
            "bytes": bytes,
            "file_name": file.file_name,
        }));
    txn.commit(core, meta, entry).await?;
    if let Err(err) = store_upload(core, &row.id, &file.path, parts).await {
        // The job fails and what was stored goes; the upload can be sent again.
        let _ = discard_upload(core, &row, "the upload could not be stored; send it again").await;
        return Err(err);
    }
    let released = jobs::release(core, &row.id).await?;
    jobs::to_dto(released)
}

/// Stores the upload at `path` as the parts of job `job_id`, a few per write transaction, so
/// that a large file never holds `SQLite`'s write lock for long; the job's progress counts the
/// parts stored.
async fn store_upload(core: &Core, job_id: &str, path: &std::path::Path, parts: u32) -> Result<()> {
    let mut source = tokio::fs::File::open(path)
        .await
        .map_err(anyhow::Error::from)?;
    let mut part_no = 0;
    loop {
        let mut batch = Vec::new();
        for _ in 0..PARTS_PER_TURN {
            let mut data = Vec::with_capacity(PART_BYTES);
            (&mut source)
                .take(PART_BYTES as u64)
                .read_to_end(&mut data)
                .await
                .map_err(anyhow::Error::from)?;
            if data.is_empty() {
                break;
            }
            batch.push(job_file::ActiveModel {
                job_id: Set(job_id.to_owned()),
                part: Set(part_no),
                data: Set(data),
            });
            part_no += 1;
        }
        if batch.is_empty() {
            return Ok(());
        }
        let txn = db::begin_write(&core.db).await?;
        job_file::Entity::insert_many(batch)
            .exec_without_returning(&txn)
            .await?;
        job::Entity::update_many()
            .col_expr(job::Column::ProgressDone, Expr::value(i64::from(part_no)))
            .col_expr(
                job::Column::ProgressTotal,
                Expr::value(Some(i64::from(parts))),
            )
            .col_expr(
                job::Column::ProgressMessage,
                Expr::value(Some("storing the upload".to_owned())),
            )
            .filter(job::Column::Id.eq(job_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
}

/// Fails the import jobs whose upload was never wholly stored (the process storing it died,
/// or the request was given up), and drops what they stored. Answers how many.
pub async fn discard_unstored(core: &Core) -> Result<usize> {
    let stuck = job::Entity::find()
        .filter(job::Column::Kind.eq(COST_IMPORT))
        .filter(job::Column::Status.eq(gmac_types::JobStatus::Queued.as_str()))
        .filter(job::Column::RunAt.eq(jobs::held()))
        .filter(job::Column::CreatedAt.lt(core.now() - UNSTORED_AFTER))
        .all(&core.db)
        .await?;
    let mut failed = 0;
    for row in &stuck {
        if discard_upload(core, row, "the upload was not wholly stored; send it again").await? {
            failed += 1;
        }
    }
    Ok(failed)
}

/// Fails the held job `row` with `error` and drops the parts it stored, in one write
/// transaction; `false` when it was no longer a held, queued job.
async fn discard_upload(core: &Core, row: &job::Model, error: &str) -> Result<bool> {
    let txn = db::begin_write(&core.db).await?;
    let failed = jobs::fail_unstarted(&txn, core, row, error).await?;
    if failed {
        job_file::Entity::delete_many()
            .filter(job_file::Column::JobId.eq(row.id.as_str()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(failed)
}

/// The handler of [`COST_IMPORT`] jobs.
pub fn handler() -> Handler {
    worker::handler(run)
}

async fn run(ctx: JobContext) -> JobOutcome {
    let payload: Payload = ctx.payload()?;
    ctx.step("read the upload").await?;
    let dir = tempfile::tempdir().map_err(|e| JobFailure::transient(e.to_string()))?;
    let path = dir.path().join("upload.csv");
    {
        let mut out = tokio::fs::File::create(&path)
            .await
            .map_err(|e| JobFailure::transient(e.to_string()))?;
        for part in 0..i32::try_from(payload.parts).unwrap_or(i32::MAX) {
            let row = job_file::Entity::find_by_id((ctx.job.id.clone(), part))
                .one(&ctx.core.db)
                .await?
                .ok_or_else(|| {
                    JobFailure::permanent(format!("part {part} of the upload is missing"))
                })?;
            out.write_all(&row.data)
                .await
                .map_err(|e| JobFailure::transient(e.to_string()))?;
        }
        out.flush()
            .await
            .map_err(|e| JobFailure::transient(e.to_string()))?;
    }
    ctx.log(format!(
        "the upload is {} bytes{}",
        payload.bytes,
        payload
            .file_name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    ))
    .await?;
    ctx.step("import the lines").await?;
    let actor = crate::services::sessions::job_starter(&ctx).await?;
    if ctx.job.attempts > 1 {
        // An earlier attempt's worker died or lost its lease mid-import: what it staged goes.
        costs::discard_unfinished(&ctx.core, &payload.params.client_id, &payload.sha256).await?;
    }
    let file = SpooledFile {
        path: path.clone(),
        sha256: payload.sha256.clone(),
        file_name: payload.file_name.clone(),
        progress: Arc::default(),
    };
    let meta = RequestMeta {
        request_id: Some(format!("job-{}", ctx.job.id)),
        ..RequestMeta::default()
    };
    let total = i64::try_from(payload.bytes).ok();
    let progress = file.progress.clone();
    ctx.report(move || JobProgress {
        done: i64::try_from(progress.bytes.load(Ordering::Relaxed)).unwrap_or(i64::MAX),
        total,
        message: Some(format!(
            "{} rows read",
            progress.rows.load(Ordering::Relaxed)
        )),
    });
    let imported = costs::import_focus(&ctx.core, &actor, &meta, &payload.params, &file).await;
    let (import, created) = imported.map_err(|err| match err {
        // Another upload of the same file is importing it: later, this one finds it.
        crate::Error::Conflict { detail, .. } => JobFailure::transient(detail),
        other => JobFailure::from(other),
    })?;
    ctx.set_progress(JobProgress {
        done: total.unwrap_or(0),
        total,
        message: Some(format!("{} rows imported", import.rows_imported)),
    });
    ctx.log(format!(
        "{} rows imported, {} refused; billed {} {}",
        import.rows_imported, import.rows_rejected, import.billed_cost_total, import.currency
    ))
    .await?;
    // The import stands: its upload is no longer needed.
    job_file::Entity::delete_many()
        .filter(job_file::Column::JobId.eq(ctx.job.id.as_str()))
        .exec(&db::Solo(&ctx.core.db))
        .await?;
    Ok(serde_json::json!({
        "import_id": import.id,
        "created": created,
        "rows_imported": import.rows_imported,
    }))
}
