//! Releases on Kubernetes clusters (issue 12, point 2): the `release.rollout` job of a release
//! whose target is a cluster.
//!
//! `apply`: the release's objects (its namespace, a `ConfigMap` and a `Secret` named by their
//! content's hash, `Deployment`, `Service`, `Ingress`, autoscaler and disruption budget) applied
//! server-side as field manager `gmac`. `rollout`: its `Deployment` followed to the truth (the
//! controller must have seen the new generation before its counts mean anything), until every
//! replica is updated and available, or the cluster's progress deadline passes. Until then the
//! old pods serve (a rolling update that never takes one away first), so a release whose pods
//! crash or cannot pull their image fails with the pods' reasons, and the environment keeps
//! its live release. With `auto_rollback` (on by default) the live release's objects are
//! applied again, so the `Deployment` is not left on a template that cannot run.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::audit::{AuditActor, AuditEntry};
use crate::entities::{environment, release, service, target};
use crate::platform::worker::{JobContext, JobFailure};
use crate::ports::{Cluster, ImageBuildError, KubeOutcome, KubeRelease};
use crate::services::build_run::logged;
use crate::services::release_live::{fail_deploying, go_live};
use crate::services::{catalog, environments, targets, variables};

/// The steps of a rollout to a cluster, in order.
pub const KUBE_STEPS: [&str; 2] = ["apply", "rollout"];

/// A label value Kubernetes takes as is (so the cost views' `project` tag matches).
fn label_value_ok(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 63
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// What names a release's configuration: the versions of its variables and secrets, so its
/// `ConfigMap` and `Secret` are named by their hash and a change of either rolls the pods.
fn config_version_of(config: &gmac_types::variables::ReleaseConfig) -> String {
    let mut config_version = format!("variables:{}", config.variables_version);
    // Shared versions only when set, so a release made before them hashes as it did; `@`
    // is in no secret's name, so no secret's part reads as one of these.
    for (scope, version) in [
        ("project", config.project_variables_version),
        ("service", config.service_variables_version),
    ] {
        if version != 0 {
            let _ = write!(config_version, ";@{scope}:{version}");
        }
    }
    for group in &config.groups {
        let _ = write!(
            config_version,
            ";@group:{}:{}",
            group.group_id, group.version
        );
    }
    for (name, version) in &config.project_secrets {
        let _ = write!(config_version, ";@project-secret:{name}:{version}");
    }
    for (name, version) in &config.service_secrets {
        let _ = write!(config_version, ";@service-secret:{name}:{version}");
    }
    for (name, version) in &config.secrets {
        let _ = write!(config_version, ";{name}:{version}");
    }
    config_version
}

/// The stored rollout of a cluster's release: its connector, kubeconfig and rows.
struct KubeRun<'a> {
    ctx: &'a JobContext,
    cluster: std::sync::Arc<dyn Cluster>,
    kubeconfig: String,
    env: environment::Model,
    owner: service::Model,
    target: target::Model,
}

impl<'a> KubeRun<'a> {
    /// The rollout of `row` to its cluster `target`: the connector, the kubeconfig opened, and
    /// the environment and service read.
    async fn load(
        ctx: &'a JobContext,
        row: &release::Model,
        target: target::Model,
    ) -> Result<Self, JobFailure> {
        let cluster = ctx
            .core
            .cluster
            .clone()
            .ok_or_else(|| JobFailure::permanent("no Kubernetes connector is configured"))?;
        let kubeconfig = targets::kubeconfig_of(&ctx.core, &target)
            .map_err(|e| JobFailure::permanent(format!("the target's kubeconfig: {e}")))?;
        Ok(Self {
            ctx,
            cluster,
            kubeconfig,
            env: environments::find(&ctx.core.db, &row.environment_id).await?,
            owner: catalog::find(&ctx.core.db, &row.service_id).await?,
            target,
        })
    }
}

/// Rolls `row` out to its cluster `target`.
pub(crate) async fn run(
    ctx: &JobContext,
    row: release::Model,
    target: target::Model,
) -> Result<serde_json::Value, JobFailure> {
    KubeRun::load(ctx, &row, target).await?.run(row).await
}

