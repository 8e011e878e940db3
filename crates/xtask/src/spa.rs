//! Builds the SPA: cargo for wasm32, wasm-bindgen (as a library, pinned to the same version
//! as the `wasm-bindgen` crate in Cargo.lock), optional wasm-opt, then content-hashed file
//! names and an `index.html` that references them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use crate::{cargo, run};

/// Sizes of the bundle, for the record.
pub(crate) struct Bundle {
    pub(crate) wasm_raw: u64,
    pub(crate) wasm_gzip: u64,
    /// What the first page load fetches (the wasm, its glue, the boot script and the
    /// stylesheet), brotli'd as a browser receives them.
    pub(crate) first_load_brotli: u64,
}

#[expect(
    clippy::too_many_lines,
    reason = "one pass from cargo's module to the published files, in the order it runs"
)]
pub(crate) fn build(root: &Path, release: bool) -> anyhow::Result<Bundle> {
    let profile = if release { "wasm-release" } else { "dev" };
    crate::ensure_wasm_target()?;
    run(cargo().args([
        "build",
        "--package",
        "gmac-frontend",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        profile,
    ]))?;
    let target_dir =
        std::env::var("CARGO_TARGET_DIR").map_or_else(|_| root.join("target"), PathBuf::from);
    let profile_dir = if release { "wasm-release" } else { "debug" };
    let wasm = target_dir
        .join("wasm32-unknown-unknown")
        .join(profile_dir)
        .join("gmac_frontend.wasm");
    let stamp = source_stamp(root, &wasm, profile)?;
    if let Some(bundle) = unchanged(root, &stamp) {
        eprintln!("xtask: SPA ({profile}) in frontend/dist is up to date");
        return Ok(bundle);
    }

    let staging = target_dir.join("spa-staging");
    let _ = std::fs::remove_dir_all(&staging);
    let parts = staging.join("app");
    let mut files = bind_parts(&target_dir, &wasm, &parts, release)?;

    let dist = root.join("frontend/dist");
    let _ = std::fs::remove_dir_all(&dist);
    let assets = dist.join("assets");
    std::fs::create_dir_all(&assets)?;

    let app_dir = publish_parts(&parts, &files, &assets)?;
    files.retain(|n| n != "app.js" && n != "app_bg.wasm" && n != SPLIT_LINK);
    let css_name = hashed_copy(&root.join("frontend/style.css"), &assets, "style", ".css")?;
    let boot = format!(
        "import init from './{app_dir}/app.js';\ninit({{ module_or_path: new URL('./{app_dir}/app_bg.wasm', import.meta.url) }});\n"
    );
    let boot_path = staging.join("boot.js");
    std::fs::write(&boot_path, boot)?;
    let boot_name = hashed_copy(&boot_path, &assets, "boot", ".js")?;
    let wasm_name = format!("{app_dir}/app_bg.wasm");

    let template = std::fs::read_to_string(root.join("frontend/index.html"))?;
    if !template.contains("{{STYLE}}") || !template.contains("{{BOOT}}") {
        bail!("frontend/index.html must contain {{{{STYLE}}}} and {{{{BOOT}}}}");
    }
    let index = template
        .replace("{{STYLE}}", &format!("/assets/{css_name}"))
        .replace("{{BOOT}}", &format!("/assets/{boot_name}"))
        .replace("{{WASM}}", &format!("/assets/{wasm_name}"));
    std::fs::write(dist.join("index.html"), index)?;
    let public = root.join("frontend/public");
    if public.exists() {
        for entry in std::fs::read_dir(public)? {
            let entry = entry?;
            std::fs::copy(entry.path(), dist.join(entry.file_name()))?;
        }
    }

    let bytes = std::fs::read(assets.join(&wasm_name))?;
    let mut first_load_brotli = 0;
    let mut parts_brotli = 0;
    let mut wasm_gzip = 0;
    // Served as they are to browsers that take brotli or gzip; the server never compresses
    // them on the fly (release builds only: a debug build's wasm is large and changes often).
    if release {
        let first_load = [
            wasm_name.clone(),
            format!("{app_dir}/app.js"),
            format!("{app_dir}/{SPLIT_LINK}"),
            css_name.clone(),
            boot_name.clone(),
        ];
        for name in &first_load {
            let (gzip, brotli) = precompress(&assets.join(name))?;
            first_load_brotli += brotli;
            if name == &wasm_name {
                wasm_gzip = gzip;
            }
        }
        for name in &files {
            parts_brotli += precompress(&assets.join(&app_dir).join(name))?.1;
        }
    } else {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes)?;
        wasm_gzip = gz.finish()?.len() as u64;
    }
    let bundle = Bundle {
        wasm_raw: bytes.len() as u64,
        wasm_gzip,
        first_load_brotli,
    };
    eprintln!(
        "xtask: SPA ({profile}) in frontend/dist: {wasm_name} {} KiB raw, {} KiB gzip; \
         first load {} KiB on the wire (brotli); {} parts loaded on first use, {} KiB (brotli)",
        bundle.wasm_raw / 1024,
        bundle.wasm_gzip / 1024,
        bundle.first_load_brotli / 1024,
        files.len(),
        parts_brotli / 1024,
    );
    std::fs::write(
        dist.join(STAMP),
        format!(
            "{stamp}\n{} {} {}\n",
            bundle.wasm_raw, bundle.wasm_gzip, bundle.first_load_brotli
        ),
    )?;
    Ok(bundle)
}

