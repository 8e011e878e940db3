//! The bottom of the costs area: how sums are stored (whole and fractional columns) and read
//! back, the grouped sums every cost view is made of, who may see which clients' costs, and
//! the names of users and teams in reports. Costs, allocation, insights, budgets and reports
//! all read through here; it imports none of them, so the area has no import cycle.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use gmac_types::{CostMetric, FieldError, Permission, SubjectKind};
use sea_orm::sea_query::{Alias, Expr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, ExprTrait, QueryFilter,
    QuerySelect,
};

use crate::access::Target;
use crate::entities::{cost_allocation, cost_daily, team, user};
use crate::{Actor, Error, Result, money};

/// The refusal of a sum too large to store.
pub(crate) fn beyond(what: &str) -> Error {
    unreadable(&format!(
        "{what} would pass ±9.2·10¹⁸, the most gmac can hold in one sum"
    ))
}

/// The stored columns of a sum, or a refusal naming what it sums.
pub(crate) fn stored(units: i128, what: impl FnOnce() -> String) -> Result<(i64, i64)> {
    money::split(units).map_err(|_| beyond(&what()))
}

/// A stored amount's units from its optional whole part.
pub(crate) fn joined(whole: Option<i64>, frac: i64) -> Option<i128> {
    whole.map(|w| money::join(w, frac))
}

/// The stored columns of an optional amount.
pub(crate) fn stored_opt(
    units: Option<i128>,
    what: impl FnOnce() -> String,
) -> Result<(Option<i64>, i64)> {
    Ok(match units {
        Some(units) => {
            let (whole, frac) = stored(units, what)?;
            (Some(whole), frac)
        }
        None => (None, 0),
    })
}

/// The refusal of a whole file, said as a sentence (a capital and a full stop), since forms
/// show it as it is, beside the file.
pub(crate) fn unreadable(reason: &str) -> Error {
    Error::Validation(vec![FieldError::new(
        "file",
        "invalid_focus_file",
        sentence(reason),
    )])
}

/// `reason` with a capital first letter and a closing full stop.
pub(crate) fn sentence(reason: &str) -> String {
    let reason = reason.trim();
    let mut chars = reason.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// A column by name, for the columns the cost tables share.
pub(crate) fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

/// The units of a money column's `CAST(SUM(<name>_whole) AS TEXT)` and
/// `CAST(SUM(<name>_frac) AS TEXT)`: exact integers on both backends (`SQLite` sums integers
/// exactly or fails; `PostgreSQL` sums `bigint` into `numeric`, written `123` or `123.0`),
/// joined with checked 128-bit arithmetic. No rows sum to nothing: zero.
pub(crate) fn summed_units(whole: Option<&str>, frac: Option<&str>) -> Result<i128> {
    let parse = |text: Option<&str>| -> Result<i128> {
        let text = text.unwrap_or("0");
        text.split('.')
            .next()
            .unwrap_or("0")
            .parse()
            .map_err(|_| anyhow::anyhow!("a summed amount is not an integer: {text:?}").into())
    };
    money::join_sums(parse(whole)?, parse(frac)?)
        .ok_or_else(|| anyhow::anyhow!("a summed amount is beyond 128 bits").into())
}

/// Where a series of costs comes from: the rollups, or the allocated costs (which know users
/// and teams), narrowed by a condition on their common columns.
#[derive(Clone, Debug)]
pub(crate) struct Slice {
    /// Read the allocated costs.
    pub allocated: bool,
    /// Which rows.
    pub condition: Condition,
}

/// The money column of a metric (its `_whole` and `_frac` parts are stored).
pub(crate) fn metric_column(metric: CostMetric) -> &'static str {
    match metric {
        CostMetric::Billed => "billed_cost",
        CostMetric::Effective => "effective_cost",
        CostMetric::List => "list_cost",
    }
}

/// Daily sums of a slice between two days (inclusive): the currency and the sum per day, in
/// money units. Days without costs are absent.
pub(crate) async fn daily(
    conn: &impl ConnectionTrait,
    slice: &Slice,
    (from, to): (NaiveDate, NaiveDate),
    metric: CostMetric,
    currency: Option<&str>,
) -> Result<(String, std::collections::BTreeMap<NaiveDate, i128>)> {
    grouped(conn, slice, (from, to), col("day"), metric, currency)
        .await
        .map(|(currency, sums)| {
            let days = sums
                .into_iter()
                .filter_map(|(key, units)| Some((key?.parse().ok()?, units)))
                .collect();
            (currency, days)
        })
}

/// Sums of a slice between two days, grouped by `key`.
pub(crate) async fn grouped(
    conn: &impl ConnectionTrait,
    slice: &Slice,
    (from, to): (NaiveDate, NaiveDate),
    key: Expr,
    metric: CostMetric,
    currency: Option<&str>,
) -> Result<(String, Vec<(Option<String>, i128)>)> {
    let condition = slice
        .condition
        .clone()
        .add(col("day").gte(from.to_string()))
        .add(col("day").lte(to.to_string()));
    let metric = metric_column(metric);
    if slice.allocated {
        sum_groups(
            conn,
            cost_allocation::Entity::find(),
            condition,
            key,
            metric,
            currency,
        )
        .await
    } else {
        sum_groups(
            conn,
            cost_daily::Entity::find(),
            condition,
            key,
            metric,
            currency,
        )
        .await
    }
}

