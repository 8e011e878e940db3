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
    let total = select.clone().count(conn).await?;
    if let Some(cursor) = &query.cursor {
        let (key, last_id) = decode_cursor(cursor)?;
        select = select.filter(
            Condition::any()
                .add(name_key.gt(key.clone()))
                .add(Condition::all().add(name_key.eq(key)).add(id.gt(last_id))),
        );
    }
    let limit = query.limit();
    let mut rows = select
        .order_by_asc(name_key)
        .order_by_asc(id)
        .limit(u64::from(limit) + 1)
        .all(conn)
        .await?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
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
