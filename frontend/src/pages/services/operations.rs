//! An environment's operations on the board (issue 12, point 4): its replicas, a restart of
//! the release serving it, and on a Kubernetes cluster a scale (a fixed count, or autoscaling
//! bounds). Each is a job followed step by step where the rollouts are.

use gmac_types::{Autoscale, Environment, Job, ScaleRequest};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::follow_job;
use crate::components::modal::Confirm;
use crate::state::use_auth;
use gmac_client::ApiError;

/// The replicas, as a person reads them.
pub fn replicas_label(env: &Environment) -> String {
    match &env.autoscale {
        Some(a) => format!(
            "{} to {} (autoscaled at {} % CPU)",
            a.min, a.max, a.cpu_percent
        ),
        None if env.replicas == 1 => "1 replica".to_owned(),
        None => format!("{} replicas", env.replicas),
    }
}

/// What the panel shares with its operations.
#[derive(Clone, Copy, Debug)]
pub struct OperationState {
    /// The panel's notice.
    pub notice: RwSignal<Option<String>>,
    /// The panel's error.
    pub error: RwSignal<Option<String>>,
    /// The job followed in the panel's steps.
    pub rollout: RwSignal<Option<Job>>,
    /// Set while something runs in the panel.
    pub busy: RwSignal<bool>,
}

/// An operation's future: its job, once accepted.
type Asked = std::pin::Pin<Box<dyn Future<Output = Result<Job, ApiError>>>>;

/// Starts an operation and follows its job in the panel until it ends; the board is then
/// drawn again.
fn run_operation(
    auth: crate::state::Auth,
    state: OperationState,
    reload: Callback<()>,
    what: String,
    asked: Asked,
) {
    let OperationState {
        notice,
        error,
        rollout,
        busy,
    } = state;
    busy.set(true);
    error.set(None);
    notice.set(Some(format!("{what}…")));
    spawn_local(async move {
        let ended = match asked.await {
            Ok(job) => {
                rollout.try_set(Some(job.clone()));
                follow_job(
                    auth,
                    job,
                    |j| j.status.is_finished(),
                    move |j| drop(rollout.try_set(Some(j.clone()))),
                    None,
                )
                .await
            }
            Err(err) => Err(err),
        };
        busy.try_set(false);
        match ended {
            Ok(job) if job.status == gmac_types::JobStatus::Succeeded => {
                notice.try_set(Some(format!("{what}: done.")));
            }
            Ok(job) => {
                notice.try_set(None);
                error.try_set(Some(format!(
                    "{what}: {}",
                    job.error.unwrap_or_else(|| job.status.as_str().to_owned())
                )));
            }
            Err(err) => {
                notice.try_set(None);
                error.try_set(Some(err.message()));
            }
        }
        let _ = reload.try_run(());
    });
}

/// A number's field of the scale form.
pub(crate) fn number_field(
    id: String,
    label: &'static str,
    (min, max): (i32, i32),
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input class="input" type="number" min=min max=max id=id
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        </div>
    }
}

/// The restart button's click: the restart at once, or (production) once confirmed.
fn restart_handler(
    auth: crate::state::Auth,
    (state, reload): (OperationState, Callback<()>),
    id: String,
    name: String,
    confirm: Option<RwSignal<Option<Confirm>>>,
) -> impl Fn(leptos::ev::MouseEvent) + Clone + 'static {
    move |_| {
        if state.busy.get_untracked() {
            return;
        }
        let (id, what) = (id.clone(), format!("Restarting {name}"));
        let go = move || {
            let id = id.clone();
            run_operation(
                auth,
                state,
                reload,
                what.clone(),
                Box::pin(async move {
                    auth.call(move |c| {
                        let id = id.clone();
                        async move { c.restart_environment(&id).await }
                    })
                    .await
                }),
            );
        };
        match confirm {
            Some(confirm) => confirm.set(Some(Confirm::danger(
                format!("Restart {name}?"),
                "Its instances are started again with the live release, one at a time: the environment keeps answering.",
                "Restart",
                go,
            ))),
            None => go(),
        }
    }
}

