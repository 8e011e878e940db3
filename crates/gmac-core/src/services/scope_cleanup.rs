//! What must go when a client, project, team or user goes: the grants and open invitations
//! and tokens that point at it. Called inside the deleting transaction.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::Result;
use crate::entities::{api_token, invitation, role_binding};

/// Removes role bindings, pending invitations and API tokens scoped to `scope_type`/`id`.
pub async fn remove_scope(
    conn: &impl ConnectionTrait,
    scope_type: &str,
    id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    role_binding::Entity::delete_many()
        .filter(role_binding::Column::ScopeType.eq(scope_type))
        .filter(role_binding::Column::ScopeId.eq(id))
        .exec(conn)
        .await?;
    invitation::Entity::delete_many()
        .filter(invitation::Column::ScopeType.eq(scope_type))
        .filter(invitation::Column::ScopeId.eq(id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .exec(conn)
        .await?;
    // Tokens are revoked rather than deleted, so their history stays readable.
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::ScopeType.eq(scope_type))
        .filter(api_token::Column::ScopeId.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Removes the role bindings held by a user or team.
pub async fn remove_subject(
    conn: &impl ConnectionTrait,
    subject_type: &str,
    id: &str,
) -> Result<()> {
    role_binding::Entity::delete_many()
        .filter(role_binding::Column::SubjectType.eq(subject_type))
        .filter(role_binding::Column::SubjectId.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
