//! Template sources (issue 11, point 2): templates added to the catalog from a git repository.
//!
//! A source is a repository (any smart-HTTP remote, fetched with an installation-wide git
//! connection's token when it needs one), a ref and a folder. Syncing it is a job of steps
//! (fetch, check the templates, save): every folder under the path holding a `template.json`
//! is loaded and checked whole, like a built-in template; the ones that pass replace the
//! source's templates in one transaction, the others are listed with what is wrong. A
//! template's id is unique in the catalog: a built-in id or another source's is refused.
//!
//! Adding, syncing and removing a source need `services.manage` on the whole installation;
//! anyone signed in reads the sources, as they read the catalog.

use std::collections::BTreeMap;

use gmac_types::validation::FieldErrors;
use gmac_types::{
    ErrorCode, FieldError, JobStatus, NewTemplateSource, Permission, Template, TemplateProblem,
    TemplateSource, TemplateSourceStatus,
};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;

use crate::access::Target;
use crate::audit::{AuditActor, AuditEntry};
use crate::entities::{git_connection, job, source_template, template_source};
use crate::platform::change::Change;
use crate::platform::jobs::{self, NewJob};
use crate::platform::paging;
use crate::platform::worker::{Handler, JobContext, JobFailure, handler};
use crate::ports::GitRemote;
use crate::services::git_connections;
use crate::templates::{self, Found, LoadedTemplate};
use crate::{Actor, Core, Error, RequestMeta, Result, db};

/// The steps of a sync, in order.
pub const SYNC_STEPS: [&str; 3] = ["fetch", "check the templates", "save"];

/// The largest checkout a sync reads.
const MAX_CHECKOUT_BYTES: usize = 50_000_000;

#[derive(Deserialize)]
struct SyncInput {
    source_id: String,
}

/// The source as the API shows it: its status is its last sync job's.
async fn to_dto(core: &Core, row: template_source::Model) -> Result<TemplateSource> {
    // A sync under way (a new one, or an older one retried through /jobs) is the one that
    // tells; else the last one that ran.
    let last_job = match unfinished_sync(&core.db, &row.id).await? {
        Some(running) => Some(running),
        None => match &row.job_id {
            Some(id) => job::Entity::find_by_id(id.as_str()).one(&core.db).await?,
            None => None,
        },
    };
    let job_id = last_job
        .as_ref()
        .map(|j| j.id.clone())
        .or(row.job_id.clone());
    let (status, error) = match last_job.as_ref().and_then(|j| JobStatus::parse(&j.status)) {
        Some(JobStatus::Queued | JobStatus::Running) => (TemplateSourceStatus::Syncing, None),
        Some(JobStatus::Succeeded) => (TemplateSourceStatus::Ready, None),
        Some(JobStatus::Cancelled) => (
            TemplateSourceStatus::Failed,
            Some("the sync was cancelled".to_owned()),
        ),
        Some(JobStatus::Failed) => (TemplateSourceStatus::Failed, last_job.and_then(|j| j.error)),
        // The job was pruned: what the row kept tells.
        None if row.synced_at.is_some() => (TemplateSourceStatus::Ready, None),
        None => (
            TemplateSourceStatus::Failed,
            Some("the source has not been synced".to_owned()),
        ),
    };
    let templates = source_template::Entity::find()
        .filter(source_template::Column::SourceId.eq(row.id.as_str()))
        .order_by_asc(source_template::Column::TemplateId)
        .all(&core.db)
        .await?
        .into_iter()
        .map(|t| t.template_id)
        .collect();
    let problems: Vec<TemplateProblem> =
        serde_json::from_str(&row.problems).map_err(anyhow::Error::from)?;
    Ok(TemplateSource {
        id: row.id,
        url: row.url,
        connection_id: row.connection_id,
        git_ref: row.git_ref,
        path: row.path,
        status,
        error,
        commit: row.commit_id,
        templates,
        problems,
        job_id,
        synced_at: row.synced_at,
        created_by: row.created_by,
        created_at: row.created_at,
        version: row.version,
    })
}

/// A folder path in a repository: relative, `/`-separated, without `.` or `..` parts.
fn path_ok(path: &str) -> bool {
    path.len() <= 200
        && (path.is_empty()
            || path.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && !part.chars().any(|c| c.is_control() || c == '\\')
            }))
}

