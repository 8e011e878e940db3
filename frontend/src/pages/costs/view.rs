//! What the costs dashboard shows: a date range, a client, a project, a tag and a metric. It
//! lives in the address's query (`?range=last-month&client=…&tag=env%3Dprod&metric=effective`),
//! so a view can be shared and survives a reload.

use chrono::{Datelike, Days, Months, NaiveDate};
use gmac_types::{CostMetric, CostQuery};

/// Ranges longer than this are drawn by month rather than by day.
const MAX_DAILY_DAYS: i64 = 366;

/// The date ranges offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// The 30 days up to yesterday (the default: a full month's trend on any day of the month).
    /// Ranges end at the last complete day: today's costs are not in yet, and a day without
    /// data is not a day that cost nothing.
    Last30,
    /// From the 1st of this month to yesterday (on the 1st: the 1st, which has nothing yet).
    ThisMonth,
    /// The whole of last month.
    LastMonth,
    /// The 90 days up to yesterday.
    Last90,
    /// From the 1st of the month five months back to yesterday: six months, by month.
    Last6Months,
    /// From the 1st of the month eleven months back to yesterday: twelve months, by month.
    Last12Months,
    /// Days picked by hand.
    Custom,
}

impl Preset {
    /// Every preset, in the order offered.
    pub const ALL: [Preset; 7] = [
        Preset::Last30,
        Preset::Last90,
        Preset::ThisMonth,
        Preset::LastMonth,
        Preset::Last6Months,
        Preset::Last12Months,
        Preset::Custom,
    ];

    /// The preset as the query writes it.
    pub const fn key(self) -> &'static str {
        match self {
            Preset::ThisMonth => "this-month",
            Preset::LastMonth => "last-month",
            Preset::Last30 => "30d",
            Preset::Last90 => "90d",
            Preset::Last6Months => "6m",
            Preset::Last12Months => "12m",
            Preset::Custom => "custom",
        }
    }

    /// The preset for people.
    pub const fn label(self) -> &'static str {
        match self {
            Preset::ThisMonth => "This month",
            Preset::LastMonth => "Last month",
            Preset::Last30 => "Last 30 days",
            Preset::Last90 => "Last 90 days",
            Preset::Last6Months => "Last 6 months",
            Preset::Last12Months => "Last 12 months",
            Preset::Custom => "Custom range",
        }
    }

    /// The preset a query value names.
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }

    /// The first and last day the preset covers when today is `today` (`None` for a custom
    /// range, whose days are picked).
    pub fn days(self, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        let first_of_month = today.with_day(1)?;
        let yesterday = today.pred_opt()?;
        match self {
            Preset::ThisMonth => Some((first_of_month, yesterday.max(first_of_month))),
            Preset::LastMonth => {
                let last = first_of_month.pred_opt()?;
                Some((last.with_day(1)?, last))
            }
            Preset::Last30 => Some((yesterday.checked_sub_days(Days::new(29))?, yesterday)),
            Preset::Last90 => Some((yesterday.checked_sub_days(Days::new(89))?, yesterday)),
            Preset::Last6Months => Some((
                yesterday.with_day(1)?.checked_sub_months(Months::new(5))?,
                yesterday,
            )),
            Preset::Last12Months => Some((
                yesterday.with_day(1)?.checked_sub_months(Months::new(11))?,
                yesterday,
            )),
            Preset::Custom => None,
        }
    }
}

/// Whether the trend's bars are days or months.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    /// Months for the month presets and for ranges over a year, days otherwise.
    Auto,
    /// A bar a day (ranges up to a year).
    Daily,
    /// A bar a month.
    Monthly,
}

/// What the trend's bars can be stacked by (`None`: one bar of the total).
pub const STACKS: [(&str, &str); 8] = [
    ("service", "Service"),
    ("account", "Account"),
    ("region", "Region"),
    ("client", "Client"),
    ("user", "Person"),
    ("team", "Team"),
    ("charge_category", "Charge type"),
    ("none", "Nothing (total)"),
];

