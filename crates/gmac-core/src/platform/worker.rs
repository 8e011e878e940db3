//! The worker: leases due jobs from the queue and runs them.
//!
//! A worker takes only the kinds it has a handler for. It claims one job at a time with a
//! lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers of several replicas never take
//! the same job; `SQLite`'s single writer serialises the claim), heartbeats while the handler
//! runs, and stops the handler promptly when the job is cancelled. A worker that dies lets its
//! lease run out and another takes the job over. A transient failure is retried with
//! exponential backoff and jitter until the job's attempts run out; a permanent one (bad
//! input, a refused permission) fails the job at once.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use gmac_types::{JobProgress, JobStatus, JobStep};
use rand::RngExt;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QuerySelect,
};

use crate::entities::{job, job_log};
use crate::{Core, Error, Result, db};

/// Why a run failed, and whether trying again could help.
#[derive(Debug)]
pub struct JobFailure {
    /// Bad input or a refusal: retrying cannot help.
    pub permanent: bool,
    /// What went wrong, for the job's `error` and log.
    pub message: String,
    /// Not a failure: the job cannot start yet (a limit is reached) and is queued again
    /// after this wait, the attempt given back.
    pub later: Option<std::time::Duration>,
}

impl JobFailure {
    /// A failure no retry can mend.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            permanent: true,
            message: message.into(),
            later: None,
        }
    }

    /// A failure worth another attempt.
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            permanent: false,
            message: message.into(),
            later: None,
        }
    }

    /// Not yet: the job waits `wait` and is queued again, without using an attempt.
    pub fn later(wait: std::time::Duration, message: impl Into<String>) -> Self {
        Self {
            permanent: false,
            message: message.into(),
            later: Some(wait),
        }
    }
}

impl From<Error> for JobFailure {
    fn from(err: Error) -> Self {
        let permanent = !matches!(
            err,
            Error::Internal(_)
                | Error::Unavailable { .. }
                | Error::RateLimited { .. }
                | Error::InsufficientStorage
        );
        let message = match &err {
            Error::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.pointer, e.detail))
                .collect::<Vec<_>>()
                .join("; "),
            Error::Internal(source) => {
                tracing::warn!(error = %format!("{source:#}"), "a job failed");
                "an unexpected error (see the server log)".to_owned()
            }
            other => other.to_string(),
        };
        Self {
            permanent,
            message,
            later: None,
        }
    }
}

impl From<sea_orm::DbErr> for JobFailure {
    fn from(err: sea_orm::DbErr) -> Self {
        Error::from(err).into()
    }
}

/// What a handler answers: the job's result, or why it failed.
pub type JobOutcome = std::result::Result<serde_json::Value, JobFailure>;

/// Runs one job of a kind.
pub type Handler =
    Arc<dyn Fn(JobContext) -> Pin<Box<dyn Future<Output = JobOutcome> + Send>> + Send + Sync>;

/// Says how far a job has come, whenever the worker asks (at each heartbeat).
type Reporter = Box<dyn Fn() -> JobProgress + Send + Sync>;

/// A handler from an async function.
pub fn handler<F, Fut>(run: F) -> Handler
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = JobOutcome> + Send + 'static,
{
    Arc::new(move |ctx| Box::pin(run(ctx)))
}

/// How a worker paces itself. Tests shorten every wait.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// How long a claimed job is the worker's without a heartbeat.
    pub lease: Duration,
    /// How often a running job's lease is renewed and its cancellation looked for.
    pub heartbeat: Duration,
    /// How long an idle worker waits before looking for due jobs again.
    pub poll: Duration,
    /// The wait before a job's second attempt; it doubles with each attempt after.
    pub backoff_base: Duration,
    /// The longest wait between attempts.
    pub backoff_max: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(30),
            heartbeat: Duration::from_secs(2),
            poll: Duration::from_secs(1),
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_mins(10),
        }
    }
}

impl WorkerOptions {
    /// The wait before the attempt after `attempts`: `base · 2^(attempts − 1)`, at most `max`,
    /// then scaled by a random factor in [½, 1] so that jobs failing together spread out.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let full = self
            .backoff_base
            .saturating_mul(2u32.saturating_pow(exp))
            .min(self.backoff_max);
        full.mul_f64(rand::rng().random_range(0.5..=1.0))
    }
}

