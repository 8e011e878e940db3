//! A budget's meter: what was spent against the limit, with the forecast marked, drawn in
//! SVG (the page's CSP allows no inline styles). The text next to it carries the numbers.

use gmac_types::{BudgetStatus, BudgetThreshold, ThresholdBasis};
use leptos::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The meter's end, in percent of the limit: at least the limit, at most twice it.
const MAX_SCALE: u32 = 200;

/// How a budget stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Below its first warning.
    Fine,
    /// Past its first warning, within the limit.
    Warning,
    /// Over the limit.
    Over,
}

impl Level {
    /// Where spend at `percent` of the limit stands, given the budget's thresholds: the
    /// lowest threshold on actual spend below 100% (80% without one) warns.
    pub fn of(percent: &Decimal, thresholds: &[BudgetThreshold]) -> Self {
        let warn = thresholds
            .iter()
            .filter(|t| t.basis == ThresholdBasis::Actual && t.percent < 100)
            .map(|t| t.percent)
            .min()
            .unwrap_or(80);
        if *percent >= Decimal::ONE_HUNDRED {
            Level::Over
        } else if *percent >= Decimal::from(warn) {
            Level::Warning
        } else {
            Level::Fine
        }
    }

    /// The CSS class of the fill.
    pub const fn class(self) -> &'static str {
        match self {
            Level::Fine => "budget-fine",
            Level::Warning => "budget-warning",
            Level::Over => "budget-over",
        }
    }

    /// A word for people.
    pub const fn label(self) -> &'static str {
        match self {
            Level::Fine => "On track",
            Level::Warning => "Close to the limit",
            Level::Over => "Over budget",
        }
    }
}

/// Where a budget stands, in words: the one answer the list and the budget's own page both
/// give. Spend under the limit with a forecast over it is not "On track".
#[component]
pub fn StandingBadges(
    /// Where the budget stands.
    status: BudgetStatus,
) -> impl IntoView {
    let BudgetStatus {
        budget,
        percent_used,
        forecast_percent,
        ..
    } = status;
    let (level, words, forecast_over) =
        standing(&percent_used, &forecast_percent, &budget.thresholds);
    let forecast = forecast_over.then(|| {
        view! {
            <span class="badge budget-badge budget-warning">
                {format!("Forecast over, {}", percent_label(&forecast_percent))}
            </span>
        }
    });
    view! {
        <span class="budget-badges" data-standing=words>
            <span class=format!("badge budget-badge {}", level.class())>{words}</span>
            {forecast}
        </span>
    }
}

/// Where a budget stands: its level, that in words, and whether the forecast passes the limit
/// that spend has not reached yet.
pub fn standing(
    percent_used: &Decimal,
    forecast_percent: &Decimal,
    thresholds: &[BudgetThreshold],
) -> (Level, &'static str, bool) {
    let level = Level::of(percent_used, thresholds);
    let forecast_over = level != Level::Over && *forecast_percent >= Decimal::ONE_HUNDRED;
    let words = if level == Level::Fine && forecast_over {
        "Under the limit so far"
    } else {
        level.label()
    };
    (level, words, forecast_over)
}

/// A percentage for people, rounded to a whole number, e.g. "96%".
pub fn percent_label(percent: &Decimal) -> String {
    format!("{}%", percent.round_dp(0).normalize())
}

/// The meter's end in percent of the limit: the limit, or the spend or forecast beyond it
/// (up to [`MAX_SCALE`]).
fn scale(used: &Decimal, forecast: &Decimal) -> f64 {
    let most = [Decimal::ONE_HUNDRED, *used, *forecast]
        .into_iter()
        .max()
        .unwrap_or(Decimal::ONE_HUNDRED)
        .min(Decimal::from(MAX_SCALE));
    most.to_f64().unwrap_or(100.0)
}

/// `percent` as a position on a meter ending at `end`, 0 to 100 (for drawing only).
fn x(percent: &Decimal, end: f64) -> String {
    let value = percent.to_f64().unwrap_or(0.0).max(0.0);
    format!("{:.2}", (value / end * 100.0).clamp(0.0, 100.0))
}

