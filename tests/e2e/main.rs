//! Browser end-to-end tests: the real SPA (as built by `cargo xtask spa`) served by an
//! in-process gmac, driven in headless Chromium through ChromeDriver.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian's packages; `cargo xtask test`
//! installs them). Without them the tests say they were skipped, unless `GMAC_REQUIRE_E2E` is
//! set, as it is under `cargo xtask test`, where a missing browser is a failure.

#![expect(clippy::unwrap_used, clippy::panic, reason = "tests fail by panicking")]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::Datelike;
use fantoccini::{Client, ClientBuilder, Locator};
use gmac_tests::{TestApp, spawn_app};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A ChromeDriver process with one headless Chromium session.
struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn browser_available() -> bool {
    let present =
        std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if !present {
        assert!(
            std::env::var_os("GMAC_REQUIRE_E2E").is_none(),
            "Chromium and ChromeDriver are required: apt-get install -y chromium chromium-driver"
        );
        eprintln!("skipped: browser test needs {CHROMIUM} and {CHROMEDRIVER}");
    }
    let spa = concat!(env!("CARGO_MANIFEST_DIR"), "/../frontend/dist/index.html");
    assert!(
        std::path::Path::new(spa).exists(),
        "the SPA is not built: run `cargo xtask spa`"
    );
    present
}

impl Browser {
    async fn start(width: u32, height: u32) -> Self {
        Self::start_with(width, height, false).await
    }

    /// A phone: the viewport is exactly `width` CSS pixels, as on the device.
    async fn phone(width: u32, height: u32) -> Self {
        Self::start_with(width, height, true).await
    }

