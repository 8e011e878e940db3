//! Deploy-on-push (issue 12, point 3): each succeeded build a push started is deployed to the
//! environment whose branch it built, by a job of its own (`release.push_deploy`) that waits
//! while another rollout is under way there and then makes the release, or says in its result
//! why it did not (deploy-on-push off or paused, a later push built, ...). A manual rollback
//! pauses deploy-on-push until someone resumes it, so that the next push does not undo it.

use std::time::Duration;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use crate::entities::build;
use crate::platform::job_kinds::{PUSH_DEPLOY, PUSH_DEPLOY_PRODUCTION};
use crate::platform::jobs::{self, NewJob};
use crate::platform::worker::{Handler, JobFailure, handler};
use crate::services::releases::{self, Pushed};
use crate::{Core, Result};

/// How long a push deploy waits before looking again, while another rollout is under way.
const WAIT_FOR_THE_ROLLOUT: Duration = Duration::from_secs(3);

/// Queues the push deploy of the build whose job `job_id` succeeded, when a push started it;
/// once per build, however often the job's end is handed over.
pub(crate) async fn enqueue_for(core: &Core, job_id: &str) -> Result<()> {
    let Some(built) = build::Entity::find()
        .filter(build::Column::JobId.eq(job_id))
        .filter(build::Column::Trigger.is_in([
            gmac_types::BuildTrigger::Push.id(),
            gmac_types::BuildTrigger::Preview.id(),
        ]))
        .one(&core.db)
        .await?
    else {
        return Ok(());
    };
    let Some(environment) = &built.environment else {
        return Ok(());
    };
    let kind = if environment == "production" {
        PUSH_DEPLOY_PRODUCTION
    } else {
        PUSH_DEPLOY
    };
    let mut job = NewJob::new(kind, serde_json::json!({ "build_id": built.id }));
    job.client_id = Some(built.client_id.clone());
    job.dedupe_key = Some(format!("push-deploy:{}", built.id));
    let txn = crate::db::begin_write(&core.db).await?;
    jobs::enqueue(&txn, core, None, job).await?;
    txn.commit().await?;
    Ok(())
}

#[derive(Deserialize)]
struct Input {
    build_id: String,
}

/// The handler of `release.push_deploy` (and its production kind).
pub fn handler_of_push_deploys() -> Handler {
    handler(|ctx| async move {
        let input: Input = ctx.payload()?;
        let Some(built) = build::Entity::find_by_id(input.build_id.as_str())
            .one(&ctx.core.db)
            .await?
        else {
            return Ok(serde_json::json!({
                "build_id": input.build_id, "skipped": "the build was deleted",
            }));
        };
        match Box::pin(releases::deploy_pushed(&ctx.core, &built)).await? {
            Pushed::Started(started) => {
                ctx.log(format!(
                    "build #{} rolls out as release #{} (job {})",
                    built.number, started.release.number, started.job.id
                ))
                .await?;
                Ok(serde_json::json!({
                    "build_id": built.id, "release_id": started.release.id,
                    "number": started.release.number, "rollout_job_id": started.job.id,
                }))
            }
            Pushed::Skipped(why) => {
                ctx.log(format!("build #{} is not deployed: {why}", built.number))
                    .await?;
                Ok(serde_json::json!({ "build_id": built.id, "skipped": why }))
            }
            Pushed::Wait(why) => Err(JobFailure::later(WAIT_FOR_THE_ROLLOUT, why)),
        }
    })
}
