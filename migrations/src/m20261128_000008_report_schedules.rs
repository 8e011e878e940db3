//! Scheduled, emailed cost reports, and the periods each has sent (so a period is sent once).

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, Index, IntoIden, MigrationTrait, SchemaManager, Table,
    async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    boolean, string, string_len, string_null, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportSchedules::Table)
                    .col(string(ReportSchedules::Id).primary_key())
                    .col(string(ReportSchedules::Name))
                    .col(string_null(ReportSchedules::SubjectType))
                    .col(string_null(ReportSchedules::SubjectId))
                    .col(string_null(ReportSchedules::ClientId))
                    .col(string(ReportSchedules::Cadence))
                    .col(string(ReportSchedules::Format))
                    .col(text(ReportSchedules::Recipients))
                    .col(timestamp_with_time_zone_null(ReportSchedules::LastSentAt))
                    .col(string_null(ReportSchedules::LastPeriod))
                    .col(text_null(ReportSchedules::LastError))
                    .col(string_null(ReportSchedules::CreatedBy))
                    .col(timestamp_with_time_zone(ReportSchedules::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReportDeliveries::Table)
                    .col(string(ReportDeliveries::ScheduleId))
                    .col(string_len(ReportDeliveries::RunOn, 10))
                    .col(string(ReportDeliveries::Period))
                    .col(boolean(ReportDeliveries::Sent))
                    .col(timestamp_with_time_zone(ReportDeliveries::At))
                    .primary_key(
                        Index::create()
                            .col(ReportDeliveries::ScheduleId)
                            .col(ReportDeliveries::RunOn),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ReportDeliveries::Table.into_iden(),
            ReportSchedules::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ReportSchedules {
    Table,
    Id,
    Name,
    SubjectType,
    SubjectId,
    ClientId,
    Cadence,
    Format,
    Recipients,
    LastSentAt,
    LastPeriod,
    LastError,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReportDeliveries {
    Table,
    ScheduleId,
    RunOn,
    Period,
    Sent,
    At,
}
