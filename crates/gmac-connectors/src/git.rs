//! Gitea's API v1 and GitHub's REST API through `reqwest`, connecting only where the egress
//! policy allows.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gmac_core::egress::EgressPolicy;
use gmac_core::ports::{GitHostAccess, GitHosts};
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
        let url = format!("{}{path}", access.base_url.trim_end_matches('/'));
        let mut request = self.http.get(url);
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
struct EgressResolver(Arc<EgressPolicy>);

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
}
