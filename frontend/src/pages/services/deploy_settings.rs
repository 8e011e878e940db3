//! An environment's deploy settings on the board (issue 12, points 3 and 7): the path and the
//! time of its health check, how many releases it keeps to roll back to, and the CPU and
//! memory its containers ask for and may use. What is typed is kept by the board while the
//! panel is drawn again (a rollout's events redraw it), and only the fields changed are sent.

use gmac_types::{Environment, EnvironmentPatch, Resources};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::pages::services::operations::number_field;
use crate::state::use_auth;

/// The form's fields as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Draft {
    health_path: String,
    health_timeout: String,
    kept: String,
    limited: bool,
    cpu_request: String,
    cpu_limit: String,
    memory_request: String,
    memory_limit: String,
}

impl Draft {
    /// The fields as `env` has them.
    fn of(env: &Environment) -> Self {
        let shown = env.resources.unwrap_or_default();
        Self {
            health_path: env.health_path.clone().unwrap_or_default(),
            health_timeout: env.health_timeout_secs.to_string(),
            kept: env.releases_kept.to_string(),
            limited: env.resources.is_some(),
            cpu_request: shown.cpu_request_millis.to_string(),
            cpu_limit: shown.cpu_limit_millis.to_string(),
            memory_request: shown.memory_request_mib.to_string(),
            memory_limit: shown.memory_limit_mib.to_string(),
        }
    }

    /// The change from `base` (the fields as they were when the typing began) to these: only
    /// the fields typed in, so a change someone else made meanwhile to another field stays.
    /// A blank health time is the installation's; a number that is not one is sent as 0,
    /// which the server refuses, saying why.
    fn patch(&self, base: &Self) -> EnvironmentPatch {
        let whole = |s: &str| s.trim().parse::<u32>().unwrap_or(0);
        let path = self.health_path.trim();
        let timeout = self.health_timeout.trim();
        let limits = [
            (&self.cpu_request, &base.cpu_request),
            (&self.cpu_limit, &base.cpu_limit),
            (&self.memory_request, &base.memory_request),
            (&self.memory_limit, &base.memory_limit),
        ];
        let limits_typed =
            self.limited != base.limited || limits.iter().any(|(now, was)| now != was);
        EnvironmentPatch {
            health_path: (self.health_path != base.health_path)
                .then(|| (!path.is_empty()).then(|| path.to_owned())),
            health_timeout_secs: (self.health_timeout != base.health_timeout)
                .then(|| (!timeout.is_empty()).then(|| whole(timeout))),
            releases_kept: (self.kept != base.kept).then(|| whole(&self.kept)),
            resources: limits_typed.then(|| {
                self.limited.then(|| Resources {
                    cpu_request_millis: whole(&self.cpu_request),
                    cpu_limit_millis: whole(&self.cpu_limit),
                    memory_request_mib: whole(&self.memory_request),
                    memory_limit_mib: whole(&self.memory_limit),
                })
            }),
            ..EnvironmentPatch::default()
        }
    }
}

/// What the board keeps of a panel's settings while it is drawn again.
#[derive(Clone, Copy, Debug)]
pub struct SettingsState {
    /// Whether the form is open.
    pub open: RwSignal<bool>,
    /// Once something was typed: the fields as they were when the typing began, and as typed.
    pub draft: RwSignal<Option<(Draft, Draft)>>,
}

impl Default for SettingsState {
    fn default() -> Self {
        Self {
            open: RwSignal::new(false),
            draft: RwSignal::new(None),
        }
    }
}

/// The form's fields.
#[derive(Clone, Copy)]
struct Fields {
    health_path: RwSignal<String>,
    health_timeout: RwSignal<String>,
    kept: RwSignal<String>,
    limited: RwSignal<bool>,
    cpu_request: RwSignal<String>,
    cpu_limit: RwSignal<String>,
    memory_request: RwSignal<String>,
    memory_limit: RwSignal<String>,
}

impl Fields {
    fn new(start: &Draft) -> Self {
        let field = |v: &String| RwSignal::new(v.clone());
        Self {
            health_path: field(&start.health_path),
            health_timeout: field(&start.health_timeout),
            kept: field(&start.kept),
            limited: RwSignal::new(start.limited),
            cpu_request: field(&start.cpu_request),
            cpu_limit: field(&start.cpu_limit),
            memory_request: field(&start.memory_request),
            memory_limit: field(&start.memory_limit),
        }
    }

    /// What is typed now (tracked).
    fn typed(self) -> Draft {
        Draft {
            health_path: self.health_path.get(),
            health_timeout: self.health_timeout.get(),
            kept: self.kept.get(),
            limited: self.limited.get(),
            cpu_request: self.cpu_request.get(),
            cpu_limit: self.cpu_limit.get(),
            memory_request: self.memory_request.get(),
            memory_limit: self.memory_limit.get(),
        }
    }
}

/// Where the panel says how a save went.
#[derive(Clone, Copy)]
struct Said {
    notice: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
    reload: Callback<()>,
}

/// Sends `patch` for environment `id`; the draft is dropped once it is saved.
fn save_settings(
    id: String,
    env_name: String,
    patch: EnvironmentPatch,
    state: SettingsState,
    saving: RwSignal<bool>,
    said: Said,
) {
    let auth = use_auth();
    saving.set(true);
    said.error.set(None);
    spawn_local(async move {
        let result = auth
            .call(move |c| {
                let (id, patch) = (id.clone(), patch.clone());
                async move { c.update_environment(&id, &patch, None).await }
            })
            .await;
        saving.try_set(false);
        match result {
            Ok(_) => {
                state.draft.try_set(None);
                said.notice.try_set(Some(format!(
                    "The deploy settings of {env_name} are saved: they apply from the next deploy."
                )));
                let _ = said.reload.try_run(());
            }
            Err(err) => drop(said.error.try_set(Some(err.message()))),
        }
    });
}