/// Beside the bundle: what it was built from, and its sizes.
const STAMP: &str = ".built-from";

/// What the bundle is made from: the profile, cargo's module, the page, the stylesheet and
/// the files in `frontend/public`.
fn source_stamp(root: &Path, wasm: &Path, profile: &str) -> anyhow::Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(profile.as_bytes());
    let mut files = vec![
        wasm.to_path_buf(),
        root.join("frontend/index.html"),
        root.join("frontend/style.css"),
    ];
    let public = root.join("frontend/public");
    if public.exists() {
        let names = sorted_names(&public)?;
        files.extend(names.iter().map(|n| public.join(n)));
    }
    for file in files {
        hasher.update(std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The bundle in `frontend/dist`, when it was built from `stamp`: splitting and optimizing
/// take minutes, so `cargo xtask demo` restarts in seconds when nothing changed.
fn unchanged(root: &Path, stamp: &str) -> Option<Bundle> {
    let dist = root.join("frontend/dist");
    let recorded = std::fs::read_to_string(dist.join(STAMP)).ok()?;
    let mut lines = recorded.lines();
    if lines.next()? != stamp || !dist.join("index.html").exists() {
        return None;
    }
    let mut sizes = lines.next()?.split(' ').map(str::parse::<u64>);
    Some(Bundle {
        wasm_raw: sizes.next()?.ok()?,
        wasm_gzip: sizes.next()?.ok()?,
        first_load_brotli: sizes.next()?.ok()?,
    })
}

/// Splits cargo's module into `parts` and runs wasm-bindgen on the main one (and, for a
/// release, wasm-opt on every module); answers the file names there, sorted.
fn bind_parts(
    target_dir: &Path,
    wasm: &Path,
    parts: &Path,
    release: bool,
) -> anyhow::Result<Vec<String>> {
    std::fs::create_dir_all(parts)?;
    split(wasm, parts)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(parts.join("main.wasm"))
        .web(true)?
        .typescript(false)
        .debug(!release)
        // The parts import the main module's functions by their linker names.
        .keep_lld_exports(true)
        .demangle(false)
        .remove_name_section(release)
        .remove_producers_section(release)
        .out_name("app")
        .generate(parts)
        .context("running wasm-bindgen")?;
    std::fs::remove_file(parts.join("main.wasm"))?;
    let files = sorted_names(parts)?;
    if release {
        // Every part, however small: the few hundred under 2 KiB come out at half their size
        // (skipping them made the parts 185 KiB larger on the wire, for 3 minutes saved).
        let modules: Vec<PathBuf> = files
            .iter()
            .map(|n| parts.join(n))
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("wasm"))
            })
            .collect();
        optimize_all(target_dir, &modules);
    }
    Ok(files)
}

/// Copies the parts into a folder of `assets` named for them all (they import each other by
/// fixed relative names, so they are versioned together); answers the folder's name.
fn publish_parts(parts: &Path, files: &[String], assets: &Path) -> anyhow::Result<String> {
    let mut hasher = Sha256::new();
    for name in files {
        hasher.update(name.as_bytes());
        hasher.update(std::fs::read(parts.join(name))?);
    }
    let app_dir = format!("app-{}", hex::encode(&hasher.finalize()[..8]));
    std::fs::create_dir_all(assets.join(&app_dir))?;
    for name in files {
        std::fs::copy(parts.join(name), assets.join(&app_dir).join(name))?;
    }
    Ok(app_dir)
}

