//! FOCUS files for the cost tests: the real `FinOps` sample, which only our own machines and CI
//! have (`../shared/data/focus/`, next to the repository), and a file of about the same size and
//! untidiness from gmac's own generator, which every clone can make.
//!
//! The tests compute what they expect from the file's own text with `csv` and `rust_decimal`,
//! never from gmac.

#![expect(
    clippy::panic,
    reason = "test harness: a file that is not what a test needs should panic"
)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::NaiveDate;
use gmac_core::focus_gen;
use rust_decimal::Decimal;

/// The sample's place next to the repository.
const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/focus/focus-1.0-sample.csv"
);

/// The owners the generated file tags resources with.
pub const GENERATED_OWNERS: [&str; 3] =
    ["sameer@example.com", "grace@example.com", "lin@example.com"];

/// The teams the generated file tags resources with (a few under the key `" team"`).
pub const GENERATED_TEAMS: [&str; 2] = ["Trey", "Phish"];

/// The real FOCUS sample, for the test named `test` ([`crate::test_name!`]).
///
/// `GMAC_FOCUS_SAMPLE` names another place for it. When the file is absent the test is
/// skipped, and says so by name on stderr; unless `GMAC_REQUIRE_SAMPLE=1` (as in CI), where
/// a missing sample fails the test.
pub fn focus_sample(test: &str) -> Option<PathBuf> {
    let (path, place) = match std::env::var("GMAC_FOCUS_SAMPLE") {
        Ok(path) if !path.is_empty() => (
            PathBuf::from(&path),
            format!("GMAC_FOCUS_SAMPLE={path} is absent"),
        ),
        _ => (
            PathBuf::from(SAMPLE),
            "../shared/data/focus is absent (a plain clone)".to_owned(),
        ),
    };
    if path.is_file() {
        return Some(path);
    }
    let required = std::env::var("GMAC_REQUIRE_SAMPLE").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: the FOCUS sample is required (GMAC_REQUIRE_SAMPLE=1) but {place}"
    );
    eprintln!("skipped: {test}: {place}");
    None
}

/// A month of FOCUS 1.0 from gmac's generator: September 2024, 992 line items over three
/// accounts and nine services, tagged with [`GENERATED_OWNERS`] and [`GENERATED_TEAMS`], with a
/// credit, tax, a daily shared support line, and the sample's untidiness (`NULL` next to empty
/// cells, `Usage-based` next to `Usage-Based`, a tag key with a leading space, datetimes
/// without `T`).
pub fn generated_focus() -> Vec<u8> {
    let options = focus_gen::Options {
        last_day: NaiveDate::from_ymd_opt(2024, 9, 30).expect("a date"),
        days: 30,
        rows_per_day: 32,
        owners: GENERATED_OWNERS.iter().map(|&o| o.to_owned()).collect(),
        teams: GENERATED_TEAMS.iter().map(|&t| t.to_owned()).collect(),
        // A seed under which every service has resources (CloudWatch too, which the allocation
        // tests share) and some team tags carry the leading space.
        seed: 4,
        spike_days_ago: Some(6),
    };
    let mut out = Vec::new();
    focus_gen::write(&mut out, &options).expect("generating a FOCUS file");
    out
}

/// A FOCUS file read with the `csv` crate, independently of gmac's importer.
pub struct FocusRows {
    headers: csv::StringRecord,
    rows: Vec<csv::StringRecord>,
}

impl FocusRows {
    /// Reads every row of `file`.
    pub fn read(file: &[u8]) -> Self {
        let mut reader = csv::Reader::from_reader(file);
        let headers = reader.headers().expect("a header line").clone();
        let rows = reader
            .records()
            .collect::<Result<_, _>>()
            .expect("well-formed CSV");
        Self { headers, rows }
    }

    /// How many line items the file holds.
    pub fn len(&self) -> u64 {
        self.rows.len() as u64
    }

    /// Whether the file holds no line items.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The position of `column`.
    pub fn column(&self, column: &str) -> usize {
        self.headers
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("the file has no {column} column"))
    }

    /// Each row's text in `column`.
    pub fn values<'a>(&'a self, column: &str) -> impl Iterator<Item = &'a str> + 'a {
        let at = self.column(column);
        self.rows.iter().map(move |r| &r[at])
    }

    /// The rows themselves, to be read with [`FocusRows::column`].
    pub fn rows(&self) -> &[csv::StringRecord] {
        &self.rows
    }

    /// The exact sum of an amount column.
    pub fn sum(&self, column: &str) -> Decimal {
        self.values(column)
            .map(|v| Decimal::from_str(v).unwrap_or_else(|e| panic!("{column} {v:?}: {e}")))
            .sum()
    }

    /// The distinct non-empty values of `column`.
    pub fn distinct(&self, column: &str) -> BTreeSet<String> {
        self.values(column)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// `std::any::type_name` of a function inside a test, as the harness names the test:
/// `api::costs::a_test::{{closure}}::here` is `costs::a_test`.
pub fn test_path(type_name: &str) -> &str {
    let mut name = type_name.strip_suffix("::here").unwrap_or(type_name);
    while let Some(outer) = name.strip_suffix("::{{closure}}") {
        name = outer;
    }
    name.split_once("::").map_or(name, |(_, path)| path)
}

/// The name of the test this is written in, as the test harness prints it (`costs::a_test`).
#[macro_export]
macro_rules! test_name {
    () => {{
        fn here() {}
        $crate::focus::test_path(::std::any::type_name_of_val(&here))
    }};
}
