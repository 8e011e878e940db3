//! Preview environments (issue 12, point 4) for real: a push to a branch no environment builds
//! opens its preview, built through Podman and deployed behind the real Caddy on the host
//! name of its own; deleting the branch (Gitea's `delete` event, from the named fake of its
//! API over a real git push) tears the preview down; one opened by hand expires and goes the
//! same way. Staging and production are never deleted on their own.

use std::time::Duration;

use gmac_tests::deploy_world::{DeployWorld, job_ended};
use gmac_types::{
    BuildTrigger, Environment, EnvironmentPatch, JobStatus, NewPreview, PageQuery, PreviewSettings,
    ReleaseStatus, ServicePatch,
};

/// Whether Podman still has the container (200 for it, 404 once it is gone).
fn container_exists(s: &DeployWorld, id: &str) -> bool {
    let (status, _) = s.engine_get(&format!("/containers/{id}/json"));
    assert!(status == 200 || status == 404, "podman answered {status}");
    status == 200
}

/// The service's environments.
async fn environments(s: &DeployWorld) -> Vec<Environment> {
    s.admin
        .client
        .list_environments(&s.service, &PageQuery::default())
        .await
        .expect("the environments")
        .items
}

/// The preview of `branch`, once it is listed.
async fn preview_of(s: &DeployWorld, branch: &str) -> Environment {
    for _ in 0..100 {
        if let Some(found) = environments(s)
            .await
            .into_iter()
            .find(|e| e.preview && e.branch == branch)
        {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no preview of {branch} was opened");
}

/// The release of `preview` once it has rolled out: it must be live.
async fn live_release(s: &DeployWorld, preview: &Environment) -> gmac_types::Release {
    let mut found = None;
    for _ in 0..600 {
        found = s.releases(&preview.id).await.into_iter().next();
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let release = found.expect("deploy-on-push made a release in the preview");
    job_ended(&s.admin, &release.job_id).await;
    let release = s.releases(&preview.id).await.remove(0);
    assert_eq!(release.status, ReleaseStatus::Live, "{:?}", release.detail);
    release
}

/// Waits for `preview`'s deletion job to end well and for it to leave the list.
async fn deleted(s: &DeployWorld, preview_id: &str) {
    let mut job = None;
    for _ in 0..100 {
        match s.admin.client.get_environment(preview_id).await {
            Ok(env) => job = env.delete_job_id,
            // Gone already: its deletion job ended.
            Err(e) if e.problem().is_some_and(|p| p.status == 404) => break,
            Err(e) => panic!("{e:?}"),
        }
        if job.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Some(job) = job {
        assert_eq!(job_ended(&s.admin, &job).await, JobStatus::Succeeded);
    }
    assert!(
        environments(s).await.iter().all(|e| e.id != preview_id),
        "the preview left its service"
    );
    let gone = s
        .admin
        .client
        .get_environment(preview_id)
        .await
        .unwrap_err();
    assert_eq!(gone.problem().map(|p| p.status), Some(404), "{gone:?}");
}

/// The audit rows of `action`, newest first.
async fn audited(s: &DeployWorld, action: &str) -> Vec<gmac_types::AuditEvent> {
    s.admin
        .client
        .list_audit_events(&gmac_types::AuditQuery {
            action: Some(action.into()),
            ..gmac_types::AuditQuery::default()
        })
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn a_pushed_branch_gets_a_preview_behind_caddy_that_goes_with_its_branch_or_when_it_expires()
{
    let mut s = Box::pin(DeployWorld::start()).await;
    let staging = s.staging_on_target().await;

    // Previews are a service setting, bounded.
    let refused = s
        .admin
        .client
        .update_service(
            &s.service,
            &ServicePatch {
                previews: Some(Some(PreviewSettings { ttl_hours: 721 })),
                ..ServicePatch::default()
            },
            None,
        )
        .await
        .unwrap_err();
    let problem = refused.problem().expect("a problem");
    assert_eq!(problem.status, 422);
    assert_eq!(problem.errors[0].pointer, "/previews/ttl_hours");
    let service = s
        .admin
        .client
        .update_service(
            &s.service,
            &ServicePatch {
                previews: Some(Some(PreviewSettings { ttl_hours: 48 })),
                ..ServicePatch::default()
            },
            None,
        )
        .await
        .expect("previews on");
    assert_eq!(service.previews, Some(PreviewSettings { ttl_hours: 48 }));

    // A push to a new branch opens its preview: where staging deploys, on a host of its own.
    let work = tempfile::tempdir().unwrap();
    let pushed_at = chrono::Utc::now();
    let commit = s
        .push_branch(work.path(), "feature/Login", ("Docs one", "Docs preview"))
        .await;
    let preview = preview_of(&s, "feature/Login").await;
    assert_eq!(preview.name, "preview-feature-login");
    assert!(!preview.production);
    assert_eq!(preview.target_id, staging.target_id);
    assert!(
        preview.host.starts_with("docs-preview-feature-login-"),
        "{}",
        preview.host
    );
    let expires = preview.expires_at.expect("a preview expires");
    let ttl = expires - pushed_at;
    assert!(
        ttl > chrono::Duration::hours(47) && ttl <= chrono::Duration::hours(49),
        "{ttl:?}"
    );
    assert_eq!(
        environments(&s).await.len(),
        3,
        "staging, production, the preview"
    );
    // Its build deploys to it by itself, and Caddy serves the branch on the preview's host.
    let build = s.build_of_commit(&commit).await;
    let release = live_release(&s, &preview).await;
    assert_eq!(release.build_id.as_deref(), Some(build.as_str()));
    let (status, body) = s.through_caddy(&preview.host).await;
    assert_eq!(status, 200);
    assert!(body.contains("Docs preview"), "{body}");
    let first_container = s.container_of(&release.id);

    // Another push to the branch deploys it again and moves the expiry on.
    let commit = s
        .push_branch(
            work.path(),
            "feature/Login",
            ("Docs preview", "Docs preview two"),
        )
        .await;
    let second = s.build_of_commit(&commit).await;
    let mut again = None;
    for _ in 0..600 {
        again = s
            .releases(&preview.id)
            .await
            .into_iter()
            .find(|r| r.build_id.as_deref() == Some(second.as_str()));
        if again.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let again = again.expect("the second push was deployed to the preview");
    job_ended(&s.admin, &again.job_id).await;
    let (_, body) = s.through_caddy(&preview.host).await;
    assert!(body.contains("Docs preview two"), "{body}");
    let moved = s.admin.client.get_environment(&preview.id).await.unwrap();
    assert!(
        moved.expires_at > preview.expires_at,
        "{:?} after {:?}",
        moved.expires_at,
        preview.expires_at
    );
    let release = s.releases(&preview.id).await.remove(0);
    assert_eq!(release.status, ReleaseStatus::Live, "{:?}", release.detail);
    let container = s.container_of(&release.id);
    assert!(
        !container_exists(&s, &first_container),
        "the first release's container was retired"
    );

    // Its expiry is kept on by hand, within 30 days; staging and production never expire
    // and are not deleted on their own.
    let later = chrono::Utc::now() + chrono::Duration::hours(100);
    let kept = s
        .admin
        .client
        .update_environment(
            &preview.id,
            &EnvironmentPatch {
                expires_at: Some(later),
                ..EnvironmentPatch::default()
            },
            None,
        )
        .await
        .expect("kept on");
    assert_eq!(
        kept.expires_at.map(|e| e.timestamp()),
        Some(later.timestamp())
    );
    for (id, when, pointer_code) in [
        (
            &preview.id,
            chrono::Utc::now() - chrono::Duration::hours(1),
            "outside_window",
        ),
        (
            &preview.id,
            chrono::Utc::now() + chrono::Duration::days(31),
            "outside_window",
        ),
        (&staging.id, later, "not_preview"),
    ] {
        let refused = s
            .admin
            .client
            .update_environment(
                id,
                &EnvironmentPatch {
                    expires_at: Some(when),
                    ..EnvironmentPatch::default()
                },
                None,
            )
            .await
            .unwrap_err();
        let problem = refused.problem().expect("a problem");
        assert_eq!(problem.status, 422, "{problem:?}");
        assert_eq!(problem.errors[0].pointer, "/expires_at");
        assert_eq!(problem.errors[0].code, pointer_code);
    }
    let refused = s
        .admin
        .client
        .delete_environment(&staging.id, None)
        .await
        .unwrap_err();
    assert_eq!(
        refused.problem().map(|p| p.status),
        Some(409),
        "{refused:?}"
    );

    // The branch deleted on the host: the preview goes, with its container and its route.
    s.delete_branch(work.path(), "feature/Login").await;
    deleted(&s, &preview.id).await;
    assert!(
        !container_exists(&s, &container),
        "its container was removed"
    );
    let (_, body) = s.through_caddy(&preview.host).await;
    assert!(!body.contains("Docs preview"), "its route went: {body}");
    assert_eq!(environments(&s).await.len(), 2);

    // With previews off, a pushed branch opens none; one is opened by hand.
    s.admin
        .client
        .update_service(
            &s.service,
            &ServicePatch {
                previews: Some(None),
                ..ServicePatch::default()
            },
            None,
        )
        .await
        .expect("previews off");
    let other = tempfile::tempdir().unwrap();
    let commit = s
        .push_branch(other.path(), "fix-2", ("Docs one", "Docs fix"))
        .await;
    let pushes = s
        .admin
        .client
        .list_service_pushes(&s.service, &PageQuery::default())
        .await
        .unwrap()
        .items;
    let push = pushes
        .iter()
        .find(|p| p.commit == commit)
        .expect("the push");
    assert_eq!(push.environment, None, "{push:?}");
    assert_eq!(
        push.build_id, None,
        "no environment builds it: nothing built"
    );
    assert_eq!(environments(&s).await.len(), 2);
    let taken = s
        .admin
        .client
        .create_preview(
            &s.service,
            &NewPreview {
                branch: "staging".into(),
            },
        )
        .await
        .unwrap_err();
    let problem = taken.problem().expect("a problem");
    assert_eq!(
        (problem.status, problem.errors[0].code.as_str()),
        (422, "taken")
    );
    let opened = s
        .admin
        .client
        .create_preview(
            &s.service,
            &NewPreview {
                branch: "fix-2".into(),
            },
        )
        .await
        .expect("a preview by hand");
    assert_eq!(opened.environment.name, "preview-fix-2");
    assert_eq!(opened.build.trigger, BuildTrigger::Preview);
    assert_eq!(opened.build.git_ref, "fix-2");
    let by_hand = opened.environment;
    let release = live_release(&s, &by_hand).await;
    let (_, body) = s.through_caddy(&by_hand.host).await;
    assert!(body.contains("Docs fix"), "{body}");
    let container = s.container_of(&release.id);

    // It expires (the service set nothing: three days) and goes by itself.
    let expires = by_hand.expires_at.expect("it expires");
    let closed = gmac_core::services::previews::expire_due(
        &s.app.core,
        expires - chrono::Duration::minutes(1),
    )
    .await
    .unwrap();
    assert_eq!(closed, 0, "not yet");
    let closed = gmac_core::services::previews::expire_due(&s.app.core, expires)
        .await
        .unwrap();
    assert_eq!(closed, 1);
    deleted(&s, &by_hand.id).await;
    assert!(
        !container_exists(&s, &container),
        "its container was removed"
    );
    let (_, body) = s.through_caddy(&by_hand.host).await;
    assert!(!body.contains("Docs fix"), "its route went: {body}");

    // The audit log says why each went, and that each was removed.
    let started = audited(&s, "environment.delete").await;
    let why: Vec<String> = started
        .iter()
        .map(|e| e.details["why"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        why,
        ["it expired", "its branch was deleted"],
        "newest first"
    );
    let removed = audited(&s, "environment.removed").await;
    assert_eq!(removed.len(), 2);
    assert_eq!(removed[0].target_id.as_deref(), Some(by_hand.id.as_str()));
    assert_eq!(
        audited(&s, "environment.preview").await[0]
            .target_id
            .as_deref(),
        Some(by_hand.id.as_str())
    );

    // Deleted as soon as it opens: its build, queued or running, is cancelled (nothing would
    // be left to deploy it to), and the deletion's audit row names it.
    let quick = s
        .admin
        .client
        .create_preview(
            &s.service,
            &NewPreview {
                branch: "fix-2".into(),
            },
        )
        .await
        .expect("opened again");
    s.admin
        .client
        .delete_environment(&quick.environment.id, None)
        .await
        .expect("deleting it");
    assert_eq!(
        job_ended(&s.admin, &quick.build.job_id).await,
        JobStatus::Cancelled
    );
    let build = s.admin.client.get_build(&quick.build.id).await.unwrap();
    assert_eq!(build.status, gmac_types::BuildStatus::Cancelled);
    deleted(&s, &quick.environment.id).await;
    assert_eq!(
        audited(&s, "environment.delete").await[0].details["cancelled_builds"],
        serde_json::json!([quick.build.id])
    );
}
