//! Turning wire values into text for people: role names, scopes, dates, initials.

use chrono::{DateTime, Datelike, Timelike, Utc};
use gmac_types::access::roles;
use gmac_types::{AuthMethod, RoleGrant, Scope};

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

/// Where a grant applies, e.g. "global" or "project 0190…".
pub fn scope_label(scope: &Scope) -> String {
    match scope {
        Scope::Global => "global".to_owned(),
        Scope::Client { id } => format!("client {id}"),
        Scope::Project { id } => format!("project {id}"),
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
    fn initials_take_the_first_two_words() {
        assert_eq!(initials("ada lovelace byron"), "AL");
        assert_eq!(initials("  "), "?");
    }
}
