//! The `gmac` server: configuration, HTTP API, OpenAPI document, SPA hosting and the CLI.

pub mod backup;
pub mod cli;
pub mod config;
pub mod error;
pub mod extract;
pub mod keys;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod remote;
pub mod routes;
pub mod spa;
pub mod spool;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use config::Config;

/// mimalloc for every program that runs the server (the `gmac` binary, its tests and
/// benchmarks). Rows come off SQLite's worker threads and are freed on actix's; glibc's malloc
/// serialises such cross-thread frees on an arena lock, which showed as lock waits under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
pub use startup::{Application, prepare_core};
