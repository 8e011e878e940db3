//! Git hosts: where gmac creates a service's repository and hears its pushes from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::secret::SecretText;

/// The kind of git host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum GitProvider {
    /// Gitea (or Forgejo), through its API v1; `base_url` is the site, e.g.
    /// `https://gitea.example.com`.
    Gitea,
    /// GitHub through its REST API; `base_url` is the API, `https://api.github.com` or a GitHub
    /// Enterprise server's `https://host/api/v3`.
    Github,
    /// Any remote over smart HTTP, for clone and push; `base_url` is the prefix its
    /// repositories live under, e.g. `https://git.example.com/git`.
    Git,
}

impl GitProvider {
    /// The wire id.
    pub const fn id(self) -> &'static str {
        match self {
            GitProvider::Gitea => "gitea",
            GitProvider::Github => "github",
            GitProvider::Git => "git",
        }
    }

    /// Parses a wire id.
    pub fn from_id(id: &str) -> Option<Self> {
        [GitProvider::Gitea, GitProvider::Github, GitProvider::Git]
            .into_iter()
            .find(|p| p.id() == id)
    }

    /// Its name for a person.
    pub const fn label(self) -> &'static str {
        match self {
            GitProvider::Gitea => "Gitea",
            GitProvider::Github => "GitHub",
            GitProvider::Git => "Git over HTTP",
        }
    }
}

/// The outcome of a connection's last test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GitConnectionTest {
    /// When it ran.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub tested_at: DateTime<Utc>,
    /// Whether the host accepted the token.
    pub ok: bool,
    /// What it said, for a person.
    pub detail: String,
}

/// A git host gmac may create repositories on. The token is never returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GitConnection {
    /// A `UUIDv7`.
    pub id: String,
    /// The client whose connection it is; absent for the whole installation.
    #[serde(default)]
    pub client_id: Option<String>,
    /// A label.
    pub name: String,
    /// The kind of host.
    pub provider: GitProvider,
    /// The API's base URL (for `git`, the remotes' prefix).
    pub base_url: String,
    /// The token's last four characters, to tell tokens apart.
    #[serde(default)]
    pub token_hint: Option<String>,
    /// The account the token signs in as, from the last test.
    #[serde(default)]
    pub account: Option<String>,
    /// The last test, if the connection was tested.
    #[serde(default)]
    pub last_test: Option<GitConnectionTest>,
    /// When it was connected.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Bumped on every change.
    pub version: i64,
}

/// Connects a git host. For Gitea and GitHub the token is tested against the host's API
/// first, and nothing is saved unless the host accepts it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewGitConnection {
    /// The kind of host.
    pub provider: GitProvider,
    /// `http(s)://…`: the API's base URL (for `git`, the remotes' prefix).
    #[cfg_attr(
        feature = "openapi",
        schema(example = "https://gitea.example.com", max_length = 2000)
    )]
    pub base_url: String,
    /// An access token: required for Gitea and GitHub (it needs to create repositories and
    /// webhooks); for `git`, the password pushes use, if the remote asks for one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 1000))]
    pub token: Option<SecretText>,
    /// The client whose connection it is; absent for the whole installation.
    #[serde(default)]
    pub client_id: Option<String>,
    /// A label, 1 to 100 characters; the host's name when absent.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: Option<String>,
}
