//! A FOCUS 1.0 file generator shaped like the `FinOps` sample: several accounts and services,
//! resources tagged with owners and teams, credits, tax, and the sample's untidiness (`NULL`
//! next to empty cells, `Usage-based` next to `Usage-Based`, a tag key with a leading space,
//! datetimes without `T`). Deterministic for a seed, so demo data and benchmarks repeat.
//!
//! It fills demo mode's dashboards and feeds the import benchmark.

use std::io::Write;

use chrono::{Datelike, Duration, NaiveDate};

/// The sample's columns, in its order.
pub const COLUMNS: [&str; 44] = [
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "Id",
    "ServiceName",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
];

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// The last day with costs.
    pub last_day: NaiveDate,
    /// How many days, ending on `last_day`.
    pub days: u32,
    /// Line items per day (resources × hourly slices).
    pub rows_per_day: u32,
    /// Owners' email addresses, for `owner` tags.
    pub owners: Vec<String>,
    /// Team names, for `team` tags.
    pub teams: Vec<String>,
    /// The seed.
    pub seed: u64,
    /// A spike (three EC2 instances at ×20) this many days before `last_day`, if any.
    pub spike_days_ago: Option<u32>,
}

/// A small, fast, deterministic generator (`SplitMix64`).
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Service {
    name: &'static str,
    category: &'static str,
    kind: &'static str,
    unit: &'static str,
    /// Typical daily cost of one resource, in units of 10⁻⁴.
    daily: u64,
    weight: u64,
}

const SERVICES: [Service; 9] = [
    Service {
        name: "Amazon Elastic Compute Cloud",
        category: "Compute",
        kind: "Instance",
        unit: "Hours",
        daily: 38_000,
        weight: 30,
    },
    Service {
        name: "Amazon Relational Database Service",
        category: "Databases",
        kind: "DB Instance",
        unit: "Hours",
        daily: 52_000,
        weight: 8,
    },
    Service {
        name: "Amazon Simple Storage Service",
        category: "Storage",
        kind: "Bucket",
        unit: "GB-Mo",
        daily: 6_000,
        weight: 14,
    },
    Service {
        name: "Elastic Load Balancing",
        category: "Networking",
        kind: "Load Balancer",
        unit: "LCU-Hrs",
        daily: 7_500,
        weight: 8,
    },
    Service {
        name: "AmazonCloudWatch",
        category: "Management and Governance",
        kind: "Metric",
        unit: "Metrics",
        daily: 2_400,
        weight: 10,
    },
    Service {
        name: "AWS Lambda",
        category: "Compute",
        kind: "Function",
        unit: "Requests",
        daily: 900,
        weight: 12,
    },
    Service {
        name: "Amazon Simple Queue Service",
        category: "Integration",
        kind: "Queue",
        unit: "Requests",
        daily: 300,
        weight: 6,
    },
    Service {
        name: "Amazon Virtual Private Cloud",
        category: "Networking",
        kind: "NAT Gateway",
        unit: "Hours",
        daily: 10_800,
        weight: 6,
    },
    Service {
        name: "Amazon Elastic Container Service",
        category: "Compute",
        kind: "Task",
        unit: "vCPU-Hours",
        daily: 14_000,
        weight: 6,
    },
];

const ACCOUNTS: [(&str, &str); 3] = [
    ("11353890204", "Production"),
    ("18938484842", "Staging"),
    ("85742851457", "Data platform"),
];

const REGIONS: [(&str, &str); 3] = [
    ("us-east-1", "US East (N. Virginia)"),
    ("us-west-2", "US West (Oregon)"),
    ("eu-central-1", "Europe (Frankfurt)"),
];

/// One resource: what it is, where, who owns it, what it costs a day.
struct Resource {
    id: String,
    service: usize,
    account: usize,
    region: usize,
    tags: String,
    daily: u64,
    /// Among the few that spike on the spike day.
    spiky: bool,
}

