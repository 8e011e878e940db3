//! Template sources: the git repositories templates are added from, each with its last sync
//! (the templates it added, the folders it refused and why), sync and remove, and the form
//! that adds one.

use gmac_types::{
    GitConnection, JobStatus, NewTemplateSource, PageQuery, Permission, TemplateSource,
    TemplateSourceStatus,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api::{self, PAGE_SIZE, non_blank};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::paging::{ListState, LoadMore, Paged};
use crate::format::date_time_label;
use crate::live::use_live;
use crate::pages::SubmittedForm;
use crate::pages::costs::forms::{Choice, ChoiceSelect, form_errors};
use crate::state::{Auth, use_auth};

/// The fields of the add form, as the server names them.
const FIELDS: [&str; 4] = ["url", "ref", "path", "connection_id"];

/// The badge class of a source's status.
pub fn status_class(status: TemplateSourceStatus) -> &'static str {
    match status {
        TemplateSourceStatus::Syncing => "badge badge-warning",
        TemplateSourceStatus::Ready => "badge badge-success",
        TemplateSourceStatus::Failed => "badge badge-danger",
    }
}

/// Where a source reads, e.g. "main · templates/" or "v2 · the root".
pub fn place_label(source: &TemplateSource) -> String {
    let folder = if source.path.is_empty() {
        "the root".to_owned()
    } else {
        format!("{}/", source.path)
    };
    format!("{} · {folder}", source.git_ref)
}

/// Follows a source's sync job until it ends, then answers the source as it is.
async fn synced(auth: Auth, source: TemplateSource) -> Result<TemplateSource, String> {
    if let Some(job_id) = source.job_id.clone() {
        let job = auth
            .call(move |c| {
                let id = job_id.clone();
                async move { c.get_job(&id).await }
            })
            .await
            .map_err(|e| e.message())?;
        api::follow_job(
            auth,
            job,
            |j| !matches!(j.status, JobStatus::Queued | JobStatus::Running),
            |_| {},
            None,
        )
        .await
        .map_err(|e| e.message())?;
    }
    let id = source.id.clone();
    auth.call(move |c| {
        let id = id.clone();
        async move { c.get_template_source(&id).await }
    })
    .await
    .map_err(|e| e.message())
}

/// What a finished sync says to the person who started it.
fn outcome(source: &TemplateSource) -> (Option<String>, Option<String>) {
    let refused = match source.problems.len() {
        0 => String::new(),
        n => format!(" {n} folder(s) refused: see below."),
    };
    match source.status {
        TemplateSourceStatus::Ready => (
            Some(format!(
                "{}: {} template(s) in the catalog.{refused}",
                source.url,
                source.templates.len()
            )),
            None,
        ),
        _ => (
            None,
            Some(format!(
                "{} could not be synced: {}",
                source.url,
                source.error.as_deref().unwrap_or("the sync failed")
            )),
        ),
    }
}

/// The template sources card, `#template-sources`; `on_changed` runs when the catalog may
/// have changed (a sync ended, a source went).
#[component]
pub fn TemplateSources(on_changed: Callback<()>) -> impl IntoView {
    let auth = use_auth();
    let manages = move || auth.can(Permission::ServicesManage);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let sources = Paged::new(move |cursor| async move {
        let page = PageQuery::after(PAGE_SIZE, cursor);
        auth.call(move |c| {
            let page = page.clone();
            async move { c.list_template_sources(&page).await }
        })
        .await
    });
    if let Some(live) = use_live() {
        live.on(&["template_source."], move |_| {
            sources.reload();
            on_changed.run(());
        });
    }
    let finished = Callback::new(move |result: Result<TemplateSource, String>| {
        sources.reload();
        on_changed.run(());
        match result {
            Ok(source) => {
                let (good, bad) = outcome(&source);
                notice.set(good);
                error.set(bad);
            }
            Err(message) => error.set(Some(message)),
        }
    });
    let started = Callback::new(move |source: TemplateSource| {
        notice.set(Some(format!("Syncing {}…", source.url)));
        error.set(None);
        sources.reload();
        spawn_local(async move {
            // The page may be gone by the time the sync ends.
            let _ = finished.try_run(synced(auth, source).await);
        });
    });
    let failed = Callback::new(move |message: String| {
        notice.set(None);
        error.set(Some(message));
    });
    let removed = Callback::new(move |message: String| {
        sources.reload();
        on_changed.run(());
        error.set(None);
        notice.set(Some(message));
    });
    view! {
        <section class="card section-gap" aria-labelledby="template-sources-title">
            <header class="card-header">
                <h2 id="template-sources-title">"Template sources"</h2>
            </header>
            <p class="muted card-body">
                "Templates added from git repositories: every folder holding a template.json, in the built-in templates' format. Each sync checks them whole; a folder that fails is listed with the reason, and the catalog keeps the templates that pass."
            </p>
            <NoticeBanner message=notice />
            <ErrorBanner message=error />
            <ListState list=sources loading="Loading template sources…" empty=Signal::derive(|| "No template source yet: the catalog holds the built-in templates.".to_owned()) />
            <Show when=move || !sources.with_items(<[TemplateSource]>::is_empty)>
                <ul class="plain-list source-list" id="template-sources">
                    {move || {
                        sources
                            .items()
                            .into_iter()
                            .map(|s| view! { <SourceItem source=s manages=Signal::derive(manages) started=started failed=failed removed=removed /> })
                            .collect_view()
                    }}
                </ul>
            </Show>
            <LoadMore list=sources />
        </section>
        <Show when=manages>
            <AddSourceForm started=started />
        </Show>
    }
}

