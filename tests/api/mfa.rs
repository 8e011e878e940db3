//! TOTP MFA: enrolment, the second sign-in step, replay guard, drift, recovery codes,
//! disabling, encryption at rest, and roles that require MFA.

use gmac_core::auth::totp;
use gmac_core::entities::totp_secret;
use gmac_tests::{Options, Session, TestApp, spawn_app_with};
use gmac_types::{
    DisableMfa, ErrorCode, ListQuery, LoginRequest, LoginResponse, MfaVerification, RolePolicy,
    Scope,
};
use sea_orm::EntityTrait;

async fn app() -> TestApp {
    spawn_app_with(Options {
        manual_clock: true,
        ..Options::default()
    })
    .await
}

fn code(app: &TestApp, secret: &str) -> String {
    let now = u64::try_from(app.core.now().timestamp()).unwrap();
    totp::code_for_base32(secret, now).unwrap()
}

/// Enrols `session` and returns the base32 secret and the recovery codes.
async fn enrol(app: &TestApp, session: &Session) -> (String, Vec<String>) {
    let enrollment = session.client.start_totp_enrollment().await.unwrap();
    let secret = enrollment.secret.expose().to_owned();
    assert!(
        enrollment
            .otpauth_url
            .expose()
            .starts_with("otpauth://totp/gmac:")
    );
    assert!(enrollment.qr_svg.starts_with("<svg"));
    let codes = session
        .client
        .confirm_totp_enrollment(&code(app, &secret))
        .await
        .unwrap();
    (
        secret,
        codes
            .recovery_codes
            .iter()
            .map(|c| c.expose().to_owned())
            .collect(),
    )
}

async fn password_step(app: &TestApp, session: &Session) -> String {
    let request = LoginRequest {
        email: session.email.clone(),
        password: session.password.clone().into(),
    };
    match app.new_client().login(&request).await.unwrap() {
        LoginResponse::Mfa(challenge) => {
            assert!(challenge.mfa_required);
            challenge.mfa_token.expose().to_owned()
        }
        LoginResponse::Token(_) => panic!("MFA is on: the password alone must not sign in"),
    }
}

fn with_code(mfa_token: &str, code: &str) -> MfaVerification {
    MfaVerification {
        mfa_token: mfa_token.into(),
        code: Some(code.into()),
        recovery_code: None,
    }
}

#[tokio::test]
async fn enrolling_needs_a_first_code_and_turns_on_the_second_step() {
    let app = app().await;
    let admin = app.super_admin().await;
    let enrollment = admin.client.start_totp_enrollment().await.unwrap();
    let wrong = admin
        .client
        .confirm_totp_enrollment("000000")
        .await
        .unwrap_err();
    assert_eq!(
        wrong.problem().map(|p| p.code),
        Some(ErrorCode::InvalidMfaCode)
    );
    assert!(!admin.client.me().await.unwrap().mfa_enabled);

    let codes = admin
        .client
        .confirm_totp_enrollment(&code(&app, enrollment.secret.expose()))
        .await
        .unwrap();
    assert_eq!(codes.recovery_codes.len(), 10);
    assert!(admin.client.me().await.unwrap().mfa_enabled);
    // Enrolling again while on is refused (turn it off first).
    assert_eq!(
        admin
            .client
            .start_totp_enrollment()
            .await
            .unwrap_err()
            .status(),
        Some(409)
    );

    let mfa_token = password_step(&app, &admin).await;
    app.advance(chrono::Duration::seconds(30));
    let secret = enrollment.secret.expose();
    let tokens = app
        .new_client()
        .complete_mfa(&with_code(&mfa_token, &code(&app, secret)))
        .await
        .unwrap();
    let me = app
        .new_client()
        .with_token(tokens.access_token.expose())
        .me()
        .await
        .unwrap();
    assert_eq!(me.email, admin.email);
}

#[tokio::test]
async fn a_code_cannot_be_used_twice_and_one_step_of_drift_is_accepted() {
    let app = app().await;
    let admin = app.super_admin().await;
    let (secret, _) = enrol(&app, &admin).await;
    // The confirmation consumed the current step: the same code cannot sign in.
    let mfa_token = password_step(&app, &admin).await;
    let replay = app
        .new_client()
        .complete_mfa(&with_code(&mfa_token, &code(&app, &secret)))
        .await
        .unwrap_err();
    assert_eq!(
        replay.problem().map(|p| p.code),
        Some(ErrorCode::InvalidMfaCode)
    );

    // A code from the previous step is still good 30 s later, once.
    app.advance(chrono::Duration::seconds(30));
    let fresh = code(&app, &secret);
    app.advance(chrono::Duration::seconds(30));
    app.new_client()
        .complete_mfa(&with_code(&mfa_token, &fresh))
        .await
        .unwrap();
    let again = app
        .new_client()
        .complete_mfa(&with_code(&password_step(&app, &admin).await, &fresh))
        .await
        .unwrap_err();
    assert_eq!(again.status(), Some(401));
    // Two steps old is too old.
    let old = code(&app, &secret);
    app.advance(chrono::Duration::seconds(61));
    let stale = app
        .new_client()
        .complete_mfa(&with_code(&password_step(&app, &admin).await, &old))
        .await
        .unwrap_err();
    assert_eq!(stale.status(), Some(401));
}

