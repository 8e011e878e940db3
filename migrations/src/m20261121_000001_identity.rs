//! Users, sessions with rotating refresh tokens, first-run setup tokens, role bindings, and the
//! hash-chained audit log.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index, IntoIden,
    MigrationTrait, Query, SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, big_integer_uniq, integer, string, string_null, string_uniq, text,
    timestamp_with_time_zone, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    #[expect(
        clippy::too_many_lines,
        reason = "one migration creates one coherent set of tables"
    )]
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(string(Users::Id).primary_key())
                    .col(string_uniq(Users::Email))
                    .col(string(Users::DisplayName))
                    .col(string_null(Users::PasswordHash))
                    .col(string(Users::Status))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string(Sessions::Id).primary_key())
                    .col(string(Sessions::UserId))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(string_null(Sessions::Ip))
                    .col(string_null(Sessions::UserAgent))
                    .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                    .col(string_null(Sessions::RevokedReason))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sessions_user_id")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(string(RefreshTokens::Id).primary_key())
                    .col(string(RefreshTokens::SessionId))
                    .col(string_uniq(RefreshTokens::TokenHash))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshTokens::Table, RefreshTokens::SessionId)
                            .to(Sessions::Table, Sessions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_refresh_tokens_session_id")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::SessionId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SetupTokens::Table)
                    .col(string(SetupTokens::Id).primary_key())
                    .col(string_uniq(SetupTokens::TokenHash))
                    .col(timestamp_with_time_zone(SetupTokens::CreatedAt))
                    .col(timestamp_with_time_zone(SetupTokens::ExpiresAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoleBindings::Table)
                    .col(string(RoleBindings::Id).primary_key())
                    .col(string(RoleBindings::SubjectType))
                    .col(string(RoleBindings::SubjectId))
                    .col(string(RoleBindings::RoleId))
                    .col(string(RoleBindings::ScopeType))
                    .col(string_null(RoleBindings::ScopeId))
                    .col(timestamp_with_time_zone(RoleBindings::CreatedAt))
                    .col(string_null(RoleBindings::CreatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_role_bindings_subject")
                    .table(RoleBindings::Table)
                    .col(RoleBindings::SubjectType)
                    .col(RoleBindings::SubjectId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(string(AuditLog::Id).primary_key())
                    .col(big_integer_uniq(AuditLog::Seq))
                    .col(timestamp_with_time_zone(AuditLog::OccurredAt))
                    .col(string(AuditLog::ActorType))
                    .col(string_null(AuditLog::ActorId))
                    .col(string_null(AuditLog::ActorLabel))
                    .col(string(AuditLog::Action))
                    .col(string_null(AuditLog::TargetType))
                    .col(string_null(AuditLog::TargetId))
                    .col(string_null(AuditLog::ScopeType))
                    .col(string_null(AuditLog::ScopeId))
                    .col(string_null(AuditLog::Ip))
                    .col(string_null(AuditLog::RequestId))
                    .col(string(AuditLog::Outcome))
                    .col(text(AuditLog::Details))
                    .col(string(AuditLog::PrevHash))
                    .col(string(AuditLog::Hash))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_audit_log_occurred_at", AuditLog::OccurredAt),
            ("ix_audit_log_actor_id", AuditLog::ActorId),
            ("ix_audit_log_action", AuditLog::Action),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditLog::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        // One row holds the head of the chain. Writers update it first, which serializes them
        // (a row lock on PostgreSQL, the write lock on SQLite).
        manager
            .create_table(
                Table::create()
                    .table(AuditChain::Table)
                    .col(integer(AuditChain::Id).primary_key())
                    .col(big_integer(AuditChain::LastSeq))
                    .col(string(AuditChain::LastHash))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditChain::Table)
                    .columns([AuditChain::Id, AuditChain::LastSeq, AuditChain::LastHash])
                    .values_panic([1.into(), 0.into(), GENESIS_HASH.into()])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditChain::Table.into_iden(),
            AuditLog::Table.into_iden(),
            RoleBindings::Table.into_iden(),
            SetupTokens::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The `prev_hash` of the first audit row: 64 hex zeros.
const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    PasswordHash,
    Status,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    Ip,
    UserAgent,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum SetupTokens {
    Table,
    Id,
    TokenHash,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum RoleBindings {
    Table,
    Id,
    SubjectType,
    SubjectId,
    RoleId,
    ScopeType,
    ScopeId,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Seq,
    OccurredAt,
    ActorType,
    ActorId,
    ActorLabel,
    Action,
    TargetType,
    TargetId,
    ScopeType,
    ScopeId,
    Ip,
    RequestId,
    Outcome,
    Details,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditChain {
    Table,
    Id,
    LastSeq,
    LastHash,
}
