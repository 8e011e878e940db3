//! What a PDF says, read by a real PDF reader: poppler's `pdftotext` (Debian's
//! `poppler-utils`, which `cargo xtask test` installs), the way a person's viewer would
//! extract it, with the layout kept so columns can be checked.

use std::io::Write;
use std::process::{Command, Stdio};

/// The text of `pdf`, laid out as on the page (`pdftotext -layout`).
pub fn pdf_text(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pdftotext (apt-get install poppler-utils; cargo xtask test installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(pdf)
        .expect("the PDF reaches pdftotext");
    let out = child.wait_with_output().expect("pdftotext finishes");
    assert!(
        out.status.success(),
        "pdftotext could not read the PDF: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

/// The fonts `pdf` uses, as `pdffonts` lists them (name, type, embedded, subset).
pub fn pdf_fonts(pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("gmac-fonts-{}.pdf", std::process::id()));
    std::fs::write(&path, pdf).expect("a temporary file");
    let out = Command::new("pdffonts")
        .arg(&path)
        .output()
        .expect("pdffonts (poppler-utils)");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "pdffonts could not read the PDF");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A word on a page and its box, in points from the top left (`pdftotext -bbox`).
#[derive(Clone, Debug)]
pub struct Word {
    /// The page, from 1.
    pub page: usize,
    /// The word.
    pub text: String,
    /// Left edge.
    pub x_min: f64,
    /// Top edge.
    pub y_min: f64,
    /// Right edge.
    pub x_max: f64,
    /// Bottom edge.
    pub y_max: f64,
}

/// Every word of `pdf` with its box, in reading order.
pub fn pdf_words(pdf: &[u8]) -> Vec<Word> {
    let path = std::env::temp_dir().join(format!(
        "gmac-words-{}-{}.pdf",
        std::process::id(),
        pdf.len()
    ));
    std::fs::write(&path, pdf).expect("a temporary file");
    let out = Command::new("pdftotext")
        .args(["-bbox", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "pdftotext -bbox could not read the PDF"
    );
    let html = String::from_utf8(out.stdout).expect("UTF-8");
    let mut words = Vec::new();
    let mut page = 0;
    for line in html.lines() {
        let line = line.trim();
        if line.starts_with("<page ") {
            page += 1;
        }
        let Some(rest) = line.strip_prefix("<word ") else {
            continue;
        };
        let attr = |name: &str| -> f64 {
            let start = rest.find(&format!("{name}=\"")).expect("an attribute") + name.len() + 2;
            let end = start + rest[start..].find('"').expect("a closing quote");
            rest[start..end].parse().expect("a number")
        };
        let text = rest
            .split_once('>')
            .and_then(|(_, t)| t.strip_suffix("</word>"))
            .unwrap_or_default()
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"");
        words.push(Word {
            page,
            text,
            x_min: attr("xMin"),
            y_min: attr("yMin"),
            x_max: attr("xMax"),
            y_max: attr("yMax"),
        });
    }
    words
}