/// Checks a new source's fields; answers its URL, ref and path as saved.
async fn check(core: &Core, input: &NewTemplateSource) -> Result<(String, String, String)> {
    let mut errors = FieldErrors::new();
    let url = input.url.trim().to_owned();
    let parsed = url::Url::parse(&url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .filter(|u| u.username().is_empty() && u.password().is_none())
        .filter(|u| u.query().is_none() && u.fragment().is_none())
        .filter(|u| u.host_str().is_some());
    if parsed.is_none() || url.len() > 2000 {
        errors.push(FieldError::new(
            "url",
            "invalid_url",
            "The repository's clone URL over http:// or https://, at most 2000 characters, without a user name, query or fragment (a private repository's token goes in a git connection).",
        ));
    } else if let Err(denied) = core.egress.check_url(&url).await {
        errors.push(FieldError::new(
            "url",
            "egress_denied",
            format!("gmac may not connect there: {denied}."),
        ));
    }
    let git_ref = input.git_ref.trim().to_owned();
    if !gmac_types::validation::ref_ok(&git_ref) {
        errors.push(FieldError::new(
            "ref",
            "invalid",
            "A branch, a tag or a commit id, as git names them (a name of at most 100 characters).",
        ));
    }
    let path = input.path.trim().trim_matches('/').to_owned();
    if !path_ok(&path) {
        errors.push(FieldError::new(
            "path",
            "invalid",
            "A folder of the repository, like templates or platform/templates: at most 200 characters, without . or .. parts.",
        ));
    }
    if let Some(id) = &input.connection_id {
        let usable = git_connection::Entity::find_by_id(id.as_str())
            .one(&core.db)
            .await?
            .is_some_and(|c| c.client_id.is_none());
        if !usable {
            errors.push(FieldError::new(
                "connection_id",
                "unknown",
                "There is no installation-wide git connection of this id (a client's connection cannot fetch the installation's templates).",
            ));
        }
    }
    errors.finish().map_err(Error::Validation)?;
    Ok((url, git_ref, path))
}

/// The dedupe key of a source's syncs: one is queued or running at a time.
fn sync_key(source_id: &str) -> String {
    format!("template_source:{source_id}")
}

/// The source's sync that is queued or running, if any.
async fn unfinished_sync(
    conn: &impl sea_orm::ConnectionTrait,
    source_id: &str,
) -> Result<Option<job::Model>> {
    Ok(job::Entity::find()
        .filter(job::Column::DedupeKey.eq(sync_key(source_id)))
        .filter(
            job::Column::Status.is_in([JobStatus::Queued.as_str(), JobStatus::Running.as_str()]),
        )
        .one(conn)
        .await?)
}

/// Enqueues a sync of `source_id` on `txn` (or answers the one queued or running); answers
/// the job's id. One being cancelled is a conflict: a sync asked for now would be lost.
async fn enqueue_sync(
    txn: &Change,
    core: &Core,
    actor: Option<&Actor>,
    source_id: &str,
) -> Result<String> {
    let mut new_job = NewJob::new(
        crate::platform::job_kinds::TEMPLATE_SOURCE_SYNC,
        serde_json::json!({ "source_id": source_id }),
    );
    new_job.dedupe_key = Some(sync_key(source_id));
    let (row, new) = jobs::enqueue(txn, core, actor, new_job).await?;
    if !new && row.cancel_requested {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "The source's last sync is being cancelled; sync again once it has stopped.",
        ));
    }
    Ok(row.id)
}

/// Adds a template source and starts its first sync (its `job_id`).
pub async fn create(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewTemplateSource,
) -> Result<TemplateSource> {
    actor.require(Permission::ServicesManage, &Target::Global)?;
    let (url, git_ref, path) = check(core, &input).await?;
    let txn = Change::begin(core).await?;
    let taken = template_source::Entity::find()
        .filter(template_source::Column::Url.eq(url.as_str()))
        .filter(template_source::Column::GitRef.eq(git_ref.as_str()))
        .filter(template_source::Column::Path.eq(path.as_str()))
        .one(&txn)
        .await?;
    if taken.is_some() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "This repository's folder at this ref is already a template source; sync that one.",
        ));
    }
    if let Some(connection) = &input.connection_id
        && git_connection::Entity::find_by_id(connection.as_str())
            .one(&txn)
            .await?
            .is_none()
    {
        return Err(Error::invalid(FieldError::new(
            "connection_id",
            "unknown",
            "The git connection was removed meanwhile.",
        )));
    }
    let id = core.new_id();
    let job_id = enqueue_sync(&txn, core, Some(actor), &id).await?;
    let row = template_source::Model {
        id: id.clone(),
        url,
        connection_id: input.connection_id,
        git_ref,
        path,
        commit_id: None,
        problems: "[]".to_owned(),
        job_id: Some(job_id),
        synced_at: None,
        created_by: actor.user_id.clone(),
        created_at: txn.now(),
        version: 1,
    };
    template_source::Entity::insert(template_source::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "template_source.create")
        .target("template_source", id.clone())
        .scope(&Target::Global)
        .details(serde_json::json!({"after": {
            "url": row.url, "ref": row.git_ref, "path": row.path,
            "connection_id": row.connection_id, "job_id": row.job_id,
        }}));
    txn.commit(core, meta, entry).await?;
    to_dto(core, row).await
}

