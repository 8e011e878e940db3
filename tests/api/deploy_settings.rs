//! An environment's deploy settings and its release retention (issue 12, points 3 and 7), for
//! real on Podman behind Caddy: the health path and time a rollout waits on, the CPU and memory
//! limits that reach the engine, and the releases kept to roll back to. Once more releases
//! served than the environment keeps, the oldest are let go (a rollback to one is refused,
//! saying why) and their images removed from the host, unless a kept release of any
//! environment still runs them (Kamal's pruning once removed the image a rollback needed,
//! kamal#270).

use gmac_tests::deploy_world::{DeployWorld, job_ended};
use gmac_types::{
    EnvironmentPatch, ErrorCode, JobStatus, NewDeploy, NewRollback, Release, ReleaseStatus,
    Resources,
};

/// A deploy of a build.
fn of_build(id: &str) -> NewDeploy {
    NewDeploy {
        build_id: Some(id.to_owned()),
        image: None,
    }
}

/// Whether the engine holds the image `id`.
fn has_image(world: &DeployWorld, id: &str) -> bool {
    world.engine_get(&format!("/images/{id}/json")).0 == 200
}

/// Every line a job logged, joined.
async fn job_text(world: &DeployWorld, job_id: &str) -> String {
    let page = world.admin.client.job_log(job_id, 0).await.unwrap();
    page.items
        .into_iter()
        .map(|l| l.line)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The release `number` of `environment_id`, as listed.
async fn numbered(world: &DeployWorld, environment_id: &str, number: i64) -> Release {
    world
        .releases(environment_id)
        .await
        .into_iter()
        .find(|r| r.number == number)
        .expect("the release is listed")
}

/// Bad settings are refused field by field, and nothing changes; good ones are kept, audited,
/// and a rollout waits on the health path and within the time they say.
#[tokio::test]
#[expect(clippy::too_many_lines, reason = "the settings, then two rollouts")]
async fn deploy_settings_are_checked_and_a_rollout_runs_with_them() {
    let mut world = DeployWorld::start().await;
    let staging = world.staging_on_target().await;
    let api = &world.admin.client;
    assert_eq!(staging.releases_kept, 10);
    assert!(staging.resources.is_none(), "no limits unless set");
    assert!(staging.health_path.is_none());

    let refused = |patch: EnvironmentPatch, field: &'static str| {
        let id = staging.id.clone();
        async move {
            let err = api
                .update_environment(&id, &patch, None)
                .await
                .expect_err("refused");
            assert_eq!(err.status(), Some(422), "{err:?}");
            let problem = err.problem().expect("a problem");
            assert!(
                problem.errors.iter().any(|e| e.pointer == field),
                "{field}: {problem:?}"
            );
        }
    };
    refused(
        EnvironmentPatch {
            health_path: Some(Some("healthz".into())),
            ..EnvironmentPatch::default()
        },
        "/health_path",
    )
    .await;
    refused(
        EnvironmentPatch {
            health_timeout_secs: Some(Some(4)),
            ..EnvironmentPatch::default()
        },
        "/health_timeout_secs",
    )
    .await;
    refused(
        EnvironmentPatch {
            releases_kept: Some(1),
            ..EnvironmentPatch::default()
        },
        "/releases_kept",
    )
    .await;
    refused(
        EnvironmentPatch {
            resources: Some(Some(Resources {
                cpu_request_millis: 500,
                cpu_limit_millis: 250,
                ..Resources::default()
            })),
            ..EnvironmentPatch::default()
        },
        "/resources/cpu_limit_millis",
    )
    .await;
    let unchanged = api.get_environment(&staging.id).await.unwrap();
    assert_eq!(unchanged.version, staging.version, "nothing was changed");

    let limits = Resources {
        cpu_request_millis: 250,
        cpu_limit_millis: 500,
        memory_request_mib: 64,
        memory_limit_mib: 96,
    };
    let changed = api
        .update_environment(
            &staging.id,
            &EnvironmentPatch {
                health_path: Some(Some("/index.html".into())),
                health_timeout_secs: Some(Some(20)),
                resources: Some(Some(limits)),
                ..EnvironmentPatch::default()
            },
            Some(staging.version),
        )
        .await
        .unwrap();
    assert_eq!(changed.health_path.as_deref(), Some("/index.html"));
    assert_eq!(changed.health_timeout_secs, 20);
    assert_eq!(changed.resources, Some(limits));
    let audit = api
        .list_audit_events(&gmac_types::AuditQuery {
            action: Some("environment.update".into()),
            ..gmac_types::AuditQuery::default()
        })
        .await
        .unwrap()
        .items
        .remove(0)
        .details;
    assert_eq!(audit["after"]["health_path"], "/index.html", "{audit}");
    assert!(audit["before"]["resources"].is_null(), "{audit}");
    assert_eq!(audit["after"]["resources"]["memory_limit_mib"], 96);

    // The rollout asks the environment's path (not the template's /healthz), and the engine
    // holds the container to its limits.
    let build = world.built("staging").await;
    let started = api.deploy(&staging.id, &of_build(&build)).await.unwrap();
    assert_eq!(
        job_ended(&world.admin, &started.job.id).await,
        JobStatus::Succeeded
    );
    assert!(
        job_text(&world, &started.job.id)
            .await
            .contains("healthy: /index.html answered"),
    );
    let inspected = world.container_inspect(&started.release.id);
    let host = &inspected["HostConfig"];
    assert_eq!(host["Memory"], 96 * 1024 * 1024, "{host}");
    assert_eq!(host["NanoCpus"], 500_000_000, "{host}");
    assert_eq!(host["MemoryReservation"], 64 * 1024 * 1024, "{host}");

    // A path the service does not answer fails the next rollout within the time set, and the
    // release before keeps serving.
    let now = api.get_environment(&staging.id).await.unwrap();
    api.update_environment(
        &staging.id,
        &EnvironmentPatch {
            health_path: Some(Some("/missing".into())),
            health_timeout_secs: Some(Some(5)),
            ..EnvironmentPatch::default()
        },
        Some(now.version),
    )
    .await
    .unwrap();
    let failing = api.deploy(&staging.id, &of_build(&build)).await.unwrap();
    assert_eq!(
        job_ended(&world.admin, &failing.job.id).await,
        JobStatus::Failed
    );
    let failed = numbered(&world, &staging.id, failing.release.number).await;
    assert_eq!(failed.status, ReleaseStatus::Failed);
    let why = failed.detail.unwrap_or_default();
    assert!(why.contains("not healthy after 5 s"), "{why}");
    let after = api.get_environment(&staging.id).await.unwrap();
    assert_eq!(
        after.live_release.map(|r| r.id),
        Some(started.release.id.clone())
    );
    // Back to the template's path, the installation's time and no limits.
    let back = api
        .update_environment(
            &staging.id,
            &EnvironmentPatch {
                health_path: Some(None),
                health_timeout_secs: Some(None),
                resources: Some(None),
                ..EnvironmentPatch::default()
            },
            Some(after.version),
        )
        .await
        .unwrap();
    assert!(back.health_path.is_none() && back.resources.is_none());
    assert_eq!(back.health_timeout_secs, staging.health_timeout_secs);
}

