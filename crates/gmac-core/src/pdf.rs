//! PDF documents: monthly invoices, with Helvetica (one of the 14 fonts every PDF reader has),
//! so nothing is embedded and the file stays a few kilobytes.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

/// A4, in points.
const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const LINES_PER_PAGE: usize = 38;

/// Text as `WinAnsiEncoding` bytes: Latin-1 characters as themselves, anything else as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// One line of text on a page.
struct Line {
    x: f32,
    y: f32,
    size: f32,
    bold: bool,
    text: String,
}

fn page_lines(invoice: &gmac_types::Invoice) -> Vec<Vec<Line>> {
    let money =
        |amount: rust_decimal::Decimal| format!("{} {}", amount.round_dp(2), invoice.currency);
    let mut pages = Vec::new();
    let chunks: Vec<&[gmac_types::InvoiceLine]> = if invoice.lines.is_empty() {
        vec![&[]]
    } else {
        invoice.lines.chunks(LINES_PER_PAGE).collect()
    };
    let count = chunks.len();
    for (index, chunk) in chunks.into_iter().enumerate() {
        let mut lines = Vec::new();
        let mut y = HEIGHT - MARGIN;
        let mut put = |x: f32, y: f32, size: f32, bold: bool, text: String| {
            lines.push(Line {
                x,
                y,
                size,
                bold,
                text,
            });
        };
        put(MARGIN, y, 20.0, true, "Invoice".to_owned());
        put(
            WIDTH - MARGIN - 200.0,
            y,
            10.0,
            false,
            invoice.number.clone(),
        );
        y -= 28.0;
        put(
            MARGIN,
            y,
            11.0,
            false,
            format!("Billed to: {}", invoice.user_name),
        );
        y -= 16.0;
        put(
            MARGIN,
            y,
            11.0,
            false,
            format!("Period: {}", invoice.period),
        );
        y -= 30.0;
        put(MARGIN, y, 10.0, true, "Service".to_owned());
        put(WIDTH - MARGIN - 120.0, y, 10.0, true, "Amount".to_owned());
        y -= 18.0;
        for line in chunk {
            let mut description = line.description.clone();
            if description.chars().count() > 70 {
                description = description.chars().take(69).collect::<String>() + "…";
            }
            put(MARGIN, y, 10.0, false, description);
            put(WIDTH - MARGIN - 120.0, y, 10.0, false, money(line.amount));
            y -= 16.0;
        }
        if index + 1 == count {
            y -= 10.0;
            put(MARGIN, y, 12.0, true, "Total".to_owned());
            put(WIDTH - MARGIN - 120.0, y, 12.0, true, money(invoice.total));
            y -= 30.0;
            put(
                MARGIN,
                y,
                8.0,
                false,
                "Allocated billed cost (FOCUS BilledCost) by service, from gmac.".to_owned(),
            );
        }
        put(
            WIDTH - MARGIN - 60.0,
            MARGIN - 20.0,
            8.0,
            false,
            format!("Page {} of {count}", index + 1),
        );
        pages.push(lines);
    }
    pages
}

/// Renders an invoice.
pub fn invoice_pdf(invoice: &gmac_types::Invoice) -> Vec<u8> {
    let pages = page_lines(invoice);
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first_page = 6;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(first_page + 2 * i32::try_from(i).unwrap_or(0)))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(i32::try_from(page_ids.len()).unwrap_or(1));
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info)
        .title(pdf_writer::TextStr(&format!("Invoice {}", invoice.number)))
        .producer(pdf_writer::TextStr("gmac"));
    for (lines, id) in pages.iter().zip(&page_ids) {
        let contents = Ref::new(id.get() + 1);
        let mut page = pdf.page(*id);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        page.parent(tree);
        page.contents(contents);
        page.resources()
            .fonts()
            .pair(Name(b"F1"), regular)
            .pair(Name(b"F2"), bold);
        page.finish();
        let mut content = Content::new();
        for line in lines {
            let bytes = win_ansi(&line.text);
            content
                .begin_text()
                .set_font(Name(if line.bold { b"F2" } else { b"F1" }), line.size)
                .next_line(line.x, line.y)
                .show(Str(&bytes))
                .end_text();
        }
        pdf.stream(contents, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    #[test]
    fn an_invoice_is_a_pdf_with_its_lines_and_total_and_long_ones_get_more_pages() {
        let lines: Vec<gmac_types::InvoiceLine> = (0..50)
            .map(|i| gmac_types::InvoiceLine {
                description: format!("Service {i}"),
                amount: Decimal::new(1050, 2),
            })
            .collect();
        let invoice = gmac_types::Invoice {
            number: "INV-2024-09-ABC".into(),
            user_id: "u".into(),
            user_name: "Zoë Müller".into(),
            period: "2024-09".into(),
            currency: "USD".into(),
            total: Decimal::new(52500, 2),
            lines,
        };
        let bytes = invoice_pdf(&invoice);
        let text = String::from_utf8_lossy(&bytes);
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(text.contains("(INV-2024-09-ABC)"));
        assert!(text.contains("(525.00 USD)"));
        assert!(text.contains("(Service 49)"));
        assert!(text.contains("/Count 2"), "50 lines take two pages");
        // Latin-1 names are written as `WinAnsiEncoding` bytes, not replaced.
        let name = hex::encode_upper(win_ansi("Billed to: Zoë Müller"));
        assert!(
            text.to_uppercase().contains(&name),
            "non-ASCII text is written as a hex string of WinAnsi bytes"
        );
    }
}
