//! A running release's instances and its own output (issue 12, point 4), for real: a
//! static-site release on Podman behind Caddy. Its web server (busybox `httpd -v`) logs each
//! answer (`[ip]:port: response:404`): a request through Caddy shows up in the followed log,
//! and a secret of the environment whose value the service writes (here those very words) is
//! masked; a container killed from outside shows as stopped by a signal, and the followed log
//! ends.

use std::time::Duration;

use futures_util::StreamExt;
use gmac_tests::deploy_world::{DeployWorld, job_ended};
use gmac_types::runtime::{EnvironmentInstances, ExitReason, ServiceLogLine};
use gmac_types::{JobStatus, NewDeploy};

/// A secret whose value the service writes to its output.
const SECRET: &str = "response:404";

/// The container running release `release_id`, killed with `SIGKILL` through the engine.
fn kill(world: &DeployWorld, release_id: &str) {
    let socket = world.podman.host.trim_start_matches("unix://");
    let id = world.container_of(release_id);
    let killed = std::process::Command::new("curl")
        .args(["-s", "-X", "POST", "--unix-socket", socket])
        .arg(format!("http://d/v1.41/containers/{id}/kill?signal=KILL"))
        .status()
        .unwrap();
    assert!(killed.success());
}

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one release's life, in order")]
async fn the_live_release_shows_its_instances_and_its_own_output_followed_live() {
    let mut world = DeployWorld::start().await;
    let staging = world.staging_on_target().await;
    let api = &world.admin.client;
    // Nothing serves yet: no instance, no line.
    let none = api.environment_instances(&staging.id).await.unwrap();
    assert!(none.release_id.is_none() && none.instances.is_empty());
    assert_eq!(
        api.environment_log_text(&staging.id, None).await.unwrap(),
        ""
    );

    api.set_secret(&staging.id, "API_TOKEN", SECRET)
        .await
        .unwrap();
    let build = world.built("staging").await;
    let started = api
        .deploy(
            &staging.id,
            &NewDeploy {
                build_id: Some(build),
                image: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        job_ended(&world.admin, &started.job.id).await,
        JobStatus::Succeeded
    );
    let release = started.release.id.clone();

    let up = api.environment_instances(&staging.id).await.unwrap();
    assert_eq!(up.release_id.as_deref(), Some(release.as_str()));
    assert_eq!(up.instances.len(), 1);
    let instance = &up.instances[0];
    assert!(instance.running && instance.restarts == 0, "{up:?}");
    assert!(
        instance.last_exit.is_none() && instance.started_at.is_some(),
        "{up:?}"
    );

    // Followed live: a request through Caddy appears, the secret in its URL masked.
    let response = world
        .app
        .http()
        .get(
            world
                .app
                .url(&format!("/api/v1/environments/{}/logs?tail=0", staging.id)),
        )
        .bearer_auth(&world.admin.access_token)
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel::<String>();
    let reader = tokio::spawn(async move {
        let mut body = response.bytes_stream();
        let mut text = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            let _ = seen_tx.send(text.clone());
        }
        text
    });
    let host = api.get_environment(&staging.id).await.unwrap().host;
    let probe = "/no-such-page";
    let mut followed = String::new();
    for _ in 0..40 {
        let answer = reqwest::Client::new()
            .get(format!("{}{probe}", world.caddy.traffic))
            .header("Host", &host)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404, "the site has no such page");
        if let Ok(Some(text)) = tokio::time::timeout(Duration::from_millis(500), seen.recv()).await
        {
            followed = text;
            if followed.contains("••••••") {
                break;
            }
        }
    }
    let line: ServiceLogLine = followed
        .split("\n\n")
        .filter_map(|frame| frame.strip_prefix("event: log\ndata: "))
        .filter_map(|data| serde_json::from_str(data).ok())
        .find(|l: &ServiceLogLine| l.line.contains("••••••"))
        .unwrap_or_else(|| panic!("no line of the request: {followed}"));
    assert!(line.line.ends_with(": ••••••"), "{line:?}");
    assert_eq!(line.instance, instance.name);
    assert!(line.at.is_some(), "{line:?}");
    assert!(!followed.contains(SECRET), "{followed}");

    // As text, the same line, masked.
    let text = api
        .environment_log_text(&staging.id, Some(50))
        .await
        .unwrap();
    assert!(
        text.contains(": ••••••") && !text.contains(SECRET),
        "{text}"
    );
    let refused = world
        .app
        .http()
        .get(world.app.url(&format!(
            "/api/v1/environments/{}/logs?tail=5001",
            staging.id
        )))
        .bearer_auth(&world.admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);

    // Killed from outside: the instance says so, and the followed log ends with how it stands.
    kill(&world, &release);
    let mut after = None;
    for _ in 0..80 {
        let now = api.environment_instances(&staging.id).await.unwrap();
        if now.instances[0].last_exit.is_some() {
            after = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let after = after.unwrap_or_else(|| panic!("no exit was seen"));
    let exit = after.instances[0].last_exit.clone().unwrap();
    assert_eq!(
        (exit.code, exit.reason),
        (137, ExitReason::Killed),
        "{after:?}"
    );
    let ended = tokio::time::timeout(Duration::from_secs(20), reader)
        .await
        .unwrap_or_else(|_| panic!("the followed log did not end"))
        .unwrap();
    let end: EnvironmentInstances = ended
        .split("\n\n")
        .find_map(|frame| frame.strip_prefix("event: end\ndata: "))
        .and_then(|data| serde_json::from_str(data).ok())
        .unwrap_or_else(|| panic!("no end event: {ended}"));
    assert_eq!(end.release_id.as_deref(), Some(release.as_str()));
}
