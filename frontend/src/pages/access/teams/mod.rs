//! Teams and their members.

pub mod detail;
pub mod list;
pub mod members;
