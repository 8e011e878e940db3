//! How releases read on the wire, shared by environments (their live release) and releases.

use std::collections::BTreeMap;

use gmac_types::{JobStatus, Release, ReleaseStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::entities::{environment, job, release};
use crate::{Core, Result};

/// The wire forms of `rows`. A release still `deploying` whose job has ended (cancelled, or
/// failed before it could say so) reads as failed, with the job's reason.
pub(crate) async fn to_dtos(core: &Core, rows: Vec<release::Model>) -> Result<Vec<Release>> {
    let pending: Vec<String> = rows
        .iter()
        .filter(|r| r.status == ReleaseStatus::Deploying.id())
        .map(|r| r.job_id.clone())
        .collect();
    let ended: BTreeMap<String, job::Model> = job::Entity::find()
        .filter(job::Column::Id.is_in(pending))
        .all(&core.db)
        .await?
        .into_iter()
        .filter(|j| !unfinished(j))
        .map(|j| (j.id.clone(), j))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut status = ReleaseStatus::from_id(&row.status).unwrap_or(ReleaseStatus::Failed);
            let mut detail = row.detail.clone();
            if status == ReleaseStatus::Deploying
                && let Some(job) = ended.get(&row.job_id)
            {
                status = ReleaseStatus::Failed;
                detail = Some(job_end(job));
            }
            Release {
                config: config_of(&row).unwrap_or_default(),
                id: row.id,
                environment_id: row.environment_id,
                number: row.number,
                image: row.image,
                image_id: row.image_id,
                build_id: row.build_id,
                rollback_of: row.rollback_of,
                status,
                detail,
                job_id: row.job_id,
                trigger: gmac_types::ReleaseTrigger::from_id(&row.trigger).unwrap_or_default(),
                created_by: row.created_by,
                created_at: row.created_at,
                finished_at: row.finished_at,
                pruned_at: row.pruned_at,
            }
        })
        .collect())
}

pub(crate) fn unfinished(job: &job::Model) -> bool {
    job.status == JobStatus::Queued.as_str() || job.status == JobStatus::Running.as_str()
}

/// Why a rollout's job ended without marking its release.
pub(crate) fn job_end(job: &job::Model) -> String {
    match &job.error {
        Some(error) => format!("The rollout ended ({}): {error}", job.status),
        None => format!("The rollout ended ({}).", job.status),
    }
}

/// A release's recorded configuration.
pub(crate) fn config_of(
    row: &release::Model,
) -> crate::Result<gmac_types::variables::ReleaseConfig> {
    Ok(gmac_types::variables::ReleaseConfig {
        variables_version: row.variables_version.unwrap_or(0),
        secrets: match row.secret_versions.as_deref() {
            Some(text) => serde_json::from_str(text).map_err(anyhow::Error::from)?,
            None => std::collections::BTreeMap::new(),
        },
        project_variables_version: row.project_variables_version.unwrap_or(0),
        service_variables_version: row.service_variables_version.unwrap_or(0),
        groups: match row.group_variables_versions.as_deref() {
            Some(text) => serde_json::from_str(text).map_err(anyhow::Error::from)?,
            None => Vec::new(),
        },
        service_secrets: match row.service_secret_versions.as_deref() {
            Some(text) => serde_json::from_str(text).map_err(anyhow::Error::from)?,
            None => std::collections::BTreeMap::new(),
        },
        project_secrets: match row.project_secret_versions.as_deref() {
            Some(text) => serde_json::from_str(text).map_err(anyhow::Error::from)?,
            None => std::collections::BTreeMap::new(),
        },
    })
}

/// The start of a container's (or image's) id, as the engine's own tools show it.
pub(crate) fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// A `409` while a release rolls out in the environment: deploying, or live while its job
/// still watches or retires it.
pub(crate) async fn refuse_while_rolling_out(
    conn: &impl sea_orm::ConnectionTrait,
    environment_id: &str,
) -> Result<()> {
    let rows = release::Entity::find()
        .filter(release::Column::EnvironmentId.eq(environment_id))
        .filter(
            release::Column::Status
                .is_in([ReleaseStatus::Deploying.id(), ReleaseStatus::Live.id()]),
        )
        .all(conn)
        .await?;
    for row in rows {
        if job::Entity::find_by_id(row.job_id.as_str())
            .one(conn)
            .await?
            .as_ref()
            .is_some_and(unfinished)
        {
            return Err(crate::Error::conflict(
                gmac_types::ErrorCode::Conflict,
                format!(
                    "Release #{} is rolling out; wait for it to end (or cancel its job).",
                    row.number
                ),
            ));
        }
    }
    Ok(())
}

/// Whether a restart or a scale of the environment is under way (its job not ended).
pub(crate) async fn under_way(
    conn: &impl sea_orm::ConnectionTrait,
    env: &environment::Model,
) -> Result<bool> {
    let Some(id) = &env.operation_job_id else {
        return Ok(false);
    };
    Ok(job::Entity::find_by_id(id.as_str())
        .one(conn)
        .await?
        .as_ref()
        .is_some_and(unfinished))
}

/// A `409` while another restart or scale runs in the environment.
pub(crate) async fn refuse_while_busy(
    conn: &impl sea_orm::ConnectionTrait,
    env: &environment::Model,
) -> Result<()> {
    if under_way(conn, env).await? {
        return Err(crate::Error::conflict(
            gmac_types::ErrorCode::Conflict,
            format!(
                "A restart or a scale of {} is under way; wait for it to end (or cancel its job).",
                env.name
            ),
        ));
    }
    Ok(())
}

/// The number of the release rolling out in the environment, if one is.
pub(crate) async fn rolling_out(core: &Core, environment_id: &str) -> Result<Option<i64>> {
    // A restart or a scale under way counts as the live release's rollout.
    let env = environment::Entity::find_by_id(environment_id)
        .one(&core.db)
        .await?
        .ok_or(crate::Error::NotFound)?;
    if under_way(&core.db, &env).await? {
        return Ok(Some(
            release::Entity::find_by_id(env.live_release_id.clone().unwrap_or_default())
                .one(&core.db)
                .await?
                .map_or(0, |r| r.number),
        ));
    }
    // A release is rolling out while its job runs: deploying, or live and being watched.
    let rows = release::Entity::find()
        .filter(release::Column::EnvironmentId.eq(environment_id))
        .filter(
            release::Column::Status
                .is_in([ReleaseStatus::Deploying.id(), ReleaseStatus::Live.id()]),
        )
        .all(&core.db)
        .await?;
    for row in rows {
        let job_row = job::Entity::find_by_id(row.job_id.as_str())
            .one(&core.db)
            .await?;
        if job_row.as_ref().is_some_and(unfinished) {
            return Ok(Some(row.number));
        }
    }
    Ok(None)
}

/// Forgets the container a release records, once it was removed.
pub(crate) async fn forget_container(
    conn: &impl sea_orm::ConnectionTrait,
    release_id: &str,
) -> Result<()> {
    release::Entity::update_many()
        .filter(release::Column::Id.eq(release_id))
        .col_expr(
            release::Column::ContainerId,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .exec(conn)
        .await?;
    Ok(())
}
