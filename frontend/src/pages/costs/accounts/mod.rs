//! `/costs/accounts`: the AWS accounts whose costs gmac reads from Cost Explorer, with their
//! last sync; connecting one, testing it, syncing now and following the sync (for those who
//! manage costs).

pub mod detail;
pub mod edit;
pub mod form;

use crate::api::PAGE_SIZE;
use gmac_types::PageQuery;
use gmac_types::{CloudAccount, CostSync, Permission};
use leptos::prelude::*;

use crate::account::use_account;
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::icon::{Icon, IconName};
use crate::components::paging::{ListState, LoadMore, Paged};
use crate::format::{count_label, date_time_label};
use crate::pages::costs::accounts::detail::AccountDetail;
use crate::pages::costs::accounts::form::ConnectForm;
use crate::pages::costs::directory::use_cost_directory;
use crate::pages::costs::tabs::CostHeader;
use crate::state::use_auth;

/// How much of a sync's error the tables show.
pub const CLIPPED: usize = 140;

/// A sync's status as a badge: its class and word.
pub fn status_badge(status: &str) -> (&'static str, &'static str) {
    match status {
        "succeeded" => ("badge badge-success", "Succeeded"),
        "failed" => ("badge badge-danger", "Failed"),
        "running" => ("badge badge-accent", "Running"),
        _ => ("badge", "Unknown"),
    }
}

/// How a sync is getting on, e.g. "3 pages read" or "1,204 cost lines".
pub fn progress_label(sync: &CostSync) -> String {
    match sync.status.as_str() {
        "running" if sync.pages == 1 => "1 page read so far".to_owned(),
        "running" => format!("{} pages read so far", sync.pages),
        "failed" => sync
            .error
            .clone()
            .unwrap_or_else(|| "It failed without saying why.".to_owned()),
        _ => format!(
            "{} cost lines from {} pages",
            count_label(sync.rows),
            sync.pages
        ),
    }
}

/// At most `max` characters of `text`, cut at a space, with "…" when cut (long provider
/// errors; the whole text stays in the tooltip).
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', '(']))
}

/// The second grouping for people.
pub fn group_label(group_by: &str) -> String {
    match group_by.strip_prefix("TAG:") {
        Some(key) => format!("Tag {key}"),
        None if group_by == "LINKED_ACCOUNT" => "Linked account".to_owned(),
        None => group_by.to_owned(),
    }
}

