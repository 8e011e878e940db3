//! Container hosts over the network (issue 12, point 1): an engine at `tcp://host:port` is
//! reached only over TLS, checking its certificate against the authority given and presenting
//! gmac's client certificate (Docker's `--tlsverify`). The engine is a real Podman behind a
//! real Caddy that requires client certificates, made with the real `openssl` command line
//! ([`gmac_tests::engine_tls`]); a release rolls out there through it, health checked on the
//! port the container publishes on the engine's address, routed by the Caddy beside it.

use gmac_tests::deploy_world::{DeployWorld, job_ended};
use gmac_tests::engine_tls::TlsEngine;
use gmac_tests::podman::Podman;
use gmac_tests::{Session, TestApp, spawn_app};
use gmac_types::{
    EngineTls, JobStatus, NewDeploy, NewTarget, ReleaseStatus, SecretText, TargetKind, TargetPatch,
};
use sea_orm::EntityTrait;

fn tls_of(certificate: &str, key: &str, ca: &str) -> EngineTls {
    EngineTls {
        ca_certificate: ca.to_owned(),
        client_certificate: certificate.to_owned(),
        client_key: SecretText::new(key),
    }
}

pub(crate) fn remote(
    client_id: &str,
    name: &str,
    address: &str,
    tls: Option<EngineTls>,
) -> NewTarget {
    NewTarget {
        name: name.to_owned(),
        client_id: client_id.to_owned(),
        project_id: None,
        kind: TargetKind::ContainerHost,
        address: address.to_owned(),
        proxy_admin_url: None,
        kubeconfig: None,
        tls,
        ssh: None,
        cluster_issuer: None,
        ingress_class: None,
        ingress_address: None,
    }
}

/// The refusal of `input`: its status and each field error's pointer and code.
pub(crate) async fn refused(
    admin: &Session,
    input: &NewTarget,
) -> (u16, Vec<(String, String, String)>) {
    let problem = admin
        .client
        .create_target(input)
        .await
        .expect_err("refused")
        .problem()
        .cloned()
        .expect("a problem");
    let mut errors: Vec<(String, String, String)> = problem
        .errors
        .into_iter()
        .map(|e| (e.pointer, e.code, e.detail))
        .collect();
    errors.sort();
    (problem.status, errors)
}

/// Whether the database (the target's row, and SQLite's files) holds `needle` in clear.
async fn stored_in_clear(app: &TestApp, needle: &str) -> bool {
    let rows = gmac_core::entities::target::Entity::find()
        .all(&app.core.db)
        .await
        .unwrap();
    if rows.iter().any(|r| format!("{r:?}").contains(needle)) {
        return true;
    }
    let Some(path) = app
        .database_url
        .strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap_or(p))
    else {
        return false;
    };
    sea_orm::ConnectionTrait::execute_unprepared(&app.core.db, "PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .unwrap();
    [path.to_owned(), format!("{path}-wal")].iter().any(|file| {
        std::fs::read(file)
            .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
    })
}