    async fn start_with(width: u32, height: u32, mobile: bool) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .args([
                format!("--port={port}"),
                "--allowed-ips=127.0.0.1".to_owned(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let profile = tempfile::tempdir().unwrap();
        let mut options = serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.path().display()),
            ],
        });
        if mobile {
            options["mobileEmulation"] = serde_json::json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 3.0}});
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:loggingPrefs".to_owned(),
            serde_json::json!({"browser": "ALL"}),
        );
        caps.insert("goog:chromeOptions".to_owned(), options);
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for _ in 0..100 {
            match ClientBuilder::rustls()
                .unwrap()
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Self {
                        client,
                        driver,
                        _profile: profile,
                    };
                }
                Err(err) => last_error = err.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("ChromeDriver did not start: {last_error}");
    }

    async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
    }

    async fn type_into(&self, css: &str, text: &str) {
        let field = self.wait_for(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    async fn text_of(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.unwrap()
    }

    /// Waits until the element's text contains `needle`.
    async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let mut text = String::new();
        for _ in 0..200 {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                text = element.text().await.unwrap_or_default();
                if text.contains(needle) {
                    return text;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let shot = self.screenshot("wait-for-text").await;
        panic!("{css} never contained {needle:?}; last text {text:?}; screenshot {shot}");
    }

    /// Saves what the browser shows, for a failure message.
    async fn screenshot(&self, name: &str) -> String {
        let path = std::env::temp_dir().join(format!(
            "gmac-e2e-{name}-{}.png",
            uuid::Uuid::new_v4().simple()
        ));
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(&path, png);
        }
        path.display().to_string()
    }

    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Errors the page logged (CSP violations, panics). The browser's own note of an expected
    /// 401 (the session probe while signed out) is not one.
    async fn console_errors(&self) -> Vec<String> {
        let Ok(logs) = self.client.issue_cmd(GetLog).await else {
            return Vec::new();
        };
        logs.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .filter_map(|e| e["message"].as_str().map(str::to_owned))
                    .filter(|m| !m.contains("the server responded with a status of 401"))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// ChromeDriver's `GET /session/{id}/se/log` extension, for the browser console.
#[derive(Debug)]
struct GetLog;

impl fantoccini::wd::WebDriverCompatibleCommand for GetLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

async fn with_admin(app: &TestApp) -> (String, String) {
    let admin = app.super_admin().await;
    (admin.email, admin.password)
}

#[tokio::test]
async fn first_run_setup_in_the_browser_creates_the_admin_and_signs_in() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let token = app.setup_token().await;
    let browser = Browser::start(1280, 800).await;
    browser.client.goto(&app.url("/")).await.unwrap();

    browser.type_into("#setup-token", &token).await;
    browser.type_into("#setup-email", "grace@example.com").await;
    browser
        .type_into("#setup-display-name", "Grace Hopper")
        .await;
    browser
        .type_into("#setup-password", "a very long first password")
        .await;
    browser
        .type_into("#setup-password-confirm", "a very long first password")
        .await;
    browser
        .wait_for("#complete-setup")
        .await
        .click()
        .await
        .unwrap();

    browser
        .wait_for_text("#home-greeting", "Grace Hopper")
        .await;
    assert_eq!(browser.text_of("#home-email").await, "grace@example.com");
    assert!(!app.client.setup_status().await.unwrap().setup_required);
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "browser console errors: {errors:?}");
}

#[tokio::test]
async fn a_user_signs_in_keeps_the_session_across_a_reload_and_signs_out() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let (email, password) = with_admin(&app).await;
    let browser = Browser::start(1280, 800).await;

    // A deep link while signed out leads to the sign-in page.
    browser.client.goto(&app.url("/settings")).await.unwrap();
    browser.wait_for("#email").await;
    assert_eq!(browser.path().await, "/login");

    browser.type_into("#email", &email).await;
    browser
        .type_into("#password", "not the password at all")
        .await;
    browser.wait_for("#sign-in").await.click().await.unwrap();
    let banner = browser.wait_for_text(".error-banner", "incorrect").await;
    assert!(banner.contains("incorrect"), "{banner}");

    browser.type_into("#password", &password).await;
    browser.wait_for("#sign-in").await.click().await.unwrap();
    // Back to where the deep link pointed, signed in.
    browser.wait_for_text("#user-menu", "Ada Lovelace").await;
    assert_eq!(browser.path().await, "/settings");
    assert!(browser.text_of("nav#main-nav").await.contains("Costs"));
    browser.client.goto(&app.url("/")).await.unwrap();
    browser
        .wait_for_text("#home-greeting", "Ada Lovelace")
        .await;
    assert_eq!(browser.text_of("#home-email").await, email);

    // The access token lives in memory only; a reload restores the session from the
    // HttpOnly refresh cookie.
    browser.client.refresh().await.unwrap();
    browser
        .wait_for_text("#home-greeting", "Ada Lovelace")
        .await;
    let cookie = browser.client.get_named_cookie("gmac_refresh").await;
    assert!(
        cookie.is_err(),
        "the refresh cookie is path-scoped to /api/v1/auth and HttpOnly"
    );

    browser.wait_for("#user-menu").await.click().await.unwrap();
    browser.wait_for("#sign-out").await.click().await.unwrap();
    browser.wait_for("#email").await;
    assert_eq!(browser.path().await, "/login");
    // After sign-out a reload does not bring the session back.
    browser.client.refresh().await.unwrap();
    browser.wait_for("#email").await;
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "browser console errors: {errors:?}");
}

#[tokio::test]
async fn the_shell_works_on_a_phone_sized_screen() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let (email, password) = with_admin(&app).await;
    let browser = Browser::phone(390, 844).await;
    browser.client.goto(&app.url("/login")).await.unwrap();
    assert_fits(&browser, "the sign-in page").await;
    browser.type_into("#email", &email).await;
    browser.type_into("#password", &password).await;
    browser.wait_for("#sign-in").await.click().await.unwrap();
    browser
        .wait_for_text("#home-greeting", "Ada Lovelace")
        .await;
    assert_fits(&browser, "the home page").await;
}

