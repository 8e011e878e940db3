//! `/services/:id`: one service. Its overview (repository, environments, labels), its
//! creation job's steps and log followed live (retry from the failed step, or abandon and
//! undo), its builds, its settings (the branch each environment builds, whether a push to
//! another branch opens a preview environment, how it builds, whom its events email) and its
//! deletion.

use gmac_types::{
    ErrorCode, Job, JobStatus, MAX_PREVIEW_TTL_HOURS, PageQuery, Permission, PreviewSettings,
    Service, ServiceEnvironment, ServicePatch, ServicePush, ServiceStatus,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::api::{self, CHANGED_ELSEWHERE, describe};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FieldMessages, FormErrors, FormField, SubmitButton};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::named::{ObjectPage, by_route_id};
use crate::components::paging::{ListState, LoadMore, Paged};
use crate::format::date_time_label;
use crate::pages::costs::forms::form_errors;
use crate::pages::services::builds::{BuildSettingsCard, BuildsCard};
use crate::pages::services::catalog::{status_class, step_class};
use crate::pages::services::environments::EnvironmentsBoard;
use crate::pages::services::notices::NotificationsCard;
use crate::pages::services::shared_secrets::Holder;
use crate::pages::set_title;
use crate::state::use_auth;

/// The service page.
#[component]
pub fn ServicePage() -> impl IntoView {
    let service = by_route_id(|c, id| async move { c.get_service(&id).await });
    let show = move |loaded: Service| {
        set_title(&loaded.name);
        view! { <ServiceView service=loaded reload=Callback::new(move |()| service.refetch()) /> }
            .into_any()
    };
    view! {
        <ObjectPage object=service back="/services" back_label="Services" loading="Loading the service…" show=show />
    }
}

