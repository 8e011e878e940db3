//! The month-end forecast: what this month will likely cost, with its 90% interval, for the
//! client and metric the dashboard shows (the forecast cannot be narrowed by project or tag).

use gmac_types::{CostForecast, ForecastQuery};
use leptos::prelude::*;
use rust_decimal::Decimal;

use crate::api::Failure;
use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::format::money;
use crate::pages::costs::meter::fraction;
use crate::pages::costs::overview::month_label;
use crate::pages::costs::{Dashboard, UnfilteredNote};

/// Where `value` falls on a bar whose end is `end`, in percent of its width (0 to 100), for
/// drawing only.
fn at(value: &Decimal, end: &Decimal) -> f64 {
    fraction(value, end) * 100.0
}

/// The forecast card, `#cost-forecast`.
#[component]
pub fn ForecastCard(
    /// The dashboard.
    dash: Dashboard,
) -> impl IntoView {
    let auth = dash.auth;
    let forecast = LocalResource::new(move || {
        dash.version.track();
        let query = dash.view.with(|v| ForecastQuery {
            client_id: v.client.clone(),
            metric: v.metric,
            ..ForecastQuery::default()
        });
        async move {
            auth.call(move |c| {
                let query = query.clone();
                async move { c.cost_forecast(&query).await }
            })
            .await
            .map_err(|e| Failure::of(&e))
        }
    });
    view! {
        <section class="card cost-forecast section-gap" id="cost-forecast" aria-labelledby="cost-forecast-title">
            {move || match forecast.get() {
                None => view! { <Loading label="Loading the forecast…" /> }.into_any(),
                Some(Err(failure)) => {
                    view! { <LoadFailed message=failure retry=Callback::new(move |()| forecast.refetch()) /> }
                        .into_any()
                }
                // Nothing this month nor in the days the forecast rests on: no data, not a
                // forecast of nothing.
                Some(Ok(f)) if nothing_to_forecast(&f) => {
                    view! {
                        <h2 class="card-title" id="cost-forecast-title">
                            {format!("Month-end forecast · {}", month_label(&f.month))}
                        </h2>
                        <p class="muted" id="forecast-no-data">
                            "No costs yet this month, nor in the 14 days before it: there is nothing to forecast from. The forecast appears once costs are imported."
                        </p>
                    }
                        .into_any()
                }
                Some(Ok(f)) => view! { <ForecastBody forecast=f /> }.into_any(),
            }}
            <UnfilteredNote
                dash=dash
                id="forecast-unfiltered"
                what="The forecast ignores the project and tag filters."
            />
        </section>
    }
}

/// Whether the forecast rests on no costs at all (none this month, none in the days before).
fn nothing_to_forecast(f: &CostForecast) -> bool {
    f.actual.is_zero() && f.forecast.is_zero() && f.upper.is_zero()
}

/// The figures and the bar.
#[component]
fn ForecastBody(forecast: CostForecast) -> impl IntoView {
    let f = forecast;
    let title = format!("Month-end forecast · {}", month_label(&f.month));
    let currency = f.currency.clone();
    let remaining = f.forecast - f.actual;
    let note = if f.days_elapsed == 0 {
        "No day of this month is complete yet: the forecast rests on the 14 days before.".to_owned()
    } else if f.days_elapsed >= f.days_in_month {
        "The month is complete: this is what it cost.".to_owned()
    } else {
        format!(
            "The {} days so far, plus the {} days to come at the average of the last 14 days.",
            f.days_elapsed,
            f.days_in_month - f.days_elapsed
        )
    };
    // A little room after the interval, so its end reads as an end.
    let end = [f.upper, f.forecast, f.actual]
        .into_iter()
        .max()
        .unwrap_or(Decimal::ZERO)
        * Decimal::new(105, 2);
    let (actual_x, forecast_x, lower_x, upper_x) = (
        at(&f.actual, &end),
        at(&f.forecast, &end),
        at(&f.lower, &end),
        at(&f.upper, &end),
    );
    let band = format!("{:.2}", (upper_x - lower_x).max(0.0));
    view! {
        <header class="card-header">
            <h2 id="cost-forecast-title">{title}</h2>
        </header>
        <div class="forecast-body">
            <div>
                <p class="cost-label">"Expected total"</p>
                <p class="cost-total" id="forecast-total">{money(&f.forecast, &currency)}</p>
                <p class="muted forecast-interval" id="forecast-interval">
                    "Likely between " {money(&f.lower, &currency)} " and " {money(&f.upper, &currency)}
                    " (90% interval)"
                </p>
            </div>
            <dl class="cost-figures">
                <div>
                    <dt>"Spent so far"</dt>
                    <dd id="forecast-actual">{money(&f.actual, &currency)}</dd>
                </div>
                <div>
                    <dt>"Still to come"</dt>
                    <dd>{money(&remaining, &currency)}</dd>
                </div>
                <div>
                    <dt>"Days counted"</dt>
                    <dd id="forecast-days">{format!("{} of {}", f.days_elapsed, f.days_in_month)}</dd>
                </div>
            </dl>
        </div>
        <div class="forecast-bar-wrap">
            <svg
                class="forecast-bar"
                viewBox="0 0 100 14"
                preserveAspectRatio="none"
                aria-hidden="true"
                focusable="false"
            >
                <rect class="meter-track" x="0" y="3" width="100" height="8" rx="1"></rect>
                <rect
                    class="forecast-band"
                    x=format!("{lower_x:.2}")
                    y="1"
                    width=band
                    height="12"
                    vector-effect="non-scaling-stroke"
                ></rect>
                <rect class="meter-fill" x="0" y="3" width=format!("{actual_x:.2}") height="8"></rect>
                <line
                    class="forecast-marker"
                    x1=format!("{forecast_x:.2}")
                    x2=format!("{forecast_x:.2}")
                    y1="0"
                    y2="14"
                    vector-effect="non-scaling-stroke"
                ></line>
            </svg>
            <ul class="legend" aria-hidden="true">
                <li>
                    <span class="legend-swatch legend-actual"></span>
                    "Spent"
                </li>
                <li>
                    <span class="legend-swatch legend-band"></span>
                    "90% interval"
                </li>
                <li>
                    <span class="legend-swatch legend-marker"></span>
                    "Forecast"
                </li>
            </ul>
            <p class="muted cost-note-inline">{note}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forecast(actual: &str, forecast: &str, upper: &str) -> CostForecast {
        CostForecast {
            month: "2026-12".into(),
            currency: "USD".into(),
            actual: actual.parse().unwrap_or_default(),
            forecast: forecast.parse().unwrap_or_default(),
            lower: Decimal::ZERO,
            upper: upper.parse().unwrap_or_default(),
            days_elapsed: 2,
            days_in_month: 31,
        }
    }

    #[test]
    fn a_client_without_current_costs_has_no_forecast_rather_than_a_zero_one() {
        assert!(nothing_to_forecast(&forecast("0", "0", "0")));
        // Nothing this month yet, but the days before forecast something.
        assert!(!nothing_to_forecast(&forecast("0", "310", "400")));
        assert!(!nothing_to_forecast(&forecast("20", "310", "400")));
    }
}
