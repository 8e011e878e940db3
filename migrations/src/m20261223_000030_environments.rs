//! Environments and releases (issue 12, points 1 to 3). Every service has a staging and a
//! production environment (their branches stay in `services.environments`); an environment
//! deploys to a target and runs one live release; a release is an image rolled out by a job.
//! Services made before this migration get their two environments here.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index, MigrationTrait,
    SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, string, string_null, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Environments::Table)
                    .col(string(Environments::Id).primary_key())
                    .col(string(Environments::ServiceId))
                    .col(string(Environments::ClientId))
                    .col(string(Environments::ProjectId))
                    .col(string(Environments::Name))
                    .col(string_null(Environments::TargetId))
                    .col(string_null(Environments::LiveReleaseId))
                    .col(timestamp_with_time_zone(Environments::CreatedAt))
                    .col(timestamp_with_time_zone(Environments::UpdatedAt))
                    .col(big_integer(Environments::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Environments::Table, Environments::ServiceId)
                            .to(Services::Table, Services::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Environments::Table, Environments::TargetId)
                            .to(Targets::Table, Targets::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_environments_service_name")
                    .table(Environments::Table)
                    .col(Environments::ServiceId)
                    .col(Environments::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_environments_target")
                    .table(Environments::Table)
                    .col(Environments::TargetId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Releases::Table)
                    .col(string(Releases::Id).primary_key())
                    .col(string(Releases::EnvironmentId))
                    .col(string(Releases::ServiceId))
                    .col(string(Releases::ClientId))
                    .col(string(Releases::ProjectId))
                    .col(big_integer(Releases::Number))
                    .col(text(Releases::Image))
                    .col(text_null(Releases::ImageId))
                    .col(string_null(Releases::BuildId))
                    .col(string_null(Releases::RollbackOf))
                    .col(string(Releases::Status))
                    .col(text_null(Releases::Detail))
                    .col(string(Releases::JobId))
                    .col(string_null(Releases::TargetId))
                    .col(text_null(Releases::ContainerId))
                    .col(text_null(Releases::Upstream))
                    .col(string_null(Releases::CreatedBy))
                    .col(timestamp_with_time_zone(Releases::CreatedAt))
                    .col(timestamp_with_time_zone_null(Releases::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Releases::Table, Releases::EnvironmentId)
                            .to(Environments::Table, Environments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_releases_environment_number")
                    .table(Releases::Table)
                    .col(Releases::EnvironmentId)
                    .col(Releases::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        backfill(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Releases::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Environments::Table).to_owned())
            .await
    }
}

/// A staging and a production environment for every service made before this migration, each
/// with a random id (a UUID on PostgreSQL, 32 hex digits on SQLite).
async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let id = match db.get_database_backend() {
        DbBackend::Postgres => "gen_random_uuid()::text".to_owned(),
        // Per row: a random 128-bit id in hex.
        _ => "lower(hex(randomblob(16)))".to_owned(),
    };
    for name in ["staging", "production"] {
        db.execute_unprepared(&format!(
            "INSERT INTO environments \
               (id, service_id, client_id, project_id, name, target_id, live_release_id, \
                created_at, updated_at, version) \
             SELECT {id}, s.id, s.client_id, s.project_id, '{name}', NULL, NULL, \
                    s.created_at, s.updated_at, 1 \
             FROM services s"
        ))
        .await?;
    }
    Ok(())
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
    ServiceId,
    ClientId,
    ProjectId,
    Name,
    TargetId,
    LiveReleaseId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Releases {
    Table,
    Id,
    EnvironmentId,
    ServiceId,
    ClientId,
    ProjectId,
    Number,
    Image,
    ImageId,
    BuildId,
    RollbackOf,
    Status,
    Detail,
    JobId,
    TargetId,
    ContainerId,
    Upstream,
    CreatedBy,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Targets {
    Table,
    Id,
}
