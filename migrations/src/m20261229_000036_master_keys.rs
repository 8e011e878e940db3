//! The master key versions a database has been sealed under (issue 12, point 5: key rotation
//! while gmac serves). The newest row is the version every replica seals and signs with; each
//! row's fingerprint catches a replica configured with a different key under that version; a
//! version's audit chain key, sealed under the newer key by the rotation that replaced it,
//! keeps its audit entries verifiable once its master key is retired.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, MigrationTrait, SchemaManager, Table, async_trait,
    sea_orm,
};
use sea_orm_migration::schema::{integer, string, text_null, timestamp_with_time_zone};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MasterKeys::Table)
                    .col(integer(MasterKeys::Version).primary_key())
                    .col(string(MasterKeys::Fingerprint))
                    .col(text_null(MasterKeys::AuditKey))
                    .col(timestamp_with_time_zone(MasterKeys::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MasterKeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MasterKeys {
    Table,
    Version,
    Fingerprint,
    AuditKey,
    CreatedAt,
}