fn resources(options: &Options, rng: &mut Rng, count: u32) -> Vec<Resource> {
    let total_weight: u64 = SERVICES.iter().map(|s| s.weight).sum();
    (0..count)
        .map(|i| {
            let mut pick = rng.below(total_weight);
            let service = SERVICES
                .iter()
                .position(|s| {
                    if pick < s.weight {
                        true
                    } else {
                        pick -= s.weight;
                        false
                    }
                })
                .unwrap_or(0);
            let account = usize::try_from(rng.below(3)).unwrap_or(0);
            let region = usize::try_from(rng.below(3)).unwrap_or(0);
            // Most resources carry an owner and a team; some carry neither (unallocated), and
            // a few spell the team key with a leading space, as the sample does.
            let mut tags = Vec::new();
            let owned = rng.below(10);
            if owned < 8 && !options.owners.is_empty() {
                let owner = &options.owners
                    [usize::try_from(rng.below(options.owners.len() as u64)).unwrap_or(0)];
                tags.push(format!("\"owner\":\"{owner}\""));
            }
            if owned < 9 && !options.teams.is_empty() {
                let team = &options.teams
                    [usize::try_from(rng.below(options.teams.len() as u64)).unwrap_or(0)];
                let key = if rng.below(12) == 0 { " team" } else { "team" };
                tags.push(format!("\"{key}\":\"{team}\""));
            }
            tags.push(format!(
                "\"environment\":\"{}\"",
                if account == 1 { "staging" } else { "prod" }
            ));
            let base = SERVICES[service].daily;
            Resource {
                id: format!(
                    "arn:aws:{}:{}:{}:res-{i:05x}",
                    SERVICES[service].kind.to_lowercase().replace(' ', "-"),
                    REGIONS[region].0,
                    ACCOUNTS[account].0
                ),
                service,
                account,
                region,
                tags: format!("{{{}}}", tags.join(",")),
                daily: base / 2 + rng.below(base),
                spiky: false,
            }
        })
        .collect()
}

/// `units` of 10⁻⁴ as a decimal string with 10 places, as exports write them.
fn amount(units: i64) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let abs = units.unsigned_abs();
    format!("{sign}{}.{:04}000000", abs / 10_000, abs % 10_000)
}

fn datetime(day: NaiveDate, hour: u32) -> String {
    format!("{day} {hour:02}:00:00")
}

fn month_bounds(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = day.with_day(1).unwrap_or(day);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .unwrap_or(first);
    (first, next)
}

/// Writes the file; returns how many line items it holds.
pub fn write(out: impl Write, options: &Options) -> csv::Result<u64> {
    let mut rng = Rng(options.seed);
    let per_day = options.rows_per_day.max(1);
    let mut pool = resources(options, &mut rng, per_day.min(400));
    // The spike: three compute instances run twenty times their usual hours.
    for r in pool.iter_mut().filter(|r| r.service == 0).take(3) {
        r.spiky = true;
    }
    let slices = per_day
        .div_ceil(u32::try_from(pool.len()).unwrap_or(1))
        .min(24);
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    writer.write_record(COLUMNS)?;
    let first = options.last_day - Duration::days(i64::from(options.days.max(1)) - 1);
    let mut rows = 0u64;
    let spike_day = options
        .spike_days_ago
        .map(|n| options.last_day - Duration::days(i64::from(n)));
    for offset in 0..options.days.max(1) {
        let day = first + Duration::days(i64::from(offset));
        let (month_start, month_end) = month_bounds(day);
        // Weekends are quieter; costs grow slowly over time.
        let weekday = if day.weekday().number_from_monday() > 5 {
            80
        } else {
            100
        };
        let growth = 1000 + u64::from(offset) / 3;
        let mut written = 0;
        'day: for slice in 0..slices {
            for r in &pool {
                if written == per_day {
                    break 'day;
                }
                written += 1;
                rows += 1;
                let context = Slot {
                    day,
                    month: (month_start, month_end),
                    factor: weekday * growth,
                    spike: spike_day == Some(day),
                    slice,
                    slices,
                    id: format!("{rows}-{offset}-{slice}"),
                };
                usage_row(&mut writer, &mut rng, r, &context)?;
            }
        }
        // Support is billed daily to the payer account (a shared cost); on the first of the
        // month a credit and tax.
        let support = amount(i64::try_from(2_0000 + rng.below(5000)).unwrap_or(0));
        rows += 1;
        write_flat(
            &mut writer,
            day,
            (month_start, month_end),
            "Usage",
            "AWS Support (Business)",
            &support,
            &format!("support-{offset}"),
        )?;
        if day.day() == 1 {
            rows += 2;
            write_flat(
                &mut writer,
                day,
                (month_start, month_end),
                "Credit",
                "AWS Promotional Credit",
                &amount(-25_0000),
                &format!("credit-{offset}"),
            )?;
            write_flat(
                &mut writer,
                day,
                (month_start, month_end),
                "Tax",
                "Sales tax",
                &amount(12_3400),
                &format!("tax-{offset}"),
            )?;
        }
    }
    writer.flush()?;
    Ok(rows)
}

/// Where in the file a usage row goes.
struct Slot {
    day: NaiveDate,
    month: (NaiveDate, NaiveDate),
    /// Weekday × growth, in units of 10⁻⁵.
    factor: u64,
    spike: bool,
    slice: u32,
    slices: u32,
    id: String,
}

