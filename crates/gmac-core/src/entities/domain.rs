//! A custom domain of an environment.

use sea_orm::entity::prelude::*;

/// A `domains` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domains")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Its environment.
    pub environment_id: String,
    /// The name, lower case; unique in the installation.
    pub name: String,
    /// What its `_gmac-challenge` TXT record must say until it is first verified.
    pub token: String,
    /// `pending`, `verified` or `failing`.
    pub status: String,
    /// When it first pointed at the target.
    pub verified_at: Option<DateTimeUtc>,
    /// When it was last checked.
    pub checked_at: Option<DateTimeUtc>,
    /// A JSON array of the addresses it resolved to at that check.
    #[sea_orm(column_type = "Text")]
    pub addresses: String,
    /// Why that check failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// Its certificate's status at that check.
    pub tls_status: Option<String>,
    /// When that certificate expires.
    pub tls_expires_at: Option<DateTimeUtc>,
    /// Who issued it.
    #[sea_orm(column_type = "Text", nullable)]
    pub tls_issuer: Option<String>,
    /// Why it is not valid.
    #[sea_orm(column_type = "Text", nullable)]
    pub tls_detail: Option<String>,
    /// The expiry an event already warned of (one warning per certificate).
    pub expiry_warned_for: Option<DateTimeUtc>,
    /// Who added it.
    pub created_by: String,
    /// When.
    pub created_at: DateTimeUtc,
    /// Bumped on every change.
    pub version: i64,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
