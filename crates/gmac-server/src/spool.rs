//! Uploaded cost files, spooled to disk under the import limits.
//!
//! A plain CSV body is checked and hashed as it streams in; a gzip'd one is decompressed after
//! the upload, off the async threads. Either way a file that breaks a limit is refused as soon
//! as the limit is passed: one that inflates past its size or ratio bound (413), or has a row
//! or field longer than allowed (422), never fills the disk or the memory first.
//!
//! Spooled files live in `<data_dir>/spool`, named after the process that wrote them; a file
//! is deleted when its import ends, however it ends, and the spool files of a process that was
//! killed are deleted when gmac next starts.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use gmac_core::ImportLimits;
use gmac_types::ErrorCode;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

const PREFIX: &str = "gmac-spool-";

/// Only past this much inflated data is the compression ratio judged: tiny files of repeated
/// rows compress very well without being bombs.
const RATIO_GRACE_BYTES: u64 = 16 << 20;

/// Where uploads are spooled.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("spool")
}

/// Creates the spool directory and deletes what processes that are gone left in it.
pub fn prepare(dir: &Path) -> std::io::Result<u64> {
    std::fs::create_dir_all(dir)?;
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

fn new_file(dir: &Path) -> Result<tempfile::NamedTempFile, ApiError> {
    Ok(tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-", std::process::id()))
        .tempfile_in(dir)
        .map_err(anyhow::Error::from)?)
}

fn too_large(limits: &ImportLimits) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge).detail(format!(
        "A cost file may be at most {} MiB once decompressed.",
        limits.max_inflated_bytes >> 20
    ))
}

/// Checks rows as bytes go by: a row ends at a newline outside quotes.
#[derive(Debug)]
struct RowScan {
    max_row: u64,
    in_quotes: bool,
    row_bytes: u64,
    /// The physical line the current row starts on, from 1.
    row_start: u64,
    line: u64,
}

impl RowScan {
    fn new(limits: &ImportLimits) -> Self {
        Self {
            max_row: u64::from(limits.max_line_bytes),
            in_quotes: false,
            row_bytes: 0,
            row_start: 1,
            line: 1,
        }
    }

    fn feed(&mut self, mut bytes: &[u8]) -> Result<(), ApiError> {
        while !bytes.is_empty() {
            let Some(at) = memchr::memchr2(b'"', b'\n', bytes) else {
                self.grow(bytes.len())?;
                break;
            };
            self.grow(at + 1)?;
            if bytes[at] == b'"' {
                self.in_quotes = !self.in_quotes;
            } else {
                self.line += 1;
                if !self.in_quotes {
                    self.row_bytes = 0;
                    self.row_start = self.line;
                }
            }
            bytes = &bytes[at + 1..];
        }
        Ok(())
    }

    fn grow(&mut self, by: usize) -> Result<(), ApiError> {
        self.row_bytes += by as u64;
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
        Ok(())
    }
}

/// Streams a body to the spool, returning the path of the plain CSV and its SHA-256.
pub async fn spool<S, E>(
    dir: &Path,
    limits: ImportLimits,
    mut payload: S,
) -> Result<(tempfile::TempPath, String), ApiError>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let (file, path) = new_file(dir)?.into_parts();
    let mut file = tokio::fs::File::from_std(file);
    let mut written = 0u64;
    // Known from the first two bytes: gzip'd bodies are checked once decompressed.
    let mut plain: Option<(RowScan, Sha256)> = None;
    let mut first = true;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(ErrorCode::BadRequest).detail(format!("The upload broke off: {e}"))
        })?;
        if first && !chunk.is_empty() {
            first = false;
            if !chunk.starts_with(&[0x1f, 0x8b]) {
                plain = Some((RowScan::new(&limits), Sha256::new()));
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
        None if first => Ok((path, hex::encode(Sha256::new().finalize()))),
        None => {
            let dir = dir.to_owned();
            tokio::task::spawn_blocking(move || inflate(&dir, &limits, &path))
                .await
                .map_err(anyhow::Error::from)?
        }
    }
}

/// Decompresses a gzip'd spool file into a new one under the limits.
fn inflate(
    dir: &Path,
    limits: &ImportLimits,
    raw: &Path,
) -> Result<(tempfile::TempPath, String), ApiError> {
    let source = std::fs::File::open(raw).map_err(anyhow::Error::from)?;
    let mut decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(source));
    let (out, plain_path) = new_file(dir)?.into_parts();
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
        // A quoted newline does not end the row: 6 + 6 bytes is one row of 12.
        assert!(scan(10, "\"ab\ncd\",\"ef\ngh\"\n").is_err());
        assert!(scan(20, "\"ab\ncd\",\"ef\ngh\"\n").is_ok());
    }
}
