//! What came of an import: the rows and totals it added, the lines it skipped, or why the
//! file was refused.

use gmac_types::{Client, CostImport};
use leptos::prelude::*;

use crate::components::icon::{Icon, IconName};
use crate::format::{count_label, date_label, day_label, money};
use crate::pages::costs::view::CostView;
use crate::pages::costs::{Dashboard, client_name};

/// A line of the file that could not be imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    /// The line (the header is line 1).
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl RowProblem {
    /// The problem a `422`'s field error describes, when it points at a line
    /// (`/lines/17/BilledCost` or `/lines/17`).
    pub fn from_pointer(pointer: &str, reason: &str) -> Option<Self> {
        let mut parts = pointer.strip_prefix("/lines/")?.splitn(2, '/');
        let line = parts.next()?.parse().ok()?;
        let column = parts
            .next()
            .filter(|c| !c.is_empty())
            .map(|c| c.replace("~1", "/").replace("~0", "~"));
        // The line is in its own column already.
        let reason = reason
            .strip_prefix(&format!("line {line}: "))
            .unwrap_or(reason);
        Some(Self {
            line,
            column,
            reason: reason.to_owned(),
        })
    }
}

/// How an import ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Imported (maybe with skipped lines).
    Imported(CostImport),
    /// The same file was imported before; nothing changed.
    Duplicate(CostImport),
    /// Refused because of invalid lines (listed).
    Refused(Vec<RowProblem>),
}

