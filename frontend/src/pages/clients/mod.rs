//! Clients and the projects inside them.

pub mod detail;
pub mod list;
pub mod projects;
