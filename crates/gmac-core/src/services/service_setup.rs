//! The jobs that make and remove what a service needs outside gmac (issue 11, point 3).
//!
//! Creation runs ordered steps: validate, create the repository, push the first commit, create
//! the branches, register the push webhook. Each step's result is saved on the service as it
//! ends, so a retried job goes on from the step that failed (the steps before it are logged as
//! done in an earlier run). Deleting a service removes its webhook, its repository when asked
//! (or when a failed creation made it) and then the service.

use gmac_types::{BuildTrigger, GitProvider, ServiceStatus};
use sea_orm::{EntityTrait, Set};
use serde::Deserialize;

use crate::audit::{AuditActor, AuditEntry};
use crate::entities::{client, git_connection, project, service};
use crate::platform::change::Change;
use crate::platform::worker::{Handler, JobContext, JobFailure, handler};
use crate::ports::{GitHostAccess, GitHostError, GitHosts, GitRemote, NewCommit, RepositoryRef};
use crate::services::{build_settings, builds, catalog, git_connections};
use crate::{Core, RequestMeta};

/// The steps of a creation, in order.
pub const CREATION_STEPS: [&str; 6] = [
    "validate",
    "create the repository",
    "push the first commit",
    "create the branches",
    "register the webhook",
    "start the first build",
];

/// The steps of a deletion, in order.
pub const DELETION_STEPS: [&str; 4] = [
    "stop the releases",
    "remove the webhook",
    "delete the repository",
    "forget the service",
];

impl From<GitHostError> for JobFailure {
    fn from(err: GitHostError) -> Self {
        match err {
            GitHostError::Refused(message) => JobFailure::permanent(message),
            GitHostError::Unavailable(message) => JobFailure::transient(message),
        }
    }
}

#[derive(Deserialize)]
struct CreateInput {
    service_id: String,
}

#[derive(Deserialize)]
struct DeleteInput {
    service_id: String,
    delete_repository: bool,
}

/// What a step needs to reach the host.
pub(crate) struct Reach {
    pub(crate) hosts: std::sync::Arc<dyn GitHosts>,
    access: GitHostAccess,
    account: Option<String>,
}

impl Reach {
    /// The host of `row`'s git connection, its token masked in the job's log.
    pub(crate) async fn of(ctx: &JobContext, row: &service::Model) -> Result<Self, JobFailure> {
        let hosts = ctx
            .core
            .git_hosts
            .clone()
            .ok_or_else(|| JobFailure::permanent("no git host connector is configured"))?;
        let connection = git_connection::Entity::find_by_id(row.git_connection_id.as_str())
            .one(&ctx.core.db)
            .await?
            .ok_or_else(|| JobFailure::permanent("the service's git connection was removed"))?;
        let access = git_connections::access(&ctx.core, &connection)?;
        if let Some(token) = &access.token {
            ctx.mask(token);
        }
        Ok(Self {
            hosts,
            access,
            account: connection.account,
        })
    }

    fn repo(row: &service::Model) -> RepositoryRef {
        RepositoryRef {
            owner: row.repo_owner.clone(),
            name: row.repo_name.clone(),
        }
    }

    /// The remote to push to, with the user name each host takes a token with.
    pub(crate) fn remote(&self, row: &service::Model) -> Result<GitRemote, JobFailure> {
        let url = row
            .clone_url
            .clone()
            .ok_or_else(|| JobFailure::permanent("the repository's address is not known"))?;
        let username = match self.access.provider {
            GitProvider::Github => "x-access-token".to_owned(),
            _ => self.account.clone().unwrap_or_else(|| "gmac".to_owned()),
        };
        Ok(GitRemote {
            url,
            username,
            token: self.access.token.clone(),
        })
    }
}

/// Saves `change` on the service's row and answers the row as saved.
async fn save(
    core: &Core,
    row: &service::Model,
    change: impl FnOnce(&mut service::ActiveModel),
) -> Result<service::Model, JobFailure> {
    let mut active = service::ActiveModel {
        id: Set(row.id.clone()),
        updated_at: Set(core.now()),
        version: Set(row.version + 1),
        ..Default::default()
    };
    change(&mut active);
    service::Entity::update(active).exec(&core.db).await?;
    catalog::load(core, &row.id)
        .await?
        .ok_or_else(|| JobFailure::permanent("the service was deleted meanwhile"))
}

