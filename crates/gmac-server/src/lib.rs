//! The `gmac` server: configuration, HTTP API, OpenAPI document, SPA hosting and the CLI.

pub mod cli;
pub mod config;
pub mod error;
pub mod extract;
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
pub use startup::{Application, prepare_core};