/// The meter of `status`. Decorative (`aria-hidden`): the figures are in the text beside it.
#[component]
pub fn BudgetMeter(
    /// Where the budget stands.
    status: BudgetStatus,
    /// The large size (the budget's own page).
    #[prop(optional)]
    large: bool,
) -> impl IntoView {
    let BudgetStatus {
        budget,
        percent_used,
        forecast_percent,
        ..
    } = status;
    let end = scale(&percent_used, &forecast_percent);
    let level = Level::of(&percent_used, &budget.thresholds);
    let used = x(&percent_used, end);
    let forecast = x(&forecast_percent, end);
    let limit = x(&Decimal::ONE_HUNDRED, end);

    view! {
        <svg
            class=format!("budget-meter {}", level.class())
            class:budget-meter-large=large
            viewBox="0 0 100 16"
            preserveAspectRatio="none"
            aria-hidden="true"
            focusable="false"
        >
            <rect class="meter-track" x="0" y="4" width="100" height="8"></rect>
            <rect class="budget-fill" x="0" y="4" width=used height="8"></rect>
            <line
                class="budget-limit"
                x1=limit.clone()
                x2=limit
                y1="1"
                y2="15"
                vector-effect="non-scaling-stroke"
            ></line>
            <line
                class="forecast-marker"
                x1=forecast.clone()
                x2=forecast
                y1="0"
                y2="16"
                vector-effect="non-scaling-stroke"
            ></line>
        </svg>
    }
}

/// What the meter's marks mean (decorative: the figures are in the text).
#[component]
pub fn BudgetLegend(
    /// The class of the spend's colour (e.g. [`Level::class`]); the default accent without.
    #[prop(optional)]
    level: Option<Level>,
) -> impl IntoView {
    let fill = format!(
        "legend-swatch legend-fill {}",
        level.map_or("", Level::class)
    );
    view! {
        <ul class="legend legend-inline" aria-hidden="true">
            <li>
                <span class=fill></span>
                "Spent"
            </li>
            <li>
                <span class="legend-swatch legend-limit"></span>
                "Limit"
            </li>
            <li>
                <span class="legend-swatch legend-forecast"></span>
                "Forecast"
            </li>
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap_or_default()
    }

    #[test]
    fn budgets_warn_at_their_first_threshold() {
        let thresholds = [
            BudgetThreshold {
                percent: 50,
                basis: ThresholdBasis::Actual,
            },
            BudgetThreshold {
                percent: 90,
                basis: ThresholdBasis::Forecast,
            },
        ];
        assert_eq!(Level::of(&d("49.9"), &thresholds), Level::Fine);
        assert_eq!(Level::of(&d("50"), &thresholds), Level::Warning);
        assert_eq!(Level::of(&d("100"), &thresholds), Level::Over);
        assert_eq!(Level::of(&d("79"), &[]), Level::Fine);
        assert_eq!(Level::of(&d("80"), &[]), Level::Warning);
    }

    #[test]
    fn spend_under_the_limit_with_a_forecast_over_it_is_not_on_track() {
        assert_eq!(
            standing(&d("40"), &d("90"), &[]),
            (Level::Fine, "On track", false)
        );
        assert_eq!(
            standing(&d("40"), &d("126"), &[]),
            (Level::Fine, "Under the limit so far", true)
        );
        assert_eq!(
            standing(&d("85"), &d("126"), &[]),
            (Level::Warning, "Close to the limit", true)
        );
        assert_eq!(
            standing(&d("110"), &d("126"), &[]),
            (Level::Over, "Over budget", false)
        );
    }

    #[test]
    fn the_meter_widens_for_spend_past_the_limit() {
        assert!((scale(&d("50"), &d("90")) - 100.0).abs() < 1e-9);
        assert!((scale(&d("96.1"), &d("131.7")) - 131.7).abs() < 1e-9);
        assert!((scale(&d("400"), &d("0")) - 200.0).abs() < 1e-9);
        assert_eq!(x(&d("50"), 200.0), "25.00");
        assert_eq!(percent_label(&d("96.1")), "96%");
        assert_eq!(percent_label(&d("131.7")), "132%");
    }
}