/// One source of the list, with its sync and remove buttons.
#[component]
fn SourceItem(
    source: TemplateSource,
    manages: Signal<bool>,
    started: Callback<TemplateSource>,
    failed: Callback<String>,
    removed: Callback<String>,
) -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let busy = RwSignal::new(false);
    let syncing = source.status == TemplateSourceStatus::Syncing;
    let synced_at = source.synced_at.map(|at| {
        format!(
            "synced {}",
            date_time_label(&at, account.time_zone().as_deref())
        )
    });
    let commit = source
        .commit
        .as_deref()
        .map(|c| format!("commit {}", &c[..c.len().min(12)]));
    let sync = {
        let id = source.id.clone();
        move |_| {
            busy.set(true);
            let id = id.clone();
            spawn_local(async move {
                let result = auth
                    .call(move |c| {
                        let id = id.clone();
                        async move { c.sync_template_source(&id).await }
                    })
                    .await;
                busy.set(false);
                match result {
                    Ok(source) => {
                        let _ = started.try_run(source);
                    }
                    Err(err) => {
                        let _ = failed.try_run(err.message());
                    }
                }
            });
        }
    };
    let remove = {
        let gone = source.clone();
        move |_| {
            busy.set(true);
            let gone = gone.clone();
            spawn_local(async move {
                let id = gone.id.clone();
                let result = auth
                    .call(move |c| {
                        let id = id.clone();
                        async move { c.delete_template_source(&id).await }
                    })
                    .await;
                busy.set(false);
                match result {
                    Ok(()) => drop(removed.try_run(format!(
                        "{} is removed: its templates are no longer in the catalog (services made from them stay).",
                        gone.url
                    ))),
                    Err(err) => {
                        let _ = failed.try_run(err.message());
                    }
                }
            });
        }
    };
    let url = source.url.clone();
    let remove_label = format!("Remove {}", source.url);
    view! {
        <li class="source-item" data-source=source.url.clone()>
            <div class="source-head">
                <span class="cell-title mono">{source.url.clone()}</span>
                <span class=status_class(source.status)>{source.status.label()}</span>
            </div>
            <p class="cell-sub">
                {place_label(&source)}
                {commit.map(|c| format!(" · {c}"))}
                {synced_at.map(|s| format!(" · {s}"))}
            </p>
            {source.error.clone().map(|e| view! { <p class="field-error source-error">{e}</p> })}
            <p class="source-templates">
                {if source.templates.is_empty() {
                    "No templates.".to_owned()
                } else {
                    format!("Templates: {}", source.templates.join(", "))
                }}
            </p>
            {(!source.problems.is_empty()).then(|| view! {
                <ul class="plain-list source-problems" aria-label="Refused folders">
                    {source.problems.iter().map(|p| view! {
                        <li><span class="mono">{p.folder.clone()}</span>": "{p.detail.clone()}</li>
                    }).collect_view()}
                </ul>
            })}
            <Show when=move || manages.get()>
                <div class="form-actions">
                    <button
                        type="button"
                        class="button button-small"
                        aria-label=format!("Sync {url}")
                        disabled=move || busy.get() || syncing
                        on:click=sync.clone()
                    >
                        {if syncing { "Syncing…" } else { "Sync" }}
                    </button>
                    <button
                        type="button"
                        class="button button-small button-danger"
                        aria-label=remove_label.clone()
                        disabled=move || busy.get()
                        on:click=remove.clone()
                    >
                        "Remove"
                    </button>
                </div>
            </Show>
        </li>
    }
}

