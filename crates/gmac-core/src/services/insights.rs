//! Cost insights: month-end forecasts and anomalies, read from the daily rollups.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate};
use gmac_types::{
    AnomalyDimension, AnomalyFeedback, AnomalyQuery, AnomalyVerdict, CostAnomaly, CostForecast,
    CostMetric, FieldError, ForecastQuery, Permission, RootCause, SubjectKind,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, Condition, EntityTrait, ExprTrait, QueryFilter};

use crate::audit::AuditEntry;
use crate::entities::anomaly_feedback;
use crate::forecast::{self, Forecast};
use crate::platform::change::Change;
use crate::services::cost_query::{
    Slice, col, daily, grouped, labels, month_bounds, visible_clients,
};
use crate::{Actor, Core, Error, RequestMeta, Result, money};

/// Forecasts a period `[start, end]` on `today`: the elapsed days are those before today
/// (today's costs are still arriving); history is the `WINDOW` days before the period.
pub(crate) async fn forecast_period(
    core: &Core,
    slice: &Slice,
    (start, end): (NaiveDate, NaiveDate),
    today: NaiveDate,
    metric: CostMetric,
    currency: Option<&str>,
) -> Result<(String, Forecast, u32)> {
    let history_start = start - Duration::days(i64::try_from(forecast::WINDOW).unwrap_or(14));
    let last_elapsed = Ord::min(today - Duration::days(1), end);
    let (currency, days) = daily(
        &core.db,
        slice,
        (history_start, Ord::max(end, last_elapsed)),
        metric,
        currency,
    )
    .await?;
    let series = |from: NaiveDate, to: NaiveDate| -> Vec<Decimal> {
        from.iter_days()
            .take_while(|d| *d <= to)
            .map(|d| money::from_sum(days.get(&d).copied().unwrap_or(0)))
            .collect()
    };
    // Days before the first cost ever seen are no evidence of a zero spend.
    let first_seen = days.keys().next().copied().unwrap_or(start);
    let history = series(
        Ord::max(history_start, first_seen),
        Ord::min(start - Duration::days(1), last_elapsed),
    );
    let so_far = if last_elapsed < start {
        Vec::new()
    } else {
        series(start, last_elapsed)
    };
    let elapsed = u32::try_from(so_far.len()).unwrap_or(0);
    let total_days = u32::try_from((end - start).num_days() + 1).unwrap_or(0);
    let mut f = forecast::forecast(&history, &so_far, total_days - elapsed);
    if elapsed == total_days {
        // A finished period: the forecast is what happened.
        f.expected = f.actual;
        f.lower = f.actual;
        f.upper = f.actual;
    }
    Ok((currency, f, elapsed))
}

/// A month-end forecast.
pub async fn forecast_month(
    core: &Core,
    actor: &Actor,
    query: &ForecastQuery,
) -> Result<CostForecast> {
    let visible = visible_clients(actor, query.client_id.as_ref())?;
    let today = core.now().date_naive();
    let month = query
        .month
        .clone()
        .unwrap_or_else(|| today.format("%Y-%m").to_string());
    let Some(bounds) = month_bounds(&month) else {
        return Err(Error::Validation(vec![FieldError::new(
            "month",
            "invalid_month",
            "Give the month as YYYY-MM.",
        )]));
    };
    let mut condition = Condition::all();
    if let Some(ids) = visible {
        condition = condition.add(col("client_id").is_in(ids));
    }
    if let Some(service) = &query.service {
        condition = condition.add(col("service_name").eq(service.clone()));
    }
    if let Some(user) = &query.user_id {
        condition = condition.add(col("user_id").eq(user.clone()));
    }
    if let Some(team) = &query.team_id {
        condition = condition.add(col("team_id").eq(team.clone()));
    }
    let slice = Slice {
        allocated: query.user_id.is_some() || query.team_id.is_some(),
        condition,
    };
    let (currency, f, elapsed) =
        forecast_period(core, &slice, bounds, today, query.metric, None).await?;
    Ok(CostForecast {
        month,
        currency,
        actual: f.actual,
        forecast: f.expected,
        lower: f.lower,
        upper: f.upper,
        days_elapsed: elapsed,
        days_in_month: u32::try_from((bounds.1 - bounds.0).num_days() + 1).unwrap_or(0),
    })
}

