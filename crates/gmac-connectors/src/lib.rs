//! Adapters behind gmac-core's ports.

pub mod mail;
