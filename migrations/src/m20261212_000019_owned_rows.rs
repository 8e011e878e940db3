//! Owned rows go with their owner by foreign key, `ON DELETE CASCADE` (issue 9, point 5):
//! budgets and report schedules with their client, alerts and history with their budget,
//! deliveries with their schedule, and the cost rollups (daily, summary, resource months,
//! allocations) with their client. Until now deleting a client or a budget listed these by
//! hand, and a forgotten list left orphans.
//!
//! `PostgreSQL` adds the constraints. `SQLite` cannot add a constraint to a table, so each
//! table is rebuilt as its documentation describes (create the new table, copy, drop, rename),
//! parents before children so that no drop cascades into a table being copied. Rows whose
//! owner is already gone (unreachable from anywhere) are not carried over.

use sea_orm_migration::prelude::{
    DbErr, DeriveMigrationName, MigrationTrait, SchemaManager, async_trait,
};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// `(table, column, owner table)`, parents first.
const OWNED: &[(&str, &str, &str)] = &[
    ("budgets", "client_id", "clients"),
    ("budget_alerts", "budget_id", "budgets"),
    ("budget_history", "budget_id", "budgets"),
    ("report_schedules", "client_id", "clients"),
    ("report_deliveries", "schedule_id", "report_schedules"),
    ("cost_daily", "client_id", "clients"),
    ("cost_summary", "client_id", "clients"),
    ("cost_resource_months", "client_id", "clients"),
    ("cost_allocations", "client_id", "clients"),
];

/// Owner columns that lead no primary key get an index, so a cascade finds its rows.
const INDEXED: &[(&str, &str)] = &[("budgets", "client_id"), ("report_schedules", "client_id")];

fn constraint(table: &str, column: &str) -> String {
    format!("fk_{table}_{column}")
}

fn clause(column: &str, owner: &str) -> String {
    format!(", FOREIGN KEY (\"{column}\") REFERENCES \"{owner}\" (\"id\") ON DELETE CASCADE")
}

async fn one_column(
    db: &impl ConnectionTrait,
    backend: DatabaseBackend,
    sql: &str,
    values: Vec<sea_orm_migration::sea_orm::Value>,
) -> Result<Vec<String>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.iter().map(|row| row.try_get_by_index(0)).collect()
}

/// Rebuilds a SQLite table from its own `CREATE TABLE` text changed by `change`, keeping its
/// indexes and triggers and the rows that `keep` (a condition) selects.
async fn rebuild(
    db: &impl ConnectionTrait,
    table: &str,
    change: impl Fn(&str) -> Result<String, DbErr>,
    keep: &str,
) -> Result<(), DbErr> {
    let backend = DatabaseBackend::Sqlite;
    let created = one_column(
        db,
        backend,
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?",
        vec![table.into()],
    )
    .await?;
    let created = created
        .first()
        .ok_or_else(|| DbErr::Migration(format!("no table {table}")))?;
    let indexes = one_column(
        db,
        backend,
        "SELECT sql FROM sqlite_schema WHERE type IN ('index', 'trigger') AND tbl_name = ? \
         AND sql IS NOT NULL ORDER BY type",
        vec![table.into()],
    )
    .await?;
    let staged = format!("{table}_rebuilt");
    let quoted = format!("\"{table}\"");
    let Some(rest) = created.split_once(&quoted).map(|(_, rest)| rest.to_owned()) else {
        return Err(DbErr::Migration(format!(
            "unexpected definition of {table}: {created}"
        )));
    };
    let definition = change(&format!("CREATE TABLE \"{staged}\"{rest}"))?;
    db.execute_unprepared(&definition).await?;
    db.execute_unprepared(&format!(
        "INSERT INTO \"{staged}\" SELECT * FROM \"{table}\" WHERE {keep}"
    ))
    .await?;
    db.execute_unprepared(&format!("DROP TABLE \"{table}\""))
        .await?;
    db.execute_unprepared(&format!("ALTER TABLE \"{staged}\" RENAME TO \"{table}\""))
        .await?;
    for index in indexes {
        db.execute_unprepared(&index).await?;
    }
    Ok(())
}

fn with_clause(definition: &str, column: &str, owner: &str) -> Result<String, DbErr> {
    let end = definition
        .rfind(')')
        .ok_or_else(|| DbErr::Migration(format!("unexpected definition: {definition}")))?;
    Ok(format!(
        "{}{}{}",
        &definition[..end],
        clause(column, owner),
        &definition[end..]
    ))
}

fn without_clause(definition: &str, column: &str, owner: &str) -> Result<String, DbErr> {
    let clause = clause(column, owner);
    if !definition.contains(&clause) {
        return Err(DbErr::Migration(format!(
            "no owner clause in: {definition}"
        )));
    }
    Ok(definition.replace(&clause, ""))
}

fn kept(column: &str, owner: &str) -> String {
    format!("\"{column}\" IS NULL OR \"{column}\" IN (SELECT \"id\" FROM \"{owner}\")")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on one connection, SQLite included: a table is never seen half rebuilt,
    /// and each statement sees the schema the one before it left (over a pool, a connection
    /// still reading the old schema would not).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for &(table, column, owner) in OWNED {
                    rebuild(
                        db,
                        table,
                        |d| with_clause(d, column, owner),
                        &kept(column, owner),
                    )
                    .await?;
                }
            }
            _ => {
                for &(table, column, owner) in OWNED {
                    db.execute_unprepared(&format!(
                        "DELETE FROM \"{table}\" WHERE NOT ({})",
                        kept(column, owner)
                    ))
                    .await?;
                    db.execute_unprepared(&format!(
                        "ALTER TABLE \"{table}\" ADD CONSTRAINT \"{}\" FOREIGN KEY (\"{column}\") REFERENCES \"{owner}\" (\"id\") ON DELETE CASCADE",
                        constraint(table, column)
                    ))
                    .await?;
                }
            }
        }
        for &(table, column) in INDEXED {
            db.execute_unprepared(&format!(
                "CREATE INDEX \"ix_{table}_{column}\" ON \"{table}\" (\"{column}\")"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for &(table, column) in INDEXED {
            db.execute_unprepared(&format!("DROP INDEX \"ix_{table}_{column}\""))
                .await?;
        }
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                // Children first: dropping a parent would cascade into them.
                for &(table, column, owner) in OWNED.iter().rev() {
                    rebuild(db, table, |d| without_clause(d, column, owner), "1 = 1").await?;
                }
            }
            _ => {
                for &(table, column, _) in OWNED {
                    db.execute_unprepared(&format!(
                        "ALTER TABLE \"{table}\" DROP CONSTRAINT \"{}\"",
                        constraint(table, column)
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }
}
