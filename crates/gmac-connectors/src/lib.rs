//! Adapters behind gmac-core's ports.

pub mod aws;
pub mod containers;
pub mod git;
pub mod mail;