/// The restart button, `#restart-{env}`, and on a cluster the scale form, `#scale-{env}`.
#[component]
pub fn EnvironmentOperations(
    /// The environment's id.
    environment_id: String,
    /// Its name.
    name: String,
    /// Its replicas now.
    replicas_now: u32,
    /// Its autoscaling bounds, when it autoscales.
    autoscale_now: Option<Autoscale>,
    /// Whether its target is a cluster (which scales).
    on_cluster: Signal<bool>,
    state: OperationState,
    reload: Callback<()>,
    /// The board's confirmation dialog, for production: its restart is asked first.
    confirm: Option<RwSignal<Option<Confirm>>>,
) -> impl IntoView {
    let auth = use_auth();
    let busy = state.busy;
    let replicas = RwSignal::new(replicas_now.to_string());
    let bound = |f: fn(&Autoscale) -> u32| {
        RwSignal::new(
            autoscale_now
                .as_ref()
                .map(f)
                .map(|v| v.to_string())
                .unwrap_or_default(),
        )
    };
    let autoscale_max = bound(|a| a.max);
    let autoscale_cpu = RwSignal::new(autoscale_now.map_or(70, |a| a.cpu_percent).to_string());
    let run = move |what: String, asked: Asked| run_operation(auth, state, reload, what, asked);
    let restart_button = format!("restart-{name}");
    let restart_label = format!("Restart {name}");
    let scale_form = format!("scale-{name}");
    let replicas_field = format!("replicas-{name}");
    let max_field = format!("autoscale-max-{name}");
    let cpu_field = format!("autoscale-cpu-{name}");
    let scale_label = format!("Scale {name}");
    let restart_name = name.clone();
    let scale_name = name;
    let restart = restart_handler(
        auth,
        (state, reload),
        environment_id.clone(),
        restart_name,
        confirm,
    );
    let scale_id = environment_id;
    let scale = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let count = replicas.get_untracked().trim().parse::<u32>().unwrap_or(0);
        let most = autoscale_max.get_untracked().trim().parse::<u32>().ok();
        let cpu = autoscale_cpu
            .get_untracked()
            .trim()
            .parse::<u32>()
            .unwrap_or(0);
        // Autoscaled from the replicas given up to the most, at the CPU target given.
        let input = ScaleRequest {
            replicas: count,
            autoscale: most.map(|max| Autoscale {
                min: count,
                max,
                cpu_percent: cpu,
            }),
        };
        let id = scale_id.clone();
        run(
            format!("Scaling {scale_name}"),
            Box::pin(async move {
                auth.call(move |c| {
                    let (id, input) = (id.clone(), input.clone());
                    async move { c.scale_environment(&id, &input).await }
                })
                .await
            }),
        );
    };
    view! {
        <div class="environment-operations">
            <button type="button" class="button button-small" id=restart_button
                aria-label=restart_label disabled=move || busy.get() on:click=restart>
                "Restart"
            </button>
            <Show when=move || on_cluster.get()>
                <form class="form scale-form" id=scale_form.clone() novalidate=true on:submit=scale.clone() aria-label=scale_label.clone()>
                    <div class="field-row">
                        {number_field(replicas_field.clone(), "Replicas", (1, 50), replicas)}
                        {number_field(max_field.clone(), "Autoscale up to (optional)", (1, 50), autoscale_max)}
                        {number_field(cpu_field.clone(), "At CPU (%)", (10, 95), autoscale_cpu)}
                    </div>
                    <div class="form-actions">
                        <button type="submit" class="button button-small" aria-label=scale_label.clone() disabled=move || busy.get()>"Scale"</button>
                    </div>
                </form>
            </Show>
        </div>
    }
}