/// The dashboard's choices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostView {
    /// The range preset.
    pub preset: Preset,
    /// The first day shown.
    pub from: NaiveDate,
    /// The last day shown.
    pub to: NaiveDate,
    /// Only this client's costs.
    pub client: Option<String>,
    /// Only this project's costs (its id).
    pub project: Option<String>,
    /// Only the costs carrying this tag, as `KEY=VALUE` (already checked by [`parse_tag`]).
    pub tag: Option<String>,
    /// Which cost is summed.
    pub metric: CostMetric,
    /// Days or months.
    pub granularity: Granularity,
    /// What the bars are stacked by: a `stack_by` value (`service` unless the address says
    /// otherwise), or `None` for one bar of the total.
    pub stack: Option<String>,
    /// Why a custom range cannot be shown (the dashboard waits for a fix).
    pub problem: Option<&'static str>,
}

impl CostView {
    /// The view the query (read through `get`) asks for; missing or unknown values take
    /// their defaults: the last 30 days, every client, no project or tag, billed cost.
    pub fn parse(get: impl Fn(&str) -> Option<String>, today: NaiveDate) -> Self {
        let preset = get("range")
            .as_deref()
            .and_then(Preset::parse)
            .unwrap_or(Preset::Last30);
        let metric = match get("metric").as_deref() {
            Some("effective") => CostMetric::Effective,
            _ => CostMetric::Billed,
        };
        let client = get("client").filter(|c| !c.trim().is_empty());
        let project = get("project").filter(|p| !p.trim().is_empty());
        let tag = get("tag").and_then(|t| parse_tag(&t).ok().flatten());
        let granularity = match get("by").as_deref() {
            Some("day") => Granularity::Daily,
            Some("month") => Granularity::Monthly,
            _ => Granularity::Auto,
        };
        let stack = match get("stack") {
            None => Some("service".to_owned()),
            Some(s) if s == "none" => None,
            Some(s) if STACKS.iter().any(|(key, _)| *key == s) => Some(s),
            Some(s) => s
                .strip_prefix("tag:")
                .filter(|key| parse_tag(&format!("{key}=x")).is_ok_and(|t| t.is_some()))
                .map(|key| format!("tag:{}", key.trim())),
        };
        let fallback = Preset::Last30.days(today).unwrap_or((today, today));
        let day = |key: &str| get(key).and_then(|d| d.parse::<NaiveDate>().ok());
        let (from, to, problem) = match preset.days(today) {
            Some((from, to)) => (from, to, None),
            None => match (day("from"), day("to")) {
                (Some(from), Some(to)) if to < from => {
                    (from, to, Some("“To” is before “From”: pick a later day."))
                }
                (Some(from), Some(to)) if (to - from).num_days() > 3650 => {
                    (from, to, Some("Pick a range of ten years at most."))
                }
                (Some(from), Some(to)) => (from, to, None),
                _ => (fallback.0, fallback.1, Some("Pick both days of the range.")),
            },
        };
        Self {
            preset,
            from,
            to,
            client,
            project,
            tag,
            metric,
            granularity,
            stack,
            problem,
        }
    }

