//! Adapters behind gmac-core's ports.

pub mod aws;
pub mod mail;
