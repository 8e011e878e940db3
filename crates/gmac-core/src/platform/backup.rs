//! Backups of gmac's own data: `gmac backup` and `gmac restore` (issue 9, point 6).
//!
//! A backup is one SQLite file. It holds a consistent snapshot of the embedded database, taken
//! online with SQLite's backup API while gmac keeps serving, plus a `gmac_backup` table: when
//! and by which gmac it was made, and the master key sealed under a passphrase
//! ([`MasterKey::wrap`]). Without the key, the sealed secrets in a database (MFA secrets,
//! cloud credentials) and its audit chain cannot be opened or checked, so the two travel
//! together, and the passphrase keeps the key from being read off the backup by whoever holds
//! the file. Anyone can inspect a backup with `sqlite3`.
//!
//! A PostgreSQL installation backs its database up with `pg_dump` and its key with a key-only
//! backup: the same file with only the `gmac_backup` table.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use gmac_migrations::{Migrator, MigratorTrait};
use rusqlite::{Connection, OpenFlags};

use crate::keys::{MasterKey, WrappedKey};

/// The value of a backup's `format` entry; another value is a backup this gmac cannot read.
pub const FORMAT: &str = "gmac-backup/1";
const TABLE: &str = "gmac_backup";
/// How long a backup waits for a writer that holds SQLite's lock (the snapshot needs none in
/// WAL mode, but a database in another journal mode blocks readers while it writes).
const PATIENCE: Duration = Duration::from_mins(1);

/// What a backup says about itself.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// When the snapshot was taken (UTC).
    pub created_at: DateTime<Utc>,
    /// The version of gmac that wrote it.
    pub gmac_version: String,
    /// Whether it holds the database, or only the master key (a PostgreSQL installation's).
    pub has_database: bool,
    /// The master key, sealed under the backup's passphrase.
    pub key: WrappedKey,
}

/// What `back_up_*` wrote.
#[derive(Clone, Debug)]
pub struct Written {
    /// The backup's size in bytes.
    pub bytes: u64,
    /// How many tables the snapshot holds (0 for a key-only backup).
    pub tables: u32,
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(unix)]
fn make_private(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("making {} owner-only", path.display()))
}

