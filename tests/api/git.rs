//! Git connections (issue 11, point 4): `/api/v1/git-connections`. Gitea's and GitHub's APIs
//! are a named fake ([`FakeGitHosts`]); nothing installable here runs them.

use gmac_tests::fake_git_hosts::{FakeGitHosts, GOOD_TOKEN};
use gmac_tests::spawn_app;
use gmac_types::{GitProvider, NewGitConnection, PageQuery, Scope};
use sea_orm::EntityTrait;

fn connection(provider: GitProvider, base_url: &str, token: Option<&str>) -> NewGitConnection {
    NewGitConnection {
        provider,
        base_url: base_url.to_owned(),
        token: token.map(Into::into),
        client_id: None,
        name: None,
    }
}

#[tokio::test]
async fn a_gitea_token_is_tested_against_a_fake_gitea_before_it_is_saved_and_is_never_shown_again()
{
    let app = spawn_app().await;
    let fake = FakeGitHosts::start();
    let admin = app.super_admin().await;

    // A token the host refuses saves nothing, and says why beside the token field.
    let refused = admin
        .client
        .create_git_connection(&connection(
            GitProvider::Gitea,
            &fake.gitea(),
            Some("not-the-token"),
        ))
        .await
        .unwrap_err();
    let problem = refused.problem().unwrap();
    assert_eq!(problem.status, 422);
    let error = &problem.errors[0];
    assert_eq!(
        (error.pointer.as_str(), error.code.as_str()),
        ("/token", "connection_failed")
    );
    assert!(
        error.detail.contains("refused the token"),
        "{}",
        error.detail
    );
    let listed = admin
        .client
        .list_git_connections(None, &PageQuery::default())
        .await
        .unwrap();
    assert!(listed.items.is_empty());

    // The right one is kept, with the account it signs in as.
    let created = admin
        .client
        .create_git_connection(&connection(
            GitProvider::Gitea,
            &format!("{}/", fake.gitea()),
            Some(GOOD_TOKEN),
        ))
        .await
        .unwrap();
    assert_eq!(
        created.base_url,
        fake.gitea(),
        "the trailing slash is dropped"
    );
    assert_eq!(created.account.as_deref(), Some("gmac-bot"));
    assert_eq!(created.token_hint.as_deref(), Some("cdef"));
    assert!(created.last_test.as_ref().is_some_and(|t| t.ok));
    assert_eq!(created.name, "Gitea (127.0.0.1)");
    let seen = fake.requests();
    assert_eq!(
        seen.last().unwrap(),
        &(
            "GET".to_owned(),
            "/gitea/api/v1/user".to_owned(),
            Some(format!("token {GOOD_TOKEN}"))
        )
    );

    // The token is sealed in the database and in no answer or audit entry.
    let row = gmac_core::entities::git_connection::Entity::find_by_id(&created.id)
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!row.sealed_token.unwrap().contains(GOOD_TOKEN));
    let answers = [
        serde_json::to_string(&admin.client.get_git_connection(&created.id).await.unwrap())
            .unwrap(),
        serde_json::to_string(
            &admin
                .client
                .list_git_connections(None, &PageQuery::default())
                .await
                .unwrap(),
        )
        .unwrap(),
        serde_json::to_string(
            &admin
                .client
                .list_audit_events(&gmac_types::AuditQuery {
                    action: Some("git_connection".into()),
                    ..gmac_types::AuditQuery::default()
                })
                .await
                .unwrap(),
        )
        .unwrap(),
    ];
    for answer in answers {
        assert!(answer.contains(&created.id));
        assert!(!answer.contains(GOOD_TOKEN), "{answer}");
    }

    admin
        .client
        .delete_git_connection(&created.id)
        .await
        .unwrap();
    assert_eq!(
        admin
            .client
            .get_git_connection(&created.id)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    fake.stop().await;
}