/// The template sources, by URL, a page at a time.
pub async fn list(
    core: &Core,
    actor: &Actor,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<TemplateSource>> {
    actor.ensure_enrolled()?;
    let (rows, next_cursor, total) = paging::page_by_text(
        core,
        template_source::Entity::find(),
        (template_source::Column::Url, template_source::Column::Id),
        page,
        |r| (r.url.clone(), r.id.clone()),
    )
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(to_dto(core, row).await?);
    }
    Ok(gmac_types::Page {
        items,
        next_cursor,
        total,
    })
}

async fn find_row(core: &Core, id: &str) -> Result<template_source::Model> {
    template_source::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)
}

/// One template source.
pub async fn get(core: &Core, actor: &Actor, id: &str) -> Result<TemplateSource> {
    actor.ensure_enrolled()?;
    to_dto(core, find_row(core, id).await?).await
}

/// Syncs a source again (its new `job_id`); a sync already queued or running is answered
/// instead of a second one.
pub async fn sync(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
) -> Result<TemplateSource> {
    actor.require(Permission::ServicesManage, &Target::Global)?;
    let txn = Change::begin(core).await?;
    let row = template_source::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let job_id = enqueue_sync(&txn, core, Some(actor), id).await?;
    let saved = template_source::Entity::update(template_source::ActiveModel {
        id: Set(row.id.clone()),
        job_id: Set(Some(job_id.clone())),
        version: Set(row.version + 1),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "template_source.sync")
        .target("template_source", id.to_owned())
        .scope(&Target::Global)
        .details(serde_json::json!({"url": row.url, "ref": row.git_ref, "job_id": job_id}));
    txn.commit(core, meta, entry).await?;
    to_dto(core, saved).await
}

/// Removes a source and its templates from the catalog. Services made from them keep their
/// repositories and builds; a creation still to push its first commit fails, saying so.
pub async fn delete(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<()> {
    actor.require(Permission::ServicesManage, &Target::Global)?;
    let txn = Change::begin(core).await?;
    let row = template_source::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    // Its sync would only fail, "removed": it is cancelled with it.
    if let Some(running) = unfinished_sync(&txn, id).await? {
        jobs::stop(&txn, core, &running.id).await?;
    }
    let removed: Vec<String> = source_template::Entity::find()
        .filter(source_template::Column::SourceId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| t.template_id)
        .collect();
    source_template::Entity::delete_many()
        .filter(source_template::Column::SourceId.eq(id))
        .exec(&txn)
        .await?;
    db::deleted_one(&template_source::Entity::delete_by_id(id).exec(&txn).await?)?;
    let entry = AuditEntry::success(actor.audit_actor(), "template_source.delete")
        .target("template_source", id.to_owned())
        .scope(&Target::Global)
        .details(serde_json::json!({"before": {
            "url": row.url, "ref": row.git_ref, "path": row.path, "templates": removed,
        }}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// Loads a stored template of a source at `url`.
fn load_stored(
    url: &str,
    row: &source_template::Model,
) -> std::result::Result<LoadedTemplate, String> {
    let files: Vec<(String, String)> =
        serde_json::from_str(&row.files).map_err(|e| format!("its stored files: {e}"))?;
    LoadedTemplate::load(
        url,
        files
            .into_iter()
            .map(|(path, text)| (path, text.into_bytes()))
            .collect(),
    )
    .map(|t| t.from_source(&row.source_id))
}

/// The catalog: the built-in templates and the sources', sorted by id.
pub async fn catalog(core: &Core) -> Result<Vec<Template>> {
    let urls: BTreeMap<String, String> = template_source::Entity::find()
        .all(&core.db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.url))
        .collect();
    let mut out: Vec<Template> = templates::builtin()
        .iter()
        .map(|t| t.info().clone())
        .collect();
    for row in source_template::Entity::find().all(&core.db).await? {
        if templates::find(&row.template_id).is_some() {
            // A later gmac made this id a built-in one: the built-in one wins, as in `find`.
            continue;
        }
        let url = urls.get(&row.source_id).map_or("", String::as_str);
        match load_stored(url, &row) {
            Ok(template) => out.push(template.info().clone()),
            Err(e) => {
                tracing::error!(template = %row.template_id, "a stored template does not load: {e}");
            }
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// The catalog's template `id`, built in or added.
pub async fn find(core: &Core, id: &str) -> Result<Option<Found>> {
    if let Some(builtin) = templates::find(id) {
        return Ok(Some(Found::Builtin(builtin)));
    }
    let Some(row) = source_template::Entity::find_by_id(id)
        .one(&core.db)
        .await?
    else {
        return Ok(None);
    };
    let url = template_source::Entity::find_by_id(row.source_id.as_str())
        .one(&core.db)
        .await?
        .map(|s| s.url)
        .unwrap_or_default();
    let loaded = load_stored(&url, &row).map_err(|e| anyhow::anyhow!("template {id}: {e}"))?;
    Ok(Some(Found::Added(Box::new(loaded))))
}

/// The job that syncs a source.
pub fn sync_handler() -> Handler {
    handler(|ctx| async move { run_sync(&ctx).await })
}

/// A template a sync keeps.
struct Kept {
    id: String,
    folder: String,
    files: Vec<(String, String)>,
}

async fn run_sync(ctx: &JobContext) -> std::result::Result<serde_json::Value, JobFailure> {
    let input: SyncInput = ctx.payload()?;
    let source = template_source::Entity::find_by_id(input.source_id.as_str())
        .one(&ctx.core.db)
        .await?
        .ok_or_else(|| JobFailure::permanent("the template source was removed"))?;

    ctx.step(SYNC_STEPS[0]).await?;
    let hosts = ctx
        .core
        .git_hosts
        .clone()
        .ok_or_else(|| JobFailure::permanent("no git host connector is configured"))?;
    let remote = remote_of(ctx, &source).await?;
    let checkout = hosts
        .checkout(&remote, &source.git_ref, MAX_CHECKOUT_BYTES)
        .await?;
    ctx.log(format!(
        "{} at {} is commit {} ({} KiB of files)",
        source.url,
        source.git_ref,
        checkout.commit,
        checkout.archive.len() / 1024
    ))
    .await?;

    ctx.step(SYNC_STEPS[1]).await?;
    let (kept, problems) = check_folders(ctx, &source, &checkout.archive).await?;

    ctx.step(SYNC_STEPS[2]).await?;
    save(ctx, &source, &checkout.commit, &kept, &problems).await?;
    let ids: Vec<&str> = kept.iter().map(|k| k.id.as_str()).collect();
    ctx.log(format!(
        "{} template(s) in the catalog from this source, {} folder(s) refused",
        ids.len(),
        problems.len()
    ))
    .await?;
    Ok(serde_json::json!({
        "commit": checkout.commit, "templates": ids, "problems": problems.len(),
    }))
}

/// The remote of a source, with its connection's token (masked in the log) when it has one.
async fn remote_of(
    ctx: &JobContext,
    source: &template_source::Model,
) -> std::result::Result<GitRemote, JobFailure> {
    let Some(connection_id) = &source.connection_id else {
        return Ok(GitRemote {
            url: source.url.clone(),
            username: "gmac".to_owned(),
            token: None,
        });
    };
    let connection = git_connection::Entity::find_by_id(connection_id.as_str())
        .one(&ctx.core.db)
        .await?
        .ok_or_else(|| JobFailure::permanent("the source's git connection was removed"))?;
    let access = git_connections::access(&ctx.core, &connection)?;
    if let Some(token) = &access.token {
        ctx.mask(token);
    }
    Ok(GitRemote {
        url: source.url.clone(),
        username: match access.provider {
            gmac_types::GitProvider::Github => "x-access-token".to_owned(),
            _ => connection.account.unwrap_or_else(|| "gmac".to_owned()),
        },
        token: access.token,
    })
}

/// Loads every template folder of the checkout; answers those the catalog can take and the
/// problems of the others, each logged.
async fn check_folders(
    ctx: &JobContext,
    source: &template_source::Model,
    archive: &[u8],
) -> std::result::Result<(Vec<Kept>, Vec<TemplateProblem>), JobFailure> {
    let folders =
        templates::folders_in_archive(archive, &source.path).map_err(JobFailure::permanent)?;
    if folders.is_empty() {
        let place = if source.path.is_empty() {
            "the repository's root".to_owned()
        } else {
            format!("{:?}", source.path)
        };
        return Err(JobFailure::permanent(format!(
            "no template here: neither {place} nor a folder right under it holds a template.json"
        )));
    }
    let elsewhere: BTreeMap<String, String> = source_template::Entity::find()
        .filter(source_template::Column::SourceId.ne(source.id.as_str()))
        .all(&ctx.core.db)
        .await?
        .into_iter()
        .map(|t| (t.template_id, t.source_id))
        .collect();
    let mut kept: Vec<Kept> = Vec::new();
    let mut problems = Vec::new();
    for folder in folders {
        let verdict = match folder.problem.clone() {
            Some(problem) => Err(problem),
            None => LoadedTemplate::load(&source.url, folder.files.clone()).and_then(|t| {
                let id = t.info().id.clone();
                if templates::find(&id).is_some() {
                    Err(format!("its id {id:?} is a built-in template's"))
                } else if elsewhere.contains_key(&id) {
                    Err(format!(
                        "its id {id:?} is already another source's template"
                    ))
                } else if let Some(first) = kept.iter().find(|k| k.id == id) {
                    Err(format!("its id {id:?} is also {}'s", first.folder))
                } else if kept.len() >= templates::MAX_TEMPLATES {
                    Err(format!(
                        "a source adds at most {} templates",
                        templates::MAX_TEMPLATES
                    ))
                } else {
                    Ok(id)
                }
            }),
        };
        match verdict {
            Ok(id) => {
                ctx.log(format!(
                    "{}: template {id} ({} files)",
                    folder.folder,
                    folder.files.len().saturating_sub(1)
                ))
                .await?;
                let files = folder
                    .files
                    .into_iter()
                    .map(|(path, bytes)| (path, String::from_utf8_lossy(&bytes).into_owned()))
                    .collect();
                kept.push(Kept {
                    id,
                    folder: folder.folder,
                    files,
                });
            }
            Err(detail) => {
                ctx.log(format!("{}: refused: {detail}", folder.folder))
                    .await?;
                problems.push(TemplateProblem {
                    folder: folder.folder,
                    detail,
                });
            }
        }
    }
    Ok((kept, problems))
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    Ok(serde_json::to_string(value).map_err(anyhow::Error::from)?)
}

/// Replaces the source's templates with `kept`, in one transaction with its audit row.
async fn save(
    ctx: &JobContext,
    source: &template_source::Model,
    commit: &str,
    kept: &[Kept],
    problems: &[TemplateProblem],
) -> std::result::Result<(), JobFailure> {
    let core = &ctx.core;
    let txn = Change::begin(core).await?;
    let Some(current) = template_source::Entity::find_by_id(source.id.as_str())
        .one(&txn)
        .await?
    else {
        return Err(JobFailure::permanent(
            "the template source was removed meanwhile",
        ));
    };
    let before: Vec<String> = source_template::Entity::find()
        .filter(source_template::Column::SourceId.eq(source.id.as_str()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| t.template_id)
        .collect();
    source_template::Entity::delete_many()
        .filter(source_template::Column::SourceId.eq(source.id.as_str()))
        .exec(&txn)
        .await?;
    for template in kept {
        let bytes: usize = template.files.iter().map(|(_, t)| t.len()).sum();
        source_template::Entity::insert(source_template::ActiveModel {
            template_id: Set(template.id.clone()),
            source_id: Set(source.id.clone()),
            folder: Set(template.folder.clone()),
            files: Set(to_json(&template.files)?),
            bytes: Set(i32::try_from(bytes).unwrap_or(i32::MAX)),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    template_source::Entity::update(template_source::ActiveModel {
        id: Set(source.id.clone()),
        commit_id: Set(Some(commit.to_owned())),
        problems: Set(to_json(problems)?),
        synced_at: Set(Some(txn.now())),
        job_id: Set(Some(ctx.job.id.clone())),
        version: Set(current.version + 1),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let after: Vec<&str> = kept.iter().map(|k| k.id.as_str()).collect();
    let entry = AuditEntry::success(
        AuditActor::System {
            label: "template source sync".to_owned(),
        },
        "template_source.update",
    )
    .target("template_source", source.id.clone())
    .scope(&Target::Global)
    .details(serde_json::json!({
        "url": source.url, "commit": commit, "job_id": ctx.job.id,
        "before": {"templates": before}, "after": {"templates": after},
        "problems": problems,
    }));
    txn.commit(core, &RequestMeta::default(), entry).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sources_folder_is_a_plain_relative_path() {
        for ok in ["", "templates", "platform/templates", "a.b/c-d"] {
            assert!(path_ok(ok), "{ok}");
        }
        for bad in ["a//b", "../x", "a/./b", "a\\b", "a/\n", &"x".repeat(201)] {
            assert!(!path_ok(bad), "{bad}");
        }
    }
}
