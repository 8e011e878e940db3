//! A cluster target's `IngressClass` (issue 12): the Ingresses gmac applies there name it in
//! `spec.ingressClassName` (none: the cluster's default class).

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, MigrationTrait, SchemaManager, Table, async_trait,
    sea_orm,
};
use sea_orm_migration::schema::text_null;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Targets::Table)
                    .add_column(text_null(Targets::IngressClass))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Targets::Table)
                    .drop_column(Targets::IngressClass)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Targets {
    Table,
    IngressClass,
}