/// A condition on a rollup's tag (for project budgets: `project=<name>`).
pub(crate) fn tag_equals(backend: DbBackend, key: &str, value: &str) -> Option<Expr> {
    is_tag_key(key).then(|| tag_expr(backend, key).eq(value.to_owned()))
}

/// Runs the grouped sum over one of the cost tables: the currency, and each group's key
/// (`None` when empty) with its sum in money units.
pub(crate) async fn sum_groups<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    select: sea_orm::Select<E>,
    condition: Condition,
    key_expr: Expr,
    metric: &str,
    currency: Option<&str>,
) -> Result<(String, Vec<(Option<String>, i128)>)> {
    type Row = (Option<String>, String, Option<String>, Option<String>, i64);
    let mut select = select.filter(condition);
    if let Some(c) = currency {
        select = select.filter(col("currency").eq(c.to_ascii_uppercase()));
    }
    // One scan: sums per key and currency, with how many rows each has, so the main currency
    // is chosen without a second pass over the rollups.
    let rows: Vec<Row> = select
        .select_only()
        .column_as(key_expr.clone(), "key")
        .column_as(col("currency"), "currency")
        .column_as(
            Expr::cust(format!("CAST(SUM({metric}_whole) AS TEXT)")),
            "whole",
        )
        .column_as(
            Expr::cust(format!("CAST(SUM({metric}_frac) AS TEXT)")),
            "frac",
        )
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(key_expr)
        .group_by(col("currency"))
        .into_tuple()
        .all(conn)
        .await?;
    let currency = if let Some(c) = currency {
        c.to_ascii_uppercase()
    } else {
        let mut counts: HashMap<&str, i64> = HashMap::new();
        for (_, c, _, _, n) in &rows {
            *counts.entry(c.as_str()).or_default() += n;
        }
        counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
            .map_or_else(|| "USD".to_owned(), |(c, _)| c.to_owned())
    };
    let mut sums = Vec::with_capacity(rows.len());
    for (key, _, whole, frac, _) in rows.into_iter().filter(|r| r.1 == currency) {
        sums.push((
            key.filter(|k| !k.is_empty()),
            summed_units(whole.as_deref(), frac.as_deref())?,
        ));
    }
    Ok((currency, sums))
}

/// Whether `key` is a tag key as AWS allows them (letters, digits, spaces and `_.:/=+-@`),
/// which also makes it safe to write into SQL as a literal.
pub(crate) fn is_tag_key(key: &str) -> bool {
    !key.is_empty()
        && key.chars().count() <= 128
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || " _.:/=+-@".contains(c))
}

/// The value of tag `key` (already checked by [`is_tag_key`]) in the rollup's tag object.
pub(crate) fn tag_expr(backend: DbBackend, key: &str) -> Expr {
    Expr::cust(tag_sql(backend, key))
}

/// [`tag_expr`]'s SQL.
pub(crate) fn tag_sql(backend: DbBackend, key: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("(tags::jsonb ->> '{key}')"),
        _ => format!("json_extract(tags, '$.\"{key}\"')"),
    }
}

/// The clients whose costs the actor may see (`None`: all), or 403/404.
pub(crate) fn visible_clients(
    actor: &Actor,
    client_id: Option<&String>,
) -> Result<Option<std::collections::BTreeSet<String>>> {
    actor.ensure_enrolled()?;
    if let Some(id) = client_id {
        actor.require_on(Permission::CostsView, &Target::Client(id.clone()))?;
        return Ok(Some(std::iter::once(id.clone()).collect()));
    }
    if !actor.permissions.can_anywhere(Permission::CostsView) {
        return Err(Error::Forbidden);
    }
    Ok(actor
        .permissions
        .visible(Permission::CostsView)
        .whole_client_ids())
}

/// The first and last day of the month `YYYY-MM`.
pub fn month_bounds(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    // Exactly `YYYY-MM` in years 1 to 9999: chrono alone also takes signed years and spaces.
    if first.format("%Y-%m").to_string() != month || !(1..=9999).contains(&first.year()) {
        return None;
    }
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)?
    };
    Some((first, next - Duration::days(1)))
}

/// Names for user and team ids, for report labels.
pub async fn labels(
    conn: &impl ConnectionTrait,
    kind: SubjectKind,
    ids: Vec<String>,
) -> Result<HashMap<String, String>> {
    Ok(match kind {
        SubjectKind::User => user::Entity::find()
            .filter(user::Column::Id.is_in(ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect(),
        SubjectKind::Team => team::Entity::find()
            .filter(team::Column::Id.is_in(ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn a_file_refusal_reads_as_a_sentence() {
        assert_eq!(
            sentence("this is not a FOCUS file: the header lacks BilledCost"),
            "This is not a FOCUS file: the header lacks BilledCost."
        );
        assert_eq!(sentence("Already one."), "Already one.");
        assert_eq!(sentence("émigré rows"), "Émigré rows.");
    }
}