/// The texts that stand for `secret` in a log: the secret itself (from 4 characters: a
/// shorter one would blot out ordinary words) and, for a secret of several lines (a PEM key),
/// each line of 8 characters or more (a log may show only some of them) and its JSON-escaped
/// form (`\n` written out).
pub(crate) fn mask_needles(secret: &str) -> Vec<String> {
    if secret.len() < 4 {
        return Vec::new();
    }
    let mut needles = vec![secret.to_owned()];
    if secret.contains('\n') {
        needles.push(secret.replace('\n', "\\n"));
        needles.extend(
            secret
                .lines()
                .map(str::trim)
                .filter(|line| line.len() >= 8)
                .map(str::to_owned),
        );
    }
    needles
}

/// `text` with each of `needles` (longest first) replaced by `••••••`.
pub(crate) fn mask_text(text: &str, needles: &[String]) -> String {
    let mut out = text.to_owned();
    for needle in needles {
        out = out.replace(needle.as_str(), "••••••");
    }
    out
}

/// What a running handler may do with its job.
#[derive(Clone)]
pub struct JobContext {
    /// The core.
    pub core: Core,
    /// The job as it was claimed.
    pub job: job::Model,
    worker: String,
    seq: Arc<AtomicI64>,
    masks: Arc<std::sync::Mutex<Vec<String>>>,
    steps: Arc<tokio::sync::Mutex<Vec<JobStep>>>,
    /// The steps that had succeeded when this run began (in earlier runs of the job).
    done_earlier: Arc<Vec<String>>,
    /// The steps begun in this run.
    begun: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    reporter: Arc<std::sync::Mutex<Option<Reporter>>>,
}

impl JobContext {
    /// The handler's input.
    pub fn payload<T: serde::de::DeserializeOwned>(&self) -> std::result::Result<T, JobFailure> {
        serde_json::from_str(&self.job.payload)
            .map_err(|e| JobFailure::permanent(format!("the job's input cannot be read: {e}")))
    }

    /// Masks `secret` in every log line (and failure message) written after this call.
    pub fn mask(&self, secret: &str) {
        if let Ok(mut masks) = self.masks.lock() {
            masks.extend(mask_needles(secret));
            // Longest first, so a secret inside another is not left half shown.
            masks.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
            masks.dedup();
        }
    }

    /// `text` with every masked secret replaced.
    pub(crate) fn masked(&self, text: &str) -> String {
        match self.masks.lock() {
            Ok(masks) => mask_text(text, &masks),
            Err(_) => text.to_owned(),
        }
    }

    /// Appends a line to the job's log (secrets masked).
    pub async fn log(&self, line: impl AsRef<str>) -> Result<()> {
        job_log::Entity::insert(self.log_row(line.as_ref()))
            .exec_without_returning(&crate::db::Solo(&self.core.db))
            .await?;
        Ok(())
    }

    /// The job's next log line, masked, to be written.
    fn log_row(&self, line: &str) -> job_log::ActiveModel {
        let seq = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        log_line(&self.job.id, seq, self.core.now(), self.masked(line))
    }

    /// Has the worker read the job's progress from `reporter` at each heartbeat, and store it
    /// with the lease (and once more when the job ends). Nothing is written here, so a handler
    /// never waits on the database to report, whatever it holds meanwhile.
    pub fn report(&self, reporter: impl Fn() -> JobProgress + Send + Sync + 'static) {
        if let Ok(mut slot) = self.reporter.lock() {
            *slot = Some(Box::new(reporter));
        }
    }

    /// Reports a progress that stays as it is (see [`JobContext::report`]).
    pub fn set_progress(&self, progress: JobProgress) {
        self.report(move || progress.clone());
    }

    /// The progress to store now (its message masked), if the handler reports any.
    fn progress_now(&self) -> Option<JobProgress> {
        let slot = self.reporter.lock().ok()?;
        let mut progress = slot.as_ref()?();
        progress.message = progress.message.map(|m| self.masked(&m));
        Some(progress)
    }