/// An environment keeping two releases lets the older ones go as new ones serve: a rollback to
/// one is refused, and its image leaves the host unless a kept release (here production's)
/// still runs it.
#[tokio::test]
async fn retention_lets_old_releases_go_and_removes_only_the_images_no_kept_release_runs() {
    let mut world = DeployWorld::start().await;
    let staging = world.staging_on_target().await;
    let production = world.production_on_target().await;
    let api = &world.admin.client;
    api.update_environment(
        &staging.id,
        &EnvironmentPatch {
            releases_kept: Some(2),
            ..EnvironmentPatch::default()
        },
        Some(staging.version),
    )
    .await
    .unwrap();

    // Build A serves staging (#1) and production (#1).
    let build_a = world.built("staging").await;
    for env in [&staging.id, &production.id] {
        let started = api.deploy(env, &of_build(&build_a)).await.unwrap();
        assert_eq!(
            job_ended(&world.admin, &started.job.id).await,
            JobStatus::Succeeded
        );
    }
    let one = numbered(&world, &staging.id, 1).await;
    let image_a = one.image_id.clone().expect("the image's id");

    // Pushes deploy B (#2), then C (#3): #1 is let go, but production still runs its image.
    let work = tempfile::tempdir().unwrap();
    let mut images = vec![image_a.clone()];
    for title in ["Docs two", "Docs three"] {
        let commit = world.push_title(work.path(), title).await;
        let build = world.build_of_commit(&commit).await;
        let release = world.release_of_build(&build).await;
        assert_eq!(
            job_ended(&world.admin, &release.job_id).await,
            JobStatus::Succeeded
        );
        let release = numbered(&world, &staging.id, release.number).await;
        images.push(release.image_id.expect("the image's id"));
    }
    let three = numbered(&world, &staging.id, 3).await;
    let log = job_text(&world, &three.job_id).await;
    assert!(log.contains("staging keeps 2 releases: #1 let go"), "{log}");
    assert!(
        log.contains("stays: release #1 of production is kept and runs it"),
        "{log}"
    );
    assert!(has_image(&world, &image_a), "production's image stays");
    let one = numbered(&world, &staging.id, 1).await;
    assert!(one.pruned_at.is_some());
    assert!(numbered(&world, &staging.id, 2).await.pruned_at.is_none());
    let err = api
        .rollback(
            &staging.id,
            &NewRollback {
                release_id: one.id.clone(),
            },
        )
        .await
        .expect_err("a release let go does not come back");
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.problem().map(|p| p.code), Some(ErrorCode::Conflict));
    assert!(err.message().contains("no longer kept"), "{err:?}");

    // D (#4): #2 is let go, and no kept release runs its image: it leaves the host.
    let commit = world.push_title(work.path(), "Docs four").await;
    let build = world.build_of_commit(&commit).await;
    let four = world.release_of_build(&build).await;
    assert_eq!(
        job_ended(&world.admin, &four.job_id).await,
        JobStatus::Succeeded
    );
    let log = job_text(&world, &four.job_id).await;
    assert!(log.contains("#2 let go"), "{log}");
    assert!(log.contains("was removed from the host"), "{log}");
    assert!(!has_image(&world, &images[1]), "B's image is gone");
    assert!(
        has_image(&world, &images[0]),
        "A's image stays for production"
    );
    assert!(has_image(&world, &images[2]), "C's image stays: #3 is kept");
    // The kept one still comes back.
    let back = api
        .rollback(
            &staging.id,
            &NewRollback {
                release_id: numbered(&world, &staging.id, 3).await.id,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        job_ended(&world.admin, &back.job.id).await,
        JobStatus::Succeeded
    );
}
