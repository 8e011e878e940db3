//! `/services`: the service catalog, the templates services are created from (with the form
//! each one's schema asks for), and the git hosts their repositories go to.

pub mod builds;
pub mod catalog;
pub mod configuration;
pub mod connect;
pub mod costs;
pub mod deploy_settings;
pub mod detail;
pub mod domains;
pub mod environments;
pub mod new;
pub mod notices;
pub mod operations;
pub mod previews;
pub mod runtime;
pub mod shared_secrets;
pub mod shared_variables;
pub mod sources;
pub mod target_credentials;
pub mod target_edit;
pub mod targets;

use gmac_types::{GitConnection, PageQuery, Permission, Project, ProjectListQuery, Template};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use crate::account::use_account;
use crate::api::PAGE_SIZE;
use crate::areas::Area;
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::paging::{ListState, LoadMore, Paged};
use crate::format::date_time_label;
use crate::pages::set_title;
use crate::state::use_auth;
use new::InputKind;

/// One parameter of a template's schema, as its card lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterLine {
    /// The placeholder's name.
    pub name: String,
    /// Its label.
    pub title: String,
    /// "text", "whole number" or "yes or no", with its bounds.
    pub kind: String,
    /// Whether a value must be given (and there is no default).
    pub required: bool,
    /// The default, as written.
    pub default: Option<String>,
}

/// The parameters of a template's schema, in the schema's order.
pub fn parameters(schema: &Value) -> Vec<ParameterLine> {
    new::inputs(schema)
        .into_iter()
        .map(|input| {
            let kind = match &input.kind {
                InputKind::Number(Some(lo), Some(hi)) => format!("whole number, {lo} to {hi}"),
                InputKind::Number(..) => "whole number".to_owned(),
                InputKind::Switch => "yes or no".to_owned(),
                InputKind::Choice(options) => format!("one of {}", options.join(", ")),
                InputKind::Text(Some(max)) => format!("text, at most {max} characters"),
                InputKind::Text(None) => "text".to_owned(),
            };
            let default = input.default.as_ref().map(|d| match d {
                Value::String(s) if s.is_empty() => "empty".to_owned(),
                Value::String(s) => s.clone(),
                Value::Bool(true) => "yes".to_owned(),
                Value::Bool(false) => "no".to_owned(),
                other => other.to_string(),
            });
            ParameterLine {
                name: input.name,
                title: input.title,
                kind,
                required: input.required,
                default,
            }
        })
        .collect()
}

/// The projects a form or filter offers (the first 200 by name), empty until they load or
/// when they cannot be read.
pub fn all_projects() -> LocalResource<Vec<Project>> {
    let auth = use_auth();
    LocalResource::new(move || async move {
        auth.call(|c| async move {
            c.list_projects(&ProjectListQuery {
                limit: Some(200),
                ..ProjectListQuery::default()
            })
            .await
        })
        .await
        .map(|p| p.items)
        .unwrap_or_default()
    })
}

/// The teams (up to 200), for choosing an owning team.
pub fn all_teams() -> LocalResource<Vec<gmac_types::Team>> {
    let auth = use_auth();
    LocalResource::new(move || async move {
        auth.call(|c| async move { c.list_teams(&first_200()).await })
            .await
            .map(|p| p.items)
            .unwrap_or_default()
    })
}

/// The clients (up to 200), for filtering by client.
pub fn all_clients() -> LocalResource<Vec<gmac_types::Client>> {
    let auth = use_auth();
    LocalResource::new(move || async move {
        auth.call(|c| async move { c.list_clients(&first_200()).await })
            .await
            .map(|p| p.items)
            .unwrap_or_default()
    })
}

fn first_200() -> gmac_types::ListQuery {
    gmac_types::ListQuery {
        limit: Some(200),
        ..gmac_types::ListQuery::default()
    }
}

/// How a template's service is checked, e.g. "HTTP GET /healthz on port 8080".
pub fn health_label(template: &Template) -> String {
    match &template.health.path {
        Some(path) => format!("HTTP GET {path} on port {}", template.health.port),
        None => format!("TCP port {}", template.health.port),
    }
}

/// A template's default resources, e.g. "0.25 CPU · 256 MiB".
pub fn resources_label(template: &Template) -> String {
    let cpu = f64::from(template.resources.cpu_millicores) / 1000.0;
    format!("{cpu} CPU · {} MiB", template.resources.memory_mib)
}

