//! HTTP benchmark (not a test: nothing here passes or fails). Starts gmac in-process on a fresh
//! database (SQLite, or PostgreSQL with `TEST_DATABASE_URL`) and reports:
//! - throughput and latency of `GET /healthz` and of an authenticated `GET /api/v1/me`
//!   (JWT check plus session, user and role lookups), at 16 concurrent connections;
//! - an authenticated list, `GET /api/v1/clients?limit=50` (a session and an API token), side
//!   by side with bare actix-web answering the same page from memory on the same cores, and
//!   the ratio of the two;
//! - sign-in latency for a wrong password and for an unknown account, which should match.
//!
//! Run with `cargo xtask bench` (release build). Client and server share the machine's cores,
//! so the figures are a floor, not a ceiling.

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a benchmark program"
)]

use std::time::{Duration, Instant};

use gmac_tests::{Options, spawn_app_with};

const CONCURRENCY: usize = 16;
const WINDOW: Duration = Duration::from_secs(5);

struct Stats {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Stats {
    fn empty() -> Self {
        Self {
            requests: 0,
            elapsed: Duration::ZERO,
            latencies: Vec::new(),
        }
    }

    fn add(&mut self, other: Stats) {
        self.requests += other.requests;
        self.elapsed += other.elapsed;
        self.latencies.extend(other.latencies);
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index into a short list"
        )]
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }

    fn report(&self, name: &str) {
        #[expect(clippy::cast_precision_loss, reason = "a rate for display")]
        let rate = self.requests as f64 / self.elapsed.as_secs_f64();
        println!(
            "{name:<34} {rate:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests)",
            ms(self.percentile(0.5)),
            ms(self.percentile(0.99)),
            self.requests
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn load(url: String, token: Option<String>) -> Stats {
    load_for(url, token, WINDOW).await
}

async fn load_for(url: String, token: Option<String>, window: Duration) -> Stats {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while start.elapsed() < window {
                let t = Instant::now();
                let mut request = client.get(&url);
                if let Some(token) = &token {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await.unwrap();
                assert!(
                    response.status().is_success(),
                    "{url}: {}",
                    response.status()
                );
                response.bytes().await.unwrap();
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    Stats {
        requests: latencies.len(),
        elapsed: start.elapsed(),
        latencies,
    }
}

async fn logins(app: &gmac_tests::TestApp, email: &str, n: usize) -> Stats {
    let client = app.http();
    let mut latencies = Vec::new();
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        let response = client
            .post(app.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"email": email, "password": "definitely not it"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        latencies.push(t.elapsed());
    }
    Stats {
        requests: n,
        elapsed: start.elapsed(),
        latencies,
    }
}

/// Bare actix-web, two workers like gmac's, answering `body` as JSON at `/clients`.
fn bare_actix(body: serde_json::Value) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let body = actix_web::web::Data::new(body);
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new().app_data(body.clone()).route(
            "/clients",
            actix_web::web::get().to(|body: actix_web::web::Data<serde_json::Value>| async move {
                actix_web::HttpResponse::Ok().json(body.get_ref())
            }),
        )
    })
    .workers(2)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}/clients?limit=50")
}

/// 50 clients, then the list through gmac and through bare actix-web, alternately.
async fn lists(app: &gmac_tests::TestApp, admin: &gmac_tests::Session) {
    fifty_clients(app, admin).await;
    let token = admin
        .client
        .create_token(&gmac_types::NewApiToken {
            name: "list bench".to_owned(),
            scopes: vec![gmac_types::Permission::ResourcesView],
            expires_in_days: 1,
            scope: None,
        })
        .await
        .unwrap();
    let page: serde_json::Value = admin.client.get("/api/v1/clients?limit=50").await.unwrap();
    let bare = bare_actix(page);
    let gmac = app.url("/api/v1/clients?limit=50");
    // Five rounds of a second each, in turn, so that both see the same machine: the rate of
    // bare actix-web alone varied by half between runs here.
    let secret = token.token.expose().to_owned();
    let (mut session, mut by_token, mut actix) = (Stats::empty(), Stats::empty(), Stats::empty());
    for _ in 0..5 {
        let round = Duration::from_secs(1);
        session.add(load_for(gmac.clone(), Some(admin.access_token.clone()), round).await);
        by_token.add(load_for(gmac.clone(), Some(secret.clone()), round).await);
        actix.add(load_for(bare.clone(), None, round).await);
    }
    session.report("GET /api/v1/clients?limit=50 (session)");
    by_token.report("GET /api/v1/clients?limit=50 (API token)");
    actix.report("bare actix-web, the same page");
    #[expect(clippy::cast_precision_loss, reason = "a ratio for display")]
    let ratio = |s: &Stats| {
        (s.requests as f64 / s.elapsed.as_secs_f64())
            / (actix.requests as f64 / actix.elapsed.as_secs_f64())
    };
    println!(
        "the list's rate against bare actix-web: session {:.2}, API token {:.2} (goal: 0.25 or more)",
        ratio(&session),
        ratio(&by_token)
    );
}

