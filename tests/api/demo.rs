//! Demo mode's sample data fills every cost view.

use chrono::{Duration, TimeZone, Utc};
use gmac_tests::{Options, spawn_app_with};
use gmac_types::PageQuery;
use gmac_types::{AnomalyDimension, AnomalyQuery, CostQuery, ForecastQuery};

#[tokio::test]
async fn the_demo_data_fills_trends_people_teams_forecasts_and_anomalies() {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    let app = spawn_app_with(Options {
        clock_start: Some(now),
        ..Options::default()
    })
    .await;
    let admin = gmac_core::services::users::ensure_demo_admin(&app.core, "demo password 1234")
        .await
        .unwrap();
    assert!(
        gmac_core::services::demo::seed(&app.core, &admin)
            .await
            .unwrap()
    );
    assert!(
        !gmac_core::services::demo::seed(&app.core, &admin)
            .await
            .unwrap(),
        "seeded once"
    );
    let demo = app
        .sign_in(gmac_core::services::users::DEMO_EMAIL, "demo password 1234")
        .await;
    let yesterday = now.date_naive() - Duration::days(1);
    let range = CostQuery {
        from: yesterday - Duration::days(89),
        to: yesterday,
        ..CostQuery::default()
    };
    let by_day = demo
        .client
        .costs(&CostQuery {
            group_by: Some("day".into()),
            ..range.clone()
        })
        .await
        .unwrap();
    assert_eq!(by_day.groups.len(), 90, "a cost every day");
    let people = demo
        .client
        .costs(&CostQuery {
            group_by: Some("user".into()),
            ..range.clone()
        })
        .await
        .unwrap();
    let labels: Vec<&str> = people
        .groups
        .iter()
        .filter_map(|g| g.label.as_deref())
        .collect();
    for name in ["Alice Chen", "Emma Novak", "Unallocated"] {
        assert!(labels.contains(&name), "{labels:?}");
    }
    let teams = demo
        .client
        .costs(&CostQuery {
            group_by: Some("team".into()),
            ..range.clone()
        })
        .await
        .unwrap();
    assert!(teams.groups.len() >= 3, "{:?}", teams.groups);
    // Each day's bar splits by person, names and all, as the per-person report does.
    let stacked = demo
        .client
        .costs(&CostQuery {
            group_by: Some("day".into()),
            stack_by: Some("user".into()),
            ..range.clone()
        })
        .await
        .unwrap();
    let stack_labels: Vec<&str> = stacked
        .stacks
        .iter()
        .filter_map(|g| g.label.as_deref())
        .collect();
    for name in ["Alice Chen", "Unallocated"] {
        assert!(stack_labels.contains(&name), "{stack_labels:?}");
    }
    assert_eq!(stacked.total, people.total, "the same allocated costs");
    assert_eq!(stacked.groups.len(), 90);
    for day in &stacked.groups {
        let parts: rust_decimal::Decimal = day.parts.iter().map(|p| p.amount).sum();
        assert_eq!(parts, day.amount);
    }
    let services = demo
        .client
        .costs(&CostQuery {
            group_by: Some("service".into()),
            ..range.clone()
        })
        .await
        .unwrap();
    assert_eq!(services.groups[0].key, "Amazon Elastic Compute Cloud");
    let forecast = demo
        .client
        .cost_forecast(&ForecastQuery::default())
        .await
        .unwrap();
    assert!(forecast.forecast > forecast.actual);
    assert!(forecast.lower <= forecast.forecast && forecast.forecast <= forecast.upper);
    let anomalies = demo
        .client
        .cost_anomalies(
            &AnomalyQuery {
                from: yesterday - Duration::days(13),
                to: yesterday,
                dimension: AnomalyDimension::Service,
                client_id: None,
                min_impact: None,
            },
            &PageQuery::default(),
        )
        .await
        .unwrap()
        .items;
    assert!(
        anomalies
            .iter()
            .any(|a| a.day == yesterday - Duration::days(4)
                && a.key == "Amazon Elastic Compute Cloud"),
        "{anomalies:?}"
    );
}
