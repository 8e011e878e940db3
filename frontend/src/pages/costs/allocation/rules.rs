//! The allocation rules in the order they are tried, `#allocation-rules`, and deleting one.

use gmac_types::{AllocationRule, Permission};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::describe;
use crate::components::icon::{Icon, IconName};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::paging::{ListState, LoadMore, Paged};
use crate::pages::costs::allocation::{allocation_label, match_label};
use crate::pages::costs::directory::CostDirectory;
use crate::state::use_auth;

/// The rules card.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the table, its rows and deletion share the card's state"
)]
pub fn RulesCard(
    /// The rules, in order.
    rules: Paged<AllocationRule>,
    /// Names of clients, users and teams.
    directory: Signal<CostDirectory>,
    /// Where the page says what happened.
    notice: RwSignal<Option<String>>,
    /// Where the page says what failed.
    error: RwSignal<Option<String>>,
    /// The rule being changed (its form replaces the new rule's).
    editing: RwSignal<Option<AllocationRule>>,
) -> impl IntoView {
    let auth = use_auth();
    let manages = move || auth.can(Permission::CostsManage);
    let confirm = RwSignal::new(None::<Confirm>);
    let empty = Signal::derive(move || {
        "No rules yet: every cost is Unallocated unless a resource is assigned by hand.".to_owned()
    });
    let delete = move |rule: AllocationRule| {
        confirm.set(Some(Confirm::danger(
            format!("Delete rule “{}”?", rule.name),
            "The rules after it move up, and the history it touched is re-allocated: the costs \
             it claimed go to the next rule that matches, or to Unallocated.",
            "Delete rule",
            move || {
                let (id, name) = (rule.id.clone(), rule.name.clone());
                notice.set(None);
                error.set(None);
                spawn_local(async move {
                    let result = auth
                        .call(move |c| {
                            let id = id.clone();
                            async move { c.delete_allocation_rule(&id).await }
                        })
                        .await;
                    match result {
                        Ok(()) => {
                            notice.set(Some(format!(
                                "Rule “{name}” was deleted; the history it touched is being re-allocated."
                            )));
                            rules.reload();
                        }
                        Err(err) => error.set(Some(describe(&err))),
                    }
                });
            },
        )));
    };
    let row = move |rule: AllocationRule| {
        let client = rule.client_id.clone();
        let client = move || {
            client.as_ref().map_or_else(
                || "Every client".to_owned(),
                |id| directory.with(|d| format!("Client {}", d.client_name(id))),
            )
        };
        let allocation = rule.allocation.clone();
        let then = move || directory.with(|d| allocation_label(&allocation, d));
        let for_delete = rule.clone();
        let for_change = rule.clone();
        let delete_label = format!("Delete rule {}", rule.name);
        let change_label = format!("Change rule {}", rule.name);
        view! {
            <tr data-rule-name=rule.name.clone() data-position=rule.position>
                <td class="num rule-position" data-label="Order">{rule.position}</td>
                <td data-label="Rule">
                    <span class="cell-title">{rule.name.clone()}</span>
                    <span class="cell-sub">{client}</span>
                </td>
                <td class="cell-wrap" data-label="Matches">{match_label(&rule)}</td>
                <td class="cell-wrap" data-label="Then">{then}</td>
                <td class="cell-actions">
                    <Show when=manages>
                        <button
                            type="button"
                            class="button button-small change-rule"
                            aria-label=change_label.clone()
                            on:click={
                                let rule = for_change.clone();
                                move |_| {
                                    notice.set(None);
                                    editing.set(Some(rule.clone()));
                                }
                            }
                        >
                            <Icon name=IconName::Edit />
                            <span>"Change"</span>
                        </button>
                        <button
                            type="button"
                            class="button button-small button-danger-quiet"
                            aria-label=delete_label.clone()
                            on:click={
                                let rule = for_delete.clone();
                                move |_| delete(rule.clone())
                            }
                        >
                            <Icon name=IconName::Trash />
                            <span>"Delete"</span>
                        </button>
                    </Show>
                </td>
            </tr>
        }
    };
    view! {
        <section class="card section-gap" aria-labelledby="allocation-rules-title">
            <header class="card-header">
                <h2 id="allocation-rules-title">"Rules, in the order they are tried"</h2>
            </header>
            <ListState list=rules loading="Loading rules…" empty=empty />
            <Show when=move || !rules.with_items(<[AllocationRule]>::is_empty)>
                <div class="table-wrap">
                    <table class="table table-stack" id="allocation-rules">
                        <thead>
                            <tr>
                                <th scope="col" class="num">"#"</th>
                                <th scope="col">"Rule"</th>
                                <th scope="col">"Matches"</th>
                                <th scope="col">"Then"</th>
                                <th scope="col">
                                    <span class="visually-hidden">"Actions"</span>
                                </th>
                            </tr>
                        </thead>
                        <tbody>{move || rules.items().into_iter().map(row).collect_view()}</tbody>
                    </table>
                </div>
            </Show>
            <LoadMore list=rules />
            <ConfirmDialog request=confirm />
        </section>
    }
}
