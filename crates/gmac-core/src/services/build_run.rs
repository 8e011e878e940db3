//! The job that runs a build (issue 11, point 5): checkout at the commit, pre-build hooks,
//! the image, its tags (and the push to the installation's registry), post-build hooks. Each
//! step's lines go to the job's log as they come, every secret value masked (the git token,
//! the build secrets). Hooks run in containers without a network, never on gmac's host; build
//! secrets reach the build as secret mounts, never as build arguments.
//!
//! A project runs at most `core.builds.per_project` builds at once: a build beyond that waits,
//! queued, without using an attempt.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use gmac_types::{BuildStatus, ServiceStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::Deserialize;
use tokio::sync::mpsc::unbounded_channel;

use crate::entities::{build, job, project};
use crate::platform::worker::{Handler, JobContext, JobFailure, handler};
use crate::ports::{ContainerHost, HookRun, ImageBuild, ImageBuildError};
use crate::services::builds::{STEPS, image_repository};
use crate::services::service_setup::Reach;
use crate::services::{build_settings, catalog};

/// How long a build waits before looking for a place again, when its project is at its limit.
const WAIT_FOR_A_PLACE: Duration = Duration::from_secs(2);

impl From<ImageBuildError> for JobFailure {
    fn from(err: ImageBuildError) -> Self {
        match err {
            ImageBuildError::Failed(message) => JobFailure::permanent(message),
            ImageBuildError::Unavailable(message) => JobFailure::transient(message),
        }
    }
}

#[derive(Deserialize)]
struct RunInput {
    build_id: String,
}

/// The handler of `service.build`.
pub fn handler_of_builds() -> Handler {
    handler(|ctx| async move {
        let input: RunInput = ctx.payload()?;
        let Some(row) = build::Entity::find_by_id(input.build_id.as_str())
            .one(&ctx.core.db)
            .await?
        else {
            return Err(JobFailure::permanent("the build was deleted"));
        };
        if let Some(running) = take_a_place(&ctx, &row).await? {
            let limit = ctx.core.builds.per_project.max(1);
            return Err(JobFailure::later(
                WAIT_FOR_A_PLACE,
                format!("{running} builds of this project are running (the limit is {limit})"),
            ));
        }
        let outcome = run(&ctx, row.clone()).await;
        let (status, error) = match &outcome {
            Ok(_) => (BuildStatus::Succeeded, None),
            Err(f) if f.permanent || ctx.job.attempts >= ctx.job.max_attempts => {
                (BuildStatus::Failed, Some(ctx.masked(&f.message)))
            }
            // Tried again after a backoff.
            Err(_) => (BuildStatus::Queued, None),
        };
        mark(&ctx, &row.id, status, error).await?;
        outcome
    })
}

