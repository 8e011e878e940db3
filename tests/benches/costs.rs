//! Cost benchmarks (run by `cargo xtask bench`; not a test):
//! - import throughput: a generated FOCUS file of 1,000,000 rows shaped like the sample,
//!   through the same streaming import as `POST /cost-imports`;
//! - dashboard latency: `GET /costs` over 12 months with 10,000,000 rows in the daily rollups;
//! - where DuckDB is installed (`pip install duckdb`), DuckDB aggregating the same file, and
//!   the ratio.
//!
//! - where the `sqlite3` shell is installed, its own `.import` of the same file into a table
//!   without indexes (every field as text, nothing parsed or checked): SQLite's floor for
//!   storing these rows, beside gmac's import on SQLite.
//!
//! `GMAC_BENCH_ROWS` and `GMAC_BENCH_ROLLUPS` shrink the sizes for a quick run.

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a benchmark report"
)]

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use gmac_core::focus_gen;
use gmac_core::services::costs::{self, SpooledFile};
use gmac_tests::{Options, spawn_app_with};
use gmac_types::{CostImportParams, CostQuery, NewClient, OnRowError};
use sea_orm::ConnectionTrait;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    // The import's own log line gives its phases: lines, rollups, allocation.
    tracing_subscriber::fmt()
        .with_env_filter(
            std::env::var("RUST_LOG").unwrap_or_else(|_| "gmac_core::services::costs=info".into()),
        )
        .init();
    let rows = env_number("GMAC_BENCH_ROWS", 1_000_000);
    let rollups = env_number("GMAC_BENCH_ROLLUPS", 10_000_000);
    let app = spawn_app_with(Options {
        configure: Some(Box::new(|c| c.workers = 2)),
        ..Options::default()
    })
    .await;
    let backend = if gmac_tests::TestDatabase::on_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("gmac cost benchmark ({backend})");
    let admin = app.super_admin().await;
    let client = admin
        .client
        .create_client(&NewClient {
            name: "Bench".into(),
            description: None,
        })
        .await
        .unwrap();

    import_throughput(&app, &admin, &client.id, rows).await;

    // 2. Dashboard latency over 10M rollup rows (12 months, synthetic dimensions).
    let started = Instant::now();
    fill_rollups(&app, &client.id, rollups).await;
    println!(
        "filled {rollups} rollup rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let year = CostQuery {
        from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
        ..CostQuery::default()
    };
    for (name, group_by, month) in [
        ("total, 12 months", None, false),
        ("by service, 12 months", Some("service"), false),
        ("by day, 12 months", Some("day"), false),
        ("by account, one month", Some("account"), true),
        ("by resource, 12 months", Some("resource"), false),
    ] {
        let query = CostQuery {
            group_by: group_by.map(str::to_owned),
            to: if month {
                NaiveDate::from_ymd_opt(2025, 1, 31).unwrap()
            } else {
                year.to
            },
            ..year.clone()
        };
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            admin.client.costs(&query).await.unwrap();
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "GET /costs {name:<24} p50 {:>8.1} ms   max {:>8.1} ms",
            ms(times[2]),
            ms(times[4])
        );
    }
}

