//! The environments board on a service's page (issue 12): staging, production and the
//! service's preview environments side by side, each with its target, its host, the release
//! serving it, a deploy form (a succeeded build, or an image) whose rollout is followed step by
//! step, and its releases with a one-click rollback that says what comes back, its replicas
//! with a restart (and a scale, on a cluster); above them, a form opening a preview. Releases
//! rolled out elsewhere show live (`release.*` events), and so do previews opened or deleted
//! elsewhere (`environment.preview`, `environment.delete`, `environment.removed`).

use std::collections::HashMap;

use gmac_types::{
    Build, BuildStatus, DeployStarted, Environment, EnvironmentPatch, Job, NewDeploy, NewRollback,
    PageQuery, Permission, Release, ReleaseStatus, Target, TargetQuery,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{PAGE_SIZE, describe, follow_job};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::format::date_time_label;
use crate::live::use_live;
use crate::pages::services::catalog::step_class;
use crate::pages::services::configuration::{ConfigState, EnvironmentConfig};
use crate::pages::services::deploy_settings::{EnvironmentSettings, SettingsState};
use crate::pages::services::domains::EnvironmentDomains;
use crate::pages::services::operations::{EnvironmentOperations, OperationState, replicas_label};
use crate::pages::services::previews::{DeletionState, OpenPreview, PreviewActions};
use crate::pages::services::runtime::EnvironmentRuntime;
use crate::state::{Auth, use_auth};

/// A release's badge class.
pub fn release_class(status: ReleaseStatus) -> &'static str {
    match status {
        ReleaseStatus::Live => "badge badge-success",
        ReleaseStatus::Failed => "badge badge-danger",
        ReleaseStatus::Deploying => "badge badge-accent",
        ReleaseStatus::Retired => "badge",
    }
}

/// What a release runs, for a person: its number, its build's or image's name.
pub fn release_label(release: &Release) -> String {
    let image = release
        .image
        .rsplit('/')
        .next()
        .unwrap_or(&release.image)
        .to_owned();
    match (&release.rollback_of, release.trigger) {
        (Some(_), _) => format!("#{} · {image} (a rollback)", release.number),
        (None, gmac_types::ReleaseTrigger::Push) => {
            format!("#{} · {image} (on push)", release.number)
        }
        (None, gmac_types::ReleaseTrigger::Manual) => format!("#{} · {image}", release.number),
    }
}

/// The configuration a release runs with, for a person.
pub fn config_label(config: &gmac_types::variables::ReleaseConfig) -> String {
    let variables = if config.variables_version == 0 {
        "no variables".to_owned()
    } else {
        format!("variables version {}", config.variables_version)
    };
    let secrets = match config.secrets.len() {
        0 => "no secrets".to_owned(),
        1 => "1 secret".to_owned(),
        n => format!("{n} secrets"),
    };
    format!("{variables} and {secrets}")
}

/// What a panel shows of a deploy started here; kept by the board, so that it survives the
/// panels being drawn again when the environments reload.
#[derive(Clone, Copy)]
struct PanelState {
    notice: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
    rollout: RwSignal<Option<Job>>,
    busy: RwSignal<bool>,
    /// The build chosen in the deploy form (`""`: an image instead).
    build_choice: RwSignal<String>,
    /// The image typed in the deploy form.
    image: RwSignal<String>,
    /// The configuration section's.
    config: ConfigState,
    /// The deploy settings' form.
    settings: SettingsState,
    /// A preview's deletion, as last read.
    deletion: DeletionState,
}

impl PanelState {
    fn new() -> Self {
        Self {
            notice: RwSignal::new(None),
            error: RwSignal::new(None),
            rollout: RwSignal::new(None),
            busy: RwSignal::new(false),
            build_choice: RwSignal::new(String::new()),
            image: RwSignal::new(String::new()),
            config: ConfigState::default(),
            settings: SettingsState::default(),
            deletion: DeletionState::default(),
        }
    }
}

/// Each panel's state by its environment's id, made under the board (not under the list drawn,
/// which goes at each reload), so that a panel keeps its own across reloads and a preview's
/// does not show on staging.
#[derive(Clone)]
struct PanelStates {
    owner: Option<Owner>,
    all: StoredValue<HashMap<String, PanelState>>,
}

impl PanelStates {
    fn new() -> Self {
        Self {
            owner: Owner::current(),
            all: StoredValue::new(HashMap::new()),
        }
    }