/// Marks the build running if its project has a place under its limit; answers how many of
/// its builds run when it has none. The count and the mark are one write transaction (on
/// PostgreSQL the project's row is locked meanwhile), so two workers never both take the
/// last place.
async fn take_a_place(ctx: &JobContext, row: &build::Model) -> Result<Option<u64>, JobFailure> {
    let txn = crate::db::begin_write(&ctx.core.db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        project::Entity::find_by_id(row.project_id.as_str())
            .lock_exclusive()
            .one(&txn)
            .await?;
    }
    // Running by its row and by its job: a build whose worker died mid-run (its row still
    // says running) holds no place once its job has ended or waits for another worker.
    let running_jobs = sea_orm::sea_query::Query::select()
        .column(job::Column::Id)
        .from(job::Entity)
        .and_where(job::Column::Status.eq(gmac_types::JobStatus::Running.as_str()))
        .to_owned();
    let running = build::Entity::find()
        .filter(build::Column::ProjectId.eq(row.project_id.as_str()))
        .filter(build::Column::Status.eq(BuildStatus::Running.id()))
        .filter(build::Column::Id.ne(row.id.as_str()))
        .filter(build::Column::JobId.in_subquery(running_jobs))
        .count(&txn)
        .await?;
    if running >= u64::from(ctx.core.builds.per_project.max(1)) {
        txn.commit().await?;
        return Ok(Some(running));
    }
    build::Entity::update_many()
        .filter(build::Column::Id.eq(row.id.as_str()))
        .col_expr(
            build::Column::Status,
            Expr::value(BuildStatus::Running.id()),
        )
        .col_expr(build::Column::StartedAt, Expr::value(ctx.core.now()))
        .col_expr(
            build::Column::FinishedAt,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .col_expr(build::Column::Error, Expr::value(Option::<String>::None))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(None)
}

/// Keeps how the build's run ended (or that it waits for another attempt) on its row; its
/// start is marked by [`take_a_place`].
async fn mark(
    ctx: &JobContext,
    id: &str,
    status: BuildStatus,
    error: Option<String>,
) -> Result<(), JobFailure> {
    let mut update = build::Entity::update_many()
        .filter(build::Column::Id.eq(id))
        .col_expr(build::Column::Status, Expr::value(status.id()))
        .col_expr(build::Column::Error, Expr::value(error));
    if status.is_finished() {
        update = update.col_expr(build::Column::FinishedAt, Expr::value(ctx.core.now()));
    }
    update.exec(&crate::db::Solo(&ctx.core.db)).await?;
    Ok(())
}

/// The log a container host writes to while `work` runs: its lines go to the job's log as
/// they come.
pub(crate) type Sink = Arc<dyn Fn(String) + Send + Sync>;

/// Runs `work` with a [`Sink`] whose lines are written to the job's log as they come.
pub(crate) async fn logged<T, Fut>(
    ctx: &JobContext,
    work: impl FnOnce(Sink) -> Fut,
) -> Result<T, JobFailure>
where
    Fut: Future<Output = T>,
{
    let (tx, mut lines) = unbounded_channel::<String>();
    let sink: Sink = Arc::new(move |line| {
        let _ = tx.send(line);
    });
    let work = work(sink);
    tokio::pin!(work);
    let out = loop {
        tokio::select! {
            out = &mut work => break out,
            Some(line) = lines.recv() => ctx.log(line).await?,
        }
    };
    while let Ok(line) = lines.try_recv() {
        ctx.log(line).await?;
    }
    Ok(out)
}

/// What the steps of one build share.
struct Run<'a> {
    ctx: &'a JobContext,
    containers: Arc<dyn ContainerHost>,
    labels: BTreeMap<String, String>,
}

impl Run<'_> {
    /// Runs `scripts` one after the other in containers of `image`, each with `workspace` at
    /// `/workspace` when given; answers the workspace as the last one left it.
    async fn hooks(
        &self,
        kind: &str,
        image: &str,
        scripts: &[String],
        mut workspace: Option<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>, JobFailure> {
        for (i, script) in scripts.iter().enumerate() {
            self.ctx.log(format!("$ {script}")).await?;
            let hook = HookRun {
                image: image.to_owned(),
                script: script.clone(),
                keep_workspace: workspace.is_some(),
                workspace: workspace.clone(),
                labels: self.labels.clone(),
            };
            let containers = &self.containers;
            let outcome = logged(self.ctx, |log| async move {
                containers.run_hook(&hook, &*log).await
            })
            .await??;
            if outcome.exit_code != 0 {
                return Err(JobFailure::permanent(format!(
                    "{kind} hook {} exited with {}",
                    i + 1,
                    outcome.exit_code
                )));
            }
            if outcome.workspace.is_some() {
                workspace = outcome.workspace;
            }
        }
        Ok(workspace)
    }
}

