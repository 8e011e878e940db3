//! User administration.

pub mod detail;
pub mod list;
