//! The latest imports, under the import form, each of which can be deleted (an import sent to
//! the wrong client): it leaves the list at once, and a job takes its costs out.

use gmac_types::{Client, CostImport};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api::describe;
use crate::components::icon::{Icon, IconName};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::format::{count_label, date_time_label, day_label, money};
use crate::pages::costs::client_name;
use crate::state::use_auth;

/// How many imports are listed.
const SHOWN: usize = 10;

/// The recent imports table, `#import-table`.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the table, its rows and deleting one share the list's state"
)]
pub fn RecentImports(
    /// The imports, newest first (`None` while loading).
    imports: Signal<Option<Vec<CostImport>>>,
    /// The clients, for names.
    clients: Signal<Vec<Client>>,
) -> impl IntoView {
    let account = use_account();
    let auth = use_auth();
    let confirm = RwSignal::new(None::<Confirm>);
    let deleted = RwSignal::new(Vec::<String>::new());
    let status = RwSignal::new(None::<String>);
    let delete = move |import: CostImport| {
        let file = import
            .file_name
            .clone()
            .unwrap_or_else(|| "this import".to_owned());
        confirm.set(Some(Confirm::danger(
            format!("Delete the import of {file}?"),
            "Its costs leave the dashboards, budgets and allocations of their days. The file \
             can be imported again, to the right client.",
            "Delete import",
            move || {
                let (id, file) = (import.id.clone(), file.clone());
                let gone = import.id.clone();
                spawn_local(async move {
                    let result = auth
                        .call(move |c| {
                            let id = id.clone();
                            async move { c.delete_cost_import(&id).await }
                        })
                        .await;
                    match result {
                        Ok(_) => {
                            deleted.update(|d| d.push(gone));
                            status.set(Some(format!(
                                "Deleting {file}: its costs leave the dashboards when the job finishes."
                            )));
                        }
                        Err(err) => status.set(Some(describe(&err))),
                    }
                });
            },
        )));
    };
    let table = move || {
        let gone = deleted.get();
        let list: Vec<CostImport> = imports
            .get()
            .unwrap_or_default()
            .into_iter()
            .filter(|i| !gone.contains(&i.id))
            .collect();
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
                    let label = format!(
                        "Delete import {}",
                        import.file_name.clone().unwrap_or_else(|| import.id.clone())
                    );
                    let doomed = import.clone();
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
                            <td class="cell-actions">
                                <Show when=move || auth.can(gmac_types::Permission::CostsManage)>
                                <button
                                    type="button"
                                    class="button button-small button-danger-quiet delete-import"
                                    aria-label=label.clone()
                                    on:click={
                                        let doomed = doomed.clone();
                                        move |_| delete(doomed.clone())
                                    }
                                >
                                    <Icon name=IconName::Trash />
                                    <span>"Delete"</span>
                                </button>
                                </Show>
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
                            <th scope="col">
                                <span class="visually-hidden">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <p class="muted" role="status" id="import-delete-status">{move || status.get()}</p>
        {table}
        <ConfirmDialog request=confirm />
    }
}
