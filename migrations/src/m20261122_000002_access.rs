//! Access control: clients and projects, custom roles and role policies, teams, invitations,
//! API tokens, TOTP and recovery codes, sign-in throttling, and profile fields.

use sea_orm_migration::prelude::{
    ColumnDef, DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction,
    ForeignKeyCreateStatement, Index, IntoIden, MigrationTrait, SchemaManager, Table,
    TableCreateStatement, async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, big_integer_null, blob, boolean, integer, string, string_null, text, text_null,
    timestamp_with_time_zone, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        create_indexes(manager).await?;
        add_columns(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuthThrottle::Table.into_iden(),
            RecoveryCodes::Table.into_iden(),
            TotpSecrets::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Invitations::Table.into_iden(),
            UserAvatars::Table.into_iden(),
            TeamMembers::Table.into_iden(),
            Teams::Table.into_iden(),
            RolePolicies::Table.into_iden(),
            Roles::Table.into_iden(),
            Projects::Table.into_iden(),
            Clients::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [
            Users::Timezone.into_iden(),
            Users::DefaultRegion.into_iden(),
            Users::Theme.into_iden(),
            Users::NotificationPrefs.into_iden(),
            Users::PasswordChangedAt.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::MfaAt)
                    .to_owned(),
            )
            .await
    }
}

async fn create_indexes(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let indexes = [
        (
            "ux_clients_name_key",
            Clients::Table.into_iden(),
            vec![Clients::NameKey.into_iden()],
            true,
        ),
        (
            "ux_projects_client_name_key",
            Projects::Table.into_iden(),
            vec![
                Projects::ClientId.into_iden(),
                Projects::NameKey.into_iden(),
            ],
            true,
        ),
        (
            "ix_projects_client_id",
            Projects::Table.into_iden(),
            vec![Projects::ClientId.into_iden()],
            false,
        ),
        (
            "ux_roles_name_key",
            Roles::Table.into_iden(),
            vec![Roles::NameKey.into_iden()],
            true,
        ),
        (
            "ux_teams_name_key",
            Teams::Table.into_iden(),
            vec![Teams::NameKey.into_iden()],
            true,
        ),
        (
            "ix_team_members_user_id",
            TeamMembers::Table.into_iden(),
            vec![TeamMembers::UserId.into_iden()],
            false,
        ),
        (
            "ix_invitations_email",
            Invitations::Table.into_iden(),
            vec![Invitations::Email.into_iden()],
            false,
        ),
        (
            "ix_api_tokens_user_id",
            ApiTokens::Table.into_iden(),
            vec![ApiTokens::UserId.into_iden()],
            false,
        ),
        (
            "ix_recovery_codes_user_id",
            RecoveryCodes::Table.into_iden(),
            vec![RecoveryCodes::UserId.into_iden()],
            false,
        ),
        (
            "ix_role_bindings_scope",
            RoleBindings::Table.into_iden(),
            vec![
                RoleBindings::ScopeType.into_iden(),
                RoleBindings::ScopeId.into_iden(),
            ],
            false,
        ),
    ];
    for (name, table, columns, unique) in indexes {
        let mut index = Index::create();
        index.name(name).table(table);
        for column in columns {
            index.col(column);
        }
        if unique {
            index.unique();
        }
        manager.create_index(index).await?;
    }
    Ok(())
}

async fn add_columns(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    // SQLite adds one column per statement.
    let user_columns: [ColumnDef; 5] = [
        string_null(Users::Timezone),
        string_null(Users::DefaultRegion),
        string_null(Users::Theme),
        text_null(Users::NotificationPrefs),
        timestamp_with_time_zone_null(Users::PasswordChangedAt),
    ];
    for column in user_columns {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
    }
    manager
        .alter_table(
            Table::alter()
                .table(Sessions::Table)
                .add_column(timestamp_with_time_zone_null(Sessions::MfaAt))
                .to_owned(),
        )
        .await
}

fn fk(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    cascade: bool,
) -> ForeignKeyCreateStatement {
    let mut key = ForeignKey::create();
    key.from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(if cascade {
            ForeignKeyAction::Cascade
        } else {
            ForeignKeyAction::Restrict
        });
    key
}