/// Generates the FOCUS file and imports it, reporting rows per second.
async fn import_throughput(
    app: &gmac_tests::TestApp,
    admin: &gmac_tests::Session,
    client_id: &str,
    rows: u64,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("focus.csv");
    let per_day = u32::try_from(rows.div_ceil(365)).unwrap();
    let options = focus_gen::Options {
        last_day: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
        days: 365,
        rows_per_day: per_day,
        owners: (0..40).map(|i| format!("user{i}@example.com")).collect(),
        teams: (0..8).map(|i| format!("Team {i}")).collect(),
        seed: 1,
        spike_days_ago: Some(30),
    };
    let started = Instant::now();
    let written = focus_gen::write(
        std::io::BufWriter::new(std::fs::File::create(&path).unwrap()),
        &options,
    )
    .unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    println!(
        "generated {written} rows ({} MiB) in {:.1} s",
        size >> 20,
        started.elapsed().as_secs_f64()
    );
    let actor = gmac_core::services::sessions::authenticate(&app.core, &admin.access_token)
        .await
        .unwrap();
    let started = Instant::now();
    let file = SpooledFile::from_path(&path, None).await.unwrap();
    let (import, _) = costs::import_focus(
        &app.core,
        &actor,
        &gmac_core::RequestMeta::default(),
        &CostImportParams {
            client_id: client_id.to_owned(),
            on_error: OnRowError::Reject,
            file_name: None,
        },
        &file,
    )
    .await
    .unwrap();
    let import_time = started.elapsed();
    println!(
        "import: {} rows in {:.1} s = {:.0} rows/s (billed total {} {})",
        import.rows_imported,
        import_time.as_secs_f64(),
        f64::from(u32::try_from(import.rows_imported).unwrap()) / import_time.as_secs_f64(),
        import.billed_cost_total,
        import.currency
    );
    // This process's own peak (a child's, DuckDB's, would count in `time -v`'s).
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_owned()))
        })
        .unwrap_or_default();
    println!("import: peak memory of the gmac process {peak}");
    if let Ok(keep) = std::env::var("GMAC_BENCH_KEEP_FILE") {
        std::fs::copy(&path, keep).unwrap();
    }
    duckdb(&path, written, import_time);
    if !gmac_tests::TestDatabase::on_postgres() {
        sqlite_cli(&path, written, import_time);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Inserts `n` synthetic rollup rows spread over 2025 with the database's own generator.
async fn fill_rollups(app: &gmac_tests::TestApp, client_id: &str, n: u64) {
    let sql = if gmac_tests::TestDatabase::on_postgres() {
        format!(
            "INSERT INTO cost_daily (client_id, day, dims_key, currency, provider_name, \
             billing_account_id, sub_account_id, service_name, service_category, region_id, \
             resource_id, charge_category, tags, billed_cost_whole, billed_cost_frac, \
             effective_cost_whole, effective_cost_frac, list_cost_whole, list_cost_frac, line_count) \
             SELECT '{client_id}', to_char(date '2025-01-01' + (i % 365), 'YYYY-MM-DD'), \
             'bench-' || i, 'USD', 'AWS', 'payer', 'acct-' || (i % 50), 'service-' || (i % 40), \
             'Compute', 'us-east-1', 'res-' || (i % 100000), 'Usage', '{{}}', \
             0, (i % 1000) * 1000000, 0, (i % 1000) * 900000, 0, (i % 1000) * 1100000, 1 \
             FROM generate_series(1, {n}) AS s(i)"
        )
    } else {
        format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) \
             INSERT INTO cost_daily (client_id, day, dims_key, currency, provider_name, \
             billing_account_id, sub_account_id, service_name, service_category, region_id, \
             resource_id, charge_category, tags, billed_cost_whole, billed_cost_frac, \
             effective_cost_whole, effective_cost_frac, list_cost_whole, list_cost_frac, line_count) \
             SELECT '{client_id}', date('2025-01-01', '+' || (i % 365) || ' days'), \
             'bench-' || i, 'USD', 'AWS', 'payer', 'acct-' || (i % 50), 'service-' || (i % 40), \
             'Compute', 'us-east-1', 'res-' || (i % 100000), 'Usage', '{{}}', \
             0, (i % 1000) * 1000000, 0, (i % 1000) * 900000, 0, (i % 1000) * 1100000, 1 FROM s"
        )
    };
    app.core.db.execute_unprepared(&sql).await.unwrap();
    // As an import would: the coarse rollup from the fine one, fractions carried.
    let money = ["billed_cost", "effective_cost", "list_cost"]
        .map(|c| {
            format!(
                "SUM({c}_whole) + CAST(SUM({c}_frac) AS BIGINT) / 100000000000, \
                 CAST(SUM({c}_frac) AS BIGINT) % 100000000000"
            )
        })
        .join(", ");
    let columns = "billed_cost_whole, billed_cost_frac, effective_cost_whole, effective_cost_frac, \
        list_cost_whole, list_cost_frac";
    let summary = format!(
        "INSERT INTO cost_summary (client_id, day, currency, provider_name, \
         sub_account_id, service_name, charge_category, region_id, {columns}, line_count) \
         SELECT client_id, day, currency, provider_name, sub_account_id, service_name, \
         charge_category, region_id, {money}, SUM(line_count) FROM cost_daily \
         WHERE dims_key LIKE 'bench-%' GROUP BY client_id, day, currency, provider_name, \
         sub_account_id, service_name, charge_category, region_id"
    );
    app.core.db.execute_unprepared(&summary).await.unwrap();
    // And the resource months.
    let months = format!(
        "INSERT INTO cost_resource_months (client_id, month, resource_id, currency, {columns}) \
         SELECT client_id, substr(day, 1, 7), resource_id, currency, {money} FROM cost_daily \
         WHERE dims_key LIKE 'bench-%' GROUP BY client_id, substr(day, 1, 7), resource_id, \
         currency"
    );
    app.core.db.execute_unprepared(&months).await.unwrap();
    let analyze = "ANALYZE";
    app.core.db.execute_unprepared(analyze).await.unwrap();
}

