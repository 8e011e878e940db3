//! Timestamps on the wire: RFC 3339 in UTC, as chrono writes them (`2026-12-03T13:11:00.5Z`).
//!
//! chrono's own `Serialize` goes through `collect_str`, which makes `serde_json` escape the
//! text one character at a time; a page of 50 rows with two timestamps each spent more
//! instructions there than bare actix-web spends on the whole request (issue 8, point 19).
//! Writing the digits into a buffer first gives the same text in one pass (chrono's
//! `to_rfc3339_opts` still cost a thousand instructions a timestamp, through `fmt`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

/// `#[serde(serialize_with = "crate::time::rfc3339")]`
pub(crate) fn rfc3339<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339_text(at, Zone::Z, &mut [0; 35]))
}

/// The timestamp as chrono's `to_rfc3339_opts(AutoSi, _)` writes it: in `buf` where
/// [`write_rfc3339`] can, through chrono otherwise.
pub fn rfc3339_text<'b>(
    at: &DateTime<Utc>,
    zone: Zone,
    buf: &'b mut [u8; 35],
) -> std::borrow::Cow<'b, str> {
    match write_rfc3339(at, zone, buf) {
        Some(text) => std::borrow::Cow::Borrowed(text),
        None => std::borrow::Cow::Owned(at.to_rfc3339_opts(SecondsFormat::AutoSi, zone == Zone::Z)),
    }
}

/// How a UTC timestamp ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    /// `Z`, as on the wire (chrono's `to_rfc3339_opts(AutoSi, true)`).
    Z,
    /// `+00:00`, as sqlx stores a `DateTime<Utc>` in SQLite (`to_rfc3339_opts(AutoSi, false)`).
    Offset,
}

/// `YYYY-MM-DDThh:mm:ss[.fff|.ffffff|.fffffffff]` and the zone, for years 0 to 9999 outside
/// leap seconds; `None` for the rest, which chrono writes.
///
/// The date comes from the Unix day by Howard Hinnant's `civil_from_days`: chrono's `year()`,
/// `month()` and `day()` each unpack its ordinal form again, and cost three times as much.
fn write_rfc3339<'b>(at: &DateTime<Utc>, zone: Zone, buf: &'b mut [u8; 35]) -> Option<&'b str> {
    let nanos = at.timestamp_subsec_nanos();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let seconds = at.timestamp();
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let year = u32::try_from(year).ok().filter(|y| *y <= 9999)?;
    let of_day = u32::try_from(seconds.rem_euclid(86_400)).ok()?;
    digits(&mut buf[0..4], year);
    buf[4] = b'-';
    digits(&mut buf[5..7], month);
    buf[7] = b'-';
    digits(&mut buf[8..10], day);
    buf[10] = b'T';
    digits(&mut buf[11..13], of_day / 3600);
    buf[13] = b':';
    digits(&mut buf[14..16], of_day / 60 % 60);
    buf[16] = b':';
    digits(&mut buf[17..19], of_day % 60);
    let mut end = 19;
    let (fraction, width) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    if width > 0 {
        buf[end] = b'.';
        digits(&mut buf[end + 1..end + 1 + width], fraction);
        end += 1 + width;
    }
    let suffix: &[u8] = match zone {
        Zone::Z => b"Z",
        Zone::Offset => b"+00:00",
    };
    buf[end..end + suffix.len()].copy_from_slice(suffix);
    std::str::from_utf8(&buf[..end + suffix.len()]).ok()
}

/// `value`'s last `out.len()` decimal digits, two at a time.
fn digits(out: &mut [u8], mut value: u32) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut end = out.len();
    while end >= 2 {
        let pair = usize::try_from(value % 100).unwrap_or(0) * 2;
        out[end - 2..end].copy_from_slice(&PAIRS[pair..pair + 2]);
        value /= 100;
        end -= 2;
    }
    if end == 1 {
        out[0] = PAIRS[usize::try_from(value % 10).unwrap_or(0) * 2 + 1];
    }
}

