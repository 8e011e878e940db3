//! Abuse resistance: per-account soft locks with bounded backoff, per-IP limits on the
//! credential endpoints, all audited, none revealing whether an account exists.

use gmac_server::config::AuthRateLimit;
use gmac_tests::{Options, TestApp, spawn_app_with};

async fn attempt(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.http()
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn repeated_failures_lock_an_account_briefly_even_against_the_right_password() {
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    for _ in 0..5 {
        assert_eq!(
            attempt(&app, &admin.email, "wrong password!")
                .await
                .status(),
            401
        );
    }
    let locked = attempt(&app, &admin.email, &admin.password).await;
    assert_eq!(locked.status(), 429);
    assert!(
        (25..=30).contains(&retry_after(&locked)),
        "{}",
        retry_after(&locked)
    );
    let body: serde_json::Value = locked.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");

    app.advance(chrono::Duration::seconds(31));
    assert_eq!(
        attempt(&app, &admin.email, &admin.password).await.status(),
        200
    );
    // The success cleared the count: four failures do not lock.
    for _ in 0..4 {
        attempt(&app, &admin.email, "wrong password!").await;
    }
    assert_eq!(
        attempt(&app, &admin.email, &admin.password).await.status(),
        200
    );
}

#[tokio::test]
async fn an_unknown_account_locks_exactly_like_a_real_one() {
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    app.super_admin().await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            attempt(&app, "nobody@example.com", "guess guess guess")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
}

#[tokio::test]
async fn locks_double_with_each_lockout_but_never_exceed_fifteen_minutes() {
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let mut locks = Vec::new();
    for _ in 0..8 {
        for _ in 0..5 {
            attempt(&app, &admin.email, "wrong password!").await;
        }
        let locked = attempt(&app, &admin.email, "wrong password!").await;
        assert_eq!(locked.status(), 429);
        let seconds = retry_after(&locked);
        locks.push(seconds);
        app.advance(chrono::Duration::seconds(
            i64::try_from(seconds).unwrap() + 1,
        ));
    }
    assert_eq!(&locks[..4], [30, 60, 120, 240]);
    assert!(locks.iter().all(|s| *s <= 900), "{locks:?}");
    assert_eq!(*locks.last().unwrap(), 900);
}

#[tokio::test]
async fn one_address_cannot_try_many_accounts_quickly() {
    let app = spawn_app_with(Options {
        configure: Some(Box::new(|c| {
            c.auth_rate_limit = AuthRateLimit {
                per_minute: 1,
                burst: 3,
            }
        })),
        ..Options::default()
    })
    .await;
    let mut statuses = Vec::new();
    for n in 0..4 {
        statuses.push(
            attempt(&app, &format!("user{n}@example.com"), "guess guess guess")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
    // Other API calls from that address still work.
    assert!(app.client.setup_status().await.is_ok());
}

#[tokio::test]
async fn failed_and_refused_sign_ins_are_audited() {
    use gmac_core::entities::audit_log;
    use sea_orm::EntityTrait;
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    for _ in 0..6 {
        attempt(&app, &admin.email, "wrong password!").await;
    }
    let reasons: Vec<String> = audit_log::Entity::find()
        .all(&app.core.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.outcome == "failure")
        .map(|r| {
            serde_json::from_str::<serde_json::Value>(&r.details).unwrap()["reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "wrong_password",
            "wrong_password",
            "wrong_password",
            "wrong_password",
            "wrong_password",
            "locked"
        ]
    );
}

#[tokio::test]
async fn repeated_wrong_codes_lock_the_second_factor() {
    use gmac_types::{LoginRequest, LoginResponse, MfaVerification};
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let enrollment = admin.client.start_totp_enrollment().await.unwrap();
    let now = u64::try_from(app.core.now().timestamp()).unwrap();
    let code = gmac_core::auth::totp::code_for_base32(enrollment.secret.expose(), now).unwrap();
    admin.client.confirm_totp_enrollment(&code).await.unwrap();
    let request = LoginRequest {
        email: admin.email.clone(),
        password: admin.password.clone().into(),
    };
    let LoginResponse::Mfa(challenge) = app.new_client().login(&request).await.unwrap() else {
        panic!("MFA is on");
    };
    let guess = |code: &str| MfaVerification {
        mfa_token: challenge.mfa_token.clone(),
        code: Some(code.into()),
        recovery_code: None,
    };
    for _ in 0..5 {
        assert_eq!(
            app.new_client()
                .complete_mfa(&guess("000000"))
                .await
                .unwrap_err()
                .status(),
            Some(401)
        );
    }
    // Locked for 30 s: even the right code is refused until then.
    app.advance(chrono::Duration::seconds(29));
    let now = u64::try_from(app.core.now().timestamp()).unwrap();
    let right = gmac_core::auth::totp::code_for_base32(enrollment.secret.expose(), now).unwrap();
    let locked = app.new_client().complete_mfa(&guess(&right)).await;
    assert_eq!(locked.unwrap_err().status(), Some(429));
    app.advance(chrono::Duration::seconds(2));
    // A code of now's step: 31 s after the enrolment, never the step its code was used in
    // (the code of 2 s ago is that one when the enrolment fell at the start of a step).
    let now = u64::try_from(app.core.now().timestamp()).unwrap();
    let right = gmac_core::auth::totp::code_for_base32(enrollment.secret.expose(), now).unwrap();
    app.new_client().complete_mfa(&guess(&right)).await.unwrap();
}

#[tokio::test]
async fn an_attacker_who_locks_an_account_does_not_lock_out_its_owners_browser() {
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    // The owner's browser signed in before: it holds a device cookie for the account.
    let owner = app.sign_in(&admin.email, &admin.password).await;
    // Fourteen guesses over 108 seconds, from elsewhere, keep the account locked for unknown
    // devices.
    for i in 0..14 {
        let guess = attempt(&app, &admin.email, &format!("guess number {i}")).await;
        assert!(matches!(guess.status().as_u16(), 401 | 429));
        app.advance(chrono::Duration::seconds(8));
    }
    let stranger = attempt(&app, &admin.email, &admin.password).await;
    assert_eq!(stranger.status(), 429, "an unknown device stays locked");
    // The owner's browser still signs in, again and again.
    for _ in 0..3 {
        let signed_in = owner
            .client
            .login(&gmac_types::LoginRequest {
                email: admin.email.clone(),
                password: admin.password.clone().into(),
            })
            .await;
        assert!(signed_in.is_ok(), "{signed_in:?}");
    }
    // A device cookie is the owner's device only: guessing with it locks that device alone.
    for i in 0..5 {
        let _ = owner
            .client
            .login(&gmac_types::LoginRequest {
                email: admin.email.clone(),
                password: format!("wrong from the device {i}").into(),
            })
            .await;
    }
    let device_locked = owner
        .client
        .login(&gmac_types::LoginRequest {
            email: admin.email.clone(),
            password: admin.password.clone().into(),
        })
        .await
        .unwrap_err();
    assert_eq!(device_locked.status(), Some(429));
    // Another browser of the owner's, which signed in earlier too, is not affected.
    let elsewhere = admin
        .client
        .login(&gmac_types::LoginRequest {
            email: admin.email.clone(),
            password: admin.password.clone().into(),
        })
        .await;
    assert!(elsewhere.is_ok(), "{elsewhere:?}");
}

#[tokio::test]
async fn a_new_password_retires_the_device_cookies_issued_under_the_old_one() {
    let app = spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let browser = app.sign_in(&admin.email, &admin.password).await;
    let new_password = "a brand new long password";
    admin
        .client
        .change_password(&gmac_types::PasswordChange {
            current_password: admin.password.clone().into(),
            new_password: new_password.into(),
            end_other_sessions: false,
        })
        .await
        .unwrap();
    // Someone locks the account for unknown devices.
    for i in 0..5 {
        attempt(&app, &admin.email, &format!("guess number {i}")).await;
    }
    // The browser's cookie was issued under the old password: it is an unknown device now.
    let refused = browser
        .client
        .login(&gmac_types::LoginRequest {
            email: admin.email.clone(),
            password: new_password.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(429));
}
