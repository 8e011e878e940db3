//! Inbound push webhooks (issue 11, point 4): Gitea's and GitHub's deliveries, and a plain git
//! remote's `post-receive` hook, each signed with the service's webhook secret (HMAC-SHA256 of
//! the body). A push is kept once per (ref, commit): a redelivery is answered as a duplicate
//! and changes nothing. A push to a branch an environment builds starts a build of the pushed
//! commit, in the same transaction.

use gmac_types::{BuildTrigger, GitProvider, ServicePush, ServiceStatus};
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use sha2::Sha256;

use crate::audit::{AuditActor, AuditEntry};
use crate::entities::service_push;
use crate::platform::change::Change;
use crate::services::{build_settings, builds, catalog};
use crate::{Core, Error, RequestMeta, Result};

/// The largest delivery read (GitHub caps its payloads at 25 MB; a push event is far smaller).
pub const MAX_BODY: usize = 5 * 1024 * 1024;

/// The signature a delivery came with, by the header it was in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signature {
    /// `X-Hub-Signature-256: sha256=<hex>` (GitHub; gmac's own post-receive hook too).
    Sha256Prefixed(String),
    /// `X-Gitea-Signature: <hex>`.
    GiteaHex(String),
}

impl Signature {
    fn hex(&self) -> Option<&str> {
        match self {
            Signature::Sha256Prefixed(value) => value.trim().strip_prefix("sha256="),
            Signature::GiteaHex(value) => Some(value.trim()),
        }
    }
}

/// The event a delivery says it is (`X-GitHub-Event`, `X-Gitea-Event`), when it says.
#[derive(Deserialize)]
struct PushEvent {
    #[serde(rename = "ref")]
    git_ref: String,
    after: String,
}

/// A ref deleted (`X-Gitea-Event: delete`, `X-GitHub-Event: delete`).
#[derive(Deserialize)]
struct DeleteEvent {
    #[serde(rename = "ref")]
    git_ref: String,
    ref_type: String,
}

/// The environment a push to `branch` builds for: the one whose branch it is; else its
/// preview, opened (or moved on) in `txn` when the service is active, opens previews, and
/// staging has a target to deploy it to.
async fn environment_of(
    txn: &Change,
    core: &Core,
    row: &crate::entities::service::Model,
    branch: &str,
) -> Result<Option<String>> {
    if let Some(env) = catalog::environments(row)
        .into_iter()
        .find(|e| e.branch == branch)
    {
        return Ok(Some(env.name));
    }
    if row.status != ServiceStatus::Active.id() {
        return Ok(None);
    }
    crate::services::previews::pushed(txn, core, row, branch).await
}

/// A ref deleted (Gitea's and GitHub's `delete` event): a branch's preview goes.
async fn take_delete(
    core: &Core,
    meta: &RequestMeta,
    row: &crate::entities::service::Model,
    body: &[u8],
) -> Result<()> {
    let deleted: DeleteEvent = serde_json::from_slice(body)
        .map_err(|e| Error::BadRequest(format!("The body is not a delete event: {e}.")))?;
    if deleted.ref_type != "branch" {
        return Ok(());
    }
    let branch = deleted.git_ref.trim_start_matches("refs/heads/");
    branch_deleted(core, meta, row, Some(branch)).await
}

/// The preview of `branch` (a branch's ref), deleted on its host, goes (when the service has
/// one open).
async fn branch_deleted(
    core: &Core,
    meta: &RequestMeta,
    row: &crate::entities::service::Model,
    branch: Option<&str>,
) -> Result<()> {
    let Some(branch) = branch else {
        return Ok(());
    };
    let txn = Change::begin(core).await?;
    let entry = crate::services::previews::close_branch(&txn, core, row, branch).await?;
    txn.commit_if(core, meta, entry).await
}