/// The cloud accounts page.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the list, the chosen account and the form share the page's state"
)]
pub fn CloudAccountsPage() -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let manages = move || auth.can(Permission::CostsManage);
    let directory = use_cost_directory(auth);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let chosen = RwSignal::new(None::<String>);
    // The account whose settings are being changed, as read when its form opened.
    let editing = RwSignal::new(None::<CloudAccount>);
    // Another account opened: its form closes.
    Effect::new(move |_| {
        chosen.track();
        editing.set(None);
    });
    let list = Paged::new(move |cursor| async move {
        let page = PageQuery::after(PAGE_SIZE, cursor);
        auth.call(move |c| {
            let page = page.clone();
            async move { c.list_cloud_accounts(&page).await }
        })
        .await
    });
    // The first account is open until another is chosen.
    Effect::new(move |_| {
        list.with_items(|items| {
            let gone = chosen.with_untracked(|c| {
                c.as_ref()
                    .is_some_and(|id| !items.iter().any(|a| a.id == *id))
            });
            if gone || chosen.with_untracked(Option::is_none) {
                chosen.set(items.first().map(|a| a.id.clone()));
            }
        });
    });
    // The open account's id and name: the panel is built again only when another opens.
    let open = Memo::new(move |_| {
        let id = chosen.get()?;
        list.with_items(|items| {
            items
                .iter()
                .find(|a| a.id == id)
                .map(|a| (a.id.clone(), a.name.clone()))
        })
    });
    let on_created = Callback::new(move |created: CloudAccount| {
        error.set(None);
        let next = if created.last_test.as_ref().is_some_and(|t| t.ok) {
            "Cost Explorer answered: sync it now, or it syncs within 6 hours."
        } else {
            "Test the connection, then sync it."
        };
        notice.set(Some(format!("“{}” is connected. {next}", created.name)));
        chosen.set(Some(created.id.clone()));
        list.prepend(created);
    });
    let on_removed = Callback::new(move |id: String| {
        notice.set(Some(
            "The account was disconnected; the costs it synced stay.".to_owned(),
        ));
        chosen.set(None);
        list.remove(|a| a.id == id);
    });
    let empty = Signal::derive(move || {
        if manages() {
            "No cloud account is connected. Connect one below, or import FOCUS files on the dashboard."
                .to_owned()
        } else {
            "No cloud account is connected.".to_owned()
        }
    });
    let row = move |a: CloudAccount| {
        let zone = account.time_zone();
        let id = a.id.clone();
        let is_open = {
            let id = id.clone();
            move || chosen.with(|c| c.as_deref() == Some(id.as_str()))
        };
        let client = {
            let client_id = a.client_id.clone();
            move || directory.with(|d| d.client_name(&client_id))
        };
        let key = a.access_key_hint.as_ref().map(|h| format!("key …{h}"));
        let connection = [
            Some(a.provider.to_uppercase()),
            Some(a.region.clone()),
            key,
            a.role_arn.as_ref().map(|_| "assumes a role".to_owned()),
            a.endpoint_url.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
        let last = match &a.last_sync {
            Some(sync) => {
                let (class, word) = status_badge(&sync.status);
                let when = date_time_label(&sync.started_at, zone.as_deref());
                view! {
                    <span class=class>{word}</span>
                    <span class="cell-sub">{when}</span>
                    <span class="cell-sub cell-wrap" title=progress_label(sync)>
                        {clip(&progress_label(sync), CLIPPED)}
                    </span>
                }
                .into_any()
            }
            None => view! { <span class="muted">"Not synced yet"</span> }.into_any(),
        };
        let test = a.last_test.as_ref().map(|t| {
            let (class, word) = if t.ok {
                ("badge badge-success", "Connection works")
            } else {
                ("badge badge-danger", "Connection failed")
            };
            let when = format!("tested {}", date_time_label(&t.tested_at, zone.as_deref()));
            view! {
                <span class="account-test" data-ok=t.ok.to_string()>
                    <span class=class title=t.detail.clone()>{word}</span>
                    <span class="cell-sub">{when}</span>
                    {(!t.ok).then(|| {
                        view! {
                            <span class="cell-sub cell-wrap" title=t.detail.clone()>
                                {clip(&t.detail, CLIPPED)}
                            </span>
                        }
                    })}
                </span>
            }
        });
        let name = a.name.clone();
        let open_row = is_open.clone();
        view! {
            <tr data-account-name=a.name.clone() class:row-open=open_row>
                <td data-label="Account">
                    <span class="cell-title">{a.name.clone()}</span>
                    <span class="cell-sub">{client}</span>
                </td>
                <td class="cell-wrap" data-label="Connection">{connection}</td>
                <td data-label="Grouped by">{group_label(&a.group_by)}</td>
                <td data-label="Status">{test} {last}</td>
                <td class="cell-actions">
                    <button
                        type="button"
                        class="button button-small"
                        aria-expanded=move || if is_open() { "true" } else { "false" }
                        aria-controls="account-detail"
                        aria-label=format!("Syncs of {name}")
                        on:click=move |_| chosen.set(Some(id.clone()))
                    >
                        "Syncs"
                    </button>
                </td>
            </tr>
        }
    };
    view! {
        <CostHeader
            title="Cloud accounts"
            summary="AWS accounts whose costs gmac reads from Cost Explorer every 6 hours, \
                     re-reading recent days as AWS restates them."
        >
            <Show when=manages>
                <a href="#connect-form" class="button">
                    <Icon name=IconName::Plus />
                    <span>"Connect account"</span>
                </a>
            </Show>
        </CostHeader>
        <NoticeBanner message=notice />
        <ErrorBanner message=error />
        <section class="card" aria-labelledby="cloud-accounts-title">
            <header class="card-header">
                <h2 id="cloud-accounts-title">"Connected accounts"</h2>
                <button type="button" class="button button-small" on:click=move |_| list.reload()>
                    <Icon name=IconName::Refresh />
                    <span>"Refresh"</span>
                </button>
            </header>
            <ListState list=list loading="Loading accounts…" empty=empty />
            <Show when=move || !list.with_items(<[CloudAccount]>::is_empty)>
                <div class="table-wrap">
                    <table class="table table-stack" id="cloud-accounts">
                        <thead>
                            <tr>
                                <th scope="col">"Account"</th>
                                <th scope="col">"Connection"</th>
                                <th scope="col">"Grouped by"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">
                                    <span class="visually-hidden">"Actions"</span>
                                </th>
                            </tr>
                        </thead>
                        <tbody>{move || list.items().into_iter().map(row).collect_view()}</tbody>
                    </table>
                </div>
            </Show>
            <LoadMore list=list />
        </section>
        {move || {
            open.get()
                .map(|(id, name)| {
                    view! {
                        <AccountDetail
                            id=id
                            name=name
                            on_changed=Callback::new(move |()| list.reload())
                            on_removed=on_removed
                            on_edit=Callback::new(move |()| {
                                let open_id = chosen.get_untracked();
                                editing.set(list.items().into_iter().find(|a| Some(&a.id) == open_id.as_ref()));
                            })
                        />
                        {move || {
                            editing
                                .get()
                                .map(|account| {
                                    view! {
                                        <edit::EditAccountForm
                                            account=account
                                            on_saved=Callback::new(move |saved: CloudAccount| {
                                                editing.set(None);
                                                notice.set(Some(format!("“{}” is changed.", saved.name)));
                                                list.reload();
                                            })
                                            on_cancel=Callback::new(move |()| {
                                                editing.set(None);
                                                list.reload();
                                            })
                                        />
                                    }
                                })
                        }}
                    }
                })
        }}
        <Show when=manages>
            <ConnectForm
                directory=directory
                on_created=on_created
                on_start=Callback::new(move |()| {
                    notice.set(None);
                    error.set(None);
                })
            />
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groupings_and_statuses_read_for_people() {
        assert_eq!(group_label("TAG:team"), "Tag team");
        assert_eq!(group_label("LINKED_ACCOUNT"), "Linked account");
        assert_eq!(status_badge("failed").1, "Failed");
        assert_eq!(clip("short", 10), "short");
        assert_eq!(
            clip("refused: dispatch failure (io error)", 20),
            "refused: dispatch…"
        );
    }
}
