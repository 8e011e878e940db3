//! Timestamps on the wire: RFC 3339 in UTC, as chrono writes them (`2026-12-03T13:11:00.5Z`).
//!
//! chrono's own `Serialize` goes through `collect_str`, which makes `serde_json` escape the
//! text one character at a time; a page of 50 rows with two timestamps each spent more
//! instructions there than bare actix-web spends on the whole request (issue 8, point 19).
//! Writing the digits into a buffer first gives the same text in one pass (chrono's
//! `to_rfc3339_opts` still cost a thousand instructions a timestamp, through `fmt`).

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
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
fn write_rfc3339<'b>(at: &DateTime<Utc>, zone: Zone, buf: &'b mut [u8; 35]) -> Option<&'b str> {
    fn digits(out: &mut [u8], mut value: u32) {
        for slot in out.iter_mut().rev() {
            // A digit is below 10: the cast cannot truncate.
            *slot = b'0' + u8::try_from(value % 10).unwrap_or(0);
            value /= 10;
        }
    }
    let year = u32::try_from(at.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = at.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    digits(&mut buf[0..4], year);
    buf[4] = b'-';
    digits(&mut buf[5..7], at.month());
    buf[7] = b'-';
    digits(&mut buf[8..10], at.day());
    buf[10] = b'T';
    digits(&mut buf[11..13], at.hour());
    buf[13] = b':';
    digits(&mut buf[14..16], at.minute());
    buf[16] = b':';
    digits(&mut buf[17..19], at.second());
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
}
