//! `gmac keys`: the master key ring from the shell (see `gmac_core::services::key_ring`).

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context, bail};
use gmac_core::keys::MasterKey;
use gmac_core::services::key_ring::{self, VersionState};
use secrecy::ExposeSecret;

use crate::cli::{KeysCommand, RotateArgs};
use crate::config::Config;

/// Runs a `gmac keys` command; what to print.
pub async fn run(config: &Config, command: &KeysCommand) -> anyhow::Result<String> {
    crate::telemetry::init("warn", config.log_format);
    match command {
        KeysCommand::Add(_) => add(config),
        KeysCommand::Rotate(args) => rotate(config, args).await,
        KeysCommand::Status(_) => {
            let (core, key) = crate::startup::prepare(config).await?;
            Ok(render(&key_ring::status(&core, &key).await?))
        }
    }
}

fn add(config: &Config) -> anyhow::Result<String> {
    if let Some(encoded) = &config.master_key {
        let ring = MasterKey::from_base64(encoded.expose_secret())?;
        let (grown, version) = ring.with_new_version();
        return Ok(format!(
            "Made version {version}. The key is configured by GMAC_MASTER_KEY: put this entry before the keys it holds now (`{version}:<new> <old ring>`), on every replica, restart them one at a time, then run `gmac keys rotate`:\n\n{}",
            grown.entry(version).unwrap_or_default()
        ));
    }
    let path = config.master_key_path();
    if !path.is_file() {
        bail!(
            "there is no master key at {} (and GMAC_MASTER_KEY is not set): is this the data directory gmac serves from?",
            path.display()
        );
    }
    let (ring, _) = MasterKey::load_or_create(&path)?;
    let (ring, version) = ring.with_new_version();
    // Written beside the file, then renamed over it: the file always holds a whole ring.
    let staged = path.with_file_name(format!(
        "{}.adding",
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    ));
    if staged.exists() {
        std::fs::remove_file(&staged).with_context(|| format!("removing {}", staged.display()))?;
    }
    ring.write_new_file(&staged)?;
    std::fs::rename(&staged, &path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(format!(
        "Added version {version} to {}. Restart every gmac that reads this file, then run `gmac keys rotate`.",
        path.display()
    ))
}

async fn rotate(config: &Config, args: &RotateArgs) -> anyhow::Result<String> {
    let (core, key) = crate::startup::prepare(config).await?;
    let mut progress = |line: String| {
        let mut out = std::io::stdout().lock();
        // Progress is a courtesy: a closed stdout does not stop the rotation.
        drop(writeln!(out, "{line}").and_then(|()| out.flush()));
    };
    let rotation = key_ring::rotate(
        &core,
        &key,
        Duration::from_secs(args.settle_secs),
        &mut progress,
    )
    .await?;
    if !rotation.unreadable.is_empty() {
        bail!(
            "{} values did not open and were left as they are:\n  {}",
            rotation.unreadable.len(),
            rotation.unreadable.join("\n  ")
        );
    }
    let mut text = match rotation.from {
        Some(from) => format!(
            "Rotated from version {from} to version {}: {} values re-wrapped in {} passes.",
            rotation.to, rotation.rewrapped, rotation.passes
        ),
        None => format!(
            "Version {} already sealed: {} values left under older versions re-wrapped.",
            rotation.to, rotation.rewrapped
        ),
    };
    text.push_str("\n\n");
    text.push_str(&render(&key_ring::status(&core, &key).await?));
    Ok(text)
}

/// The versions as a table, with what may be done next.
fn render(states: &[VersionState]) -> String {
    let mut text = format!(
        "{:<8} {:<11} {:<8} {:>7}  {}\n",
        "VERSION", "CONFIGURED", "SEALS", "VALUES", "AUDIT KEY"
    );
    for s in states.iter().rev() {
        let _ = writeln!(
            text,
            "{:<8} {:<11} {:<8} {:>7}  {}",
            s.version,
            if s.configured { "yes" } else { "no" },
            if s.current { "now" } else { "-" },
            s.values,
            if s.current || s.configured && !s.audit_key_kept {
                "configured"
            } else if s.audit_key_kept {
                "kept in the database"
            } else {
                "lost"
            },
        );
    }
    let current = states.iter().find(|s| s.current).map(|s| s.version);
    for s in states {
        if current.is_some_and(|c| s.version > c) && s.configured {
            let _ = writeln!(
                text,
                "\nVersion {} is configured and newer than the version sealing now: run `gmac keys rotate` to switch to it.",
                s.version
            );
        } else if !s.current && s.configured && s.values == 0 && s.audit_key_kept {
            let _ = writeln!(
                text,
                "\nVersion {} seals nothing now: it may be removed from the ring on every replica.",
                s.version
            );
        } else if !s.current && s.values > 0 {
            let _ = writeln!(
                text,
                "\nVersion {} still seals {} values: run `gmac keys rotate`.",
                s.version, s.values
            );
        }
    }
    text.trim_end().to_owned()
}