#[expect(
    clippy::too_many_lines,
    reason = "one migration creates one coherent set of tables"
)]
fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table(Clients::Table)
            .col(string(Clients::Id).primary_key())
            .col(string(Clients::Name))
            .col(string(Clients::NameKey))
            .col(text(Clients::Description))
            .col(timestamp_with_time_zone(Clients::CreatedAt))
            .col(timestamp_with_time_zone(Clients::UpdatedAt))
            .col(big_integer(Clients::Version))
            .to_owned(),
        Table::create()
            .table(Projects::Table)
            .col(string(Projects::Id).primary_key())
            .col(string(Projects::ClientId))
            .col(string(Projects::Name))
            .col(string(Projects::NameKey))
            .col(text(Projects::Description))
            .col(timestamp_with_time_zone(Projects::CreatedAt))
            .col(timestamp_with_time_zone(Projects::UpdatedAt))
            .col(big_integer(Projects::Version))
            .foreign_key(&mut fk(
                (Projects::Table, Projects::ClientId),
                (Clients::Table, Clients::Id),
                false,
            ))
            .to_owned(),
        Table::create()
            .table(Roles::Table)
            .col(string(Roles::Id).primary_key())
            .col(string(Roles::Name))
            .col(string(Roles::NameKey))
            .col(text(Roles::Description))
            .col(text(Roles::Permissions))
            .col(text(Roles::ProjectPermissions))
            .col(timestamp_with_time_zone(Roles::CreatedAt))
            .col(timestamp_with_time_zone(Roles::UpdatedAt))
            .col(big_integer(Roles::Version))
            .to_owned(),
        Table::create()
            .table(RolePolicies::Table)
            .col(string(RolePolicies::RoleId).primary_key())
            .col(boolean(RolePolicies::MfaRequired))
            .col(timestamp_with_time_zone(RolePolicies::UpdatedAt))
            .to_owned(),
        Table::create()
            .table(Teams::Table)
            .col(string(Teams::Id).primary_key())
            .col(string(Teams::Name))
            .col(string(Teams::NameKey))
            .col(text(Teams::Description))
            .col(timestamp_with_time_zone(Teams::CreatedAt))
            .col(timestamp_with_time_zone(Teams::UpdatedAt))
            .col(big_integer(Teams::Version))
            .to_owned(),
        Table::create()
            .table(TeamMembers::Table)
            .col(string(TeamMembers::TeamId))
            .col(string(TeamMembers::UserId))
            .col(boolean(TeamMembers::IsLeader))
            .col(timestamp_with_time_zone(TeamMembers::CreatedAt))
            .primary_key(
                Index::create()
                    .col(TeamMembers::TeamId)
                    .col(TeamMembers::UserId),
            )
            .foreign_key(&mut fk(
                (TeamMembers::Table, TeamMembers::TeamId),
                (Teams::Table, Teams::Id),
                true,
            ))
            .foreign_key(&mut fk(
                (TeamMembers::Table, TeamMembers::UserId),
                (Users::Table, Users::Id),
                true,
            ))
            .to_owned(),
        Table::create()
            .table(UserAvatars::Table)
            .col(string(UserAvatars::UserId).primary_key())
            .col(string(UserAvatars::ContentType))
            .col(blob(UserAvatars::Data))
            .col(string(UserAvatars::Etag))
            .col(timestamp_with_time_zone(UserAvatars::UpdatedAt))
            .foreign_key(&mut fk(
                (UserAvatars::Table, UserAvatars::UserId),
                (Users::Table, Users::Id),
                true,
            ))
            .to_owned(),
        Table::create()
            .table(Invitations::Table)
            .col(string(Invitations::Id).primary_key())
            .col(string(Invitations::Email))
            .col(string(Invitations::RoleId))
            .col(string(Invitations::ScopeType))
            .col(string_null(Invitations::ScopeId))
            .col(string(Invitations::TokenHash).unique_key())
            .col(string(Invitations::InvitedBy))
            .col(timestamp_with_time_zone(Invitations::CreatedAt))
            .col(timestamp_with_time_zone(Invitations::ExpiresAt))
            .col(timestamp_with_time_zone_null(Invitations::AcceptedAt))
            .col(timestamp_with_time_zone_null(Invitations::RevokedAt))
            .col(string_null(Invitations::AcceptedUserId))
            .to_owned(),
        Table::create()
            .table(ApiTokens::Table)
            .col(string(ApiTokens::Id).primary_key())
            .col(string(ApiTokens::UserId))
            .col(string(ApiTokens::Name))
            .col(string(ApiTokens::Prefix))
            .col(string(ApiTokens::TokenHash).unique_key())
            .col(text(ApiTokens::Permissions))
            .col(string(ApiTokens::ScopeType))
            .col(string_null(ApiTokens::ScopeId))
            .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
            .col(timestamp_with_time_zone(ApiTokens::ExpiresAt))
            .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
            .col(string_null(ApiTokens::LastUsedIp))
            .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
            .col(string_null(ApiTokens::ReplacedBy))
            .foreign_key(&mut fk(
                (ApiTokens::Table, ApiTokens::UserId),
                (Users::Table, Users::Id),
                true,
            ))
            .to_owned(),
        Table::create()
            .table(TotpSecrets::Table)
            .col(string(TotpSecrets::UserId).primary_key())
            .col(text(TotpSecrets::SecretEnc))
            .col(timestamp_with_time_zone(TotpSecrets::CreatedAt))
            .col(timestamp_with_time_zone_null(TotpSecrets::ConfirmedAt))
            .col(big_integer_null(TotpSecrets::LastUsedStep))
            .foreign_key(&mut fk(
                (TotpSecrets::Table, TotpSecrets::UserId),
                (Users::Table, Users::Id),
                true,
            ))
            .to_owned(),
        Table::create()
            .table(RecoveryCodes::Table)
            .col(string(RecoveryCodes::Id).primary_key())
            .col(string(RecoveryCodes::UserId))
            .col(string(RecoveryCodes::CodeHash))
            .col(timestamp_with_time_zone(RecoveryCodes::CreatedAt))
            .col(timestamp_with_time_zone_null(RecoveryCodes::UsedAt))
            .foreign_key(&mut fk(
                (RecoveryCodes::Table, RecoveryCodes::UserId),
                (Users::Table, Users::Id),
                true,
            ))
            .to_owned(),
        Table::create()
            .table(AuthThrottle::Table)
            .col(string(AuthThrottle::Key).primary_key())
            .col(integer(AuthThrottle::Failures))
            .col(timestamp_with_time_zone(AuthThrottle::WindowStartedAt))
            .col(integer(AuthThrottle::Lockouts))
            .col(timestamp_with_time_zone_null(AuthThrottle::LockedUntil))
            .col(timestamp_with_time_zone(AuthThrottle::UpdatedAt))
            .to_owned(),
    ]
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    Name,
    NameKey,
    Description,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
    ClientId,
    Name,
    NameKey,
    Description,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    Name,
    NameKey,
    Description,
    Permissions,
    ProjectPermissions,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum RolePolicies {
    Table,
    RoleId,
    MfaRequired,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
    Name,
    NameKey,
    Description,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum TeamMembers {
    Table,
    TeamId,
    UserId,
    IsLeader,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserAvatars {
    Table,
    UserId,
    ContentType,
    Data,
    Etag,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    Email,
    RoleId,
    ScopeType,
    ScopeId,
    TokenHash,
    InvitedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
    AcceptedUserId,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    Prefix,
    TokenHash,
    Permissions,
    ScopeType,
    ScopeId,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    LastUsedIp,
    RevokedAt,
    ReplacedBy,
}

#[derive(DeriveIden)]
enum TotpSecrets {
    Table,
    UserId,
    SecretEnc,
    CreatedAt,
    ConfirmedAt,
    LastUsedStep,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum AuthThrottle {
    Table,
    Key,
    Failures,
    WindowStartedAt,
    Lockouts,
    LockedUntil,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RoleBindings {
    Table,
    ScopeType,
    ScopeId,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Timezone,
    DefaultRegion,
    Theme,
    NotificationPrefs,
    PasswordChangedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    MfaAt,
}
