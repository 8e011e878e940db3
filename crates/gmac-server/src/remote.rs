//! Command-line commands that talk to a running gmac over its REST API, with a stored API
//! token (`gmac login --token`), through the same typed client as the SPA and the tests.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// Where `gmac login` keeps the URL and token: `$GMAC_CREDENTIALS`, else
/// `$XDG_CONFIG_HOME/gmac/credentials.json`, else `~/.config/gmac/credentials.json`.
pub fn credentials_path() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("GMAC_CREDENTIALS") {
        return Ok(PathBuf::from(path));
    }
    let base = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".config"),
    };
    Ok(base.join("gmac/credentials.json"))
}

/// A stored sign-in.
#[derive(Clone, Serialize, Deserialize)]
struct Credentials {
    url: String,
    token: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

fn save(credentials: &Credentials) -> anyhow::Result<PathBuf> {
    let path = credentials_path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let json = serde_json::to_string_pretty(credentials)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        file.write_all(json.as_bytes())?;
    }
    #[cfg(not(unix))]
    std::fs::write(&path, json)?;
    Ok(path)
}

fn load() -> anyhow::Result<Credentials> {
    // The environment wins, so scripts need no file.
    if let Ok(token) = std::env::var("GMAC_TOKEN") {
        let url = std::env::var("GMAC_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned());
        return Ok(Credentials { url, token });
    }
    let path = credentials_path()?;
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "not signed in ({} not found): run `gmac login --token …`",
            path.display()
        )
    })?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a credentials file", path.display()))
}

fn client(credentials: &Credentials) -> anyhow::Result<gmac_client::Client> {
    Ok(gmac_client::Client::new(&credentials.url)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_token(credentials.token.clone()))
}

#[expect(clippy::needless_pass_by_value, reason = "used as a map_err callback")]
fn explain(err: gmac_client::ApiError) -> anyhow::Error {
    match err.status() {
        Some(401) => anyhow::anyhow!(
            "the token was refused ({}): it may be revoked or expired",
            err.message()
        ),
        _ => anyhow::anyhow!("{}", err.message()),
    }
}

fn describe(me: &gmac_types::Me) -> String {
    let roles: Vec<String> = me
        .roles
        .iter()
        .map(|g| {
            let scope = match &g.scope {
                gmac_types::Scope::Global => "global".to_owned(),
                gmac_types::Scope::Client { id } => format!("client {id}"),
                gmac_types::Scope::Project { id } => format!("project {id}"),
            };
            format!("{} ({scope})", g.role)
        })
        .collect();
    let permissions: Vec<&str> = me.permissions.iter().map(|p| p.id()).collect();
    format!(
        "{} <{}>\n  id:          {}\n  via:         {:?}\n  roles:       {}\n  permissions: {}",
        me.display_name,
        me.email,
        me.id,
        me.authenticated_via,
        if roles.is_empty() {
            "none".to_owned()
        } else {
            roles.join(", ")
        },
        if permissions.is_empty() {
            "none".to_owned()
        } else {
            permissions.join(", ")
        },
    )
}

/// `gmac login --token`: checks the token against the server, then stores it.
pub async fn login(url: &str, token: Option<String>, token_stdin: bool) -> anyhow::Result<String> {
    let token = match (token, token_stdin) {
        (Some(token), false) => token,
        (None, true) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the token")?;
            line.trim().to_owned()
        }
        _ => bail!("give the token with --token TOKEN or on standard input with --token-stdin"),
    };
    if !token.starts_with(gmac_core::services::tokens::PREFIX) {
        bail!(
            "that is not a gmac API token (they start with gmac_); create one under Security → API tokens"
        );
    }
    let credentials = Credentials {
        url: url.trim_end_matches('/').to_owned(),
        token,
    };
    let me = client(&credentials)?.me().await.map_err(explain)?;
    let path = save(&credentials)?;
    Ok(format!(
        "Signed in to {} as {}\nCredentials saved to {}",
        credentials.url,
        describe(&me),
        path.display()
    ))
}

/// `gmac whoami`.
pub async fn whoami() -> anyhow::Result<String> {
    let credentials = load()?;
    let me = client(&credentials)?.me().await.map_err(explain)?;
    Ok(format!(
        "{}\n  server:      {}",
        describe(&me),
        credentials.url
    ))
}

/// `gmac logout`: forgets the stored token (it stays valid until revoked or expired).
pub fn logout() -> anyhow::Result<String> {
    let path = credentials_path()?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(format!(
            "Removed {}. The token itself stays valid until you revoke it.",
            path.display()
        )),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok("Not signed in.".to_owned()),
        Err(err) => Err(err).with_context(|| format!("removing {}", path.display())),
    }
}
