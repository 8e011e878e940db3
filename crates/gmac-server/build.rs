//! The SPA is embedded from `frontend/dist` (built by `cargo xtask spa`). Make sure the folder
//! exists, so a server built before the SPA still finds it later (debug builds read it at run
//! time), and rebuild when the bundle changes (release builds embed it).

fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../frontend/dist");
    if let Err(err) = std::fs::create_dir_all(&dist) {
        println!("cargo::warning=cannot create {}: {err}", dist.display());
    }
    println!("cargo::rerun-if-changed={}", dist.display());
}