async fn run(ctx: &JobContext, mut row: build::Model) -> Result<serde_json::Value, JobFailure> {
    let core = &ctx.core;
    let Some(service) = catalog::load(core, &row.service_id).await? else {
        return Err(JobFailure::permanent("the service was deleted"));
    };
    if service.status != ServiceStatus::Active.id() {
        return Err(JobFailure::permanent(format!(
            "the service is {}",
            service.status
        )));
    }
    let containers = core
        .containers
        .clone()
        .ok_or_else(|| JobFailure::permanent("no container host is configured"))?;
    let settings = build_settings::settings(&service);
    let secrets = build_settings::secrets(core, &service)?;
    for value in secrets.values() {
        ctx.mask(value);
    }
    let run = Run {
        ctx,
        containers,
        labels: catalog::labels(&service, row.environment.as_deref()),
    };

    ctx.step(STEPS[0]).await?;
    let mut archive = checkout(ctx, &service, &mut row).await?;

    if !settings.pre_build.is_empty() {
        ctx.step(STEPS[1]).await?;
        if let Some(changed) = run
            .hooks(
                "pre-build",
                &settings.hook_image,
                &settings.pre_build,
                Some(archive.clone()),
            )
            .await?
        {
            archive = changed;
        }
    }

    ctx.step(STEPS[2]).await?;
    let repository = image_repository(core, &service);
    let commit = row.commit_id.clone().unwrap_or_default();
    let short: String = commit.chars().take(12).collect();
    let mut tags = vec![
        format!("{repository}:{short}"),
        format!("{repository}:build-{}", row.number),
    ];
    if let Some(environment) = &row.environment {
        tags.push(format!("{repository}:{environment}"));
    }
    let mut labels = run.labels.clone();
    labels.insert("gmac.io/commit".to_owned(), commit.clone());
    labels.insert("gmac.io/build".to_owned(), row.id.clone());
    let spec = ImageBuild {
        context: Vec::new(),
        archive: Some(archive),
        dockerfile: settings.dockerfile.clone(),
        tags: tags.clone(),
        build_args: settings.build_args.clone(),
        labels,
        no_cache: !row.cache,
        secrets,
        network: core.builds.network,
    };
    let containers = &run.containers;
    let image_id = logged(ctx, |log| async move {
        containers.build_image(&spec, &*log).await
    })
    .await?
    .map_err(|e| match e {
        ImageBuildError::Failed(message) => {
            JobFailure::permanent(format!("the image build failed: {message}"))
        }
        unavailable @ ImageBuildError::Unavailable(_) => unavailable.into(),
    })?;
    ctx.log(format!("image {image_id}")).await?;
    let tags_json = serde_json::to_string(&tags)
        .map_err(|e| JobFailure::permanent(format!("the tags: {e}")))?;
    save(ctx, &row.id, |u| {
        u.col_expr(build::Column::ImageId, Expr::value(image_id.clone()))
            .col_expr(build::Column::ImageTags, Expr::value(tags_json.clone()))
    })
    .await?;

    ctx.step(STEPS[3]).await?;
    let digest = tag(&run, &row.id, &tags).await?;

    if !settings.post_build.is_empty() {
        ctx.step(STEPS[4]).await?;
        run.hooks("post-build", &image_id, &settings.post_build, None)
            .await?;
    }
    Ok(serde_json::json!({
        "build_id": row.id,
        "commit": commit,
        "image_id": image_id,
        "tags": tags,
        "digest": digest,
    }))
}

/// The checkout step: the tree of the build's commit (or of its ref, resolved to a commit
/// that is saved on the build), as a tar archive.
async fn checkout(
    ctx: &JobContext,
    service: &crate::entities::service::Model,
    row: &mut build::Model,
) -> Result<Vec<u8>, JobFailure> {
    let reach = Reach::of(ctx, service).await?;
    let remote = reach.remote(service)?;
    let wanted = row.commit_id.clone().unwrap_or_else(|| row.git_ref.clone());
    let checkout = reach
        .hosts
        .checkout(&remote, &wanted, ctx.core.builds.max_context_bytes)
        .await?;
    ctx.log(format!(
        "{} is commit {} ({} KiB of files)",
        row.git_ref,
        checkout.commit,
        checkout.archive.len() / 1024
    ))
    .await?;
    if row.commit_id.as_deref() != Some(checkout.commit.as_str()) {
        let commit = checkout.commit.clone();
        save(ctx, &row.id, |u| {
            u.col_expr(build::Column::CommitId, Expr::value(commit))
        })
        .await?;
        row.commit_id = Some(checkout.commit.clone());
    }
    Ok(checkout.archive)
}

/// The tag step: the tags are logged, and the first pushed to the installation's registry
/// when it has one; answers the registry's digest.
async fn tag(run: &Run<'_>, id: &str, tags: &[String]) -> Result<Option<String>, JobFailure> {
    let ctx = run.ctx;
    for tag in tags {
        ctx.log(format!("tagged {tag}")).await?;
    }
    if ctx.core.builds.registry.is_none() {
        ctx.log("no registry is configured: the image stays on the container host")
            .await?;
        return Ok(None);
    }
    let containers = &run.containers;
    let first = &tags[0];
    let pushed = logged(ctx, |log| async move {
        containers.push_image(first, &*log).await
    })
    .await??;
    ctx.log(format!("pushed {first} as {pushed}")).await?;
    let digest = pushed.clone();
    save(ctx, id, |u| {
        u.col_expr(build::Column::Digest, Expr::value(digest))
    })
    .await?;
    Ok(Some(pushed))
}

/// Saves a change to the build's row.
async fn save(
    ctx: &JobContext,
    id: &str,
    change: impl FnOnce(sea_orm::UpdateMany<build::Entity>) -> sea_orm::UpdateMany<build::Entity>,
) -> Result<(), JobFailure> {
    change(build::Entity::update_many().filter(build::Column::Id.eq(id)))
        .exec(&crate::db::Solo(&ctx.core.db))
        .await?;
    Ok(())
}
