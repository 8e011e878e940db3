//! A fake of Gitea's API v1 and GitHub's REST API, named as a fake: nothing installable here
//! runs either, so tests reach one through this, answering with recorded bodies (see
//! `fake_git_hosts/README.md`). It accepts one token and refuses any other, as the hosts do.
//!
//! The repositories it creates are real: bare repositories served by `git http-backend` under
//! `/git/` (the smart-HTTP recipe of `RECIPES.md`), so gmac clones and pushes with real git.
//! After a push it delivers each registered webhook as the host would: a push event, signed
//! with the hook's secret (`X-Gitea-Signature`, or GitHub's `X-Hub-Signature-256`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;

/// The token the fake hosts accept.
pub const GOOD_TOKEN: &str = "gmac-test-token-0123456789abcdef";

const GITHUB_USER: &str = include_str!("fake_git_hosts/github_user.json");
const GITEA_USER: &str = include_str!("fake_git_hosts/gitea_user.json");

/// The login of the fake Gitea's user (from `gitea_user.json`).
pub const GITEA_LOGIN: &str = "gmac-bot";

/// The login of the fake GitHub's user (from `github_user.json`).
pub const GITHUB_LOGIN: &str = "octokit-fixture-user-a";

/// One request the fake received: its method, path and `Authorization` header.
pub type Received = (String, String, Option<String>);

/// A webhook registered on the fake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hook {
    /// `gitea` or `github`.
    pub provider: String,
    /// `owner/name`.
    pub repo: String,
    /// The host's id for it.
    pub id: i64,
    /// Where it posts.
    pub url: String,
    /// What it signs with.
    pub secret: String,
}

/// A webhook delivery the fake made: the hook's URL, the answer's status, and the body sent.
pub type Delivery = (String, u16, String);

struct State {
    seen: Mutex<Vec<Received>>,
    root: PathBuf,
    address: String,
    hooks: Mutex<Vec<Hook>>,
    deliveries: Mutex<Vec<Delivery>>,
    fail_hooks: AtomicBool,
    next_id: AtomicI64,
}

/// A running fake: Gitea under `/gitea`, GitHub's API under `/github`, and the real git
/// repositories under `/git`.
pub struct FakeGitHosts {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Every request received, in order.
    state: Arc<State>,
    _root: tempfile::TempDir,
    handle: actix_web::dev::ServerHandle,
}

