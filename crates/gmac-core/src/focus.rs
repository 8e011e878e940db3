//! Reading FOCUS (`FinOps` Open Cost and Usage Specification) 1.0, 1.1 and 1.2 CSV exports.
//!
//! Real exports are untidy: datetimes without `T` or `Z`, nulls written `NULL` or left empty,
//! enum values in varying case, tag keys with stray spaces, credits as negative costs. All of
//! that is accepted; what breaks the specification (a cost that is not a number, a period that
//! ends before it starts, an unreadable tag object) is refused with its line and reason.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;

use crate::money;

/// Columns every file must have.
const REQUIRED: [&str; 6] = [
    "BilledCost",
    "EffectiveCost",
    "BillingCurrency",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
];

/// Columns kept in their own fields; everything else goes to `attributes`.
const MAPPED: [&str; 18] = [
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingCurrency",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ProviderName",
    "BillingAccountId",
    "SubAccountId",
    "ServiceName",
    "ServiceCategory",
    "RegionId",
    "ResourceId",
    "SkuId",
    "ChargeDescription",
    "Tags",
];

/// Columns that first appear in FOCUS 1.3, 1.2 and 1.1; their presence tells the version.
const V1_3_COLUMNS: [&str; 5] = [
    "ServiceProviderName",
    "HostProviderName",
    "AllocatedMethodId",
    "AllocatedResourceId",
    "ContractApplied",
];
const V1_2_COLUMNS: [&str; 4] = [
    "BillingAccountType",
    "InvoiceId",
    "PricingCurrency",
    "SubAccountType",
];
const V1_1_COLUMNS: [&str; 5] = [
    "CapacityReservationId",
    "ServiceSubcategory",
    "SkuMeter",
    "SkuPriceDetails",
    "CommitmentDiscountQuantity",
];

/// The five charge categories of the specification.
const CHARGE_CATEGORIES: [&str; 5] = ["Usage", "Purchase", "Tax", "Credit", "Adjustment"];

/// A file's header: where each column is.
#[derive(Clone, Debug)]
pub struct Header {
    index: foldhash::HashMap<&'static str, usize>,
    others: Vec<(usize, String)>,
    /// The other columns by name, in the order `attributes` lists them.
    attributes: Vec<Attribute>,
    /// Of those, the ones named `BillingPeriodStart` in any case, in that order.
    billing_period: Vec<usize>,
    /// And the ones named exactly `ConsumedQuantity` and `ConsumedUnit`.
    consumed: [Option<usize>; 2],
    /// Tag objects as written and their canonical form: a file repeats each resource's tags on
    /// every line, and parsing them again was a sixth of the reading thread.
    tags: std::cell::RefCell<foldhash::HashMap<Box<str>, Box<str>>>,
    /// `1.0`, `1.1`, `1.2` or `1.3`.
    pub version: &'static str,
}

/// Columns outside the mapped ones that share a name: kept in `attributes` under that name.
#[derive(Clone, Debug)]
struct Attribute {
    name: String,
    /// The name as a JSON string and a colon.
    key: String,
    /// Where its columns are, in file order: the last with a value gives it.
    positions: Vec<usize>,
}

impl Attribute {
    /// The other columns grouped by name, in byte order of their names (as a map of them
    /// would list them, once per line).
    fn group(others: &[(usize, String)]) -> Vec<Self> {
        let mut sorted: Vec<&(usize, String)> = others.iter().collect();
        // Stable: a name's columns stay in file order.
        sorted.sort_by(|a, b| a.1.cmp(&b.1));
        let mut groups: Vec<Self> = Vec::new();
        for (position, name) in sorted {
            match groups.last_mut() {
                Some(last) if last.name == *name => last.positions.push(*position),
                _ => groups.push(Self {
                    name: name.clone(),
                    key: format!(
                        "{}:",
                        serde_json::to_string(name).unwrap_or_else(|_| "\"\"".to_owned())
                    ),
                    positions: vec![*position],
                }),
            }
        }
        groups
    }

    /// Its value on this line: the last of its columns that holds one.
    fn value<'r>(&self, record: &'r csv::StringRecord) -> Option<&'r str> {
        self.positions.iter().rev().find_map(|at| {
            let value = record.get(*at)?.trim();
            (!value.is_empty() && !value.eq_ignore_ascii_case("null")).then_some(value)
        })
    }
}

/// A file-level problem: the header is unusable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderError(pub String);

