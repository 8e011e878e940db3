//! Retention (issue 12, point 3): an environment keeps its newest `releases_kept` releases to
//! roll back to, the live one among them. Once a rollout succeeds, older releases that served
//! are let go: marked pruned (a rollback to one is refused, saying why), and on a container
//! host their images removed, unless a release still kept, of any environment on the same
//! host, runs the same image (Kamal's pruning removed an image a rollback needed, kamal#270).
//! A cluster pulls its images from a registry, which keeps them: there only the marks change.

use std::collections::BTreeMap;

use gmac_types::ReleaseStatus;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::{release, target};
use crate::platform::worker::{JobContext, JobFailure};
use crate::services::{environments, targets};

/// Lets go of the releases of environment `env_id` beyond the number it keeps, and removes
/// their images no kept release needs, each step said in the job's log. Best effort once the
/// marks are saved: an image left behind is said, and tried again by the next rollout.
pub(crate) async fn prune(ctx: &JobContext, env_id: &str) {
    if let Err(e) = let_go(ctx, env_id).await {
        let _ = ctx
            .log(format!("older releases were not let go: {}", e.message))
            .await;
    }
}

async fn let_go(ctx: &JobContext, env_id: &str) -> Result<(), JobFailure> {
    let db = &ctx.core.db;
    let env = environments::find(db, env_id).await?;
    let Some(live_id) = env.live_release_id.clone() else {
        return Ok(());
    };
    let kept = usize::try_from(env.releases_kept).unwrap_or(10).max(2);
    // The releases that served and could be rolled back to, newest first.
    let served = release::Entity::find()
        .filter(release::Column::EnvironmentId.eq(env_id))
        .filter(release::Column::Status.eq(ReleaseStatus::Retired.id()))
        .filter(release::Column::PrunedAt.is_null())
        .filter(release::Column::Id.ne(live_id.as_str()))
        .order_by_desc(release::Column::Number)
        .all(db)
        .await?;
    let gone: Vec<release::Model> = served.into_iter().skip(kept - 1).collect();
    if gone.is_empty() {
        return Ok(());
    }
    // Marked first: from here on no rollback to them starts.
    release::Entity::update_many()
        .filter(release::Column::Id.is_in(gone.iter().map(|r| r.id.clone())))
        .col_expr(release::Column::PrunedAt, Expr::value(chrono::Utc::now()))
        .exec(&crate::db::Solo(db))
        .await?;
    let numbers: Vec<String> = gone.iter().map(|r| format!("#{}", r.number)).collect();
    ctx.log(format!(
        "{} keeps {kept} releases: {} let go (no longer to roll back to)",
        env.name,
        numbers.join(", ")
    ))
    .await?;
    // Each image once, with the release that named it.
    let mut images: BTreeMap<(String, String), release::Model> = BTreeMap::new();
    for old in gone {
        if let (Some(target_id), Some(image_id)) = (old.target_id.clone(), old.image_id.clone()) {
            images.entry((target_id, image_id)).or_insert(old);
        }
    }
    for ((target_id, image_id), old) in images {
        remove_image(ctx, &target_id, &image_id, &old).await?;
    }
    Ok(())
}

/// Removes `image_id` (the image of pruned release `old`) from container host `target_id`,
/// unless a release still kept there needs it.
async fn remove_image(
    ctx: &JobContext,
    target_id: &str,
    image_id: &str,
    old: &release::Model,
) -> Result<(), JobFailure> {
    let db = &ctx.core.db;
    let short = |id: &str| {
        crate::services::release_rows::short(id.trim_start_matches("sha256:")).to_owned()
    };
    let Some(target) = target::Entity::find_by_id(target_id).one(db).await? else {
        return Ok(());
    };
    if targets::is_cluster(&target) {
        return Ok(());
    }
    let Some(deployer) = ctx.core.deployer.clone() else {
        return Ok(());
    };
    // Any release not let go, of any environment on this engine (the targets of every client
    // registered at its address), in any state (one being rolled out may not have recorded
    // its image's id yet, so its reference counts too).
    let same_engine: Vec<String> = target::Entity::find()
        .filter(target::Column::Address.eq(target.address.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    // An image's id is its content's hash: one a kept release of any target names is kept
    // (the same engine may be registered under another address).
    let needed = release::Entity::find()
        .filter(release::Column::PrunedAt.is_null())
        .filter(
            Condition::any()
                .add(release::Column::ImageId.eq(image_id))
                .add(
                    Condition::all()
                        .add(release::Column::TargetId.is_in(same_engine))
                        .add(release::Column::Image.eq(old.image.as_str())),
                ),
        )
        .order_by_desc(release::Column::CreatedAt)
        .one(db)
        .await?;
    let said = if let Some(needed) = needed {
        let name = environments::find(db, &needed.environment_id)
            .await
            .map_or_else(|_| "another environment".to_owned(), |e| e.name);
        format!(
            "the image {} of release #{} stays: release #{} of {name} is kept and runs it",
            short(image_id),
            old.number,
            needed.number
        )
    } else {
        match deployer
            .remove_image(&targets::engine_of(&ctx.core, &target)?, image_id)
            .await
        {
            Ok(true) => format!(
                "the image {} of release #{} ({}) was removed from the host",
                short(image_id),
                old.number,
                old.image
            ),
            Ok(false) => format!(
                "the image {} of release #{} stays: a container on the host uses it",
                short(image_id),
                old.number
            ),
            Err(e) => format!(
                "the image {} of release #{} could not be removed: {e}",
                short(image_id),
                old.number
            ),
        }
    };
    ctx.log(said).await?;
    Ok(())
}
