//! Custom domains (issue 12, point 6) for real: a DNS server on loopback (dnsmasq) answers
//! what each step of the test sets; the environment's release runs on Podman behind a real
//! Caddy that answers HTTPS with certificates from its own local authority. A domain is
//! pending until it points at the target's ingress address, then verified and routed at once;
//! its certificate's issuer and expiry are read from the TLS answer, and its nearing end is an
//! event, once; removing the domain takes it off the route.

use gmac_tests::deploy_world::{DeployWorld, job_ended};
use gmac_tests::dns::Dns;
use gmac_types::{DomainStatus, EventQuery, JobStatus, NewDeploy, NewDomain, PageQuery, TlsStatus};

const SHOP: &str = "shop.example.test";

/// The hosts Caddy's route for the environment answers.
async fn routed_hosts(s: &DeployWorld, environment_id: &str) -> Vec<String> {
    let route: serde_json::Value =
        reqwest::get(format!("{}/id/gmac-env-{environment_id}", s.caddy.admin))
            .await
            .expect("caddy's admin API")
            .json()
            .await
            .expect("the route");
    route["match"][0]["host"]
        .as_array()
        .expect("the route's hosts")
        .iter()
        .map(|h| h.as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn expiring_events(s: &DeployWorld, domain_id: &str) -> usize {
    s.admin
        .client
        .list_events(&EventQuery {
            r#type: Some("domain.tls_expiring".into()),
            ..EventQuery::default()
        })
        .await
        .expect("the events")
        .items
        .iter()
        .filter(|e| e.data["domain_id"] == domain_id)
        .count()
}

#[tokio::test]
async fn a_domain_is_verified_through_a_real_resolver_routed_by_caddy_and_its_certificate_read() {
    let dns = Dns::start().await;
    let mut s = DeployWorld::start_with_domains(&dns.address).await;
    let ingress = s.caddy.https.clone().expect("caddy answers https");
    let staging = s.staging_on_target().await;
    let build = s.built("staging").await;
    let started = s
        .admin
        .client
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
        job_ended(&s.admin, &started.job.id).await,
        JobStatus::Succeeded
    );

    // Added before any record exists: pending, with the record to create.
    let added = s
        .admin
        .client
        .create_domain(
            &staging.id,
            &NewDomain {
                name: "Shop.Example.TEST.".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(added.name, SHOP);
    assert_eq!(added.status, DomainStatus::Pending);
    let record = added.record.clone().expect("the record to create");
    assert_eq!(
        (
            record.kind.as_str(),
            record.name.as_str(),
            record.value.as_str()
        ),
        ("A", SHOP, "127.0.0.1")
    );
    let challenge = added.challenge.clone();
    assert_eq!(
        (challenge.kind.as_str(), challenge.name.as_str()),
        ("TXT", "_gmac-challenge.shop.example.test")
    );
    assert!(challenge.value.len() >= 32, "an unguessable token");
    assert!(
        added
            .error
            .as_deref()
            .unwrap_or("")
            .contains(&challenge.value),
        "the check asks for the challenge record first: {:?}",
        added.error
    );
    assert!(
        !routed_hosts(&s, &staging.id)
            .await
            .contains(&SHOP.to_owned())
    );

    // Another environment may add the name while it waits for its proof: whoever proves it
    // first holds it.
    let rival = s
        .admin
        .client
        .create_domain(&s.production.id, &NewDomain { name: SHOP.into() })
        .await
        .unwrap();
    assert_eq!(rival.status, DomainStatus::Pending);
    assert_ne!(rival.challenge.value, challenge.value);

    // Pointing here without the challenge record (someone else's name on a shared proxy):
    // never verified, never routed.
    dns.set(&[(SHOP, "127.0.0.1")], &[]).await;
    let unproven = s.admin.client.verify_domain(&added.id).await.unwrap();
    assert_eq!(unproven.status, DomainStatus::Pending);
    assert!(
        !routed_hosts(&s, &staging.id)
            .await
            .contains(&SHOP.to_owned())
    );

    // Proven, but pointing elsewhere, at an internal address: still pending, and the check
    // says so without naming an address gmac may not reach.
    let txt = [(challenge.name.as_str(), challenge.value.as_str())];
    dns.set(&[(SHOP, "10.9.8.7")], &txt).await;
    let elsewhere = s.admin.client.verify_domain(&added.id).await.unwrap();
    assert_eq!(elsewhere.status, DomainStatus::Pending);
    assert_eq!(elsewhere.addresses, ["an internal address"]);
    let said = elsewhere.error.clone().unwrap_or_default();
    assert!(said.contains("resolves to an internal address"), "{said}");
    assert!(!said.contains("10.9.8.7"), "{said}");
    assert!(elsewhere.tls.is_none(), "no TLS is asked of another host");

    // Proven and pointing here: verified, and Caddy's route answers it at once.
    dns.set(&[(SHOP, "127.0.0.1")], &txt).await;
    let verified = s.admin.client.verify_domain(&added.id).await.unwrap();
    assert_eq!(
        verified.status,
        DomainStatus::Verified,
        "{:?}",
        verified.error
    );
    assert!(verified.verified_at.is_some() && verified.error.is_none());
    let hosts = routed_hosts(&s, &staging.id).await;
    assert!(hosts.contains(&SHOP.to_owned()), "{hosts:?}");
    assert!(
        hosts.contains(&staging.host),
        "its own host stays: {hosts:?}"
    );
    let (status, body) = s.through_caddy(SHOP).await;
    assert_eq!(status, 200);
    assert!(body.contains("Docs one"), "{body}");
    // The rival can no longer be verified, even with its own challenge answering.
    dns.set(
        &[(SHOP, "127.0.0.1")],
        &[
            txt[0],
            (challenge.name.as_str(), rival.challenge.value.as_str()),
        ],
    )
    .await;
    let lost = s.admin.client.verify_domain(&rival.id).await.unwrap();
    assert_eq!(lost.status, DomainStatus::Pending);
    assert!(
        lost.error
            .as_deref()
            .unwrap_or("")
            .contains("verified for another environment"),
        "{:?}",
        lost.error
    );

    // The certificate: Caddy obtains one from its local authority for the routed name; the
    // system's roots do not trust it, and it lives hours, so its end is near.
    let mut tls = verified.tls.clone().expect("a TLS check was made");
    for _ in 0..50 {
        if tls.status != TlsStatus::Missing {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        tls = s
            .admin
            .client
            .verify_domain(&added.id)
            .await
            .unwrap()
            .tls
            .expect("a TLS check was made");
    }
    assert_eq!(tls.status, TlsStatus::Untrusted, "{tls:?} at {ingress}");
    assert!(
        tls.issuer
            .as_deref()
            .unwrap_or("")
            .contains("Caddy Local Authority"),
        "{tls:?}"
    );
    let expires = tls.expires_at.expect("its expiry");
    let left = expires - chrono::Utc::now();
    assert!(
        left > chrono::Duration::zero() && left < chrono::Duration::days(14),
        "{expires}"
    );
    // Warned of once per certificate, however often it is checked.
    assert_eq!(expiring_events(&s, &added.id).await, 1);
    s.admin.client.verify_domain(&added.id).await.unwrap();
    assert_eq!(expiring_events(&s, &added.id).await, 1);

    // The daily check: a record gone is `failing`, and stays routed (a DNS hiccup drops no
    // traffic); the change is an event.
    dns.set(&[], &[]).await;
    let checked = gmac_core::services::domains::check_all(&s.app.core)
        .await
        .unwrap();
    assert_eq!(checked, 2, "both domains of the name");
    let failing = s.admin.client.get_domain(&added.id).await.unwrap();
    assert_eq!(failing.status, DomainStatus::Failing);
    assert!(
        routed_hosts(&s, &staging.id)
            .await
            .contains(&SHOP.to_owned())
    );
    let changes = s
        .admin
        .client
        .list_events(&EventQuery {
            r#type: Some("domain.status_changed".into()),
            ..EventQuery::default()
        })
        .await
        .unwrap()
        .items;
    let statuses: Vec<&str> = changes
        .iter()
        .filter_map(|e| e.data["status"].as_str())
        .collect();
    assert_eq!(statuses, ["verified", "failing"]);

    // One environment per name; what is no host name is refused beside its field.
    let taken = s
        .admin
        .client
        .create_domain(&s.production.id, &NewDomain { name: SHOP.into() })
        .await
        .unwrap_err();
    assert_eq!(taken.status(), Some(409));
    for bad in ["*.example.test", "10.0.0.1", "web.localhost", "shop"] {
        let refused = s
            .admin
            .client
            .create_domain(&staging.id, &NewDomain { name: bad.into() })
            .await
            .unwrap_err();
        let problem = refused.problem().expect("a problem");
        assert_eq!(problem.status, 422, "{bad}");
        assert_eq!(problem.errors[0].pointer, "/name", "{bad}");
    }

    // Removed: off the route at once, and out of the list.
    s.admin.client.delete_domain(&added.id).await.unwrap();
    assert!(
        !routed_hosts(&s, &staging.id)
            .await
            .contains(&SHOP.to_owned())
    );
    let (_, body) = s.through_caddy(SHOP).await;
    assert!(!body.contains("Docs one"), "{body}");
    assert!(
        s.admin
            .client
            .list_domains(&staging.id, &PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}
