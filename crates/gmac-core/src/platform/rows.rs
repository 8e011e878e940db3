//! Reading whole models by column position.
//!
//! sea-orm's derived `FromQueryResult` finds each column by name, and on SQLite a timestamp
//! goes through sqlx's text decoding, which tries chrono's RFC 3339 parser and then a list of
//! formats. For a page of fifty rows that was a quarter of the instructions of the whole list
//! request (issue 8, point 19). [`all`] reads the same rows by position instead, as the values
//! the model's own `ActiveModel` accepts: on a SQLite file in place ([`read_in_place`], with a
//! parser for exactly the timestamp form sqlx stores), otherwise from sqlx's own row.
//!
//! It reads by position only when the rows' columns are the entity's, in its order and by its
//! names (what `Entity::find()` selects); for any other shape, or a column type it does not
//! know, each row is read by name as before.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{ColumnType, Value};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    IdenStatic, Iterable, QueryResult, QueryTrait, Select, TryIntoModel,
};

use crate::{Core, Result};

/// How one column is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Read {
    Text,
    BigInt,
    Int,
    Bool,
    Time,
}

impl Read {
    fn of(column_type: &ColumnType) -> Option<Self> {
        Some(match column_type {
            ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_) => Read::Text,
            ColumnType::BigInteger => Read::BigInt,
            ColumnType::Integer => Read::Int,
            ColumnType::Boolean => Read::Bool,
            ColumnType::TimestampWithTimeZone => Read::Time,
            _ => return None,
        })
    }

    /// A value as SQLite stored it, when it is of the kind this column holds: text as UTF-8,
    /// integers, and timestamps in the form sqlx writes. `None` for anything else (the caller
    /// then reads the whole query through sqlx, which decodes or refuses it as it always has).
    fn in_place(self, stored: rusqlite::types::ValueRef<'_>) -> Option<Value> {
        use rusqlite::types::ValueRef;
        Some(match (self, stored) {
            (Read::Text, ValueRef::Null) => Option::<String>::None.into(),
            (Read::BigInt, ValueRef::Null) => Option::<i64>::None.into(),
            (Read::Int, ValueRef::Null) => Option::<i32>::None.into(),
            (Read::Bool, ValueRef::Null) => Option::<bool>::None.into(),
            (Read::Time, ValueRef::Null) => Option::<DateTime<Utc>>::None.into(),
            (Read::Text, ValueRef::Text(text)) => std::str::from_utf8(text).ok()?.to_owned().into(),
            (Read::Time, ValueRef::Text(text)) => {
                gmac_types::time::parse_stored(std::str::from_utf8(text).ok()?)?.into()
            }
            (Read::BigInt, ValueRef::Integer(n)) => n.into(),
            (Read::Int, ValueRef::Integer(n)) => i32::try_from(n).ok()?.into(),
            (Read::Bool, ValueRef::Integer(n)) => (n != 0).into(),
            _ => return None,
        })
    }

    /// The value at position `i`: straight from sqlx's own row on either backend; through
    /// sea-orm for any other kind of row.
    fn value(self, row: &QueryResult, i: usize) -> Result<Value> {
        if let Some(row) = row.try_as_sqlite_row() {
            return Ok(self.typed(row, i)?);
        }
        if let Some(row) = row.try_as_pg_row() {
            return Ok(self.typed(row, i)?);
        }
        Ok(match self {
            Read::Text => row.try_get_by_index::<Option<String>>(i)?.into(),
            Read::BigInt => row.try_get_by_index::<Option<i64>>(i)?.into(),
            Read::Int => row.try_get_by_index::<Option<i32>>(i)?.into(),
            Read::Bool => row.try_get_by_index::<Option<bool>>(i)?.into(),
            Read::Time => row.try_get_by_index::<Option<DateTime<Utc>>>(i)?.into(),
        })
    }

    /// Through sqlx's typed, checked `try_get`, by position.
    fn typed<R>(self, row: &R, i: usize) -> std::result::Result<Value, sqlx::Error>
    where
        R: sqlx::Row,
        usize: sqlx::ColumnIndex<R>,
        for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> Option<i32>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> Option<DateTime<Utc>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        Ok(match self {
            Read::Text => row.try_get::<Option<String>, _>(i)?.into(),
            Read::BigInt => row.try_get::<Option<i64>, _>(i)?.into(),
            Read::Int => row.try_get::<Option<i32>, _>(i)?.into(),
            Read::Bool => row.try_get::<Option<bool>, _>(i)?.into(),
            Read::Time => row.try_get::<Option<DateTime<Utc>>, _>(i)?.into(),
        })
    }
}

