//! The service catalog on `/services`: every service you may see, searchable and filtered by
//! client, project, owning team, template and status.

use gmac_types::{PageQuery, Permission, Service, ServiceQuery, ServiceStatus, Template};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::PAGE_SIZE;
use crate::components::paging::{FilterBox, ListState, LoadMore, Paged};
use crate::state::use_auth;

/// The badge class of a status.
pub fn status_class(status: ServiceStatus) -> &'static str {
    match status {
        ServiceStatus::Active => "badge badge-success",
        ServiceStatus::Failed => "badge badge-danger",
        ServiceStatus::Creating | ServiceStatus::Deleting => "badge badge-warning",
    }
}

/// The badge class of a job's or build's step status.
pub fn step_class(status: &str) -> &'static str {
    match status {
        "succeeded" => "badge badge-success",
        "failed" => "badge badge-danger",
        "cancelled" | "queued" => "badge",
        _ => "badge badge-warning",
    }
}

/// The catalog card.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the filters, the list and its rows share the list's state"
)]
pub fn Catalog(
    /// The templates, to name and filter by.
    #[prop(into)]
    templates: Signal<Vec<Template>>,
) -> impl IntoView {
    let auth = use_auth();
    let search = RwSignal::new(String::new());
    let template = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let project = RwSignal::new(String::new());
    let client = RwSignal::new(String::new());
    let team = RwSignal::new(String::new());
    let projects = super::all_projects();
    let clients = super::all_clients();
    let teams = super::all_teams();
    let list = Paged::new(move |cursor| {
        let query = ServiceQuery {
            q: Some(search.get_untracked()).filter(|s| !s.is_empty()),
            template: Some(template.get_untracked()).filter(|s| !s.is_empty()),
            status: ServiceStatus::from_id(&status.get_untracked()),
            project_id: Some(project.get_untracked()).filter(|s| !s.is_empty()),
            client_id: Some(client.get_untracked()).filter(|s| !s.is_empty()),
            team_id: Some(team.get_untracked()).filter(|s| !s.is_empty()),
        };
        async move {
            let page = PageQuery::after(PAGE_SIZE, cursor);
            auth.call(move |c| {
                let (query, page) = (query.clone(), page.clone());
                async move { c.list_services(&query, &page).await }
            })
            .await
        }
    });
    let filtered = move || {
        search.with(String::is_empty)
            && template.with(String::is_empty)
            && status.with(String::is_empty)
            && project.with(String::is_empty)
            && client.with(String::is_empty)
            && team.with(String::is_empty)
    };
    let empty = Signal::derive(move || {
        if !filtered() {
            "No service matches these filters.".to_owned()
        } else if auth.can(Permission::ServicesManage) {
            "No services yet. Create one from a template with “New service”.".to_owned()
        } else {
            "No services yet.".to_owned()
        }
    });
    let template_name = move |id: &str| {
        templates.with(|list| {
            list.iter()
                .find(|t| t.id == id)
                .map_or_else(|| id.to_owned(), |t| t.name.clone())
        })
    };
    let project_name = move |id: &str| {
        projects.with(|list| {
            list.as_ref()
                .and_then(|l| l.iter().find(|p| p.id == id))
                .map_or_else(String::new, |p| p.name.clone())
        })
    };
    let row = move |s: Service| {
        let href = format!("/services/{}", s.id);
        let repository = format!("{}/{}", s.repository.owner, s.repository.name);
        let project = project_name(&s.project_id);
        let (name, label, description) = (s.name.clone(), s.name.clone(), s.description.clone());
        view! {
            <tr data-service=name>
                <td data-label="Service">
                    <A href=href attr:class="cell-title">{label}</A>
                    <span class="cell-sub">{description}</span>
                </td>
                <td data-label="Project">{project}</td>
                <td data-label="Template">{template_name(&s.template)}</td>
                <td data-label="Repository" class="mono cell-wrap">{repository}</td>
                <td data-label="Status">
                    <span class=status_class(s.status) data-status=s.status.id()>{s.status.label()}</span>
                </td>
            </tr>
        }
    };
    let select = move |value: RwSignal<String>| {
        move |ev: leptos::ev::Event| {
            value.set(event_target_value(&ev));
            list.reload();
        }
    };
    view! {
        <section class="card" aria-labelledby="catalog-title">
            <header class="card-header">
                <h2 id="catalog-title">"Catalog"</h2>
                <Show when=move || auth.can(Permission::ServicesManage)>
                    <A href="/services/new" attr:class="button button-primary" attr:id="new-service">
                        "New service"
                    </A>
                </Show>
            </header>
            <div class="filters service-filters">
                <FilterBox
                    id="service-search"
                    label="Search services"
                    placeholder="Search by name"
                    on_change=Callback::new(move |text: String| {
                        search.set(text);
                        list.reload();
                    })
                />
                <label class="visually-hidden" for="service-client">"Client"</label>
                <select id="service-client" class="select" on:change=select(client)>
                    <option value="">"All clients"</option>
                    {move || {
                        clients
                            .get()
                            .unwrap_or_default()
                            .into_iter()
                            .map(|c| view! { <option value=c.id>{c.name}</option> })
                            .collect_view()
                    }}
                </select>
                <label class="visually-hidden" for="service-project">"Project"</label>
                <select id="service-project" class="select" on:change=select(project)>
                    <option value="">"All projects"</option>
                    {move || {
                        projects
                            .get()
                            .unwrap_or_default()
                            .into_iter()
                            .map(|p| view! { <option value=p.id>{p.name}</option> })
                            .collect_view()
                    }}
                </select>
                <label class="visually-hidden" for="service-team">"Owning team"</label>
                <select id="service-team" class="select" on:change=select(team)>
                    <option value="">"Any team"</option>
                    {move || {
                        teams
                            .get()
                            .unwrap_or_default()
                            .into_iter()
                            .map(|t| view! { <option value=t.id>{t.name}</option> })
                            .collect_view()
                    }}
                </select>
                <label class="visually-hidden" for="service-template">"Template"</label>
                <select id="service-template" class="select" on:change=select(template)>
                    <option value="">"All templates"</option>
                    {move || {
                        templates
                            .get()
                            .into_iter()
                            .map(|t| view! { <option value=t.id>{t.name}</option> })
                            .collect_view()
                    }}
                </select>
                <label class="visually-hidden" for="service-status-filter">"Status"</label>
                <select id="service-status-filter" class="select" on:change=select(status)>
                    <option value="">"Any status"</option>
                    {ServiceStatus::ALL
                        .iter()
                        .map(|s| view! { <option value=s.id()>{s.label()}</option> })
                        .collect_view()}
                </select>
            </div>
            <ListState list=list loading="Loading services…" empty=empty />
            <Show when=move || !list.with_items(<[Service]>::is_empty)>
                <div class="table-wrap">
                    <table class="table table-stack" id="services">
                        <thead>
                            <tr>
                                <th scope="col">"Service"</th>
                                <th scope="col">"Project"</th>
                                <th scope="col">"Template"</th>
                                <th scope="col">"Repository"</th>
                                <th scope="col">"Status"</th>
                            </tr>
                        </thead>
                        <tbody>{move || list.items().into_iter().map(row).collect_view()}</tbody>
                    </table>
                </div>
            </Show>
            <LoadMore list=list />
        </section>
    }
}
