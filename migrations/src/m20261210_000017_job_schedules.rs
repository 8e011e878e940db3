//! Schedules: a row per recurring job (cron, UTC), whose due slot is enqueued once across
//! replicas.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, MigrationTrait, SchemaManager, Table, async_trait,
    sea_orm,
};
use sea_orm_migration::schema::{
    boolean, string, string_null, text, timestamp_with_time_zone, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobSchedules::Table)
                    .col(string(JobSchedules::Name).primary_key())
                    .col(string(JobSchedules::Cron))
                    .col(string(JobSchedules::Kind))
                    .col(text(JobSchedules::Payload))
                    .col(boolean(JobSchedules::Enabled))
                    .col(timestamp_with_time_zone(JobSchedules::NextRunAt))
                    .col(timestamp_with_time_zone_null(JobSchedules::LastSlotAt))
                    .col(string_null(JobSchedules::LastJobId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobSchedules::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum JobSchedules {
    Table,
    Name,
    Cron,
    Kind,
    Payload,
    Enabled,
    NextRunAt,
    LastSlotAt,
    LastJobId,
}