/// Writes one resource's usage for one slot of a day.
fn usage_row<W: Write>(
    writer: &mut csv::Writer<W>,
    rng: &mut Rng,
    r: &Resource,
    slot: &Slot,
) -> csv::Result<()> {
    let (day, slices, slice) = (slot.day, slot.slices, slot.slice);
    let (month_start, month_end) = slot.month;
    let hours = 24 / slices;
    let service = &SERVICES[r.service];
    let jitter = 85 + rng.below(31);
    let mut units = r.daily * slot.factor * jitter / (100 * 1000 * 100) / u64::from(slices);
    if slot.spike && r.spiky {
        units *= 20;
    }
    let units = i64::try_from(units.max(1)).unwrap_or(i64::MAX);
    let start_hour = slice * hours;
    let (period_start, period_end) = if slices == 1 {
        (datetime(day, 0), datetime(day + Duration::days(1), 0))
    } else {
        (
            datetime(day, start_hour),
            if start_hour + hours >= 24 {
                datetime(day + Duration::days(1), 0)
            } else {
                datetime(day, start_hour + hours)
            },
        )
    };
    let null = if rng.below(2) == 0 { "NULL" } else { "" };
    let frequency = if rng.below(3) == 0 {
        "Usage-based"
    } else {
        "Usage-Based"
    };
    let list = units + units / 10;
    let quantity = format!("{}.000000", u64::try_from(units).unwrap_or(0) / 97 + 1);
    let effective = amount(units - units / 20);
    let billed = amount(units);
    let list = amount(list);
    writer.write_record([
        null,
        billed.as_str(),
        "1234567890123",
        "Demo Holdings",
        "USD",
        &month_end.to_string(),
        &month_start.to_string(),
        "Usage",
        null,
        &format!("{} usage in {}", service.name, REGIONS[r.region].1),
        frequency,
        &period_end,
        &period_start,
        null,
        null,
        null,
        null,
        null,
        &quantity,
        service.unit,
        effective.as_str(),
        null,
        effective.as_str(),
        "Amazon Web Services, Inc.",
        list.as_str(),
        null,
        "Standard",
        &quantity,
        service.unit,
        "AWS",
        "Amazon Web Services, Inc.",
        REGIONS[r.region].0,
        REGIONS[r.region].1,
        &r.id,
        null,
        service.kind,
        service.category,
        &slot.id,
        service.name,
        "DEMOSKU",
        "DEMOSKU.PRICE",
        ACCOUNTS[r.account].0,
        ACCOUNTS[r.account].1,
        &r.tags,
    ])
}

/// An account-level line with no resource.
fn write_flat<W: Write>(
    writer: &mut csv::Writer<W>,
    day: NaiveDate,
    (month_start, month_end): (NaiveDate, NaiveDate),
    category: &str,
    service: &str,
    cost: &str,
    id: &str,
) -> csv::Result<()> {
    let mut record: Vec<String> = COLUMNS.iter().map(|_| String::new()).collect();
    let mut set = |column: &str, value: &str| {
        if let Some(i) = COLUMNS.iter().position(|c| *c == column) {
            value.clone_into(&mut record[i]);
        }
    };
    set("BilledCost", cost);
    set("EffectiveCost", cost);
    set("ListCost", cost);
    set("ContractedCost", cost);
    set("BillingAccountId", "1234567890123");
    set("BillingAccountName", "Demo Holdings");
    set("BillingCurrency", "USD");
    set("BillingPeriodStart", &month_start.to_string());
    set("BillingPeriodEnd", &month_end.to_string());
    set("ChargeCategory", category);
    set("ChargeDescription", service);
    set("ChargeFrequency", "Recurring");
    set("ChargePeriodStart", &datetime(day, 0));
    set("ChargePeriodEnd", &datetime(day + Duration::days(1), 0));
    set("ProviderName", "AWS");
    set("PublisherName", "Amazon Web Services, Inc.");
    set("InvoiceIssuerName", "Amazon Web Services, Inc.");
    set("ServiceName", service);
    set("ServiceCategory", "Other");
    set("SubAccountId", ACCOUNTS[0].0);
    set("SubAccountName", ACCOUNTS[0].1);
    set("Id", id);
    set("Tags", "NULL");
    writer.write_record(&record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            last_day: NaiveDate::from_ymd_opt(2024, 9, 30).unwrap(),
            days: 35,
            rows_per_day: 50,
            owners: vec!["ada@example.com".into()],
            teams: vec!["Platform".into()],
            seed: 7,
            spike_days_ago: Some(3),
        }
    }

    #[test]
    fn the_same_seed_writes_the_same_file_and_every_row_is_focus() {
        let mut a = Vec::new();
        let rows = write(&mut a, &options()).unwrap();
        let mut b = Vec::new();
        write(&mut b, &options()).unwrap();
        assert_eq!(a, b);
        // 35 days (27 August to 30 September) × (50 resources + support), plus a credit and
        // tax on the first of September.
        assert_eq!(rows, 35 * 51 + 2);
        let mut reader = csv::Reader::from_reader(a.as_slice());
        let header = crate::focus::Header::parse(reader.headers().unwrap()).unwrap();
        let mut count = 0;
        for record in reader.records() {
            header.line(&record.unwrap()).unwrap();
            count += 1;
        }
        assert_eq!(count, rows);
    }
}
