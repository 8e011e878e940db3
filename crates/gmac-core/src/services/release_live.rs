//! A release's end, on any kind of target, in one transaction with its audit row: going live
//! (the environment's live release moved to it and the one before retired), or failing.

use gmac_types::ReleaseStatus;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::audit::{AuditActor, AuditEntry};
use crate::entities::{environment, release, service};
use crate::platform::change::Change;
use crate::services::{catalog, environments};
use crate::{Core, RequestMeta, Result};

/// Marks `row` live in its environment and the release before it retired; answers the
/// release it replaced.
pub(crate) async fn go_live(
    core: &Core,
    row: &release::Model,
    owner: &service::Model,
) -> Result<Option<release::Model>> {
    let txn = Change::begin(core).await?;
    environments::lock(&txn, &row.environment_id).await?;
    let env = environments::find(&txn, &row.environment_id).await?;
    let previous = match &env.live_release_id {
        Some(id) if *id != row.id => release::Entity::find_by_id(id.as_str()).one(&txn).await?,
        _ => None,
    };
    if let Some(old) = &previous {
        release::Entity::update_many()
            .filter(release::Column::Id.eq(old.id.as_str()))
            .col_expr(
                release::Column::Status,
                Expr::value(ReleaseStatus::Retired.id()),
            )
            .exec(&txn)
            .await?;
    }
    release::Entity::update_many()
        .filter(release::Column::Id.eq(row.id.as_str()))
        .col_expr(
            release::Column::Status,
            Expr::value(ReleaseStatus::Live.id()),
        )
        .col_expr(release::Column::FinishedAt, Expr::value(txn.now()))
        .exec(&txn)
        .await?;
    environment::Entity::update(environment::ActiveModel {
        id: Set(env.id.clone()),
        live_release_id: Set(Some(row.id.clone())),
        updated_at: Set(txn.now()),
        version: Set(env.version + 1),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let entry = AuditEntry::success(
        AuditActor::System {
            label: "release rollout".to_owned(),
        },
        "release.update",
    )
    .target("release", row.id.clone())
    .scope(&catalog::target_of(owner))
    .details(serde_json::json!({
        "environment_id": env.id, "environment": env.name,
        "number": row.number, "job_id": row.job_id,
        "image": row.image, "image_id": row.image_id,
        "before": {"status": "deploying", "live_release_id": env.live_release_id},
        "after": {"status": "live", "live_release_id": row.id},
    }));
    txn.commit(core, &RequestMeta::default(), entry).await?;
    Ok(previous)
}

/// Marks `row` failed with `detail` and writes `entry`, unless it already ended (then nothing
/// is written); answers whether it was marked.
pub(crate) async fn fail_deploying(
    core: &Core,
    row: &release::Model,
    detail: &str,
    entry: AuditEntry,
) -> Result<bool> {
    let txn = Change::begin(core).await?;
    let updated = release::Entity::update_many()
        .filter(release::Column::Id.eq(row.id.as_str()))
        .filter(release::Column::Status.eq(ReleaseStatus::Deploying.id()))
        .col_expr(
            release::Column::Status,
            Expr::value(ReleaseStatus::Failed.id()),
        )
        .col_expr(release::Column::Detail, Expr::value(detail.to_owned()))
        .col_expr(release::Column::FinishedAt, Expr::value(txn.now()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        txn.commit_unaudited().await?;
        return Ok(false);
    }
    txn.commit(core, &RequestMeta::default(), entry).await?;
    Ok(true)
}
