//! Uploaded cost files, spooled to disk under the import limits.
//!
//! A plain CSV body is checked and hashed as it streams in; a gzip'd one is decompressed after
//! the upload, off the async threads. Either way a file that breaks a limit is refused as soon
//! as the limit is passed: one that inflates past its size or ratio bound (413), or has a row
//! or field longer than allowed (422), never fills the disk or the memory first.
//!
//! Spooled files live in `<data_dir>/spool`, named after the run of gmac that wrote them, which
//! holds a lock on its own lock file there while it runs. A file is deleted when its import
//! ends, however it ends; the files of a run whose lock is free (a gmac that was killed, in this
//! container or an earlier one) are deleted when gmac next starts.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use gmac_core::ImportLimits;
use gmac_types::ErrorCode;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

const PREFIX: &str = "gmac-spool-";
const LOCK_PREFIX: &str = "gmac-run-";

/// Only past this much inflated data is the compression ratio judged: tiny files of repeated
/// rows compress very well without being bombs.
const RATIO_GRACE_BYTES: u64 = 16 << 20;

/// The spool directory of this run: where uploads go, and the lock that says the run is alive.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    run: String,
    _lock: std::fs::File,
}

/// Where uploads are spooled.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("spool")
}

impl Spool {
    /// Creates the directory, takes this run's lock, and deletes what runs that are gone left
    /// behind. Answers the spool and how many files it deleted.
    pub fn prepare(dir: &Path) -> std::io::Result<(Self, u64)> {
        std::fs::create_dir_all(dir)?;
        let run = hex::encode(rand::random::<[u8; 8]>());
        let lock = std::fs::File::create(dir.join(format!("{LOCK_PREFIX}{run}.lock")))?;
        lock.lock()?;
        let mut alive = std::collections::HashSet::new();
        let mut removed = 0;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(other) = name
                .strip_prefix(LOCK_PREFIX)
                .and_then(|n| n.strip_suffix(".lock"))
            else {
                continue;
            };
            if other == run {
                continue;
            }
            let held = std::fs::File::open(entry.path()).map(|f| f.try_lock().is_err())?;
            if held {
                alive.insert(other.to_owned());
            } else {
                std::fs::remove_file(entry.path())?;
            }
        }
        alive.insert(run.clone());
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix(PREFIX) else {
                continue;
            };
            let owner = rest.split('-').next().unwrap_or_default();
            if !alive.contains(owner) {
                std::fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok((
            Self {
                dir: dir.to_owned(),
                run,
                _lock: lock,
            },
            removed,
        ))
    }

    fn new_file(&self) -> Result<tempfile::NamedTempFile, ApiError> {
        Ok(tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{}-", self.run))
            .tempfile_in(&self.dir)
            .map_err(anyhow::Error::from)?)
    }
}

fn too_large(limits: &ImportLimits) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge).detail(format!(
        "A cost file may be at most {} MiB once decompressed.",
        limits.max_inflated_bytes >> 20
    ))
}

/// Checks rows as bytes go by, with the same CSV state machine the importer reads with (a
/// quote opens a field only at its start; CR, LF and CRLF end rows), so that no row the importer
/// will hold in memory is longer than the limit.
struct RowScan {
    reader: csv_core::Reader,
    scratch: Vec<u8>,
    ends: Vec<usize>,
    max_row: u64,
    row_bytes: u64,
    /// The line the current row starts on, from 1.
    row_start: u64,
}

impl std::fmt::Debug for RowScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowScan")
            .field("row_bytes", &self.row_bytes)
            .field("row_start", &self.row_start)
            .finish_non_exhaustive()
    }
}

impl RowScan {
    fn new(limits: &ImportLimits) -> Self {
        Self {
            reader: csv_core::Reader::new(),
            scratch: vec![0; 8 << 10],
            ends: vec![0; 256],
            max_row: u64::from(limits.max_line_bytes),
            row_bytes: 0,
            row_start: 1,
        }
    }

    fn feed(&mut self, mut bytes: &[u8]) -> Result<(), ApiError> {
        use csv_core::ReadRecordResult as R;
        while !bytes.is_empty() {
            // The fields' bytes go to a scratch buffer that is overwritten: only the sizes
            // matter here.
            let (result, read, _, _) =
                self.reader
                    .read_record(bytes, &mut self.scratch, &mut self.ends);
            bytes = &bytes[read..];
            self.row_bytes += read as u64;
            if self.row_bytes > self.max_row {
                return Err(
                    gmac_core::Error::Validation(vec![gmac_types::FieldError::new(
                        "file",
                        "row_too_long",
                        format!(
                            "The row starting on line {} is longer than {} bytes.",
                            self.row_start, self.max_row
                        ),
                    )])
                    .into(),
                );
            }
            match result {
                R::Record => {
                    self.row_bytes = 0;
                    self.row_start = self.reader.line();
                }
                R::End => break,
                R::InputEmpty | R::OutputFull | R::OutputEndsFull => {}
            }
        }
        Ok(())
    }
}