impl Header {
    /// The name of the column at `position`, as the specification spells it (or as the file
    /// does, for columns outside it).
    pub fn name_at(&self, position: usize) -> Option<String> {
        self.index
            .iter()
            .find(|(_, at)| **at == position)
            .map(|(name, _)| (*name).to_owned())
            .or_else(|| {
                self.others
                    .iter()
                    .find(|(at, _)| *at == position)
                    .map(|(_, name)| name.clone())
            })
    }

    /// Reads the header row. Names are matched case-insensitively and trimmed (a leading BOM
    /// too); `ChargeType` (FOCUS 1.0 preview) stands in for `ChargeCategory`.
    pub fn parse(names: &csv::StringRecord) -> Result<Self, HeaderError> {
        let mut index = foldhash::HashMap::default();
        let mut others = Vec::new();
        let mut seen = Vec::new();
        for (i, raw) in names.iter().enumerate() {
            let name = raw.trim_start_matches('\u{feff}').trim();
            let canonical = if name.eq_ignore_ascii_case("ChargeType") {
                "ChargeCategory"
            } else {
                name
            };
            seen.push(name.to_owned());
            match MAPPED.iter().find(|m| m.eq_ignore_ascii_case(canonical)) {
                Some(mapped) if index.insert(*mapped, i).is_some() => {
                    return Err(HeaderError(format!("the column {mapped} appears twice")));
                }
                None if !name.is_empty() => others.push((i, name.to_owned())),
                Some(_) | None => {}
            }
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|r| !index.contains_key(r))
            .collect();
        if !missing.is_empty() {
            return Err(HeaderError(format!(
                "this is not a FOCUS file: the header lacks {}",
                missing.join(", ")
            )));
        }
        let has = |cols: &[&str]| {
            cols.iter()
                .any(|c| seen.iter().any(|s| s.eq_ignore_ascii_case(c)))
        };
        let version = if has(&V1_3_COLUMNS) {
            "1.3"
        } else if has(&V1_2_COLUMNS) {
            "1.2"
        } else if has(&V1_1_COLUMNS) {
            "1.1"
        } else {
            "1.0"
        };
        let attributes = Attribute::group(&others);
        let named = |wanted: &str| attributes.iter().position(|a| a.name == wanted);
        Ok(Self {
            index,
            billing_period: (0..attributes.len())
                .filter(|a| {
                    attributes[*a]
                        .name
                        .eq_ignore_ascii_case("BillingPeriodStart")
                })
                .collect(),
            consumed: [named("ConsumedQuantity"), named("ConsumedUnit")],
            attributes,
            tags: std::cell::RefCell::default(),
            others,
            version,
        })
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        let value = record.get(*self.index.get(column)?)?.trim();
        if value.is_empty() || value.eq_ignore_ascii_case("null") {
            None
        } else {
            Some(value)
        }
    }
}

/// One valid line item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The UTC day of the charge period's start.
    pub day: NaiveDate,
    /// `ChargePeriodStart`.
    pub start: DateTime<Utc>,
    /// `ChargePeriodEnd`.
    pub end: DateTime<Utc>,
    /// `BillingCurrency`, upper-case.
    pub currency: String,
    /// `BilledCost` in money units.
    pub billed: i128,
    /// `EffectiveCost` in money units.
    pub effective: i128,
    /// `ListCost` in money units.
    pub list: Option<i128>,
    /// `ContractedCost` in money units.
    pub contracted: Option<i128>,
    /// `ProviderName`, or empty.
    pub provider: String,
    /// `BillingAccountId`, or empty.
    pub billing_account_id: String,
    /// `SubAccountId`, or empty.
    pub sub_account_id: String,
    /// `ServiceName`, or empty.
    pub service_name: String,
    /// `ServiceCategory`, or empty.
    pub service_category: String,
    /// `RegionId`, or empty.
    pub region_id: String,
    /// `ResourceId`, or empty.
    pub resource_id: String,
    /// `ChargeCategory`, in the specification's spelling when it is one of its values.
    pub charge_category: String,
    /// `SkuId`.
    pub sku_id: Option<String>,
    /// `ChargeDescription`.
    pub charge_description: Option<String>,
    /// `ConsumedQuantity`, as written.
    pub consumed_quantity: Option<String>,
    /// `ConsumedUnit`.
    pub consumed_unit: Option<String>,
    /// The day of `BillingPeriodStart` (UTC), when the file has the column.
    pub billing_period: Option<NaiveDate>,
    /// Tags as a JSON object with trimmed, sorted keys.
    pub tags: String,
    /// The other non-null columns, as a JSON object.
    pub attributes: String,
}

