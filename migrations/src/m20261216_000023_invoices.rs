//! Issued invoices (issue 10, point 5): numbered, dated, with their issuer, and kept as they
//! were issued. A later change of allocation adds a credit note and a new invoice beside them,
//! never an edit.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, Index, MigrationTrait, SchemaManager, Table,
    async_trait, sea_orm,
};
use sea_orm_migration::schema::{string, string_null, text, timestamp_with_time_zone};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .col(string(Invoices::Id).primary_key())
                    .col(string(Invoices::Number))
                    .col(string(Invoices::Kind))
                    .col(string(Invoices::UserKey))
                    .col(string(Invoices::UserName))
                    .col(string(Invoices::Period))
                    .col(string(Invoices::ScopeKey))
                    .col(string(Invoices::Currency))
                    .col(text(Invoices::Lines))
                    .col(string(Invoices::Total))
                    .col(string(Invoices::Issuer))
                    .col(string_null(Invoices::Corrects))
                    .col(string_null(Invoices::IssuedBy))
                    .col(timestamp_with_time_zone(Invoices::IssuedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invoices_number")
                    .table(Invoices::Table)
                    .col(Invoices::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invoices_subject_period")
                    .table(Invoices::Table)
                    .col(Invoices::UserKey)
                    .col(Invoices::Period)
                    .col(Invoices::ScopeKey)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Invoices::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    Number,
    Kind,
    UserKey,
    UserName,
    Period,
    ScopeKey,
    Currency,
    Lines,
    Total,
    Issuer,
    Corrects,
    IssuedBy,
    IssuedAt,
}