#[component]
fn ServiceView(service: Service, reload: Callback<()>) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let manages = auth.can_untracked(Permission::ServicesManage);
    let current = RwSignal::new(service.clone());
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(None::<Confirm>);
    let job = RwSignal::new(None::<Job>);
    let log = RwSignal::new(Vec::<String>::new());
    let following = RwSignal::new(false);

    // The creation job, followed until it ends; its log lines as they come.
    let follow = move |start: Job| {
        if following.get_untracked() {
            return;
        }
        following.set(true);
        spawn_local(async move {
            let mut read = log.with_untracked(Vec::len);
            let mut last = start;
            loop {
                let id = last.id.clone();
                let after = i64::try_from(read).unwrap_or(0);
                if let Ok(page) = auth
                    .call(move |c| {
                        let id = id.clone();
                        async move { c.job_log(&id, after).await }
                    })
                    .await
                {
                    read += page.items.len();
                    log.update(|l| l.extend(page.items.into_iter().map(|line| line.line)));
                }
                job.set(Some(last.clone()));
                if last.status.is_finished() {
                    break;
                }
                crate::js::sleep(api::FOLLOW_MS).await;
                let id = last.id.clone();
                match auth
                    .call(move |c| {
                        let id = id.clone();
                        async move { c.get_job(&id).await }
                    })
                    .await
                {
                    Ok(next) => last = next,
                    Err(err) => {
                        error.set(Some(describe(&err)));
                        break;
                    }
                }
            }
            following.set(false);
            // The service's status follows its job.
            let id = current.with_untracked(|s| s.id.clone());
            if let Ok(fresh) = auth
                .call(move |c| {
                    let id = id.clone();
                    async move { c.get_service(&id).await }
                })
                .await
            {
                current.set(fresh);
            }
        });
    };
    if let Some(id) = service.creation_job_id.clone() {
        spawn_local(async move {
            let loaded = auth
                .call(move |c| {
                    let id = id.clone();
                    async move { c.get_job(&id).await }
                })
                .await;
            match loaded {
                Ok(loaded) => follow(loaded),
                // A creation long done may have been pruned with its log.
                Err(err) if api::is(&err, ErrorCode::NotFound) => {}
                Err(err) => error.set(Some(describe(&err))),
            }
        });
    }

    let retry = move |_| {
        let Some(id) = job.with_untracked(|j| j.as_ref().map(|j| j.id.clone())) else {
            return;
        };
        error.set(None);
        notice.set(None);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let id = id.clone();
                    async move { c.retry_job(&id).await }
                })
                .await;
            match result {
                Ok(queued) => {
                    log.update(|l| l.push("— retried —".to_owned()));
                    follow(queued);
                }
                Err(err) => error.set(Some(describe(&err))),
            }
        });
    };

    let delete_repository = RwSignal::new(false);
    let delete = Callback::new(move |()| {
        let (id, version, name, status, made) = current.with_untracked(|s| {
            (
                s.id.clone(),
                s.version,
                s.name.clone(),
                s.status,
                s.repository.created_by_gmac,
            )
        });
        let abandoning = status != ServiceStatus::Active;
        let navigate = navigate.clone();
        let message = if abandoning && made {
            "Its creation is undone: the webhook and the repository gmac made for it are removed."
        } else if delete_repository.get_untracked() {
            "Its webhook and its repository on the host are removed, with everything in it."
        } else {
            "Its webhook is removed; its repository stays on the host."
        };
        confirm.set(Some(Confirm::danger(
            format!("Delete service “{name}”?"),
            message,
            if abandoning {
                "Abandon and undo"
            } else {
                "Delete service"
            },
            move || {
                let id = id.clone();
                let navigate = navigate.clone();
                let remove_repository = delete_repository.get_untracked();
                error.set(None);
                spawn_local(async move {
                    let result = auth
                        .call(move |c| {
                            let id = id.clone();
                            async move {
                                c.delete_service(&id, remove_repository, Some(version))
                                    .await
                            }
                        })
                        .await;
                    match result {
                        Ok(_) => navigate("/services", NavigateOptions::default()),
                        Err(err) if api::is(&err, ErrorCode::PreconditionFailed) => {
                            error.set(Some(CHANGED_ELSEWHERE.to_owned()));
                            reload.run(());
                        }
                        Err(err) => error.set(Some(describe(&err))),
                    }
                });
            },
        )));
    });

    let overview = move || {
        let s = current.get();
        let repository = s
            .repository
            .html_url
            .clone()
            .or_else(|| s.repository.clone_url.clone());
        let webhook = if s.repository.webhook_registered {
            "Registered: pushes are heard"
        } else if s.repository.provider == gmac_types::GitProvider::Git {
            "A post-receive hook on the remote posts pushes"
        } else {
            "Not registered yet"
        };
        view! {
            <dl class="facts" id="service-facts">
                <dt>"Status"</dt>
                <dd>
                    <span class=status_class(s.status) id="service-status" data-status=s.status.id()>{s.status.label()}</span>
                    {s.status_detail.clone().map(|d| view! { <span class="cell-sub" id="service-status-detail">{d}</span> })}
                </dd>
                <dt>"Template"</dt>
                <dd>{s.template.clone()}</dd>
                <dt>"Repository"</dt>
                <dd class="mono cell-wrap" id="service-repository">
                    {format!("{}/{} on {}", s.repository.owner, s.repository.name, s.repository.provider.label())}
                    {repository.map(|url| view! { <span class="cell-sub">{url}</span> })}
                </dd>
                <dt>"First commit"</dt>
                <dd class="mono" id="service-first-commit">{s.repository.first_commit.clone().unwrap_or_else(|| "Not pushed yet".to_owned())}</dd>
                <dt>"Webhook"</dt>
                <dd>{webhook}</dd>
                <dt>"Environments"</dt>
                <dd>
                    <ul class="plain-list" id="service-environments">
                        {s.environments
                            .iter()
                            .map(|e| view! { <li data-environment=e.name.clone()>{format!("{}: branch {}", e.name, e.branch)}</li> })
                            .collect_view()}
                    </ul>
                </dd>
                <dt>"Labels"</dt>
                <dd>
                    <ul class="plain-list mono">
                        {s.labels.iter().map(|(k, v)| view! { <li>{format!("{k}={v}")}</li> }).collect_view()}
                    </ul>
                </dd>
            </dl>
        }
    };

    let creation = move || {
        job.get().map(|j| {
            let failed = j.status == JobStatus::Failed || j.status == JobStatus::Cancelled;
            view! {
                <section class="card section-gap" id="service-creation" aria-labelledby="creation-title">
                    <header class="card-header">
                        <h2 id="creation-title">"Creation"</h2>
                        <span class=step_class(j.status.as_str()) id="creation-status">{j.status.as_str()}</span>
                    </header>
                    <ol class="job-steps card-body" id="creation-steps">
                        {j.steps
                            .iter()
                            .map(|s| {
                                view! {
                                    <li data-step=s.name.clone() data-status=s.status.clone()>
                                        <span class=step_class(&s.status)>{s.status.clone()}</span>
                                        " "
                                        {s.name.clone()}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                    {j.error.clone().map(|e| view! { <p class="card-body field-error" id="creation-error">{e}</p> })}
                    <pre class="job-log" id="creation-log" aria-live="polite">
                        {move || log.get().join("\n")}
                    </pre>
                    {(failed && manages)
                        .then(|| {
                            view! {
                                <div class="form-actions card-body">
                                    <button type="button" class="button button-primary" id="retry-creation" on:click=retry>
                                        "Retry from the failed step"
                                    </button>
                                    <button type="button" class="button button-danger" id="abandon-creation" on:click=move |_| delete.run(())>
                                        "Abandon and undo"
                                    </button>
                                </div>
                            }
                        })}
                </section>
            }
        })
    };

    // Settings: the branch each environment builds, and the preview environments.
    let staging = RwSignal::new(String::new());
    let production = RwSignal::new(String::new());
    let previews_on = RwSignal::new(false);
    let preview_ttl = RwSignal::new(String::new());
    let settings_errors = RwSignal::new(FormErrors::default());
    let saving = RwSignal::new(false);
    let fill = move |s: &Service| {
        for env in &s.environments {
            match env.name.as_str() {
                "staging" => staging.set(env.branch.clone()),
                "production" => production.set(env.branch.clone()),
                _ => {}
            }
        }
        previews_on.set(s.previews.is_some());
        preview_ttl.set(
            s.previews
                .map_or(DEFAULT_PREVIEW_TTL_HOURS, |p| p.ttl_hours)
                .to_string(),
        );
    };
    fill(&service);
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        let (id, version, previews_were) =
            current.with_untracked(|s| (s.id.clone(), s.version, s.previews));
        // Not a number is sent as 0, which the server refuses, saying why.
        let previews = previews_on.get_untracked().then(|| PreviewSettings {
            ttl_hours: preview_ttl.get_untracked().trim().parse().unwrap_or(0),
        });
        let patch = ServicePatch {
            environments: Some(vec![
                ServiceEnvironment {
                    name: "staging".into(),
                    branch: staging.get_untracked().trim().to_owned(),
                },
                ServiceEnvironment {
                    name: "production".into(),
                    branch: production.get_untracked().trim().to_owned(),
                },
            ]),
            // Only when changed: changing it asks for more than the branches do.
            previews: (previews != previews_were).then_some(previews),
            ..ServicePatch::default()
        };
        saving.set(true);
        settings_errors.set(FormErrors::default());
        notice.set(None);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (id, patch) = (id.clone(), patch.clone());
                    async move { c.update_service(&id, &patch, Some(version)).await }
                })
                .await;
            saving.set(false);
            match result {
                Ok(saved) => {
                    fill(&saved);
                    current.set(saved);
                    notice.set(Some("The settings are saved.".to_owned()));
                }
                Err(err) if api::is(&err, ErrorCode::PreconditionFailed) => {
                    error.set(Some(CHANGED_ELSEWHERE.to_owned()));
                    reload.run(());
                }
                Err(err) => {
                    // `/environments/0/branch` is staging's, `/environments/1/branch` production's.
                    // `/previews/ttl_hours` goes under the hours.
                    let mut found =
                        form_errors(&err, &["environments", "previews"], &["environments"]);
                    for f in &mut found.fields {
                        if f.pointer.starts_with("/environments/0") {
                            "/staging".clone_into(&mut f.pointer);
                        } else if f.pointer.starts_with("/environments/1") {
                            "/production".clone_into(&mut f.pointer);
                        } else if f.pointer != "/previews" {
                            found.banner = Some(f.detail.clone());
                        }
                    }
                    settings_errors.set(found);
                }
            }
        });
    };
    let banner = Signal::derive(move || settings_errors.with(|e| e.banner.clone()));
    let previews_field = view! {
        <PreviewSettingsFields
            on=previews_on
            ttl=preview_ttl
            errors=settings_errors
            // Changing it needs the right to deploy too.
            disabled=Signal::derive(move || saving.get() || !auth.can(Permission::DeploysRun))
        />
    };

    view! {
        <header class="page-header">
            <p class="eyebrow">"Service"</p>
            <h1 id="service-title">{move || current.with(|s| s.name.clone())}</h1>
            <p class="muted">{move || current.with(|s| s.description.clone())}</p>
        </header>
        <NoticeBanner message=notice />
        <ErrorBanner message=error />
        <section class="card" aria-labelledby="overview-title">
            <h2 id="overview-title" class="card-title">"Overview"</h2>
            <div class="card-body">{overview}</div>
        </section>
        {creation}
        {(service.status == ServiceStatus::Active)
            .then(|| view! { <EnvironmentsBoard service_id=service.id.clone() /> })}
        {(service.status == ServiceStatus::Active).then(|| view! {
            <crate::pages::services::shared_variables::SharedVariablesCard
                service_id=service.id.clone() project_id=service.project_id.clone() />
            // The project's secrets beside its variables, which the card above edits too.
            <crate::pages::services::shared_secrets::SharedSecretsCard
                holder=Holder::Project(service.project_id.clone()) />
            <crate::pages::services::shared_secrets::SharedSecretsCard
                holder=Holder::Service(service.id.clone()) />
        })}
        <crate::pages::services::costs::ServiceCostsCard service_id=service.id.clone() />
        <Pushes service_id=service.id.clone() />
        {(service.status == ServiceStatus::Active)
            .then(|| {
                // Production's branch is what a build is most often asked of.
                let branch = service
                    .environments
                    .iter()
                    .find(|e| e.name == "production")
                    .map_or_else(|| "main".to_owned(), |e| e.branch.clone());
                view! { <BuildsCard service_id=service.id.clone() default_ref=branch /> }
            })}
        {manages
            .then(|| {
                view! {
                    <section class="card section-gap" aria-labelledby="settings-title">
                        <h2 id="settings-title" class="card-title">"Settings"</h2>
                        <form class="form card-body" id="service-settings" novalidate=true on:submit=save>
                            <ErrorBanner message=banner />
                            <p class="muted">"The branch each environment builds: a push to it starts that environment's build."</p>
                            <div class="field-row">
                                <FormField id="branch-staging" field="staging" label="Staging branch" autocomplete="off" mono=true value=staging errors=settings_errors disabled=saving />
                                <FormField id="branch-production" field="production" label="Production branch" autocomplete="off" mono=true value=production errors=settings_errors disabled=saving />
                            </div>
                            {previews_field}
                            <div class="form-actions">
                                <SubmitButton id="save-service" label="Save" busy_label="Saving…" busy=saving inline=true />
                            </div>
                        </form>
                    </section>
                    <BuildSettingsCard current=current reload=reload />
                    <NotificationsCard current=current reload=reload />
                    <section class="card section-gap" aria-labelledby="delete-title">
                        <h2 id="delete-title" class="card-title">"Delete"</h2>
                        <div class="card-body">
                            <p class="muted">"Deleting a service removes its webhook. Its repository stays on the host unless you ask for it to go."</p>
                            <label class="check">
                                <input
                                    type="checkbox"
                                    id="delete-repository"
                                    prop:checked=move || delete_repository.get()
                                    on:change=move |ev| delete_repository.set(event_target_checked(&ev))
                                />
                                " Delete the repository too"
                            </label>
                            <div class="form-actions">
                                <button type="button" class="button button-danger" id="delete-service" on:click=move |_| delete.run(())>
                                    "Delete service"
                                </button>
                            </div>
                        </div>
                    </section>
                }
            })}
        <ConfirmDialog request=confirm />
    }
}