    /// Starts step `name`, ending the running one as succeeded, and logs it. A step begun
    /// before keeps its place in the list.
    pub async fn step(&self, name: &str) -> Result<()> {
        {
            let now = self.core.now();
            let mut steps = self.steps.lock().await;
            for s in steps.iter_mut().filter(|s| s.status == "running") {
                "succeeded".clone_into(&mut s.status);
                s.finished_at = Some(now);
            }
            // A step begun again (in a retried run, or in a loop) keeps its place.
            match steps.iter_mut().find(|s| s.name == name) {
                Some(step) => {
                    "running".clone_into(&mut step.status);
                    step.started_at = Some(now);
                    step.finished_at = None;
                }
                None => steps.push(JobStep {
                    name: name.to_owned(),
                    status: "running".to_owned(),
                    started_at: Some(now),
                    finished_at: None,
                }),
            }
        }
        self.save_steps().await?;
        self.log(format!("step: {name}")).await
    }

    /// Starts step `name` like [`JobContext::step`], unless it succeeded in an earlier run of
    /// this job (a job retried after a failure, by hand or after a transient error, keeps its
    /// steps) and this run has not begun it yet: then it is logged as done before and answered
    /// `false`, and a handler whose step left a durable result goes on from the step that
    /// failed. (A step begun again within one run, in a loop, runs.)
    pub async fn begin_step(&self, name: &str) -> Result<bool> {
        let first_time = self
            .begun
            .lock()
            .map_or(true, |mut begun| begun.insert(name.to_owned()));
        let done_before = {
            let mut steps = self.steps.lock().await;
            let done = first_time && self.done_earlier.iter().any(|s| s == name);
            if done {
                let now = self.core.now();
                for s in steps.iter_mut().filter(|s| s.status == "running") {
                    "succeeded".clone_into(&mut s.status);
                    s.finished_at = Some(now);
                }
            }
            done
        };
        if !done_before {
            self.step(name).await?;
            return Ok(true);
        }
        self.save_steps().await?;
        self.log(format!("step: {name} (done in an earlier run)"))
            .await?;
        Ok(false)
    }

    /// Ends the running step as `status`; answers the steps to store, when the job has any.
    async fn close_steps(&self, status: &str) -> Option<String> {
        let now = self.core.now();
        let mut steps = self.steps.lock().await;
        for s in steps.iter_mut().filter(|s| s.status == "running") {
            status.clone_into(&mut s.status);
            s.finished_at = Some(now);
        }
        if steps.is_empty() {
            return None;
        }
        serde_json::to_string(&*steps).ok()
    }

    async fn save_steps(&self) -> Result<()> {
        let text = serde_json::to_string(&*self.steps.lock().await).map_err(anyhow::Error::from)?;
        job::Entity::update_many()
            .filter(job::Column::Id.eq(self.job.id.as_str()))
            .col_expr(job::Column::Steps, Expr::value(text))
            .exec(&crate::db::Solo(&self.core.db))
            .await?;
        Ok(())
    }
}

