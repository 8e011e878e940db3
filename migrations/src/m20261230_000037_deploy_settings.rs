//! An environment's deploy settings (issue 12, points 3 and 7): the path and the time its
//! health check has, how many releases it keeps to roll back to, and the CPU and memory its
//! containers ask for and may use; and when retention let a release go (it can no longer be
//! rolled back to, and its image may be gone).

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, MigrationTrait, SchemaManager, Table, async_trait,
    sea_orm,
};
use sea_orm_migration::schema::{
    integer, integer_null, string_null, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_null(Environments::HealthPath),
            integer_null(Environments::HealthTimeoutSecs),
            integer(Environments::ReleasesKept).default(10).to_owned(),
            // None set: a container host runs its containers without limits, as before.
            integer_null(Environments::CpuRequestMillis),
            integer_null(Environments::CpuLimitMillis),
            integer_null(Environments::MemoryRequestMib),
            integer_null(Environments::MemoryLimitMib),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Environments::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Releases::Table)
                    .add_column(timestamp_with_time_zone_null(Releases::PrunedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Releases::Table)
                    .drop_column(Releases::PrunedAt)
                    .to_owned(),
            )
            .await?;
        for column in [
            Environments::MemoryLimitMib,
            Environments::MemoryRequestMib,
            Environments::CpuLimitMillis,
            Environments::CpuRequestMillis,
            Environments::ReleasesKept,
            Environments::HealthTimeoutSecs,
            Environments::HealthPath,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Environments::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    HealthPath,
    HealthTimeoutSecs,
    ReleasesKept,
    CpuRequestMillis,
    CpuLimitMillis,
    MemoryRequestMib,
    MemoryLimitMib,
}

#[derive(DeriveIden)]
enum Releases {
    Table,
    PrunedAt,
}