/// The settings as a line.
fn summary(env: &Environment) -> String {
    let limits = env.resources.map_or_else(
        || "no CPU or memory limits set".to_owned(),
        |r| {
            format!(
                "CPU {}m to {}m · memory {} to {} MiB",
                r.cpu_request_millis, r.cpu_limit_millis, r.memory_request_mib, r.memory_limit_mib
            )
        },
    );
    format!(
        "Health {} within {} s · keeps {} releases · {limits}",
        env.health_path.as_deref().unwrap_or("(the template's)"),
        env.health_timeout_secs,
        env.releases_kept,
    )
}

/// The form's fields, their ids ending in `-{name}`.
fn fields_view(name: &str, fields: Fields) -> impl IntoView + use<> {
    let Fields {
        health_path,
        health_timeout,
        kept,
        limited,
        cpu_request,
        cpu_limit,
        memory_request,
        memory_limit,
    } = fields;
    let id = |f: &str| format!("{f}-{name}");
    let path_field = id("health-path");
    let limits = [
        (
            "cpu-request",
            "CPU asked (millicores)",
            (10, 64_000),
            cpu_request,
        ),
        (
            "cpu-limit",
            "CPU limit (millicores)",
            (10, 64_000),
            cpu_limit,
        ),
        (
            "memory-request",
            "Memory asked (MiB)",
            (16, 262_144),
            memory_request,
        ),
        (
            "memory-limit",
            "Memory limit (MiB)",
            (16, 262_144),
            memory_limit,
        ),
    ]
    .map(|(f, label, range, value)| (id(f), label, range, value));
    view! {
        <div class="field-row">
            <div class="field">
                <label for=path_field.clone()>"Health path"</label>
                <input class="input mono" id=path_field autocomplete="off" placeholder="The template's (e.g. /healthz)"
                    prop:value=move || health_path.get() on:input=move |ev| health_path.set(event_target_value(&ev)) />
            </div>
            {number_field(id("health-timeout"), "Healthy within (s)", (5, 1800), health_timeout)}
            {number_field(id("releases-kept"), "Releases kept", (2, 100), kept)}
        </div>
        <label class="check">
            <input type="checkbox" id=id("limited") prop:checked=move || limited.get()
                on:change=move |ev| limited.set(event_target_checked(&ev)) />
            " Limit CPU and memory"
        </label>
        {move || limited.get().then(|| view! {
            <div class="field-row">
                {limits
                    .clone()
                    .map(|(id, label, range, value)| number_field(id, label, range, value))
                    .collect_view()}
            </div>
        })}
    }
}

/// The settings, `#settings-{env}`: a form for whoever deploys to the environment (opened by
/// `#settings-toggle-{env}`), a line for the others.
#[component]
pub fn EnvironmentSettings(
    env: Environment,
    /// Whether the viewer deploys to it (and so may change them).
    may_change: bool,
    state: SettingsState,
    notice: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let line = summary(&env);
    let name = env.name.clone();
    if !may_change {
        return view! {
            <p class="muted deploy-settings" id=format!("settings-{name}")>{line}</p>
        }
        .into_any();
    }
    let (base, start) = state
        .draft
        .get_untracked()
        .unwrap_or_else(|| (Draft::of(&env), Draft::of(&env)));
    let fields = Fields::new(&start);
    let typed = move || fields.typed();
    // What is typed outlives the panel being drawn again.
    let began = base.clone();
    Effect::new(move |_| {
        let now = typed();
        state
            .draft
            .set((now != began).then(|| (began.clone(), now)));
    });
    let saving = RwSignal::new(false);
    let env_name = name.clone();
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        let patch = untrack(typed).patch(&base);
        if patch == EnvironmentPatch::default() {
            notice.set(Some(format!(
                "The deploy settings of {env_name} are as they were."
            )));
            return;
        }
        let said = Said {
            notice,
            error,
            reload,
        };
        save_settings(env.id.clone(), env_name.clone(), patch, state, saving, said);
    };
    let form_label = format!("Deploy settings of {name}");
    let toggle_label = format!("Deploy settings of {name}");
    let save_id = format!("save-settings-{name}");
    let panel_id = format!("settings-{name}");
    let toggle_id = format!("settings-toggle-{name}");
    let save_label = format!("Save the deploy settings of {name}");
    view! {
        <div class="deploy-settings" id=panel_id>
            <button type="button" class="button button-small" id=toggle_id
                aria-label=toggle_label aria-expanded=move || state.open.get().to_string()
                on:click=move |_| state.open.update(|o| *o = !*o)>
                "Deploy settings"
            </button>
            <span class="cell-sub">" "{line}</span>
            <Show when=move || state.open.get()>
                <form class="form settings-form" novalidate=true on:submit=save.clone() aria-label=form_label.clone()>
                    {fields_view(&name, fields)}
                    <p class="muted">"Older releases than those kept are let go after the next deploy, and their images removed from a container host unless a kept release runs them."</p>
                    <div class="form-actions">
                        <button type="submit" class="button button-small" id=save_id.clone()
                            aria-label=save_label.clone() disabled=move || saving.get()>
                            {move || if saving.get() { "Saving…" } else { "Save settings" }}
                        </button>
                    </div>
                </form>
            </Show>
        </div>
    }
    .into_any()
}
