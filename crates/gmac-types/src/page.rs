//! Cursor pagination.

use serde::{Deserialize, Serialize};

/// One page of a list. Pass `next_cursor` back as `?cursor=` to get the next page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The cursor of the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// How many items match the query in all.
    pub total: u64,
}