#[cfg(not(unix))]
fn make_private(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Flushes a finished file and the directory entry that names it.
fn sync(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("flushing {}", path.display()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Directories cannot be fsynced everywhere; where they can, the rename is durable.
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

/// Writes to `out.partial` and renames it to `out` only once it is whole, so an interrupted
/// backup never leaves a file that looks like one.
fn write_atomically(
    out: &Path,
    fill: impl FnOnce(&Path) -> anyhow::Result<u32>,
) -> anyhow::Result<Written> {
    if out.exists() {
        bail!(
            "{} already exists; choose another file (a backup never overwrites one)",
            out.display()
        );
    }
    let partial = with_suffix(out, ".partial");
    // A leftover of an interrupted run of ours: never a backup.
    let _ = std::fs::remove_file(&partial);
    // Owner-only from the start: it will hold password hashes and every cost.
    crate::keys::write_private(&partial, "")
        .with_context(|| format!("creating {}", partial.display()))?;
    let tables = match fill(&partial) {
        Ok(tables) => tables,
        Err(err) => {
            let _ = std::fs::remove_file(&partial);
            return Err(err);
        }
    };
    sync(&partial)?;
    // A hard link fails if `out` appeared meanwhile: never over another file.
    let linked = std::fs::hard_link(&partial, out)
        .with_context(|| format!("naming the backup {}", out.display()));
    let _ = std::fs::remove_file(&partial);
    linked?;
    sync(out)?;
    let bytes = std::fs::metadata(out)
        .with_context(|| format!("reading {}", out.display()))?
        .len();
    Ok(Written { bytes, tables })
}

fn write_manifest(db: &Connection, manifest: &Manifest) -> anyhow::Result<()> {
    db.execute_batch(&format!(
        "PRAGMA journal_mode = DELETE; \
         CREATE TABLE {TABLE} (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);"
    ))?;
    let key = serde_json::to_string(&manifest.key).context("encoding the sealed key")?;
    let entries = [
        ("format", FORMAT.to_owned()),
        ("created_at", manifest.created_at.to_rfc3339()),
        ("gmac_version", manifest.gmac_version.clone()),
        ("has_database", manifest.has_database.to_string()),
        ("master_key", key),
    ];
    let mut insert = db.prepare(&format!(
        "INSERT INTO {TABLE} (name, value) VALUES (?1, ?2)"
    ))?;
    for (name, value) in entries {
        insert.execute((name, value))?;
    }
    Ok(())
}

/// Fails unless SQLite's own check finds `db` sound.
fn check_integrity(db: &Connection, what: &Path) -> anyhow::Result<()> {
    let verdict: String = db.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    if verdict != "ok" {
        bail!("{} is damaged: {verdict}", what.display());
    }
    Ok(())
}

fn is_gmac_database(db: &Connection) -> anyhow::Result<bool> {
    let found: i64 = db.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'seaql_migrations'",
        [],
        |row| row.get(0),
    )?;
    Ok(found == 1)
}

/// Snapshots the SQLite database at `source` into a new backup at `out`, while gmac may be
/// running and writing: the backup API copies every page in one step inside one read
/// transaction, which in WAL mode blocks no writer and sees one committed state.
pub fn back_up_sqlite(
    source: &Path,
    out: &Path,
    key: &MasterKey,
    passphrase: &str,
    gmac_version: &str,
) -> anyhow::Result<Written> {
    // The passphrase is checked (and the key sealed) before any copying.
    let sealed = key.wrap(passphrase)?;
    if !source.is_file() {
        bail!("there is no database at {}", source.display());
    }
    // Read-write without create: the file must exist, and WAL needs its shared memory.
    let src = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", source.display()))?;
    src.busy_timeout(PATIENCE)?;
    if !is_gmac_database(&src)? {
        bail!("{} is not a gmac database", source.display());
    }
    write_atomically(out, |partial| {
        let mut dst = Connection::open(partial)?;
        {
            let backup = rusqlite::backup::Backup::new(&src, &mut dst)?;
            let deadline = std::time::Instant::now() + PATIENCE;
            loop {
                match backup.step(-1)? {
                    rusqlite::backup::StepResult::Done => break,
                    _ if std::time::Instant::now() > deadline => {
                        bail!("the database stayed locked for {} s", PATIENCE.as_secs())
                    }
                    _ => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
        check_integrity(&dst, source)?;
        let tables: u32 = dst.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
            [],
            |row| row.get(0),
        )?;
        write_manifest(
            &dst,
            &Manifest {
                created_at: Utc::now(),
                gmac_version: gmac_version.to_owned(),
                has_database: true,
                key: sealed,
            },
        )?;
        dst.close().map_err(|(_, err)| err)?;
        Ok(tables)
    })
}

/// Writes a backup that holds only the master key, sealed under `passphrase`: the part of a
/// PostgreSQL installation that `pg_dump` does not save.
pub fn back_up_key(
    out: &Path,
    key: &MasterKey,
    passphrase: &str,
    gmac_version: &str,
) -> anyhow::Result<Written> {
    let sealed = key.wrap(passphrase)?;
    write_atomically(out, |partial| {
        let dst = Connection::open(partial)?;
        write_manifest(
            &dst,
            &Manifest {
                created_at: Utc::now(),
                gmac_version: gmac_version.to_owned(),
                has_database: false,
                key: sealed,
            },
        )?;
        dst.close().map_err(|(_, err)| err)?;
        Ok(0)
    })
}

fn open_backup(backup: &Path) -> anyhow::Result<Connection> {
    if !backup.is_file() {
        bail!("there is no backup at {}", backup.display());
    }
    Connection::open_with_flags(
        backup,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", backup.display()))
}

/// Reads what a backup says about itself, refusing files that are not gmac backups.
pub fn read_manifest(backup: &Path) -> anyhow::Result<Manifest> {
    let db = open_backup(backup)?;
    let not_a_backup = || format!("{} is not a gmac backup", backup.display());
    let mut query = db
        .prepare(&format!("SELECT name, value FROM {TABLE}"))
        .with_context(not_a_backup)?;
    let entries: HashMap<String, String> = query
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .with_context(not_a_backup)?
        .collect::<Result<_, _>>()
        .with_context(not_a_backup)?;
    let entry = |name: &str| {
        entries
            .get(name)
            .with_context(|| format!("{} (its {name} is missing)", not_a_backup()))
    };
    let format = entry("format")?;
    if format != FORMAT {
        bail!(
            "{} is a backup in format {format}, which this gmac (reading {FORMAT}) does not know: restore it with the gmac that made it",
            backup.display()
        );
    }
    Ok(Manifest {
        created_at: DateTime::parse_from_rfc3339(entry("created_at")?)
            .with_context(not_a_backup)?
            .with_timezone(&Utc),
        gmac_version: entry("gmac_version")?.clone(),
        has_database: entry("has_database")? == "true",
        key: serde_json::from_str(entry("master_key")?).with_context(not_a_backup)?,
    })
}

/// Where the restored master key goes.
#[derive(Debug)]
pub enum KeyPlace<'a> {
    /// The installation is configured with a key (`GMAC_MASTER_KEY`): it must be the backup's.
    Configured(&'a MasterKey),
    /// The installation keeps its key in this file.
    File(&'a Path),
}

/// What a restore did.
#[derive(Debug, Default)]
pub struct Restored {
    /// Where the replaced database went (it is kept, never deleted).
    pub replaced_database: Option<PathBuf>,
    /// Where the replaced key file went.
    pub replaced_key: Option<PathBuf>,
    /// Whether a key file was written (false: the installation already had the backup's key).
    pub key_written: bool,
}

/// Restores `backup` (opened with `passphrase`) over the SQLite database at `target` (`None`:
/// only the key, for a PostgreSQL installation restored with `pg_restore`), and its master key
/// to `key`. Everything is checked before anything changes: the passphrase, the snapshot's
/// integrity, that this gmac knows every migration it has applied, and that nothing would be
/// replaced without `replace`. What is replaced is kept beside it as `*.replaced-<time>`.
/// gmac must not be running on `target`.
pub fn restore(
    backup: &Path,
    passphrase: &str,
    target: Option<&Path>,
    key: &KeyPlace<'_>,
    replace: bool,
) -> anyhow::Result<(Manifest, MasterKey, Restored)> {
    let manifest = read_manifest(backup)?;
    let restored_key = MasterKey::unwrap(&manifest.key, passphrase)?;
    let target = if manifest.has_database {
        Some(target.context(
            "this backup holds a SQLite database, but gmac is configured for PostgreSQL: restore it with GMAC_DATABASE_URL naming a SQLite file",
        )?)
    } else {
        None
    };
    if let Some(target) = target {
        check_restorable(backup)?;
        ensure_not_in_use(target)?;
        if target.exists() && !replace {
            bail!(
                "a database already exists at {}; stop gmac, then run again with --force to replace it (the old one is kept beside it)",
                target.display()
            );
        }
    }
    let key_file = match key {
        KeyPlace::Configured(configured) => {
            if !configured.holds_all_of(&restored_key) {
                bail!(
                    "the configured master key (GMAC_MASTER_KEY) is not the backup's: unset it so that restore writes the backup's key to the key file, or configure the backup's key"
                );
            }
            None
        }
        KeyPlace::File(path) if path.exists() => {
            let (current, _) = MasterKey::load_or_create(path)?;
            if current.same_as(&restored_key) {
                None
            } else if replace {
                Some(*path)
            } else {
                bail!(
                    "{} holds another master key; run again with --force to replace it (the old one is kept beside it)",
                    path.display()
                );
            }
        }
        KeyPlace::File(path) => Some(*path),
    };

    // Both are staged beside their places first, then swapped in by renames: a failure while
    // staging changes nothing, and the installation never ends up without a key.
    let staged_db = target.map(|t| stage_database(backup, t)).transpose()?;
    let staged_key = match key_file {
        Some(path) => Some(stage_key(&restored_key, path).inspect_err(|_| {
            if let Some(staged) = &staged_db {
                let _ = std::fs::remove_file(staged);
            }
        })?),
        None => None,
    };
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut done = Restored::default();
    if let (Some(target), Some(staged)) = (target, &staged_db) {
        done.replaced_database = swap_in(staged, target, &stamp, &["-wal", "-shm"])?;
    }
    if let (Some(path), Some(staged)) = (key_file, &staged_key) {
        done.replaced_key = swap_in(staged, path, &stamp, &[])?;
        done.key_written = true;
    }
    Ok((manifest, restored_key, done))
}

/// Refuses a damaged snapshot, or one from a gmac with migrations this one does not know.
fn check_restorable(backup: &Path) -> anyhow::Result<()> {
    let db = open_backup(backup)?;
    check_integrity(&db, backup)?;
    if !is_gmac_database(&db)? {
        bail!("{} holds no gmac database", backup.display());
    }
    let known: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let mut query = db.prepare("SELECT version FROM seaql_migrations ORDER BY version")?;
    let applied: Vec<String> = query
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    if let Some(unknown) = applied.iter().find(|name| !known.contains(name)) {
        bail!(
            "{} was made by a newer gmac (its migration {unknown} is unknown here): restore it with that version or a later one",
            backup.display()
        );
    }
    Ok(())
}

/// Refuses a database that another connection has open (a running gmac or `gmac worker`):
/// in exclusive locking mode SQLite cannot take the lock while another process shares the
/// database's memory.
fn ensure_not_in_use(target: &Path) -> anyhow::Result<()> {
    if !target.exists() {
        return Ok(());
    }
    let db = Connection::open_with_flags(
        target,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", target.display()))?;
    db.busy_timeout(Duration::ZERO)?;
    let locked = db.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; ROLLBACK;");
    drop(db);
    if let Err(err) = locked {
        bail!(
            "the database {} is in use ({err}): stop gmac (and any gmac worker) first",
            target.display()
        );
    }
    Ok(())
}

/// Copies the snapshot beside `target` (`*.restoring`) without the backup's own table
/// (overwritten on disk, not left in free pages: it held the sealed key), in WAL mode.
fn stage_database(backup: &Path, target: &Path) -> anyhow::Result<PathBuf> {
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let staged = with_suffix(target, ".restoring");
    let _ = std::fs::remove_file(&staged);
    std::fs::copy(backup, &staged)
        .with_context(|| format!("copying {} to {}", backup.display(), staged.display()))?;
    make_private(&staged)?;
    let prepared = (|| -> anyhow::Result<()> {
        let db = Connection::open(&staged)?;
        db.execute_batch(&format!(
            "PRAGMA secure_delete = ON; DROP TABLE {TABLE}; PRAGMA journal_mode = WAL; \
             PRAGMA wal_checkpoint(TRUNCATE);"
        ))?;
        db.close().map_err(|(_, err)| err)?;
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(with_suffix(&staged, suffix));
        }
        sync(&staged)
    })();
    if let Err(err) = prepared {
        let _ = std::fs::remove_file(&staged);
        return Err(err);
    }
    Ok(staged)
}

/// Writes the key beside its file (`*.restoring`, owner-only).
fn stage_key(key: &MasterKey, path: &Path) -> anyhow::Result<PathBuf> {
    let staged = with_suffix(path, ".restoring");
    let _ = std::fs::remove_file(&staged);
    key.write_new_file(&staged)?;
    Ok(staged)
}

/// Renames `staged` to `target`, moving an existing `target` (and its companion files named
/// by `companions`, such as a database's WAL, which may hold committed pages) aside as
/// `*.replaced-<stamp>`; answers where it went.
fn swap_in(
    staged: &Path,
    target: &Path,
    stamp: &str,
    companions: &[&str],
) -> anyhow::Result<Option<PathBuf>> {
    let mut replaced = None;
    if target.exists() {
        let aside = with_suffix(target, &format!(".replaced-{stamp}"));
        for suffix in companions {
            let file = with_suffix(target, suffix);
            if file.exists() {
                std::fs::rename(&file, with_suffix(&aside, suffix))
                    .with_context(|| format!("moving {} aside", file.display()))?;
            }
        }
        std::fs::rename(target, &aside)
            .with_context(|| format!("moving {} aside", target.display()))?;
        replaced = Some(aside);
    }
    std::fs::rename(staged, target)
        .with_context(|| format!("renaming {} to {}", staged.display(), target.display()))?;
    sync(target)?;
    Ok(replaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSPHRASE: &str = "a passphrase for the safe";

    /// Restores `backup` with its passphrase over the database `target` and the key file
    /// `key_file`.
    fn restore_files(
        backup: &Path,
        target: &Path,
        key_file: &Path,
        replace: bool,
    ) -> anyhow::Result<(Manifest, MasterKey, Restored)> {
        restore(
            backup,
            PASSPHRASE,
            Some(target),
            &KeyPlace::File(key_file),
            replace,
        )
    }

    fn gmac_like_database(path: &Path) -> Connection {
        let db = Connection::open(path).unwrap_or_else(|e| panic!("{e}"));
        db.execute_batch(
            "PRAGMA journal_mode = WAL; \
             CREATE TABLE seaql_migrations (version TEXT PRIMARY KEY, applied_at BIGINT); \
             INSERT INTO seaql_migrations VALUES ('m20261121_000001_identity', 0); \
             CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        db
    }

    fn count(path: &Path) -> i64 {
        let db = Connection::open(path).unwrap_or_else(|e| panic!("{e}"));
        db.query_row("SELECT count(*) FROM notes", [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_snapshot_is_one_committed_state_and_restores_with_its_key() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let source = dir.path().join("gmac.db");
        let live = gmac_like_database(&source);
        live.execute("INSERT INTO notes (body) VALUES ('kept')", [])
            .unwrap_or_else(|e| panic!("{e}"));
        // A transaction open (uncommitted) on the live database is not in the snapshot.
        live.execute_batch("BEGIN; INSERT INTO notes (body) VALUES ('not yet');")
            .unwrap_or_else(|e| panic!("{e}"));
        let key = MasterKey::generate();
        let out = dir.path().join("backup.db");
        back_up_sqlite(&source, &out, &key, PASSPHRASE, "test").unwrap_or_else(|e| panic!("{e}"));
        live.execute_batch("COMMIT;")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!with_suffix(&out, ".partial").exists());
        // Never over an existing file.
        assert!(back_up_sqlite(&source, &out, &key, PASSPHRASE, "test").is_err());

        let target = dir.path().join("restored/gmac.db");
        let key_file = dir.path().join("restored/master.key");
        let (manifest, opened, done) =
            restore_files(&out, &target, &key_file, false).unwrap_or_else(|e| panic!("{e}"));
        assert!(manifest.has_database);
        assert!(opened.same_as(&key));
        assert!(done.key_written);
        assert_eq!(count(&target), 1);
        // The backup's own table is gone from the restored database.
        let restored = Connection::open(&target).unwrap_or_else(|e| panic!("{e}"));
        let leftovers: i64 = restored
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'gmac_backup'",
                [],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(leftovers, 0);
    }

    #[test]
    fn restore_checks_everything_before_it_changes_anything() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let source = dir.path().join("gmac.db");
        drop(gmac_like_database(&source));
        let key = MasterKey::generate();
        let out = dir.path().join("backup.db");
        back_up_sqlite(&source, &out, &key, PASSPHRASE, "test").unwrap_or_else(|e| panic!("{e}"));

        // Over an existing database and another key: refused without replace, both untouched.
        let other = MasterKey::generate();
        let key_file = dir.path().join("master.key");
        other
            .write_new_file(&key_file)
            .unwrap_or_else(|e| panic!("{e}"));
        let live = Connection::open(&source).unwrap_or_else(|e| panic!("{e}"));
        live.execute("INSERT INTO notes (body) VALUES ('newer')", [])
            .unwrap_or_else(|e| panic!("{e}"));
        drop(live);
        let refused = restore_files(&out, &source, &key_file, false);
        assert!(refused.is_err());
        assert_eq!(count(&source), 1);
        // Nor while gmac has the database open.
        let serving = Connection::open(&source).unwrap_or_else(|e| panic!("{e}"));
        let _: i64 = serving
            .query_row("SELECT count(*) FROM notes", [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{e}"));
        let busy = restore_files(&out, &source, &key_file, true)
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(busy.contains("is in use"), "{busy}");
        drop(serving);
        assert_eq!(count(&source), 1);
        // A wrong passphrase changes nothing either, even with replace.
        let wrong = restore(
            &out,
            "not the passphrase at all",
            Some(&source),
            &KeyPlace::File(&key_file),
            true,
        );
        assert!(wrong.is_err());
        assert_eq!(count(&source), 1);
        // A configured key that is not the backup's is refused.
        assert!(
            restore(
                &out,
                PASSPHRASE,
                Some(&source),
                &KeyPlace::Configured(&other),
                true
            )
            .is_err()
        );
        assert_eq!(count(&source), 1);

        // With replace: restored, and what it replaced kept beside it.
        let (_, _, done) =
            restore_files(&out, &source, &key_file, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(count(&source), 0);
        let aside = done.replaced_database.unwrap_or_default();
        assert_eq!(count(&aside), 1);
        let old_key = done.replaced_key.unwrap_or_default();
        let (kept, _) = MasterKey::load_or_create(&old_key).unwrap_or_else(|e| panic!("{e}"));
        assert!(kept.same_as(&other));
        let (now_key, _) = MasterKey::load_or_create(&key_file).unwrap_or_else(|e| panic!("{e}"));
        assert!(now_key.same_as(&key));
    }

    #[test]
    fn files_that_are_not_gmac_backups_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let plain = dir.path().join("plain.db");
        drop(gmac_like_database(&plain));
        let err = read_manifest(&plain).err().map(|e| format!("{e:#}"));
        assert!(err.unwrap_or_default().contains("is not a gmac backup"));
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "hello").unwrap_or_else(|e| panic!("{e}"));
        assert!(read_manifest(&text).is_err());
    }

    #[test]
    fn a_snapshot_from_a_newer_gmac_is_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let source = dir.path().join("gmac.db");
        let db = gmac_like_database(&source);
        db.execute(
            "INSERT INTO seaql_migrations VALUES ('m20991231_000099_future', 0)",
            [],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        drop(db);
        let key = MasterKey::generate();
        let out = dir.path().join("backup.db");
        back_up_sqlite(&source, &out, &key, PASSPHRASE, "test").unwrap_or_else(|e| panic!("{e}"));
        let target = dir.path().join("elsewhere.db");
        let err = restore_files(&out, &target, &dir.path().join("k"), false)
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("newer gmac"), "{err}");
        assert!(!target.exists());
    }
}
