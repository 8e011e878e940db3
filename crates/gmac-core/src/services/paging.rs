//! Keyset pagination by (name, id), with a case-insensitive name filter and an exact total.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gmac_types::ListQuery;
use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};

use crate::{Error, Result};

/// An opaque cursor: the (name key, id) of the last item of the previous page.
pub fn encode_cursor(key: &str, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::json!([key, id]).to_string())
}

fn decode_cursor(raw: &str) -> Result<(String, String)> {
    let bad = || Error::BadRequest("The cursor is not one this API issued.".to_owned());
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    serde_json::from_slice::<(String, String)>(&bytes).map_err(|_| bad())
}

/// The page size asked for: 1 to 200, 50 when absent. Anything else is refused rather than
/// quietly changed, so a client learns the bound instead of missing items.
pub fn page_size(limit: Option<u32>) -> Result<u64> {
    match limit {
        None => Ok(u64::from(ListQuery::DEFAULT_LIMIT)),
        Some(n) if (1..=ListQuery::MAX_LIMIT).contains(&n) => Ok(u64::from(n)),
        Some(_) => Err(Error::invalid(gmac_types::FieldError::new(
            "limit",
            "out_of_range",
            format!("A page holds 1 to {} items.", ListQuery::MAX_LIMIT),
        ))),
    }
}

/// The cursor of a query, an empty one read as none (the first page).
pub fn cursor(raw: Option<&String>) -> Option<&str> {
    raw.map(String::as_str).filter(|c| !c.is_empty())
}

/// `%text%` for LIKE, with the wildcards in `text` escaped.
pub fn contains_pattern(text: &str) -> LikeExpr {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// One page of `select`, ordered by (`name_key`, `id`).
pub async fn page_by_name<E>(
    conn: &impl ConnectionTrait,
    select: Select<E>,
    name_key: E::Column,
    id: E::Column,
    query: &ListQuery,
    key_of: impl Fn(&E::Model) -> (String, String),
) -> Result<(Vec<E::Model>, Option<String>, u64)>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    let mut select = select;
    if let Some(name) = query
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        select = select.filter(Expr::col((E::default(), name_key)).like(contains_pattern(name)));
    }
    let limit = page_size(query.limit)?;
    let total = select.clone().count(conn).await?;
    if let Some(cursor) = cursor(query.cursor.as_ref()) {
        let (key, last_id) = decode_cursor(cursor)?;
        select = select.filter(
            Condition::any()
                .add(name_key.gt(key.clone()))
                .add(Condition::all().add(name_key.eq(key)).add(id.gt(last_id))),
        );
    }
    let mut rows = select
        .order_by_asc(name_key)
        .order_by_asc(id)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        rows.last().map(|row| {
            let (key, id) = key_of(row);
            encode_cursor(&key, &id)
        })
    } else {
        None
    };
    Ok((rows, next, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let cursor = encode_cursor("acme corp", "0190-x");
        assert_eq!(
            decode_cursor(&cursor).ok(),
            Some(("acme corp".into(), "0190-x".into()))
        );
        assert!(matches!(
            decode_cursor("not a cursor"),
            Err(Error::BadRequest(_))
        ));
    }
}