/// Settles what job `id`, cancelled, leaves: a service still `creating` turns `failed` (to be
/// retried from its step or abandoned), a build's row turns `cancelled`. Each change holds only
/// while the row is still as the job left it.
pub async fn settle_cancelled(core: &Core, id: &str) -> crate::Result<()> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, ExprTrait, QueryFilter};
    let Some(job) = crate::entities::job::Entity::find_by_id(id)
        .one(&core.db)
        .await?
    else {
        return Ok(());
    };
    if job.status != gmac_types::JobStatus::Cancelled.as_str() {
        return Ok(());
    }
    let solo = crate::db::Solo(&core.db);
    match job.kind.as_str() {
        crate::platform::job_kinds::SERVICE_CREATE => {
            service::Entity::update_many()
                .filter(service::Column::CreationJobId.eq(id))
                .filter(service::Column::Status.eq(ServiceStatus::Creating.id()))
                .col_expr(service::Column::Status, Expr::value(ServiceStatus::Failed.id()))
                .col_expr(
                    service::Column::StatusDetail,
                    Expr::value("Its creation was cancelled: retry it from its step, or delete the service to undo it."),
                )
                .col_expr(service::Column::UpdatedAt, Expr::value(core.now()))
                .col_expr(service::Column::Version, Expr::col(service::Column::Version).add(1))
                .exec(&solo)
                .await?;
        }
        crate::platform::job_kinds::SERVICE_BUILD => {
            builds::mark_cancelled(&solo, id, job.finished_at.unwrap_or_else(|| core.now()))
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// The handler of `service.create`.
pub fn creation_handler() -> Handler {
    handler(|ctx| async move {
        let input: CreateInput = ctx.payload()?;
        let outcome = create(&ctx, &input.service_id).await;
        if let Err(failure) = &outcome
            && (failure.permanent || ctx.job.attempts >= ctx.job.max_attempts)
            && let Ok(Some(row)) = catalog::load(&ctx.core, &input.service_id).await
            && row.status == ServiceStatus::Creating.id()
        {
            let detail = failure.message.clone();
            let _ = save(&ctx.core, &row, |a| {
                a.status = Set(ServiceStatus::Failed.id().to_owned());
                a.status_detail = Set(Some(detail));
            })
            .await;
        }
        outcome
    })
}

async fn create(ctx: &JobContext, id: &str) -> Result<serde_json::Value, JobFailure> {
    let Some(mut row) = catalog::load(&ctx.core, id).await? else {
        return Err(JobFailure::permanent("the service was deleted"));
    };
    if row.status == ServiceStatus::Deleting.id() {
        return Err(JobFailure::permanent("the service is being deleted"));
    }
    if row.status != ServiceStatus::Creating.id() {
        row = save(&ctx.core, &row, |a| {
            a.status = Set(ServiceStatus::Creating.id().to_owned());
            a.status_detail = Set(None);
        })
        .await?;
    }
    let reach = Reach::of(ctx, &row).await?;
    let secret = catalog::webhook_secret(&ctx.core, &row)?;
    ctx.mask(&secret);

    // Always run: the template and parameters are checked against what gmac has now.
    ctx.step(CREATION_STEPS[0]).await?;
    let (template_name, files) = first_commit_files(ctx, &row).await?;
    ctx.log(format!(
        "template {} renders {} files; repository {}/{} on {}",
        row.template,
        files.len(),
        row.repo_owner,
        row.repo_name,
        reach.access.base_url
    ))
    .await?;

    if ctx.begin_step(CREATION_STEPS[1]).await? {
        row = create_repository(ctx, &reach, row).await?;
    }

    let environments = catalog::environments(&row);
    let main = catalog::main_branch(&environments);
    let remote = reach.remote(&row)?;
    if ctx.begin_step(CREATION_STEPS[2]).await? {
        let heads = reach.hosts.branches(&remote).await?;
        if !heads.is_empty() {
            return Err(JobFailure::permanent(format!(
                "the repository is not empty (it has {}); gmac pushes a first commit only to an empty one",
                heads
                    .iter()
                    .map(|(b, _)| b.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let commit = NewCommit {
            branch: main.clone(),
            message: format!(
                "{} from the {} template\n\nCreated by gmac.",
                row.name, template_name
            ),
            author: ("gmac".to_owned(), "gmac@localhost".to_owned()),
            files: files.into_iter().map(|f| (f.path, f.content)).collect(),
        };
        let id = reach.hosts.push_commit(&remote, &commit).await?;
        row = save(&ctx.core, &row, |a| a.first_commit = Set(Some(id.clone()))).await?;
        ctx.log(format!("pushed {id} to {main}")).await?;
    }

    if ctx.begin_step(CREATION_STEPS[3]).await? {
        let first = row
            .first_commit
            .clone()
            .ok_or_else(|| JobFailure::permanent("the first commit is not known"))?;
        let others: Vec<String> = environments
            .iter()
            .map(|e| e.branch.clone())
            .filter(|b| *b != main)
            .collect();
        reach
            .hosts
            .create_branches(&remote, &main, &first, &others)
            .await?;
        ctx.log(format!("branches {} at {first}", others.join(", ")))
            .await?;
    }

    if ctx.begin_step(CREATION_STEPS[4]).await? {
        row = register_webhook(ctx, &reach, row, &secret).await?;
    }

    row = save(&ctx.core, &row, |a| {
        a.status = Set(ServiceStatus::Active.id().to_owned());
        a.status_detail = Set(None);
    })
    .await?;
    // Active now, so the build can run; a retry after this step builds nothing twice.
    let mut first_build = None;
    if ctx.begin_step(CREATION_STEPS[5]).await? {
        first_build = Some(start_first_build(ctx, &row, &main, &environments).await?);
    }
    Ok(serde_json::json!({
        "service_id": row.id,
        "clone_url": row.clone_url,
        "first_commit": row.first_commit,
        "first_build_id": first_build,
    }))
}

/// Queues the first build, of production's branch at the first commit; answers its id.
async fn start_first_build(
    ctx: &JobContext,
    row: &service::Model,
    main: &str,
    environments: &[gmac_types::ServiceEnvironment],
) -> Result<String, JobFailure> {
    let txn = Change::begin(&ctx.core).await?;
    let built = builds::enqueue(
        &txn,
        &ctx.core,
        None,
        row,
        builds::Spec {
            git_ref: main.to_owned(),
            commit: row.first_commit.clone(),
            environment: environments
                .iter()
                .find(|e| e.branch == main)
                .map(|e| e.name.clone()),
            trigger: BuildTrigger::Creation,
            cache: build_settings::settings(row).cache,
        },
    )
    .await?;
    let entry = AuditEntry::success(
        AuditActor::System {
            label: "service creation".to_owned(),
        },
        "build.start",
    )
    .target("build", built.id.clone())
    .scope(&catalog::target_of(row))
    .details(serde_json::json!({
        "service_id": row.id, "number": built.number, "ref": built.git_ref,
        "commit": built.commit_id, "job_id": built.job_id,
    }));
    txn.commit(&ctx.core, &RequestMeta::default(), entry)
        .await?;
    ctx.log(format!("build #{} of {main} queued", built.number))
        .await?;
    Ok(built.id)
}

/// The template's files for the first commit, its parameters checked again; answers the
/// template's name and the files.
async fn first_commit_files(
    ctx: &JobContext,
    row: &service::Model,
) -> Result<(String, Vec<crate::templates::RenderedFile>), JobFailure> {
    let template = crate::services::template_sources::find(&ctx.core, &row.template)
        .await?
        .ok_or_else(|| {
            JobFailure::permanent(format!(
                "the template {} is no longer in the catalog (its source was removed?)",
                row.template
            ))
        })?;
    let parameters = template
        .validate(&serde_json::Value::Object(catalog::parameters(row)))
        .map_err(|errors| {
            JobFailure::permanent(
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.pointer, e.detail))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
    let owner = project::Entity::find_by_id(row.project_id.as_str())
        .one(&ctx.core.db)
        .await?
        .ok_or_else(|| JobFailure::permanent("the project was deleted"))?;
    let client_name = client::Entity::find_by_id(row.client_id.as_str())
        .one(&ctx.core.db)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let files = template
        .render(
            crate::templates::RenderContext {
                service_name: &row.name,
                project: &owner.name,
                client: &client_name,
            },
            &parameters,
        )
        .map_err(JobFailure::permanent)?;
    Ok((template.info().name.clone(), files))
}

/// Creates the repository (on a plain git remote: finds the one that exists); answers the row
/// as saved, with where to clone it.
async fn create_repository(
    ctx: &JobContext,
    reach: &Reach,
    row: service::Model,
) -> Result<service::Model, JobFailure> {
    let made = reach
        .hosts
        .create_repository(&reach.access, &Reach::repo(&row), &row.description)
        .await?;
    let created = reach.access.provider != GitProvider::Git;
    let row = save(&ctx.core, &row, |a| {
        a.clone_url = Set(Some(made.clone_url.clone()));
        a.html_url = Set(made.html_url.clone());
        a.repo_created = Set(created);
    })
    .await?;
    ctx.log(format!(
        "{} {}",
        if created { "created" } else { "using" },
        made.clone_url
    ))
    .await?;
    Ok(row)
}

/// Registers the push webhook (a plain git remote has none: its `post-receive` hook posts
/// pushes); answers the row as saved.
async fn register_webhook(
    ctx: &JobContext,
    reach: &Reach,
    row: service::Model,
    secret: &str,
) -> Result<service::Model, JobFailure> {
    let url = catalog::hook_url(&ctx.core, &row);
    if reach.access.provider == GitProvider::Git {
        ctx.log(format!(
            "a plain git remote has no webhooks: its post-receive hook posts pushes to {url}"
        ))
        .await?;
        return Ok(row);
    }
    let hook = reach
        .hosts
        .create_webhook(&reach.access, &Reach::repo(&row), &url, secret)
        .await?;
    let row = save(&ctx.core, &row, |a| a.webhook_id = Set(Some(hook.clone()))).await?;
    ctx.log(format!("webhook {hook} posts pushes to {url}"))
        .await?;
    Ok(row)
}

/// The handler of `service.delete`.
pub fn deletion_handler() -> Handler {
    handler(|ctx| async move {
        let input: DeleteInput = ctx.payload()?;
        let Some(row) = catalog::load(&ctx.core, &input.service_id).await? else {
            return Ok(serde_json::json!({"service_id": input.service_id, "deleted": true}));
        };
        // What runs for the service goes first: its containers and its proxy routes.
        if ctx.begin_step(DELETION_STEPS[0]).await? {
            crate::services::release_teardown::wait_for_work(&ctx, &row.id, None).await?;
            crate::services::release_teardown::tear_down(&ctx, &row.id, None).await?;
        }
        let reach = Reach::of(&ctx, &row).await?;
        let repo = Reach::repo(&row);
        if ctx.begin_step(DELETION_STEPS[1]).await? {
            if let Some(hook) = &row.webhook_id {
                reach
                    .hosts
                    .delete_webhook(&reach.access, &repo, hook)
                    .await?;
                ctx.log(format!("webhook {hook} removed")).await?;
            } else {
                ctx.log("no webhook was registered").await?;
            }
        }
        if ctx.begin_step(DELETION_STEPS[2]).await? {
            if input.delete_repository {
                reach.hosts.delete_repository(&reach.access, &repo).await?;
                ctx.log(format!("repository {}/{} deleted", repo.owner, repo.name))
                    .await?;
            } else {
                ctx.log(format!("repository {}/{} kept", repo.owner, repo.name))
                    .await?;
            }
        }
        ctx.step(DELETION_STEPS[3]).await?;
        catalog::forget(&ctx.core, &row).await?;
        Ok(serde_json::json!({
            "service_id": row.id,
            "repository_deleted": input.delete_repository,
        }))
    })
}