/// The base64 body of a PEM (or OpenSSH) key: what must never be stored or answered in clear.
pub(crate) fn key_body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>()
}

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "every way a remote engine is refused, then kept, tested and moved"
)]
async fn an_engine_over_the_network_is_registered_only_over_tls_with_a_client_certificate_it_trusts()
 {
    let podman = Podman::start().await;
    let mut engine = TlsEngine::start(&podman.host).await;
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let good = tls_of(&engine.client_certificate, &engine.client_key, &engine.ca);

    // Over the network without TLS: never, before anything is asked of it.
    let (status, errors) =
        refused(&admin, &remote(&client_id, "plain", &engine.address, None)).await;
    assert_eq!(status, 422);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0].0.as_str(), errors[0].1.as_str()),
        ("/tls", "required")
    );
    // A socket on gmac's own host takes none.
    let (_, errors) = refused(
        &admin,
        &remote(&client_id, "socket", &podman.host, Some(good.clone())),
    )
    .await;
    assert_eq!(
        (errors[0].0.as_str(), errors[0].1.as_str()),
        ("/tls", "not_for_address")
    );
    // What is not PEM is named field by field.
    let (status, errors) = refused(
        &admin,
        &remote(
            &client_id,
            "garbled",
            &engine.address,
            Some(tls_of(
                "not a certificate",
                "-----BEGIN PRIVATE KEY-----\nxx",
                "",
            )),
        ),
    )
    .await;
    assert_eq!(status, 422);
    let pointers: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/tls/ca_certificate",
            "/tls/client_certificate",
            "/tls/client_key"
        ]
    );

    // A certificate the engine does not trust is turned away; so is an engine whose own
    // certificate the authority given did not sign. Nothing is saved.
    for (name, tls, says) in [
        (
            "stranger",
            tls_of(
                &engine.stranger_certificate,
                &engine.stranger_key,
                &engine.ca,
            ),
            "could not be reached",
        ),
        (
            "wrong-ca",
            tls_of(
                &engine.client_certificate,
                &engine.client_key,
                &engine.stranger_certificate,
            ),
            "certificate",
        ),
    ] {
        let (status, errors) = refused(
            &admin,
            &remote(&client_id, name, &engine.address, Some(tls)),
        )
        .await;
        assert_eq!(status, 422, "{name}");
        assert_eq!(errors[0].0, "/address", "{name}: {errors:?}");
        assert_eq!(errors[0].1, "connection_failed", "{name}");
        assert!(errors[0].2.contains(says), "{name}: {}", errors[0].2);
    }
    assert!(
        admin
            .client
            .list_targets(
                &gmac_types::TargetQuery::default(),
                &gmac_types::PageQuery::default()
            )
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // With the credentials it trusts: saved, the engine named, the credentials kept sealed.
    let target = admin
        .client
        .create_target(&remote(
            &client_id,
            "web-remote",
            &engine.address,
            Some(good),
        ))
        .await
        .unwrap();
    assert!(target.has_credentials);
    let described = target.engine.clone().unwrap();
    assert!(described.starts_with("Podman Engine "), "{described}");
    let answered =
        serde_json::to_string(&admin.client.get_target(&target.id).await.unwrap()).unwrap();
    let key = key_body(&engine.client_key);
    assert!(
        !answered.contains(&key) && !answered.contains("PRIVATE KEY"),
        "{answered}"
    );
    assert!(
        !stored_in_clear(&app, &key).await,
        "the client key is stored in clear"
    );

    // Tested again through them; once the engine stops, the test says so.
    let tested = admin.client.test_target(&target.id).await.unwrap();
    assert!(tested.last_test.unwrap().ok);
    engine.stop();
    let tested = admin.client.test_target(&target.id).await.unwrap();
    let test = tested.last_test.unwrap();
    assert!(
        !test.ok && test.detail.contains("could not be reached"),
        "{}",
        test.detail
    );
    // Nothing answers there any more: a new target there is not saved.
    let (status, errors) = refused(
        &admin,
        &remote(
            &client_id,
            "closed",
            &engine.address,
            Some(tls_of(
                &engine.client_certificate,
                &engine.client_key,
                &engine.ca,
            )),
        ),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        (errors[0].0.as_str(), errors[0].1.as_str()),
        ("/address", "connection_failed")
    );
    assert!(
        errors[0].2.contains("Connection refused"),
        "{}",
        errors[0].2
    );

    // New credentials are tested before they are kept: a stranger's are refused.
    let engine = TlsEngine::start(&podman.host).await;
    let moved = admin
        .client
        .update_target(
            &target.id,
            &TargetPatch {
                address: Some(engine.address.clone()),
                tls: Some(tls_of(
                    &engine.stranger_certificate,
                    &engine.stranger_key,
                    &engine.ca,
                )),
                ..TargetPatch::default()
            },
            None,
        )
        .await
        .unwrap_err();
    let problem = moved.problem().unwrap();
    assert_eq!(problem.status, 422);
    // Named by what changed: the credentials, not the address.
    assert_eq!(problem.errors[0].pointer, "/tls", "{problem:?}");
    let moved = admin
        .client
        .update_target(
            &target.id,
            &TargetPatch {
                address: Some(engine.address.clone()),
                tls: Some(tls_of(
                    &engine.client_certificate,
                    &engine.client_key,
                    &engine.ca,
                )),
                ..TargetPatch::default()
            },
            None,
        )
        .await
        .unwrap();
    assert!(moved.has_credentials && moved.last_test.unwrap().ok);
    // Another address on the same credentials needs none given again.
    let again = admin.client.test_target(&target.id).await.unwrap();
    assert!(again.last_test.unwrap().ok);

    // Moved to a socket on gmac's own host, the network's credentials are dropped.
    let local = admin
        .client
        .update_target(
            &target.id,
            &TargetPatch {
                address: Some(podman.host.clone()),
                ..TargetPatch::default()
            },
            None,
        )
        .await
        .unwrap();
    assert!(!local.has_credentials);
    let row = gmac_core::entities::target::Entity::find_by_id(target.id.as_str())
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.credentials.is_none());
}