    /// The state of the environment `id`'s panel, made the first time it is asked for.
    fn of(&self, id: &str) -> PanelState {
        if let Some(known) = self.all.with_value(|all| all.get(id).copied()) {
            return known;
        }
        let made = self
            .owner
            .as_ref()
            .map_or_else(PanelState::new, |o| o.with(PanelState::new));
        self.all.update_value(|all| {
            all.insert(id.to_owned(), made);
        });
        made
    }
}

/// What draws the board again. Not an environment's configuration changing (nor a secret
/// read): its section reads that itself.
const BOARD_EVENTS: &[&str] = &[
    "release.",
    "environment.update",
    "environment.preview",
    "environment.delete",
    "environment.removed",
    // A push may open a preview.
    "service.push",
    "build.",
];

/// The board, `#environments`.
#[component]
pub fn EnvironmentsBoard(#[prop(into)] service_id: Signal<String>) -> impl IntoView {
    let auth = use_auth();
    let version = RwSignal::new(0_u32);
    let environments = LocalResource::new(move || {
        version.track();
        let id = service_id.get();
        async move {
            auth.call(move |c| {
                let id = id.clone();
                async move { c.list_environments(&id, &PageQuery::default()).await }
            })
            .await
            .map(|page| page.items)
            .map_err(|err| describe(&err))
        }
    });
    let targets = LocalResource::new(move || async move {
        auth.call(move |c| async move {
            c.list_targets(&TargetQuery::default(), &PageQuery::after(100, None))
                .await
        })
        .await
        .map(|page| page.items)
        .unwrap_or_default()
    });
    let builds = LocalResource::new(move || {
        version.track();
        let id = service_id.get();
        async move {
            auth.call(move |c| {
                let id = id.clone();
                async move {
                    c.list_builds(&id, None, &PageQuery::after(PAGE_SIZE, None))
                        .await
                }
            })
            .await
            .map(|page| {
                page.items
                    .into_iter()
                    .filter(|b| b.status == BuildStatus::Succeeded)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
        }
    });
    if let Some(live) = use_live() {
        live.on(BOARD_EVENTS, move |_| version.update(|v| *v += 1));
    }
    let reload = Callback::new(move |()| version.update(|v| *v += 1));
    let confirm = RwSignal::new(None::<Confirm>);
    let notice = RwSignal::new(None::<String>);
    let opens_previews =
        auth.can_untracked(Permission::DeploysRun) && auth.can_untracked(Permission::BuildsRun);
    let states = PanelStates::new();
    view! {
        <section class="card section-gap" aria-labelledby="environments-title" id="environments">
            <header class="card-header">
                <h2 id="environments-title">"Environments"</h2>
            </header>
            <p class="muted card-body">
                "Each environment runs one release on its target. A deploy starts the new release beside the old one, waits for its health check, then moves the proxy to it: the old one serves until then."
            </p>
            <NoticeBanner message=notice />
            {opens_previews.then(|| view! { <OpenPreview service_id=service_id notice=notice reload=reload /> })}
            {move || match environments.get() {
                None => view! { <p class="muted card-body">"Loading the environments…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="field-error card-body">{message}</p> }.into_any(),
                Some(Ok(list)) => {
                    let targets = Signal::derive(move || targets.get().unwrap_or_default());
                    let builds = Signal::derive(move || builds.get().unwrap_or_default());
                    view! {
                        <div class="environment-grid card-body">
                            {list
                                .into_iter()
                                .map(|env| {
                                    let state = states.of(&env.id);
                                    view! { <EnvironmentPanel env=env targets=targets builds=builds reload=reload confirm=confirm state=state board_notice=notice /> }
                                })
                                .collect_view()}
                        </div>
                    }
                    .into_any()
                }
            }}
            <ConfirmDialog request=confirm />
        </section>
    }
}

/// Changes an environment (its target, deploy-on-push, a pause). The target is chosen against
/// the version drawn; deploy-on-push and a resume mean the same whatever happened since (a
/// rollout moves the version on), so they are sent without one.
async fn patch_environment(
    auth: Auth,
    env: &Environment,
    patch: EnvironmentPatch,
) -> Result<(), String> {
    let id = env.id.clone();
    let version = patch.target_id.is_some().then_some(env.version);
    auth.call(move |c| {
        let (id, patch) = (id.clone(), patch.clone());
        async move { c.update_environment(&id, &patch, version).await }
    })
    .await
    .map(drop)
    .map_err(|err| err.message())
}

/// One environment: its facts, deploy form, rollout and releases.
#[component]
fn EnvironmentPanel(
    env: Environment,
    targets: Signal<Vec<Target>>,
    builds: Signal<Vec<Build>>,
    reload: Callback<()>,
    confirm: RwSignal<Option<Confirm>>,
    state: PanelState,
    /// The board's notice, for what outlives the panel (a preview deleted).
    board_notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let auth = use_auth();
    let account = crate::account::use_account();
    let may_deploy = auth.can_untracked(if env.production {
        Permission::DeploysProduction
    } else {
        Permission::DeploysRun
    });
    // A preview being deleted deploys nothing more: nothing on it changes.
    let deploys = may_deploy && env.delete_job_id.is_none();
    let manages = auth.can_untracked(Permission::ServicesManage) && deploys;
    let name = env.name.clone();
    let PanelState {
        notice,
        error,
        rollout,
        busy,
        build_choice,
        image,
        config,
        settings,
        deletion,
    } = state;
    let env_id = env.id.clone();
    let releases = LocalResource::new(move || {
        let id = env_id.clone();
        async move {
            auth.call(move |c| {
                let id = id.clone();
                async move {
                    c.list_releases(&id, &PageQuery::after(PAGE_SIZE, None))
                        .await
                }
            })
            .await
            .map(|page| page.items)
            .map_err(|err| describe(&err))
        }
    });

    // A release started here: its rollout followed until it ends, then the board reloads.
    let follow = move |started: DeployStarted| {
        let release = started.release.clone();
        notice.try_set(Some(format!("Release #{} is rolling out…", release.number)));
        rollout.try_set(Some(started.job.clone()));
        spawn_local(async move {
            let ended = follow_job(
                auth,
                started.job,
                |j| j.status.is_finished(),
                move |j| drop(rollout.try_set(Some(j.clone()))),
                None,
            )
            .await;
            busy.try_set(false);
            match ended {
                Ok(job) if job.status == gmac_types::JobStatus::Succeeded => {
                    notice.try_set(Some(format!("Release #{} is live.", release.number)));
                }
                Ok(job) => {
                    notice.try_set(None);
                    error.try_set(Some(format!(
                        "Release #{} did not go live: {}",
                        release.number,
                        job.error.unwrap_or_else(|| job.status.as_str().to_owned())
                    )));
                }
                Err(err) => drop(error.try_set(Some(err.message()))),
            }
            // The board draws its panels again, each with its releases read anew.
            let _ = reload.try_run(());
        });
    };

    let deploy_env = env.clone();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let chosen = build_choice.get_untracked();
        let typed = image.get_untracked().trim().to_owned();
        // A chosen build is what is deployed; the image field is for when none is.
        let input = if chosen.is_empty() {
            NewDeploy {
                build_id: None,
                image: (!typed.is_empty()).then_some(typed),
            }
        } else {
            NewDeploy {
                build_id: Some(chosen),
                image: None,
            }
        };
        let id = deploy_env.id.clone();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (id, input) = (id.clone(), input.clone());
                    async move { c.deploy(&id, &input).await }
                })
                .await;
            match result {
                Ok(started) => follow(started),
                Err(err) => {
                    busy.try_set(false);
                    error.try_set(Some(err.message()));
                }
            }
        });
    };

    // The live release's build (or image) again, with the environment's newest configuration.
    let redeploy_env = env.clone();
    let redeploy = Callback::new(move |()| {
        let Some(live) = redeploy_env.live_release.clone() else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        let input = match live.build_id {
            Some(build_id) => NewDeploy {
                build_id: Some(build_id),
                image: None,
            },
            None => NewDeploy {
                build_id: None,
                image: Some(live.image),
            },
        };
        let id = redeploy_env.id.clone();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (id, input) = (id.clone(), input.clone());
                    async move { c.deploy(&id, &input).await }
                })
                .await;
            match result {
                Ok(started) => follow(started),
                Err(err) => {
                    busy.try_set(false);
                    error.try_set(Some(err.message()));
                }
            }
        });
    });

    let target_env = env.clone();
    let set_target = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let env = target_env.clone();
        error.set(None);
        spawn_local(async move {
            let patch = EnvironmentPatch {
                target_id: Some((!value.is_empty()).then_some(value)),
                ..EnvironmentPatch::default()
            };
            match patch_environment(auth, &env, patch).await {
                Ok(()) => {
                    notice.try_set(Some(format!("{} deploys to the chosen target.", env.name)));
                    let _ = reload.try_run(());
                }
                Err(message) => drop(error.try_set(Some(message))),
            }
        });
    };

    // Deploy-on-push or automatic rollback switched on or off, or deploy-on-push resumed.
    let push_env = env.clone();
    let change_setting = Callback::new(move |(patch, done): (EnvironmentPatch, &'static str)| {
        let env = push_env.clone();
        error.set(None);
        spawn_local(async move {
            match patch_environment(auth, &env, patch).await {
                Ok(()) => {
                    notice.try_set(Some(done.replace("{env}", &env.name)));
                }
                Err(message) => drop(error.try_set(Some(message))),
            }
            // Drawn again as it now is (a refused change puts its checkbox back).
            let _ = reload.try_run(());
        });
    });
    let paused = env.paused.clone();
    let deploy_on_push = env.deploy_on_push;
    let auto_rollback = env.auto_rollback;
    let push_field = format!("deploy-on-push-{name}");
    let rollback_field = format!("auto-rollback-{name}");
    let resume_id = format!("resume-{name}");

    let rollback_env = env.clone();
    let roll_back = Callback::new(move |release: Release| {
        let env = rollback_env.clone();
        let live = env
            .live_release
            .as_ref()
            .map_or_else(|| "nothing".to_owned(), release_label);
        confirm.set(Some(Confirm::danger(
            format!("Roll {} back to release #{}?", env.name, release.number),
            format!(
                "Its image {} runs again, without a rebuild, in place of {live}, with the configuration it ran with: {}. The proxy moves once it is healthy.",
                release.image,
                config_label(&release.config)
            ),
            "Roll back",
            move || {
                let (id, release_id) = (env.id.clone(), release.id.clone());
                busy.set(true);
                error.set(None);
                spawn_local(async move {
                    let result = auth
                        .call(move |c| {
                            let (id, input) = (
                                id.clone(),
                                NewRollback {
                                    release_id: release_id.clone(),
                                },
                            );
                            async move { c.rollback(&id, &input).await }
                        })
                        .await;
                    match result {
                        Ok(started) => follow(started),
                        Err(err) => {
                            busy.try_set(false);
                            error.try_set(Some(err.message()));
                        }
                    }
                });
            },
        )));
    });

    let live = env.live_release.clone();
    let target_name = {
        let id = env.target_id.clone();
        move || {
            let id = id.clone();
            targets.with(|all| {
                id.as_ref().map_or_else(
                    || "None chosen".to_owned(),
                    |id| {
                        all.iter()
                            .find(|t| &t.id == id)
                            .map_or_else(|| id.clone(), |t| t.name.clone())
                    },
                )
            })
        }
    };
    let on_cluster = {
        let id = env.target_id.clone();
        Signal::derive(move || {
            targets.with(|all| {
                all.iter().any(|t| {
                    Some(&t.id) == id.as_ref() && t.kind == gmac_types::TargetKind::Kubernetes
                })
            })
        })
    };
    let chosen_target = env.target_id.clone().unwrap_or_default();
    let has_target = env.target_id.is_some();
    let live_id = env.live_release.as_ref().map(|r| r.id.clone());
    let target_field = format!("target-{name}");
    let target_label = format!("Target of {name}");
    let form_id = format!("deploy-{name}");
    let build_field = format!("deploy-build-{name}");
    let image_field = format!("deploy-image-{name}");
    let button_id = format!("deploy-button-{name}");
    let button_label = format!("Deploy to {name}");
    let releases_id = format!("releases-{name}");
    let panel_label = format!("Environment {name}");
    let rollback_name = name.clone();
    view! {
        <article class="environment-panel" data-environment=name.clone() aria-label=panel_label>
            <header class="environment-head">
                // A preview's name is its branch's: shown as it is, not capitalized.
                <h3 class:preview-name=env.preview>{name.clone()}</h3>
                {env.production.then(|| view! { <span class="badge badge-warning">"Production"</span> })}
                {env.preview.then(|| view! { <span class="badge badge-accent" data-field="preview-badge">"Preview"</span> })}
            </header>
            <NoticeBanner message=notice />
            <ErrorBanner message=error />
            {env.preview.then(|| view! {
                <PreviewActions
                    env=env.clone()
                    may_change=may_deploy
                    state=OperationState { notice, error, rollout, busy }
                    deletion=deletion
                    board_notice=board_notice
                    reload=reload
                    confirm=confirm
                />
            })}
            {paused.map(|p| view! {
                <div class="banner deploys-paused" role="status" id=format!("paused-{name}")>
                    <span>
                        <strong>"Deploy-on-push is paused. "</strong>
                        {p.reason}
                    </span>
                    {deploys.then(|| view! {
                        <button type="button" class="button button-small" id=resume_id.clone()
                            on:click=move |_| change_setting.run((
                                EnvironmentPatch { paused: Some(false), ..EnvironmentPatch::default() },
                                "Pushes deploy to {env} again.",
                            ))>
                            "Resume deploy-on-push"
                        </button>
                    })}
                </div>
            })}
            <dl class="facts">
                <dt>"Branch"</dt>
                <dd class="mono">{env.branch.clone()}</dd>
                <dt>"Host"</dt>
                <dd class="mono cell-wrap" data-field="host">{env.host.clone()}</dd>
                <dt>"Target"</dt>
                <dd data-field="target">
                    {if manages {
                        let choices = move || {
                            targets
                                .get()
                                .into_iter()
                                .map(|t| {
                                    let selected = t.id == chosen_target;
                                    view! { <option value=t.id.clone() selected=selected>{t.name.clone()}</option> }
                                })
                                .collect_view()
                        };
                        view! {
                            <select class="select" id=target_field aria-label=target_label on:change=set_target>
                                <option value="" selected=!has_target>"None chosen"</option>
                                {choices}
                            </select>
                        }
                        .into_any()
                    } else {
                        view! { <span>{target_name}</span> }.into_any()
                    }}
                </dd>
                <dt>"On push"</dt>
                <dd data-field="deploy-on-push">
                    {if deploys {
                        view! {
                            <label class="check">
                                <input type="checkbox" id=push_field prop:checked=deploy_on_push
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        change_setting.run((
                                            EnvironmentPatch { deploy_on_push: Some(on), ..EnvironmentPatch::default() },
                                            if on { "Each push build now deploys to {env}." } else { "Pushes are built, not deployed, for {env}." },
                                        ));
                                    } />
                                " Deploy each build of a push"
                            </label>
                        }
                        .into_any()
                    } else if deploy_on_push {
                        view! { <span>"Each push build deploys"</span> }.into_any()
                    } else {
                        view! { <span class="muted">"Built, not deployed"</span> }.into_any()
                    }}
                </dd>
                <dt>"On failure"</dt>
                <dd data-field="auto-rollback">
                    {if deploys {
                        view! {
                            <label class="check">
                                <input type="checkbox" id=rollback_field prop:checked=auto_rollback
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        change_setting.run((
                                            EnvironmentPatch { auto_rollback: Some(on), ..EnvironmentPatch::default() },
                                            if on { "A release that fails once live brings the one before back in {env}." } else { "A release that fails once live keeps serving in {env}." },
                                        ));
                                    } />
                                " Roll back by itself when a live release fails"
                            </label>
                        }
                        .into_any()
                    } else if auto_rollback {
                        view! { <span>"Rolls back by itself"</span> }.into_any()
                    } else {
                        view! { <span class="muted">"Keeps a failing release"</span> }.into_any()
                    }}
                </dd>
                <dt>"Serving"</dt>
                <dd data-field="live">
                    {match live {
                        Some(r) => view! { <span class="mono">{release_label(&r)}</span> }.into_any(),
                        None => view! { <span class="muted">"Nothing deployed yet"</span> }.into_any(),
                    }}
                </dd>
                <dt>"Replicas"</dt>
                <dd data-field="replicas">{replicas_label(&env)}</dd>
            </dl>
            {(deploys && env.live_release.is_some()).then(|| view! {
                <EnvironmentOperations
                    environment_id=env.id.clone()
                    name=name.clone()
                    replicas_now=env.replicas
                    autoscale_now=env.autoscale
                    on_cluster=on_cluster
                    state=OperationState { notice, error, rollout, busy }
                    reload=reload
                    confirm=env.production.then_some(confirm)
                />
            })}
            {
                let (id, name) = (env.id.clone(), name.clone());
                env.live_release.is_some().then(|| view! {
                    <EnvironmentRuntime environment_id=id name=name />
                })
            }
            <EnvironmentSettings env=env.clone() may_change=deploys state=settings notice=notice error=error reload=reload />
            <EnvironmentDomains environment_id=env.id.clone() name=name.clone() manage=deploys />
            {deploys
                .then(|| {
                    let choices = move || {
                        builds
                            .get()
                            .into_iter()
                            .map(|b| {
                                let label = format!(
                                    "#{} · {} {}",
                                    b.number,
                                    b.git_ref,
                                    b.commit.as_deref().map_or("", |c| &c[..c.len().min(8)])
                                );
                                let chosen = b.id.clone();
                                view! {
                                    <option value=b.id.clone() prop:selected=move || build_choice.with(|c| *c == chosen)>
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()
                    };
                    view! {
                        <form class="form deploy-form" id=form_id novalidate=true on:submit=submit>
                            <div class="field">
                                <label for=build_field.clone()>"Build"</label>
                                <select class="select" id=build_field on:change=move |ev| build_choice.set(event_target_value(&ev))>
                                    <option value="" prop:selected=move || build_choice.with(String::is_empty)>"An image instead…"</option>
                                    {choices}
                                </select>
                            </div>
                            <Show when=move || build_choice.with(String::is_empty)>
                                <div class="field">
                                    <label for=image_field.clone()>"Image"</label>
                                    <input class="input mono" id=image_field.clone() autocomplete="off" placeholder="127.0.0.1:5000/acme/web:1.4" prop:value=move || image.get() on:input=move |ev| image.set(event_target_value(&ev)) />
                                </div>
                            </Show>
                            <div class="form-actions">
                                <button type="submit" class="button button-primary" id=button_id aria-label=button_label disabled=move || busy.get() || !has_target>
                                    {move || if busy.get() { "Deploying…" } else { "Deploy" }}
                                </button>
                                {(!has_target).then(|| view! { <span class="muted">"Choose a target first."</span> })}
                            </div>
                        </form>
                    }
                })}
            {move || {
                rollout
                    .get()
                    .map(|j| {
                        view! {
                            <ol class="job-steps rollout-steps" id=format!("rollout-{}", j.id) data-status=j.status.as_str()>
                                {j.steps
                                    .iter()
                                    .map(|s| view! {
                                        <li data-step=s.name.clone() data-status=s.status.clone()>
                                            <span class=step_class(&s.status)>{s.status.clone()}</span>" "{s.name.clone()}
                                        </li>
                                    })
                                    .collect_view()}
                            </ol>
                        }
                    })
            }}
            <EnvironmentConfig
                env_id=env.id.clone()
                name=name.clone()
                may_change=deploys
                can_redeploy=env.live_release.is_some() && has_target
                busy=busy
                redeploy=redeploy
                confirm=confirm
                state=config
            />
            <h4 class="subhead">"Releases"</h4>
            {move || match releases.get() {
                None => view! { <p class="muted">"Loading releases…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="field-error">{message}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="muted">"No release yet."</p> }.into_any(),
                Some(Ok(list)) => {
                    let live_id = live_id.clone();
                    let name = rollback_name.clone();
                    view! {
                        <ul class="plain-list release-list" id=releases_id.clone()>
                            {list
                                .into_iter()
                                .map(|r| {
                                    // Only a release that served comes back.
                                    let can_return = deploys
                                        && r.image_id.is_some()
                                        && Some(&r.id) != live_id.as_ref()
                                        && r.status == ReleaseStatus::Retired
                                        && r.pruned_at.is_none();
                                    let again = r.clone();
                                    let rollback_label = format!("Roll {name} back to #{}", r.number);
                                    view! {
                                        <li data-release=r.id.clone() data-number=r.number data-status=r.status.id()>
                                            <span class=release_class(r.status)>{r.status.label()}</span>
                                            " "
                                            <span class="mono">{release_label(&r)}</span>
                                            <span class="cell-sub">{date_time_label(&r.created_at, account.time_zone().as_deref())}</span>
                                            {r.detail.clone().map(|d| view! { <span class="cell-sub field-error">{d}</span> })}
                                            {r.pruned_at.is_some().then(|| view! { <span class="badge pruned" title="Older than the releases this environment keeps: it can no longer be rolled back to">"Not kept"</span> })}
                                            {can_return.then(|| view! {
                                                <button type="button" class="button button-small rollback" aria-label=rollback_label on:click=move |_| roll_back.run(again.clone())>
                                                    {format!("Roll back to #{}", r.number)}
                                                </button>
                                            })}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            }}
        </article>
    }
}