impl FakeGitHosts {
    /// Starts the fake on a free loopback port.
    pub fn start() -> Self {
        let listener = crate::loopback::listener();
        let address = format!(
            "http://127.0.0.1:{}",
            listener.local_addr().expect("the bound address").port()
        );
        let root = tempfile::tempdir().expect("a folder for the repositories");
        let state = Arc::new(State {
            seen: Mutex::new(Vec::new()),
            root: root.path().to_owned(),
            address: address.clone(),
            hooks: Mutex::new(Vec::new()),
            deliveries: Mutex::new(Vec::new()),
            fail_hooks: AtomicBool::new(false),
            next_id: AtomicI64::new(1000),
        });
        let shared = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(shared.clone()))
                .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                .route("/gitea/api/v1/user", web::get().to(gitea_user))
                .route("/github/user", web::get().to(github_user))
                .route("/gitea/api/v1/user/repos", web::post().to(gitea_create_own))
                .route(
                    "/gitea/api/v1/orgs/{org}/repos",
                    web::post().to(gitea_create_in_org),
                )
                .route(
                    "/gitea/api/v1/repos/{owner}/{name}",
                    web::delete().to(delete_repo),
                )
                .route(
                    "/gitea/api/v1/repos/{owner}/{name}/hooks",
                    web::post().to(gitea_create_hook),
                )
                .route(
                    "/gitea/api/v1/repos/{owner}/{name}/hooks/{id}",
                    web::delete().to(delete_hook),
                )
                .route("/github/user/repos", web::post().to(github_create_own))
                .route(
                    "/github/orgs/{org}/repos",
                    web::post().to(github_create_in_org),
                )
                .route(
                    "/github/repos/{owner}/{name}",
                    web::delete().to(delete_repo),
                )
                .route(
                    "/github/repos/{owner}/{name}/hooks",
                    web::post().to(github_create_hook),
                )
                .route(
                    "/github/repos/{owner}/{name}/hooks/{id}",
                    web::delete().to(delete_hook),
                )
                .default_service(web::to(git_backend))
        })
        .workers(2)
        .listen(listener)
        .expect("listening")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            address,
            state,
            _root: root,
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

    /// The prefix of the plain smart-HTTP remotes (`<prefix>/<owner>/<name>.git`).
    pub fn git(&self) -> String {
        format!("{}/git", self.address)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Received> {
        self.state.seen.lock().expect("the request log").clone()
    }

    /// The webhooks registered now.
    pub fn hooks(&self) -> Vec<Hook> {
        self.state.hooks.lock().expect("the hooks").clone()
    }

    /// The webhook deliveries made so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.state
            .deliveries
            .lock()
            .expect("the deliveries")
            .clone()
    }

    /// Makes registering a webhook answer HTTP 500 (or work again).
    pub fn fail_webhooks(&self, fail: bool) {
        self.state.fail_hooks.store(fail, Ordering::SeqCst);
    }

    /// The bare repository `owner/name` on disk, if it exists.
    pub fn repository(&self, owner: &str, name: &str) -> Option<PathBuf> {
        let path = repo_dir(&self.state.root, owner, name);
        path.is_dir().then_some(path)
    }

    /// Makes an empty bare repository, as an admin of a plain git server would.
    pub fn create_bare(&self, owner: &str, name: &str) -> PathBuf {
        init_bare(&self.state.root, owner, name)
    }

    /// Runs `git` in the bare repository `owner/name` and answers its output.
    pub fn git_in(&self, owner: &str, name: &str, args: &[&str]) -> String {
        let dir = repo_dir(&self.state.root, owner, name);
        let out = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(&dir)
            .args(args)
            .output()
            .expect("running git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Stops it.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

type Shared = web::Data<Arc<State>>;

fn repo_dir(root: &Path, owner: &str, name: &str) -> PathBuf {
    root.join(owner).join(format!("{name}.git"))
}

fn init_bare(root: &Path, owner: &str, name: &str) -> PathBuf {
    let dir = repo_dir(root, owner, name);
    std::fs::create_dir_all(&dir).expect("the repository's folder");
    for args in [
        vec!["init", "-q", "--bare", "-b", "main"],
        vec!["config", "http.receivepack", "true"],
    ] {
        let out = std::process::Command::new("git")
            .current_dir(&dir)
            .args(&args)
            .output()
            .expect("running git");
        assert!(out.status.success(), "git {args:?}");
    }
    dir
}

fn record(request: &HttpRequest, state: &Shared) -> Option<String> {
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state.seen.lock().expect("the request log").push((
        request.method().to_string(),
        request.path().to_owned(),
        authorization.clone(),
    ));
    authorization
}

fn gitea_allowed(request: &HttpRequest, state: &Shared) -> bool {
    record(request, state).as_deref() == Some(&format!("token {GOOD_TOKEN}"))
}

fn github_allowed(request: &HttpRequest, state: &Shared) -> bool {
    record(request, state).as_deref() == Some(&format!("Bearer {GOOD_TOKEN}"))
}

fn is_github(request: &HttpRequest) -> bool {
    request.path().starts_with("/github/")
}

fn refused(github: bool) -> HttpResponse {
    if github {
        HttpResponse::Unauthorized().json(serde_json::json!({
            "message": "Bad credentials",
            "documentation_url": "https://docs.github.com/rest",
        }))
    } else {
        HttpResponse::Unauthorized().json(serde_json::json!({
            "message": "user does not exist [uid: 0, name: ]",
            "url": "http://127.0.0.1/api/swagger",
        }))
    }
}

fn allowed(request: &HttpRequest, state: &Shared) -> bool {
    if is_github(request) {
        github_allowed(request, state)
    } else {
        gitea_allowed(request, state)
    }
}

async fn gitea_user(request: HttpRequest, state: Shared) -> HttpResponse {
    if gitea_allowed(&request, &state) {
        HttpResponse::Ok()
            .content_type("application/json")
            .body(GITEA_USER)
    } else {
        refused(false)
    }
}

async fn github_user(request: HttpRequest, state: Shared) -> HttpResponse {
    if github_allowed(&request, &state) {
        HttpResponse::Ok()
            .content_type("application/json; charset=utf-8")
            .body(GITHUB_USER)
    } else {
        refused(true)
    }
}

#[derive(serde::Deserialize)]
struct CreateRepo {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    private: bool,
}

/// The repository object each host answers with (the fields of Gitea's `Repository` and
/// GitHub's `full-repository` that clients read), pointing at the real bare repository.
fn repo_body(
    state: &State,
    github: bool,
    owner: &str,
    input: &CreateRepo,
    id: i64,
) -> serde_json::Value {
    let clone_url = format!("{}/git/{owner}/{}.git", state.address, input.name);
    if github {
        serde_json::json!({
            "id": id, "node_id": "R_kgDOfake", "name": input.name,
            "full_name": format!("{owner}/{}", input.name),
            "private": input.private,
            "owner": {"login": owner, "id": 1, "type": "User"},
            "html_url": format!("{}/github-web/{owner}/{}", state.address, input.name),
            "description": input.description, "fork": false,
            "url": format!("{}/github/repos/{owner}/{}", state.address, input.name),
            "hooks_url": format!("{}/github/repos/{owner}/{}/hooks", state.address, input.name),
            "clone_url": clone_url, "default_branch": "main", "size": 0,
        })
    } else {
        serde_json::json!({
            "id": id,
            "owner": {"id": 1, "login": owner, "login_name": "", "full_name": "", "email": ""},
            "name": input.name, "full_name": format!("{owner}/{}", input.name),
            "description": input.description, "empty": true, "private": input.private,
            "fork": false, "template": false, "mirror": false, "size": 0,
            "html_url": format!("{}/gitea/{owner}/{}", state.address, input.name),
            "ssh_url": format!("git@127.0.0.1:{owner}/{}.git", input.name),
            "clone_url": clone_url, "default_branch": "main", "archived": false,
        })
    }
}

fn create_repo(
    request: &HttpRequest,
    state: &Shared,
    owner: &str,
    input: &CreateRepo,
) -> HttpResponse {
    let github = is_github(request);
    if !allowed(request, state) {
        return refused(github);
    }
    if repo_dir(&state.root, owner, &input.name).exists() {
        return if github {
            HttpResponse::UnprocessableEntity().json(serde_json::json!({
                "message": "Repository creation failed.",
                "errors": [{"resource": "Repository", "code": "custom", "field": "name", "message": "name already exists on this account"}],
                "documentation_url": "https://docs.github.com/rest/repos/repos#create-a-repository-for-the-authenticated-user",
            }))
        } else {
            HttpResponse::Conflict().json(serde_json::json!({
                "message": "The repository with the same name already exists.",
                "url": "http://127.0.0.1/api/swagger",
            }))
        };
    }
    init_bare(&state.root, owner, &input.name);
    let id = state.next_id.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Created().json(repo_body(state, github, owner, input, id))
}

async fn gitea_create_own(
    request: HttpRequest,
    state: Shared,
    body: web::Json<CreateRepo>,
) -> HttpResponse {
    create_repo(&request, &state, GITEA_LOGIN, &body)
}

async fn gitea_create_in_org(
    request: HttpRequest,
    state: Shared,
    org: web::Path<String>,
    body: web::Json<CreateRepo>,
) -> HttpResponse {
    create_repo(&request, &state, &org, &body)
}

async fn github_create_own(
    request: HttpRequest,
    state: Shared,
    body: web::Json<CreateRepo>,
) -> HttpResponse {
    create_repo(&request, &state, GITHUB_LOGIN, &body)
}

async fn github_create_in_org(
    request: HttpRequest,
    state: Shared,
    org: web::Path<String>,
    body: web::Json<CreateRepo>,
) -> HttpResponse {
    create_repo(&request, &state, &org, &body)
}

fn not_found(github: bool) -> HttpResponse {
    if github {
        HttpResponse::NotFound().json(serde_json::json!({
            "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest",
        }))
    } else {
        HttpResponse::NotFound().json(serde_json::json!({
            "errors": null, "message": "The target couldn't be found.",
            "url": "http://127.0.0.1/api/swagger",
        }))
    }
}

async fn delete_repo(
    request: HttpRequest,
    state: Shared,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let github = is_github(&request);
    if !allowed(&request, &state) {
        return refused(github);
    }
    let (owner, name) = path.into_inner();
    let dir = repo_dir(&state.root, &owner, &name);
    if !dir.exists() {
        return not_found(github);
    }
    std::fs::remove_dir_all(dir).expect("removing the repository");
    let full = format!("{owner}/{name}");
    state
        .hooks
        .lock()
        .expect("the hooks")
        .retain(|h| h.repo != full);
    HttpResponse::NoContent().finish()
}

#[derive(serde::Deserialize)]
struct CreateHook {
    config: HookConfig,
    #[serde(default)]
    events: Vec<String>,
}

#[derive(serde::Deserialize)]
struct HookConfig {
    url: String,
    #[serde(default)]
    secret: String,
}

fn create_hook(
    request: &HttpRequest,
    state: &Shared,
    path: web::Path<(String, String)>,
    body: &CreateHook,
) -> HttpResponse {
    let github = is_github(request);
    if !allowed(request, state) {
        return refused(github);
    }
    let (owner, name) = path.into_inner();
    if !repo_dir(&state.root, &owner, &name).exists() {
        return not_found(github);
    }
    if state.fail_hooks.load(Ordering::SeqCst) {
        return HttpResponse::InternalServerError().json(serde_json::json!({
            "message": "internal error: the hook could not be saved",
        }));
    }
    let id = state.next_id.fetch_add(1, Ordering::SeqCst);
    let hook = Hook {
        provider: if github { "github" } else { "gitea" }.to_owned(),
        repo: format!("{owner}/{name}"),
        id,
        url: body.config.url.clone(),
        secret: body.config.secret.clone(),
    };
    state.hooks.lock().expect("the hooks").push(hook);
    let config = serde_json::json!({"url": body.config.url, "content_type": "json"});
    HttpResponse::Created().json(if github {
        serde_json::json!({
            "type": "Repository", "id": id, "name": "web", "active": true,
            "events": body.events, "config": config,
            "url": format!("{}/github/repos/{owner}/{name}/hooks/{id}", state.address),
        })
    } else {
        serde_json::json!({
            "id": id, "type": "gitea", "branch_filter": "*", "config": config,
            "events": body.events, "authorization_header": "", "active": true,
        })
    })
}

async fn gitea_create_hook(
    request: HttpRequest,
    state: Shared,
    path: web::Path<(String, String)>,
    body: web::Json<CreateHook>,
) -> HttpResponse {
    create_hook(&request, &state, path, &body)
}

async fn github_create_hook(
    request: HttpRequest,
    state: Shared,
    path: web::Path<(String, String)>,
    body: web::Json<CreateHook>,
) -> HttpResponse {
    create_hook(&request, &state, path, &body)
}

async fn delete_hook(
    request: HttpRequest,
    state: Shared,
    path: web::Path<(String, String, i64)>,
) -> HttpResponse {
    let github = is_github(&request);
    if !allowed(&request, &state) {
        return refused(github);
    }
    let (owner, name, id) = path.into_inner();
    let full = format!("{owner}/{name}");
    let mut hooks = state.hooks.lock().expect("the hooks");
    let before = hooks.len();
    hooks.retain(|h| !(h.repo == full && h.id == id));
    if hooks.len() == before {
        return not_found(github);
    }
    HttpResponse::NoContent().finish()
}

/// The branches of a bare repository: `(ref, commit)`.
fn refs_of(dir: &Path) -> Vec<(String, String)> {
    let Ok(out) = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(dir)
        .args([
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/heads",
        ])
        .output()
    else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(r, c)| (r.to_owned(), c.to_owned()))
        .collect()
}

/// `git http-backend` behind HTTP: clone, fetch and push of the repositories under `/git/`.
/// A request needs Basic authentication whose password is the good token.
async fn git_backend(request: HttpRequest, body: web::Bytes, state: Shared) -> HttpResponse {
    let authorization = record(&request, &state);
    let Some(path) = request.path().strip_prefix("/git") else {
        return HttpResponse::NotFound().finish();
    };
    let password_ok = authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .is_some_and(|pair| pair.split_once(':').is_some_and(|(_, p)| p == GOOD_TOKEN));
    if !password_ok {
        return HttpResponse::Unauthorized()
            .insert_header(("WWW-Authenticate", "Basic realm=\"git\""))
            .finish();
    }
    let pushing = path.ends_with("/git-receive-pack");
    let repo = path.split_once(".git/").map(|(r, _)| {
        state
            .root
            .join(format!("{}.git", r.trim_start_matches('/')))
    });
    let before = repo.as_deref().filter(|_| pushing).map(refs_of);

    let mut command = tokio::process::Command::new("git");
    command
        .arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", &state.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", path)
        .env("QUERY_STRING", request.query_string())
        .env("REQUEST_METHOD", request.method().as_str())
        .env("REMOTE_USER", "gmac")
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("CONTENT_LENGTH", body.len().to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(kind) = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
    {
        command.env("CONTENT_TYPE", kind);
    }
    if let Some(encoding) = request
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
    {
        command.env("HTTP_CONTENT_ENCODING", encoding);
    }
    if let Some(protocol) = request
        .headers()
        .get("git-protocol")
        .and_then(|v| v.to_str().ok())
    {
        command.env("GIT_PROTOCOL", protocol);
    }
    let mut child = command.spawn().expect("starting git http-backend");
    let mut stdin = child.stdin.take().expect("its stdin");
    let feed = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let _ = stdin.write_all(&body).await;
    });
    let out = child.wait_with_output().await.expect("git http-backend");
    let _ = feed.await;
    let response = cgi_response(&out.stdout, &out.stderr);
    if let (Some(dir), Some(before)) = (repo, before) {
        deliver_pushes(&state, &dir, &before).await;
    }
    response
}