/// Registers `input` (an engine over the network, with the world's Caddy as its proxy) as the
/// world's target, rolls a release of the static site out to staging there with `secret`,
/// and checks what a user relies on: it goes live and healthy, its log and the proxy's route,
/// the secret in its container alone, its instance and output, a restart. Answers the
/// container's inspection.
pub(crate) async fn rolls_out_with_its_secret(
    s: &mut DeployWorld,
    mut input: NewTarget,
    secret: &str,
) -> serde_json::Value {
    input.proxy_admin_url = Some(s.caddy.admin.clone());
    s.target = s.admin.client.create_target(&input).await.unwrap().id;
    let staging = s.staging_on_target().await;
    let api = &s.admin.client;
    api.set_secret(&staging.id, "API_TOKEN", secret)
        .await
        .unwrap();
    let build = s.built("staging").await;
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
    let ended = job_ended(&s.admin, &started.job.id).await;
    let log = api.job_log(&started.job.id, 0).await.unwrap();
    let log: Vec<String> = log.items.into_iter().map(|l| l.line).collect();
    assert_eq!(ended, JobStatus::Succeeded, "{log:#?}");
    let release = s
        .releases(&staging.id)
        .await
        .into_iter()
        .find(|r| r.id == started.release.id)
        .unwrap();
    assert_eq!(release.status, ReleaseStatus::Live, "{:?}", release.detail);
    assert!(log.iter().any(|l| l.starts_with("healthy: ")), "{log:#?}");
    assert!(!log.iter().any(|l| l.contains(secret)), "{log:#?}");

    // The proxy beside the engine routes the environment's host to it.
    let (status, body) = s.through_caddy(&staging.host).await;
    assert_eq!(status, 200);
    assert!(body.contains("Docs one"), "{body}");

    // The container has its secret.
    let inspected = s.container_inspect(&release.id);
    let env: Vec<&str> = inspected["Config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    assert!(
        env.contains(&format!("API_TOKEN={secret}").as_str()),
        "{env:?}"
    );

    // Its instance and output are read through the same way to the engine.
    let api = &s.admin.client;
    let instances = api.environment_instances(&staging.id).await.unwrap();
    assert_eq!(instances.release_id.as_deref(), Some(release.id.as_str()));
    assert!(instances.instances[0].running, "{instances:?}");
    api.environment_log_text(&staging.id, Some(50))
        .await
        .unwrap();

    // A restart goes through it, and the service answers again.
    let restart = api.restart_environment(&staging.id).await.unwrap();
    assert_eq!(job_ended(&s.admin, &restart.id).await, JobStatus::Succeeded);
    let (status, body) = s.through_caddy(&staging.host).await;
    assert_eq!(status, 200);
    assert!(body.contains("Docs one"), "{body}");
    inspected
}

