//! One audit-log entry, chained to the one before it by its hash.

use sea_orm::entity::prelude::*;

/// An `audit_log` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Position in the chain, from 1, without gaps.
    #[sea_orm(unique)]
    pub seq: i64,
    /// When it happened.
    pub occurred_at: DateTimeUtc,
    /// `user`, `token`, `anonymous` or `system`.
    pub actor_type: String,
    /// The user's or token's id.
    pub actor_id: Option<String>,
    /// A readable name for the actor (an email address, `cli`, ...).
    pub actor_label: Option<String>,
    /// What was done, e.g. `auth.login`.
    pub action: String,
    /// The kind of object acted on.
    pub target_type: Option<String>,
    /// The object acted on.
    pub target_id: Option<String>,
    /// `global`, `client` or `project`.
    pub scope_type: Option<String>,
    /// The client's or project's id.
    pub scope_id: Option<String>,
    /// The client's IP address.
    pub ip: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    /// A JSON summary (before/after, reasons), with secrets redacted.
    #[sea_orm(column_type = "Text")]
    pub details: String,
    /// The hash of the entry before this one.
    pub prev_hash: String,
    /// HMAC-SHA256 over `prev_hash` and this entry under the audit key of `key_version`, hex.
    pub hash: String,
    /// Which audit key links this entry (0: plain SHA-256, before the chain was keyed).
    pub key_version: i32,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