/// The installation-wide git connections, for fetching a private repository.
fn installation_connections() -> LocalResource<Vec<GitConnection>> {
    let auth = use_auth();
    LocalResource::new(move || async move {
        auth.call(|c| async move {
            c.list_git_connections(None, &PageQuery::after(200, None))
                .await
        })
        .await
        .map(|p| {
            p.items
                .into_iter()
                .filter(|c| c.client_id.is_none())
                .collect()
        })
        .unwrap_or_default()
    })
}

/// The add form, `#add-template-source-form`.
#[component]
fn AddSourceForm(started: Callback<TemplateSource>) -> impl IntoView {
    let auth = use_auth();
    let url = RwSignal::new(String::new());
    let git_ref = RwSignal::new("main".to_owned());
    let path = RwSignal::new(String::new());
    let connection = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let connections = installation_connections();
    let connection_choices = Signal::derive(move || {
        let mut choices = vec![Choice::new("", "None: a public repository")];
        if let Some(list) = connections.get() {
            choices.extend(list.into_iter().map(|c| Choice::new(c.id, c.name)));
        }
        choices
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        let input = NewTemplateSource {
            url: url.get_untracked().trim().to_owned(),
            connection_id: non_blank(&connection.get_untracked()),
            git_ref: non_blank(&git_ref.get_untracked()).unwrap_or_else(|| "main".to_owned()),
            path: path.get_untracked().trim().to_owned(),
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let input = input.clone();
                    async move { c.create_template_source(&input).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(source) => {
                    url.set(String::new());
                    path.set(String::new());
                    let _ = started.try_run(source);
                }
                Err(err) => {
                    errors.set(form_errors(&err, &FIELDS, &[]));
                    submitted.focus_first_invalid();
                }
            }
        });
    };
    view! {
        <section class="card section-gap" id="add-template-source-form" aria-labelledby="add-template-source-title">
            <h2 id="add-template-source-title" class="card-title">"Add templates from git"</h2>
            <form class="form card-body" novalidate=true on:submit=submit aria-labelledby="add-template-source-title">
                <ErrorBanner message=banner />
                <FormField
                    id="source-url"
                    field="url"
                    label="Repository"
                    input_type="url"
                    autocomplete="off"
                    mono=true
                    value=url
                    errors=errors
                    placeholder="https://git.example.com/platform/templates.git"
                    hint="The clone URL over https:// or http://."
                    disabled=busy
                />
                <div class="field-row">
                    <FormField id="source-ref" field="ref" label="Branch, tag or commit" autocomplete="off" mono=true value=git_ref errors=errors disabled=busy />
                    <FormField
                        id="source-path"
                        field="path"
                        label="Folder (optional)"
                        autocomplete="off"
                        mono=true
                        optional=true
                        value=path
                        errors=errors
                        placeholder="templates"
                        hint="Where the template folders are; the root when empty."
                        disabled=busy
                    />
                </div>
                <ChoiceSelect
                    id="source-connection"
                    field="connection_id"
                    label="Credentials"
                    value=connection
                    choices=connection_choices
                    errors=errors
                    disabled=busy
                />
                <div class="form-actions">
                    <SubmitButton id="add-template-source" label="Add and sync" busy_label="Adding…" busy=busy inline=true />
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(status: TemplateSourceStatus) -> TemplateSource {
        TemplateSource {
            id: "s1".into(),
            url: "http://127.0.0.1:9/t.git".into(),
            connection_id: None,
            git_ref: "main".into(),
            path: String::new(),
            status,
            error: (status == TemplateSourceStatus::Failed).then(|| "no template here".into()),
            commit: None,
            templates: vec!["docs".into()],
            problems: vec![gmac_types::TemplateProblem {
                folder: "broken".into(),
                detail: "template.json is missing".into(),
            }],
            job_id: None,
            synced_at: None,
            created_by: "u".into(),
            created_at: chrono::DateTime::UNIX_EPOCH,
            version: 1,
        }
    }

    #[test]
    fn a_finished_sync_says_what_reached_the_catalog_or_why_it_failed() {
        let (good, bad) = outcome(&source(TemplateSourceStatus::Ready));
        assert_eq!(
            good.as_deref(),
            Some(
                "http://127.0.0.1:9/t.git: 1 template(s) in the catalog. 1 folder(s) refused: see below."
            )
        );
        assert!(bad.is_none());
        let (good, bad) = outcome(&source(TemplateSourceStatus::Failed));
        assert!(good.is_none());
        assert_eq!(
            bad.as_deref(),
            Some("http://127.0.0.1:9/t.git could not be synced: no template here")
        );
        let mut deep = source(TemplateSourceStatus::Ready);
        assert_eq!(place_label(&deep), "main · the root");
        deep.path = "platform/templates".into();
        assert_eq!(place_label(&deep), "main · platform/templates/");
    }
}
