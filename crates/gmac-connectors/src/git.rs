//! Gitea's API v1 and GitHub's REST API through `reqwest`, connecting only where the egress
//! policy allows.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gmac_core::egress::EgressPolicy;
use gmac_core::ports::{
    Checkout, GitHostAccess, GitHostError, GitHosts, GitRemote, HostedRepository, NewCommit,
    RepositoryRef,
};
use gmac_types::GitProvider;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The hosts' REST APIs.
#[derive(Clone, Debug)]
pub struct HttpGitHosts {
    http: reqwest::Client,
    egress: Arc<EgressPolicy>,
}

impl HttpGitHosts {
    /// A client bound by `egress`.
    pub fn new(egress: Arc<EgressPolicy>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("gmac/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            // A redirect could lead anywhere; the API answers where it is asked.
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(EgressResolver(egress.clone())))
            .build()?;
        Ok(Self { http, egress })
    }

    fn request(&self, access: &GitHostAccess, path: &str) -> reqwest::RequestBuilder {
        self.call(access, reqwest::Method::GET, path)
    }

    fn call(
        &self,
        access: &GitHostAccess,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let url = format!("{}{path}", access.base_url.trim_end_matches('/'));
        let mut request = self.http.request(method, url);
        if let Some(token) = &access.token {
            request = match access.provider {
                // Gitea takes `token <t>`; GitHub and smart-HTTP remotes a bearer token.
                GitProvider::Gitea => {
                    request.header(reqwest::header::AUTHORIZATION, format!("token {token}"))
                }
                GitProvider::Github | GitProvider::Git => request.bearer_auth(token),
            };
        }
        if access.provider == GitProvider::Github {
            request = request
                .header(reqwest::header::ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28");
        }
        request
    }
}

/// Resolves names through the egress policy, so the address connected to is one it checked.
#[derive(Debug)]
pub(crate) struct EgressResolver(pub(crate) Arc<EgressPolicy>);

impl Resolve for EgressResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let egress = self.0.clone();
        Box::pin(async move {
            let ips = egress.resolve(name.as_str()).await?;
            let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// Sends `request` and reads a JSON answer, sorting failures into refusals and outages.
async fn send_json(
    request: reqwest::RequestBuilder,
    what: &str,
) -> Result<(reqwest::StatusCode, serde_json::Value), GitHostError> {
    let response = request.send().await.map_err(|e| {
        GitHostError::Unavailable(format!("{what}: the host could not be reached ({e})"))
    })?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
    if status.is_success() || status == reqwest::StatusCode::NOT_FOUND {
        return Ok((status, body));
    }
    let said = body
        .get("message")
        .and_then(serde_json::Value::as_str)
        .map(|m| format!(": {}", m.chars().take(300).collect::<String>()))
        .unwrap_or_default();
    let message = format!("{what}: the host answered HTTP {}{said}", status.as_u16());
    Err(
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            GitHostError::Unavailable(message)
        } else {
            GitHostError::Refused(message)
        },
    )
}

/// The path segment of a repository: `owner/name`, each percent-encoded.
fn repo_path(repo: &RepositoryRef) -> String {
    format!("{}/{}", segment(&repo.owner), segment(&repo.name))
}

fn segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

impl HttpGitHosts {
    async fn check(&self, url: &str) -> Result<(), GitHostError> {
        self.egress.check_url(url).await.map_err(|denied| {
            GitHostError::Refused(format!("gmac may not connect there: {denied}"))
        })
    }

    /// Runs `git` with `args` in `dir`, its credentials in its environment (never on its
    /// command line), no prompts, config or helpers of the host's, and only HTTP(S).
    async fn git(
        &self,
        remote: &GitRemote,
        dir: &std::path::Path,
        args: &[&str],
    ) -> Result<String, GitHostError> {
        let out = self.git_bytes(remote, dir, args).await?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// [`HttpGitHosts::git`], answering what git wrote as bytes (an archive).
    async fn git_bytes(
        &self,
        remote: &GitRemote,
        dir: &std::path::Path,
        args: &[&str],
    ) -> Result<Vec<u8>, GitHostError> {
        use base64::Engine;
        let mut command = tokio::process::Command::new("git");
        command
            .current_dir(dir)
            .args([
                "-c",
                "http.followRedirects=false",
                "-c",
                "http.lowSpeedLimit=1000",
                "-c",
                "http.lowSpeedTime=30",
                "-c",
                "credential.helper=",
                "-c",
                "core.hooksPath=/dev/null",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ALLOW_PROTOCOL", "http:https")
            .env("LC_ALL", "C")
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        if let Some(token) = &remote.token {
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{token}", remote.username));
            command
                .env("GIT_CONFIG_COUNT", "1")
                .env("GIT_CONFIG_KEY_0", "http.extraHeader")
                .env(
                    "GIT_CONFIG_VALUE_0",
                    format!("Authorization: Basic {basic}"),
                );
        }
        let run = tokio::time::timeout(Duration::from_mins(5), command.output())
            .await
            .map_err(|_| GitHostError::Unavailable("git took over 5 minutes".to_owned()))?
            .map_err(|e| GitHostError::Unavailable(format!("git could not be run ({e})")))?;
        let stderr = String::from_utf8_lossy(&run.stderr);
        if run.status.success() {
            return Ok(run.stdout);
        }
        let mut said: String = stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(6)
            .collect::<Vec<_>>()
            .join(" / ");
        if let Some(token) = &remote.token {
            said = said.replace(token.as_str(), "••••••");
        }
        let outage = [
            "error: 5",
            "returned error: 5",
            "Could not resolve",
            "Failed to connect",
            "Connection refused",
            "timed out",
            "Operation too slow",
        ];
        let verb = args
            .iter()
            .find(|a| !a.starts_with('-') && !a.contains('='))
            .unwrap_or(&"");
        Err(if outage.iter().any(|o| said.contains(o)) {
            GitHostError::Unavailable(format!("git {verb}: {said}"))
        } else {
            GitHostError::Refused(format!("git {verb}: {said}"))
        })
    }
}

#[async_trait::async_trait]
impl GitHosts for HttpGitHosts {
    async fn account(&self, access: &GitHostAccess) -> anyhow::Result<String> {
        self.egress
            .check_url(&access.base_url)
            .await
            .map_err(|denied| anyhow::anyhow!("gmac may not connect there: {denied}"))?;
        let path = match access.provider {
            GitProvider::Gitea => "/api/v1/user",
            GitProvider::Github => "/user",
            GitProvider::Git => anyhow::bail!("a plain git remote has no API to sign in to"),
        };
        let response = self
            .request(access, path)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{} could not be reached ({e})", access.base_url))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            anyhow::bail!("the host refused the token (HTTP {})", status.as_u16());
        }
        if !status.is_success() {
            anyhow::bail!(
                "{path} answered HTTP {}; is {} the API's address?",
                status.as_u16(),
                access.base_url
            );
        }
        let user: serde_json::Value = response
            .json()
            .await
            .map_err(|_| anyhow::anyhow!("{path} did not answer with a user; is this the API?"))?;
        user.get("login")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("{path} answered without a login"))
    }

    async fn create_repository(
        &self,
        access: &GitHostAccess,
        repo: &RepositoryRef,
        description: &str,
    ) -> Result<HostedRepository, GitHostError> {
        self.check(&access.base_url).await?;
        let base = access.base_url.trim_end_matches('/');
        if access.provider == GitProvider::Git {
            return Ok(HostedRepository {
                clone_url: format!("{base}/{}.git", repo_path(repo)),
                html_url: None,
            });
        }
        let login = self
            .account(access)
            .await
            .map_err(|e| GitHostError::Unavailable(e.to_string()))?;
        let path = match (access.provider, login == repo.owner) {
            (GitProvider::Gitea, true) => "/api/v1/user/repos".to_owned(),
            (GitProvider::Gitea, false) => format!("/api/v1/orgs/{}/repos", segment(&repo.owner)),
            (_, true) => "/user/repos".to_owned(),
            (_, false) => format!("/orgs/{}/repos", segment(&repo.owner)),
        };
        let body = serde_json::json!({
            "name": repo.name,
            "description": description,
            "private": true,
            "auto_init": false,
        });
        let (status, answer) = send_json(
            self.call(access, reqwest::Method::POST, &path).json(&body),
            "creating the repository",
        )
        .await?;
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(GitHostError::Refused(format!(
                "creating the repository: {} is neither the token's account ({login}) nor an organisation it may create repositories in",
                repo.owner
            )));
        }
        let clone_url = answer
            .get("clone_url")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| {
                GitHostError::Unavailable("the host answered without a clone_url".to_owned())
            })?;
        Ok(HostedRepository {
            clone_url: clone_url.to_owned(),
            html_url: answer
                .get("html_url")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
        })
    }

    async fn delete_repository(
        &self,
        access: &GitHostAccess,
        repo: &RepositoryRef,
    ) -> Result<(), GitHostError> {
        if access.provider == GitProvider::Git {
            return Err(GitHostError::Refused(
                "a plain git remote has no API to delete a repository with".to_owned(),
            ));
        }
        self.check(&access.base_url).await?;
        let path = match access.provider {
            GitProvider::Gitea => format!("/api/v1/repos/{}", repo_path(repo)),
            _ => format!("/repos/{}", repo_path(repo)),
        };
        send_json(
            self.call(access, reqwest::Method::DELETE, &path),
            "deleting the repository",
        )
        .await
        .map(drop)
    }

    async fn create_webhook(
        &self,
        access: &GitHostAccess,
        repo: &RepositoryRef,
        url: &str,
        secret: &str,
    ) -> Result<String, GitHostError> {
        self.check(&access.base_url).await?;
        let (path, body) = match access.provider {
            GitProvider::Gitea => (
                format!("/api/v1/repos/{}/hooks", repo_path(repo)),
                serde_json::json!({
                    "type": "gitea",
                    "config": {"url": url, "content_type": "json", "secret": secret},
                    "events": ["push"],
                    "active": true,
                }),
            ),
            GitProvider::Github => (
                format!("/repos/{}/hooks", repo_path(repo)),
                serde_json::json!({
                    "name": "web",
                    "config": {"url": url, "content_type": "json", "secret": secret, "insecure_ssl": "0"},
                    "events": ["push"],
                    "active": true,
                }),
            ),
            GitProvider::Git => {
                return Err(GitHostError::Refused(
                    "a plain git remote has no webhooks; a post-receive hook calls gmac".to_owned(),
                ));
            }
        };
        let (status, answer) = send_json(
            self.call(access, reqwest::Method::POST, &path).json(&body),
            "registering the webhook",
        )
        .await?;
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(GitHostError::Refused(
                "registering the webhook: the repository is not there".to_owned(),
            ));
        }
        answer
            .get("id")
            .and_then(|id| {
                id.as_i64()
                    .map(|n| n.to_string())
                    .or_else(|| id.as_str().map(str::to_owned))
            })
            .ok_or_else(|| {
                GitHostError::Unavailable("the host answered without the webhook's id".to_owned())
            })
    }

