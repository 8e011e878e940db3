//! Services (issue 11, point 1): what a project runs, made from a template, with its repository
//! on a git connection, its environments' branches and its push webhook (the secret sealed);
//! and the pushes its webhook delivered, once per (ref, commit).

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index, MigrationTrait,
    SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, boolean, string, string_null, text, text_null, timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Services::Table)
                    .col(string(Services::Id).primary_key())
                    .col(string(Services::ClientId))
                    .col(string(Services::ProjectId))
                    .col(string(Services::Name))
                    .col(text(Services::Description))
                    .col(string(Services::Template))
                    .col(text(Services::Parameters))
                    .col(string_null(Services::OwnerTeamId))
                    .col(string(Services::Status))
                    .col(text_null(Services::StatusDetail))
                    .col(string(Services::GitConnectionId))
                    .col(string(Services::RepoOwner))
                    .col(string(Services::RepoName))
                    .col(boolean(Services::RepoCreated))
                    .col(text_null(Services::CloneUrl))
                    .col(text_null(Services::HtmlUrl))
                    .col(string_null(Services::FirstCommit))
                    .col(string_null(Services::WebhookId))
                    .col(text(Services::SealedWebhookSecret))
                    .col(text(Services::Environments))
                    .col(string_null(Services::CreationJobId))
                    .col(string(Services::CreatedBy))
                    .col(timestamp_with_time_zone(Services::CreatedAt))
                    .col(timestamp_with_time_zone(Services::UpdatedAt))
                    .col(big_integer(Services::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Services::Table, Services::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Services::Table, Services::GitConnectionId)
                            .to(GitConnections::Table, GitConnections::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_services_project_name")
                    .table(Services::Table)
                    .col(Services::ProjectId)
                    .col(Services::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_services_client_name")
                    .table(Services::Table)
                    .col(Services::ClientId)
                    .col(Services::Name)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_services_git_connection")
                    .table(Services::Table)
                    .col(Services::GitConnectionId)
                    .to_owned(),
            )
            .await?;
        create_pushes(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServicePushes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Services::Table).to_owned())
            .await
    }
}

/// The pushes a service's webhook delivered, once per (ref, commit).
async fn create_pushes(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(ServicePushes::Table)
                .col(string(ServicePushes::Id).primary_key())
                .col(string(ServicePushes::ServiceId))
                .col(string(ServicePushes::GitRef))
                .col(string(ServicePushes::CommitId))
                .col(string_null(ServicePushes::Environment))
                .col(string(ServicePushes::Source))
                .col(timestamp_with_time_zone(ServicePushes::ReceivedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ServicePushes::Table, ServicePushes::ServiceId)
                        .to(Services::Table, Services::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ux_service_pushes_ref_commit")
                .table(ServicePushes::Table)
                .col(ServicePushes::ServiceId)
                .col(ServicePushes::GitRef)
                .col(ServicePushes::CommitId)
                .unique()
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
    ClientId,
    ProjectId,
    Name,
    Description,
    Template,
    Parameters,
    OwnerTeamId,
    Status,
    StatusDetail,
    GitConnectionId,
    RepoOwner,
    RepoName,
    RepoCreated,
    CloneUrl,
    HtmlUrl,
    FirstCommit,
    WebhookId,
    SealedWebhookSecret,
    Environments,
    CreationJobId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum ServicePushes {
    Table,
    Id,
    ServiceId,
    GitRef,
    CommitId,
    Environment,
    Source,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum GitConnections {
    Table,
    Id,
}