/// The module the split-off parts load through (the name wasm-bindgen's glue imports).
const SPLIT_LINK: &str = "__wasm_split.js";

/// Splits cargo's module at its `#[lazy]` functions into `dir`: `main.wasm` for wasm-bindgen,
/// the parts loaded on first use, and the JavaScript that loads them.
fn split(wasm: &Path, dir: &Path) -> anyhow::Result<()> {
    let input = std::fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let main = dir.join("main.wasm");
    let link = format!("./{SPLIT_LINK}");
    let mut options = wasm_split_cli_support::Options::new(&input);
    options.output_dir = dir;
    options.main_out_path = &main;
    options.main_module = "./app.js";
    options.link_name = &link;
    wasm_split_cli_support::transform(options)
        .map_err(|e| anyhow::anyhow!("splitting the SPA's module: {e:?}"))?;
    Ok(())
}

/// The file names in `dir`, sorted.
fn sorted_names(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// Writes `<file>.gz` (level 9) and `<file>.br` (quality 11) beside `file`; answers their
/// sizes.
fn precompress(file: &Path) -> anyhow::Result<(u64, u64)> {
    let bytes = std::fs::read(file)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes)?;
    let gzip = gz.finish()?;
    let mut brotli = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        ..brotli::enc::BrotliEncoderParams::default()
    };
    brotli::BrotliCompress(&mut bytes.as_slice(), &mut brotli, &params)?;
    let mut path = file.as_os_str().to_owned();
    path.push(".gz");
    std::fs::write(&path, &gzip)?;
    let mut path = file.as_os_str().to_owned();
    path.push(".br");
    std::fs::write(&path, &brotli)?;
    Ok((gzip.len() as u64, brotli.len() as u64))
}

/// Copies `src` into `dir` as `<stem>-<hash><suffix>` and returns the new name.
fn hashed_copy(src: &Path, dir: &Path, stem: &str, suffix: &str) -> anyhow::Result<String> {
    let bytes = std::fs::read(src).with_context(|| format!("reading {}", src.display()))?;
    let hash = hex::encode(&Sha256::digest(&bytes)[..8]);
    let name = format!("{stem}-{hash}{suffix}");
    std::fs::write(dir.join(&name), bytes)?;
    Ok(name)
}

/// Shrinks every module with binaryen's wasm-opt from npm (Debian's binaryen 108 corrupts
/// wasm-bindgen output; 132 does not), as many at a time as there are cores. Skipped, with a
/// note, where npm is unavailable.
fn optimize_all(target_dir: &Path, modules: &[PathBuf]) {
    let tools = target_dir.join("xtask-tools");
    let wasm_opt = tools.join("node_modules/.bin/wasm-opt");
    if !wasm_opt.exists() {
        let installed = Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&tools)
            .arg("binaryen@132.0.0")
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            eprintln!("xtask: npm could not install binaryen; the SPA is built without wasm-opt");
            return;
        }
    }
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(module) =
                    modules.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                {
                    optimize(&wasm_opt, module);
                }
            });
        }
    });
}

/// Runs `wasm_opt` on one module, in place; keeps the module as it was if that fails.
fn optimize(wasm_opt: &Path, wasm: &Path) {
    let optimized = wasm.with_extension("opt.wasm");
    let output = Command::new(wasm_opt)
        .arg("-Oz")
        .args([
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
            // About 200 bytes per part that no browser reads: with some 400 parts, most
            // under 1 KiB, they were a third of a typical part.
            "--strip-producers",
            "--strip-target-features",
        ])
        .arg(wasm)
        .arg("-o")
        .arg(&optimized)
        .output();
    let Ok(output) = output else {
        eprintln!("xtask: wasm-opt could not be started; keeping the unoptimized module");
        return;
    };
    // Each part's name section, as the splitter writes it, draws one "unknown name
    // subsection" warning (binaryen's --quiet does not hide it): hundreds of lines that would
    // bury a real message, so only the others are shown.
    let stderr = String::from_utf8_lossy(&output.stderr);
    for line in stderr
        .lines()
        .filter(|l| !l.contains("unknown name subsection"))
    {
        eprintln!("{line}");
    }
    if output.status.success() {
        let _ = std::fs::rename(&optimized, wasm);
    } else {
        eprintln!(
            "xtask: wasm-opt failed on {}; keeping the unoptimized module",
            wasm.display()
        );
    }
}
