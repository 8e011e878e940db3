//! PDF documents: monthly invoices and cost reports, with Helvetica (one of the 14 fonts every PDF reader has),
//! so nothing is embedded and the file stays a few kilobytes.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

/// A4, in points.
const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const LINES_PER_PAGE: usize = 38;

/// Text as `WinAnsiEncoding` bytes: Latin-1 characters as themselves, the euro sign, dashes,
/// quotes and the ellipsis at their code points, anything else as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '–' => 0x96,
            '—' => 0x97,
            _ => u8::try_from(u32::from(c)).unwrap_or(b'?'),
        })
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
    let money = |amount: rust_decimal::Decimal| {
        format!("{} {}", crate::money::cents(amount), invoice.currency)
    };
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
    let pages: Vec<Page> = page_lines(invoice)
        .into_iter()
        .map(|lines| Page {
            lines,
            bars: Vec::new(),
        })
        .collect();
    render(&format!("Invoice {}", invoice.number), &pages)
}

/// A filled rectangle (a chart's bar).
struct Bar {
    x: f32,
    y: f32,
    width: f32,
    height: f32,
}

/// What one page shows.
#[derive(Default)]
struct Page {
    lines: Vec<Line>,
    bars: Vec<Bar>,
}

/// Lays text out top to bottom, starting a new page when one is full.
struct Flow {
    pages: Vec<Page>,
    y: f32,
}

impl Flow {
    fn new() -> Self {
        Self {
            pages: vec![Page::default()],
            y: HEIGHT - MARGIN,
        }
    }

    /// Makes room for `height` points, on a new page if this one lacks it.
    fn room(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.pages.push(Page::default());
            self.y = HEIGHT - MARGIN;
        }
    }

    fn page(&mut self) -> &mut Page {
        self.pages.last_mut().unwrap_or_else(|| unreachable!())
    }

    /// Writes a row of cells at the given x offsets, then moves down by `advance`.
    fn row(&mut self, cells: &[(f32, &str)], size: f32, bold: bool, advance: f32) {
        self.room(advance);
        let y = self.y;
        for (x, text) in cells {
            self.page().lines.push(Line {
                x: *x,
                y,
                size,
                bold,
                text: (*text).to_owned(),
            });
        }
        self.y -= advance;
    }

    /// Numbers the pages and hands them over.
    fn finish(mut self) -> Vec<Page> {
        let count = self.pages.len();
        for (index, page) in self.pages.iter_mut().enumerate() {
            page.lines.push(Line {
                x: WIDTH - MARGIN - 60.0,
                y: MARGIN - 20.0,
                size: 8.0,
                bold: false,
                text: format!("Page {} of {count}", index + 1),
            });
        }
        self.pages
    }
}

/// Shortens text to `max` characters.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        text.chars().take(max - 1).collect::<String>() + "…"
    } else {
        text.to_owned()
    }
}

/// A change in percent, signed, or an en dash when there is nothing to compare with.
fn change(percent: Option<rust_decimal::Decimal>) -> String {
    percent.map_or_else(
        || "–".to_owned(),
        |p| {
            let p = p.round_dp(1);
            if p.is_sign_positive() && !p.is_zero() {
                format!("+{p}%")
            } else {
                format!("{p}%")
            }
        },
    )
}

/// A bar per day of the month, scaled to the dearest day.
fn daily_chart(
    flow: &mut Flow,
    days: &[gmac_types::DayAmount],
    money: &dyn Fn(rust_decimal::Decimal) -> String,
) {
    use rust_decimal::Decimal;
    let chart_height = 110.0;
    flow.row(&[(MARGIN, "Daily billed cost")], 11.0, true, 14.0);
    flow.room(chart_height + 10.0);
    let max = days.iter().map(|d| d.amount).max().unwrap_or_default();
    let slot = (WIDTH - 2.0 * MARGIN) / 31.0;
    let base = flow.y - chart_height;
    for d in days {
        if max <= Decimal::ZERO || d.amount <= Decimal::ZERO {
            continue;
        }
        let ratio = rust_decimal::prelude::ToPrimitive::to_f32(&(d.amount / max)).unwrap_or(0.0);
        let index = f32::from(u8::try_from(chrono::Datelike::day0(&d.day)).unwrap_or(0));
        flow.page().bars.push(Bar {
            x: MARGIN + index * slot + 1.0,
            y: base,
            width: slot - 2.0,
            height: (chart_height - 4.0) * ratio,
        });
    }
    flow.y = base;
    let top = format!("max {}", money(max));
    flow.row(
        &[(MARGIN, "day 1"), (WIDTH - MARGIN - 110.0, &top)],
        7.0,
        false,
        24.0,
    );
}