/// The HTTP answer of a CGI program's output: its headers (`Status:` as the status), a blank
/// line, then the body.
fn cgi_response(raw: &[u8], stderr: &[u8]) -> HttpResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((at, gap)) = split else {
        return HttpResponse::InternalServerError()
            .body(String::from_utf8_lossy(stderr).into_owned());
    };
    let head = String::from_utf8_lossy(&raw[..at]).into_owned();
    let mut response = HttpResponse::Ok();
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value
                .split_whitespace()
                .next()
                .and_then(|c| c.parse().ok())
                .unwrap_or(500);
            response.status(actix_web::http::StatusCode::from_u16(code).unwrap_or_default());
        } else {
            response.insert_header((name.to_owned(), value.to_owned()));
        }
    }
    response.body(raw[at + gap..].to_vec())
}

/// Posts the push event of every branch that moved to each hook of the repository, signed as
/// the host signs it.
async fn deliver_pushes(state: &State, dir: &Path, before: &[(String, String)]) {
    let after = refs_of(dir);
    let Ok(relative) = dir.strip_prefix(&state.root) else {
        return;
    };
    let full = relative
        .to_string_lossy()
        .trim_end_matches(".git")
        .to_owned();
    let hooks: Vec<Hook> = state
        .hooks
        .lock()
        .expect("the hooks")
        .iter()
        .filter(|h| h.repo == full)
        .cloned()
        .collect();
    let zero = "0".repeat(40);
    for (name, commit) in &after {
        let old = before
            .iter()
            .find(|(r, _)| r == name)
            .map_or(zero.clone(), |(_, c)| c.clone());
        if old == *commit {
            continue;
        }
        for hook in &hooks {
            let github = hook.provider == "github";
            let body = serde_json::json!({
                "ref": name, "before": old, "after": commit,
                "repository": {"full_name": full, "clone_url": format!("{}/git/{full}.git", state.address)},
                "pusher": {"login": "gmac-bot"},
                "head_commit": {"id": commit},
                "commits": [{"id": commit}],
            })
            .to_string();
            let signature = sign(&hook.secret, body.as_bytes());
            let client = reqwest::Client::new();
            let mut request = client
                .post(&hook.url)
                .header("content-type", "application/json")
                .body(body.clone());
            request = if github {
                request
                    .header("X-GitHub-Event", "push")
                    .header("X-GitHub-Delivery", uuid::Uuid::new_v4().to_string())
                    .header("X-Hub-Signature-256", format!("sha256={signature}"))
            } else {
                request
                    .header("X-Gitea-Event", "push")
                    .header("X-Gitea-Delivery", uuid::Uuid::new_v4().to_string())
                    .header("X-Gitea-Signature", signature)
            };
            let status = request.send().await.map_or(0, |r| r.status().as_u16());
            state
                .deliveries
                .lock()
                .expect("the deliveries")
                .push((hook.url.clone(), status, body));
        }
    }
    deliver_deletions(state, &hooks, &full, before, &after).await;
}