/// A restart or a scale of a cluster's environment: its live release applied again with the
/// environment's replicas, bounds and restart time, and followed until every replica is
/// available.
pub(crate) async fn reapply(
    ctx: &JobContext,
    live: release::Model,
    target: target::Model,
) -> Result<serde_json::Value, JobFailure> {
    let run = KubeRun::load(ctx, &live, target).await?;
    ctx.step(KUBE_STEPS[0]).await?;
    let spec = run.spec(&live).await?;
    let generation = run.apply(&spec).await?;
    ctx.step(KUBE_STEPS[1]).await?;
    match run.follow(&spec, generation).await? {
        KubeOutcome::Done {
            generation,
            available,
        } => {
            ctx.log(format!(
                "release #{} runs {available} replica(s) in {} (generation {generation})",
                live.number, run.env.name
            ))
            .await?;
            Ok(serde_json::json!({
                "release_id": live.id, "generation": generation, "available": available,
            }))
        }
        KubeOutcome::Failed(why) => Err(JobFailure::permanent(ctx.masked(&why))),
    }
}

impl KubeRun<'_> {
    async fn run(&self, mut row: release::Model) -> Result<serde_json::Value, JobFailure> {
        let ctx = self.ctx;
        let newer = release::Entity::find()
            .filter(release::Column::EnvironmentId.eq(self.env.id.as_str()))
            .filter(release::Column::Number.gt(row.number))
            .one(&ctx.core.db)
            .await?;
        if let Some(newer) = newer {
            return Err(JobFailure::permanent(format!(
                "release #{} was made since: this one is not rolled out over it",
                newer.number
            )));
        }
        ctx.step(KUBE_STEPS[0]).await?;
        let spec = self.spec(&row).await?;
        match self.roll_out(&mut row, &spec).await {
            Ok(KubeOutcome::Done {
                generation,
                available,
            }) => {
                go_live(&ctx.core, &row, &self.owner).await?;
                ctx.log(format!(
                    "release #{} serves {}: generation {generation}, {available} replica(s) available",
                    row.number, self.env.name
                ))
                .await?;
                self.prune_config(&spec).await?;
                crate::services::release_retention::prune(ctx, &self.env.id).await;
                Ok(serde_json::json!({
                    "release_id": row.id, "number": row.number,
                    "namespace": spec.namespace, "generation": generation,
                    "available": available,
                }))
            }
            Ok(KubeOutcome::Failed(why)) => Err(self.failed(&row, &why).await?),
            // Given up for good after the apply began: the live release is put back too.
            Err(f) if f.permanent || ctx.job.attempts >= ctx.job.max_attempts => {
                Err(self.failed(&row, &f.message).await?)
            }
            Err(f) => Err(f),
        }
    }

    /// The apply (the image it names kept as the one a rollback brings back) and the rollout
    /// followed.
    async fn roll_out(
        &self,
        row: &mut release::Model,
        spec: &KubeRelease,
    ) -> Result<KubeOutcome, JobFailure> {
        let ctx = self.ctx;
        let generation = self.apply(spec).await?;
        *row = release::Entity::update(release::ActiveModel {
            id: Set(row.id.clone()),
            image_id: Set(Some(spec.image.clone())),
            ..Default::default()
        })
        .exec(&crate::db::Solo(&ctx.core.db))
        .await?;
        ctx.step(KUBE_STEPS[1]).await?;
        self.follow(spec, generation).await
    }

    /// The release as the cluster runs it; its secrets are masked in the job's log from here.
    async fn spec(&self, row: &release::Model) -> Result<KubeRelease, JobFailure> {
        let core = &self.ctx.core;
        let config = crate::services::release_rows::config_of(row)?;
        let (mut env, secret_values) = variables::materialize(core, &self.env.id, &config)
            .await?
            .map_err(JobFailure::permanent)?;
        for value in &secret_values {
            self.ctx.mask(value);
        }
        // Whatever a secret of any scope names goes in the Secret, never the ConfigMap.
        let secrets: BTreeMap<String, String> = config
            .project_secrets
            .keys()
            .chain(config.service_secrets.keys())
            .chain(config.secrets.keys())
            .filter_map(|name| env.remove_entry(name))
            .collect();
        let mut config_version = config_version_of(&config);
        let template = crate::services::template_sources::find(core, &self.owner.template)
            .await
            .ok()
            .flatten();
        let parameters = catalog::parameters(&self.owner);
        let container_port = parameters
            .get("port")
            .and_then(serde_json::Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
            .or_else(|| template.as_ref().map(|t| t.info().health.port))
            .unwrap_or(8080);
        env.insert("PORT".to_owned(), container_port.to_string());
        let _ = write!(config_version, ";PORT:{container_port}");
        let selector = BTreeMap::from([
            ("gmac.io/service".to_owned(), self.owner.id.clone()),
            ("gmac.io/environment".to_owned(), self.env.name.clone()),
        ]);
        let mut labels = catalog::labels(&self.owner, Some(&self.env.name));
        labels.insert("gmac.io/release".to_owned(), row.id.clone());
        labels.insert("gmac.io/release-number".to_owned(), row.number.to_string());
        labels.insert("app.kubernetes.io/managed-by".to_owned(), "gmac".to_owned());
        if let Ok(Some(project)) =
            crate::entities::project::Entity::find_by_id(row.project_id.as_str())
                .one(&core.db)
                .await
            && label_value_ok(&project.name)
        {
            labels.insert("project".to_owned(), project.name);
        }
        let hosts = crate::services::domains::hosts_of(&core.db, &self.owner, &self.env).await?;
        Ok(KubeRelease {
            namespace: targets::namespace_of(&self.owner.name, &self.env.name, &self.env.id),
            config_version,
            name: targets::dns_label(&self.owner.name, 53),
            image: row.image.clone(),
            container_port,
            env,
            secrets,
            labels,
            selector,
            hosts,
            restarted_at: self.env.restarted_at.map(|at| at.to_rfc3339()),
            // The Ingress asks it for its names but `.localhost` ones (none: no TLS).
            tls_issuer: self.target.cluster_issuer.clone(),
            ingress_class: self.target.ingress_class.clone(),
            health_path: environments::health_path(&self.env, template.as_ref()),
            replicas: self.env.replicas,
            autoscale: match (
                self.env.autoscale_min,
                self.env.autoscale_max,
                self.env.autoscale_cpu,
            ) {
                (Some(min), Some(max), Some(cpu_percent)) => Some(crate::ports::KubeAutoscale {
                    min,
                    max,
                    cpu_percent,
                }),
                _ => None,
            },
            resources: crate::ports::KubeResources::from(
                environments::resources_of(&self.env).unwrap_or_default(),
            ),
            progress_deadline_secs: i32::try_from(core.deploys.progress_deadline.as_secs())
                .unwrap_or(600)
                .max(1),
        })
    }

    /// The configuration objects earlier releases left, deleted once this one serves. Best
    /// effort: what is left is logged, and deleted after the next rollout.
    async fn prune_config(&self, spec: &KubeRelease) -> Result<(), JobFailure> {
        match self.cluster.prune_config(&self.kubeconfig, spec).await {
            Ok(deleted) if deleted.is_empty() => Ok(()),
            Ok(deleted) => Ok(self
                .ctx
                .log(format!("earlier releases' {} deleted", deleted.join(", ")))
                .await?),
            Err(e) => Ok(self
                .ctx
                .log(format!(
                    "earlier releases' configmaps and secrets are kept for now: {e}"
                ))
                .await?),
        }
    }

    async fn apply(&self, spec: &KubeRelease) -> Result<i64, JobFailure> {
        let cluster = self.cluster.clone();
        let kubeconfig = self.kubeconfig.clone();
        let applied = logged(self.ctx, |sink| async move {
            cluster.apply(&kubeconfig, spec, &*sink).await
        })
        .await?;
        applied.map_err(|e| match e {
            ImageBuildError::Failed(why) => JobFailure::permanent(why),
            ImageBuildError::Unavailable(why) => JobFailure::transient(why),
        })
    }

    async fn follow(&self, spec: &KubeRelease, generation: i64) -> Result<KubeOutcome, JobFailure> {
        let cluster = self.cluster.clone();
        let kubeconfig = self.kubeconfig.clone();
        // The cluster's deadline, and time for the controller to say so.
        let wait = self.ctx.core.deploys.progress_deadline + std::time::Duration::from_secs(30);
        let followed = logged(self.ctx, |sink| async move {
            cluster
                .follow(&kubeconfig, spec, generation, wait, &*sink)
                .await
        })
        .await?;
        followed.map_err(|e| match e {
            ImageBuildError::Failed(why) => JobFailure::permanent(why),
            ImageBuildError::Unavailable(why) => JobFailure::transient(why),
        })
    }

    /// A rollout the cluster gave up on: the live release's objects applied again (when the
    /// environment rolls back by itself), and this release failed with why, audited.
    async fn failed(&self, row: &release::Model, why: &str) -> Result<JobFailure, JobFailure> {
        let ctx = self.ctx;
        let core = &ctx.core;
        let env = environments::find(&core.db, &self.env.id).await?;
        let live = match &env.live_release_id {
            Some(id) if env.auto_rollback => release::Entity::find_by_id(id.as_str())
                .one(&core.db)
                .await?
                .filter(|r| r.target_id == row.target_id),
            _ => None,
        };
        let Some(live) = live else {
            let detail = if env.auto_rollback {
                format!("The rollout failed: {why}")
            } else {
                format!(
                    "The rollout failed; automatic rollback is off, so the Deployment stays on it: {why}"
                )
            };
            return Ok(JobFailure::permanent(ctx.masked(&detail)));
        };
        ctx.log(format!(
            "the rollout failed: {why}; release #{} is applied again (automatic rollback)",
            live.number
        ))
        .await?;
        let restored = match self.spec(&live).await {
            Ok(spec) => self.apply(&spec).await.map(drop),
            Err(e) => Err(e),
        };
        let detail = ctx.masked(&match &restored {
            Ok(()) => format!(
                "The rollout failed, so release #{} was applied again (automatic rollback): {why}",
                live.number
            ),
            Err(e) => format!(
                "The rollout failed, and release #{} could not be applied again ({}): {why}",
                live.number, e.message
            ),
        });
        self.mark_failed(row, &live, &detail, restored.is_ok())
            .await?;
        Ok(JobFailure::permanent(detail))
    }

    /// Marks `row` failed with `detail`: audited as an automatic rollback to `live` when
    /// `live` was applied again, else as the release's failure (with the rollback that could
    /// not be made), so either way its event tells who is notified of failed deploys.
    async fn mark_failed(
        &self,
        row: &release::Model,
        live: &release::Model,
        detail: &str,
        restored: bool,
    ) -> Result<(), JobFailure> {
        let actor = AuditActor::System {
            label: "release rollout".to_owned(),
        };
        let mut details = serde_json::json!({
            "environment_id": self.env.id, "environment": self.env.name,
            "number": row.number, "job_id": row.job_id,
            "before": {"status": "deploying"},
            "after": {"status": "failed", "live_release_id": live.id},
            "reason": detail,
        });
        let entry = if restored {
            AuditEntry::success(actor, "release.auto_rollback")
        } else {
            details["after"]["detail"] = detail.into();
            details["auto_rollback"] = serde_json::json!({"to": live.id, "applied": false});
            AuditEntry::success(actor, "release.update")
        }
        .target("release", row.id.clone())
        .scope(&catalog::target_of(&self.owner))
        .details(details);
        fail_deploying(&self.ctx.core, row, detail, entry).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_are_labels_only_as_they_are() {
        assert!(label_value_ok("shop"));
        assert!(!label_value_ok("Online shop"));
        assert!(!label_value_ok(&"a".repeat(64)));
    }
}
