//! gmac's project tasks, run as `cargo xtask <task>`. They need nothing but Rust (and, for the
//! browser test, Debian's Chromium, which `test` installs when it runs as root).
//!
//! - `spa [--dev]`: build the Leptos SPA to WebAssembly and bundle it into `frontend/dist`.
//! - `demo`: build the SPA and start `gmac serve --demo` on the embedded SQLite database.
//! - `test`: every test: unit, API on SQLite and PostgreSQL, the process smoke test, the
//!   browser test in headless Chromium, and the contract tests of `tests/contract/` (the
//!   committed OpenAPI document validated, schemathesis against a running gmac, and a client
//!   generated from the served document driving it).
//! - `contract`: only the contract tests, against the debug `gmac` already built
//!   (`cargo build -p gmac-server --bin gmac`).
//! - `lint`: rustfmt and clippy (`-D warnings`) for the host and for wasm32.
//! - `openapi`: regenerate `openapi/openapi.json`.

mod pg;
mod spa;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root()?;
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("spa") => spa::build(&root, !args.iter().any(|a| a == "--dev")).map(drop),
        Some("demo") => demo(&root, &args[1..]),
        Some("test") => test(&root),
        Some("contract") => contract_tests(&root),
        Some("lint") => lint(),
        Some("openapi") => openapi(&root),
        Some("bench") => bench(&root),
        _ => {
            eprintln!(
                "usage: cargo xtask <spa [--dev] | demo | test | contract | lint | openapi | bench>"
            );
            bail!("unknown task")
        }
    }
}

fn workspace_root() -> anyhow::Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .context("finding the workspace root")
}