    async fn delete_webhook(
        &self,
        access: &GitHostAccess,
        repo: &RepositoryRef,
        id: &str,
    ) -> Result<(), GitHostError> {
        self.check(&access.base_url).await?;
        let path = match access.provider {
            GitProvider::Gitea => {
                format!("/api/v1/repos/{}/hooks/{}", repo_path(repo), segment(id))
            }
            GitProvider::Github => format!("/repos/{}/hooks/{}", repo_path(repo), segment(id)),
            GitProvider::Git => return Ok(()),
        };
        send_json(
            self.call(access, reqwest::Method::DELETE, &path),
            "removing the webhook",
        )
        .await
        .map(drop)
    }

    async fn branches(&self, remote: &GitRemote) -> Result<Vec<(String, String)>, GitHostError> {
        self.check(&remote.url).await?;
        let dir = tempfile::tempdir()
            .map_err(|e| GitHostError::Unavailable(format!("a work folder: {e}")))?;
        let out = self
            .git(
                remote,
                dir.path(),
                &["ls-remote", "--heads", "--", &remote.url],
            )
            .await?;
        Ok(out
            .lines()
            .filter_map(|line| {
                let (commit, name) = line.split_once('\t')?;
                Some((
                    name.strip_prefix("refs/heads/")?.to_owned(),
                    commit.to_owned(),
                ))
            })
            .collect())
    }