/// The deliveries of the branches a push deleted: GitHub delivers a push whose `after` is all
/// zeros; Gitea a `delete` event naming the branch.
async fn deliver_deletions(
    state: &State,
    hooks: &[Hook],
    full: &str,
    before: &[(String, String)],
    after: &[(String, String)],
) {
    let zero = "0".repeat(40);
    for (name, commit) in before
        .iter()
        .filter(|(r, _)| after.iter().all(|(a, _)| a != r))
    {
        for hook in hooks {
            let github = hook.provider == "github";
            let branch = name.strip_prefix("refs/heads/").unwrap_or(name);
            let (event, body) = if github {
                let body = serde_json::json!({
                    "ref": name, "before": commit, "after": zero, "deleted": true,
                    "repository": {"full_name": full},
                });
                ("push", body.to_string())
            } else {
                let body = serde_json::json!({
                    "ref": branch, "ref_type": "branch", "pusher_type": "user",
                    "repository": {"full_name": full},
                });
                ("delete", body.to_string())
            };
            let signature = sign(&hook.secret, body.as_bytes());
            let mut request = reqwest::Client::new()
                .post(&hook.url)
                .header("content-type", "application/json")
                .body(body.clone());
            request = if github {
                request
                    .header("X-GitHub-Event", event)
                    .header("X-Hub-Signature-256", format!("sha256={signature}"))
            } else {
                request
                    .header("X-Gitea-Event", event)
                    .header("X-Gitea-Signature", signature)
            };
            let status = request.send().await.map_or(0, |r| r.status().as_u16());
            state
                .deliveries
                .lock()
                .expect("the deliveries")
                .push((hook.url.clone(), status, body));
        }
    }
}

/// HMAC-SHA256 of `body` under `secret`, hex.
pub fn sign(secret: &str, body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("any key length works");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Runs a developer's `git` in `dir`, signed in to the fake with the good token, without
/// blocking the caller's runtime (which may serve the test database's connections); answers
/// its output, trimmed.
pub async fn developer_git(dir: &Path, args: &[&str]) -> String {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("dev:{GOOD_TOKEN}"));
    let out = tokio::process::Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_COUNT", "3")
        .env("GIT_CONFIG_KEY_0", "http.extraHeader")
        .env("GIT_CONFIG_VALUE_0", format!("Authorization: Basic {auth}"))
        .env("GIT_CONFIG_KEY_1", "user.name")
        .env("GIT_CONFIG_VALUE_1", "Dev")
        .env("GIT_CONFIG_KEY_2", "user.email")
        .env("GIT_CONFIG_VALUE_2", "dev@example.com")
        .args(args)
        .output()
        .await
        .expect("running git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