#[tokio::test]
async fn recovery_codes_work_once_each() {
    let app = app().await;
    let admin = app.super_admin().await;
    let (_, recovery) = enrol(&app, &admin).await;
    let verification = |token: String, code: &str| MfaVerification {
        mfa_token: token.into(),
        code: None,
        recovery_code: Some(code.to_lowercase().into()),
    };
    app.new_client()
        .complete_mfa(&verification(
            password_step(&app, &admin).await,
            &recovery[0],
        ))
        .await
        .unwrap();
    let reused = app
        .new_client()
        .complete_mfa(&verification(
            password_step(&app, &admin).await,
            &recovery[0],
        ))
        .await;
    assert_eq!(reused.unwrap_err().status(), Some(401));
    app.new_client()
        .complete_mfa(&verification(
            password_step(&app, &admin).await,
            &recovery[1],
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_second_factor_token_expires_and_is_not_an_access_token() {
    let app = app().await;
    let admin = app.super_admin().await;
    let (secret, _) = enrol(&app, &admin).await;
    let mfa_token = password_step(&app, &admin).await;
    assert_eq!(
        app.new_client()
            .with_token(&mfa_token)
            .me()
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    app.advance(chrono::Duration::minutes(6));
    let err = app
        .new_client()
        .complete_mfa(&with_code(&mfa_token, &code(&app, &secret)))
        .await
        .unwrap_err();
    assert_eq!(err.problem().map(|p| p.code), Some(ErrorCode::InvalidToken));
}

#[tokio::test]
async fn turning_mfa_off_needs_the_password_and_a_current_code() {
    let app = app().await;
    let admin = app.super_admin().await;
    let (secret, _) = enrol(&app, &admin).await;
    app.advance(chrono::Duration::seconds(30));
    let wrong_password = DisableMfa {
        password: "not my password".into(),
        code: code(&app, &secret).into(),
    };
    assert_eq!(
        admin
            .client
            .disable_totp(&wrong_password)
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    let wrong_code = DisableMfa {
        password: admin.password.clone().into(),
        code: "123456".into(),
    };
    assert_eq!(
        admin
            .client
            .disable_totp(&wrong_code)
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    app.advance(chrono::Duration::seconds(30));
    let right = DisableMfa {
        password: admin.password.clone().into(),
        code: code(&app, &secret).into(),
    };
    admin.client.disable_totp(&right).await.unwrap();
    assert!(!admin.client.me().await.unwrap().mfa_enabled);
    app.sign_in(&admin.email, &admin.password).await;
}

#[tokio::test]
async fn the_totp_secret_is_encrypted_at_rest_and_failures_are_audited() {
    use gmac_core::entities::audit_log;
    let app = app().await;
    let admin = app.super_admin().await;
    let (secret, _) = enrol(&app, &admin).await;
    let row = totp_secret::Entity::find()
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!row.secret_enc.contains(&secret) && row.secret_enc.starts_with("gmac1."));
    let mfa_token = password_step(&app, &admin).await;
    let _ = app
        .new_client()
        .complete_mfa(&with_code(&mfa_token, "999999"))
        .await;
    let failures: Vec<String> = audit_log::Entity::find()
        .all(&app.core.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.outcome == "failure")
        .map(|r| r.action)
        .collect();
    assert_eq!(failures, ["auth.mfa"]);
}

#[tokio::test]
async fn a_role_that_requires_mfa_locks_its_holders_out_until_they_enrol() {
    let app = app().await;
    let admin = app.super_admin().await;
    admin
        .client
        .set_role_policy("viewer", &RolePolicy { mfa_required: true })
        .await
        .unwrap();
    let viewer = app
        .fixture(&admin)
        .member("v@example.com", "viewer", Scope::Global)
        .await;
    let me = viewer.client.me().await.unwrap();
    assert!(me.mfa_enrollment_required);
    assert!(me.permissions.is_empty());
    let err = viewer
        .client
        .list_clients(&ListQuery::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.problem().map(|p| p.code),
        Some(ErrorCode::MfaEnrollmentRequired)
    );

    enrol(&app, &viewer).await;
    assert!(!viewer.client.me().await.unwrap().mfa_enrollment_required);
    viewer
        .client
        .list_clients(&ListQuery::default())
        .await
        .unwrap();
    let roles = admin.client.list_roles().await.unwrap();
    assert!(
        roles
            .iter()
            .find(|r| r.id == "viewer")
            .unwrap()
            .mfa_required
    );
}