async fn fifty_clients(app: &gmac_tests::TestApp, admin: &gmac_tests::Session) {
    let fixture = app.fixture(admin);
    for i in 0..50 {
        fixture.client(&format!("Client {i:02}")).await;
    }
}

/// `GMAC_BENCH_SEQUENTIAL=gmac:N` (or `bare:N`): only N list requests one after another, for
/// counting instructions under callgrind (`cargo xtask bench` runs it twice and subtracts).
async fn sequential(app: &gmac_tests::TestApp, admin: &gmac_tests::Session, spec: &str) {
    let (target, n) = spec.split_once(':').unwrap();
    let n: usize = n.parse().unwrap();
    fifty_clients(app, admin).await;
    let page: serde_json::Value = admin.client.get("/api/v1/clients?limit=50").await.unwrap();
    let url = if target == "bare" {
        bare_actix(page)
    } else {
        app.url("/api/v1/clients?limit=50")
    };
    let client = reqwest::Client::new();
    for _ in 0..n {
        let response = client
            .get(&url)
            .bearer_auth(&admin.access_token)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        response.bytes().await.unwrap();
    }
}

#[tokio::main]
async fn main() {
    let app = spawn_app_with(Options {
        configure: Some(Box::new(|c| {
            c.workers = 2;
            // The sign-in timing below makes more attempts than one address may.
            c.auth_rate_limit.per_minute = 100_000;
            c.auth_rate_limit.burst = 100_000;
            // One address sends every request here; the limiter still runs, it just never says no.
            c.rate_limit.per_second = 10_000_000;
            c.rate_limit.burst = 10_000_000;
            if let Ok(n) = std::env::var("GMAC_BENCH_POOL") {
                c.db_max_connections = n.parse().unwrap();
            }
        })),
        ..Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    if let Ok(spec) = std::env::var("GMAC_BENCH_SEQUENTIAL") {
        sequential(&app, &admin, &spec).await;
        return;
    }
    println!(
        "gmac HTTP benchmark ({}, {CONCURRENCY} connections, {}s per case)",
        if gmac_tests::TestDatabase::on_postgres() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        WINDOW.as_secs()
    );
    load(app.url("/healthz"), None).await.report("GET /healthz");
    load(app.url("/api/v1/me"), Some(admin.access_token.clone()))
        .await
        .report("GET /api/v1/me (authenticated)");
    let token = admin
        .client
        .create_token(&gmac_types::NewApiToken {
            name: "bench".to_owned(),
            scopes: vec![gmac_types::Permission::ResourcesView],
            expires_in_days: 1,
            scope: None,
        })
        .await
        .unwrap();
    load(app.url("/api/v1/me"), Some(token.token.expose().to_owned()))
        .await
        .report("GET /api/v1/me (API token)");
    lists(&app, &admin).await;

    // Warm up, then alternate so both see the same machine state. Each account takes three
    // wrong passwords, below the five that lock it.
    let mut accounts = Vec::new();
    for i in 0..11 {
        let email = format!("timing{i}@example.com");
        admin
            .client
            .create_user(&gmac_types::NewUser {
                email: email.clone(),
                display_name: format!("Timing {i}"),
                password: "a long bench password".into(),
            })
            .await
            .unwrap();
        accounts.push(email);
    }
    logins(&app, &accounts[10], 3).await;
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for (i, email) in accounts.iter().take(10).enumerate() {
        wrong.extend(logins(&app, email, 3).await.latencies);
        unknown.extend(
            logins(&app, &format!("nobody{i}@example.com"), 3)
                .await
                .latencies,
        );
    }
    let total = |l: &[Duration]| l.iter().sum::<Duration>();
    let wrong = Stats {
        requests: wrong.len(),
        elapsed: total(&wrong),
        latencies: wrong,
    };
    let unknown = Stats {
        requests: unknown.len(),
        elapsed: total(&unknown),
        latencies: unknown,
    };
    wrong.report("POST /auth/login, wrong password");
    unknown.report("POST /auth/login, unknown account");
    let gap = ms(wrong.percentile(0.5)) - ms(unknown.percentile(0.5));
    println!("sign-in timing gap (median, wrong − unknown): {gap:+.2} ms");
}
