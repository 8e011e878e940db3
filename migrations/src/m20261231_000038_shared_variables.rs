//! Variables shared by the environments of a project, of a service, or of the services a
//! group is attached to (issue 12, point 5's scopes and groups): numbered versions as an
//! environment's own variables are, one row per version, belonging to a project, a service or
//! a group; the groups of a project and the services they are attached to, in order; and the
//! versions of each a release runs with.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index, IntoIden,
    MigrationTrait, SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, big_integer_null, integer, string, string_null, text, text_null,
    timestamp_with_time_zone, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    #[expect(
        clippy::too_many_lines,
        reason = "three tables, their indexes and the releases' columns, in order"
    )]
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(VariableGroups::Table)
                    .col(string(VariableGroups::Id).primary_key())
                    .col(string(VariableGroups::ProjectId))
                    .col(string(VariableGroups::Name))
                    .col(string(VariableGroups::CreatedBy))
                    .col(timestamp_with_time_zone(VariableGroups::CreatedAt))
                    // A deleted group keeps its versions: the releases that ran with it still
                    // roll back. Its name is free again (names are unique among the others).
                    .col(timestamp_with_time_zone_null(VariableGroups::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(VariableGroups::Table, VariableGroups::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServiceVariableGroups::Table)
                    .col(string(ServiceVariableGroups::Id).primary_key())
                    .col(string(ServiceVariableGroups::ServiceId))
                    .col(string(ServiceVariableGroups::GroupId))
                    .col(integer(ServiceVariableGroups::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ServiceVariableGroups::Table,
                                ServiceVariableGroups::ServiceId,
                            )
                            .to(Services::Table, Services::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ServiceVariableGroups::Table, ServiceVariableGroups::GroupId)
                            .to(VariableGroups::Table, VariableGroups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_service_variable_groups")
                    .table(ServiceVariableGroups::Table)
                    .col(ServiceVariableGroups::ServiceId)
                    .col(ServiceVariableGroups::GroupId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SharedVariables::Table)
                    .col(string(SharedVariables::Id).primary_key())
                    // One of the two is set: the set is a project's or a service's.
                    .col(string_null(SharedVariables::ProjectId))
                    .col(string_null(SharedVariables::ServiceId))
                    .col(string_null(SharedVariables::GroupId))
                    .col(big_integer(SharedVariables::Version))
                    .col(text(SharedVariables::Variables))
                    .col(text_null(SharedVariables::Note))
                    .col(string(SharedVariables::CreatedBy))
                    .col(timestamp_with_time_zone(SharedVariables::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SharedVariables::Table, SharedVariables::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SharedVariables::Table, SharedVariables::ServiceId)
                            .to(Services::Table, Services::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SharedVariables::Table, SharedVariables::GroupId)
                            .to(VariableGroups::Table, VariableGroups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // NULLs are distinct in a unique index (SQLite and PostgreSQL alike), so each index
        // numbers the versions of its own kind of owner.
        for (name, owner) in [
            ("ux_shared_variables_project", SharedVariables::ProjectId),
            ("ux_shared_variables_service", SharedVariables::ServiceId),
            ("ux_shared_variables_group", SharedVariables::GroupId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(SharedVariables::Table)
                        .col(owner)
                        .col(SharedVariables::Version)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            big_integer_null(Releases::ProjectVariablesVersion),
            big_integer_null(Releases::ServiceVariablesVersion),
            // A JSON array of each attached group's id and version, in order.
            text_null(Releases::GroupVariablesVersions),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Releases::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Releases::GroupVariablesVersions,
            Releases::ServiceVariablesVersion,
            Releases::ProjectVariablesVersion,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Releases::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            SharedVariables::Table.into_iden(),
            ServiceVariableGroups::Table.into_iden(),
            VariableGroups::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum SharedVariables {
    Table,
    Id,
    ProjectId,
    ServiceId,
    GroupId,
    Version,
    Variables,
    Note,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum VariableGroups {
    Table,
    Id,
    ProjectId,
    Name,
    CreatedBy,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum ServiceVariableGroups {
    Table,
    Id,
    ServiceId,
    GroupId,
    Position,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Releases {
    Table,
    ProjectVariablesVersion,
    ServiceVariablesVersion,
    GroupVariablesVersions,
}