/// The proleptic Gregorian (year, month, day) of a day counted from 1970-01-01
/// (<https://howardhinnant.github.io/date_algorithms.html#civil_from_days>).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Day 1 to 31 and month 1 to 12 by construction.
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// A UTC timestamp in the form [`rfc3339_text`] writes (`YYYY-MM-DDThh:mm:ss`, an optional
/// fraction of one to nine digits, then `Z` or `+00:00`), which is also how sqlx stores a
/// `DateTime<Utc>` in SQLite; `None` for any other text, which the caller reads the general way.
pub fn parse_stored(text: &str) -> Option<DateTime<Utc>> {
    const SCALE: [u32; 10] = [
        1_000_000_000,
        100_000_000,
        10_000_000,
        1_000_000,
        100_000,
        10_000,
        1_000,
        100,
        10,
        1,
    ];
    let bytes = text.as_bytes();
    let digit = |i: usize| -> Option<u32> {
        let d = bytes.get(i)?.wrapping_sub(b'0');
        (d < 10).then_some(u32::from(d))
    };
    let two = |i: usize| Some(digit(i)? * 10 + digit(i + 1)?);
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || bytes[10] != b'T'
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let year = two(0)? * 100 + two(2)?;
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, two(5)?, two(8)?)?;
    let (mut nanos, mut end) = (0, 19);
    if bytes[19] == b'.' {
        end = 20;
        while let Some(d) = digit(end) {
            if end == 29 {
                return None;
            }
            nanos = nanos * 10 + d;
            end += 1;
        }
        nanos *= *SCALE.get(end - 20).filter(|_| end > 20)?;
    }
    let rest = &bytes[end..];
    if rest != b"Z" && rest != b"+00:00" {
        return None;
    }
    let time = chrono::NaiveTime::from_hms_nano_opt(two(11)?, two(14)?, two(17)?, nanos)?;
    Some(date.and_time(time).and_utc())
}

/// `#[serde(serialize_with = "crate::time::rfc3339_opt")]`
#[expect(
    clippy::ref_option,
    reason = "serde's serialize_with passes the field by reference"
)]
pub(crate) fn rfc3339_opt<S: Serializer>(
    at: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => rfc3339(at, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[derive(serde::Serialize)]
    struct Ours(#[serde(serialize_with = "rfc3339")] DateTime<Utc>);

    /// The text is exactly chrono's, whatever the fraction of a second.
    #[test]
    fn writes_what_chrono_writes() {
        let base = Utc.with_ymd_and_hms(2026, 12, 3, 13, 11, 0).unwrap();
        for nanos in [0, 500_000_000, 123_000_000, 123_456_000, 123_456_789, 1] {
            let at = base + chrono::Duration::nanoseconds(nanos);
            assert_eq!(
                serde_json::to_string(&Ours(at)).unwrap(),
                serde_json::to_string(&at).unwrap()
            );
            let mut buf = [0; 35];
            assert_eq!(
                write_rfc3339(&at, Zone::Offset, &mut buf),
                Some(at.to_rfc3339_opts(SecondsFormat::AutoSi, false).as_str())
            );
        }
        for far in [
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap(),
        ] {
            assert_eq!(
                serde_json::to_string(&Ours(far)).unwrap(),
                serde_json::to_string(&far).unwrap()
            );
        }
    }

    /// Every day from year 0 to 9999 (leap years, century years, 2000) dates as chrono dates it,
    /// at a second of the day that varies with the day.
    #[test]
    fn every_day_of_ten_thousand_years_dates_as_chrono_does() {
        let first = Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap();
        let last = Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap();
        let mut day = first;
        let mut n: i64 = 0;
        while day <= last {
            let at = day + chrono::Duration::seconds(n * 7919 % 86_400);
            let mut buf = [0; 35];
            assert_eq!(
                write_rfc3339(&at, Zone::Z, &mut buf),
                Some(at.to_rfc3339_opts(SecondsFormat::AutoSi, true).as_str())
            );
            day += chrono::Duration::days(1);
            n += 1;
        }
        assert_eq!(n, 3_652_425);
    }

    /// What [`rfc3339_text`] writes reads back to the same instant, in both zone forms; text in
    /// any other form (another offset, a leap second, a space for the `T`) is left to the
    /// general parser rather than misread.
    #[test]
    fn stored_text_reads_back_and_other_forms_are_declined() {
        let base = Utc.with_ymd_and_hms(2026, 12, 3, 13, 11, 7).unwrap();
        for nanos in [0, 500_000_000, 123_000_000, 123_456_000, 123_456_789, 1] {
            let at = base + chrono::Duration::nanoseconds(nanos);
            for zone in [Zone::Z, Zone::Offset] {
                let mut buf = [0; 35];
                assert_eq!(parse_stored(&rfc3339_text(&at, zone, &mut buf)), Some(at));
            }
        }
        assert_eq!(
            parse_stored("2024-02-29T23:59:59.5Z"),
            Some(
                Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).unwrap()
                    + chrono::Duration::milliseconds(500)
            )
        );
        for other in [
            "2026-12-03T13:11:07+01:00",
            "2026-12-03 13:11:07+00:00",
            "2026-12-03T13:11:60Z",
            "2023-02-29T00:00:00Z",
            "2026-12-03T13:11:07.Z",
            "2026-12-03T13:11:07.1234567890Z",
            "2026-12-03T13:11:07",
            "2026-12-03",
            "+026-12-03T13:11:07Z",
        ] {
            assert_eq!(parse_stored(other), None, "{other}");
        }
    }
}