/// Why a row was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    /// The column at fault.
    pub column: Option<&'static str>,
    /// What is wrong.
    pub reason: String,
}

fn problem(column: &'static str, reason: impl Into<String>) -> RowProblem {
    RowProblem {
        column: Some(column),
        reason: reason.into(),
    }
}

/// Parses a decimal as exports write it: plain or in scientific notation.
pub fn parse_decimal(raw: &str) -> Option<Decimal> {
    Decimal::from_str(raw)
        .or_else(|_| Decimal::from_scientific(raw))
        .ok()
}

/// Parses a FOCUS datetime: RFC 3339, or `YYYY-MM-DD HH:MM:SS[.fff]` (with `T` or a space,
/// with or without `Z`) taken as UTC, or a bare date.
pub fn parse_datetime(raw: &str) -> Option<DateTime<Utc>> {
    parse_plain_datetime(raw).or_else(|| parse_any_datetime(raw))
}

/// [`parse_datetime`]'s general path, for every shape it accepts.
fn parse_any_datetime(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(raw) {
        return Some(dt.with_timezone(&Utc));
    }
    let naive = raw.trim_end_matches('Z').trim_end_matches(" UTC");
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(naive, format) {
            return Some(dt.and_utc());
        }
    }
    NaiveDate::parse_from_str(naive, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc())
}