/// How long a preview lives after its branch's last push, as the form first offers it.
const DEFAULT_PREVIEW_TTL_HOURS: u32 = 72;

/// The settings' preview environments: `#previews-on`, and `#preview-ttl-hours` while on.
#[component]
fn PreviewSettingsFields(
    /// Whether a push to a branch no environment builds opens its preview.
    on: RwSignal<bool>,
    /// The hours a preview lives after its branch's last push, as typed.
    ttl: RwSignal<String>,
    /// The settings form's errors (`/previews`).
    errors: RwSignal<FormErrors>,
    disabled: Signal<bool>,
) -> impl IntoView {
    let invalid = move || errors.with(|e| e.has("previews"));
    view! {
        <fieldset class="fieldset preview-settings" id="preview-settings">
            <legend>"Preview environments"</legend>
            <label class="check">
                <input type="checkbox" id="previews-on" prop:checked=move || on.get()
                    disabled=move || disabled.get()
                    on:change=move |ev| on.set(event_target_checked(&ev)) />
                " Open a preview for each pushed branch"
            </label>
            <p class="field-hint">"A push to a branch no environment builds opens that branch's preview, on staging's target, or keeps it on; it is deleted once it lived this long after its branch's last push."</p>
            <div class="field" class:field-invalid=invalid>
                <label for="preview-ttl-hours">"Hours a preview lives"</label>
                <input class="input" type="number" id="preview-ttl-hours" name="previews"
                    min=1 max=MAX_PREVIEW_TTL_HOURS inputmode="numeric"
                    aria-invalid=move || if invalid() { "true" } else { "false" }
                    aria-describedby="preview-ttl-hours-error"
                    disabled=move || disabled.get() || !on.get()
                    prop:value=move || ttl.get()
                    on:input=move |ev| {
                        ttl.set(event_target_value(&ev));
                        errors.update(|e| e.clear_field("previews"));
                    } />
                <FieldMessages id="preview-ttl-hours-error" field="previews" errors=errors />
            </div>
        </fieldset>
    }
}

