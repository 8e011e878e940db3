//! Month-end forecasts and anomaly detection over daily cost series, in exact decimals.
//!
//! Amounts may be as large as 10¹⁷ a day, whose squares pass what a `Decimal` holds: every
//! operation is checked, and deviations are scaled down by a power of ten before squaring.
//!
//! Both are deliberately simple and explainable (a person can check them by hand):
//! - the forecast adds, to the cost so far, the remaining days times the recent daily mean,
//!   with a prediction interval from the recent day-to-day spread;
//! - a day is anomalous when its cost is far from what the preceding days predict.

use rust_decimal::{Decimal, MathematicalOps};

/// How many recent days a forecast or expectation is based on.
pub const WINDOW: usize = 14;
/// Fewest days of history an expectation needs.
pub const MIN_HISTORY: usize = 7;
/// The z-score of the 90% two-sided prediction interval.
const Z90: Decimal = Decimal::from_parts(1645, 0, 0, false, 3);

/// The sum of `values`, or `None` beyond what a `Decimal` holds.
fn sum(values: &[Decimal]) -> Option<Decimal> {
    values
        .iter()
        .try_fold(Decimal::ZERO, |sum, v| sum.checked_add(*v))
}

/// The mean of `values` (not empty): of their sum, or of each value's share when the sum
/// would overflow.
fn mean(values: &[Decimal]) -> Decimal {
    let n = Decimal::from(values.len());
    sum(values)
        .and_then(|s| s.checked_div(n))
        .or_else(|| {
            values
                .iter()
                .try_fold(Decimal::ZERO, |sum, v| sum.checked_add(v.checked_div(n)?))
        })
        .unwrap_or(Decimal::ZERO)
}

/// The mean and (sample) standard deviation of `values`.
pub fn mean_and_sd(values: &[Decimal]) -> (Decimal, Decimal) {
    if values.is_empty() {
        return (Decimal::ZERO, Decimal::ZERO);
    }
    let mean = mean(values);
    if values.len() < 2 {
        return (mean, Decimal::ZERO);
    }
    let deviations: Vec<Decimal> = values
        .iter()
        .map(|v| v.checked_sub(mean).unwrap_or(Decimal::MAX))
        .collect();
    // Deviations below 10¹² square to below 10²⁴, so that their sum stays inside a Decimal:
    // larger ones are divided by a power of ten first, and the deviation multiplied back.
    let largest = deviations
        .iter()
        .map(|d| d.abs().trunc())
        .max()
        .unwrap_or(Decimal::ZERO);
    let digits = largest.to_string().trim_start_matches('-').len();
    let shift = u32::try_from(digits.saturating_sub(12)).unwrap_or(0);
    let scale = Decimal::from_i128_with_scale(10_i128.pow(shift), 0);
    let squares = deviations.iter().try_fold(Decimal::ZERO, |sum, d| {
        let d = d.checked_div(scale)?;
        sum.checked_add(d.checked_mul(d)?)
    });
    let sd = squares
        .and_then(|s| s.checked_div(Decimal::from(values.len() - 1)))
        .and_then(|variance| variance.sqrt())
        .and_then(|sd| sd.checked_mul(scale))
        .unwrap_or(Decimal::ZERO);
    (mean, sd)
}

/// A forecast of a period's total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Forecast {
    /// The cost so far.
    pub actual: Decimal,
    /// The expected total.
    pub expected: Decimal,
    /// The lower bound of the 90% prediction interval (never below the cost so far).
    pub lower: Decimal,
    /// The upper bound.
    pub upper: Decimal,
}

/// Forecasts a period's total from the daily costs so far (`so_far`, one per elapsed day, in
/// order; `history` are the days before the period, oldest first) and the days left.
pub fn forecast(history: &[Decimal], so_far: &[Decimal], days_left: u32) -> Forecast {
    let actual = sum(so_far).unwrap_or(Decimal::MAX);
    let recent: Vec<Decimal> = history
        .iter()
        .chain(so_far)
        .rev()
        .take(WINDOW)
        .copied()
        .collect();
    let (mean, sd) = mean_and_sd(&recent);
    let left = Decimal::from(days_left);
    let expected = mean
        .checked_mul(left)
        .and_then(|rest| actual.checked_add(rest))
        .unwrap_or(Decimal::MAX);
    // Independent days: the spread of a sum grows with the square root of its length.
    let margin = left
        .sqrt()
        .and_then(|root| Z90.checked_mul(sd)?.checked_mul(root))
        .unwrap_or(Decimal::ZERO);
    Forecast {
        actual,
        expected: expected.round_dp(2),
        lower: expected
            .checked_sub(margin)
            .unwrap_or(Decimal::MIN)
            .max(actual)
            .round_dp(2),
        upper: expected
            .checked_add(margin)
            .unwrap_or(Decimal::MAX)
            .round_dp(2),
    }
}