/// Whether `signature` is the HMAC-SHA256 of `body` under `secret` (compared in constant time).
pub fn verify(secret: &str, body: &[u8], signature: &Signature) -> bool {
    let Some(given) = signature.hex().and_then(|h| hex::decode(h).ok()) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// Takes a push delivered for service `id` by `source`. A delivery without a valid signature is refused
/// (401) before its body is read as JSON; an event other than a push (`ping`) or a branch
/// deletion is answered `None`, and changes nothing.
pub async fn receive(
    core: &Core,
    meta: &RequestMeta,
    id: &str,
    source: GitProvider,
    event: Option<&str>,
    signature: Option<Signature>,
    body: &[u8],
) -> Result<Option<ServicePush>> {
    let row = catalog::find(&core.db, id).await?;
    let secret = catalog::webhook_secret(core, &row)?;
    let Some(signature) = signature else {
        return Err(Error::InvalidToken);
    };
    if !verify(&secret, body, &signature) {
        return Err(Error::InvalidToken);
    }
    if event == Some("delete") {
        take_delete(core, meta, &row, body).await?;
        return Ok(None);
    }
    if event.is_some_and(|e| e != "push") {
        return Ok(None);
    }
    let push: PushEvent = serde_json::from_slice(body)
        .map_err(|e| Error::BadRequest(format!("The body is not a push event: {e}.")))?;
    let valid_commit =
        (4..=64).contains(&push.after.len()) && push.after.chars().all(|c| c.is_ascii_hexdigit());
    if !valid_commit || push.git_ref.len() > 300 {
        return Err(Error::BadRequest(
            "The push names no commit (after) or its ref is too long.".to_owned(),
        ));
    }
    // Hosts write commits in lower case; one written otherwise is the same commit.
    let commit = push.after.to_ascii_lowercase();
    let branch = push.git_ref.strip_prefix("refs/heads/");
    if commit.chars().all(|c| c == '0') {
        // A deleted branch builds nothing, and its preview goes.
        branch_deleted(core, meta, &row, branch).await?;
        return Ok(None);
    }
    if row.status == ServiceStatus::Deleting.id() {
        // A service being deleted takes no pushes.
        return Ok(None);
    }
    let txn = Change::begin(core).await?;
    if let Some(seen) = service_push::Entity::find()
        .filter(service_push::Column::ServiceId.eq(row.id.as_str()))
        .filter(service_push::Column::GitRef.eq(push.git_ref.as_str()))
        .filter(service_push::Column::CommitId.eq(commit.as_str()))
        .one(&txn)
        .await?
    {
        txn.commit_unaudited().await?;
        return Ok(Some(to_dto(seen, true)));
    }
    let environment = match branch {
        Some(branch) => environment_of(&txn, core, &row, branch).await?,
        None => None,
    };
    // A push to a branch an environment builds starts a build of the pushed commit.
    let build = match (&environment, branch) {
        (Some(env), Some(branch)) if row.status == ServiceStatus::Active.id() => Some(
            builds::enqueue(
                &txn,
                core,
                None,
                &row,
                builds::Spec {
                    git_ref: branch.to_owned(),
                    commit: Some(commit.clone()),
                    environment: Some(env.clone()),
                    trigger: BuildTrigger::Push,
                    cache: build_settings::settings(&row).cache,
                },
            )
            .await?,
        ),
        _ => None,
    };
    let kept = service_push::Model {
        id: core.new_id(),
        service_id: row.id.clone(),
        git_ref: push.git_ref.clone(),
        commit_id: commit,
        environment: environment.clone(),
        source: source.id().to_owned(),
        received_at: core.now(),
        build_id: build.as_ref().map(|b| b.id.clone()),
    };
    service_push::Entity::insert(service_push::ActiveModel::from(kept.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(
        AuditActor::System {
            label: format!("{} webhook", source.label()),
        },
        "service.push",
    )
    .target("service", row.id.clone())
    .scope(&catalog::target_of(&row))
    .details(serde_json::json!({
        "ref": kept.git_ref, "commit": kept.commit_id, "environment": kept.environment,
        "build_id": kept.build_id,
    }));
    txn.commit(core, meta, entry).await?;
    Ok(Some(to_dto(kept, false)))
}

/// The pushes a service received, newest first, a page at a time. Needs `services.view`.
pub async fn list(
    core: &Core,
    actor: &crate::Actor,
    id: &str,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<ServicePush>> {
    let row = catalog::find(&core.db, id).await?;
    actor.require_on(
        gmac_types::Permission::ServicesView,
        &catalog::target_of(&row),
    )?;
    let (rows, next_cursor, total) = crate::platform::paging::page_by_id(
        core,
        service_push::Entity::find().filter(service_push::Column::ServiceId.eq(id)),
        service_push::Column::Id,
        crate::platform::paging::Direction::Desc,
        page,
        |r| r.id.clone(),
    )
    .await?;
    Ok(gmac_types::Page {
        items: rows.into_iter().map(|r| to_dto(r, false)).collect(),
        next_cursor,
        total,
    })
}

fn to_dto(row: service_push::Model, duplicate: bool) -> ServicePush {
    ServicePush {
        id: row.id,
        service_id: row.service_id,
        git_ref: row.git_ref,
        commit: row.commit_id,
        environment: row.environment,
        build_id: row.build_id,
        duplicate,
        received_at: row.received_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_the_bodys_hmac_under_the_secret_in_either_hosts_header() {
        let body = br#"{"ref":"refs/heads/main","after":"abc123"}"#;
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(b"s3cret").unwrap_or_else(|_| unreachable!());
        mac.update(body);
        let hex = hex::encode(mac.finalize().into_bytes());
        assert!(verify("s3cret", body, &Signature::GiteaHex(hex.clone())));
        assert!(verify(
            "s3cret",
            body,
            &Signature::Sha256Prefixed(format!("sha256={hex}"))
        ));
        assert!(!verify("other", body, &Signature::GiteaHex(hex.clone())));
        assert!(!verify("s3cret", b"{}", &Signature::GiteaHex(hex.clone())));
        assert!(!verify("s3cret", body, &Signature::Sha256Prefixed(hex)));
        assert!(!verify(
            "s3cret",
            body,
            &Signature::GiteaHex("zz".to_owned())
        ));
    }
}
