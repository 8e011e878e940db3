//! The latest imports, under the import form.

use gmac_types::{Client, CostImport};
use leptos::prelude::*;

use crate::account::use_account;
use crate::format::{count_label, date_time_label, day_label, money};
use crate::pages::costs::client_name;

/// How many imports are listed.
const SHOWN: usize = 10;

/// The recent imports table, `#import-table`.
#[component]
pub fn RecentImports(
    /// The imports, newest first (`None` while loading).
    imports: Signal<Option<Vec<CostImport>>>,
    /// The clients, for names.
    clients: Signal<Vec<Client>>,
) -> impl IntoView {
    let account = use_account();
    move || {
        let list = imports.get().unwrap_or_default();
        if list.is_empty() {
            return ().into_any();
        }
        let zone = account.time_zone();
        let rows = clients.with(|clients| {
            list.into_iter()
                .take(SHOWN)
                .map(|import| {
                    let period = import.first_day.zip(import.last_day).map_or_else(
                        || "—".to_owned(),
                        |(first, last)| format!("{} – {}", day_label(first), day_label(last)),
                    );
                    view! {
                        <tr data-import=import.id.clone()>
                            <td class="nowrap">{date_time_label(&import.created_at, zone.as_deref())}</td>
                            <td>
                                <span class="cell-title">
                                    {import.file_name.clone().unwrap_or_else(|| "—".to_owned())}
                                </span>
                                <span class="cell-sub">{client_name(clients, &import.client_id)}</span>
                            </td>
                            <td class="nowrap">{period}</td>
                            <td class="num">{count_label(import.rows_imported)}</td>
                            <td class="num nowrap">
                                {if import.currency.is_empty() {
                                    "—".to_owned()
                                } else {
                                    money(&import.billed_cost_total, &import.currency)
                                }}
                            </td>
                        </tr>
                    }
                })
                .collect_view()
        });
        view! {
            <h3 class="subpanel-title import-history-title">"Recent imports"</h3>
            <div class="table-wrap">
                <table class="table" id="import-table">
                    <thead>
                        <tr>
                            <th scope="col">"Imported"</th>
                            <th scope="col">"File"</th>
                            <th scope="col">"Period"</th>
                            <th scope="col" class="num">"Rows"</th>
                            <th scope="col" class="num">"Billed"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    }
}
