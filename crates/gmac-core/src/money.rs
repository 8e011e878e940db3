//! Money in the database: 64-bit integers in units of 10⁻¹¹ of the currency.
//!
//! FOCUS exports carry up to 11 decimal places (the `FinOps` sample does), and an integer column
//! sums exactly in SQL on `SQLite` and `PostgreSQL` alike. The range is ±92 million per value,
//! per day's rollup row and per summed group.

use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places kept.
pub const SCALE: u32 = 11;

/// Why an amount cannot be stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoneyError {
    /// Beyond ±92 million.
    TooLarge,
}

/// The stored units of `amount`, rounding half to even beyond 11 places.
pub fn to_units(amount: Decimal) -> Result<i64, MoneyError> {
    let mut rounded = amount.round_dp_with_strategy(SCALE, RoundingStrategy::MidpointNearestEven);
    rounded.rescale(SCALE);
    if rounded.scale() != SCALE {
        return Err(MoneyError::TooLarge);
    }
    i64::try_from(rounded.mantissa()).map_err(|_| MoneyError::TooLarge)
}

/// The amount of `units`, without trailing zeros.
pub fn from_units(units: i64) -> Decimal {
    Decimal::new(units, SCALE).normalize()
}

/// The amount of a sum of units, which may exceed one value's range.
pub fn from_sum(units: i128) -> Decimal {
    Decimal::try_from_i128_with_scale(units, SCALE).map_or(Decimal::MAX, |d| d.normalize())
}

/// An amount for people: rounded to cents, always with two decimals (`38.00`).
pub fn cents(amount: Decimal) -> String {
    format!("{:.2}", amount.round_dp(2))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn eleven_places_round_trip_exactly() {
        for s in [
            "0.00001605990",
            "-3.00000000000",
            "20.52022672899",
            "0",
            "92000000",
        ] {
            assert_eq!(
                from_units(to_units(dec(s)).unwrap()),
                dec(s).normalize(),
                "{s}"
            );
        }
    }

    #[test]
    fn more_places_round_half_to_even_and_huge_amounts_are_refused() {
        assert_eq!(to_units(dec("0.000000000005")), Ok(0));
        assert_eq!(to_units(dec("0.000000000015")), Ok(2));
        assert_eq!(to_units(dec("100000000")), Err(MoneyError::TooLarge));
    }

    #[test]
    fn sums_beyond_one_value_still_convert() {
        let big = i128::from(i64::MAX) * 4;
        assert!(from_sum(big) > from_units(i64::MAX));
    }
}
