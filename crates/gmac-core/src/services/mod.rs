//! The services, one module per area. Each mutating service checks permission first, then
//! changes state and appends its audit entry in one transaction.

pub mod allocation;
pub mod audit_log;
pub mod authz;
pub mod background;
pub mod bindings;
pub mod budgets;
pub mod catalog;
pub mod clients;
pub mod cloud_accounts;
pub(crate) mod cost_lines;
pub mod cost_query;
pub mod costs;
pub mod demo;
pub mod git_connections;
pub mod import_jobs;
pub mod insights;
pub mod invitations;
pub mod invoices;
pub mod mfa;
pub mod profile;
pub mod projects;
pub mod reach;
pub mod reports;
pub mod roles;
pub mod saved_views;
pub mod scope_cleanup;
pub mod service_hooks;
pub mod service_setup;
pub mod sessions;
pub mod setup;
pub mod teams;
pub mod throttle;
pub mod tokens;
pub mod users;
