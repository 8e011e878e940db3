//! Events: the transactional outbox. A row per change, written in the change's transaction,
//! numbered in commit order (the counter sits on the audit chain's head row, which every
//! writer already locks), and a cursor per consumer that the dispatcher leases.

use sea_orm_migration::prelude::{
    Alias, DbErr, DeriveIden, DeriveMigrationName, Index, MigrationTrait, SchemaManager, Table,
    async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, string, string_null, text, timestamp_with_time_zone, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("audit_chain"))
                    .add_column(big_integer(Alias::new("last_event_id")).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(big_integer(Events::Id).primary_key())
                    .col(string(Events::EventType))
                    .col(string(Events::ScopeType))
                    .col(string_null(Events::ScopeId))
                    .col(string_null(Events::ClientId))
                    .col(string_null(Events::Subject))
                    .col(string_null(Events::ActorId))
                    .col(text(Events::Payload))
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("events_occurred_at")
                    .table(Events::Table)
                    .col(Events::OccurredAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventConsumers::Table)
                    .col(string(EventConsumers::Name).primary_key())
                    .col(big_integer(EventConsumers::LastEventId))
                    .col(string_null(EventConsumers::LeaseOwner))
                    .col(timestamp_with_time_zone_null(EventConsumers::LeaseUntil))
                    .col(timestamp_with_time_zone(EventConsumers::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventConsumers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("audit_chain"))
                    .drop_column(Alias::new("last_event_id"))
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    EventType,
    ScopeType,
    ScopeId,
    ClientId,
    Subject,
    ActorId,
    Payload,
    OccurredAt,
}

#[derive(DeriveIden)]
enum EventConsumers {
    Table,
    Name,
    LastEventId,
    LeaseOwner,
    LeaseUntil,
    UpdatedAt,
}
