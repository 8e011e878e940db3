//! The suggestions the profile form offers: common time zones and AWS regions.

/// Common IANA time zones, for the time-zone field's suggestions (any zone the browser knows
/// is accepted).
pub const TIME_ZONES: [&str; 60] = [
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Zurich",
    "Europe/Vienna",
    "Europe/Stockholm",
    "Europe/Oslo",
    "Europe/Copenhagen",
    "Europe/Helsinki",
    "Europe/Warsaw",
    "Europe/Prague",
    "Europe/Athens",
    "Europe/Istanbul",
    "Europe/Kyiv",
    "Europe/Moscow",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Jakarta",
    "Asia/Singapore",
    "Asia/Hong_Kong",
    "Asia/Shanghai",
    "Asia/Taipei",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Australia/Perth",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Sydney",
    "Australia/Melbourne",
    "Pacific/Auckland",
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Vancouver",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/Mexico_City",
    "America/New_York",
    "America/Toronto",
    "America/Halifax",
    "America/Bogota",
    "America/Lima",
    "America/Santiago",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
];

/// Common AWS regions with their locations, for the default-region select.
pub const AWS_REGIONS: [(&str, &str); 23] = [
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
    ("ca-central-1", "Canada (Central)"),
    ("sa-east-1", "South America (São Paulo)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("me-central-1", "Middle East (UAE)"),
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
];

/// The label of a region for the select, e.g. "eu-central-1 · Europe (Frankfurt)".
pub fn region_label(code: &str) -> String {
    AWS_REGIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_owned(), |(c, name)| format!("{c} · {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_have_no_duplicates() {
        let mut zones = TIME_ZONES.to_vec();
        zones.sort_unstable();
        zones.dedup();
        assert_eq!(zones.len(), TIME_ZONES.len());
        let mut regions: Vec<&str> = AWS_REGIONS.iter().map(|(c, _)| *c).collect();
        regions.sort_unstable();
        regions.dedup();
        assert_eq!(regions.len(), AWS_REGIONS.len());
        assert_eq!(
            region_label("eu-central-1"),
            "eu-central-1 · Europe (Frankfurt)"
        );
        assert_eq!(region_label("xx-1"), "xx-1");
    }
}
