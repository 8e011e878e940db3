//! The platform area: machinery every other area runs on. Today the durable job queue and its
//! worker; the audit log, crypto and the clock move here as `gmac-core` is arranged by area.

pub mod backup;
pub mod change;
pub mod events;
pub mod job_kinds;
pub mod jobs;
pub mod paging;
pub mod rows;
pub mod schedules;
pub mod worker;
