//! Keyset pagination by (name, id), with a case-insensitive name filter and an exact total.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gmac_types::{ListQuery, PageQuery};
use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{
    Condition, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, TryIntoModel,
};

use crate::{Core, Error, Result};

/// A value a list is ordered by, carried in its cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// A text column (a name key, an email, an id).
    Text(String),
    /// An integer column (a position).
    Int(i64),
    /// A time column.
    Time(chrono::DateTime<chrono::Utc>),
}

impl Key {
    fn to_json(&self) -> serde_json::Value {
        match self {
            Key::Text(text) => serde_json::Value::from(text.as_str()),
            Key::Int(n) => serde_json::Value::from(*n),
            Key::Time(at) => serde_json::json!({ "at": at.to_rfc3339() }),
        }
    }

    fn from_json(value: serde_json::Value) -> Result<Self> {
        Ok(match value {
            serde_json::Value::String(text) => Key::Text(text),
            serde_json::Value::Number(n) => Key::Int(n.as_i64().ok_or_else(foreign_cursor)?),
            serde_json::Value::Object(map) => {
                let at = map
                    .get("at")
                    .and_then(serde_json::Value::as_str)
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .ok_or_else(foreign_cursor)?;
                Key::Time(at.with_timezone(&chrono::Utc))
            }
            _ => return Err(foreign_cursor()),
        })
    }

    fn to_value(&self) -> sea_orm::Value {
        match self {
            Key::Text(text) => text.clone().into(),
            Key::Int(n) => (*n).into(),
            Key::Time(at) => (*at).into(),
        }
    }
}

/// Which way a list runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Smallest key first (names A to Z).
    Asc,
    /// Largest key first (newest first, for keys that are UUIDv7 ids).
    Desc,
}

/// An opaque cursor: the (name key, id) of the last item of the previous page.
pub fn encode_cursor(key: &str, id: &str) -> String {
    encode_keys(&[Key::Text(key.to_owned()), Key::Text(id.to_owned())])
}

fn encode_keys(keys: &[Key]) -> String {
    let keys: Vec<serde_json::Value> = keys.iter().map(Key::to_json).collect();
    URL_SAFE_NO_PAD.encode(serde_json::Value::from(keys).to_string())
}

/// An opaque cursor over any JSON value: for lists computed rather than stored.
pub fn encode_value(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The value of a cursor made by [`encode_value`].
pub fn decode_value<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| foreign_cursor())?;
    serde_json::from_slice::<T>(&bytes).map_err(|_| foreign_cursor())
}

fn foreign_cursor() -> Error {
    Error::BadRequest("The cursor is not one this API issued.".to_owned())
}

fn decode_cursor(raw: &str, count: usize) -> Result<Vec<Key>> {
    let keys = decode_value::<Vec<serde_json::Value>>(raw)?;
    if keys.len() != count {
        return Err(foreign_cursor());
    }
    keys.into_iter().map(Key::from_json).collect()
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

/// One page of `select`, ordered by (`name_key`, `id`), filtered by the query's name.
pub async fn page_by_name<E>(
    core: &Core,
    select: Select<E>,
    name_key: E::Column,
    id: E::Column,
    query: &ListQuery,
    key_of: impl Fn(&E::Model) -> (String, String),
) -> Result<(Vec<E::Model>, Option<String>, u64)>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    E::ActiveModel: TryIntoModel<E::Model>,
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
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    page_by_text(core, select, (name_key, id), &page, key_of).await
}

/// One page of `select`, ordered by a text column and then the id (names A to Z), without a
/// name filter.
pub async fn page_by_text<E>(
    core: &Core,
    select: Select<E>,
    (text, id): (E::Column, E::Column),
    page: &PageQuery,
    key_of: impl Fn(&E::Model) -> (String, String),
) -> Result<(Vec<E::Model>, Option<String>, u64)>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    E::ActiveModel: TryIntoModel<E::Model>,
{
    let columns = [column::<E>(text), column::<E>(id)];
    page_by_keys(core, select, columns, Direction::Asc, page, |row| {
        let (key, id) = key_of(row);
        [Key::Text(key), Key::Text(id)]
    })
    .await
}

/// A column of `E` as an expression of a keyset.
pub fn column<E: EntityTrait>(column: E::Column) -> Expr {
    Expr::col((E::default(), column))
}