/// Where a container publishes its ports on its engine's host, from its inspection.
pub(crate) fn port_bindings(inspected: &serde_json::Value) -> Vec<serde_json::Value> {
    inspected["HostConfig"]["PortBindings"]
        .as_object()
        .into_iter()
        .flat_map(|ports| ports.values())
        .flat_map(|b| b.as_array().cloned().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn a_release_rolls_out_over_tls_healthy_routed_by_the_proxy_beside_it_with_its_secret() {
    let mut s = Box::pin(DeployWorld::start()).await;
    let engine = TlsEngine::start(&s.podman.host).await;
    let client_id = s
        .admin
        .client
        .get_target(&s.target)
        .await
        .unwrap()
        .client_id;
    let input = remote(
        &client_id,
        "web-remote",
        &engine.address,
        Some(tls_of(
            &engine.client_certificate,
            &engine.client_key,
            &engine.ca,
        )),
    );
    let inspected = rolls_out_with_its_secret(&mut s, input, "tok-7c0e51d2-remote-secret").await;
    // It publishes its port only on the engine's address, for gmac's health checks.
    let bindings = port_bindings(&inspected);
    assert_eq!(bindings.len(), 1, "{bindings:?}");
    assert_eq!(bindings[0]["HostIp"], "127.0.0.1");
}

#[tokio::test]
async fn a_host_s_address_moves_only_to_an_engine_that_shows_the_containers_running_there() {
    let mut s = Box::pin(DeployWorld::start()).await;
    let staging = s.staging_on_target().await;
    s.podman.serving_and_crashing(
        "localhost/gmac-moving-serving:1",
        "localhost/gmac-moving-crashing:1",
    );
    let api = &s.admin.client;
    let started = api
        .deploy(
            &staging.id,
            &NewDeploy {
                build_id: None,
                image: Some("localhost/gmac-moving-serving:1".to_owned()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        job_ended(&s.admin, &started.job.id).await,
        JobStatus::Succeeded
    );
    // Release #2 crashes: it fails, its container removed, and #1 keeps serving.
    let crashed = api
        .deploy(
            &staging.id,
            &NewDeploy {
                build_id: None,
                image: Some("localhost/gmac-moving-crashing:1".to_owned()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        job_ended(&s.admin, &crashed.job.id).await,
        JobStatus::Failed
    );
    let serving = s.container_of(&started.release.id);
    let before = api.get_target(&s.target).await.unwrap();

    // Another engine (storage of its own) does not have release #1's container: gmac would
    // lose it, so the move is refused and nothing changes.
    let elsewhere = Podman::start_empty().await;
    let moved = |address: String| TargetPatch {
        address: Some(address),
        ..TargetPatch::default()
    };
    let problem = api
        .update_target(
            &s.target,
            &moved(elsewhere.host.clone()),
            Some(before.version),
        )
        .await
        .expect_err("refused")
        .problem()
        .cloned()
        .expect("a problem");
    let detail = problem.detail.clone().unwrap_or_default();
    assert_eq!(problem.status, 409, "{problem:?}");
    assert!(
        detail.contains("Release #1") && detail.contains(&elsewhere.host),
        "{detail}"
    );
    let kept = api.get_target(&s.target).await.unwrap();
    assert_eq!(
        (kept.address, kept.version),
        (before.address.clone(), before.version)
    );

    // Another address of the same engine (a link to its socket) is taken (the failed release
    // holds nothing there), and what runs is still reached through it: a restart replaces the
    // release's container.
    let links = tempfile::tempdir().unwrap();
    let link = links.path().join("engine.sock");
    std::os::unix::fs::symlink(s.podman.host.trim_start_matches("unix://"), &link).unwrap();
    let address = format!("unix://{}", link.display());
    let changed = api
        .update_target(&s.target, &moved(address.clone()), Some(before.version))
        .await
        .unwrap();
    assert_eq!(changed.address, address);
    let restart = api.restart_environment(&staging.id).await.unwrap();
    assert_eq!(job_ended(&s.admin, &restart.id).await, JobStatus::Succeeded);
    assert_ne!(s.container_of(&started.release.id), serving);
}