/// DuckDB loading the same file into a table of its own database on disk, as gmac stores
/// every line: its rate beside gmac's, and the ratio.
fn duckdb(path: &std::path::Path, rows: u64, gmac: Duration) {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "import duckdb, time\ncon = duckdb.connect('{}')\n\
         con.execute('SET enable_progress_bar = false')\nt = time.time()\n\
         con.sql(\"CREATE TABLE lines AS SELECT * FROM read_csv('{}', nullstr = ['NULL', ''], \
         all_varchar = true)\")\nprint(time.time() - t)\n",
        dir.path().join("load.duckdb").display(),
        path.display()
    );
    let Ok(output) = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
    else {
        return;
    };
    let Some(seconds) = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse::<f64>()
        .ok()
    else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let why = stderr.lines().last().unwrap_or("no output");
        println!("duckdb: no comparison (pip install duckdb): {why}");
        return;
    };
    let rate = |s: f64| f64::from(u32::try_from(rows).unwrap()) / s;
    println!(
        "duckdb: loads the same file into a table in {seconds:.1} s = {:.0} rows/s; gmac's \
         import (parse, validate, store every line, roll up, allocate) runs at {:.2} of its rate",
        rate(seconds),
        rate(gmac.as_secs_f64()) / rate(seconds)
    );
}

/// The `sqlite3` shell's `.import` of the same file into one table of a new WAL database:
/// SQLite's own loader, which stores every field as text and checks nothing. gmac's import
/// on SQLite cannot store its lines faster than this, so the ratio says how far it is from
/// SQLite's floor.
fn sqlite_cli(path: &std::path::Path, rows: u64, gmac: Duration) {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = std::process::Command::new("sqlite3")
        .arg(dir.path().join("load.db"))
        .args([
            "PRAGMA journal_mode = WAL;",
            "PRAGMA synchronous = NORMAL;",
            ".mode csv",
        ])
        .arg(format!(".import '{}' lines", path.display()))
        .arg("SELECT count(*) FROM lines;")
        .output();
    let seconds = started.elapsed().as_secs_f64();
    let Ok(output) = output else {
        println!("sqlite3: no comparison (apt install sqlite3)");
        return;
    };
    // The header row names the columns; every other row is a line.
    let loaded = String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .and_then(|l| l.trim().parse::<u64>().ok());
    if loaded != Some(rows) {
        println!(
            "sqlite3: no comparison: it loaded {loaded:?} rows, not {rows}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        return;
    }
    let rate = |s: f64| f64::from(u32::try_from(rows).unwrap()) / s;
    println!(
        "sqlite3: its shell's .import loads the same file (text only, no index) in {seconds:.1} s \
         = {:.0} rows/s; gmac's whole import runs at {:.2} of its rate",
        rate(seconds),
        rate(gmac.as_secs_f64()) / rate(seconds)
    );
}
