//! Identifiers: UUIDv7, ordered by creation time.

use chrono::{DateTime, Utc};
use uuid::{NoContext, Timestamp, Uuid};

/// A new UUIDv7 for an object created at `at`.
pub fn new_id(at: DateTime<Utc>) -> String {
    let seconds = u64::try_from(at.timestamp()).unwrap_or(0);
    let ts = Timestamp::from_unix(NoContext, seconds, at.timestamp_subsec_nanos());
    Uuid::new_v7(ts).to_string()
}

/// Whether `raw` is a well-formed id, so a malformed one is a 404 without a query.
pub fn is_id(raw: &str) -> bool {
    Uuid::parse_str(raw).is_ok()
}
