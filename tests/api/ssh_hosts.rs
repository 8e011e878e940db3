//! Container hosts over SSH (issue 12, point 1): an engine at `ssh://user@host[:port]/socket` is
//! reached by signing in with gmac's key, accepting the host only if it shows the key given,
//! and forwarding to the engine's socket there (as `podman system connection` does). The host
//! is a real OpenSSH server in front of a real Podman ([`gmac_tests::ssh_engine`]); a release
//! rolls out there through it, health checked through the same SSH session, routed by the
//! Caddy beside it.

use gmac_tests::deploy_world::DeployWorld;
use gmac_tests::podman::Podman;
use gmac_tests::spawn_app;
use gmac_tests::ssh_engine::SshEngine;
use gmac_types::{EngineSsh, NewTarget, SecretText, TargetPatch};
use sea_orm::EntityTrait;

use crate::remote_hosts::{key_body, port_bindings, refused, remote, rolls_out_with_its_secret};

fn ssh_of(private_key: &str, host_key: &str) -> EngineSsh {
    EngineSsh {
        private_key: SecretText::new(private_key),
        host_key: host_key.to_owned(),
    }
}

fn over_ssh(client_id: &str, name: &str, address: &str, ssh: Option<EngineSsh>) -> NewTarget {
    NewTarget {
        ssh,
        ..remote(client_id, name, address, None)
    }
}

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "every way an SSH host is refused, then kept, tested and given new keys"
)]
async fn an_engine_over_ssh_is_registered_only_when_the_host_shows_the_key_given_and_lets_gmac_in()
{
    let podman = Podman::start().await;
    let host = SshEngine::start(&podman.host).await;
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let good = ssh_of(&host.private_key, &host.keyscan);

    // Over SSH without keys, keys for a socket, keys that are not keys: named before anything
    // is asked of the host.
    let (status, errors) =
        refused(&admin, &over_ssh(&client_id, "bare", &host.address, None)).await;
    assert_eq!(status, 422);
    assert_eq!(
        errors
            .iter()
            .map(|e| (e.0.as_str(), e.1.as_str()))
            .collect::<Vec<_>>(),
        [("/ssh", "required")]
    );
    let (_, errors) = refused(
        &admin,
        &over_ssh(&client_id, "socket", &podman.host, Some(good.clone())),
    )
    .await;
    assert_eq!(
        (errors[0].0.as_str(), errors[0].1.as_str()),
        ("/ssh", "not_for_address")
    );
    let (status, errors) = refused(
        &admin,
        &over_ssh(
            &client_id,
            "garbled",
            &host.address,
            Some(ssh_of("not a key", "ssh-ed25519 not-base64")),
        ),
    )
    .await;
    assert_eq!(status, 422);
    let pointers: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(pointers, ["/ssh/host_key", "/ssh/private_key"]);
    let (_, errors) = refused(
        &admin,
        &over_ssh(
            &client_id,
            "locked",
            &host.address,
            Some(ssh_of(&host.locked_key, &host.keyscan)),
        ),
    )
    .await;
    assert_eq!(errors[0].0, "/ssh/private_key");
    assert!(errors[0].2.contains("passphrase"), "{}", errors[0].2);
    for bad in ["ssh://127.0.0.1/run/podman.sock", "ssh://root@127.0.0.1:0"] {
        let (_, errors) = refused(
            &admin,
            &over_ssh(&client_id, "bad", bad, Some(good.clone())),
        )
        .await;
        assert_eq!(
            (errors[0].0.as_str(), errors[0].1.as_str()),
            ("/address", "invalid"),
            "{bad}"
        );
    }

    // A host that shows another key is told nothing; a key the host does not let in, and a
    // socket that is not there, are turned away. Nothing is saved.
    let missing_socket = host.address.replace("podman.sock", "no-such.sock");
    for (name, address, ssh, says) in [
        (
            "impostor",
            host.address.as_str(),
            ssh_of(&host.private_key, &host.other_host_key),
            "showed the host key",
        ),
        (
            "stranger",
            host.address.as_str(),
            ssh_of(&host.stranger_key, &host.host_key),
            "refused gmac's key",
        ),
        (
            "no-engine",
            missing_socket.as_str(),
            good.clone(),
            "did not connect it to",
        ),
    ] {
        let (status, errors) =
            refused(&admin, &over_ssh(&client_id, name, address, Some(ssh))).await;
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

    // With gmac's key and the host's (as ssh-keyscan prints it): saved, the engine named, the
    // key kept sealed and never answered.
    let target = admin
        .client
        .create_target(&over_ssh(&client_id, "web-ssh", &host.address, Some(good)))
        .await
        .unwrap();
    assert!(target.has_credentials);
    let described = target.engine.clone().unwrap();
    assert!(described.starts_with("Podman Engine "), "{described}");
    let answered =
        serde_json::to_string(&admin.client.get_target(&target.id).await.unwrap()).unwrap();
    let key = key_body(&host.private_key);
    assert!(
        !answered.contains(&key) && !answered.contains("PRIVATE KEY"),
        "{answered}"
    );
    let row = gmac_core::entities::target::Entity::find_by_id(target.id.as_str())
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !format!("{row:?}").contains(&key),
        "the private key is stored in clear"
    );

    // New keys are tested before they are kept: the host's RSA key (though it prefers its
    // Ed25519 one) and an RSA key of gmac's are taken; a stranger's key is refused on /ssh,
    // and the kept keys stay.
    let refusal = admin
        .client
        .update_target(
            &target.id,
            &TargetPatch {
                ssh: Some(ssh_of(&host.stranger_key, &host.host_key)),
                ..TargetPatch::default()
            },
            Some(target.version),
        )
        .await
        .expect_err("a stranger's key")
        .problem()
        .cloned()
        .unwrap();
    assert_eq!(refusal.errors[0].pointer, "/ssh", "{refusal:?}");
    let changed = admin
        .client
        .update_target(
            &target.id,
            &TargetPatch {
                ssh: Some(ssh_of(&host.rsa_private_key, &host.rsa_host_key)),
                ..TargetPatch::default()
            },
            Some(target.version),
        )
        .await
        .unwrap();
    assert!(changed.last_test.unwrap().ok);
    let tested = admin.client.test_target(&target.id).await.unwrap();
    assert!(tested.last_test.unwrap().ok);

    // Moved to a socket on gmac's host: the keys are not kept.
    let moved = admin
        .client
        .update_target(
            &target.id,
            &TargetPatch {
                address: Some(podman.host.clone()),
                ..TargetPatch::default()
            },
            Some(tested.version),
        )
        .await
        .unwrap();
    assert!(!moved.has_credentials);
}

#[tokio::test]
async fn a_release_rolls_out_over_ssh_healthy_through_the_session_and_routed_by_the_proxy_beside_it()
 {
    let mut s = Box::pin(DeployWorld::start()).await;
    let host = SshEngine::start(&s.podman.host).await;
    let client_id = s
        .admin
        .client
        .get_target(&s.target)
        .await
        .unwrap()
        .client_id;
    let input = over_ssh(
        &client_id,
        "web-ssh",
        &host.address,
        Some(ssh_of(&host.private_key, &host.host_key)),
    );
    let inspected = rolls_out_with_its_secret(&mut s, input, "tok-5d1c0e7a-ssh-secret").await;
    // It publishes no port: gmac's health checks went through the SSH session to its address
    // on the engine's network.
    let published = port_bindings(&inspected);
    assert!(published.is_empty(), "{published:?}");
}
