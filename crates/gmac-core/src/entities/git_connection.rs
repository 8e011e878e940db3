//! A git host gmac creates repositories on.

use sea_orm::entity::prelude::*;

/// A `git_connections` row. The token is sealed (AES-256-GCM under the master key), bound to
/// the row's id.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "git_connections")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The client whose connection it is; none for the whole installation.
    pub client_id: Option<String>,
    /// A label.
    pub name: String,
    /// `gitea`, `github` or `git`.
    pub provider: String,
    /// The API's (or, for `git`, the remotes') base URL.
    #[sea_orm(column_type = "Text")]
    pub base_url: String,
    /// The sealed token, if there is one.
    #[sea_orm(column_type = "Text", nullable)]
    pub sealed_token: Option<String>,
    /// The token's last four characters.
    pub token_hint: Option<String>,
    /// The account the token signs in as, from the last test.
    pub account: Option<String>,
    /// When the connection was last tested.
    pub last_test_at: Option<DateTimeUtc>,
    /// Whether the host accepted the token then.
    pub last_test_ok: Option<bool>,
    /// What the test found, for a person.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_test_detail: Option<String>,
    /// Who connected it.
    pub created_by: String,
    /// When.
    pub created_at: DateTimeUtc,
    /// Bumped on every change.
    pub version: i64,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