/// The rows `select` finds, as models: in place on SQLite where [`read_in_place`] can, through
/// sqlx by position otherwise.
pub async fn all<E>(core: &Core, select: Select<E>) -> Result<Vec<E::Model>>
where
    E: EntityTrait,
    E::ActiveModel: TryIntoModel<E::Model>,
{
    if let Some(models) = read_in_place(core, &select)? {
        return Ok(models);
    }
    all_on(&core.db, select).await
}

/// The rows `select` finds, read on this thread through
/// [`crate::sqlite_reads::SqliteReader`]; `None` where that
/// cannot be done exactly (PostgreSQL, an in-memory database, a parameter, column or stored
/// value of a kind it does not read), for the caller to read them the general way.
pub fn read_in_place<E>(core: &Core, select: &Select<E>) -> Result<Option<Vec<E::Model>>>
where
    E: EntityTrait,
    E::ActiveModel: TryIntoModel<E::Model>,
{
    let Some(reader) = core.sqlite_reads.as_deref() else {
        return Ok(None);
    };
    let Some(columns) = E::Column::iter()
        .map(|c| Read::of(c.def().get_column_type()).map(|read| (c, read)))
        .collect::<Option<Vec<_>>>()
    else {
        return Ok(None);
    };
    let statement = select.build(DbBackend::Sqlite);
    let Some(parameters) = statement
        .values
        .iter()
        .flat_map(|values| values.0.iter())
        .map(crate::sqlite_reads::parameter)
        .collect::<Option<Vec<_>>>()
    else {
        return Ok(None);
    };
    reader.with(|conn| -> Result<Option<Vec<E::Model>>> {
        let mut prepared = conn.prepare_cached(&statement.sql)?;
        let same_shape = prepared.column_count() == columns.len()
            && columns
                .iter()
                .enumerate()
                .all(|(i, (column, _))| prepared.column_name(i).ok() == Some(column.as_str()));
        if !same_shape {
            return Ok(None);
        }
        let mut rows = prepared.query(rusqlite::params_from_iter(parameters.iter()))?;
        let mut models = Vec::new();
        while let Some(row) = rows.next()? {
            let mut model = <E::ActiveModel as ActiveModelTrait>::default();
            for (i, (column, read)) in columns.iter().enumerate() {
                let Some(value) = read.in_place(row.get_ref(i)?) else {
                    return Ok(None);
                };
                model.try_set(*column, value)?;
            }
            models.push(model.try_into_model()?);
        }
        Ok(Some(models))
    })
}

/// The rows `select` finds on `conn`, read by position where their shape allows.
pub async fn all_on<E>(conn: &impl ConnectionTrait, select: Select<E>) -> Result<Vec<E::Model>>
where
    E: EntityTrait,
    E::ActiveModel: TryIntoModel<E::Model>,
{
    let backend = conn.get_database_backend();
    let rows = conn.query_all_raw(select.build(backend)).await?;
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    match positions::<E>(first) {
        Some(reads) => rows
            .iter()
            .map(|row| {
                let mut model = <E::ActiveModel as ActiveModelTrait>::default();
                for (i, (column, read)) in reads.iter().enumerate() {
                    model.try_set(*column, read.value(row, i)?)?;
                }
                Ok(model.try_into_model()?)
            })
            .collect(),
        None => rows
            .iter()
            .map(|row| Ok(E::Model::from_query_result(row, "")?))
            .collect(),
    }
}

/// Whether a row of `select` would be read by position (true for what `Entity::find()`
/// selects, for every entity whose column types [`Read`] knows); `None` when it finds no row.
pub async fn reads_by_position<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    select: Select<E>,
) -> Result<Option<bool>> {
    let backend = conn.get_database_backend();
    let row = conn.query_one_raw(select.build(backend)).await?;
    Ok(row.map(|row| positions::<E>(&row).is_some()))
}

/// Each column's reading, when the row holds exactly the entity's columns in its order.
fn positions<E: EntityTrait>(row: &QueryResult) -> Option<Vec<(E::Column, Read)>> {
    let names = row.column_names();
    let columns: Vec<E::Column> = E::Column::iter().collect();
    if names.len() != columns.len() {
        return None;
    }
    columns
        .into_iter()
        .zip(&names)
        .map(|(column, name)| {
            (column.as_str() == name)
                .then(|| Read::of(column.def().get_column_type()).map(|read| (column, read)))
                .flatten()
        })
        .collect()
}