/// One page of `select`, ordered by its id: UUIDv7 ids run in order of creation, so
/// [`Direction::Desc`] is newest first.
pub async fn page_by_id<E>(
    core: &Core,
    select: Select<E>,
    id: E::Column,
    direction: Direction,
    page: &PageQuery,
    id_of: impl Fn(&E::Model) -> String,
) -> Result<(Vec<E::Model>, Option<String>, u64)>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    E::ActiveModel: TryIntoModel<E::Model>,
{
    page_by_keys(core, select, [column::<E>(id)], direction, page, |row| {
        [Key::Text(id_of(row))]
    })
    .await
}

/// One page of `select`, ordered by the `columns` (the last one unique) in `direction`, with
/// the exact total. A column may belong to a joined table.
pub async fn page_by_keys<E, const N: usize>(
    core: &Core,
    select: Select<E>,
    columns: [Expr; N],
    direction: Direction,
    page: &PageQuery,
    keys_of: impl Fn(&E::Model) -> [Key; N],
) -> Result<(Vec<E::Model>, Option<String>, u64)>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    E::ActiveModel: TryIntoModel<E::Model>,
{
    let mut select = select;
    let limit = page_size(page.limit)?;
    let first = cursor(page.cursor.as_ref()).is_none();
    // A first page that holds every item is its own total; otherwise count them.
    let count = select.clone();
    if let Some(cursor) = cursor(page.cursor.as_ref()) {
        let last = decode_cursor(cursor, N)?;
        // (a, b, c) after (x, y, z): a > x, or a = x and b > y, or a = x, b = y and c > z.
        let mut after = Condition::any();
        for (i, (col, key)) in columns.iter().zip(&last).enumerate() {
            let mut step = Condition::all();
            for (same, value) in columns.iter().zip(&last).take(i) {
                step = step.add(same.clone().eq(value.to_value()));
            }
            step = step.add(match direction {
                Direction::Asc => col.clone().gt(key.to_value()),
                Direction::Desc => col.clone().lt(key.to_value()),
            });
            after = after.add(step);
        }
        select = select.filter(after);
    }
    let order = match direction {
        Direction::Asc => sea_orm::Order::Asc,
        Direction::Desc => sea_orm::Order::Desc,
    };
    for col in &columns {
        select = select.order_by(col.clone(), order.clone());
    }
    let mut rows = crate::platform::rows::all(core, select.limit(limit + 1)).await?;
    let total = if first && rows.len() as u64 <= limit {
        rows.len() as u64
    } else {
        count.count(&core.db).await?
    };
    let next = if rows.len() as u64 > limit {
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        rows.last().map(|row| encode_keys(&keys_of(row)))
    } else {
        None
    };
    Ok((rows, next, total))
}

/// One page of a list computed in memory (not stored), already in its order: the items after
/// the one whose position `position_of` gives equals the cursor's.
pub fn page_in_memory<T, P>(
    items: Vec<T>,
    page: &PageQuery,
    position_of: impl Fn(&T) -> P,
) -> Result<gmac_types::Page<T>>
where
    P: serde::Serialize + serde::de::DeserializeOwned + PartialOrd,
{
    let limit = usize::try_from(page_size(page.limit)?).unwrap_or(usize::MAX);
    let total = items.len() as u64;
    let start = match cursor(page.cursor.as_ref()) {
        None => 0,
        Some(raw) => {
            let after: P = decode_value(raw)?;
            items
                .iter()
                .position(|item| position_of(item) > after)
                .unwrap_or(items.len())
        }
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let next_cursor = if rest.len() > limit {
        rest.truncate(limit);
        rest.last()
            .map(|item| serde_json::to_value(position_of(item)).map(|v| encode_value(&v)))
            .transpose()
            .map_err(|e| Error::Internal(e.into()))?
    } else {
        None
    };
    Ok(gmac_types::Page {
        items: rest,
        next_cursor,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let cursor = encode_cursor("acme corp", "0190-x");
        assert_eq!(
            decode_cursor(&cursor, 2).ok(),
            Some(vec![
                Key::Text("acme corp".into()),
                Key::Text("0190-x".into())
            ])
        );
        assert!(decode_cursor(&cursor, 3).is_err());
        assert!(matches!(
            decode_cursor("not a cursor", 2),
            Err(Error::BadRequest(_))
        ));
    }
}