impl std::fmt::Debug for JobContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobContext")
            .field("job", &self.job.id)
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.id)
            .field("kinds", &self.handlers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// How a claimed run ended.
enum Ended {
    Done(JobOutcome),
    Cancelled,
    LeaseLost,
}

/// Leases due jobs of the kinds it has handlers for, and runs them.
pub struct Worker {
    core: Core,
    id: String,
    options: WorkerOptions,
    handlers: HashMap<String, Handler>,
}

impl Worker {
    /// A worker with no handlers yet.
    pub fn empty(core: Core, options: WorkerOptions) -> Self {
        let id = format!("worker-{}", crate::ids::new_id(core.now()));
        Self {
            core,
            id,
            options,
            handlers: HashMap::new(),
        }
    }

    /// Adds (or replaces) the handler of `kind`.
    #[must_use]
    pub fn handle(mut self, kind: &str, handler: Handler) -> Self {
        self.handlers.insert(kind.to_owned(), handler);
        self
    }

    /// This worker's id, as leases name it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Runs jobs until the task is dropped: one at a time, looking again after `poll` when
    /// none is due.
    pub async fn run(self) {
        loop {
            match self.run_once().await {
                Ok(true) => {}
                Ok(false) => tokio::time::sleep(self.options.poll).await,
                Err(err) => {
                    tracing::warn!(error = %err, worker = %self.id, "the job worker could not reach the queue");
                    tokio::time::sleep(self.options.poll).await;
                }
            }
        }
    }

    /// Claims one due job and runs it to its end; `false` when none was due.
    pub async fn run_once(&self) -> Result<bool> {
        let Some((claimed, last_seq)) = self.claim().await? else {
            return Ok(false);
        };
        if claimed.attempts > claimed.max_attempts {
            // Its workers kept dying (or losing their leases) mid-run.
            let message = format!(
                "the job's worker stopped before it finished, {} times",
                claimed.attempts - 1
            );
            let ending = Ending {
                line: Some(log_line(
                    &claimed.id,
                    last_seq + 1,
                    self.core.now(),
                    format!("failed: {message}"),
                )),
                ..Ending::default()
            };
            self.finish_with(
                &claimed,
                JobStatus::Failed,
                None,
                Some(message),
                None,
                ending,
            )
            .await?;
            return Ok(true);
        }
        let Some(handler) = self.handlers.get(&claimed.kind).cloned() else {
            return Ok(true);
        };
        if claimed.cancel_requested {
            // Cancelled while its last worker, now gone, was running it: it does not start again.
            self.finish(&claimed, JobStatus::Cancelled, None, None, None)
                .await?;
            return Ok(true);
        }
        let steps: Vec<JobStep> = serde_json::from_str(&claimed.steps).unwrap_or_default();
        let done_earlier = steps
            .iter()
            .filter(|s| s.status == "succeeded")
            .map(|s| s.name.clone())
            .collect();
        let ctx = JobContext {
            core: self.core.clone(),
            job: claimed.clone(),
            worker: self.id.clone(),
            seq: Arc::new(AtomicI64::new(last_seq)),
            masks: Arc::default(),
            steps: Arc::new(tokio::sync::Mutex::new(steps)),
            done_earlier: Arc::new(done_earlier),
            begun: Arc::default(),
            reporter: Arc::default(),
        };
        let mut task = tokio::spawn(handler(ctx.clone()));
        let ended = loop {
            tokio::select! {
                joined = &mut task => {
                    break Ended::Done(joined.unwrap_or_else(|err| {
                        Err(JobFailure::transient(if err.is_panic() {
                            "the job's handler panicked".to_owned()
                        } else {
                            "the job's handler was stopped".to_owned()
                        }))
                    }));
                }
                () = tokio::time::sleep(self.options.heartbeat) => {
                    match self.heartbeat(&claimed.id, ctx.progress_now()).await {
                        Ok(Some(false)) | Err(_) => {}
                        Ok(Some(true)) => {
                            task.abort();
                            break Ended::Cancelled;
                        }
                        Ok(None) => {
                            task.abort();
                            break Ended::LeaseLost;
                        }
                    }
                }
            }
        };
        self.conclude(&claimed, &ctx, ended).await?;
        Ok(true)
    }

    /// Records how a run ended: its result, a retry after a backoff, or the failure.
    async fn conclude(&self, claimed: &job::Model, ctx: &JobContext, ended: Ended) -> Result<()> {
        let (step, status, result, error, run_at, line) = match ended {
            Ended::LeaseLost => {
                tracing::warn!(job = %claimed.id, worker = %self.id, "a job's lease was lost; another worker has it");
                return Ok(());
            }
            Ended::Cancelled => (
                "cancelled",
                JobStatus::Cancelled,
                None,
                None,
                None,
                "cancelled on request".to_owned(),
            ),
            Ended::Done(Ok(result)) => (
                "succeeded",
                JobStatus::Succeeded,
                Some(result),
                None,
                None,
                "succeeded".to_owned(),
            ),
            Ended::Done(Err(JobFailure {
                later: Some(wait),
                message,
                ..
            })) => {
                let at = self.core.now()
                    + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
                let ending = Ending {
                    line: Some(ctx.log_row(&format!("waiting: {message}"))),
                    steps: ctx.close_steps("queued").await,
                    progress: ctx.progress_now(),
                    give_back_attempt: true,
                };
                return self
                    .finish_with(claimed, JobStatus::Queued, None, None, Some(at), ending)
                    .await;
            }
            Ended::Done(Err(failure))
                if !failure.permanent && claimed.attempts < claimed.max_attempts =>
            {
                let wait = self.options.backoff(claimed.attempts);
                let line = format!(
                    "failed: {}; retrying in {} ms",
                    failure.message,
                    wait.as_millis()
                );
                let at = self.core.now()
                    + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
                (
                    "failed",
                    JobStatus::Queued,
                    None,
                    Some(ctx.masked(&failure.message)),
                    Some(at),
                    line,
                )
            }
            Ended::Done(Err(failure)) => {
                let line = format!("failed: {}", failure.message);
                (
                    "failed",
                    JobStatus::Failed,
                    None,
                    Some(ctx.masked(&failure.message)),
                    None,
                    line,
                )
            }
        };
        // The last log line and the steps are written with the job's end, in one transaction.
        let ending = Ending {
            line: Some(ctx.log_row(&line)),
            steps: ctx.close_steps(step).await,
            progress: ctx.progress_now(),
            give_back_attempt: false,
        };
        self.finish_with(claimed, status, result, error, run_at, ending)
            .await
    }

    /// Leases the oldest due job this worker can run: a queued one whose time has come, or a
    /// running one whose worker let its lease run out. Its log gets the attempt's first line in
    /// the same transaction; answers the job and its log's last line number.
    async fn claim(&self) -> Result<Option<(job::Model, i64)>> {
        if self.handlers.is_empty() {
            return Ok(None);
        }
        let now = self.core.now();
        let lease = chrono::Duration::from_std(self.options.lease).unwrap_or(chrono::Duration::MAX);
        let due = Condition::any()
            .add(
                Condition::all()
                    .add(job::Column::Status.eq(JobStatus::Queued.as_str()))
                    .add(job::Column::RunAt.lte(now)),
            )
            .add(
                Condition::all()
                    .add(job::Column::Status.eq(JobStatus::Running.as_str()))
                    .add(job::Column::LeaseUntil.lt(now)),
            );
        let mut next = Query::select()
            .column(job::Column::Id)
            .from(job::Entity)
            .cond_where(
                Condition::all()
                    .add(due)
                    .add(job::Column::Kind.is_in(self.handlers.keys().map(String::as_str))),
            )
            .order_by(job::Column::RunAt, sea_orm::Order::Asc)
            .order_by(job::Column::Id, sea_orm::Order::Asc)
            .limit(1)
            .to_owned();
        if self.core.db.get_database_backend() == DbBackend::Postgres {
            next.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let txn = db::begin_write(&self.core.db).await?;
        let claimed = job::Entity::update_many()
            .col_expr(
                job::Column::Status,
                Expr::value(JobStatus::Running.as_str()),
            )
            .col_expr(job::Column::LeaseOwner, Expr::value(self.id.as_str()))
            .col_expr(job::Column::LeaseUntil, Expr::value(now + lease))
            .col_expr(
                job::Column::Attempts,
                Expr::col(job::Column::Attempts).add(1),
            )
            .col_expr(job::Column::StartedAt, Expr::value(now))
            .filter(job::Column::Id.in_subquery(next))
            .exec_with_returning(&txn)
            .await?;
        let Some(claimed) = claimed.into_iter().next() else {
            txn.commit().await?;
            return Ok(None);
        };
        let last_seq = job_log::Entity::find()
            .filter(job_log::Column::JobId.eq(claimed.id.as_str()))
            .select_only()
            .column_as(job_log::Column::Seq.max(), "max")
            .into_tuple::<Option<i64>>()
            .one(&txn)
            .await?
            .flatten()
            .unwrap_or(0)
            + 1;
        job_log::Entity::insert(log_line(
            &claimed.id,
            last_seq,
            now,
            format!(
                "attempt {} of {} on {}",
                claimed.attempts, claimed.max_attempts, self.id
            ),
        ))
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(Some((claimed, last_seq)))
    }

    /// Renews the lease of a job this worker runs; answers whether it was asked to stop, or
    /// `None` when the job is no longer this worker's.
    async fn heartbeat(&self, id: &str, progress: Option<JobProgress>) -> Result<Option<bool>> {
        let lease = chrono::Duration::from_std(self.options.lease).unwrap_or(chrono::Duration::MAX);
        let rows = with_progress(job::Entity::update_many(), progress)
            .col_expr(
                job::Column::LeaseUntil,
                Expr::value(self.core.now() + lease),
            )
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::LeaseOwner.eq(self.id.as_str()))
            .filter(job::Column::Status.eq(JobStatus::Running.as_str()))
            .exec_with_returning(&crate::db::Solo(&self.core.db))
            .await?;
        Ok(rows.first().map(|r| r.cancel_requested))
    }

    /// Ends this worker's run of `claimed` as `status` (queued again at `run_at` for a retry).
    async fn finish(
        &self,
        claimed: &job::Model,
        status: JobStatus,
        result: Option<serde_json::Value>,
        error: Option<String>,
        run_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.finish_with(claimed, status, result, error, run_at, Ending::default())
            .await
    }

    /// [`Worker::finish`], storing what the run leaves too: its last log line, its steps and
    /// its progress, in the same transaction.
    async fn finish_with(
        &self,
        claimed: &job::Model,
        status: JobStatus,
        result: Option<serde_json::Value>,
        error: Option<String>,
        run_at: Option<DateTime<Utc>>,
        ending: Ending,
    ) -> Result<()> {
        let now = self.core.now();
        let result_text = result.clone();
        let error_text = error.clone();
        let mut update = with_progress(job::Entity::update_many(), ending.progress)
            .col_expr(job::Column::Status, Expr::value(status.as_str()))
            .col_expr(job::Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(
                job::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::Error, Expr::value(error))
            .filter(job::Column::Id.eq(claimed.id.as_str()))
            .filter(job::Column::LeaseOwner.eq(self.id.as_str()));
        if status.is_finished() {
            update = update.col_expr(job::Column::FinishedAt, Expr::value(now));
        }
        if let Some(result) = result {
            update = update.col_expr(job::Column::Result, Expr::value(result.to_string()));
        }
        if let Some(at) = run_at {
            update = update.col_expr(job::Column::RunAt, Expr::value(at));
        }
        if let Some(steps) = ending.steps {
            update = update.col_expr(job::Column::Steps, Expr::value(steps));
        }
        if ending.give_back_attempt {
            update = update.col_expr(
                job::Column::Attempts,
                Expr::col(job::Column::Attempts).sub(1),
            );
        }
        let txn = db::begin_write(&self.core.db).await?;
        let ended = update.exec(&txn).await?.rows_affected;
        if ended > 0
            && let Some(line) = ending.line
        {
            job_log::Entity::insert(line)
                .exec_without_returning(&txn)
                .await?;
        }
        // The end of a job is an event, written with it.
        if ended > 0 && status.is_finished() {
            crate::platform::jobs::append_end(
                &txn,
                now,
                claimed,
                status,
                result_text.as_ref(),
                error_text.as_deref(),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

/// Line `seq` of job `job_id`'s log.
fn log_line(job_id: &str, seq: i64, at: DateTime<Utc>, line: String) -> job_log::ActiveModel {
    job_log::ActiveModel {
        job_id: Set(job_id.to_owned()),
        seq: Set(seq),
        at: Set(at),
        line: Set(line),
    }
}

/// What a run leaves besides its status, stored with it.
#[derive(Default)]
struct Ending {
    /// The run's last log line.
    line: Option<job_log::ActiveModel>,
    /// The job's steps, when it has any.
    steps: Option<String>,
    /// The run's last progress.
    progress: Option<JobProgress>,
    /// The run did not count as an attempt (it waited for a place).
    give_back_attempt: bool,
}

/// Sets the progress columns too, when there is a progress to store.
fn with_progress(
    update: sea_orm::UpdateMany<job::Entity>,
    progress: Option<JobProgress>,
) -> sea_orm::UpdateMany<job::Entity> {
    let Some(progress) = progress else {
        return update;
    };
    update
        .col_expr(job::Column::ProgressDone, Expr::value(progress.done))
        .col_expr(job::Column::ProgressTotal, Expr::value(progress.total))
        .col_expr(job::Column::ProgressMessage, Expr::value(progress.message))
}

#[cfg(test)]
mod tests {
    use super::{mask_needles, mask_text};

    fn masked(text: &str, secrets: &[&str]) -> String {
        let mut needles: Vec<String> = secrets.iter().flat_map(|s| mask_needles(s)).collect();
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        mask_text(text, &needles)
    }

    #[test]
    fn a_secret_of_several_lines_is_masked_line_by_line_and_escaped() {
        let key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END KEY-----";
        let log = "error: bad key MIIEvQIBADANBgkqhkiG9w0B in {\"k\": \"-----BEGIN KEY-----\\nMIIEvQIBADANBgkqhkiG9w0B\\n-----END KEY-----\"}";
        let masked = masked(log, &[key]);
        assert!(!masked.contains("MIIEvQ"), "{masked}");
    }

    #[test]
    fn every_secret_value_is_masked_longest_first() {
        assert_eq!(
            masked(
                "token=abcdefgh and abcd, not abc",
                &["abcd", "abcdefgh", ""]
            ),
            "token=•••••• and ••••••, not abc"
        );
    }
}