/// Where a template comes from: "Built in", or the repository it was added from.
pub fn source_label(template: &Template) -> String {
    if template.source_id.is_some() {
        template.source.clone()
    } else {
        "Built in".to_owned()
    }
}

/// The Services page.
#[component]
pub fn ServicesPage() -> impl IntoView {
    set_title(Area::Services.label());
    let auth = use_auth();
    let templates = LocalResource::new(move || async move {
        auth.call(|c| async move { c.list_templates().await })
            .await
            .map_err(|e| e.message())
    });
    let catalog_templates =
        Signal::derive(move || templates.get().and_then(Result::ok).unwrap_or_default());
    view! {
        <header class="page-header">
            <h1>"Services"</h1>
            <p class="muted">{Area::Services.summary()}</p>
        </header>
        <catalog::Catalog templates=catalog_templates />
        <section class="section-gap" aria-labelledby="templates-title">
            <h2 id="templates-title">"Templates"</h2>
            <p class="muted templates-intro">
                "A service starts from a template: its files, Dockerfile, health check and default resources, and the parameters its form asks for."
            </p>
            <Suspense fallback=|| view! { <p class="loading">"Loading templates…"</p> }>
                {move || {
                    templates
                        .get()
                        .map(|result| match result {
                            Ok(list) => {
                                view! {
                                    <ul class="card-grid" id="templates">
                                        {list.iter().map(template_card).collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }
                            Err(err) => {
                                let message = RwSignal::new(Some(err));
                                view! { <ErrorBanner message=message /> }.into_any()
                            }
                        })
                }}
            </Suspense>
        </section>
        <sources::TemplateSources on_changed=Callback::new(move |()| templates.refetch()) />
        <GitConnections />
        <targets::DeployTargets />
    }
}

fn template_card(template: &Template) -> impl IntoView {
    let lines = parameters(&template.parameters);
    let health = health_label(template);
    let resources = resources_label(template);
    let files = template.files.len();
    view! {
        <li>
            <article class="card template-card" data-template=template.id.clone() aria-labelledby=format!("template-{}", template.id)>
                <header class="template-head">
                    <h3 id=format!("template-{}", template.id)>{template.name.clone()}</h3>
                    <span class="badge">{template.category.label()}</span>
                </header>
                <p class="muted">{template.description.clone()}</p>
                <dl class="template-facts">
                    <dt>"Health"</dt>
                    <dd>{health}</dd>
                    <dt>"Resources"</dt>
                    <dd>{resources}</dd>
                    <dt>"First commit"</dt>
                    <dd>{format!("{files} files, built from {}", template.dockerfile)}</dd>
                    <dt>"Source"</dt>
                    <dd class="mono">{source_label(template)}</dd>
                </dl>
                <h4 class="template-params-title">"Parameters"</h4>
                <ul class="template-params">
                    {lines
                        .into_iter()
                        .map(|p| {
                            let note = match (&p.default, p.required) {
                                (Some(d), _) => format!("{}; default {d}", p.kind),
                                (None, true) => format!("{}; required", p.kind),
                                (None, false) => p.kind.clone(),
                            };
                            view! {
                                <li data-parameter=p.name.clone()>
                                    <span class="cell-title">{p.title}</span>
                                    <span class="cell-sub">{note}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </article>
        </li>
    }
}

/// The git connections card: the list, removal, and the connect form for those who manage
/// services.
#[component]
fn GitConnections() -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let manages = move || auth.can(Permission::ServicesManage);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let list = Paged::new(move |cursor| async move {
        let page = PageQuery::after(PAGE_SIZE, cursor);
        auth.call(move |c| {
            let page = page.clone();
            async move { c.list_git_connections(None, &page).await }
        })
        .await
    });
    let empty = Signal::derive(move || {
        if manages() {
            "No git host is connected. Connect Gitea, GitHub or a git remote below.".to_owned()
        } else {
            "No git host is connected.".to_owned()
        }
    });
    let remove = move |connection: GitConnection| {
        notice.set(None);
        error.set(None);
        spawn_local(async move {
            let id = connection.id.clone();
            let result = auth
                .call(move |c| {
                    let id = id.clone();
                    async move { c.delete_git_connection(&id).await }
                })
                .await;
            match result {
                Ok(()) => {
                    notice.set(Some(format!(
                        "“{}” is disconnected; its repositories stay on the host.",
                        connection.name
                    )));
                    list.remove(|c| c.id == connection.id);
                }
                Err(err) => error.set(Some(err.message())),
            }
        });
    };
    let row = move |c: GitConnection| {
        let zone = account.time_zone();
        let signed_in = match (&c.account, &c.token_hint) {
            (Some(login), Some(hint)) => format!("signed in as {login} · token …{hint}"),
            (None, Some(hint)) => format!("token …{hint}"),
            (Some(login), None) => format!("signed in as {login}"),
            (None, None) => "no token".to_owned(),
        };
        let test = c.last_test.as_ref().map_or_else(
            || view! { <span class="muted">"Not tested (no API)"</span> }.into_any(),
            |t| {
                let (class, word) = if t.ok {
                    ("badge badge-success", "Token accepted")
                } else {
                    ("badge badge-danger", "Token refused")
                };
                let when = format!("tested {}", date_time_label(&t.tested_at, zone.as_deref()));
                view! {
                    <span class=class title=t.detail.clone()>{word}</span>
                    <span class="cell-sub">{when}</span>
                }
                .into_any()
            },
        );
        let name = c.name.clone();
        let owned = c.clone();
        view! {
            <tr data-connection-name=c.name.clone()>
                <td data-label="Connection">
                    <span class="cell-title">{c.name.clone()}</span>
                    <span class="cell-sub">{c.provider.label()}</span>
                </td>
                <td class="cell-wrap mono" data-label="Address">{c.base_url.clone()}</td>
                <td data-label="Access">{signed_in}</td>
                <td data-label="Test">{test}</td>
                <td class="cell-actions">
                    <Show when=manages>
                        <button
                            type="button"
                            class="button button-small button-danger"
                            aria-label=format!("Disconnect {name}")
                            on:click={
                                let owned = owned.clone();
                                move |_| remove(owned.clone())
                            }
                        >
                            "Disconnect"
                        </button>
                    </Show>
                </td>
            </tr>
        }
    };
    view! {
        <section class="card section-gap" aria-labelledby="git-connections-title">
            <header class="card-header">
                <h2 id="git-connections-title">"Git connections"</h2>
            </header>
            <p class="muted card-body">
                "Where a service's repository is created and its pushes come from. Tokens are encrypted at rest and never shown again."
            </p>
            <NoticeBanner message=notice />
            <ErrorBanner message=error />
            <ListState list=list loading="Loading git connections…" empty=empty />
            <Show when=move || !list.with_items(<[GitConnection]>::is_empty)>
                <div class="table-wrap">
                    <table class="table table-stack" id="git-connections">
                        <thead>
                            <tr>
                                <th scope="col">"Connection"</th>
                                <th scope="col">"Address"</th>
                                <th scope="col">"Access"</th>
                                <th scope="col">"Test"</th>
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
        <Show when=manages>
            <connect::ConnectGitForm
                on_created=Callback::new(move |created: GitConnection| {
                    error.set(None);
                    let how = created
                        .account
                        .as_ref()
                        .map_or_else(String::new, |login| format!(" The host accepted the token: signed in as {login}."));
                    notice.set(Some(format!("“{}” is connected.{how}", created.name)));
                    list.prepend(created);
                })
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
    use serde_json::json;

    use super::*;

    #[test]
    fn a_schemas_parameters_read_as_a_form_would_ask_for_them() {
        let schema = json!({
            "type": "object", "required": ["title", "port"],
            "properties": {
                "title": {"type": "string", "title": "Site title", "maxLength": 80},
                "port": {"type": "integer", "title": "Port", "minimum": 1024, "maximum": 65535, "default": 8080},
                "version": {"type": "string", "title": "Version", "enum": ["15", "16"]},
                "telemetry": {"type": "boolean", "title": "Telemetry", "default": false},
            }
        });
        let lines = parameters(&schema);
        let by = |name: &str| lines.iter().find(|l| l.name == name).cloned().unwrap();
        assert_eq!(by("title").kind, "text, at most 80 characters");
        assert!(by("title").required);
        assert_eq!(by("port").kind, "whole number, 1024 to 65535");
        assert!(!by("port").required, "a default makes it optional");
        assert_eq!(by("port").default.as_deref(), Some("8080"));
        assert_eq!(by("version").kind, "one of 15, 16");
        assert_eq!(by("telemetry").default.as_deref(), Some("no"));
    }
}
