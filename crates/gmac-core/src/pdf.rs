//! PDF documents: invoices (and credit notes) and monthly cost reports. Text is `DejaVu Sans`,
//! embedded as a subset of the glyphs each document uses (see [`crate::pdf_text`]); amounts
//! have thousands separators and line up on their right edge; the report's chart has an
//! amount axis with gridlines and dated days under its bars.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::money::grouped;
use crate::pdf_text::{Glyphs, face};

/// A4, in points.
const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
/// The right edge of amounts.
const RIGHT: f32 = WIDTH - MARGIN;

/// Where a piece of text is anchored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Align {
    /// `x` is its left edge.
    Left,
    /// `x` is its right edge (amounts).
    Right,
    /// `x` is its middle (a day under its bar).
    Center,
}

/// One piece of text on a page.
struct Line {
    x: f32,
    y: f32,
    size: f32,
    bold: bool,
    text: String,
    align: Align,
}

/// A filled rectangle (a chart's bar).
struct Bar {
    x: f32,
    y: f32,
    width: f32,
    height: f32,
}

/// A straight line (an axis, a gridline, a rule under a heading); `grey` 0 is black.
struct Rule {
    from: (f32, f32),
    to: (f32, f32),
    grey: f32,
}

/// What one page shows.
#[derive(Default)]
struct Page {
    lines: Vec<Line>,
    bars: Vec<Bar>,
    rules: Vec<Rule>,
}