    async fn push_commit(
        &self,
        remote: &GitRemote,
        commit: &NewCommit,
    ) -> Result<String, GitHostError> {
        self.check(&remote.url).await?;
        let dir = tempfile::tempdir()
            .map_err(|e| GitHostError::Unavailable(format!("a work folder: {e}")))?;
        let work = dir.path().join("work");
        for (path, content) in &commit.files {
            let plain = std::path::Path::new(path).components().all(|c| {
                matches!(c, std::path::Component::Normal(name) if !name.eq_ignore_ascii_case(".git"))
            });
            if !plain || path.is_empty() {
                return Err(GitHostError::Refused(format!(
                    "{path:?} is not a plain relative path inside the repository"
                )));
            }
            let target = work.join(path);
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(|e| GitHostError::Unavailable(format!("writing {path}: {e}")))?;
            }
            tokio::fs::write(&target, content)
                .await
                .map_err(|e| GitHostError::Unavailable(format!("writing {path}: {e}")))?;
        }
        tokio::fs::create_dir_all(&work)
            .await
            .map_err(|e| GitHostError::Unavailable(format!("a work folder: {e}")))?;
        let branch = format!("refs/heads/{}", commit.branch);
        let (name, email) = &commit.author;
        let ident = [format!("user.name={name}"), format!("user.email={email}")];
        self.git(remote, &work, &["init", "-q", "-b", &commit.branch])
            .await?;
        self.git(remote, &work, &["add", "-A"]).await?;
        self.git(
            remote,
            &work,
            &[
                "-c",
                &ident[0],
                "-c",
                &ident[1],
                "commit",
                "-q",
                "-m",
                &commit.message,
            ],
        )
        .await?;
        let id = self.git(remote, &work, &["rev-parse", "HEAD"]).await?;
        self.git(
            remote,
            &work,
            &["push", "-q", "--", &remote.url, &format!("HEAD:{branch}")],
        )
        .await?;
        Ok(id.trim().to_owned())
    }

    async fn create_branches(
        &self,
        remote: &GitRemote,
        from: &str,
        commit: &str,
        branches: &[String],
    ) -> Result<(), GitHostError> {
        if branches.is_empty() {
            return Ok(());
        }
        self.check(&remote.url).await?;
        let dir = tempfile::tempdir()
            .map_err(|e| GitHostError::Unavailable(format!("a work folder: {e}")))?;
        self.git(remote, dir.path(), &["init", "-q", "--bare"])
            .await?;
        self.git(
            remote,
            dir.path(),
            &[
                "fetch",
                "-q",
                "--depth=1",
                "--",
                &remote.url,
                &format!("refs/heads/{from}"),
            ],
        )
        .await?;
        let head = self
            .git(remote, dir.path(), &["rev-parse", "FETCH_HEAD"])
            .await?;
        if head.trim() != commit {
            return Err(GitHostError::Refused(format!(
                "{from} has moved on from {commit} (it is at {}); the branches were not made",
                head.trim()
            )));
        }
        let refspecs: Vec<String> = branches
            .iter()
            .map(|b| format!("{commit}:refs/heads/{b}"))
            .collect();
        let mut args = vec!["push", "-q", "--", &remote.url];
        args.extend(refspecs.iter().map(String::as_str));
        self.git(remote, dir.path(), &args).await.map(drop)
    }

    async fn checkout(
        &self,
        remote: &GitRemote,
        git_ref: &str,
        max_bytes: usize,
    ) -> Result<Checkout, GitHostError> {
        if git_ref.starts_with('-') || git_ref.contains("..") || git_ref.is_empty() {
            return Err(GitHostError::Refused(format!(
                "{git_ref:?} is not a branch, tag or commit"
            )));
        }
        self.check(&remote.url).await?;
        let dir = tempfile::tempdir()
            .map_err(|e| GitHostError::Unavailable(format!("a work folder: {e}")))?;
        self.git(remote, dir.path(), &["init", "-q", "--bare"])
            .await?;
        self.git(
            remote,
            dir.path(),
            &[
                "fetch",
                "-q",
                "--no-tags",
                "--",
                &remote.url,
                "+refs/heads/*:refs/remotes/origin/*",
                "+refs/tags/*:refs/tags/*",
            ],
        )
        .await?;
        let name = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
        let candidates = [
            format!("refs/remotes/origin/{name}"),
            format!(
                "refs/tags/{}",
                name.strip_prefix("refs/tags/").unwrap_or(name)
            ),
            name.to_owned(),
        ];
        let mut commit = None;
        for candidate in &candidates {
            if let Ok(id) = self
                .git(
                    remote,
                    dir.path(),
                    &[
                        "rev-parse",
                        "--verify",
                        "-q",
                        &format!("{candidate}^{{commit}}"),
                    ],
                )
                .await
            {
                commit = Some(id.trim().to_owned());
                break;
            }
        }
        let commit = commit.ok_or_else(|| {
            GitHostError::Refused(format!(
                "the repository has no branch, tag or commit {git_ref:?}"
            ))
        })?;
        let archive = self
            .git_bytes(remote, dir.path(), &["archive", "--format=tar", &commit])
            .await?;
        if archive.len() > max_bytes {
            return Err(GitHostError::Refused(format!(
                "the checkout is {} MB, over the {} MB a build context may be",
                archive.len() / 1_000_000,
                max_bytes / 1_000_000
            )));
        }
        Ok(Checkout { commit, archive })
    }
}
