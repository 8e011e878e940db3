//! Deploy targets (issue 12, point 1): `/api/v1/targets`, each tested against a real Podman
//! serving the Docker Engine API and a real Caddy's admin API before it is saved.

use gmac_tests::caddy::Caddy;
use gmac_tests::podman::Podman;
use gmac_tests::{Session, TestApp, spawn_app};
use gmac_types::{NewTarget, PageQuery, TargetKind, TargetQuery};

fn new_target(client_id: &str, name: &str, address: &str, proxy: Option<&str>) -> NewTarget {
    NewTarget {
        name: name.to_owned(),
        client_id: client_id.to_owned(),
        project_id: None,
        kind: TargetKind::ContainerHost,
        address: address.to_owned(),
        proxy_admin_url: proxy.map(str::to_owned),
        kubeconfig: None,
        tls: None,
        ssh: None,
        cluster_issuer: None,
        ingress_class: None,
        ingress_address: None,
    }
}

async fn listed(admin: &Session, client_id: &str) -> Vec<String> {
    admin
        .client
        .list_targets(
            &TargetQuery {
                client_id: Some(client_id.to_owned()),
            },
            &PageQuery::default(),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|t| t.name)
        .collect()
}

async fn world() -> (TestApp, Session, String) {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    (app, admin, client_id)
}

#[tokio::test]
async fn a_container_host_is_saved_once_its_engine_and_its_proxy_answer_and_is_tested_again_later()
{
    let podman = Podman::start().await;
    let mut caddy = Caddy::start().await;
    let (app, admin, client_id) = world().await;

    let target = admin
        .client
        .create_target(&new_target(
            &client_id,
            "web-1",
            &podman.host,
            Some(&caddy.admin),
        ))
        .await
        .unwrap();
    let engine = target.engine.clone().unwrap();
    assert!(engine.starts_with("Podman Engine "), "{engine}");
    assert!(engine.contains("(API 1."), "{engine}");
    let test = target.last_test.clone().unwrap();
    assert!(test.ok);
    assert!(
        test.detail
            .contains(&format!("Caddy's admin API answers at {}", caddy.admin)),
        "{}",
        test.detail
    );
    assert_eq!(
        admin.client.get_target(&target.id).await.unwrap(),
        target,
        "read back as saved"
    );

    // Nothing answers: nothing is saved, and the answer says what failed, on its field.
    for (name, address, proxy, field, says) in [
        (
            "gone",
            "unix:///nonexistent/podman.sock",
            None,
            "/address",
            "could not be reached",
        ),
        (
            "no-proxy",
            podman.host.as_str(),
            Some("http://127.0.0.1:9"),
            "/proxy_admin_url",
            "admin API at http://127.0.0.1:9 could not be reached",
        ),
    ] {
        let refused = admin
            .client
            .create_target(&new_target(&client_id, name, address, proxy))
            .await
            .unwrap_err();
        let problem = refused.problem().unwrap();
        assert_eq!(problem.status, 422, "{name}");
        assert_eq!(problem.errors[0].pointer, field, "{name}");
        assert_eq!(problem.errors[0].code, "connection_failed");
        assert!(
            problem.errors[0].detail.contains(says),
            "{name}: {problem:?}"
        );
    }
    let taken = admin
        .client
        .create_target(&new_target(&client_id, "web-1", &podman.host, None))
        .await
        .unwrap_err();
    assert_eq!(taken.problem().unwrap().status, 409);
    assert_eq!(listed(&admin, &client_id).await, ["web-1"]);

    // The proxy stops: the next test says so and keeps the engine it knew.
    caddy.stop();
    let tested = admin.client.test_target(&target.id).await.unwrap();
    let test = tested.last_test.clone().unwrap();
    assert!(!test.ok);
    assert!(test.detail.contains("Podman Engine"), "{}", test.detail);
    assert!(
        test.detail.contains("could not be reached"),
        "{}",
        test.detail
    );
    assert_eq!(tested.engine, target.engine);
    assert_eq!(tested.version, target.version + 1);

    // A script does the same with an API token: a refusal says why, per field.
    let token = crate::process::script_token(
        &admin,
        vec![
            gmac_types::Permission::ServicesView,
            gmac_types::Permission::TargetsManage,
        ],
    )
    .await;
    let gmac = async |args: &[&str]| crate::process::run_gmac(&app.address, &token, args).await;
    let (ok, _, err) = gmac(&["targets", "test", &target.id]).await;
    assert!(!ok, "the proxy is down: {err}");
    assert!(err.contains("not answering"), "{err}");
    let (ok, _, err) = gmac(&[
        "targets",
        "add",
        "web-2",
        "--client",
        &client_id,
        "--address",
        "tcp://127.0.0.1:9",
    ])
    .await;
    assert!(!ok);
    assert!(err.contains("/tls: An engine over the network"), "{err}");
    // Over the network with Docker's TLS flags: the engine is asked through them.
    let engine = gmac_tests::engine_tls::TlsEngine::start(&podman.host).await;
    let files = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = files.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let (ca, cert, key) = (
        file("ca.pem", &engine.ca),
        file("cert.pem", &engine.client_certificate),
        file("key.pem", &engine.client_key),
    );
    let (ok, out, err) = gmac(&[
        "targets",
        "add",
        "web-tls",
        "--client",
        &client_id,
        "--address",
        &engine.address,
        "--tlscacert",
        &ca,
        "--tlscert",
        &cert,
        "--tlskey",
        &key,
    ])
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("answering: Podman Engine"), "{out}");
    let (ok, _, err) = gmac(&[
        "targets",
        "add",
        "web-x",
        "--client",
        &client_id,
        "--address",
        &engine.address,
        "--tlscacert",
        &ca,
    ])
    .await;
    assert!(!ok && err.contains("--tlscert"), "{err}");
    // Over SSH with podman's flags: ssh-keyscan's output names the host's key.
    let host = gmac_tests::ssh_engine::SshEngine::start(&podman.host).await;
    let (identity, scanned) = (
        file("id_ed25519", &host.private_key),
        file(
            "known",
            &format!("# 127.0.0.1 SSH-2.0-OpenSSH\n{}\n", host.keyscan),
        ),
    );
    let (ok, out, err) = gmac(&[
        "targets",
        "add",
        "web-ssh",
        "--client",
        &client_id,
        "--address",
        &host.address,
        "--identity",
        &identity,
        "--host-key",
        &scanned,
    ])
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("answering: Podman Engine"), "{out}");
    let (ok, out, err) = gmac(&[
        "targets",
        "add",
        "web-2",
        "--client",
        &client_id,
        "--address",
        &podman.host,
    ])
    .await;
    assert!(ok, "{err}");
    assert!(
        out.contains("web-2") && out.contains("answering: Podman Engine"),
        "{out}"
    );
    let (ok, out, _) = gmac(&["targets", "list", "--client", &client_id]).await;
    assert!(ok && out.lines().count() == 4, "{out}");

    admin.client.delete_target(&target.id).await.unwrap();
    assert_eq!(
        listed(&admin, &client_id).await,
        ["web-2", "web-ssh", "web-tls"]
    );
}

