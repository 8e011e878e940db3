//! Kubernetes clusters as targets (issue 12, point 1): a target's credentials (a cluster's
//! kubeconfig), sealed under the master key and bound to the target's row, and the
//! cert-manager cluster issuer its Ingresses ask for certificates.

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
        for column in [
            text_null(Targets::Credentials),
            text_null(Targets::ClusterIssuer),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Targets::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Targets::ClusterIssuer, Targets::Credentials] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Targets::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Targets {
    Table,
    Credentials,
    ClusterIssuer,
}