/// Nothing on the page is wider than the screen (no sideways scrolling).
async fn assert_fits(browser: &Browser, what: &str) {
    let widths = browser
        .client
        .execute(
            "return [window.innerWidth, document.documentElement.scrollWidth];",
            vec![],
        )
        .await
        .unwrap();
    let (viewport, content) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
    assert!(
        (viewport - 390.0).abs() < 1.0,
        "the viewport is {viewport} px, not a phone's"
    );
    assert!(
        content <= viewport,
        "{what} is {content} px wide on a {viewport} px screen"
    );
}

/// Asset URLs named in `text` that start with `prefix` (e.g. `/assets/boot-`).
fn asset_urls(text: &str, prefix: &str) -> Vec<String> {
    text.match_indices(prefix)
        .map(|(start, _)| {
            let rest = &text[start..];
            let end = rest.find(['"', '\'', ' ', ')', '>']).unwrap_or(rest.len());
            rest[..end].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn the_spa_is_served_with_its_content_types_and_caching() {
    let spa = concat!(env!("CARGO_MANIFEST_DIR"), "/../frontend/dist/index.html");
    assert!(
        std::path::Path::new(spa).exists(),
        "the SPA is not built: run `cargo xtask spa`"
    );
    let app = spawn_app().await;
    let http = app.http();

    let index = http.get(app.url("/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(index.headers()["cache-control"], "no-cache");
    let etag = index.headers()["etag"].to_str().unwrap().to_owned();
    let html = index.text().await.unwrap();

    // Deep links get the same page; the router takes it from there.
    let deep = http
        .get(app.url("/costs/teams/platform"))
        .send()
        .await
        .unwrap();
    assert_eq!(deep.status(), 200);
    assert_eq!(deep.text().await.unwrap(), html);
    // Revalidation is cheap.
    let again = http
        .get(app.url("/"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    let css = asset_urls(&html, "/assets/style-");
    let boot = asset_urls(&html, "/assets/boot-");
    assert_eq!((css.len(), boot.len()), (1, 1), "{html}");
    let response = http.get(app.url(&css[0])).send().await.unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/css; charset=utf-8"
    );
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );

    let boot_js = http.get(app.url(&boot[0])).send().await.unwrap();
    assert_eq!(
        boot_js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let boot_js = boot_js.text().await.unwrap();
    let wasm = asset_urls(&boot_js.replace("./", "/assets/"), "/assets/app-")
        .into_iter()
        .find(|u| {
            std::path::Path::new(u)
                .extension()
                .is_some_and(|e| e == "wasm")
        })
        .expect("the boot module names the wasm file");
    let response = http
        .get(app.url(&wasm))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/wasm");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        response.headers()["content-encoding"],
        "gzip",
        "the wasm is compressed on the wire"
    );

    let missing = http
        .get(app.url("/assets/app-0000.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    let post = http.post(app.url("/")).send().await.unwrap();
    assert_eq!(post.status(), 405);
}

/// Signs in through the form and waits for the signed-in shell.
async fn sign_in_through_the_form(browser: &Browser, app: &TestApp, email: &str, password: &str) {
    browser.client.goto(&app.url("/login")).await.unwrap();
    browser.type_into("#email", email).await;
    browser.type_into("#password", password).await;
    browser.wait_for("#sign-in").await.click().await.unwrap();
}

/// Whether signing in with this password now asks for a second factor, as the API says.
async fn login_asks_for_a_second_factor(app: &TestApp, email: &str, password: &str) -> bool {
    let answer: serde_json::Value = app
        .http()
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["mfa_required"] == true
}

#[tokio::test]
async fn signing_in_with_mfa_takes_a_totp_code_or_a_recovery_code() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let enrollment = admin.client.start_totp_enrollment().await.unwrap();
    let secret = enrollment.secret.expose().to_owned();
    let now = || u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let first = gmac_core::auth::totp::code_for_base32(&secret, now()).unwrap();
    let codes = admin.client.confirm_totp_enrollment(&first).await.unwrap();

    let browser = Browser::start(1280, 800).await;
    sign_in_through_the_form(&browser, &app, &admin.email, &admin.password).await;
    // A wrong code is refused on the page.
    browser.type_into("#mfa-code", "000000").await;
    browser.wait_for("#verify-mfa").await.click().await.unwrap();
    browser.wait_for(".error-banner").await;
    // The authenticator's code signs in. The enrolment used this 30-second step's code, which
    // may not be replayed, so use the next step's, as a phone a little ahead would show.
    let next = gmac_core::auth::totp::code_for_base32(&secret, now() + 30).unwrap();
    browser.type_into("#mfa-code", &next).await;
    browser.wait_for("#verify-mfa").await.click().await.unwrap();
    browser.wait_for_text("#user-menu", "Ada Lovelace").await;
    browser.wait_for("#user-menu").await.click().await.unwrap();
    browser.wait_for("#sign-out").await.click().await.unwrap();
    browser.wait_for("#email").await;

    sign_in_through_the_form(&browser, &app, &admin.email, &admin.password).await;
    // A recovery code signs in.
    browser
        .wait_for("#use-recovery-code")
        .await
        .click()
        .await
        .unwrap();
    browser
        .type_into("#recovery-code", codes.recovery_codes[0].expose())
        .await;
    browser.wait_for("#verify-mfa").await.click().await.unwrap();
    browser.wait_for_text("#user-menu", "Ada Lovelace").await;
    let errors = browser.console_errors().await;
    assert!(
        errors.iter().all(|e| e.contains("status of 401")),
        "browser console errors: {errors:?}"
    );
}

#[tokio::test]
async fn an_admin_creates_a_client_and_finds_it_in_the_audit_log() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let (email, password) = with_admin(&app).await;
    let browser = Browser::start(1280, 800).await;
    sign_in_through_the_form(&browser, &app, &email, &password).await;
    browser.wait_for_text("#user-menu", "Ada Lovelace").await;

    browser.client.goto(&app.url("/clients")).await.unwrap();
    browser.type_into("#new-client-name", "Acme Corp").await;
    browser
        .wait_for("#create-client")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for("[data-client-name=\"Acme Corp\"]").await;

    browser.client.goto(&app.url("/audit")).await.unwrap();
    browser
        .wait_for("#audit-table tr[data-action=\"client.create\"]")
        .await;
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "browser console errors: {errors:?}");
}

#[tokio::test]
async fn a_viewer_is_not_offered_the_administration_pages() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let viewer = app
        .user_with_role(&admin, "v@example.com", "viewer", gmac_types::Scope::Global)
        .await;
    let browser = Browser::start(1280, 800).await;
    sign_in_through_the_form(&browser, &app, &viewer.email, &viewer.password).await;
    browser.wait_for("#home-greeting").await;
    let nav = browser.text_of("nav#main-nav").await;
    for hidden in ["Users", "Roles", "Invitations", "Audit log"] {
        assert!(!nav.contains(hidden), "a viewer is offered {hidden}: {nav}");
    }
}

#[tokio::test]
async fn a_user_sets_up_mfa_and_an_api_token_on_the_security_page() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let (email, password) = with_admin(&app).await;
    let browser = Browser::start(1280, 800).await;
    sign_in_through_the_form(&browser, &app, &email, &password).await;
    browser.wait_for_text("#user-menu", "Ada Lovelace").await;
    browser
        .client
        .goto(&app.url("/settings/security"))
        .await
        .unwrap();

    browser.wait_for("#start-mfa").await.click().await.unwrap();
    // The page shows the secret for typing into an app; read it like a person would.
    let secret = browser.text_of("#mfa-secret").await.replace(' ', "");
    let code = gmac_core::auth::totp::code_for_base32(
        &secret,
        u64::try_from(chrono::Utc::now().timestamp()).unwrap(),
    )
    .unwrap();
    browser.type_into("#mfa-confirm-code", &code).await;
    browser
        .wait_for("#confirm-mfa")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for("#recovery-codes li").await;
    let codes = browser
        .client
        .find_all(Locator::Css("#recovery-codes li"))
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    assert!(
        login_asks_for_a_second_factor(&app, &email, &password).await,
        "MFA is on for the account"
    );

    browser.type_into("#new-token-name", "laptop").await;
    browser
        .wait_for("#create-token")
        .await
        .click()
        .await
        .unwrap();
    let token = browser.text_of("#token-secret").await;
    assert!(token.trim().starts_with("gmac_"), "{token}");
    let me = app
        .new_client()
        .with_token(token.trim())
        .me()
        .await
        .unwrap();
    assert_eq!(me.email, email);
}

#[tokio::test]
async fn an_admin_invites_a_user_who_joins_from_the_mailed_link() {
    if !browser_available() {
        return;
    }
    let smtp = gmac_tests::smtp::SmtpServer::start().await;
    let app = gmac_tests::spawn_app_with(gmac_tests::Options {
        smtp_url: Some(smtp.url()),
        ..gmac_tests::Options::default()
    })
    .await;
    let (email, password) = with_admin(&app).await;
    let browser = Browser::start(1280, 800).await;
    sign_in_through_the_form(&browser, &app, &email, &password).await;
    browser.wait_for_text("#user-menu", "Ada Lovelace").await;

    browser
        .client
        .goto(&app.url("/access/invitations"))
        .await
        .unwrap();
    browser
        .type_into("#invite-email", "grace@example.com")
        .await;
    browser
        .wait_for("#invite-role option[value=\"developer\"]")
        .await;
    browser
        .wait_for("#invite-role")
        .await
        .select_by_value("developer")
        .await
        .unwrap();
    browser
        .wait_for("#send-invitation")
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_for("#invitation-table tr[data-invitation-email=\"grace@example.com\"]")
        .await;

    // The mail reaches a real SMTP server; its link opens the join page in another browser.
    let mails = smtp.wait_for(1).await;
    let flat = mails[0]
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = flat[..flat.find("/invite#").unwrap()]
        .rfind("http")
        .unwrap();
    let link: String = flat[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(link.contains("/invite#"), "{link}");
    let guest = Browser::start(1280, 800).await;
    guest.client.goto(&link).await.unwrap();
    guest
        .wait_for_text("#invite-email", "grace@example.com")
        .await;
    guest
        .type_into("#invite-display-name", "Grace Hopper")
        .await;
    guest
        .type_into("#invite-password", "a very long password")
        .await;
    guest
        .type_into("#invite-password-confirm", "a very long password")
        .await;
    guest
        .wait_for("#accept-invitation")
        .await
        .click()
        .await
        .unwrap();
    guest.wait_for_text("#user-menu", "Grace Hopper").await;

    let grace = app
        .sign_in("grace@example.com", "a very long password")
        .await;
    let me = grace.client.me().await.unwrap();
    assert_eq!(me.roles[0].role, "developer");
    let errors = guest.console_errors().await;
    assert!(errors.is_empty(), "browser console errors: {errors:?}");
}

#[tokio::test]
async fn the_cost_dashboard_shows_the_demo_trend_and_the_per_user_view() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let admin = gmac_core::services::users::ensure_demo_admin(&app.core, "demo password 1234")
        .await
        .unwrap();
    assert!(
        gmac_core::services::demo::seed(&app.core, &admin)
            .await
            .unwrap()
    );
    let browser = Browser::start(1280, 900).await;
    sign_in_through_the_form(
        &browser,
        &app,
        gmac_core::services::users::DEMO_EMAIL,
        "demo password 1234",
    )
    .await;
    browser.wait_for("#user-menu").await;
    browser.client.goto(&app.url("/costs")).await.unwrap();
    browser.wait_for("#cost-trend [data-day]").await;
    let bars = browser
        .client
        .find_all(Locator::Css("#cost-trend [data-day]"))
        .await
        .unwrap();
    assert!(bars.len() >= 28, "a bar a day, got {}", bars.len());
    let people = browser.wait_for_text("#cost-per-user", "Alice Chen").await;
    assert!(people.contains("Unallocated"), "{people}");
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "browser console errors: {errors:?}");
}

const DEMO_PASSWORD: &str = "demo password 1234";

/// gmac in demo mode (Demo Corp: 5 people, 3 teams, 90 days of costs up to yesterday), mailing
/// through `smtp`.
async fn demo_app_with_mail(smtp: &gmac_tests::smtp::SmtpServer) -> TestApp {
    let app = gmac_tests::spawn_app_with(gmac_tests::Options {
        smtp_url: Some(smtp.url()),
        ..gmac_tests::Options::default()
    })
    .await;
    let admin = gmac_core::services::users::ensure_demo_admin(&app.core, DEMO_PASSWORD)
        .await
        .unwrap();
    assert!(
        gmac_core::services::demo::seed(&app.core, &admin)
            .await
            .unwrap()
    );
    app
}

/// Picks `team` (`team:<id>`, the Platform team) and last month (which ends on `last_day`) on
/// the reports page and checks what it shows; returns the page's address, which holds the
/// report.
async fn show_the_team_report(
    browser: &Browser,
    team: &str,
    last_day: chrono::NaiveDate,
) -> url::Url {
    let last_month = last_day.format("%Y-%m").to_string();
    let period = browser.wait_for("#report-period").await;
    assert_eq!(
        period.prop("value").await.unwrap().as_deref(),
        Some(last_month.as_str()),
        "the report opens on last month"
    );
    browser
        .wait_for(&format!("#report-subject option[value=\"{team}\"]"))
        .await;
    browser
        .wait_for("#report-subject")
        .await
        .select_by_value(team)
        .await
        .unwrap();
    browser
        .client
        .execute(
            "const input = document.querySelector('#report-period'); input.value = arguments[0]; \
             input.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![serde_json::json!(last_month)],
        )
        .await
        .unwrap();
    browser.wait_for_text("#report-title", "Platform").await;
    let shared = browser.client.current_url().await.unwrap();
    let query = shared.query().unwrap_or_default();
    assert!(
        query.contains(&format!("period={last_month}")) && query.contains("subject=team"),
        "the address holds the report: {shared}"
    );

    let total = browser.text_of("#report-total").await;
    assert!(
        total.starts_with('$') && total.chars().any(|c| ('1'..='9').contains(&c)),
        "a team's month of demo costs: {total}"
    );
    let change = browser.text_of("#report-change").await;
    assert!(!change.trim().is_empty(), "the change on the month before");
    let services = browser
        .client
        .find_all(Locator::Css("#report-services tbody tr[data-service]"))
        .await
        .unwrap();
    assert!(!services.is_empty(), "the team's services are listed");
    let members = browser.text_of("#report-breakdown").await;
    assert!(
        members.contains("Alice Chen") && members.contains("Bruno Diaz"),
        "the team's members are listed: {members}"
    );
    assert!(!members.contains("Chidi Okafor"), "{members}");
    let bars = browser
        .client
        .find_all(Locator::Css("#report-chart [data-day]"))
        .await
        .unwrap();
    assert_eq!(
        bars.len(),
        usize::try_from(last_day.day()).unwrap(),
        "a bar a day of the month"
    );
    shared
}

/// Schedules the team's report through the form: an address the server refuses is named
/// under the field, then good ones. Returns the schedule's row.
async fn schedule_the_team_report(browser: &Browser, team: &str) -> &'static str {
    browser
        .type_into("#new-schedule-name", "Platform monthly")
        .await;
    browser
        .wait_for(&format!("#new-schedule-subject option[value=\"{team}\"]"))
        .await;
    browser
        .wait_for("#new-schedule-subject")
        .await
        .select_by_value(team)
        .await
        .unwrap();
    browser
        .type_into(
            "#new-schedule-recipients",
            "ops@example.com, not-an-address",
        )
        .await;
    browser
        .wait_for("#create-schedule")
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_for_text("#new-schedule-recipients-error", "not-an-address")
        .await;
    browser
        .type_into(
            "#new-schedule-recipients",
            "ops@example.com finance@example.com",
        )
        .await;
    browser
        .wait_for("#create-schedule")
        .await
        .click()
        .await
        .unwrap();
    let row = "#report-schedules tr[data-schedule-name=\"Platform monthly\"]";
    let text = browser.wait_for_text(row, "Monthly").await;
    assert!(
        text.contains("Platform") && text.contains("finance@example.com"),
        "{text}"
    );
    assert!(
        browser
            .text_of("#new-schedule-recipients-error")
            .await
            .is_empty()
    );
    row
}

