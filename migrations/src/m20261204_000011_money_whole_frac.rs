//! Money without a ceiling: every amount becomes two integer columns, `<name>_whole` (whole
//! currency units, rounded down) and `<name>_frac` (10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`), so that
//! a line holds ±10¹⁵ and sums pass ±10¹⁷ exactly on both backends. A single 64-bit column of
//! 10⁻¹¹ units stopped at ±92 million.
//!
//! The old column is renamed to `<name>_whole` and converted in place with integer arithmetic;
//! in one `UPDATE` every right-hand side sees the old value.

use sea_orm_migration::prelude::{
    Alias, ConnectionTrait, DbErr, DeriveMigrationName, MigrationTrait, SchemaManager, Table,
    async_trait,
};
use sea_orm_migration::schema::big_integer;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Units in one whole currency unit.
const N: &str = "100000000000";

/// Every money column: its table and its name before this migration.
const COLUMNS: &[(&str, &str)] = &[
    ("cost_imports", "billed_cost_total"),
    ("cost_imports", "effective_cost_total"),
    ("cost_line_items", "billed_cost"),
    ("cost_line_items", "effective_cost"),
    ("cost_line_items", "list_cost"),
    ("cost_line_items", "contracted_cost"),
    ("cost_daily", "billed_cost"),
    ("cost_daily", "effective_cost"),
    ("cost_daily", "list_cost"),
    ("cost_summary", "billed_cost"),
    ("cost_summary", "effective_cost"),
    ("cost_summary", "list_cost"),
    ("cost_resource_months", "billed_cost"),
    ("cost_resource_months", "effective_cost"),
    ("cost_resource_months", "list_cost"),
    ("cost_allocations", "billed_cost"),
    ("cost_allocations", "effective_cost"),
    ("cost_allocations", "list_cost"),
    ("budgets", "amount"),
    ("budget_alerts", "amount"),
    ("budget_history", "limit"),
    ("budget_history", "actual"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        for (table, column) in COLUMNS {
            let whole = format!("{column}_whole");
            let frac = format!("{column}_frac");
            // One change a statement: SQLite alters one column at a time.
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(*table))
                        .rename_column(Alias::new(*column), Alias::new(&whole))
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(*table))
                        .add_column(big_integer(Alias::new(&frac)).default(0))
                        .to_owned(),
                )
                .await?;
            // Floor division from the truncating `/` and `%` of both backends (not `v - frac`,
            // which leaves 64 bits near the minimum): the fraction is never negative. A NULL
            // amount stays NULL, with a zero fraction.
            conn.execute_unprepared(&format!(
                "UPDATE {table} SET \
                 \"{whole}\" = \"{whole}\" / {N} \
                 - CASE WHEN \"{whole}\" % {N} < 0 THEN 1 ELSE 0 END, \
                 \"{frac}\" = ((\"{whole}\" % {N}) + {N}) % {N} \
                 WHERE \"{whole}\" IS NOT NULL"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        for (table, column) in COLUMNS.iter().rev() {
            let whole = format!("{column}_whole");
            let frac = format!("{column}_frac");
            conn.execute_unprepared(&format!(
                "UPDATE {table} SET \"{whole}\" = \"{whole}\" * {N} + \"{frac}\" \
                 WHERE \"{whole}\" IS NOT NULL"
            ))
            .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(*table))
                        .drop_column(Alias::new(&frac))
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(*table))
                        .rename_column(Alias::new(&whole), Alias::new(*column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
