//! Turning wire values into text for people: role names, scopes, dates, initials.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use gmac_types::access::roles;
use gmac_types::{AuthMethod, RoleGrant, Scope};
use rust_decimal::{Decimal, RoundingStrategy};

/// A role's name, e.g. `super_admin` → "Super Admin". Custom role ids are title-cased.
pub fn role_label(role: &str) -> String {
    match role {
        roles::SUPER_ADMIN => "Super Admin".to_owned(),
        roles::ADMIN => "Admin".to_owned(),
        roles::DEVELOPER => "Developer".to_owned(),
        roles::VIEWER => "Viewer".to_owned(),
        roles::BILLING_MANAGER => "Billing Manager".to_owned(),
        other => other
            .split(['_', '-'])
            .filter(|word| !word.is_empty())
            .map(capitalize)
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Where a grant applies when the names are not at hand, e.g. "global" or "project 0190abcd…"
/// (pages that can load names use [`crate::components::scope::Directory::scope_label`]).
pub fn scope_label(scope: &Scope) -> String {
    use crate::components::scope::short_id;
    match scope {
        Scope::Global => "global".to_owned(),
        Scope::Client { id } => format!("client {}", short_id(id)),
        Scope::Project { id } => format!("project {}", short_id(id)),
    }
}

/// A grant as one line, e.g. "Super Admin · global".
pub fn grant_label(grant: &RoleGrant) -> String {
    format!(
        "{} · {}",
        role_label(&grant.role),
        scope_label(&grant.scope)
    )
}

/// How the session was authenticated, e.g. "session".
pub const fn auth_method_label(method: AuthMethod) -> &'static str {
    match method {
        AuthMethod::Session => "session",
        AuthMethod::ApiToken => "API token",
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A date as "2 Jan 2025" (UTC), without a date-formatting library.
pub fn date_label(at: &DateTime<Utc>) -> String {
    let month = usize::try_from(at.month0())
        .ok()
        .and_then(|m| MONTHS.get(m))
        .copied()
        .unwrap_or("?");
    format!("{} {month} {}", at.day(), at.year())
}

/// A date and time as "2 Jan 2025, 14:03:07 UTC", without a date-formatting library.
pub fn utc_label(at: &DateTime<Utc>) -> String {
    format!(
        "{}, {:02}:{:02}:{:02} UTC",
        date_label(at),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// A date and time for people: in the time zone `zone` (IANA, e.g. `Europe/Berlin`), else the
/// browser's, through the browser's `Intl`; in UTC where that is unavailable.
pub fn date_time_label(at: &DateTime<Utc>, zone: Option<&str>) -> String {
    #[cfg(target_arch = "wasm32")]
    if let Some(label) = crate::js::format_date_time(at, zone) {
        return label;
    }
    let _ = zone;
    utc_label(at)
}

/// An amount of money for people, e.g. `$1,234.50`, `−€12.00` or `1,000.00 CHF`: rounded
/// (half away from zero) to `decimals` places, with thousands separators. Works on the exact
/// decimal, never through a float.
pub fn money_dp(amount: &Decimal, currency: &str, decimals: u32) -> String {
    let rounded = amount.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "−"
    } else {
        ""
    };
    let text = rounded.abs().to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let mut number = group_thousands(whole);
    if decimals > 0 {
        let width = usize::try_from(decimals).unwrap_or(2);
        number = format!("{number}.{fraction:0<width$}");
    }
    match currency_symbol(currency) {
        Some(symbol) => format!("{sign}{symbol}{number}"),
        None => format!("{sign}{number} {currency}"),
    }
}

/// An amount of money with two decimals, e.g. `$1,234.50`.
pub fn money(amount: &Decimal, currency: &str) -> String {
    money_dp(amount, currency, 2)
}

/// The symbol written before amounts in `currency`, for the common ones.
fn currency_symbol(currency: &str) -> Option<&'static str> {
    match currency {
        "USD" => Some("$"),
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        "JPY" => Some("¥"),
        _ => None,
    }
}

/// A count for people, e.g. `12,345`.
pub fn count_label(count: u64) -> String {
    group_thousands(&count.to_string())
}

/// `1234567` → `1,234,567`.
fn group_thousands(digits: &str) -> String {
    let len = digits.len();
    let mut out = String::with_capacity(len + len / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A day as "18 Sep 2024".
pub fn day_label(day: NaiveDate) -> String {
    format!("{} {} {}", day.day(), month_name(day.month0()), day.year())
}

/// A day as "18 Sep", for chart axes.
pub fn short_day_label(day: NaiveDate) -> String {
    format!("{} {}", day.day(), month_name(day.month0()))
}

/// A month's short name, from 0 (January).
pub fn month_name(month0: u32) -> &'static str {
    usize::try_from(month0)
        .ok()
        .and_then(|m| MONTHS.get(m))
        .copied()
        .unwrap_or("?")
}

/// Up to two initials for an avatar, e.g. "Ada Lovelace" → "AL".
pub fn initials(name: &str) -> String {
    let initials: String = name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if initials.is_empty() {
        "?".to_owned()
    } else {
        initials
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_and_custom_roles_have_names() {
        assert_eq!(role_label("super_admin"), "Super Admin");
        assert_eq!(role_label("release_manager"), "Release Manager");
    }

    #[test]
    fn a_global_grant_reads_as_one_line() {
        let grant = RoleGrant {
            role: "super_admin".to_owned(),
            scope: Scope::Global,
            via_team: None,
        };
        assert_eq!(grant_label(&grant), "Super Admin · global");
    }

    #[test]
    fn utc_times_read_without_a_library() {
        let at = DateTime::parse_from_rfc3339("2025-01-02T14:03:07Z")
            .map(|t| t.with_timezone(&Utc))
            .ok();
        assert_eq!(
            at.map(|t| date_time_label(&t, None)).as_deref(),
            Some("2 Jan 2025, 14:03:07 UTC")
        );
    }

    #[test]
    fn money_reads_exactly_with_separators() {
        let d = |s: &str| s.parse::<Decimal>().unwrap_or_default();
        assert_eq!(money(&d("1234567.891"), "USD"), "$1,234,567.89");
        assert_eq!(money(&d("0.005"), "USD"), "$0.01");
        assert_eq!(money(&d("-12"), "EUR"), "−€12.00");
        assert_eq!(money(&d("999.5"), "CHF"), "999.50 CHF");
        assert_eq!(money(&d("-0.001"), "USD"), "$0.00");
        assert_eq!(money_dp(&d("1500"), "USD", 0), "$1,500");
        assert_eq!(money(&d("20.52022672899"), "USD"), "$20.52");
        assert_eq!(count_label(1_234_567), "1,234,567");
        assert_eq!(count_label(12), "12");
    }

    #[test]
    fn days_read_for_people() {
        let day = NaiveDate::from_ymd_opt(2024, 9, 18).unwrap_or_default();
        assert_eq!(day_label(day), "18 Sep 2024");
        assert_eq!(short_day_label(day), "18 Sep");
    }

    #[test]
    fn initials_take_the_first_two_words() {
        assert_eq!(initials("ada lovelace byron"), "AL");
        assert_eq!(initials("  "), "?");
    }
}
