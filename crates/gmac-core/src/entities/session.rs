//! A signed-in browser or client: one family of rotating refresh tokens.

use sea_orm::entity::prelude::*;

/// A `sessions` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// UUIDv7; the `sid` claim of every access token of this session.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Whose session.
    pub user_id: String,
    /// Sign-in time.
    pub created_at: DateTimeUtc,
    /// Last sign-in or refresh.
    pub last_seen_at: DateTimeUtc,
    /// The session ends at this time however active it is.
    pub expires_at: DateTimeUtc,
    /// The client's IP address at the last sign-in or refresh.
    pub ip: Option<String>,
    /// The client's user agent at the last sign-in or refresh.
    pub user_agent: Option<String>,
    /// Set when the session was ended.
    pub revoked_at: Option<DateTimeUtc>,
    /// Why the session was ended: `logout`, `refresh_token_reuse`, ...
    pub revoked_reason: Option<String>,
    /// When a second factor was last verified in this session.
    pub mfa_at: Option<DateTimeUtc>,
}

/// A session belongs to its user (joined when resolving an access token).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The session's user.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
