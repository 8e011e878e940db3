//! Durable jobs: the queue a worker leases from, each job's log lines, and the files a job
//! reads (stored in the database, so that any replica's worker can read them).

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index, IntoIden,
    MigrationTrait, SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, big_integer_null, blob, boolean, integer, string, string_null, text, text_null,
    timestamp_with_time_zone, timestamp_with_time_zone_null,
};
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(string(Jobs::Id).primary_key())
                    .col(string(Jobs::Kind))
                    .col(text(Jobs::Payload))
                    .col(string_null(Jobs::ClientId))
                    .col(string(Jobs::Status))
                    .col(integer(Jobs::Attempts))
                    .col(integer(Jobs::MaxAttempts))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(string_null(Jobs::LeaseOwner))
                    .col(timestamp_with_time_zone_null(Jobs::LeaseUntil))
                    .col(boolean(Jobs::CancelRequested))
                    .col(big_integer(Jobs::ProgressDone))
                    .col(big_integer_null(Jobs::ProgressTotal))
                    .col(text_null(Jobs::ProgressMessage))
                    .col(text(Jobs::Steps))
                    .col(text_null(Jobs::Result))
                    .col(text_null(Jobs::Error))
                    .col(string_null(Jobs::CreatedBy))
                    .col(string_null(Jobs::TokenId))
                    .col(string_null(Jobs::DedupeKey))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone_null(Jobs::StartedAt))
                    .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Jobs::Table, Jobs::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // What a worker looks for: the due jobs of a status, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_status_run_at")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::RunAt)
                    .to_owned(),
            )
            .await?;
        // One unfinished job per dedupe key (finished ones let the key go).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_jobs_dedupe_key ON jobs (dedupe_key) \
                 WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running')",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobLogs::Table)
                    .col(string(JobLogs::JobId))
                    .col(big_integer(JobLogs::Seq))
                    .col(timestamp_with_time_zone(JobLogs::At))
                    .col(text(JobLogs::Line))
                    .primary_key(Index::create().col(JobLogs::JobId).col(JobLogs::Seq))
                    .foreign_key(
                        ForeignKey::create()
                            .from(JobLogs::Table, JobLogs::JobId)
                            .to(Jobs::Table, Jobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobFiles::Table)
                    .col(string(JobFiles::JobId))
                    .col(integer(JobFiles::Part))
                    .col(blob(JobFiles::Data))
                    .primary_key(Index::create().col(JobFiles::JobId).col(JobFiles::Part))
                    .foreign_key(
                        ForeignKey::create()
                            .from(JobFiles::Table, JobFiles::JobId)
                            .to(Jobs::Table, Jobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            JobFiles::Table.into_iden(),
            JobLogs::Table.into_iden(),
            Jobs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    ClientId,
    Status,
    Attempts,
    MaxAttempts,
    RunAt,
    LeaseOwner,
    LeaseUntil,
    CancelRequested,
    ProgressDone,
    ProgressTotal,
    ProgressMessage,
    Steps,
    Result,
    Error,
    CreatedBy,
    TokenId,
    DedupeKey,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum JobLogs {
    Table,
    JobId,
    Seq,
    At,
    Line,
}

#[derive(DeriveIden)]
enum JobFiles {
    Table,
    JobId,
    Part,
    Data,
}