/// The pushes the service's webhook delivered, newest first.
#[component]
fn Pushes(service_id: String) -> impl IntoView {
    let auth = use_auth();
    let account = crate::account::use_account();
    let list = Paged::new(move |cursor| {
        let id = service_id.clone();
        async move {
            let page = PageQuery::after(crate::api::PAGE_SIZE, cursor);
            auth.call(move |c| {
                let (id, page) = (id.clone(), page.clone());
                async move { c.list_service_pushes(&id, &page).await }
            })
            .await
        }
    });
    let empty = Signal::derive(|| {
        "No pushes yet: a push to a branch an environment builds shows here.".to_owned()
    });
    let row = move |p: ServicePush| {
        let zone = account.time_zone();
        let branch = p
            .git_ref
            .strip_prefix("refs/heads/")
            .unwrap_or(&p.git_ref)
            .to_owned();
        let short: String = p.commit.chars().take(12).collect();
        view! {
            <tr data-commit=p.commit.clone()>
                <td data-label="Branch" class="mono">{branch}</td>
                <td data-label="Commit" class="mono" title=p.commit.clone()>{short}</td>
                <td data-label="Environment">{p.environment.clone().unwrap_or_else(|| "None".to_owned())}</td>
                <td data-label="Received">{date_time_label(&p.received_at, zone.as_deref())}</td>
            </tr>
        }
    };
    view! {
        <section class="card section-gap" aria-labelledby="pushes-title">
            <header class="card-header">
                <h2 id="pushes-title">"Pushes"</h2>
                <button type="button" class="button button-small" id="reload-pushes" aria-label="Refresh the pushes" on:click=move |_| list.reload()>
                    "Refresh"
                </button>
            </header>
            <ListState list=list loading="Loading pushes…" empty=empty />
            <Show when=move || !list.with_items(<[ServicePush]>::is_empty)>
                <div class="table-wrap">
                    <table class="table table-stack" id="service-pushes">
                        <thead>
                            <tr>
                                <th scope="col">"Branch"</th>
                                <th scope="col">"Commit"</th>
                                <th scope="col">"Environment"</th>
                                <th scope="col">"Received"</th>
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