fn dimension_column(dimension: AnomalyDimension) -> (&'static str, bool) {
    match dimension {
        AnomalyDimension::Service => ("service_name", false),
        AnomalyDimension::Account => ("sub_account_id", false),
        AnomalyDimension::User => ("user_id", true),
        AnomalyDimension::Team => ("team_id", true),
    }
}

fn dimension_name(dimension: AnomalyDimension) -> &'static str {
    match dimension {
        AnomalyDimension::Service => "service",
        AnomalyDimension::Account => "account",
        AnomalyDimension::User => "user",
        AnomalyDimension::Team => "team",
    }
}

/// Daily series per key: `day || '\x1f' || key` grouped in one query.
async fn series_by(
    core: &Core,
    slice: &Slice,
    range: (NaiveDate, NaiveDate),
    key_columns: &[&str],
    currency: Option<&str>,
) -> Result<(String, HashMap<String, BTreeMap<NaiveDate, i128>>)> {
    let mut expr = "day".to_owned();
    for c in key_columns {
        expr = format!("{expr} || '|' || {c}");
    }
    let (currency, sums) = grouped(
        &core.db,
        slice,
        range,
        Expr::cust(expr),
        CostMetric::Billed,
        currency,
    )
    .await?;
    let mut out: HashMap<String, BTreeMap<NaiveDate, i128>> = HashMap::new();
    for (key, units) in sums {
        let Some(key) = key else { continue };
        let Some((day, rest)) = key.split_once('|') else {
            continue;
        };
        let Ok(day) = day.parse::<NaiveDate>() else {
            continue;
        };
        out.entry(rest.to_owned()).or_default().insert(day, units);
    }
    Ok((currency, out))
}

