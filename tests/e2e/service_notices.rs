//! Issue 12, point 7: which of a service's events email whom, set on the service's page, and
//! the profile's switch for those emails.

use gmac_types::{EnvironmentKind, NoticeRule, ServiceNotice};

use crate::{
    Browser, assert_fits, browser_available, open_page, services_world, sign_in_through_the_form,
    static_site,
};

/// The value of the input or textarea `css`.
async fn value_of(browser: &Browser, css: &str) -> String {
    browser
        .wait_for(css)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// A rule made on the service's page (two events, production only, an address and a team)
/// is saved with its address lower-cased, as the form then shows it; an address the server
/// refuses is named under the rule's addresses, and nothing is saved. On a phone, the rule
/// fits the screen.
#[tokio::test]
async fn a_notification_rule_is_saved_from_the_service_page_and_a_bad_address_is_refused_under_its_rule()
 {
    if !browser_available() {
        return;
    }
    let (app, fake, admin, project_id, connection) = services_world().await;
    let team = app.fixture(&admin).team("Operations", &[]).await;
    let service = static_site(&admin, &project_id, &connection, "site")
        .await
        .service
        .id;
    let browser = Browser::start(1280, 900).await;
    sign_in_through_the_form(&browser, &app, &admin.email, &admin.password).await;
    browser.wait_for("#user-menu").await;
    open_page(&browser, &app, &format!("/services/{service}")).await;
    browser.wait_for_text("#service-status", "Active").await;
    browser
        .wait_for_text("#service-notices", "No rules: nobody is emailed")
        .await;

    browser.click("#add-notice-rule").await;
    browser.click("#notice-0-deploy_failed").await;
    browser.click("#notice-0-rolled_back").await;
    browser.click("#notice-0-env-production").await;
    browser.click(&format!("#notice-0-team-{team}")).await;
    browser
        .type_into("#notice-0-emails", "Ops@Example.com")
        .await;
    browser.click("#save-notices").await;
    browser
        .wait_for_text("#service-notices", "The notification rules are saved.")
        .await;
    assert_eq!(
        value_of(&browser, "#notice-0-emails").await,
        "ops@example.com"
    );
    let rule = NoticeRule {
        events: vec![ServiceNotice::DeployFailed, ServiceNotice::RolledBack],
        environments: vec![EnvironmentKind::Production],
        team_ids: vec![team.clone()],
        emails: vec!["ops@example.com".to_owned()],
    };
    let saved = admin.client.get_service(&service).await.unwrap();
    assert_eq!(saved.notifications, std::slice::from_ref(&rule));

    // An address that is none is named under the rule's addresses; nothing changes.
    browser
        .type_into("#notice-0-emails", "ops@example.com, not-an-address")
        .await;
    browser.click("#save-notices").await;
    browser
        .wait_for_text("#notice-0-emails-error", "not-an-address")
        .await;
    browser
        .wait_for("#notice-0-emails[aria-invalid=\"true\"]")
        .await;
    let text = browser.text_of("#service-notices").await;
    assert!(
        !text.contains("The notification rules are saved."),
        "{text}"
    );
    let now = admin.client.get_service(&service).await.unwrap();
    assert_eq!(now.notifications, [rule]);
    assert_eq!(now.version, saved.version);

    let repeated = browser.repeated_button_names().await;
    assert!(repeated.is_empty(), "{repeated:?}");
    // The refused save's answer (422) is the only console error.
    let errors = browser.console_errors().await;
    assert!(
        errors
            .iter()
            .all(|e| e.contains("/api/v1/services") && e.contains("status of 422")),
        "{errors:?}"
    );
    browser.close().await;

    let phone = Browser::phone(390, 844).await;
    sign_in_through_the_form(&phone, &app, &admin.email, &admin.password).await;
    phone.wait_for("#user-menu").await;
    open_page(&phone, &app, &format!("/services/{service}")).await;
    phone
        .wait_for(&format!("#notice-0-team-{team}:checked"))
        .await;
    assert_fits(&phone, "the service page with a notification rule").await;
    phone.close().await;
    fake.stop().await;
}

/// The profile's "Deploys" switch is saved with the other emails' switches.
#[tokio::test]
async fn deploy_emails_are_turned_off_in_the_profile() {
    if !browser_available() {
        return;
    }
    let app = gmac_tests::spawn_app().await;
    let (browser, email, password) = crate::admin_in_a_browser(&app).await;
    open_page(&browser, &app, "/settings/profile").await;
    browser.wait_for("#notify-deploys:checked").await;
    browser.click("#notify-deploys").await;
    browser.click("#save-profile").await;
    browser
        .wait_for_text("body", "Your profile is saved.")
        .await;
    let session = app.sign_in(&email, &password).await;
    let profile = session.client.get_profile().await.unwrap();
    assert!(!profile.notifications.deploys);
    assert!(
        profile.notifications.security,
        "the others stay as they were"
    );
    browser.close().await;
}
