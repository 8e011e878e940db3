//! The profile, the avatar (size and type checked by content), and password changes.

use gmac_tests::spawn_app;
use gmac_types::{NotificationPrefs, PasswordChange, ProfilePatch, Theme};

fn png(size: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(size, 7);
    bytes
}

#[tokio::test]
async fn the_profile_keeps_time_zone_region_theme_and_email_preferences() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let patch = ProfilePatch {
        display_name: Some("Ada King".into()),
        timezone: Some("Europe/London".into()),
        default_region: Some("eu-west-2".into()),
        theme: Some(Theme::Dark),
        notifications: Some(NotificationPrefs {
            alerts: true,
            budgets: false,
            reports: false,
            security: true,
            deploys: false,
        }),
    };
    let profile = admin.client.update_profile(&patch).await.unwrap();
    assert_eq!(profile.timezone.as_deref(), Some("Europe/London"));
    assert_eq!(profile.default_region.as_deref(), Some("eu-west-2"));
    assert_eq!(profile.theme, Theme::Dark);
    assert!(!profile.notifications.budgets);
    assert!(!profile.notifications.deploys);
    assert_eq!(admin.client.get_profile().await.unwrap(), profile);
    assert_eq!(admin.client.me().await.unwrap().display_name, "Ada King");

    let bad = ProfilePatch {
        timezone: Some("Mars/Olympus Mons".into()),
        default_region: Some("moon-1".into()),
        ..ProfilePatch::default()
    };
    let problem = admin.client.update_profile(&bad).await.unwrap_err();
    let problem = problem.problem().unwrap();
    assert_eq!(problem.field_errors("timezone").count(), 1);
    assert_eq!(problem.field_errors("default_region").count(), 1);
    let cleared = admin
        .client
        .update_profile(&ProfilePatch {
            timezone: Some(String::new()),
            ..ProfilePatch::default()
        })
        .await
        .unwrap();
    assert!(cleared.timezone.is_none());
}

#[tokio::test]
async fn an_avatar_is_checked_by_size_and_by_its_bytes() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let image = png(2048);
    let profile = admin
        .client
        .upload_avatar(image.clone(), "image/png")
        .await
        .unwrap();
    let url = profile.avatar_url.unwrap();
    assert!(url.starts_with(&format!("/api/v1/users/{}/avatar", profile.id)));
    let (bytes, media_type) = admin.client.get_avatar(&profile.id).await.unwrap();
    assert_eq!((bytes, media_type.as_str()), (image, "image/png"));

    let svg = admin
        .client
        .upload_avatar(b"<svg onload=alert(1)/>".to_vec(), "image/svg+xml")
        .await
        .unwrap_err();
    assert_eq!(svg.status(), Some(415));
    let liar = admin
        .client
        .upload_avatar(b"<html>not an image</html>".to_vec(), "image/png")
        .await
        .unwrap_err();
    assert_eq!(liar.status(), Some(422));
    let huge = admin
        .client
        .upload_avatar(png(600 * 1024), "image/png")
        .await
        .unwrap_err();
    assert_eq!(huge.status(), Some(413));

    admin.client.delete_avatar().await.unwrap();
    assert!(
        admin
            .client
            .get_profile()
            .await
            .unwrap()
            .avatar_url
            .is_none()
    );
    assert_eq!(
        admin
            .client
            .get_avatar(&profile.id)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert_eq!(
        app.new_client()
            .get_avatar(&profile.id)
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
}

#[tokio::test]
async fn changing_the_password_checks_the_old_one_and_can_sign_out_the_other_sessions() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let phone = app.sign_in(&admin.email, &admin.password).await;
    let wrong = PasswordChange {
        current_password: "not it at all".into(),
        new_password: "a brand new password".into(),
        end_other_sessions: true,
    };
    let err = admin.client.change_password(&wrong).await.unwrap_err();
    assert_eq!(
        err.problem()
            .unwrap()
            .field_errors("current_password")
            .count(),
        1
    );
    let weak = PasswordChange {
        current_password: admin.password.clone().into(),
        new_password: "short".into(),
        end_other_sessions: true,
    };
    assert_eq!(
        admin
            .client
            .change_password(&weak)
            .await
            .unwrap_err()
            .problem()
            .unwrap()
            .field_errors("new_password")
            .count(),
        1
    );

    let change = PasswordChange {
        current_password: admin.password.clone().into(),
        new_password: "a brand new password".into(),
        end_other_sessions: true,
    };
    assert_eq!(
        admin.client.change_password(&change).await.unwrap().ended,
        1
    );
    assert_eq!(phone.client.me().await.unwrap_err().status(), Some(401));
    admin.client.me().await.unwrap();
    app.sign_in(&admin.email, "a brand new password").await;
    let old = app
        .new_client()
        .login(&gmac_types::LoginRequest {
            email: admin.email.clone(),
            password: admin.password.clone().into(),
        })
        .await;
    assert_eq!(old.unwrap_err().status(), Some(401));
}
