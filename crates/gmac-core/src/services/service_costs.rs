//! What a service costs (issue 12, point 8), with no set-up: everything gmac deploys carries
//! the `gmac.io/service` and `gmac.io/environment` labels (and `project`), so the cost lines
//! tagged with them are the service's. Its page shows this month's cost, and each release its
//! environment's daily cost while it served against the release before it.
//!
//! Reading it needs `services.view` and `costs.view` where the service lives; the costs are
//! summed by the cost views' own query, inside the reader's cost scopes.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use gmac_types::{CostQuery, Permission, ReleaseCost, ServiceCostDay, ServiceCosts};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::entities::{environment, release};
use crate::services::{catalog, costs};
use crate::{Actor, Core, Result};

/// How far back a release's daily cost is read.
const HISTORY_DAYS: i64 = 90;

/// A release that went live: `(id, number, environment, when)`.
pub(crate) type WentLive = (String, i64, String, DateTime<Utc>);

/// What the service `service_id` costs.
pub async fn of_service(core: &Core, actor: &Actor, service_id: &str) -> Result<ServiceCosts> {
    let owner = catalog::find(&core.db, service_id).await?;
    let scope = catalog::target_of(&owner);
    actor.require_on(Permission::ServicesView, &scope)?;
    actor.require(Permission::CostsView, &scope)?;
    let today = core.now().date_naive();
    let month_start = today.with_day(1).unwrap_or(today);
    let first_day = (today - chrono::Duration::days(HISTORY_DAYS - 1)).min(month_start);
    let tag = format!("gmac.io/service={}", owner.id);
    // Whoever sees the client's costs reads them there; whoever sees only the project's, by
    // its `project` tag (which everything gmac deploys carries too).
    let whole_client = actor.can(
        Permission::CostsView,
        &crate::access::Target::Client(owner.client_id.clone()),
    );
    let report = costs::query_costs(
        core,
        actor,
        &CostQuery {
            from: first_day,
            to: today,
            group_by: Some("day".to_owned()),
            stack_by: Some("tag:gmac.io/environment".to_owned()),
            client_id: whole_client.then(|| owner.client_id.clone()),
            project_id: (!whole_client).then(|| owner.project_id.clone()),
            tag: Some(tag.clone()),
            ..CostQuery::default()
        },
    )
    .await?;
    let mut days = Vec::new();
    let mut by_environment: BTreeMap<(String, NaiveDate), Decimal> = BTreeMap::new();
    let mut last_day = None;
    for group in &report.groups {
        let Ok(date) = group.key.parse::<NaiveDate>() else {
            continue;
        };
        if !group.amount.is_zero() {
            last_day = last_day.max(Some(date));
        }
        if date >= month_start {
            days.push(ServiceCostDay {
                date,
                amount: group.amount,
            });
        }
        for part in &group.parts {
            *by_environment
                .entry((part.stack.clone(), date))
                .or_default() += part.amount;
        }
    }
    let month_to_date = days.iter().map(|d| d.amount).sum();
    let names: BTreeMap<String, String> = environment::Entity::find()
        .filter(environment::Column::ServiceId.eq(owner.id.as_str()))
        .all(&core.db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    let went_live: Vec<WentLive> = release::Entity::find()
        .filter(release::Column::ServiceId.eq(owner.id.as_str()))
        .filter(release::Column::Status.is_in(["live", "retired"]))
        .all(&core.db)
        .await?
        .into_iter()
        .map(|r| {
            let environment = names.get(&r.environment_id).cloned().unwrap_or_default();
            (
                r.id,
                r.number,
                environment,
                r.finished_at.unwrap_or(r.created_at),
            )
        })
        .collect();
    // Only whole days that have been imported count: a day with no costs yet is not free.
    let through = last_day.map_or(first_day - chrono::Duration::days(1), |d| {
        d.min(today - chrono::Duration::days(1))
    });
    Ok(ServiceCosts {
        currency: report.currency,
        tag,
        month_start,
        month_to_date,
        days,
        releases: release_costs(&went_live, &by_environment, first_day, through),
    })
}

/// Each release's environment's average daily cost over the whole days it served between
/// `first_day` and `through` (the days it went live and was replaced left out: they are
/// shared), and the change against the release before it in its environment; newest first.
pub(crate) fn release_costs(
    went_live: &[WentLive],
    daily: &BTreeMap<(String, NaiveDate), Decimal>,
    first_day: NaiveDate,
    through: NaiveDate,
) -> Vec<ReleaseCost> {
    let mut by_environment: BTreeMap<&str, Vec<&WentLive>> = BTreeMap::new();
    for release in went_live {
        by_environment.entry(&release.2).or_default().push(release);
    }
    let mut costs = Vec::new();
    for (environment, mut releases) in by_environment {
        releases.sort_by_key(|r| (r.3, r.1));
        let mut before: Option<Decimal> = None;
        for (i, (id, number, _, live_from)) in releases.iter().map(|r| &**r).enumerate() {
            let start = (live_from.date_naive() + chrono::Duration::days(1)).max(first_day);
            let end = releases.get(i + 1).map_or(through, |next| {
                (next.3.date_naive() - chrono::Duration::days(1)).min(through)
            });
            if releases
                .get(i + 1)
                .is_some_and(|next| next.3.date_naive() < first_day)
            {
                // Replaced before the days read: nothing to say of it.
                continue;
            }
            let (mut sum, mut count) = (Decimal::ZERO, 0_u32);
            let mut day = start;
            while day <= end {
                sum += daily
                    .get(&(environment.to_owned(), day))
                    .copied()
                    .unwrap_or_default();
                count += 1;
                day += chrono::Duration::days(1);
            }
            let average = (count > 0).then(|| {
                (sum / Decimal::from(count))
                    .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            });
            costs.push(ReleaseCost {
                release_id: id.clone(),
                number: *number,
                environment: environment.to_owned(),
                live_from: *live_from,
                days: count,
                daily: average,
                change: average.zip(before).map(|(now, then)| now - then),
            });
            if average.is_some() {
                before = average;
            }
        }
    }
    costs.sort_by_key(|c| std::cmp::Reverse(c.live_from));
    costs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn each_release_is_charged_the_whole_days_it_served_against_the_one_before() {
        let went_live = vec![
            (
                "r1".to_owned(),
                1,
                "staging".to_owned(),
                at("2026-11-01T10:00:00Z"),
            ),
            (
                "r2".to_owned(),
                2,
                "staging".to_owned(),
                at("2026-11-05T09:00:00Z"),
            ),
            (
                "p1".to_owned(),
                1,
                "production".to_owned(),
                at("2026-11-03T12:00:00Z"),
            ),
        ];
        let mut daily = BTreeMap::new();
        // Release 1 served whole days 2, 3 and 4 at 2.00 a day; the 5th is shared.
        for d in ["2026-11-02", "2026-11-03", "2026-11-04"] {
            daily.insert(("staging".to_owned(), day(d)), Decimal::new(200, 2));
        }
        daily.insert(
            ("staging".to_owned(), day("2026-11-05")),
            Decimal::new(9900, 2),
        );
        // Release 2 from the 6th to the 7th (the last imported day): 3.00 and 3.01.
        daily.insert(
            ("staging".to_owned(), day("2026-11-06")),
            Decimal::new(300, 2),
        );
        daily.insert(
            ("staging".to_owned(), day("2026-11-07")),
            Decimal::new(301, 2),
        );
        let costs = release_costs(&went_live, &daily, day("2026-10-01"), day("2026-11-07"));
        let r2 = costs.iter().find(|c| c.release_id == "r2").unwrap();
        assert_eq!(r2.days, 2);
        // 3.005 rounds away from zero to the cent.
        assert_eq!(r2.daily, Some(Decimal::new(301, 2)));
        assert_eq!(r2.change, Some(Decimal::new(101, 2)));
        let r1 = costs.iter().find(|c| c.release_id == "r1").unwrap();
        assert_eq!(
            (r1.days, r1.daily, r1.change),
            (3, Some(Decimal::new(200, 2)), None)
        );
        // Production's release has no cost lines: whole days at zero, nothing to compare.
        let p1 = costs.iter().find(|c| c.release_id == "p1").unwrap();
        assert_eq!((p1.days, p1.daily), (4, Some(Decimal::ZERO)));
        // Newest first.
        let order: Vec<&str> = costs.iter().map(|c| c.release_id.as_str()).collect();
        assert_eq!(order, ["r2", "p1", "r1"]);
    }

    #[test]
    fn a_release_live_for_less_than_a_whole_day_has_no_daily_cost() {
        let went_live = vec![
            (
                "r1".to_owned(),
                1,
                "staging".to_owned(),
                at("2026-11-06T10:00:00Z"),
            ),
            (
                "r2".to_owned(),
                2,
                "staging".to_owned(),
                at("2026-11-06T15:00:00Z"),
            ),
        ];
        let costs = release_costs(
            &went_live,
            &BTreeMap::new(),
            day("2026-10-01"),
            day("2026-11-07"),
        );
        let r1 = costs.iter().find(|c| c.release_id == "r1").unwrap();
        assert_eq!((r1.days, r1.daily, r1.change), (0, None, None));
        let r2 = costs.iter().find(|c| c.release_id == "r2").unwrap();
        assert_eq!((r2.days, r2.change), (1, None));
    }
}