#[tokio::test]
async fn a_github_token_is_tested_against_a_fake_github_api() {
    let app = spawn_app().await;
    let fake = FakeGitHosts::start();
    let admin = app.super_admin().await;
    let refused = admin
        .client
        .create_git_connection(&connection(GitProvider::Github, &fake.github(), Some("x")))
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(422));
    let created = admin
        .client
        .create_git_connection(&connection(
            GitProvider::Github,
            &fake.github(),
            Some(GOOD_TOKEN),
        ))
        .await
        .unwrap();
    assert_eq!(created.account.as_deref(), Some("octokit-fixture-user-a"));
    assert_eq!(created.provider, GitProvider::Github);
    let seen = fake.requests();
    assert_eq!(seen.last().unwrap().2, Some(format!("Bearer {GOOD_TOKEN}")));
    fake.stop().await;
}

#[tokio::test]
async fn a_connection_is_refused_without_a_token_an_address_or_a_host_gmac_may_reach() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let cases = [
        (
            connection(GitProvider::Gitea, "https://gitea.example.com", None),
            "/token",
            "required",
        ),
        (
            connection(GitProvider::Git, "ftp://git.example.com/x", None),
            "/base_url",
            "invalid_url",
        ),
        (
            connection(GitProvider::Git, "http://169.254.169.254/git", None),
            "/base_url",
            "egress_denied",
        ),
    ];
    for (input, pointer, code) in cases {
        let problem = admin
            .client
            .create_git_connection(&input)
            .await
            .unwrap_err()
            .problem()
            .cloned()
            .unwrap();
        assert_eq!(problem.status, 422);
        let error = &problem.errors[0];
        assert_eq!(
            (error.pointer.as_str(), error.code.as_str()),
            (pointer, code)
        );
    }
    assert!(
        admin
            .client
            .list_git_connections(None, &PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn a_clients_git_remote_is_seen_by_who_sees_its_services_and_changed_by_who_manages_them() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    let fixture = app.fixture(&root);
    let acme = fixture.client("Acme").await;
    let other = fixture.client("Other").await;
    let dev = fixture
        .member(
            "dev@example.com",
            "developer",
            Scope::Client { id: acme.clone() },
        )
        .await;
    let outsider = fixture
        .member(
            "out@example.com",
            "developer",
            Scope::Client { id: other.clone() },
        )
        .await;
    let billing = fixture
        .member("billing@example.com", "billing_manager", Scope::Global)
        .await;

    // A developer of Acme connects Acme's plain git remote: no token, no API to test.
    let mut input = connection(GitProvider::Git, "http://127.0.0.1:9/git", None);
    input.client_id = Some(acme.clone());
    input.name = Some("Acme's git".into());
    let remote = dev.client.create_git_connection(&input).await.unwrap();
    assert_eq!((remote.token_hint, remote.last_test), (None, None));
    // The installation's connections are the admins' to make.
    let mut global = connection(GitProvider::Git, "http://127.0.0.1:9/shared", None);
    assert_eq!(
        dev.client
            .create_git_connection(&global)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    global.name = Some("Shared".into());
    let shared = root.client.create_git_connection(&global).await.unwrap();

    let names = |page: gmac_types::Page<gmac_types::GitConnection>| {
        page.items.into_iter().map(|c| c.name).collect::<Vec<_>>()
    };
    let all = PageQuery::default();
    assert_eq!(
        names(dev.client.list_git_connections(None, &all).await.unwrap()),
        ["Acme's git", "Shared"]
    );
    assert_eq!(
        names(
            outsider
                .client
                .list_git_connections(None, &all)
                .await
                .unwrap()
        ),
        ["Shared"]
    );
    assert!(
        names(
            billing
                .client
                .list_git_connections(None, &all)
                .await
                .unwrap()
        )
        .is_empty(),
        "billing managers do not see services"
    );
    assert_eq!(
        outsider
            .client
            .get_git_connection(&remote.id)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert_eq!(
        outsider
            .client
            .delete_git_connection(&remote.id)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert_eq!(
        dev.client
            .delete_git_connection(&shared.id)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    dev.client.delete_git_connection(&remote.id).await.unwrap();
}
