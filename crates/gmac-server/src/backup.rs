//! `gmac backup` and `gmac restore`: the shell side of `gmac_core::platform::backup`, which
//! finds the database and the master key where `gmac serve` would, and checks the audit chain
//! under the key so that a key that does not belong to the data is noticed at once.

use std::fmt::Write as _;
use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, bail};
use gmac_core::db::Backend;
use gmac_core::keys::MasterKey;
use gmac_core::platform::backup::{self, KeyPlace};
use secrecy::ExposeSecret;

use crate::cli::{BackupArgs, PassphraseArgs, RestoreArgs};
use crate::config::Config;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn read_passphrase(args: &PassphraseArgs) -> anyhow::Result<String> {
    let mut line = String::new();
    if let Some(path) = &args.passphrase_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the passphrase file {}", path.display()))?;
        line.push_str(text.lines().next().unwrap_or_default());
    } else if args.passphrase_stdin {
        read_line_unechoed(&mut line, "Passphrase: ").context("reading the passphrase")?;
    } else {
        bail!(
            "give the backup's passphrase with --passphrase-file FILE or --passphrase-stdin (never on the command line)"
        );
    }
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// Reads a line from standard input. When that is a terminal, it asks on standard error and
/// turns echo off while the line is typed, so a passphrase or secret never shows on the screen.
pub(crate) fn read_line_unechoed(line: &mut String, prompt: &str) -> anyhow::Result<()> {
    use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
    use std::io::IsTerminal as _;
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        stdin.lock().read_line(line)?;
        return Ok(());
    }
    // Echo goes off before the prompt shows, so nothing typed as soon as it is asked for
    // can be echoed.
    let saved = tcgetattr(&stdin)?;
    let mut quiet = saved.clone();
    quiet.local_flags.remove(LocalFlags::ECHO);
    tcsetattr(&stdin, SetArg::TCSANOW, &quiet)?;
    eprint!("{prompt}");
    let read = stdin.lock().read_line(line);
    // Echo comes back whatever the read did.
    tcsetattr(&stdin, SetArg::TCSANOW, &saved)?;
    eprintln!();
    read?;
    Ok(())
}

/// The installation's master key, never created: a backup of a key that did not exist yet
/// would seal a key no data was ever encrypted with.
fn current_key(config: &Config) -> anyhow::Result<MasterKey> {
    if let Some(encoded) = &config.master_key {
        return MasterKey::from_base64(encoded.expose_secret());
    }
    let path = config.master_key_path();
    if !path.exists() {
        bail!(
            "there is no master key at {} (and GMAC_MASTER_KEY is not set): is this the data directory gmac serves from?",
            path.display()
        );
    }
    Ok(MasterKey::load_or_create(&path)?.0)
}

fn stamp() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()
}

/// Checks the audit chain of the database at `url` under `key`: the verdict in words, and
/// `false` when the chain does not verify (the key may not be this data's). A SQLite file that
/// is not there is not checked (connecting would create it).
async fn audit_under(url: &str, key: &MasterKey) -> (String, bool) {
    if let Ok(Some(file)) = gmac_core::db::sqlite_file(url)
        && !file.is_file()
    {
        return (
            "The audit log was not checked: there is no database here.".to_owned(),
            true,
        );
    }
    let options = gmac_core::db::PoolOptions {
        max_connections: 1,
        ..gmac_core::db::PoolOptions::default()
    };
    let db = match gmac_core::db::connect(url, &options).await {
        Ok(db) => db,
        Err(err) => return (format!("The audit log was not checked: {err:#}."), true),
    };
    let mut keys = gmac_core::audit::ChainKeys::derive(key);
    let sealer =
        gmac_core::crypto::Sealer::new(key, gmac_core::keys::KeyVersion::new(key.newest()));
    if let Err(err) =
        gmac_core::services::key_ring::add_retired_keys(&db, &sealer, &mut keys, key).await
    {
        // A database from before key rotation has no retired keys to add.
        tracing::warn!(error = %format!("{err:#}"), "the retired key versions' audit keys were not read: entries they signed will not verify");
    }
    let verdict = match gmac_core::audit::verify(&db, &keys).await {
        Ok(v) if v.valid => (
            format!(
                "The audit log verifies under this master key: {} entries checked.",
                v.checked
            ),
            true,
        ),
        Ok(v) => (
            format!(
                "the audit log does not verify under this master key{}: if gmac runs with another key (GMAC_MASTER_KEY), use that one",
                v.first_bad
                    .map(|b| format!(" (entry {}: {})", b.seq, b.reason))
                    .unwrap_or_default()
            ),
            false,
        ),
        Err(err) => (format!("The audit log was not checked: {err}."), true),
    };
    db.close().await.ok();
    verdict
}