#[tokio::test]
async fn the_reports_page_shows_a_team_month_and_emails_a_scheduled_report() {
    if !browser_available() {
        return;
    }
    let smtp = gmac_tests::smtp::SmtpServer::start().await;
    let app = demo_app_with_mail(&smtp).await;
    let email = gmac_core::services::users::DEMO_EMAIL;
    let people = app
        .sign_in(email, DEMO_PASSWORD)
        .await
        .client
        .cost_people()
        .await;
    let platform = people
        .unwrap()
        .teams
        .into_iter()
        .find(|t| t.name == "Platform")
        .unwrap();
    let team = format!("team:{}", platform.id);
    // The demo's costs run up to yesterday: last month is whole.
    let first_of_month = chrono::Utc::now().date_naive().with_day(1).unwrap();
    let last_day = first_of_month.pred_opt().unwrap();

    let browser = Browser::start(1280, 900).await;
    sign_in_through_the_form(&browser, &app, email, DEMO_PASSWORD).await;
    browser.wait_for("#user-menu").await;
    browser
        .client
        .goto(&app.url("/costs/reports"))
        .await
        .unwrap();
    let shared = show_the_team_report(&browser, &team, last_day).await;
    for button in ["#download-report-pdf", "#download-report-csv"] {
        browser.wait_for(button).await.click().await.unwrap();
    }
    let row = schedule_the_team_report(&browser, &team).await;

    // "Send now" mails last month's report to both, with the PDF attached.
    browser
        .wait_for(&format!("{row} .send-schedule"))
        .await
        .click()
        .await
        .unwrap();
    let delivery = browser
        .wait_for_text("#schedule-delivery", "emailed to")
        .await;
    assert!(
        delivery.contains("ops@example.com") && delivery.contains("finance@example.com"),
        "{delivery}"
    );
    let mails = smtp.wait_for(2).await;
    assert_eq!(mails.len(), 2);
    assert!(
        mails
            .iter()
            .all(|m| m.contains("Cost report: Platform") && m.contains("application/pdf")),
        "{}",
        mails[0]
    );
    browser.wait_for_text(row, "report").await;

    // The same report on a phone: nothing wider than the screen.
    let phone = Browser::phone(390, 844).await;
    sign_in_through_the_form(&phone, &app, email, DEMO_PASSWORD).await;
    phone.wait_for("#user-menu").await;
    phone.client.goto(shared.as_str()).await.unwrap();
    phone.wait_for_text("#report-title", "Platform").await;
    phone.wait_for(row).await;
    assert_fits(&phone, "the reports page").await;

    // Deleting asks first.
    browser
        .wait_for(&format!("{row} .delete-schedule"))
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for("#confirm-ok").await.click().await.unwrap();
    browser
        .wait_for_text("#report-schedules-card", "No report is scheduled yet")
        .await;
    // The refused address above was an expected 422.
    let mut errors = browser.console_errors().await;
    errors.retain(|e| {
        !e.contains(
            "report-schedules - Failed to load resource: the server responded with a status of 422",
        )
    });
    errors.extend(phone.console_errors().await);
    assert!(errors.is_empty(), "browser console errors: {errors:?}");
}