/// Runs a command, failing with its description if it fails.
pub(crate) fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{cmd:?}");
    eprintln!("xtask: {shown}");
    let status = cmd.status().with_context(|| format!("starting {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

pub(crate) fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

fn demo(root: &Path, extra: &[String]) -> anyhow::Result<()> {
    let target_dir = target_dir(root);
    let built = target_dir
        .join("wasm32-unknown-unknown/wasm-release/gmac_frontend.wasm")
        .exists()
        && target_dir.join("debug/gmac").exists();
    if !built {
        eprintln!(
            "\nxtask: the first start builds the web interface and the server, about 15 minutes \
             on 2 cores (later starts take seconds). gmac then prints the demo admin's \
             password; the demo data is kept in ./gmac-data across restarts.\n"
        );
    }
    spa::build(root, true)?;
    let mut cmd = cargo();
    // The dev profile: it builds in half the time of a release build, shares its artefacts
    // with the test suite, and hashes passwords at full speed (argon2 is optimized in dev).
    cmd.args([
        "run",
        "--package",
        "gmac-server",
        "--bin",
        "gmac",
        "--",
        "serve",
        "--demo",
    ]);
    cmd.args(extra);
    run(&mut cmd)
}

fn lint() -> anyhow::Result<()> {
    run(cargo().args(["fmt", "--all", "--check"]))?;
    // The SPA is linted for the target it ships on, below.
    run(cargo().args([
        "clippy",
        "--workspace",
        "--exclude",
        "gmac-frontend",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    ensure_wasm_target()?;
    run(cargo().args([
        "clippy",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "gmac-types",
        "-p",
        "gmac-client",
        "-p",
        "gmac-frontend",
        "--",
        "-D",
        "warnings",
    ]))
}

fn openapi(root: &Path) -> anyhow::Result<()> {
    let output = cargo()
        .args([
            "run",
            "--quiet",
            "--package",
            "gmac-server",
            "--bin",
            "gmac",
            "--",
            "openapi",
        ])
        .output()
        .context("running gmac openapi")?;
    if !output.status.success() {
        bail!(
            "gmac openapi failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::write(root.join("openapi/openapi.json"), output.stdout)?;
    eprintln!("xtask: wrote openapi/openapi.json");
    Ok(())
}

fn test(root: &Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    ensure_chromium()?;
    ensure_poppler()?;
    ensure_podman()?;
    ensure_python_module("aiosmtpd", "aiosmtpd==1.4.6")?;
    // The AWS emulator that Cost Explorer sync is tested against.
    ensure_python_module("moto.server", "moto[server]==5.2.5")?;
    // Every object gmac applies to a cluster is checked against Kubernetes' own schemas.
    ensure_python_module("kubernetes_validate", "kubernetes-validate==1.37.0")?;
    spa::build(root, true)?;
    // The process smoke test runs the real binary.
    run(cargo().args(["build", "--package", "gmac-server", "--bin", "gmac"]))?;

    let nextest = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    let runner = |extra_env: &[(&str, &str)], filter: &[&str]| -> anyhow::Result<()> {
        let mut cmd = cargo();
        if nextest {
            cmd.args(["nextest", "run", "--no-fail-fast"]);
        } else {
            cmd.args(["test", "--no-fail-fast"]);
        }
        cmd.args(filter);
        cmd.env("GMAC_REQUIRE_E2E", "1");
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        run(&mut cmd)
    };

    eprintln!("xtask: === every test, on SQLite ===");
    runner(&[], &["--workspace", "--exclude", "gmac-frontend"])?;
    // The SPA's own unit tests (pure formatting and state logic) run natively.
    runner(&[], &["--package", "gmac-frontend", "--lib"])?;

    eprintln!("xtask: === contract tests (tests/contract) ===");
    contract_tests(root)?;

    eprintln!("xtask: === API tests on PostgreSQL ===");
    let server = pg::Server::start_or_reuse()?;
    // Same package selection as above, so features unify the same way and nothing rebuilds.
    let result = runner(
        // These tests wait on the server's disk, not the CPU: run more at once.
        &[
            ("TEST_DATABASE_URL", server.admin_url()),
            ("NEXTEST_TEST_THREADS", "8"),
            ("RUST_TEST_THREADS", "8"),
        ],
        &["--workspace", "--exclude", "gmac-frontend", "--test", "api"],
    );
    server.cleanup();
    result?;
    eprintln!("xtask: all tests passed in {:.0?}", started.elapsed());
    Ok(())
}

/// Where cargo puts its build output: `CARGO_TARGET_DIR`, or `target/` in the workspace.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var("CARGO_TARGET_DIR").map_or_else(|_| root.join("target"), PathBuf::from)
}

/// The Python contract tests of `tests/contract/`, against the debug `gmac` that `test` built:
/// the committed OpenAPI document is valid, schemathesis finds no failure against a running
/// gmac, and a client generated from the served document drives it.
fn contract_tests(root: &Path) -> anyhow::Result<()> {
    ensure_python_module("openapi_spec_validator", "openapi-spec-validator==0.9.0")?;
    ensure_python_module("schemathesis", "schemathesis==4.32.5")?;
    ensure_python_module("openapi_python_client", "openapi-python-client==0.29.1")?;
    let gmac = target_dir(root).join("debug/gmac");
    if !gmac.is_file() {
        bail!(
            "the contract tests need {}: run `cargo build -p gmac-server --bin gmac` first",
            gmac.display()
        );
    }
    let gmac = gmac.to_str().context("the target directory is not UTF-8")?;
    let contract = root.join("tests/contract");
    let steps: [(&str, &str, &[&str]); 3] = [
        (
            "openapi-spec-validator on the committed openapi/openapi.json",
            "validate_openapi.py",
            &[],
        ),
        (
            "schemathesis (every check) against a running gmac",
            "schemathesis_run.py",
            &["--gmac", gmac],
        ),
        (
            "a client generated by openapi-python-client drives a running gmac",
            "generated_client_test.py",
            &["--gmac", gmac],
        ),
    ];
    // Every step runs, so one run reports all three; any failure fails the task.
    let mut failed = Vec::new();
    for (what, script, args) in steps {
        eprintln!("xtask: contract: {what}");
        let result = run(Command::new("python3")
            .arg(contract.join(script))
            .args(args)
            // gmac checks custom domains through loopback only: nothing answers there, so no
            // query of a generated name leaves the machine.
            .env("GMAC_DNS_RESOLVER", "127.0.0.1:9"));
        if let Err(err) = result {
            eprintln!("xtask: contract: FAILED: {err:#}");
            failed.push(script);
        }
    }
    if !failed.is_empty() {
        bail!("contract tests failed: {}", failed.join(", "));
    }
    Ok(())
}

/// HTTP benchmarks, the size of the SPA, and the idle memory of the release binary.
fn bench(root: &Path) -> anyhow::Result<()> {
    let bundle = spa::build(root, true)?;
    run(cargo().args([
        "build",
        "--release",
        "--package",
        "gmac-server",
        "--bin",
        "gmac",
    ]))?;
    run(cargo().args(["bench", "--package", "gmac-tests", "--bench", "http"]))?;
    instructions_per_request(root);
    run(cargo().args(["bench", "--package", "gmac-tests", "--bench", "costs"]))?;
    run(cargo().args(["bench", "--package", "gmac-tests", "--bench", "jobs"]))?;
    run(cargo().args(["bench", "--package", "gmac-tests", "--bench", "events"]))?;
    run(cargo().args(["bench", "--package", "gmac-tests", "--bench", "builds"]))?;

    // Idle memory: a release gmac on a fresh SQLite database, after start-up settles.
    let target_dir = target_dir(root);
    let data = std::env::temp_dir().join(format!("gmac-bench-{}", std::process::id()));
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = Command::new(target_dir.join("release/gmac"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("GMAC_DATA_DIR", &data)
        .env("GMAC_LOG_LEVEL", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()?;
    std::thread::sleep(std::time::Duration::from_secs(3));
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .unwrap_or("VmRSS: unknown")
        .to_owned();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&data);
    eprintln!(
        "xtask: idle release gmac (SQLite, 2 workers on this machine): {}",
        rss.trim()
    );
    eprintln!(
        "xtask: SPA wasm {} KiB raw, {} KiB gzip; first load {} KiB on the wire (brotli)",
        bundle.wasm_raw / 1024,
        bundle.wasm_gzip / 1024,
        bundle.first_load_brotli / 1024
    );
    Ok(())
}

/// The steady figure beside the rates: instructions per list request under callgrind, for gmac
/// and for bare actix-web, each the difference of a run of 1,050 requests and one of 50 (so
/// start-up cancels out). Skipped without valgrind.
fn instructions_per_request(root: &Path) {
    let Some(exe) = newest_bench_executable(&target_dir(root).join("release/deps"), "http-") else {
        eprintln!("xtask: no http bench executable found; skipping callgrind");
        return;
    };
    let count = |spec: &str| -> Option<u64> {
        let out = std::env::temp_dir().join(format!("gmac-callgrind-{}", std::process::id()));
        let output = Command::new("valgrind")
            .args(["--tool=callgrind", "--callgrind-out-file"])
            .arg(&out)
            .arg(&exe)
            .env("GMAC_BENCH_SEQUENTIAL", spec)
            .current_dir(root.join("tests"))
            .output()
            .ok()?;
        let _ = std::fs::remove_file(&out);
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .find_map(|l| l.split("Collected :").nth(1))
            .and_then(|n| n.trim().replace(',', "").parse().ok())
    };
    let per_request = |target: &str| -> Option<u64> {
        let few = count(&format!("{target}:50"))?;
        let many = count(&format!("{target}:1050"))?;
        Some(many.saturating_sub(few) / 1000)
    };
    match (per_request("gmac"), per_request("bare")) {
        (Some(gmac), Some(bare)) => {
            #[expect(clippy::cast_precision_loss, reason = "a ratio for display")]
            let ratio = bare as f64 / gmac as f64;
            eprintln!(
                "xtask: instructions per list request (callgrind, client included): \
                 gmac {gmac}, bare actix-web {bare}, ratio {ratio:.2}"
            );
        }
        _ => eprintln!("xtask: valgrind not available; skipping instructions per request"),
    }
}

/// The most recently built bench executable whose name starts with `prefix`.
fn newest_bench_executable(deps: &Path, prefix: &str) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::read_dir(deps)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(prefix) && !name.contains('.')
        })
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            let executable = meta.is_file() && meta.permissions().mode() & 0o111 != 0;
            executable.then_some((meta.modified().ok()?, e.path()))
        })
        .max_by_key(|(modified, _)| *modified)
        .map(|(_, path)| path)
}

/// Installs a Python package the tests use as a real peer (e.g. the SMTP server) if `module`
/// cannot be imported, or if `requirement` pins a version (`name==1.2.3`) and another is
/// installed: a stale major version (schemathesis 3, say) would otherwise fail obscurely.
fn ensure_python_module(module: &str, requirement: &str) -> anyhow::Result<()> {
    let check = match requirement.split_once("==") {
        Some((name, version)) => {
            // The distribution's name, without extras: `moto[server]` is `moto`.
            let dist = name.split('[').next().unwrap_or(name);
            format!(
                "import {module}, importlib.metadata as m; \
                 assert m.version({dist:?}) == {version:?}"
            )
        }
        None => format!("import {module}"),
    };
    let present = Command::new("python3")
        .args(["-c", &check])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return Ok(());
    }
    run(Command::new("python3").args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        requirement,
    ]))
}