/// What a day was expected to cost, from the days before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// The mean of the preceding days.
    pub expected: Decimal,
    /// Their standard deviation.
    pub spread: Decimal,
}

/// The expectation for the day after `history` (oldest first), or `None` with too little
/// history.
pub fn expectation(history: &[Decimal]) -> Option<Expectation> {
    if history.len() < MIN_HISTORY {
        return None;
    }
    let recent = &history[history.len().saturating_sub(WINDOW)..];
    let (expected, spread) = mean_and_sd(recent);
    Some(Expectation { expected, spread })
}

/// Whether `actual` is anomalous against `e`: more than three standard deviations away, by
/// more than 20% of the expectation and by more than `min_impact` (so that cents on a quiet
/// service raise nothing).
pub fn is_anomaly(e: Expectation, actual: Decimal, min_impact: Decimal) -> bool {
    let impact = actual
        .checked_sub(e.expected)
        .map_or(Decimal::MAX, |d| d.abs());
    let three_sd = e
        .spread
        .checked_mul(Decimal::from(3))
        .unwrap_or(Decimal::MAX);
    impact > three_sd && impact > e.expected.abs() / Decimal::from(5) && impact > min_impact
}

/// `part` as a percentage of `whole` (not zero), to one place, or `None` beyond a `Decimal`.
pub fn percent(part: Decimal, whole: Decimal) -> Option<Decimal> {
    part.checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|p| p.checked_div(whole))
        .or_else(|| part.checked_div(whole)?.checked_mul(Decimal::ONE_HUNDRED))
        .map(|p| p.round_dp(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: i64) -> Decimal {
        Decimal::from(n)
    }

    #[test]
    fn a_steady_series_forecasts_exactly_with_no_spread() {
        let so_far = vec![d(10); 10];
        let f = forecast(&[], &so_far, 20);
        assert_eq!(f.actual, d(100));
        assert_eq!(f.expected, d(300));
        assert_eq!((f.lower, f.upper), (d(300), d(300)));
    }

    #[test]
    fn the_interval_widens_with_spread_and_days_left() {
        // Alternating 8 and 12: mean 10, sample sd ≈ 2.0755.
        let so_far: Vec<Decimal> = (0..14)
            .map(|i| if i % 2 == 0 { d(8) } else { d(12) })
            .collect();
        let f = forecast(&[], &so_far, 16);
        assert_eq!(f.expected, d(300));
        // 1.645 × 2.0755 × √16 = 13.66
        assert_eq!(f.upper, Decimal::new(31366, 2));
        assert_eq!(f.lower, Decimal::new(28634, 2));
        let later = forecast(&[], &so_far, 4);
        assert!(later.upper - later.expected < f.upper - f.expected);
    }

    #[test]
    fn only_recent_days_count_and_history_fills_a_young_month() {
        let history = vec![d(100); 30];
        let f = forecast(&history, &[d(10), d(10)], 28);
        // 12 days of 100 and 2 of 10: mean 87.142857…
        assert_eq!(f.expected, Decimal::from(2460));
        assert!(f.lower >= f.actual);
    }

    #[test]
    fn a_spike_is_an_anomaly_and_noise_is_not() {
        let history: Vec<Decimal> = (0..14).map(|i| d(100 + (i % 3))).collect();
        let e = expectation(&history).unwrap();
        assert!(is_anomaly(e, d(180), d(1)));
        assert!(is_anomaly(e, d(20), d(1)), "a drop counts too");
        assert!(!is_anomaly(e, d(103), d(1)));
        assert!(!is_anomaly(e, d(180), d(100)), "below the minimum impact");
        assert_eq!(expectation(&history[..6]), None);
    }
}
