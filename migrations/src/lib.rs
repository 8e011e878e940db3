//! gmac's schema. Migrations are append-only: never edit one that has shipped; add the next.
//!
//! Each runs on `SQLite` and `PostgreSQL`; branch on the backend only where the SQL must differ.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_identity;
mod m20261122_000002_access;
mod m20261123_000003_costs;
mod m20261124_000004_allocation;
mod m20261125_000005_budgets;
mod m20261126_000006_cloud_accounts;
mod m20261127_000007_cost_summary;
mod m20261128_000008_report_schedules;
mod m20261129_000009_cost_resource_months;
mod m20261203_000010_audit_keys;
mod m20261204_000011_money_whole_frac;
mod m20261205_000012_import_staging;
mod m20261206_000013_restated_periods;
mod m20261207_000014_authz_epoch;
mod m20261208_000015_unused_line_index;
mod m20261209_000016_jobs;
mod m20261210_000017_job_schedules;
mod m20261211_000018_events;
mod m20261212_000019_owned_rows;
mod m20261213_000020_cloud_account_tests;
mod m20261214_000021_budget_versions;
mod m20261215_000022_saved_views;
mod m20261216_000023_invoices;
mod m20261217_000024_edit_versions;
mod m20261218_000025_git_connections;
mod m20261219_000026_services;
mod m20261220_000027_builds;
mod m20261221_000028_template_sources;
mod m20261222_000029_targets;
mod m20261223_000030_environments;
mod m20261224_000031_variables;
mod m20261225_000032_deploy_on_push;
mod m20261226_000033_kubernetes_targets;
mod m20261227_000034_environment_operations;
mod m20261228_000035_domains;
mod m20261229_000036_master_keys;
mod m20261230_000037_deploy_settings;
mod m20261231_000038_shared_variables;
mod m20270101_000039_preview_environments;
mod m20270102_000040_service_notices;
mod m20270103_000041_ingress_class;
mod m20270104_000042_service_secrets;
mod m20270105_000043_project_secrets;

/// Applies gmac's migrations in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_identity::Migration),
            Box::new(m20261122_000002_access::Migration),
            Box::new(m20261123_000003_costs::Migration),
            Box::new(m20261124_000004_allocation::Migration),
            Box::new(m20261125_000005_budgets::Migration),
            Box::new(m20261126_000006_cloud_accounts::Migration),
            Box::new(m20261127_000007_cost_summary::Migration),
            Box::new(m20261128_000008_report_schedules::Migration),
            Box::new(m20261129_000009_cost_resource_months::Migration),
            Box::new(m20261203_000010_audit_keys::Migration),
            Box::new(m20261204_000011_money_whole_frac::Migration),
            Box::new(m20261205_000012_import_staging::Migration),
            Box::new(m20261206_000013_restated_periods::Migration),
            Box::new(m20261207_000014_authz_epoch::Migration),
            Box::new(m20261208_000015_unused_line_index::Migration),
            Box::new(m20261209_000016_jobs::Migration),
            Box::new(m20261210_000017_job_schedules::Migration),
            Box::new(m20261211_000018_events::Migration),
            Box::new(m20261212_000019_owned_rows::Migration),
            Box::new(m20261213_000020_cloud_account_tests::Migration),
            Box::new(m20261214_000021_budget_versions::Migration),
            Box::new(m20261215_000022_saved_views::Migration),
            Box::new(m20261216_000023_invoices::Migration),
            Box::new(m20261217_000024_edit_versions::Migration),
            Box::new(m20261218_000025_git_connections::Migration),
            Box::new(m20261219_000026_services::Migration),
            Box::new(m20261220_000027_builds::Migration),
            Box::new(m20261221_000028_template_sources::Migration),
            Box::new(m20261222_000029_targets::Migration),
            Box::new(m20261223_000030_environments::Migration),
            Box::new(m20261224_000031_variables::Migration),
            Box::new(m20261225_000032_deploy_on_push::Migration),
            Box::new(m20261226_000033_kubernetes_targets::Migration),
            Box::new(m20261227_000034_environment_operations::Migration),
            Box::new(m20261228_000035_domains::Migration),
            Box::new(m20261229_000036_master_keys::Migration),
            Box::new(m20261230_000037_deploy_settings::Migration),
            Box::new(m20261231_000038_shared_variables::Migration),
            Box::new(m20270101_000039_preview_environments::Migration),
            Box::new(m20270102_000040_service_notices::Migration),
            Box::new(m20270103_000041_ingress_class::Migration),
            Box::new(m20270104_000042_service_secrets::Migration),
            Box::new(m20270105_000043_project_secrets::Migration),
        ]
    }
}
