//! A fake of Gitea's API v1 and GitHub's REST API, named as a fake: nothing installable here
//! runs either, so tests reach one through this, answering with recorded bodies (see
//! `fake_git_hosts/README.md`). It accepts one token and refuses any other, as the hosts do.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// The token the fake hosts accept.
pub const GOOD_TOKEN: &str = "gmac-test-token-0123456789abcdef";

const GITHUB_USER: &str = include_str!("fake_git_hosts/github_user.json");
const GITEA_USER: &str = include_str!("fake_git_hosts/gitea_user.json");

/// One request the fake received: its method, path and `Authorization` header.
pub type Received = (String, String, Option<String>);

/// A running fake: Gitea under `/gitea`, GitHub's API under `/github`.
pub struct FakeGitHosts {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Every request received, in order.
    pub requests: Arc<Mutex<Vec<Received>>>,
    handle: actix_web::dev::ServerHandle,
}

impl FakeGitHosts {
    /// Starts the fake on a free loopback port.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a port");
        let address = format!(
            "http://127.0.0.1:{}",
            listener.local_addr().expect("the bound address").port()
        );
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(seen.clone()))
                .route("/gitea/api/v1/user", web::get().to(gitea_user))
                .route("/github/user", web::get().to(github_user))
        })
        .workers(1)
        .listen(listener)
        .expect("listening")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            address,
            requests,
            handle,
        }
    }

    /// The base URL of the fake Gitea.
    pub fn gitea(&self) -> String {
        format!("{}/gitea", self.address)
    }

    /// The base URL of the fake GitHub API.
    pub fn github(&self) -> String {
        format!("{}/github", self.address)
    }

    /// Stops it.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

type Seen = web::Data<Arc<Mutex<Vec<Received>>>>;

fn record(request: &HttpRequest, seen: &Seen) -> Option<String> {
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    seen.lock().expect("the request log").push((
        request.method().to_string(),
        request.path().to_owned(),
        authorization.clone(),
    ));
    authorization
}

async fn gitea_user(request: HttpRequest, seen: Seen) -> HttpResponse {
    if record(&request, &seen).as_deref() == Some(&format!("token {GOOD_TOKEN}")) {
        HttpResponse::Ok()
            .content_type("application/json")
            .body(GITEA_USER)
    } else {
        HttpResponse::Unauthorized().json(serde_json::json!({
            "message": "user does not exist [uid: 0, name: ]",
            "url": "http://127.0.0.1/api/swagger",
        }))
    }
}

async fn github_user(request: HttpRequest, seen: Seen) -> HttpResponse {
    if record(&request, &seen).as_deref() == Some(&format!("Bearer {GOOD_TOKEN}")) {
        HttpResponse::Ok()
            .content_type("application/json; charset=utf-8")
            .body(GITHUB_USER)
    } else {
        HttpResponse::Unauthorized().json(serde_json::json!({
            "message": "Bad credentials",
            "documentation_url": "https://docs.github.com/rest",
        }))
    }
}