/// Renders a monthly cost report: the totals, a bar chart of the days, the services and the
/// breakdown by member or team, each against the month before.
pub fn report_pdf(report: &gmac_types::MonthlyReport) -> Vec<u8> {
    let money = |amount: rust_decimal::Decimal| {
        format!("{} {}", crate::money::cents(amount), report.currency)
    };
    let (c1, c2, c3) = (
        WIDTH - MARGIN - 250.0,
        WIDTH - MARGIN - 140.0,
        WIDTH - MARGIN - 40.0,
    );
    let mut flow = Flow::new();
    flow.row(&[(MARGIN, "Monthly cost report")], 20.0, true, 28.0);
    flow.row(&[(MARGIN, &report.name)], 13.0, true, 18.0);
    flow.row(
        &[(MARGIN, &format!("Period: {}", report.period))],
        11.0,
        false,
        26.0,
    );
    let summary = [
        ("Billed cost", money(report.total)),
        ("Effective cost", money(report.effective_total)),
        ("Previous month (billed)", money(report.previous_total)),
        ("Change", change(report.change_percent)),
    ];
    for (label, value) in &summary {
        flow.row(&[(MARGIN, label), (c1, value)], 11.0, false, 16.0);
    }
    flow.y -= 14.0;
    if !report.days.is_empty() {
        daily_chart(&mut flow, &report.days, &money);
    }
    let sections = [
        ("Service", &report.services),
        (
            match report.subject.as_ref().map(|s| s.kind) {
                Some(gmac_types::SubjectKind::Team) => "Member",
                _ => "Team",
            },
            &report.breakdown,
        ),
    ];
    for (heading, lines) in sections {
        if lines.is_empty() {
            continue;
        }
        flow.room(60.0);
        flow.row(
            &[
                (MARGIN, heading),
                (c1, "This month"),
                (c2, "Last month"),
                (c3, "Change"),
            ],
            10.0,
            true,
            16.0,
        );
        for line in lines {
            flow.row(
                &[
                    (MARGIN, &clip(&line.label, 40)),
                    (c1, &money(line.amount)),
                    (c2, &money(line.previous)),
                    (c3, &change(line.change_percent)),
                ],
                9.5,
                false,
                14.0,
            );
        }
        flow.y -= 14.0;
    }
    flow.row(
        &[(
            MARGIN,
            "Allocated FOCUS BilledCost, from gmac. Amounts are rounded to cents; totals are exact.",
        )],
        8.0,
        false,
        12.0,
    );
    render(
        &format!("Cost report {} {}", report.name, report.period),
        &flow.finish(),
    )
}

/// Writes pages of text and bars into a PDF with the two Helvetica faces.
fn render(title: &str, pages: &[Page]) -> Vec<u8> {
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
        .title(pdf_writer::TextStr(title))
        .producer(pdf_writer::TextStr("gmac"));
    for (page_content, id) in pages.iter().zip(&page_ids) {
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
        if !page_content.bars.is_empty() {
            // gmac's accent blue.
            content.set_fill_rgb(0.15, 0.39, 0.92);
            for bar in &page_content.bars {
                content.rect(bar.x, bar.y, bar.width, bar.height);
            }
            content.fill_nonzero();
            content.set_fill_rgb(0.0, 0.0, 0.0);
        }
        for line in &page_content.lines {
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
    #[test]
    fn a_report_is_a_pdf_with_its_totals_services_and_a_bar_per_day() {
        let line = |label: &str, amount: i64, previous: i64| gmac_types::ReportLine {
            key: label.to_owned(),
            label: label.to_owned(),
            amount: Decimal::new(amount, 2),
            previous: Decimal::new(previous, 2),
            change_percent: None,
        };
        let report = gmac_types::MonthlyReport {
            subject: None,
            name: "Platform — team".into(),
            period: "2024-09".into(),
            currency: "EUR".into(),
            total: Decimal::new(30000, 2),
            effective_total: Decimal::new(25000, 2),
            previous_total: Decimal::new(20000, 2),
            change_percent: Some(Decimal::new(500, 1)),
            services: vec![
                line("Amazon EC2", 20000, 15000),
                line("Amazon S3", 10000, 5000),
            ],
            breakdown: vec![line("Platform", 30000, 20000)],
            days: (1..=3)
                .map(|d| gmac_types::DayAmount {
                    day: chrono::NaiveDate::from_ymd_opt(2024, 9, d).unwrap(),
                    amount: Decimal::new(10000, 2),
                })
                .collect(),
        };
        let bytes = report_pdf(&report);
        let text = String::from_utf8_lossy(&bytes);
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(text.contains("(300.00 EUR)"));
        assert!(text.contains("(+50.0%)"));
        assert!(text.contains("(Amazon S3)"));
        assert_eq!(
            text.lines().filter(|l| l.ends_with(" re")).count(),
            3,
            "one bar per day with costs"
        );
        assert!(
            text.to_uppercase()
                .contains(&hex::encode_upper(win_ansi("Platform — team"))),
            "the em dash is WinAnsi 0x97, not a question mark"
        );
        assert!(win_ansi("—").eq(&[0x97]));
    }
}
