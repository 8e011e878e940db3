//! Operations on an environment (issue 12, point 4): its replicas and autoscaling bounds, the
//! time it was last restarted (a cluster's pods carry it, so a restart is a rollout), and the
//! job of a restart or a scale under way (one change at a time, with rollouts).

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
            integer(Environments::Replicas).default(1).to_owned(),
            integer_null(Environments::AutoscaleMin),
            integer_null(Environments::AutoscaleMax),
            integer_null(Environments::AutoscaleCpu),
            timestamp_with_time_zone_null(Environments::RestartedAt),
            string_null(Environments::OperationJobId),
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
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Environments::OperationJobId,
            Environments::RestartedAt,
            Environments::AutoscaleCpu,
            Environments::AutoscaleMax,
            Environments::AutoscaleMin,
            Environments::Replicas,
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
    Replicas,
    AutoscaleMin,
    AutoscaleMax,
    AutoscaleCpu,
    RestartedAt,
    OperationJobId,
}