    /// The query string for this view (with `?`, or empty for the defaults).
    pub fn search(&self) -> String {
        let mut parts = Vec::new();
        if self.preset != Preset::Last30 {
            parts.push(format!("range={}", self.preset.key()));
        }
        if self.preset == Preset::Custom {
            parts.push(format!("from={}", self.from));
            parts.push(format!("to={}", self.to));
        }
        if let Some(client) = &self.client {
            parts.push(format!("client={}", escape(client)));
        }
        if let Some(project) = &self.project {
            parts.push(format!("project={}", escape(project)));
        }
        if let Some(tag) = &self.tag {
            parts.push(format!("tag={}", escape(tag)));
        }
        if self.metric == CostMetric::Effective {
            parts.push("metric=effective".to_owned());
        }
        match self.granularity {
            Granularity::Auto => {}
            Granularity::Daily => parts.push("by=day".to_owned()),
            Granularity::Monthly => parts.push("by=month".to_owned()),
        }
        match self.stack.as_deref() {
            Some("service") => {}
            Some(stack) => parts.push(format!("stack={}", escape(stack))),
            None => parts.push("stack=none".to_owned()),
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    /// This view with the custom range `from`–`to`.
    #[must_use]
    pub fn with_days(&self, from: NaiveDate, to: NaiveDate) -> Self {
        Self {
            preset: Preset::Custom,
            from,
            to,
            problem: (to < from).then_some("“To” is before “From”: pick a later day."),
            ..self.clone()
        }
    }

    /// This view with its range narrowed to the bar `key` (a day, or a month drawn by day):
    /// a click on a bar drills into it.
    #[must_use]
    pub fn drilled(&self, key: &str) -> Option<Self> {
        if let Ok(day) = key.parse::<NaiveDate>() {
            return Some(Self {
                granularity: Granularity::Auto,
                ..self.with_days(day, day)
            });
        }
        let first = format!("{key}-01").parse::<NaiveDate>().ok()?;
        let last = first
            .checked_add_months(Months::new(1))?
            .pred_opt()?
            .min(self.to);
        Some(Self {
            granularity: Granularity::Daily,
            ..self.with_days(first.max(self.from), last)
        })
    }

    /// Whether the trend is drawn by month (asked for, the month presets, or ranges over a
    /// year) rather than by day.
    pub fn monthly(&self) -> bool {
        let long = (self.to - self.from).num_days() >= MAX_DAILY_DAYS;
        match self.granularity {
            Granularity::Daily => long,
            Granularity::Monthly => true,
            Granularity::Auto => {
                long || matches!(self.preset, Preset::Last6Months | Preset::Last12Months)
            }
        }
    }

    /// The trend's query: by day or month, stacked as chosen. Stacks by person or team leave
    /// out the project and tag, which the API cannot follow there.
    pub fn trend_query(&self) -> CostQuery {
        let group_by = Some(if self.monthly() { "month" } else { "day" });
        let people = matches!(self.stack.as_deref(), Some("user" | "team"));
        let base = if people {
            self.people_query(group_by)
        } else {
            self.query(group_by)
        };
        CostQuery {
            stack_by: self.stack.clone(),
            ..base
        }
    }

    /// The days of the range, in order (for a daily trend with no gaps).
    pub fn days(&self) -> Vec<NaiveDate> {
        self.from
            .iter_days()
            .take_while(|d| *d <= self.to)
            .collect()
    }

    /// The months of the range as `YYYY-MM`, in order.
    pub fn months(&self) -> Vec<String> {
        let mut months = Vec::new();
        let mut month = self.from.with_day(1);
        while let Some(m) = month.filter(|m| *m <= self.to) {
            months.push(format!("{:04}-{:02}", m.year(), m.month()));
            month = m.checked_add_months(Months::new(1));
        }
        months
    }

    /// The report query for this view, grouped by `group_by`.
    pub fn query(&self, group_by: Option<&str>) -> CostQuery {
        CostQuery {
            project_id: self.project.clone(),
            tag: self.tag.clone(),
            ..self.people_query(group_by)
        }
    }

    /// The report query for costs allocated to people (per user or team, or one's bill):
    /// without the project and tag, which the API refuses there.
    pub fn people_query(&self, group_by: Option<&str>) -> CostQuery {
        CostQuery {
            from: self.from,
            to: self.to,
            group_by: group_by.map(str::to_owned),
            metric: self.metric,
            client_id: self.client.clone(),
            ..CostQuery::default()
        }
    }

    /// Whether a project or a tag narrows the costs (which people's views, the forecast and
    /// the anomalies cannot follow).
    pub fn narrowed(&self) -> bool {
        self.project.is_some() || self.tag.is_some()
    }

    /// The metric for people, e.g. "Billed cost".
    pub const fn metric_label(&self) -> &'static str {
        metric_label(self.metric)
    }
}

/// A tag filter as typed, checked as the API checks it: `Ok(None)` when blank, `KEY=VALUE`
/// with both sides trimmed, or why it cannot be one.
pub fn parse_tag(text: &str) -> Result<Option<String>, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let Some((key, value)) = text.split_once('=') else {
        return Err("Give the tag as KEY=VALUE, e.g. environment=prod.");
    };
    let (key, value) = (key.trim(), value.trim());
    if key.is_empty() || value.is_empty() {
        return Err("Give both the key and the value, e.g. environment=prod.");
    }
    let key_ok = key.chars().count() <= 128
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || " _.:/+-@".contains(c));
    if !key_ok {
        return Err("A tag key has letters, digits, spaces and _.:/+-@ (128 at most).");
    }
    if value.chars().count() > 256 {
        return Err("A tag value has 256 characters at most.");
    }
    Ok(Some(format!("{key}={value}")))
}

