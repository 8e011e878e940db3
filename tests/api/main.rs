//! gmac's API tests: one binary whose modules mirror the routes. Every test starts its own
//! server and database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set).

#![expect(
    clippy::too_many_lines,
    reason = "an end-to-end scenario reads best as one story"
)]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

mod abuse;
mod access;
mod allocation;
mod audit;
mod audit_api;
mod auth;
mod backup;
mod budgets;
mod builds;
mod clients;
mod cloud;
mod costs;
mod demo;
mod deploy_settings;
mod deploys;
mod domains;
mod errors;
mod events;
mod faults;
mod git;
mod images;
mod imports;
mod invitations;
mod jobs;
mod keys;
mod kubernetes;
mod matrix;
mod mfa;
mod money;
mod notices;
mod openapi;
mod ops;
mod paging;
mod previews;
mod process;
mod profile;
mod remote_hosts;
mod reports;
mod runtime;
mod scopes;
mod services;
mod setup;
mod ssh_hosts;
mod targets;
mod teams;
mod template_sources;
mod templates;
mod tokens;
mod users;
mod variables;
mod writers;
