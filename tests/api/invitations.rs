//! Invitations: sent through a real SMTP server, previewed, accepted once, expiring,
//! revocable, and bounded by what the inviter could grant.

use gmac_tests::loopback::free_port;
use gmac_tests::smtp::SmtpServer;
use gmac_tests::{Options, spawn_app, spawn_app_with};
use gmac_types::PageQuery;
use gmac_types::{AcceptInvitation, InvitationStatus, JobStatus, NewClient, NewInvitation, Scope};

fn link_token(mail: &str) -> String {
    // The body is quoted-printable or plain; the link's token is URL-safe base64 after `#`.
    let flat = mail.replace("=\r\n", "").replace("=\n", "");
    let start = flat
        .find("/invite#")
        .expect("the mail carries the invitation link")
        + "/invite#".len();
    flat[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// gmac sending mail through `smtp`.
async fn app_mailing_to(smtp: &SmtpServer) -> gmac_tests::TestApp {
    spawn_app_with(Options {
        smtp_url: Some(smtp.url()),
        ..Options::default()
    })
    .await
}

/// `admin` invites `email` as a Viewer of everything.
async fn invite_viewer(admin: &gmac_tests::Session, email: &str) -> gmac_types::CreatedInvitation {
    admin
        .client
        .create_invitation(&NewInvitation {
            email: email.into(),
            role: "viewer".into(),
            scope: None,
        })
        .await
        .unwrap()
}

fn accept(token: &str) -> AcceptInvitation {
    AcceptInvitation {
        token: token.into(),
        display_name: "Grace Hopper".into(),
        password: "a very long password".into(),
    }
}

#[tokio::test]
async fn an_invitation_mail_reaches_a_real_smtp_server_and_its_link_creates_the_account() {
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let admin = app.super_admin().await;
    let acme = admin
        .client
        .create_client(&NewClient {
            name: "Acme".into(),
            description: None,
        })
        .await
        .unwrap();
    let created = admin
        .client
        .create_invitation(&NewInvitation {
            email: "Grace@Example.com".into(),
            role: "developer".into(),
            scope: Some(Scope::Client {
                id: acme.id.clone(),
            }),
        })
        .await
        .unwrap();
    assert!(created.email_queued);
    assert!(
        created.link.is_none(),
        "a mailed link is shown to nobody: accepting it proves the address"
    );
    let job = created
        .email_job
        .expect("a mail server is configured: a job emails the link");
    assert_eq!(job.kind, "invitation.mail");
    assert_eq!(job.client_id.as_deref(), Some(acme.id.as_str()));
    assert_eq!(created.invitation.email, "grace@example.com");
    assert!(
        smtp.messages().is_empty(),
        "the request does not wait for the mail server"
    );

    app.run_jobs().await;
    let job = admin.client.get_job(&job.id).await.unwrap();
    assert_eq!(job.status, JobStatus::Succeeded, "{job:?}");
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.contains("To: grace@example.com"), "{mail}");
    assert!(
        mail.contains("Subject: Ada Lovelace invites you to gmac"),
        "{mail}"
    );
    assert!(
        mail.contains(&app.address),
        "the link points at this gmac: {mail}"
    );
    let token = link_token(mail);
    let log = admin.client.job_log(&job.id, 0).await.unwrap().items;
    assert!(!log.is_empty());
    assert!(
        log.iter().all(|l| !l.line.contains(&token)),
        "the job's log never shows the link: {log:?}"
    );

    let preview = app.new_client().preview_invitation(&token).await.unwrap();
    assert_eq!(
        (preview.email.as_str(), preview.role_name.as_str()),
        ("grace@example.com", "Developer")
    );
    assert_eq!(preview.scope_name.as_deref(), Some("Acme"));
    assert_eq!(preview.invited_by, "Ada Lovelace");

    let user = app
        .new_client()
        .accept_invitation(&accept(&token))
        .await
        .unwrap();
    assert_eq!(user.email, "grace@example.com");
    let grace = app
        .sign_in("grace@example.com", "a very long password")
        .await;
    let me = grace.client.me().await.unwrap();
    assert_eq!(me.roles[0].role, "developer");
    assert_eq!(me.roles[0].scope, Scope::Client { id: acme.id });

    // Single use.
    assert_eq!(
        app.new_client()
            .accept_invitation(&accept(&token))
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    assert_eq!(
        app.new_client()
            .preview_invitation(&token)
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    let listed = admin
        .client
        .list_invitations(&PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(listed[0].status, InvitationStatus::Accepted);
}

#[tokio::test]
async fn without_a_mail_server_the_inviter_gets_the_link() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let created = invite_viewer(&admin, "grace@example.com").await;
    assert!(!created.email_queued && created.email_job.is_none());
    let link = created
        .link
        .expect("no mail server: the inviter passes the link on");
    assert!(
        link.expose()
            .starts_with(&format!("{}/invite#", app.address))
    );
    let token = link.expose().rsplit('#').next().unwrap().to_owned();
    app.new_client()
        .accept_invitation(&accept(&token))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_invitation_mail_the_mail_server_missed_is_retried_until_it_is_up() {
    let port = free_port();
    let app = spawn_app_with(Options {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let created = invite_viewer(&admin, "grace@example.com").await;
    let job = created.email_job.expect("a job emails the link");

    // Nothing listens yet: the first attempt fails and the job waits for another.
    app.run_jobs().await;
    let waiting = admin.client.get_job(&job.id).await.unwrap();
    assert_eq!(waiting.status, JobStatus::Queued, "{waiting:?}");
    assert_eq!(waiting.attempts, 1);
    assert!(
        waiting
            .error
            .as_deref()
            .is_some_and(|e| e.contains("mail server")),
        "{waiting:?}"
    );

    let smtp = SmtpServer::start_on(port).await;
    let mut done = waiting;
    for _ in 0..100 {
        app.run_jobs().await;
        done = admin.client.get_job(&job.id).await.unwrap();
        if done.status != JobStatus::Queued {
            break;
        }
        // The retry's backoff (shortened for tests) has not passed yet.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(done.status, JobStatus::Succeeded, "{done:?}");
    assert_eq!(done.attempts, 2);
    let mails = smtp.wait_for(1).await;
    let token = link_token(&mails[0]);
    app.new_client()
        .accept_invitation(&accept(&token))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_invitation_withdrawn_before_its_mail_went_out_is_not_mailed() {
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let admin = app.super_admin().await;
    let created = invite_viewer(&admin, "grace@example.com").await;
    admin
        .client
        .revoke_invitation(&created.invitation.id)
        .await
        .unwrap();
    app.run_jobs().await;
    let job = admin
        .client
        .get_job(&created.email_job.unwrap().id)
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Succeeded, "{job:?}");
    assert_eq!(
        job.result.as_ref().and_then(|r| r.get("emailed")),
        Some(&serde_json::json!(false))
    );
    assert!(smtp.messages().is_empty(), "a withdrawn link is not mailed");
}

#[tokio::test]
async fn invitation_links_expire_and_can_be_withdrawn() {
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let invite = |email: &str| NewInvitation {
        email: email.into(),
        role: "viewer".into(),
        scope: None,
    };
    let late = admin
        .client
        .create_invitation(&invite("late@example.com"))
        .await
        .unwrap();
    let late_token = late
        .link
        .unwrap()
        .expose()
        .rsplit('#')
        .next()
        .unwrap()
        .to_owned();
    let withdrawn = admin
        .client
        .create_invitation(&invite("gone@example.com"))
        .await
        .unwrap();
    let withdrawn_token = withdrawn
        .link
        .unwrap()
        .expose()
        .rsplit('#')
        .next()
        .unwrap()
        .to_owned();

    admin
        .client
        .revoke_invitation(&withdrawn.invitation.id)
        .await
        .unwrap();
    assert_eq!(
        app.new_client()
            .accept_invitation(&accept(&withdrawn_token))
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    app.advance(chrono::Duration::days(8));
    assert_eq!(
        app.new_client()
            .accept_invitation(&accept(&late_token))
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    // Eight days on, the admin signs in afresh (access tokens live 15 minutes).
    let admin = app.sign_in(&admin.email, &admin.password).await;
    let statuses: Vec<InvitationStatus> = admin
        .client
        .list_invitations(&PageQuery::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|i| i.status)
        .collect();
    assert!(
        statuses.contains(&InvitationStatus::Expired)
            && statuses.contains(&InvitationStatus::Revoked),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn nobody_invites_to_more_than_they_could_grant() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    let acme = root
        .client
        .create_client(&NewClient {
            name: "Acme".into(),
            description: None,
        })
        .await
        .unwrap();
    let acme_admin = app
        .fixture(&root)
        .member(
            "a@acme.example",
            "admin",
            Scope::Client {
                id: acme.id.clone(),
            },
        )
        .await;
    let global = NewInvitation {
        email: "x@example.com".into(),
        role: "viewer".into(),
        scope: None,
    };
    assert_eq!(
        acme_admin
            .client
            .create_invitation(&global)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    let super_admin = NewInvitation {
        email: "x@example.com".into(),
        role: "super_admin".into(),
        scope: Some(Scope::Client {
            id: acme.id.clone(),
        }),
    };
    assert_eq!(
        acme_admin
            .client
            .create_invitation(&super_admin)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    let fine = NewInvitation {
        email: "x@example.com".into(),
        role: "developer".into(),
        scope: Some(Scope::Client { id: acme.id }),
    };
    acme_admin.client.create_invitation(&fine).await.unwrap();
    // Someone who already has an account is granted a role, not invited.
    let existing = NewInvitation {
        email: "a@acme.example".into(),
        role: "viewer".into(),
        scope: None,
    };
    assert_eq!(
        root.client
            .create_invitation(&existing)
            .await
            .unwrap_err()
            .status(),
        Some(409)
    );
}

/// Invites `email` as a global Admin on behalf of `inviter`, returning the link's token.
async fn admin_invitation(inviter: &gmac_tests::Session, email: &str) -> String {
    let created = inviter
        .client
        .create_invitation(&NewInvitation {
            email: email.into(),
            role: "admin".into(),
            scope: None,
        })
        .await
        .unwrap();
    created
        .link
        .unwrap()
        .expose()
        .rsplit('#')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_invitation_grants_no_more_than_its_inviter_still_holds() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    let inviter = app
        .fixture(&root)
        .member("inviter@example.com", "admin", Scope::Global)
        .await;
    let inviter_id = inviter.client.me().await.unwrap().id;
    let token = admin_invitation(&inviter, "grace@example.com").await;

    // The inviter loses the Admin role before the link is used.
    let bindings = root
        .client
        .list_role_bindings(
            &gmac_types::RoleBindingQuery {
                subject_id: Some(inviter_id),
                ..Default::default()
            },
            &PageQuery::default(),
        )
        .await
        .unwrap()
        .items;
    for binding in bindings {
        root.client.delete_role_binding(&binding.id).await.unwrap();
    }
    let preview = app
        .new_client()
        .preview_invitation(&token)
        .await
        .unwrap_err();
    assert_eq!(preview.status(), Some(409), "{preview:?}");
    let refused = app
        .new_client()
        .accept_invitation(&accept(&token))
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(409), "{refused:?}");
    // No account was made, and the invitation is withdrawn for good.
    let signed_in = app
        .new_client()
        .login(&gmac_types::LoginRequest {
            email: "grace@example.com".into(),
            password: "a very long password".into(),
        })
        .await;
    assert_eq!(signed_in.unwrap_err().status(), Some(401));
    let listed = root
        .client
        .list_invitations(&PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(listed[0].status, InvitationStatus::Revoked);
}

#[tokio::test]
async fn disabling_an_inviter_withdraws_their_pending_invitations() {
    let app = spawn_app().await;
    let root = app.super_admin().await;
    let inviter = app
        .fixture(&root)
        .member("inviter@example.com", "admin", Scope::Global)
        .await;
    let inviter_id = inviter.client.me().await.unwrap().id;
    let token = admin_invitation(&inviter, "grace@example.com").await;
    root.client
        .update_user(
            &inviter_id,
            &gmac_types::UserPatch {
                status: Some(gmac_types::UserStatus::Disabled),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let listed = root
        .client
        .list_invitations(&PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(listed[0].status, InvitationStatus::Revoked);
    let refused = app
        .new_client()
        .accept_invitation(&accept(&token))
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(401), "{refused:?}");
}

#[tokio::test]
async fn a_project_user_manager_is_told_the_mail_is_queued_without_a_job_they_may_not_see() {
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let root = app.super_admin().await;
    let fixture = app.fixture(&root);
    let acme = fixture.client("Acme").await;
    let shop = fixture.project(&acme, "Shop").await;
    let manager = fixture
        .member(
            "pm@example.com",
            "admin",
            Scope::Project { id: shop.clone() },
        )
        .await;
    let created = manager
        .client
        .create_invitation(&NewInvitation {
            email: "grace@example.com".into(),
            role: "viewer".into(),
            scope: Some(Scope::Project { id: shop }),
        })
        .await
        .unwrap();
    assert!(created.email_queued);
    assert!(
        created.email_job.is_none(),
        "jobs are seen per client: a project's manager is not handed one to follow"
    );
    assert!(created.link.is_none());
    app.run_jobs().await;
    assert_eq!(
        smtp.wait_for(1).await.len(),
        1,
        "the mail goes out all the same"
    );
}

/// The interface warns on forms that would send mail when gmac has no mail server (issue
/// 10, point 8): `/me` tells it whether there is one.
#[tokio::test]
async fn me_says_whether_this_gmac_sends_email() {
    let without = spawn_app().await;
    let admin = without.super_admin().await;
    assert!(!admin.client.me().await.unwrap().sends_email);

    let smtp = SmtpServer::start().await;
    let with = app_mailing_to(&smtp).await;
    let admin = with.super_admin().await;
    assert!(admin.client.me().await.unwrap().sends_email);
}

fn token_of(link: &gmac_types::SecretText) -> String {
    link.expose().rsplit('#').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_new_link_replaces_the_old_one_and_brings_an_expired_invitation_back() {
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let created = invite_viewer(&admin, "grace@example.com").await;
    let first = token_of(created.link.as_ref().unwrap());

    // The link is lost: a new one is made, and the first stops working.
    let renewed = admin
        .client
        .renew_invitation(&created.invitation.id)
        .await
        .unwrap();
    assert_eq!(renewed.invitation.id, created.invitation.id);
    assert_eq!(renewed.invitation.status, InvitationStatus::Pending);
    let second = token_of(renewed.link.as_ref().expect("no mail server: the link"));
    assert_ne!(first, second);
    assert_eq!(
        app.new_client()
            .preview_invitation(&first)
            .await
            .unwrap_err()
            .status(),
        Some(401),
        "the replaced link is dead"
    );
    app.new_client().preview_invitation(&second).await.unwrap();

    // A week later it has expired; a new link brings it back for another week.
    app.advance(chrono::Duration::days(8));
    let admin = app.sign_in(&admin.email, &admin.password).await;
    let listed = admin
        .client
        .list_invitations(&PageQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(listed[0].status, InvitationStatus::Expired);
    let revived = admin
        .client
        .renew_invitation(&created.invitation.id)
        .await
        .unwrap();
    assert_eq!(revived.invitation.status, InvitationStatus::Pending);
    assert!(revived.invitation.expires_at > app.core.now() + chrono::Duration::days(6));
    let third = token_of(revived.link.as_ref().unwrap());
    app.new_client()
        .accept_invitation(&accept(&third))
        .await
        .unwrap();

    // Accepted: there is nothing to renew.
    let refused = admin
        .client
        .renew_invitation(&created.invitation.id)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(409), "{refused:?}");
    let audit = admin
        .client
        .list_audit_events(&gmac_types::AuditQuery {
            action: Some("invitation.renew".into()),
            ..gmac_types::AuditQuery::default()
        })
        .await
        .unwrap()
        .items;
    assert_eq!(audit.len(), 2, "each renewal is audited: {audit:?}");
    assert!(
        audit
            .iter()
            .all(|e| e.target_id.as_deref() == Some(created.invitation.id.as_str()))
    );
}

#[tokio::test]
async fn a_withdrawn_invitation_is_not_renewed_and_a_stranger_cannot_renew() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let created = invite_viewer(&admin, "grace@example.com").await;
    let viewer_invite = invite_viewer(&admin, "vera@example.com").await;
    app.new_client()
        .accept_invitation(&AcceptInvitation {
            token: token_of(viewer_invite.link.as_ref().unwrap()).into(),
            display_name: "Vera Viewer".into(),
            password: "a very long password".into(),
        })
        .await
        .unwrap();
    let vera = app
        .sign_in("vera@example.com", "a very long password")
        .await;
    let refused = vera
        .client
        .renew_invitation(&created.invitation.id)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(403), "{refused:?}");
    assert_eq!(
        admin
            .client
            .renew_invitation("not-an-id")
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );

    admin
        .client
        .revoke_invitation(&created.invitation.id)
        .await
        .unwrap();
    let refused = admin
        .client
        .renew_invitation(&created.invitation.id)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(409), "{refused:?}");
    assert!(refused.message().contains("withdrawn"), "{refused:?}");
}

#[tokio::test]
async fn a_renewed_invitation_mails_only_its_new_link() {
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let admin = app.super_admin().await;
    let created = invite_viewer(&admin, "grace@example.com").await;
    // Renewed before the first mail went out: only the new link is mailed.
    let renewed = admin
        .client
        .renew_invitation(&created.invitation.id)
        .await
        .unwrap();
    assert!(renewed.email_queued && renewed.link.is_none());
    app.run_jobs().await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1, "the replaced link is not mailed: {mails:?}");
    let token = link_token(&mails[0]);
    app.new_client()
        .accept_invitation(&accept(&token))
        .await
        .unwrap();
    let first_job = admin
        .client
        .get_job(&created.email_job.unwrap().id)
        .await
        .unwrap();
    assert_eq!(
        first_job.result.as_ref().and_then(|r| r.get("why")),
        Some(&serde_json::json!("replaced")),
        "{first_job:?}"
    );
}