/// `text` for a query value: unreserved characters as they are, the rest percent-encoded
/// (without the browser, so it also runs in tests).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
    out
}

/// A metric for people.
pub const fn metric_label(metric: CostMetric) -> &'static str {
    match metric {
        CostMetric::Billed => "Billed cost",
        CostMetric::Effective => "Effective cost",
        CostMetric::List => "List cost",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn parse(query: &[(&str, &str)], today: &str) -> CostView {
        let get = |key: &str| {
            query
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        };
        CostView::parse(get, day(today))
    }

    #[test]
    fn presets_cover_the_expected_days() {
        let today = day("2024-03-15");
        let yesterday = day("2024-03-14");
        assert_eq!(
            Preset::ThisMonth.days(today),
            Some((day("2024-03-01"), yesterday))
        );
        // On the 1st, this month is the 1st alone.
        assert_eq!(
            Preset::ThisMonth.days(day("2024-03-01")),
            Some((day("2024-03-01"), day("2024-03-01")))
        );
        assert_eq!(
            Preset::LastMonth.days(today),
            Some((day("2024-02-01"), day("2024-02-29")))
        );
        assert_eq!(
            Preset::Last30.days(today),
            Some((day("2024-02-14"), yesterday))
        );
        assert_eq!(
            Preset::Last90.days(today),
            Some((day("2023-12-16"), yesterday))
        );
        assert_eq!(Preset::Custom.days(today), None);
    }

    #[test]
    fn a_view_round_trips_through_the_query() {
        let view = parse(
            &[
                ("range", "custom"),
                ("from", "2024-09-01"),
                ("to", "2024-09-30"),
                ("client", "c1"),
                ("project", "p1"),
                ("tag", "env=prod"),
                ("metric", "effective"),
            ],
            "2026-11-22",
        );
        assert_eq!(view.problem, None);
        assert_eq!(
            view.search(),
            "?range=custom&from=2024-09-01&to=2024-09-30&client=c1&project=p1&tag=env%3Dprod&metric=effective"
        );
        assert_eq!(view.days().len(), 30);
        assert_eq!(escape("a b&c"), "a%20b%26c");
        assert!(!view.monthly());
        let defaults = parse(&[], "2026-11-22");
        assert_eq!(defaults.search(), "");
        assert_eq!(defaults.from, day("2026-10-23"));
        assert_eq!(defaults.to, day("2026-11-21"));
        assert_eq!(defaults.days().len(), 30);
        assert_eq!(defaults.metric, CostMetric::Billed);
    }

    #[test]
    fn tag_and_project_narrow_the_costs_but_not_the_people() {
        let view = parse(
            &[("tag", " team = Platform "), ("project", "p1")],
            "2026-11-22",
        );
        assert_eq!(view.tag.as_deref(), Some("team=Platform"));
        assert!(view.narrowed());
        let costs = view.query(Some("service"));
        assert_eq!(costs.tag.as_deref(), Some("team=Platform"));
        assert_eq!(costs.project_id.as_deref(), Some("p1"));
        let people = view.people_query(Some("user"));
        assert_eq!((people.tag, people.project_id), (None, None));
        // A tag the API would refuse is left out of the view.
        let bad = parse(&[("tag", "no value")], "2026-11-22");
        assert_eq!(bad.tag, None);
        assert!(!bad.narrowed());
    }

    #[test]
    fn tags_are_key_equals_value() {
        assert_eq!(parse_tag("  "), Ok(None));
        assert_eq!(
            parse_tag("environment=prod"),
            Ok(Some("environment=prod".to_owned()))
        );
        assert_eq!(parse_tag("url=a=b"), Ok(Some("url=a=b".to_owned())));
        assert!(parse_tag("environment").is_err());
        assert!(parse_tag("=prod").is_err());
        assert!(parse_tag("env=").is_err());
        assert!(parse_tag("e'nv=prod").is_err());
    }

    #[test]
    fn a_backwards_or_incomplete_range_is_refused() {
        let backwards = parse(
            &[
                ("range", "custom"),
                ("from", "2024-09-30"),
                ("to", "2024-09-01"),
            ],
            "2026-11-22",
        );
        assert!(backwards.problem.is_some());
        let incomplete = parse(&[("range", "custom"), ("from", "2024-09-30")], "2026-11-22");
        assert!(incomplete.problem.is_some());
    }

    #[test]
    fn month_presets_are_drawn_by_month_and_stacks_round_trip() {
        let view = parse(&[("range", "6m")], "2026-12-03");
        assert_eq!((view.from, view.to), (day("2026-07-01"), day("2026-12-02")));
        assert!(view.monthly(), "six months: a bar a month");
        assert_eq!(view.months().len(), 6);
        let year = parse(&[("range", "12m"), ("by", "day")], "2026-12-03");
        assert_eq!(year.from, day("2026-01-01"));
        assert!(!year.monthly(), "a year by day when asked");
        // Stacked by service unless the address says otherwise.
        assert_eq!(view.stack.as_deref(), Some("service"));
        assert_eq!(view.trend_query().stack_by.as_deref(), Some("service"));
        assert_eq!(view.trend_query().group_by.as_deref(), Some("month"));
        let plain = parse(&[("stack", "none")], "2026-12-03");
        assert_eq!(
            (plain.stack.clone(), plain.search()),
            (None, "?stack=none".to_owned())
        );
        let tagged = parse(&[("stack", "tag:cost center")], "2026-12-03");
        assert_eq!(tagged.stack.as_deref(), Some("tag:cost center"));
        assert_eq!(tagged.search(), "?stack=tag%3Acost%20center");
        assert_eq!(parse(&[("stack", "colour")], "2026-12-03").stack, None);
        // Stacked by person: the project and tag are left to the people's view.
        let people = parse(&[("stack", "user"), ("tag", "env=prod")], "2026-12-03");
        assert_eq!(people.trend_query().tag, None);
    }

    #[test]
    fn a_bar_drills_into_its_day_or_month() {
        let view = parse(&[("range", "6m")], "2026-12-03");
        let month = view.drilled("2026-09").unwrap();
        assert_eq!(
            (month.from, month.to),
            (day("2026-09-01"), day("2026-09-30"))
        );
        assert!(!month.monthly(), "a month drilled into is drawn by day");
        assert_eq!(month.stack, view.stack, "the stacking stays");
        // The current month ends at the view's last day.
        let current = view.drilled("2026-12").unwrap();
        assert_eq!(current.to, day("2026-12-02"));
        let one = month.drilled("2026-09-18").unwrap();
        assert_eq!((one.from, one.to), (day("2026-09-18"), day("2026-09-18")));
        assert_eq!(one.preset, Preset::Custom);
        assert_eq!(view.drilled("nonsense"), None);
    }

    #[test]
    fn long_ranges_are_drawn_by_month() {
        let view = parse(
            &[
                ("range", "custom"),
                ("from", "2023-11-15"),
                ("to", "2024-12-02"),
            ],
            "2026-11-22",
        );
        assert!(view.monthly());
        let months = view.months();
        assert_eq!(months.first().map(String::as_str), Some("2023-11"));
        assert_eq!(months.last().map(String::as_str), Some("2024-12"));
        assert_eq!(months.len(), 14);
    }
}
