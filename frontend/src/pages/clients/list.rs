//! `/clients`: the clients the user may see, filtered and a page at a time, and creating one.

use gmac_types::{Client, NewClient, Permission};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::account::use_account;
use crate::components::error_banner::NoticeBanner;
use crate::components::named::{ListTable, NameFiltered, NamedForm, send_named};
use crate::components::paging::FilterBox;
use crate::format::date_time_label;
use crate::pages::set_title;
use crate::state::use_auth;

/// The clients page.
#[component]
pub fn ClientsPage() -> impl IntoView {
    set_title("Clients");
    let auth = use_auth();
    let account = use_account();
    let notice = RwSignal::new(None::<String>);
    let clients = NameFiltered::new(move |query| async move {
        auth.call(move |c| {
            let query = query.clone();
            async move { c.list_clients(&query).await }
        })
        .await
    });
    let list = clients.list;
    // A client created, renamed or deleted elsewhere (another tab, another person, a script)
    // shows here without a reload.
    if let Some(live) = crate::live::use_live() {
        live.on(&["client."], move |_| list.reload());
    }
    let empty = clients.empty("client", move || {
        if auth.can(Permission::ClientsManage) {
            "No clients yet. Create the first one above.".to_owned()
        } else {
            "You have no clients to see.".to_owned()
        }
    });
    let create = send_named(move |named| async move {
        let input = NewClient {
            description: named.description(),
            name: named.name,
        };
        let client = auth
            .call(move |c| {
                let input = input.clone();
                async move { c.create_client(&input).await }
            })
            .await?;
        notice.set(Some(format!("Client “{}” is created.", client.name)));
        list.prepend(client);
        Ok(())
    });
    let row = move |client: Client| {
        let zone = account.time_zone();
        let href = format!("/clients/{}", client.id);
        let name = client.name.clone();
        view! {
            <tr data-client-name=client.name.clone()>
                <td>
                    <A href=href attr:class="cell-title">{name}</A>
                    <span class="cell-sub">{client.description.clone()}</span>
                </td>
                <td>{date_time_label(&client.updated_at, zone.as_deref())}</td>
            </tr>
        }
        .into_any()
    };

    view! {
        <header class="page-header">
            <h1>"Clients"</h1>
            <p class="muted">"The clients you work for, and the projects inside them."</p>
        </header>
        <Show when=move || auth.can(Permission::ClientsManage)>
            <NamedForm
                title="New client"
                title_id="new-client-title"
                inputs=("new-client-name", "new-client-description")
                submit=("create-client", "Create client", "Creating…")
                what="client"
                send=create
                clear=true
                on_start=Callback::new(move |()| notice.set(None))
            />
        </Show>
        <NoticeBanner message=notice />
        <div class="toolbar">
            <FilterBox id="client-filter" label="Filter clients" placeholder="Filter by name" on_change=clients.on_filter />
        </div>
        <ListTable
            list=list
            id="client-table"
            label="Clients"
            loading="Loading clients…"
            empty=empty
            headers=&["Client", "Last changed"]
            row=row
        />
    }
}