/// One cell of a row: where, what, and how it is anchored.
type Cell<'a> = (f32, &'a str, Align);

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
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn text(&mut self, (x, text, align): Cell<'_>, y: f32, size: f32, bold: bool) {
        self.page().lines.push(Line {
            x,
            y,
            size,
            bold,
            text: text.to_owned(),
            align,
        });
    }

    /// Writes a row of cells, then moves down by `advance`.
    fn row(&mut self, cells: &[Cell<'_>], size: f32, bold: bool, advance: f32) {
        self.room(advance);
        let y = self.y;
        for cell in cells {
            self.text(*cell, y, size, bold);
        }
        self.y -= advance;
    }

    /// A thin rule across the text column, just under the row written last.
    fn rule(&mut self) {
        let y = self.y + 10.0;
        self.page().rules.push(Rule {
            from: (MARGIN, y),
            to: (RIGHT, y),
            grey: 0.75,
        });
    }

    /// Numbers the pages and hands them over.
    fn finish(mut self, footer: &str) -> Vec<Page> {
        let count = self.pages.len();
        for (index, page) in self.pages.iter_mut().enumerate() {
            page.lines.push(Line {
                x: MARGIN,
                y: MARGIN - 24.0,
                size: 7.5,
                bold: false,
                text: footer.to_owned(),
                align: Align::Left,
            });
            page.lines.push(Line {
                x: RIGHT,
                y: MARGIN - 24.0,
                size: 7.5,
                bold: false,
                text: format!("Page {} of {count}", index + 1),
                align: Align::Right,
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
fn change(percent: Option<Decimal>) -> String {
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

/// A date for people: "5 December 2026".
fn long_date(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}

/// A `YYYY-MM` period for people: "September 2024".
fn month_name(period: &str) -> String {
    crate::services::cost_query::month_bounds(period).map_or_else(
        || period.to_owned(),
        |(first, _)| first.format("%B %Y").to_string(),
    )
}

/// Renders an invoice, a credit note, or a draft (not numbered: the month is not over or it
/// was not issued yet).
pub fn invoice_pdf(invoice: &gmac_types::Invoice) -> Vec<u8> {
    use gmac_types::InvoiceKind;
    let money = |amount: Decimal| format!("{} {}", grouped(amount), invoice.currency);
    let title = match invoice.kind {
        InvoiceKind::Invoice => "Invoice",
        InvoiceKind::CreditNote => "Credit note",
        InvoiceKind::Draft => "Draft invoice",
    };
    let mut flow = Flow::new();
    flow.text((MARGIN, title, Align::Left), flow.y, 22.0, true);
    flow.text((RIGHT, &invoice.issuer, Align::Right), flow.y, 11.0, true);
    flow.y -= 34.0;
    let issued = invoice
        .issued_at
        .map_or_else(|| "Not issued".to_owned(), long_date);
    let mut facts: Vec<(&str, String)> = vec![
        (
            "Number",
            if invoice.kind == InvoiceKind::Draft {
                "– (a draft is not numbered)".to_owned()
            } else {
                invoice.number.clone()
            },
        ),
        ("Date of issue", issued),
        ("Issued by", invoice.issuer.clone()),
        ("Billed to", invoice.user_name.clone()),
        ("Period", month_name(&invoice.period)),
    ];
    if let Some(corrects) = &invoice.corrects {
        let what = if invoice.kind == InvoiceKind::CreditNote {
            "Cancels invoice"
        } else {
            "Replaces invoice"
        };
        facts.push((what, corrects.clone()));
    }
    for (label, value) in &facts {
        flow.row(
            &[
                (MARGIN, label, Align::Left),
                (MARGIN + 110.0, &clip(value, 60), Align::Left),
            ],
            10.0,
            false,
            15.0,
        );
    }
    flow.y -= 18.0;
    flow.row(
        &[
            (MARGIN, "Service", Align::Left),
            (RIGHT, "Amount", Align::Right),
        ],
        10.0,
        true,
        16.0,
    );
    flow.rule();
    for line in &invoice.lines {
        flow.row(
            &[
                (MARGIN, &clip(&line.description, 70), Align::Left),
                (RIGHT, &money(line.amount), Align::Right),
            ],
            10.0,
            false,
            15.0,
        );
    }
    flow.y -= 4.0;
    flow.rule();
    flow.row(
        &[
            (MARGIN, "Total", Align::Left),
            (RIGHT, &money(invoice.total), Align::Right),
        ],
        12.0,
        true,
        30.0,
    );
    let note = match invoice.kind {
        InvoiceKind::Draft => {
            "A draft: the figures may still change until the month is over and the invoice is issued."
        }
        InvoiceKind::CreditNote => "This credit note cancels the invoice named above in full.",
        InvoiceKind::Invoice => "Allocated billed cost (FOCUS BilledCost) by service.",
    };
    flow.row(&[(MARGIN, note, Align::Left)], 8.5, false, 12.0);
    let footer = format!("{title} {} · {}", invoice.number, invoice.issuer);
    render(
        &format!("{title} {}", invoice.number),
        &flow.finish(&footer),
    )
}

/// The step between gridlines: the smallest 1, 2, 2.5 or 5 × 10ⁿ that lets four steps reach
/// `max`.
fn nice_step(max: Decimal) -> Decimal {
    let mut power = Decimal::new(1, 2);
    for _ in 0..30 {
        for factor in [
            Decimal::ONE,
            Decimal::TWO,
            Decimal::new(25, 1),
            Decimal::new(5, 0),
        ] {
            let step = power * factor;
            if step * Decimal::from(4) >= max {
                return step;
            }
        }
        power *= Decimal::TEN;
    }
    power
}

/// A bar per day of the month over an amount axis: four gridlines labelled with amounts on
/// the left, the days under the bars (the 1st with the month's name, then every fifth day).
fn daily_chart(flow: &mut Flow, period: &str, days: &[gmac_types::DayAmount], currency: &str) {
    use chrono::Datelike;
    let plot_height = 120.0;
    flow.row(
        &[(
            MARGIN,
            &format!("Billed cost per day ({currency})"),
            Align::Left,
        )],
        11.0,
        true,
        18.0,
    );
    flow.room(plot_height + 30.0);
    let Some((first, last)) = crate::services::cost_query::month_bounds(period) else {
        return;
    };
    let count = f32::from(u8::try_from(last.day()).unwrap_or(31));
    let max = days.iter().map(|d| d.amount).max().unwrap_or_default();
    let step = nice_step(max.max(Decimal::ZERO));
    let top = step * Decimal::from(4);
    let labels: Vec<String> = (0..=4).map(|i| grouped(step * Decimal::from(i))).collect();
    let widest = labels
        .iter()
        .map(|l| face(false).width(l, 7.5))
        .fold(0.0_f32, f32::max);
    let left = MARGIN + widest + 8.0;
    let base = flow.y - plot_height;
    let top_f = top.to_f32().unwrap_or(1.0).max(f32::MIN_POSITIVE);
    for (i, label) in labels.iter().enumerate() {
        let y = base + plot_height * f32::from(u8::try_from(i).unwrap_or(0)) / 4.0;
        flow.page().rules.push(Rule {
            from: (left, y),
            to: (RIGHT, y),
            grey: if i == 0 { 0.35 } else { 0.85 },
        });
        flow.text((left - 6.0, label, Align::Right), y - 2.5, 7.5, false);
    }
    let slot = (RIGHT - left) / count;
    for d in days {
        let index = f32::from(u8::try_from(d.day.day0()).unwrap_or(0));
        let value = d.amount.to_f32().unwrap_or(0.0).max(0.0);
        if value > 0.0 {
            flow.page().bars.push(Bar {
                x: left + index * slot + slot * 0.15,
                y: base,
                width: slot * 0.7,
                height: (plot_height * value / top_f).max(0.5),
            });
        }
    }
    let month = first.format("%b").to_string();
    for day in (1..=last.day()).filter(|d| *d == 1 || d % 5 == 0) {
        let x = left + (f32::from(u8::try_from(day).unwrap_or(1)) - 0.5) * slot;
        let label = if day == 1 {
            format!("1 {month}")
        } else {
            day.to_string()
        };
        flow.text((x, &label, Align::Center), base - 12.0, 7.5, false);
    }
    flow.y = base - 30.0;
}

/// Renders a monthly cost report: the totals, a bar chart of the days, the services and the
/// breakdown by member or team, each against the month before.
pub fn report_pdf(report: &gmac_types::MonthlyReport) -> Vec<u8> {
    let money = |amount: Decimal| grouped(amount);
    let (c1, c2, c3) = (RIGHT - 170.0, RIGHT - 70.0, RIGHT);
    let mut flow = Flow::new();
    flow.row(
        &[(MARGIN, "Monthly cost report", Align::Left)],
        20.0,
        true,
        28.0,
    );
    flow.row(&[(MARGIN, &report.name, Align::Left)], 13.0, true, 18.0);
    flow.row(
        &[(
            MARGIN,
            &format!(
                "{} · amounts in {}",
                month_name(&report.period),
                report.currency
            ),
            Align::Left,
        )],
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
        flow.row(
            &[(MARGIN, label, Align::Left), (c1, value, Align::Right)],
            11.0,
            false,
            16.0,
        );
    }
    flow.y -= 14.0;
    if !report.days.is_empty() {
        daily_chart(&mut flow, &report.period, &report.days, &report.currency);
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
                (MARGIN, heading, Align::Left),
                (c1, "This month", Align::Right),
                (c2, "Last month", Align::Right),
                (c3, "Change", Align::Right),
            ],
            10.0,
            true,
            16.0,
        );
        flow.rule();
        for line in lines {
            flow.row(
                &[
                    (MARGIN, &clip(&line.label, 40), Align::Left),
                    (c1, &money(line.amount), Align::Right),
                    (c2, &money(line.previous), Align::Right),
                    (c3, &change(line.change_percent), Align::Right),
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
            Align::Left,
        )],
        8.0,
        false,
        12.0,
    );
    let footer = format!("{} · {}", report.name, month_name(&report.period));
    render(
        &format!("Cost report {} {}", report.name, report.period),
        &flow.finish(&footer),
    )
}

/// Writes pages of text, rules and bars into a PDF with the two faces of `DejaVu Sans`.
fn render(title: &str, pages: &[Page]) -> Vec<u8> {
    let mut glyphs = Glyphs::default();
    for line in pages.iter().flat_map(|p| &p.lines) {
        glyphs.note(line.bold, &line.text);
    }
    glyphs.seal();
    let mut pdf = Pdf::new();
    let mut last = 0;
    let mut next = move || {
        last += 1;
        Ref::new(last)
    };
    let catalog = next();
    let tree = next();
    let info = next();
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (next(), next())).collect();
    let [regular, bold] = glyphs.write(&mut pdf, &mut next);
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(i32::try_from(page_ids.len()).unwrap_or(1));
    pdf.document_info(info)
        .title(pdf_writer::TextStr(title))
        .producer(pdf_writer::TextStr("gmac"));
    for (page_content, (id, contents)) in pages.iter().zip(&page_ids) {
        let mut page = pdf.page(*id);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        page.parent(tree);
        page.contents(*contents);
        page.resources()
            .fonts()
            .pair(Name(b"F1"), regular)
            .pair(Name(b"F2"), bold);
        page.finish();
        let mut content = Content::new();
        for rule in &page_content.rules {
            content
                .set_stroke_gray(rule.grey)
                .set_line_width(0.5)
                .move_to(rule.from.0, rule.from.1)
                .line_to(rule.to.0, rule.to.1)
                .stroke();
        }
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
            let width = face(line.bold).width(&line.text, line.size);
            let x = match line.align {
                Align::Left => line.x,
                Align::Right => line.x - width,
                Align::Center => line.x - width / 2.0,
            };
            let bytes = glyphs.encode(line.bold, &line.text);
            content
                .begin_text()
                .set_font(Name(if line.bold { b"F2" } else { b"F1" }), line.size)
                .next_line(x, line.y)
                .show(Str(&bytes))
                .end_text();
        }
        pdf.stream(*contents, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gridlines_fall_on_round_amounts() {
        assert_eq!(nice_step(Decimal::from(850)), Decimal::from(250));
        assert_eq!(nice_step(Decimal::from(4000)), Decimal::from(1000));
        assert_eq!(nice_step(Decimal::new(19, 1)), Decimal::new(5, 1));
    }
}
