//! Money: exact amounts in units of 10⁻¹¹ of the currency.
//!
//! FOCUS exports carry up to 11 decimal places (the `FinOps` sample does). In Rust an amount is
//! an `i128` of units; in the database it is two integer columns, `<name>_whole` (whole
//! currency units, rounded down) and `<name>_frac` (the 10⁻¹¹ fractions, `0 ≤ frac < 10¹¹`),
//! so that the value is `whole · 10¹¹ + frac`. Each column sums exactly in SQL on `SQLite` and
//! `PostgreSQL` alike, and sums are joined in Rust with checked 128-bit arithmetic.
//!
//! A line may hold up to ±10¹⁵ ([`MAX_LINE`]); a stored sum (a rollup row, an import's total, a
//! budget) up to about ±9.2·10¹⁸ whole units, and a summed report is exact to well past ±10¹⁷.

use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places kept.
pub const SCALE: u32 = 11;

/// Units in one whole currency unit: 10¹¹.
pub const ONE: i128 = 100_000_000_000;

/// The largest amount of one line, in whole currency units: 10¹⁵.
pub const MAX_LINE: i128 = 1_000_000_000_000_000;

/// Why an amount cannot be stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoneyError {
    /// Beyond what the amount may hold.
    TooLarge,
}

/// The units of one line's `amount`, rounding half to even beyond 11 places; beyond ±10¹⁵ it is
/// refused.
pub fn to_units(amount: Decimal) -> Result<i128, MoneyError> {
    if amount.abs() > Decimal::from_i128_with_scale(MAX_LINE, 0) {
        return Err(MoneyError::TooLarge);
    }
    let mut rounded = amount.round_dp_with_strategy(SCALE, RoundingStrategy::MidpointNearestEven);
    rounded.rescale(SCALE);
    if rounded.scale() != SCALE {
        return Err(MoneyError::TooLarge);
    }
    Ok(rounded.mantissa())
}

/// The units of any amount (a sum, a forecast), rounding half to even beyond 11 places, or
/// `None` beyond `i128`.
pub fn units_of(amount: Decimal) -> Option<i128> {
    let rounded = amount.round_dp_with_strategy(SCALE, RoundingStrategy::MidpointNearestEven);
    let missing = SCALE.checked_sub(rounded.scale())?;
    rounded
        .mantissa()
        .checked_mul(10_i128.checked_pow(missing)?)
}

/// The stored columns of `units`: whole currency units (rounded down) and the fraction
/// (`0 ≤ frac < 10¹¹`).
pub fn split(units: i128) -> Result<(i64, i64), MoneyError> {
    let whole = i64::try_from(units.div_euclid(ONE)).map_err(|_| MoneyError::TooLarge)?;
    let frac = i64::try_from(units.rem_euclid(ONE)).map_err(|_| MoneyError::TooLarge)?;
    Ok((whole, frac))
}

/// The units of stored columns (of a row, or of summed rows: `frac` may then exceed 10¹¹).
pub fn join(whole: i64, frac: i64) -> i128 {
    i128::from(whole) * ONE + i128::from(frac)
}

/// The units of summed columns, or `None` beyond `i128`.
pub fn join_sums(whole: i128, frac: i128) -> Option<i128> {
    whole.checked_mul(ONE)?.checked_add(frac)
}

/// The amount of `units`, without trailing zeros.
pub fn from_units(units: i128) -> Decimal {
    from_sum(units)
}

/// The amount of `units`, without trailing zeros: exact up to about ±7.9·10¹⁷; beyond, rounded
/// (half to even) to the places a `Decimal` can hold, never saturated.
pub fn from_sum(units: i128) -> Decimal {
    let mut units = units;
    let mut scale = SCALE;
    loop {
        if let Ok(d) = Decimal::try_from_i128_with_scale(units, scale) {
            return d.normalize();
        }
        if scale == 0 {
            // Unreachable: i128 / 10¹¹ fits a Decimal's 96 bits.
            return if units < 0 {
                Decimal::MIN
            } else {
                Decimal::MAX
            };
        }
        let (q, r) = (units.div_euclid(10), units.rem_euclid(10));
        units = if r > 5 || (r == 5 && q % 2 != 0) {
            q + 1
        } else {
            q
        };
        scale -= 1;
    }
}

/// An amount for people: rounded to cents, always with two decimals (`38.00`).
pub fn cents(amount: Decimal) -> String {
    format!("{:.2}", amount.round_dp(2))
}

/// An amount for people on paper: rounded to cents, with a comma between thousands
/// (`-1,234,567.80`).
pub fn grouped(amount: Decimal) -> String {
    let plain = cents(amount);
    let (sign, digits) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |rest| ("-", rest));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut out = String::with_capacity(plain.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    format!("{sign}{out}.{fraction}")
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    #[test]
    fn amounts_on_paper_group_thousands() {
        for (amount, text) in [
            ("0", "0.00"),
            ("999.999", "1,000.00"),
            ("1234.5", "1,234.50"),
            ("-1234567.891", "-1,234,567.89"),
            ("100000", "100,000.00"),
            ("-0.5", "-0.50"),
        ] {
            assert_eq!(grouped(dec(amount)), text, "{amount}");
        }
    }

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
            "999999999999999.99999999999",
            "-999999999999999.99999999999",
            "1000000000000000",
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
        assert_eq!(to_units(dec("100000000")), Ok(100_000_000 * ONE));
        assert_eq!(
            to_units(dec("1000000000000000.00000000001")),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(to_units(dec("-1e16")), Err(MoneyError::TooLarge));
    }

    #[test]
    fn splitting_keeps_the_fraction_positive_and_joins_back() {
        assert_eq!(split(-1), Ok((-1, 99_999_999_999)));
        assert_eq!(split(ONE), Ok((1, 0)));
        for units in [
            0,
            1,
            -1,
            ONE - 1,
            -ONE,
            10_i128.pow(26) - 1,
            -(10_i128.pow(26)),
        ] {
            let (whole, frac) = split(units).unwrap();
            assert!((0..100_000_000_000).contains(&frac));
            assert_eq!(join(whole, frac), units);
        }
        assert_eq!(split(i128::MAX), Err(MoneyError::TooLarge));
    }

    #[test]
    fn any_amount_has_units() {
        assert_eq!(units_of(dec("1e20")), Some(10_i128.pow(31)));
        assert_eq!(units_of(dec("-0.000000000015")), Some(-2));
        assert_eq!(units_of(dec("1e26")).map(from_sum), Some(dec("1e26")));
        assert_eq!(units_of(Decimal::MAX), None);
    }

    #[test]
    fn sums_beyond_a_decimal_round_instead_of_saturating() {
        let exact = 10_i128.pow(28) + 1;
        assert_eq!(from_sum(exact), dec("100000000000000000.00000000001"));
        let big = 10_i128.pow(30) + 5;
        assert_eq!(from_sum(big), dec("10000000000000000000"));
        assert_eq!(from_sum(-big), dec("-10000000000000000000"));
    }
}
