//! User administration.

pub mod detail;
pub mod list;
pub mod teams;