/// The lines at fault, as a table.
fn problems_table(rows: Vec<RowProblem>) -> impl IntoView {
    view! {
        <div class="table-wrap import-problems">
            <table class="table" id="import-problems">
                <thead>
                    <tr>
                        <th scope="col" class="num">"Line"</th>
                        <th scope="col">"Column"</th>
                        <th scope="col">"Problem"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            view! {
                                <tr data-line=row.line>
                                    <td class="num">{row.line}</td>
                                    <td>
                                        <code>{row.column.unwrap_or_else(|| "—".to_owned())}</code>
                                    </td>
                                    <td>{row.reason}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The result panel, `#import-result`.
#[component]
pub fn ImportResult(
    /// What happened.
    outcome: Outcome,
    /// The dashboard, to show the imported period.
    dash: Dashboard,
    /// The clients, for names.
    clients: Signal<Vec<Client>>,
) -> impl IntoView {
    match outcome {
        Outcome::Refused(rows) => {
            let count = count_label(u64::try_from(rows.len()).unwrap_or(u64::MAX));
            view! {
                <div class="import-result" id="import-result" data-outcome="refused">
                    <div class="banner error-banner" role="alert">
                        <Icon name=IconName::Alert />
                        <p>
                            {format!(
                                "The file was not imported: {count} problem(s) in its lines break the \
                                 FOCUS specification. Fix them, or tick “Skip invalid rows” to import the rest.",
                            )}
                        </p>
                    </div>
                    {problems_table(rows)}
                </div>
            }
            .into_any()
        }
        Outcome::Duplicate(import) => view! {
            <div class="import-result" id="import-result" data-outcome="duplicate">
                <div class="banner notice-banner" role="status">
                    <Icon name=IconName::Info />
                    <p>
                        "This file was imported already, on " {date_label(&import.created_at)}
                        ". Nothing was added."
                    </p>
                </div>
            </div>
        }
        .into_any(),
        Outcome::Imported(import) => imported(&import, dash, clients).into_any(),
    }
}

fn imported(import: &CostImport, dash: Dashboard, clients: Signal<Vec<Client>>) -> impl IntoView {
    let client = clients.with(|c| client_name(c, &import.client_id));
    let file = import
        .file_name
        .clone()
        .unwrap_or_else(|| "the file".to_owned());
    let period = import.first_day.zip(import.last_day);
    let show = period.map(|(first, last)| {
        let client_id = import.client_id.clone();
        move |_| {
            // What was imported, all of it: no project or tag narrows it.
            let next = dash.view.with_untracked(|v| CostView {
                client: Some(client_id.clone()),
                project: None,
                tag: None,
                ..v.with_days(first, last)
            });
            dash.show.run(next);
        }
    });
    let skipped = import.rows_rejected;
    let listed = u64::try_from(import.errors.len()).unwrap_or(u64::MAX);
    let rows: Vec<RowProblem> = import
        .errors
        .iter()
        .map(|e| RowProblem {
            line: e.line,
            column: e.column.clone(),
            reason: e.reason.clone(),
        })
        .collect();
    view! {
        <div class="import-result" id="import-result" data-outcome="imported">
            <div class="banner notice-banner" role="status">
                <Icon name=IconName::Check />
                <p>
                    {format!("Imported {} rows from {file} for {client}.", count_label(import.rows_imported))}
                </p>
            </div>
            <dl class="details details-compact import-figures">
                <div>
                    <dt>"Rows imported"</dt>
                    <dd id="import-rows">{count_label(import.rows_imported)}</dd>
                </div>
                <div>
                    <dt>"Rows skipped"</dt>
                    <dd id="import-skipped">{count_label(skipped)}</dd>
                </div>
                <div>
                    <dt>"Billed cost"</dt>
                    <dd id="import-billed">{money(&import.billed_cost_total, &import.currency)}</dd>
                </div>
                <div>
                    <dt>"Effective cost"</dt>
                    <dd>{money(&import.effective_cost_total, &import.currency)}</dd>
                </div>
                <div>
                    <dt>"Period"</dt>
                    <dd>
                        {period
                            .map_or_else(
                                || "—".to_owned(),
                                |(first, last)| format!("{} – {}", day_label(first), day_label(last)),
                            )}
                    </dd>
                </div>
                <div>
                    <dt>"FOCUS version"</dt>
                    <dd>{import.focus_version.clone()}</dd>
                </div>
            </dl>
            {show
                .map(|show| {
                    view! {
                        <button type="button" class="button button-small" id="show-imported" on:click=show>
                            "Show these costs"
                        </button>
                    }
                })}
            {replaced_view(import)}
            {(skipped > 0)
                .then(|| {
                    let note = if skipped > listed {
                        format!("{} lines were skipped; the first {} are listed.", count_label(skipped), count_label(listed))
                    } else {
                        format!("{} line(s) were skipped:", count_label(skipped))
                    };
                    view! {
                        <p class="muted">{note}</p>
                        {problems_table(rows)}
                    }
                })}
        </div>
    }
}

/// What a restated export replaced: one row per earlier import, account and period.
fn replaced_view(import: &CostImport) -> Option<impl IntoView + use<>> {
    if import.replaced.is_empty() {
        return None;
    }
    let rows: Vec<_> = import
        .replaced
        .iter()
        .map(|r| {
            let account = if r.billing_account_id.is_empty() {
                "—".to_owned()
            } else {
                r.billing_account_id.clone()
            };
            let file = r
                .file_name
                .clone()
                .unwrap_or_else(|| "an earlier import".to_owned());
            view! {
                <tr data-replaced-import=r.import_id.clone()>
                    <td>{account}</td>
                    <td>{day_label(r.billing_period_start)}</td>
                    <td>{file}</td>
                    <td class="num">{count_label(r.rows)}</td>
                    <td class="num">{money(&r.billed_cost, &r.currency)}</td>
                </tr>
            }
        })
        .collect();
    Some(view! {
        <p class="muted" id="import-replaced-note">
            "This export restates billing periods imported before; their earlier lines were \
             replaced, not counted twice:"
        </p>
        <div class="table-wrap">
            <table class="table" id="import-replaced">
                <thead>
                    <tr>
                        <th scope="col">"Billing account"</th>
                        <th scope="col">"Period from"</th>
                        <th scope="col">"Replaced import"</th>
                        <th scope="col" class="num">"Rows"</th>
                        <th scope="col" class="num">"Billed cost"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    })
}

#[cfg(test)]
mod tests {
    use super::RowProblem;

    #[test]
    fn line_pointers_name_the_line_and_column() {
        let row = RowProblem::from_pointer("/lines/17/BilledCost", "Not a number.");
        assert_eq!(
            row,
            Some(RowProblem {
                line: 17,
                column: Some("BilledCost".into()),
                reason: "Not a number.".into(),
            })
        );
        let prefixed = RowProblem::from_pointer("/lines/9/x", "line 9: Bad.");
        assert_eq!(prefixed.map(|r| r.reason), Some("Bad.".to_owned()));
        let whole = RowProblem::from_pointer("/lines/3", "Too few columns.");
        assert_eq!(whole.map(|r| (r.line, r.column)), Some((3, None)));
        assert_eq!(RowProblem::from_pointer("/client_id", "x"), None);
    }
}