/// Streams a body to the spool, returning the path of the plain CSV and its SHA-256.
pub async fn spool<S, E>(
    spool: &Spool,
    limits: ImportLimits,
    mut payload: S,
) -> Result<(tempfile::TempPath, String), ApiError>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let (file, path) = spool.new_file()?.into_parts();
    let mut file = tokio::fs::File::from_std(file);
    let mut written = 0u64;
    // Known from the first two bytes: gzip'd bodies are checked once decompressed.
    let mut plain: Option<(RowScan, Sha256)> = None;
    // The first two bytes, which may come in two chunks, tell gzip from plain text.
    let mut head: Vec<u8> = Vec::with_capacity(2);
    let mut first = true;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(ErrorCode::BadRequest).detail(format!("The upload broke off: {e}"))
        })?;
        if first {
            head.extend(chunk.iter().take(2 - head.len()));
            if head.len() == 2 {
                first = false;
                if head != [0x1f, 0x8b] {
                    let mut scan = (RowScan::new(&limits), Sha256::new());
                    // What came before this chunk (at most one byte) is checked with it.
                    let seen = usize::try_from(written).unwrap_or(0);
                    scan.0.feed(&head[..seen])?;
                    scan.1.update(&head[..seen]);
                    plain = Some(scan);
                }
            }
        }
        written += chunk.len() as u64;
        if written > limits.max_inflated_bytes {
            return Err(too_large(&limits));
        }
        if let Some((scan, hasher)) = &mut plain {
            scan.feed(&chunk)?;
            hasher.update(&chunk);
        }
        tokio::io::AsyncWriteExt::write_all(&mut file, &chunk)
            .await
            .map_err(anyhow::Error::from)?;
    }
    tokio::io::AsyncWriteExt::flush(&mut file)
        .await
        .map_err(anyhow::Error::from)?;
    drop(file);
    match plain {
        Some((_, hasher)) => Ok((path, hex::encode(hasher.finalize()))),
        // Empty, or one byte: plain text too short to be gzip.
        None if first => Ok((path, hex::encode(Sha256::digest(&head)))),
        None => {
            let plain = spool.new_file()?;
            tokio::task::spawn_blocking(move || inflate(plain, &limits, &path))
                .await
                .map_err(anyhow::Error::from)?
        }
    }
}

/// Decompresses a gzip'd spool file into a new one under the limits.
fn inflate(
    plain: tempfile::NamedTempFile,
    limits: &ImportLimits,
    raw: &Path,
) -> Result<(tempfile::TempPath, String), ApiError> {
    let source = std::fs::File::open(raw).map_err(anyhow::Error::from)?;
    let mut decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(source));
    let (out, plain_path) = plain.into_parts();
    let mut out = std::io::BufWriter::new(out);
    let mut scan = RowScan::new(limits);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = decoder.read(&mut buf).map_err(|e| {
            ApiError::new(ErrorCode::BadRequest).detail(format!(
                "The body looks gzip'd but cannot be decompressed: {e}"
            ))
        })?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > limits.max_inflated_bytes {
            return Err(too_large(limits));
        }
        if total > RATIO_GRACE_BYTES {
            let compressed = decoder
                .get_mut()
                .get_mut()
                .stream_position()
                .map_err(anyhow::Error::from)?
                .max(1);
            if total / compressed > u64::from(limits.max_compression_ratio) {
                return Err(ApiError::new(ErrorCode::PayloadTooLarge).detail(format!(
                    "The file grows more than {}× when decompressed; real cost exports do not.",
                    limits.max_compression_ratio
                )));
            }
        }
        scan.feed(&buf[..n])?;
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(anyhow::Error::from)?;
    }
    out.flush().map_err(anyhow::Error::from)?;
    Ok((plain_path, hex::encode(hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(limit: u32, text: &str) -> Result<(), ApiError> {
        let limits = ImportLimits {
            max_line_bytes: limit,
            ..ImportLimits::default()
        };
        let mut scan = RowScan::new(&limits);
        // In two pieces, so a row may span chunks.
        let (a, b) = text.split_at(text.len() / 2);
        scan.feed(a.as_bytes())?;
        scan.feed(b.as_bytes())
    }

    #[test]
    fn rows_are_bounded_across_chunks_and_quoted_newlines_stay_in_their_row() {
        assert!(scan(10, "a,b\nccccc,d\n").is_ok());
        assert!(scan(10, "a,b\ncccccccccccc\n").is_err());
        // A quoted newline does not end the row: one row of 16 bytes.
        assert!(scan(10, "\"ab\ncd\",\"ef\ngh\"\n").is_err());
        assert!(scan(20, "\"ab\ncd\",\"ef\ngh\"\n").is_ok());
    }

    #[test]
    fn a_quote_inside_a_field_is_text_not_the_start_of_a_quoted_field() {
        // `27" monitor` opens nothing: the rows stay short.
        assert!(scan(20, "a,27\" monitor\nb,c\nd,e\nf,g\n").is_ok());
        // But a quote at a field's start does, and a long quoted field is one long row, even
        // when a stray quote earlier tried to hide it.
        let hidden = format!("a\"b,\"{}\"\n", "x\n".repeat(20));
        assert!(scan(20, &hidden).is_err());
    }

    #[test]
    fn bare_carriage_returns_end_rows_as_the_importer_reads_them() {
        assert!(scan(10, "a,b\rccccc,d\re,f\r").is_ok());
    }
}
