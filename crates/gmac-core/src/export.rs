//! CSV exports that are safe to open in a spreadsheet.

/// Neutralizes a cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage
/// return at the start) by prefixing an apostrophe, as OWASP recommends.
pub fn safe_cell(value: &str) -> std::borrow::Cow<'_, str> {
    if is_plain_number(value) {
        // `-12.50` (a credit) is data, not a formula; keep it a number.
        return std::borrow::Cow::Borrowed(value);
    }
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{value}")),
        _ => std::borrow::Cow::Borrowed(value),
    }
}

/// `-?digits[.digits]`: nothing a spreadsheet could run.
fn is_plain_number(value: &str) -> bool {
    let digits = value.strip_prefix('-').unwrap_or(value);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// Writes a header and rows as CSV, every cell made safe.
pub fn to_csv(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(row.iter().map(|cell| safe_cell(cell).into_owned()))?;
    }
    writer
        .into_inner()
        .map_err(|e| anyhow::anyhow!("finishing the CSV: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_a_spreadsheet_would_evaluate_are_neutralized() {
        for evil in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tcmd",
            "\rcmd",
        ] {
            assert!(safe_cell(evil).starts_with('\''), "{evil:?}");
        }
        assert_eq!(safe_cell("alpha"), "alpha");
        assert_eq!(safe_cell("-25.0000000000"), "-25.0000000000");
        assert_eq!(safe_cell("-3"), "-3");
        assert!(safe_cell("-3.").starts_with('\''));
        assert!(safe_cell("-1.5e3").starts_with('\''));
        assert_eq!(safe_cell(""), "");
    }

    #[test]
    fn csv_quotes_what_needs_quoting() -> anyhow::Result<()> {
        let out = to_csv(&["a", "b"], [vec!["x,y".to_owned(), "=1+1".to_owned()]])?;
        assert_eq!(String::from_utf8(out)?, "a,b\n\"x,y\",'=1+1\n");
        Ok(())
    }
}