#[tokio::test]
async fn a_target_is_refused_field_by_field_before_anything_is_asked_of_it() {
    let (app, admin, client_id) = world().await;
    let other = app.fixture(&admin).client("Globex").await;
    let elsewhere = app.fixture(&admin).project(&other, "Site").await;
    let mut input = new_target(&client_id, " ", "ssh://10.0.0.5", Some("ftp://x"));
    input.project_id = Some(elsewhere);
    let refused = admin.client.create_target(&input).await.unwrap_err();
    let problem = refused.problem().unwrap();
    assert_eq!(problem.status, 422);
    let mut pointers: Vec<&str> = problem.errors.iter().map(|e| e.pointer.as_str()).collect();
    pointers.sort_unstable();
    assert_eq!(
        pointers,
        ["/address", "/name", "/project_id", "/proxy_admin_url"]
    );
    for address in [
        "unix://relative.sock",
        "tcp://10.0.0.5",
        "http://10.0.0.5:2375",
    ] {
        let refused = admin
            .client
            .create_target(&new_target(&client_id, "x", address, None))
            .await
            .unwrap_err();
        assert_eq!(
            refused.problem().unwrap().errors[0].pointer,
            "/address",
            "{address}"
        );
    }
    assert!(listed(&admin, &client_id).await.is_empty());
}

#[tokio::test]
async fn a_clients_admin_registers_hosts_over_the_network_and_a_projects_people_see_its_targets() {
    let podman = Podman::start().await;
    let (app, admin, client_id) = world().await;
    let shop = app.fixture(&admin).project(&client_id, "Shop").await;
    let client_admin = app
        .fixture(&admin)
        .member(
            "ops@example.com",
            "admin",
            gmac_types::Scope::Client {
                id: client_id.clone(),
            },
        )
        .await;
    // A socket on gmac's own host is the installation's to give, even for a client's admin.
    let refused = client_admin
        .client
        .create_target(&new_target(&client_id, "local", &podman.host, None))
        .await
        .unwrap_err();
    let problem = refused.problem().unwrap();
    assert_eq!(problem.status, 422);
    assert_eq!(problem.errors[0].code, "local_socket");
    // The installation's admin gives it, to one project.
    let mut input = new_target(&client_id, "shop-host", &podman.host, None);
    input.project_id = Some(shop.clone());
    let target = admin.client.create_target(&input).await.unwrap();
    assert_eq!(target.project_id.as_deref(), Some(shop.as_str()));
    // Someone who sees only that project sees its target, in the list too.
    let viewer = app
        .fixture(&admin)
        .member(
            "shop@example.com",
            "viewer",
            gmac_types::Scope::Project { id: shop.clone() },
        )
        .await;
    let seen = viewer
        .client
        .list_targets(&TargetQuery::default(), &PageQuery::default())
        .await
        .unwrap();
    assert_eq!(seen.items.len(), 1);
    assert_eq!(seen.items[0].id, target.id);
    assert_eq!(
        viewer.client.get_target(&target.id).await.unwrap().name,
        "shop-host"
    );
    // The client's admin manages it (tests it) without having registered it.
    let tested = client_admin.client.test_target(&target.id).await.unwrap();
    assert!(tested.last_test.unwrap().ok);
}