/// Finds the days in `[from, to]` whose cost, per key of the dimension, was far from what the
/// 14 days before predicted.
pub async fn anomalies(
    core: &Core,
    actor: &Actor,
    query: &AnomalyQuery,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<CostAnomaly>> {
    let visible = visible_clients(actor, query.client_id.as_ref())?;
    if query.to < query.from
        || (query.to - query.from).num_days() > 366
        || !(1..=9999).contains(&query.from.year())
        || !(1..=9999).contains(&query.to.year())
    {
        return Err(Error::Validation(vec![FieldError::new(
            "to",
            "invalid_range",
            "`to` must be after `from`, at most a year later.",
        )]));
    }
    let (key_column, allocated) = dimension_column(query.dimension);
    let mut condition = Condition::all();
    if let Some(ids) = visible {
        condition = condition.add(col("client_id").is_in(ids));
    }
    let slice = Slice {
        allocated,
        condition: condition.clone(),
    };
    let window = i64::try_from(forecast::WINDOW).unwrap_or(14);
    let range = (query.from - Duration::days(window), query.to);
    let (currency, series) = series_by(core, &slice, range, &[key_column], None).await?;
    let min_impact = query.min_impact.unwrap_or(Decimal::ONE);
    let mut found = Vec::new();
    for (key, days) in &series {
        // Today's costs are still arriving: a partial day is no anomaly.
        let last = Ord::min(query.to, core.now().date_naive() - Duration::days(1));
        for day in query.from.iter_days().take_while(|d| *d <= last) {
            let history: Vec<Decimal> = (day - Duration::days(window))
                .iter_days()
                .take_while(|d| *d < day)
                .map(|d| money::from_sum(days.get(&d).copied().unwrap_or(0)))
                .collect();
            // Only days since the key first had costs count as its history.
            let first = days.keys().next().copied().unwrap_or(day);
            let skip = usize::try_from(Ord::max(
                (first - (day - Duration::days(window))).num_days(),
                0,
            ))
            .unwrap_or(0);
            let Some(e) = forecast::expectation(history.get(skip..).unwrap_or(&[])) else {
                continue;
            };
            let actual = money::from_sum(days.get(&day).copied().unwrap_or(0));
            if forecast::is_anomaly(e, actual, min_impact) {
                let impact = actual.checked_sub(e.expected).unwrap_or(Decimal::MAX);
                found.push(CostAnomaly {
                    day,
                    dimension: query.dimension,
                    label: key.clone(),
                    key: key.clone(),
                    currency: currency.clone(),
                    expected: e.expected.round_dp(2),
                    actual: actual.round_dp(2),
                    impact: impact.round_dp(2),
                    impact_percent: (!e.expected.is_zero())
                        .then(|| forecast::percent(impact, e.expected))
                        .flatten(),
                    root_cause: None,
                    feedback: None,
                });
            }
        }
    }
    // Newest day first, the largest deviation of a day first; one anomaly per key and day.
    found.sort_by_key(anomaly_position);
    let mut page = crate::platform::paging::page_in_memory(found, page, anomaly_position)?;
    explain(core, &slice, query, &mut page.items).await?;
    Ok(page)
}

/// Where an anomaly stands in the list: rising as the list runs.
fn anomaly_position(a: &CostAnomaly) -> (i32, Decimal, String) {
    (-a.day.num_days_from_ce(), -a.impact.abs(), a.key.clone())
}

/// Fills in root causes, labels and feedback.
async fn explain(
    core: &Core,
    slice: &Slice,
    query: &AnomalyQuery,
    found: &mut [CostAnomaly],
) -> Result<()> {
    if found.is_empty() {
        return Ok(());
    }
    let window = i64::try_from(forecast::WINDOW).unwrap_or(14);
    let (key_column, _) = dimension_column(query.dimension);
    let cause = match query.dimension {
        AnomalyDimension::Service => Some(("account", "sub_account_id")),
        AnomalyDimension::Account | AnomalyDimension::User | AnomalyDimension::Team => {
            Some(("service", "service_name"))
        }
    };
    if let Some((cause_name, cause_column)) = cause {
        let range = (query.from - Duration::days(window), query.to);
        let currency = found.first().map(|a| a.currency.clone());
        let (_, parts) = series_by(
            core,
            slice,
            range,
            &[key_column, cause_column],
            currency.as_deref(),
        )
        .await?;
        for anomaly in found.iter_mut() {
            let prefix = format!("{}|", anomaly.key);
            let mut best: Option<(String, Decimal)> = None;
            for (composite, days) in &parts {
                let Some(part) = composite.strip_prefix(&prefix) else {
                    continue;
                };
                let history: Vec<Decimal> = (anomaly.day - Duration::days(window))
                    .iter_days()
                    .take_while(|d| *d < anomaly.day)
                    .map(|d| money::from_sum(days.get(&d).copied().unwrap_or(0)))
                    .collect();
                let (mean, _) = forecast::mean_and_sd(&history);
                let moved = money::from_sum(days.get(&anomaly.day).copied().unwrap_or(0))
                    .checked_sub(mean)
                    .unwrap_or(Decimal::MAX);
                if best.as_ref().is_none_or(|(_, b)| moved.abs() > b.abs()) {
                    best = Some((part.to_owned(), moved));
                }
            }
            anomaly.root_cause = best.map(|(key, impact)| RootCause {
                dimension: cause_name.to_owned(),
                key,
                impact: impact.round_dp(2),
            });
        }
    }
    let kind = match query.dimension {
        AnomalyDimension::User => Some(SubjectKind::User),
        AnomalyDimension::Team => Some(SubjectKind::Team),
        _ => None,
    };
    if let Some(kind) = kind {
        let ids = found.iter().map(|a| a.key.clone()).collect();
        let names = labels(&core.db, kind, ids).await?;
        for a in found.iter_mut() {
            if a.key.is_empty() {
                // Named as cost reports name it.
                "unallocated".clone_into(&mut a.key);
                "Unallocated".clone_into(&mut a.label);
            } else if let Some(name) = names.get(&a.key) {
                a.label.clone_from(name);
            }
        }
    }
    let feedback = anomaly_feedback::Entity::find()
        .filter(anomaly_feedback::Column::Dimension.eq(dimension_name(query.dimension)))
        .filter(anomaly_feedback::Column::Day.gte(query.from.to_string()))
        .filter(anomaly_feedback::Column::Day.lte(query.to.to_string()))
        .all(&core.db)
        .await?;
    for a in found.iter_mut() {
        a.feedback = feedback
            .iter()
            .find(|f| f.key == a.key && f.day == a.day.to_string())
            .map(|f| {
                if f.verdict == "expected" {
                    AnomalyVerdict::Expected
                } else {
                    AnomalyVerdict::NotExpected
                }
            });
    }
    Ok(())
}

/// Records whether an anomaly was expected (the latest word counts). Needs `costs.view`.
pub async fn give_feedback(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: &AnomalyFeedback,
) -> Result<()> {
    actor.ensure_enrolled()?;
    if !actor.permissions.can_anywhere(Permission::CostsView) {
        return Err(Error::Forbidden);
    }
    let key = input.key.trim();
    if key.len() > 2048 {
        return Err(Error::Validation(vec![FieldError::new(
            "key",
            "too_long",
            "At most 2048 characters.",
        )]));
    }
    let verdict = match input.verdict {
        AnomalyVerdict::Expected => "expected",
        AnomalyVerdict::NotExpected => "not_expected",
    };
    let now = core.now();
    let txn = Change::begin(core).await?;
    anomaly_feedback::Entity::insert(anomaly_feedback::ActiveModel::from(
        anomaly_feedback::Model {
            dimension: dimension_name(input.dimension).to_owned(),
            key: key.to_owned(),
            day: input.day.to_string(),
            verdict: verdict.to_owned(),
            user_id: actor.user_id.clone(),
            at: now,
        },
    ))
    .on_conflict(
        OnConflict::columns([
            anomaly_feedback::Column::Dimension,
            anomaly_feedback::Column::Key,
            anomaly_feedback::Column::Day,
        ])
        .update_columns([
            anomaly_feedback::Column::Verdict,
            anomaly_feedback::Column::UserId,
            anomaly_feedback::Column::At,
        ])
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "cost_anomaly.feedback")
        .target(
            "cost_anomaly",
            format!("{}:{}:{}", dimension_name(input.dimension), key, input.day),
        )
        .details(serde_json::json!({"verdict": verdict}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// A user's invoice for a month as the allocation stands now, not numbered (a draft): their
/// allocated `BilledCost` by service. The invoices of all users and the unallocated remainder
/// add up exactly to the billed cost of the month.
pub async fn draft_invoice(
    core: &Core,
    actor: &Actor,
    query: &gmac_types::InvoiceQuery,
) -> Result<gmac_types::Invoice> {
    let visible = visible_clients(actor, query.client_id.as_ref())?;
    let Some(bounds) = month_bounds(&query.period) else {
        return Err(Error::Validation(vec![FieldError::new(
            "period",
            "invalid_month",
            "Give the period as YYYY-MM.",
        )]));
    };
    let user_id = if query.user_id == "unallocated" {
        String::new()
    } else {
        query.user_id.clone()
    };
    let user_name = if user_id.is_empty() {
        "Unallocated".to_owned()
    } else {
        labels(&core.db, SubjectKind::User, vec![user_id.clone()])
            .await?
            .remove(&user_id)
            .ok_or(Error::NotFound)?
    };
    let mut condition = Condition::all().add(col("user_id").eq(user_id.clone()));
    if let Some(ids) = visible {
        condition = condition.add(col("client_id").is_in(ids));
    }
    let slice = Slice {
        allocated: true,
        condition,
    };
    let (currency, sums) = grouped(
        &core.db,
        &slice,
        bounds,
        col("service_name"),
        CostMetric::Billed,
        None,
    )
    .await?;
    let total = money::from_sum(sums.iter().map(|(_, units)| units).sum());
    let mut lines: Vec<gmac_types::InvoiceLine> = sums
        .into_iter()
        .map(|(service, units)| gmac_types::InvoiceLine {
            description: service.unwrap_or_else(|| "(no service)".to_owned()),
            amount: money::from_sum(units),
        })
        .filter(|l| !l.amount.is_zero())
        .collect();
    lines.sort_by(|a, b| {
        b.amount
            .cmp(&a.amount)
            .then(a.description.cmp(&b.description))
    });
    let prefix: String = if user_id.is_empty() {
        "UNALLOC".to_owned()
    } else {
        user_id
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(8)
            .collect()
    };
    Ok(gmac_types::Invoice {
        number: format!("DRAFT-{}-{}", query.period, prefix.to_uppercase()),
        kind: gmac_types::InvoiceKind::Draft,
        issued_at: None,
        issuer: core.invoice_issuer.clone(),
        corrects: None,
        outdated: false,
        user_id: query.user_id.clone(),
        user_name,
        period: query.period.clone(),
        currency,
        lines,
        total,
    })
}