/// The shapes nearly every export writes, `YYYY-MM-DD[T ]hh:mm:ss` with or without `Z` and a
/// bare `YYYY-MM-DD`, read
/// without chrono's format interpreter (a tenth of the reading thread's time on a large file).
/// Anything else, a leap second included, is left to [`parse_datetime`]'s general path.
fn parse_plain_datetime(raw: &str) -> Option<DateTime<Utc>> {
    let b = raw.as_bytes();
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let date = |b: &[u8]| {
        if b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year = i32::try_from(number(&b[0..4])?).ok()?;
        NaiveDate::from_ymd_opt(year, number(&b[5..7])?, number(&b[8..10])?)
    };
    if b.len() == 10 {
        return Some(date(b)?.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let b = b.strip_suffix(b"Z").unwrap_or(b);
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let date = date(b)?;
    let time = chrono::NaiveTime::from_hms_opt(
        number(&b[11..13])?,
        number(&b[14..16])?,
        number(&b[17..19])?,
    )?;
    Some(date.and_time(time).and_utc())
}

impl Header {
    fn money(
        &self,
        record: &csv::StringRecord,
        column: &'static str,
    ) -> Result<Option<i128>, RowProblem> {
        let Some(raw) = self.get(record, column) else {
            return Ok(None);
        };
        let amount = parse_decimal(raw)
            .ok_or_else(|| problem(column, format!("{column} is not a number: {raw:?}")))?;
        money::to_units(amount).map(Some).map_err(|_| {
            problem(
                column,
                format!("{column} is beyond ±10¹⁵, the most one line may hold: {raw}"),
            )
        })
    }

    fn required_money(
        &self,
        record: &csv::StringRecord,
        column: &'static str,
    ) -> Result<i128, RowProblem> {
        self.money(record, column)?
            .ok_or_else(|| problem(column, format!("{column} is missing")))
    }

    fn time(
        &self,
        record: &csv::StringRecord,
        column: &'static str,
    ) -> Result<DateTime<Utc>, RowProblem> {
        let raw = self
            .get(record, column)
            .ok_or_else(|| problem(column, format!("{column} is missing")))?;
        parse_datetime(raw)
            .ok_or_else(|| problem(column, format!("{column} is not a date and time: {raw:?}")))
    }

    fn text(&self, record: &csv::StringRecord, column: &str) -> String {
        self.get(record, column).unwrap_or_default().to_owned()
    }

    fn optional(&self, record: &csv::StringRecord, column: &str) -> Option<String> {
        self.get(record, column).map(str::to_owned)
    }

    /// [`canonical_tags`], remembered for the tag objects seen most recently.
    fn canonical_tags(&self, raw: &str) -> Result<String, RowProblem> {
        /// Distinct tag objects remembered at most (a few hundred bytes each).
        const REMEMBERED: usize = 4096;
        let mut seen = self.tags.borrow_mut();
        if let Some(canonical) = seen.get(raw) {
            return Ok(canonical.to_string());
        }
        let canonical = canonical_tags(raw)
            .ok_or_else(|| problem("Tags", format!("Tags is not a JSON object: {raw:?}")))?;
        if seen.len() == REMEMBERED {
            seen.clear();
        }
        seen.insert(raw.into(), canonical.as_str().into());
        Ok(canonical)
    }

    /// Parses one data row.
    pub fn line(&self, record: &csv::StringRecord) -> Result<Line, RowProblem> {
        let billed = self.required_money(record, "BilledCost")?;
        let effective = self.required_money(record, "EffectiveCost")?;
        let list = self.money(record, "ListCost")?;
        let contracted = self.money(record, "ContractedCost")?;
        let currency = self
            .get(record, "BillingCurrency")
            .ok_or_else(|| problem("BillingCurrency", "BillingCurrency is missing"))?;
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(problem(
                "BillingCurrency",
                format!("BillingCurrency is not an ISO 4217 code: {currency:?}"),
            ));
        }
        let start = self.time(record, "ChargePeriodStart")?;
        let end = self.time(record, "ChargePeriodEnd")?;
        if end < start {
            return Err(problem(
                "ChargePeriodEnd",
                "ChargePeriodEnd is before ChargePeriodStart",
            ));
        }
        let category = self
            .get(record, "ChargeCategory")
            .ok_or_else(|| problem("ChargeCategory", "ChargeCategory is missing"))?;
        let charge_category = CHARGE_CATEGORIES
            .iter()
            .find(|c| c.eq_ignore_ascii_case(category))
            .map_or_else(|| category.to_owned(), |c| (*c).to_owned());
        let tags = match self.get(record, "Tags") {
            None => "{}".to_owned(),
            Some(raw) => self.canonical_tags(raw)?,
        };
        // The other columns' values, once each, written as a JSON object in name order.
        let values: Vec<Option<&str>> = self.attributes.iter().map(|a| a.value(record)).collect();
        let mut attributes = String::with_capacity(256);
        attributes.push('{');
        for (attribute, value) in self.attributes.iter().zip(&values) {
            if let Some(value) = value {
                if attributes.len() > 1 {
                    attributes.push(',');
                }
                attributes.push_str(&attribute.key);
                json_string(&mut attributes, value);
            }
        }
        attributes.push('}');
        let billing_period = match self.billing_period.iter().find_map(|a| values[*a]) {
            None => None,
            Some(raw) => Some(
                parse_datetime(raw)
                    .ok_or_else(|| {
                        problem(
                            "BillingPeriodStart",
                            format!("BillingPeriodStart is not a date and time: {raw:?}"),
                        )
                    })?
                    .date_naive(),
            ),
        };
        let [quantity, unit] = self
            .consumed
            .map(|a| a.and_then(|a| values[a]).map(str::to_owned));
        Ok(Line {
            day: start.date_naive(),
            billing_period,
            start,
            end,
            currency: currency.to_ascii_uppercase(),
            billed,
            effective,
            list,
            contracted,
            provider: self.text(record, "ProviderName"),
            billing_account_id: self.text(record, "BillingAccountId"),
            sub_account_id: self.text(record, "SubAccountId"),
            service_name: self.text(record, "ServiceName"),
            service_category: self.text(record, "ServiceCategory"),
            region_id: self.text(record, "RegionId"),
            resource_id: self.text(record, "ResourceId"),
            charge_category,
            sku_id: self.optional(record, "SkuId"),
            charge_description: self.optional(record, "ChargeDescription"),
            consumed_quantity: quantity,
            consumed_unit: unit,
            tags,
            attributes,
        })
    }
}

/// Appends `value` as a JSON string.
fn json_string(out: &mut String, value: &str) {
    // Plain text, the common case, needs no escaping.
    if value.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(value);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_owned()));
    }
}