/// Installs Debian's Chromium and ChromeDriver for the browser test if they are missing.
/// rustup (since 1.28) no longer installs the targets of `rust-toolchain.toml` for a toolchain
/// that is already present, so a fresh machine with stable installed lacks wasm32.
pub(crate) fn ensure_wasm_target() -> anyhow::Result<()> {
    const TARGET: &str = "wasm32-unknown-unknown";
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup")?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|line| line.trim() == TARGET)
    {
        return Ok(());
    }
    run(Command::new("rustup").args(["target", "add", TARGET]))
}

fn ensure_chromium() -> anyhow::Result<()> {
    ensure_debian(
        "the browser test needs Chromium",
        &["/usr/bin/chromium", "/usr/bin/chromedriver"],
        &["chromium", "chromium-driver"],
    )
}

/// Podman (with runc, which works on these machines where crun does not) serves the Docker
/// Engine API that images are built through and deploy targets are; busybox-static makes the
/// local base image; Caddy is the reverse proxy beside a container host; dnsmasq is the DNS
/// server custom domains are checked through; OpenSSH's server is a container host's SSH (its
/// own, on a port of loopback: no service is started).
fn ensure_podman() -> anyhow::Result<()> {
    ensure_debian(
        "the image builds and deploy targets need Podman, a registry, Caddy, dnsmasq and sshd",
        &[
            "/usr/bin/podman",
            "/usr/sbin/runc",
            "/bin/busybox",
            "/usr/bin/docker-registry",
            "/usr/bin/caddy",
            "/usr/sbin/dnsmasq",
            "/usr/sbin/sshd",
        ],
        &[
            "podman",
            "runc",
            "busybox-static",
            "docker-registry",
            "caddy",
            "dnsmasq-base",
            "openssh-server",
        ],
    )
}

/// Poppler's `pdftotext` and `pdffonts`: the PDF tests read gmac's documents as a PDF
/// reader would.
fn ensure_poppler() -> anyhow::Result<()> {
    ensure_debian(
        "the PDF tests need poppler",
        &["/usr/bin/pdftotext", "/usr/bin/pdffonts"],
        &["poppler-utils"],
    )
}

/// Installs Debian `packages` unless every file of `needs` is there (as root; otherwise says
/// what to run).
fn ensure_debian(why: &str, needs: &[&str], packages: &[&str]) -> anyhow::Result<()> {
    if needs.iter().all(|bin| Path::new(bin).exists()) {
        return Ok(());
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    if !is_root {
        bail!(
            "{why}: run `sudo apt-get install -y {}`",
            packages.join(" ")
        );
    }
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}