/// A target changed in place: its name and ingress address at once; a new engine address that
/// does not answer is refused, naming the field, and nothing changes; a stale version is
/// `412`; a new proxy gets the route of the environment serving there at once, so traffic
/// through it reaches the live release (and the old proxy no longer routes it).
#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one target's changes, in order")]
async fn a_target_is_changed_in_place_tested_first_and_a_new_proxy_gets_the_live_routes() {
    use gmac_tests::deploy_world::{DeployWorld, job_ended};
    use gmac_types::{JobStatus, NewDeploy, TargetPatch};

    let mut world = DeployWorld::start().await;
    let staging = world.staging_on_target().await;
    let api = &world.admin.client;
    let before = api.get_target(&world.target).await.unwrap();

    let renamed = api
        .update_target(
            &world.target,
            &TargetPatch {
                name: Some("web-east".into()),
                ingress_address: Some(Some(" 203.0.113.10 ".into())),
                ..TargetPatch::default()
            },
            Some(before.version),
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "web-east");
    assert_eq!(renamed.ingress_address.as_deref(), Some("203.0.113.10"));
    assert_eq!(renamed.version, before.version + 1);
    assert_eq!(renamed.address, before.address, "the rest stays");
    assert_eq!(
        renamed.last_test, before.last_test,
        "nothing reachable changed: it was not asked again"
    );

    let stale = api
        .update_target(
            &world.target,
            &TargetPatch {
                name: Some("web-west".into()),
                ..TargetPatch::default()
            },
            Some(before.version),
        )
        .await
        .expect_err("a stale version");
    assert_eq!(stale.status(), Some(412));

    let gone = world
        .podman
        .host
        .replace("podman.sock", "nothing-here.sock");
    let refused = api
        .update_target(
            &world.target,
            &TargetPatch {
                address: Some(gone),
                ..TargetPatch::default()
            },
            None,
        )
        .await
        .expect_err("an engine that does not answer");
    assert_eq!(refused.status(), Some(422));
    let problem = refused.problem().expect("a problem");
    assert!(
        problem
            .errors
            .iter()
            .any(|e| e.pointer == "/address" && e.code == "connection_failed"),
        "{problem:?}"
    );
    let now = api.get_target(&world.target).await.unwrap();
    assert_eq!(now.address, before.address, "nothing was saved");
    assert_eq!(now.version, renamed.version);
    let cluster_only = api
        .update_target(
            &world.target,
            &TargetPatch {
                cluster_issuer: Some(Some("letsencrypt".into())),
                ingress_class: Some(Some("nginx".into())),
                ..TargetPatch::default()
            },
            None,
        )
        .await
        .expect_err("a container host takes no issuer or ingress class");
    assert_eq!(cluster_only.status(), Some(422));
    let mut refused: Vec<(String, String)> = cluster_only
        .problem()
        .expect("a problem")
        .errors
        .iter()
        .map(|e| (e.pointer.clone(), e.code.clone()))
        .collect();
    refused.sort();
    assert_eq!(
        refused,
        [
            ("/cluster_issuer".to_owned(), "not_for_kind".to_owned()),
            ("/ingress_class".to_owned(), "not_for_kind".to_owned()),
        ]
    );

    // A release serves through the first Caddy; the target moves to a second one.
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
    let (status, body) = world.through_caddy(&staging.host).await;
    assert_eq!(status, 200);
    assert!(body.contains("Docs one"), "{body}");
    let second = Caddy::start().await;
    let moved = api
        .update_target(
            &world.target,
            &TargetPatch {
                proxy_admin_url: Some(Some(second.admin.clone())),
                ..TargetPatch::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        moved.proxy_admin_url.as_deref(),
        Some(second.admin.as_str())
    );
    let through_second = reqwest::Client::new()
        .get(format!("{}/", second.traffic))
        .header("Host", staging.host.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(through_second.status(), 200);
    assert!(through_second.text().await.unwrap().contains("Docs one"));
    let (_, old) = world.through_caddy(&staging.host).await;
    assert!(!old.contains("Docs one"), "the old proxy lost the route");
    let audit = api
        .list_audit_events(&gmac_types::AuditQuery {
            action: Some("target.update".into()),
            ..gmac_types::AuditQuery::default()
        })
        .await
        .unwrap()
        .items;
    assert_eq!(audit.len(), 2, "one row per change saved");
    assert_eq!(audit[0].details["after"]["proxy_admin_url"], second.admin);
    assert_eq!(audit[1].details["before"]["name"], "web-1");
}