/// A tag object with keys trimmed and sorted, values kept (strings as they are, others as
/// JSON text), or `None` when it is not a JSON object.
pub fn canonical_tags(raw: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(raw).ok()?;
    let object = value.as_object()?;
    let tags: BTreeMap<String, String> = object
        .iter()
        .filter(|(k, _)| !k.trim().is_empty())
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.trim().to_owned(), v)
        })
        .collect();
    serde_json::to_string(&tags).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Result<Header, HeaderError> {
        Header::parse(&csv::StringRecord::from(names.to_vec()))
    }

    const BASIC: [&str; 8] = [
        "\u{feff}BilledCost",
        "EffectiveCost",
        "BillingCurrency",
        "ChargePeriodStart",
        "ChargePeriodEnd",
        "chargecategory",
        "Tags",
        "x_Custom",
    ];

    fn row(values: &[&str]) -> Result<Line, RowProblem> {
        header(&BASIC)
            .unwrap()
            .line(&csv::StringRecord::from(values.to_vec()))
    }

    #[test]
    fn untidy_values_are_read_as_meant() {
        let line = row(&[
            "-0.00001605990",
            "1.5E-7",
            "usd",
            "2024-09-18 22:00:00",
            "2024-09-18T23:00:00Z",
            "usage",
            r#"{" team": "data", "owner": "ada@example.com", "n": 3}"#,
            "NULL",
        ])
        .unwrap();
        assert_eq!(line.billed, -1_605_990);
        assert_eq!(line.effective, 15_000);
        assert_eq!(line.currency, "USD");
        assert_eq!(line.charge_category, "Usage");
        assert_eq!(line.day, NaiveDate::from_ymd_opt(2024, 9, 18).unwrap());
        assert_eq!(
            line.tags,
            r#"{"n":"3","owner":"ada@example.com","team":"data"}"#
        );
        assert_eq!(line.attributes, "{}");
        assert_eq!(line.list, None);
    }

    #[test]
    fn rows_that_break_the_spec_say_which_column_and_why() {
        let bad_cost = row(&[
            "abc",
            "1",
            "USD",
            "2024-09-01",
            "2024-09-02",
            "Usage",
            "",
            "",
        ]);
        assert_eq!(bad_cost.unwrap_err().column, Some("BilledCost"));
        let backwards = row(&["1", "1", "USD", "2024-09-02", "2024-09-01", "Usage", "", ""]);
        assert_eq!(backwards.unwrap_err().column, Some("ChargePeriodEnd"));
        let bad_tags = row(&[
            "1",
            "1",
            "USD",
            "2024-09-01",
            "2024-09-02",
            "Usage",
            "[1]",
            "",
        ]);
        assert_eq!(bad_tags.unwrap_err().column, Some("Tags"));
        let bad_currency = row(&["1", "1", "US$", "2024-09-01", "2024-09-02", "Usage", "", ""]);
        assert_eq!(bad_currency.unwrap_err().column, Some("BillingCurrency"));
        let missing = row(&["", "1", "USD", "2024-09-01", "2024-09-02", "Usage", "", ""]);
        assert_eq!(missing.unwrap_err().reason, "BilledCost is missing");
    }

    #[test]
    fn the_header_tells_the_version_and_what_is_missing() {
        assert_eq!(header(&BASIC).unwrap().version, "1.0");
        let mut v11 = BASIC.to_vec();
        v11.push("SkuMeter");
        assert_eq!(header(&v11).unwrap().version, "1.1");
        let mut v12 = v11.clone();
        v12.push("InvoiceId");
        assert_eq!(header(&v12).unwrap().version, "1.2");
        let mut v13 = v12.clone();
        v13.push("ServiceProviderName");
        assert_eq!(header(&v13).unwrap().version, "1.3");
        let err = header(&["BilledCost", "Tags"]).unwrap_err();
        assert!(err.0.contains("EffectiveCost"), "{err:?}");
        let twice = header(&[&BASIC[..], &["BilledCost"]].concat()).unwrap_err();
        assert!(twice.0.contains("twice"));
    }

    /// The short path reads the common shapes exactly as the general one, and leaves the rest
    /// (impossible dates, leap seconds, fractions, offsets) to it.
    #[test]
    fn plain_datetimes_read_as_the_general_path_reads_them() {
        let general = parse_any_datetime;
        for raw in [
            "2024-09-18",
            "2024-09-18 22:00:00",
            "2024-09-18T23:00:00Z",
            "2024-09-18 23:59:59Z",
            "2024-02-29T00:00:00",
            "0001-01-01 00:00:00",
        ] {
            assert_eq!(parse_plain_datetime(raw), general(raw), "{raw}");
            assert!(parse_plain_datetime(raw).is_some(), "{raw}");
        }
        for raw in [
            "2023-02-29 00:00:00",
            "2024-13-01 00:00:00",
            "2024-09-18 24:00:00",
            "2016-12-31T23:59:60Z",
            "2024-09-18T23:00:00.5Z",
            "2024-09-18T23:00:00+02:00",
            "2024-9-18 23:00:00",
            "2024-09-31",
            "2024/09/18",
            "2024-09-18 2a:00:00",
        ] {
            assert_eq!(parse_plain_datetime(raw), None, "{raw}");
        }
        assert_eq!(
            parse_datetime("2016-12-31T23:59:60Z"),
            general("2016-12-31T23:59:60Z")
        );
        assert_eq!(
            parse_datetime("2024-09-18T23:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2024-09-18T21:00:00+00:00"
        );
    }
}