fn describe_size(bytes: u64) -> String {
    if bytes < 1 << 20 {
        return format!("{} KiB", bytes.div_ceil(1024));
    }
    crate::remote::mebibytes(bytes)
}

/// `gmac backup`.
pub async fn back_up(config: &Config, args: &BackupArgs) -> anyhow::Result<String> {
    crate::telemetry::init("warn", config.log_format);
    let passphrase = read_passphrase(&args.passphrase)?;
    let key = current_key(config)?;
    let url = config.database_url();
    let backend = Backend::of_url(&url)?;
    let prefix = if args.key_only {
        "gmac-key-backup"
    } else {
        "gmac-backup"
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{prefix}-{}.db", stamp())));
    let source = match backend {
        _ if args.key_only => None,
        Backend::Postgres => bail!(
            "gmac backup snapshots the embedded SQLite database; on PostgreSQL back the database up with pg_dump and the master key with gmac backup --key-only (README: Backups)"
        ),
        Backend::Sqlite => {
            let file = gmac_core::db::sqlite_file(&url)?
                .context("an in-memory database has nothing to back up")?;
            if !file.is_file() {
                bail!("there is no database at {}", file.display());
            }
            Some(file)
        }
    };
    // Check the key against the data first: a backup sealing the wrong key is worse than none.
    let (audit, verified) = audit_under(&url, &key).await;
    if !verified && !args.allow_unverified {
        bail!("{audit}; no backup was written (--allow-unverified writes one anyway)");
    }
    let written = {
        let out = out.clone();
        tokio::task::spawn_blocking(move || match source {
            Some(source) => backup::back_up_sqlite(&source, &out, &key, &passphrase, VERSION),
            None => backup::back_up_key(&out, &key, &passphrase, VERSION),
        })
        .await
        .context("the backup thread failed")??
    };
    let what = if args.key_only {
        "the master key".to_owned()
    } else {
        format!(
            "the database ({} tables) and its master key",
            written.tables
        )
    };
    Ok(format!(
        "Wrote {what} to {} ({}).\n{audit}\nKeep the passphrase apart from the file: the key in it opens only with the passphrase.",
        out.display(),
        describe_size(written.bytes),
    ))
}

/// `gmac restore`.
pub async fn restore(config: &Config, args: &RestoreArgs) -> anyhow::Result<String> {
    crate::telemetry::init("warn", config.log_format);
    let passphrase = read_passphrase(&args.passphrase)?;
    let url = config.database_url();
    let target =
        match Backend::of_url(&url)? {
            Backend::Sqlite => Some(gmac_core::db::sqlite_file(&url)?.context(
                "gmac is configured with an in-memory database: nothing to restore into",
            )?),
            Backend::Postgres => None,
        };
    let configured = config
        .master_key
        .as_ref()
        .map(|encoded| MasterKey::from_base64(encoded.expose_secret()))
        .transpose()?;
    let key_path = config.master_key_path();
    let (file, force) = (args.backup.clone(), args.force);
    let (manifest, key, done) = tokio::task::spawn_blocking({
        let (target, key_path) = (target.clone(), key_path.clone());
        move || {
            let place = configured
                .as_ref()
                .map_or(KeyPlace::File(&key_path), KeyPlace::Configured);
            backup::restore(&file, &passphrase, target.as_deref(), &place, force)
        }
    })
    .await
    .context("the restore thread failed")??;

    let mut report = String::new();
    let taken = format!(
        "taken {} by gmac {}",
        manifest.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
        manifest.gmac_version
    );
    match (&target, manifest.has_database) {
        (Some(target), true) => {
            writeln!(
                report,
                "Restored the database {taken} to {}.",
                target.display()
            )?;
        }
        _ => writeln!(
            report,
            "Restored the master key of a key-only backup {taken}."
        )?,
    }
    if let Some(aside) = &done.replaced_database {
        writeln!(
            report,
            "The database it replaced is kept at {}.",
            aside.display()
        )?;
    }
    if done.key_written {
        writeln!(report, "Wrote the master key to {}.", key_path.display())?;
    } else {
        writeln!(report, "The installation already has this master key.")?;
    }
    if let Some(aside) = &done.replaced_key {
        writeln!(
            report,
            "The key it replaced is kept at {}.",
            aside.display()
        )?;
    }
    if target.is_some() && !manifest.has_database {
        writeln!(
            report,
            "This backup holds no database: the SQLite database was left as it was."
        )?;
    }
    let (verdict, verified) = audit_under(&url, &key).await;
    let warning = if verified { "" } else { "WARNING: " };
    writeln!(report, "{warning}{verdict}")?;
    write!(report, "Start gmac again to serve the restored data.")?;
    Ok(report)
}
