//! An environment's configuration on its panel (issue 12, point 5): its variables as a `.env`
//! text with their versions (compare any two, bring one back), its secrets (write-only: set,
//! delete, reveal behind a fresh code), and a banner offering the redeploy when the live
//! release runs another configuration than a deploy made now would.
//!
//! What the person typed or was shown lives in a [`ConfigState`] kept by the board, so that it
//! survives the panels being drawn again when a release or an environment changes.

use gmac_types::variables::{
    RevealedSecret, SecretInfo, VariableChangeKind, VariableScope, VariableSet, VariablesDiff,
    parse_dotenv, to_dotenv,
};
use gmac_types::{ErrorCode, PageQuery, Permission};
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::describe;
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::modal::Confirm;
use crate::live::use_live;
use crate::state::{Auth, use_auth};

/// How long a revealed value stays on the page.
const REVEALED_FOR: std::time::Duration = std::time::Duration::from_secs(30);

/// A configuration section's state, kept by the board.
#[derive(Clone, Copy, Debug)]
pub struct ConfigState {
    notice: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
    /// The variables' text as edited.
    text: RwSignal<String>,
    /// Whether `text` holds edits not saved yet (a reload then leaves it alone).
    dirty: RwSignal<bool>,
    /// The version `text` was read from, sent as `If-Match` (none: take the newest read).
    base: RwSignal<Option<i64>>,
    /// The newest version read.
    loaded: RwSignal<Option<VariableSet>>,
    /// The version chosen to compare with the newest, or to bring back (`""`: none chosen).
    from: RwSignal<String>,
    diff: RwSignal<Option<VariablesDiff>>,
    /// The secret whose reveal form is open.
    revealing: RwSignal<Option<String>>,
    /// A revealed secret: its name, version and value.
    revealed: RwSignal<Option<(String, i64, String)>>,
    code: RwSignal<String>,
    secret_name: RwSignal<String>,
    secret_value: RwSignal<String>,
    /// Bumped to read the variables again.
    variables_read: RwSignal<u32>,
    /// Bumped to read the secrets again.
    secrets_read: RwSignal<u32>,
}

impl Default for ConfigState {
    fn default() -> Self {
        Self {
            notice: RwSignal::new(None),
            error: RwSignal::new(None),
            text: RwSignal::new(String::new()),
            dirty: RwSignal::new(false),
            base: RwSignal::new(None),
            loaded: RwSignal::new(None),
            from: RwSignal::new(String::new()),
            diff: RwSignal::new(None),
            revealing: RwSignal::new(None),
            revealed: RwSignal::new(None),
            code: RwSignal::new(String::new()),
            secret_name: RwSignal::new(String::new()),
            secret_value: RwSignal::new(String::new()),
            variables_read: RwSignal::new(0),
            secrets_read: RwSignal::new(0),
        }
    }
}

/// The configuration section of environment `env_id` (named `name` in ids: `staging`).
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the variables, their versions and the secrets share the section's state"
)]
pub fn EnvironmentConfig(
    /// The environment's id.
    #[prop(into)]
    env_id: Signal<String>,
    /// Its name, as ids on the page carry it (`staging`).
    #[prop(into)]
    name: Signal<String>,
    /// Whether the caller may change it (deploys to the environment).
    may_change: bool,
    /// Whether a redeploy can start (a release serves and the environment has a target).
    can_redeploy: bool,
    /// Whether a rollout started here is under way.
    busy: RwSignal<bool>,
    /// Deploys the live release's build or image again with the newest configuration.
    redeploy: Callback<()>,
    /// The board's confirmation dialog.
    confirm: RwSignal<Option<Confirm>>,
    /// What the section keeps across redraws.
    state: ConfigState,
) -> impl IntoView {
    let auth = use_auth();
    let (env_id, name) = (env_id.get_untracked(), name.get_untracked());
    let ConfigState {
        notice,
        error,
        text,
        dirty,
        base,
        loaded,
        from,
        diff,
        revealing,
        revealed,
        code,
        secret_name,
        secret_value,
        variables_read,
        secrets_read,
    } = state;
    let reveals = may_reveal(auth);
    if let Some(live) = use_live() {
        // An event names its subject as `kind/id`.
        let own = format!("environment/{env_id}");
        live.on(
            &["environment.variables", "environment.secret_"],
            move |event| {
                if event.subject.as_deref() == Some(own.as_str()) {
                    variables_read.update(|v| *v += 1);
                    secrets_read.update(|v| *v += 1);
                }
            },
        );
        // What it inherits changes with its project's, groups' and service's variables and
        // secrets.
        live.on(
            &[
                "project.variables",
                "service.variables",
                "service.variable_groups",
                "project.secret_set",
                "project.secret_delete",
                "service.secret_set",
                "service.secret_delete",
                "variable_group.",
            ],
            move |_| variables_read.update(|v| *v += 1),
        );
    }
    let env_for_vars = env_id.clone();
    let variables = LocalResource::new(move || {
        // A read that a newer one overtook writes nothing.
        let asked = variables_read.get();
        let id = env_for_vars.clone();
        async move {
            let result = auth
                .call(move |c| {
                    let id = id.clone();
                    async move { c.get_variables(&id, None).await }
                })
                .await
                .map_err(|err| describe(&err));
            if let Ok(set) = &result
                && variables_read.try_get_untracked() == Some(asked)
            {
                take_read((dirty, text, base), &set.variables, set.latest_version);
                loaded.try_set(Some(set.clone()));
            }
            result.map(drop)
        }
    });
    let env_for_secrets = env_id.clone();
    let secrets = LocalResource::new(move || {
        secrets_read.track();
        let id = env_for_secrets.clone();
        async move {
            auth.call(move |c| {
                let id = id.clone();
                async move { c.list_secrets(&id, &PageQuery::after(200, None)).await }
            })
            .await
            .map(|page| page.items)
            .map_err(|err| describe(&err))
        }
    });

    let env_for_save = env_id.clone();
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let parsed = match parse_dotenv(&text.get_untracked()) {
            Ok(parsed) => parsed,
            Err(message) => {
                error.set(Some(format!("The variables do not read: {message}.")));
                return;
            }
        };
        let expected = base.get_untracked().unwrap_or(0);
        let id = env_for_save.clone();
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (id, parsed) = (id.clone(), parsed.clone());
                    async move { c.set_variables(&id, &parsed, Some(expected)).await }
                })
                .await;
            match result {
                Ok(set) => {
                    notice.try_set(Some(format!(
                        "Saved as version {}. It applies on the next deploy.",
                        set.version
                    )));
                    dirty.try_set(false);
                    diff.try_set(None);
                    variables_read.update(|v| *v += 1);
                }
                Err(err) if crate::api::is(&err, ErrorCode::PreconditionFailed) => {
                    // Kept as typed; the next save replaces the newest version.
                    base.try_set(None);
                    variables_read.update(|v| *v += 1);
                    error.try_set(Some(
                        "Someone saved the variables meanwhile. Your text is kept: compare it with the newest version, then save again to replace it.".to_owned(),
                    ));
                }
                Err(err) => drop(error.try_set(Some(field_message(&err)))),
            }
        });
    };

    let versions = environment_versions(&env_id, notice, error, dirty, variables_read);
    let latest_version =
        Signal::derive(move || loaded.with(|s| s.as_ref().map_or(0, |s| s.latest_version)));

    let env_for_secret = env_id.clone();
    let set_secret = move |ev: SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let (key, value) = (
            secret_name.get_untracked().trim().to_owned(),
            secret_value.get_untracked(),
        );
        let id = env_for_secret.clone();
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (id, key, value) = (id.clone(), key.clone(), value.clone());
                    async move { c.set_secret(&id, &key, &value).await }
                })
                .await;
            match result {
                Ok(info) => {
                    // The value leaves the page as soon as it is stored.
                    secret_value.try_set(String::new());
                    secret_name.try_set(String::new());
                    revealed.try_set(None);
                    notice.try_set(Some(format!(
                        "Secret {} saved as version {}. It applies on the next deploy.",
                        info.name, info.version
                    )));
                    secrets_read.update(|v| *v += 1);
                    variables_read.update(|v| *v += 1);
                }
                Err(err) => drop(error.try_set(Some(field_message(&err)))),
            }
        });
    };

    let env_for_reveal = env_id.clone();
    let reveal = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(key) = revealing.get_untracked() else {
            return;
        };
        let typed = code.get_untracked().trim().to_owned();
        let id = env_for_reveal.clone();
        error.set(None);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (id, key, typed) = (id.clone(), key.clone(), typed.clone());
                    async move { c.reveal_secret(&id, &key, &typed).await }
                })
                .await;
            code.try_set(String::new());
            match result {
                Ok(secret) => show_revealed((revealing, revealed), secret),
                Err(err) => drop(error.try_set(Some(err.message()))),
            }
        });
    };
    let env_for_delete = env_id.clone();
    let env_name = name.clone();
    let delete = Callback::new(move |key: String| {
        let id = env_for_delete.clone();
        confirm.set(Some(Confirm::danger(
            format!("Delete secret {key} of {env_name}?"),
            "The next deploy runs without it. Releases that ran it keep their version, so a rollback to one brings it back.".to_owned(),
            "Delete",
            move || {
                let (id, key) = (id.clone(), key.clone());
                error.set(None);
                spawn_local(async move {
                    let said = key.clone();
                    let result = auth
                        .call(move |c| {
                            let (id, key) = (id.clone(), key.clone());
                            async move { c.delete_secret(&id, &key).await }
                        })
                        .await;
                    match result {
                        Ok(()) => {
                            revealed.try_set(None);
                            notice.try_set(Some(format!(
                                "Secret {said} deleted. It applies on the next deploy."
                            )));
                            secrets_read.update(|v| *v += 1);
                            variables_read.update(|v| *v += 1);
                        }
                        Err(err) => drop(error.try_set(Some(err.message()))),
                    }
                });
            },
        )));
    });

    let pending = move || loaded.with(|s| s.as_ref().is_some_and(|s| s.pending));
    let vars_id = format!("variables-{name}");
    let vars_label = format!("Variables of {name}, one NAME=value a line");
    let save_label = format!("Save the variables of {name}");
    let secret_name_id = format!("secret-name-{name}");
    let secret_value_id = format!("secret-value-{name}");
    let secret_save_label = format!("Save the secret of {name}");
    let secrets_id = format!("secrets-{name}");
    let redeploy_label = format!("Redeploy {name} with its newest configuration");
    let section_label = format!("Configuration of {name}");
    let inherited_id = format!("inherited-{name}");
    let for_secrets = name.clone();
    let for_reveal = name.clone();
    view! {
        <section class="environment-config" aria-label=section_label data-config=name.clone()>
            <h4 class="subhead">"Configuration"</h4>
            <NoticeBanner message=notice />
            <ErrorBanner message=error />
            <Show when=pending>
                <div class="banner pending-config" role="status">
                    <span>"The live release runs an older configuration. It applies on the next deploy."</span>
                    {(may_change && can_redeploy).then(|| view! {
                        <button type="button" class="button button-small" aria-label=redeploy_label.clone()
                            disabled=move || busy.get() on:click=move |_| redeploy.run(())>
                            {move || if busy.get() { "Redeploying…" } else { "Redeploy" }}
                        </button>
                    })}
                </div>
            </Show>
            {move || match variables.get() {
                None => view! { <p class="muted">"Loading the variables…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="field-error">{message}</p> }.into_any(),
                Some(Ok(())) => view! {
                    <p class="muted" data-field="variables-version">
                        {move || loaded.with(|s| match s {
                            Some(s) if s.latest_version > 0 => format!("Version {} of the variables.", s.latest_version),
                            _ => "No variables yet.".to_owned(),
                        })}
                    </p>
                }.into_any(),
            }}
            <Show when=move || loaded.with(Option::is_some)>
                <form class="form" novalidate=true on:submit=save.clone()>
                    <div class="field">
                        <label for=vars_id.clone()>"Variables"</label>
                        <textarea class="input mono" id=vars_id.clone() rows="5" spellcheck="false" aria-label=vars_label.clone()
                            readonly=!may_change placeholder="NAME=value"
                            prop:value=move || text.get()
                            on:input=move |ev| {
                                text.set(event_target_value(&ev));
                                dirty.set(true);
                            }></textarea>
                    </div>
                    {may_change.then(|| view! {
                        <div class="form-actions">
                            <button type="submit" class="button" aria-label=save_label.clone()>"Save variables"</button>
                        </div>
                    })}
                </form>
            </Show>
            {move || inherited_view(loaded, &inherited_id)}
            <VersionCompare prefix="variables" key=name.clone() noun=name.clone() latest_version
                may_change from diff error calls=versions />
            <h5 class="subhead">"Secrets"</h5>
            {move || secrets.get().map(|listed| match listed {
                Err(message) => view! { <p class="field-error">{message}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="muted">"No secrets."</p> }.into_any(),
                Ok(list) => view! {
                    <ul class="plain-list secret-list" id=secrets_id.clone()>
                        {list.into_iter().map(|s| secret_row(&s, (&for_secrets, &for_secrets), reveals, may_change, revealing, revealed, delete)).collect_view()}
                    </ul>
                }.into_any(),
            })}
            {move || revealing.get().map(|key| reveal_form(&key, (&for_reveal, &for_reveal), code, revealing, reveal.clone()))}
            {may_change.then(|| view! {
                <form class="inline-form" novalidate=true on:submit=set_secret>
                    <label for=secret_name_id.clone()>"Secret"</label>
                    <input class="input mono" id=secret_name_id.clone() placeholder="NAME" autocomplete="off"
                        prop:value=move || secret_name.get() on:input=move |ev| secret_name.set(event_target_value(&ev)) />
                    <label class="visually-hidden" for=secret_value_id.clone()>"Its value"</label>
                    <input class="input mono" type="password" id=secret_value_id.clone() placeholder="value" autocomplete="new-password"
                        prop:value=move || secret_value.get() on:input=move |ev| secret_value.set(event_target_value(&ev)) />
                    <button type="submit" class="button button-small" aria-label=secret_save_label.clone()>"Save secret"</button>
                </form>
            })}
            {reveal_needs_mfa(auth, reveals)}
        </section>
    }
}

/// How the environment's variables are compared and brought back, and what follows a rollback:
/// a notice, the editor emptied of edits, the variables read again.
fn environment_versions(
    env_id: &str,
    notice: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
    dirty: RwSignal<bool>,
    variables_read: RwSignal<u32>,
) -> VersionCalls {
    let auth = use_auth();
    let (for_diff, for_rollback) = (env_id.to_owned(), env_id.to_owned());
    VersionCalls::new(
        move |from, to| {
            let id = for_diff.clone();
            async move {
                auth.call(move |c| {
                    let id = id.clone();
                    async move { c.diff_variables(&id, from, to).await }
                })
                .await
                .map_err(|err| err.message())
            }
        },
        move |version| {
            let id = for_rollback.clone();
            async move {
                auth.call(move |c| {
                    let id = id.clone();
                    async move { c.rollback_variables(&id, version).await }
                })
                .await
                .map(|set| set.version)
                .map_err(|err| field_message(&err))
            }
        },
        move |old, new| {
            error.try_set(None);
            notice.try_set(Some(format!(
                "Version {old} is back as version {new}. It applies on the next deploy."
            )));
            dirty.try_set(false);
            variables_read.try_update(|v| *v += 1);
        },
    )
}

type DiffCall = Rc<dyn Fn(i64, i64) -> LocalBoxFuture<'static, Result<VariablesDiff, String>>>;
type RollbackCall = Rc<dyn Fn(u32) -> LocalBoxFuture<'static, Result<i64, String>>>;

/// What a [`VersionCompare`] calls: the changes between two versions, a version brought back,
/// and what follows a rollback. `Copy`.
#[derive(Clone, Copy)]
pub struct VersionCalls {
    diff: StoredValue<DiffCall, LocalStorage>,
    rollback: StoredValue<RollbackCall, LocalStorage>,
    after_rollback: Callback<(u32, i64)>,
}

impl std::fmt::Debug for VersionCalls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VersionCalls")
    }
}

impl VersionCalls {
    /// `diff(from, to)` reads the changes from version `from` to version `to`;
    /// `rollback(version)` brings `version` back as a new one and gives its number;
    /// `after_rollback(old, new)` then tells the person and reads the variables again. Each
    /// failure is said in a person's words.
    pub fn new<D, DFut, R, RFut>(
        diff: D,
        rollback: R,
        after_rollback: impl Fn(u32, i64) + Send + Sync + 'static,
    ) -> Self
    where
        D: Fn(i64, i64) -> DFut + 'static,
        DFut: Future<Output = Result<VariablesDiff, String>> + 'static,
        R: Fn(u32) -> RFut + 'static,
        RFut: Future<Output = Result<i64, String>> + 'static,
    {
        let diff: DiffCall = Rc::new(move |from, to| Box::pin(diff(from, to)));
        let rollback: RollbackCall = Rc::new(move |version| Box::pin(rollback(version)));
        Self {
            diff: StoredValue::new_local(diff),
            rollback: StoredValue::new_local(rollback),
            after_rollback: Callback::new(move |(old, new)| after_rollback(old, new)),
        }
    }
}

/// An earlier version of a set of variables compared with the newest (the choice
/// `#{prefix}-from-{key}`, the changes `#{prefix}-diff-{key}`), and brought back as a new
/// version. Shown once there are two versions.
#[component]
pub fn VersionCompare(
    /// What the ids start with: `variables`, `shared`.
    prefix: &'static str,
    /// What they end with: an environment's name, a shared editor's key.
    key: String,
    /// Whose variables, in the buttons' labels: `staging`, `group observability`.
    noun: String,
    /// The newest version (0: none).
    #[prop(into)]
    latest_version: Signal<i64>,
    /// Whether the caller may bring a version back.
    may_change: bool,
    /// The version chosen (`""`: none chosen).
    from: RwSignal<String>,
    /// The changes shown.
    diff: RwSignal<Option<VariablesDiff>>,
    /// Where a failure is said.
    error: RwSignal<Option<String>>,
    /// What it calls.
    calls: VersionCalls,
) -> impl IntoView {
    let latest = Memo::new(move |_| latest_version.get());
    let working = RwSignal::new(false);
    let compare = move |_| {
        let Ok(from_version) = from.get_untracked().parse::<i64>() else {
            return;
        };
        let to = latest.get_untracked();
        let Some(asked) = calls.diff.try_with_value(|call| call(from_version, to)) else {
            return;
        };
        error.set(None);
        working.set(true);
        spawn_local(async move {
            let result = asked.await;
            working.try_set(false);
            match result {
                Ok(d) => drop(diff.try_set(Some(d))),
                Err(message) => drop(error.try_set(Some(message))),
            }
        });
    };
    let restore = move |_| {
        let Ok(old) = from.get_untracked().parse::<u32>() else {
            return;
        };
        let Some(asked) = calls.rollback.try_with_value(|call| call(old)) else {
            return;
        };
        error.set(None);
        working.set(true);
        spawn_local(async move {
            let result = asked.await;
            working.try_set(false);
            match result {
                Ok(new) => {
                    diff.try_set(None);
                    from.try_set(String::new());
                    calls.after_rollback.try_run((old, new));
                }
                Err(message) => drop(error.try_set(Some(message))),
            }
        });
    };
    let from_id = format!("{prefix}-from-{key}");
    view! {
        {move || (latest.get() > 1).then(|| {
            let newest = latest.get_untracked();
            let options = (0..newest)
                .map(|v| view! { <option value=v.to_string()>{if v == 0 { "none".to_owned() } else { format!("version {v}") }}</option> })
                .collect_view();
            view! {
                <div class="inline-form version-compare">
                    <label for=from_id.clone()>"Compare version"</label>
                    <select class="select" id=from_id.clone() prop:value=move || from.get() on:change=move |ev| from.set(event_target_value(&ev))>
                        <option value="">"choose…"</option>
                        {options}
                    </select>
                    <span class="muted">{format!("with version {newest}")}</span>
                    <button type="button" class="button button-small" aria-label=format!("Compare the variables of {noun}")
                        disabled=move || working.get() || from.with(String::is_empty) on:click=compare>"Compare"</button>
                    {may_change.then(|| view! {
                        <button type="button" class="button button-small" aria-label=format!("Bring back the chosen version of {noun}'s variables")
                            disabled=move || working.get() || from.with(|f| f.is_empty() || f == "0") on:click=restore>"Bring it back"</button>
                    })}
                </div>
            }
        })}
        {move || diff.get().map(|d| diff_list(d, &format!("{prefix}-diff-{key}")))}
    }
}

/// The changes from one version to another (`#{id}`): each variable added, removed or changed.
fn diff_list(d: VariablesDiff, id: &str) -> impl IntoView + use<> {
    let items = d
        .changes
        .into_iter()
        .map(|c| {
            let (mark, class) = match c.change {
                VariableChangeKind::Added => ("+", "diff-added"),
                VariableChangeKind::Removed => ("−", "diff-removed"),
                VariableChangeKind::Changed => ("~", "diff-changed"),
            };
            let text = match c.change {
                VariableChangeKind::Added => {
                    format!("{} = {}", c.name, c.after.unwrap_or_default())
                }
                VariableChangeKind::Removed => {
                    format!("{} = {}", c.name, c.before.unwrap_or_default())
                }
                VariableChangeKind::Changed => format!(
                    "{}: {} → {}",
                    c.name,
                    c.before.unwrap_or_default(),
                    c.after.unwrap_or_default()
                ),
            };
            view! { <li class=format!("mono {class}") data-name=c.name.clone()>{format!("{mark} {text}")}</li> }
        })
        .collect_view();
    let none = items
        .is_empty()
        .then(|| view! { <li class="muted">"No difference."</li> });
    view! {
        <p class="muted">{format!("Changes from version {} to version {}:", d.from, d.to)}</p>
        <ul class="plain-list variable-diff" id=id.to_owned()>{none}{items}</ul>
    }
}

/// Fills a variables editor from a read: its text, unless edits not saved yet are there, and
/// the version a save goes against (the one read, when edits began before the first read
/// ended). The editor may be gone by the time a read ends: its signals are used with `try_`.
pub fn take_read(
    (dirty, text, base): (RwSignal<bool>, RwSignal<String>, RwSignal<Option<i64>>),
    variables: &std::collections::BTreeMap<String, String>,
    latest_version: i64,
) {
    if !dirty.try_get_untracked().unwrap_or(true) {
        text.try_set(to_dotenv(variables));
        base.try_set(Some(latest_version));
    } else if base.try_get_untracked().flatten().is_none() {
        base.try_set(Some(latest_version));
    }
}

/// What the environment gets from its project and service (`#inherited-{env}`), widest
/// first, each struck through when a narrower scope overrides it.
fn inherited_view(
    loaded: RwSignal<Option<VariableSet>>,
    id: &str,
) -> Option<impl IntoView + use<>> {
    let list = loaded.with(|s| s.as_ref().map(|s| s.inherited.clone()))?;
    if list.is_empty() {
        return None;
    }
    let items = list
        .into_iter()
        .map(|v| {
            let note = match v.overridden_by {
                Some(VariableScope::Group) => " (a later group's wins)",
                Some(VariableScope::Service) => " (the service's wins)",
                Some(VariableScope::Environment) => " (the environment's own wins)",
                Some(VariableScope::Secret) => " (a secret wins)",
                Some(VariableScope::Project) | None => "",
            };
            let class = if v.overridden_by.is_some() {
                "mono overridden"
            } else {
                "mono"
            };
            let from = match &v.group_name {
                Some(group) => format!("group {group}"),
                None if v.secret => format!("{} secret", v.scope.id()),
                None => v.scope.id().to_owned(),
            };
            // A shared secret's value is never sent: only that it is set.
            let value = if v.secret {
                "••••••"
            } else {
                v.value.as_str()
            };
            let text = format!("{} = {value} · {from} version {}{note}", v.name, v.version);
            view! {
                <li class=class data-name=v.name data-scope=v.scope.id()
                    data-secret=v.secret.to_string()
                    data-overridden=v.overridden_by.is_some().to_string()>{text}</li>
            }
        })
        .collect_view();
    Some(view! {
        <p class="muted">"Shared with it, widest first: the project's variables and secrets, its groups' in order, then the service's variables and secrets (all set further down this page). Its own variables and secrets win over them."</p>
        <ul class="plain-list inherited-variables" id=id.to_owned()>{items}</ul>
    })
}

/// A revealed secret: its name, version and value.
pub type Revealed = RwSignal<Option<(String, i64, String)>>;

/// Whether the caller may reveal a secret: it needs the permission and a second factor to give.
pub fn may_reveal(auth: Auth) -> bool {
    auth.can_untracked(Permission::SecretsReveal)
        && auth.with_me_untracked(|m| m.is_some_and(|m| m.mfa_enabled))
}

/// Why no Reveal button shows for someone who holds the permission but has no second factor.
pub fn reveal_needs_mfa(auth: Auth, reveals: bool) -> Option<impl IntoView + use<>> {
    (!reveals && auth.can_untracked(Permission::SecretsReveal)).then(|| {
        view! {
            <p class="muted">"Set up two-step verification under Security to reveal secrets."</p>
        }
    })
}

/// Shows a revealed secret's value in place of its dots, and closes the reveal form; the value
/// leaves the page after a while, unless another took its place.
pub fn show_revealed(
    (revealing, revealed): (RwSignal<Option<String>>, Revealed),
    secret: RevealedSecret,
) {
    revealing.try_set(None);
    let shown = (
        secret.name,
        secret.version,
        secret.value.expose().to_owned(),
    );
    revealed.try_set(Some(shown.clone()));
    set_timeout(
        move || {
            if revealed.try_get_untracked().flatten().as_ref() == Some(&shown) {
                revealed.try_set(None);
            }
        },
        REVEALED_FOR,
    );
}

/// The form asking for a code of the authenticator app to reveal secret `key` (its input
/// `#reveal-code-{ids}`), with a Cancel button.
pub fn reveal_form<F: Fn(SubmitEvent) + 'static>(
    key: &str,
    (ids, whose): (&str, &str),
    code: RwSignal<String>,
    revealing: RwSignal<Option<String>>,
    reveal: F,
) -> impl IntoView + use<F> {
    let code_id = format!("reveal-code-{ids}");
    view! {
        <form class="inline-form" novalidate=true on:submit=reveal>
            <label for=code_id.clone()>{format!("A code of your authenticator app to reveal {key}")}</label>
            <input class="input mono" id=code_id inputmode="numeric" autocomplete="one-time-code" maxlength="8"
                prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
            <button type="submit" class="button button-small" aria-label=format!("Reveal {key} of {whose} with this code")>"Reveal"</button>
            <button type="button" class="button button-small" aria-label=format!("Cancel revealing {key} of {whose}")
                on:click=move |_| revealing.set(None)>"Cancel"</button>
        </form>
    }
}

/// One secret of the list (`#{ids}-secret-{name}`): its name, version, whether a deploy still
/// has to apply it, its value while revealed, and its buttons (`#reveal-{ids}-{name}`,
/// `#delete-{ids}-{name}`), labelled as `whose` secret it is.
pub fn secret_row(
    secret: &SecretInfo,
    (ids, whose): (&str, &str),
    reveals: bool,
    may_change: bool,
    revealing: RwSignal<Option<String>>,
    revealed: Revealed,
    delete: Callback<String>,
) -> impl IntoView + use<> {
    let (name, version) = (secret.name.clone(), secret.version);
    let shown = {
        let name = name.clone();
        move || {
            revealed.with(|r| {
                r.as_ref()
                    .filter(|(n, v, _)| *n == name && *v == version)
                    .map(|(_, _, value)| value.clone())
            })
        }
    };
    let is_shown = shown.clone();
    let reveal_label = format!("Reveal {name} of {whose}");
    let hide_label = format!("Hide {name} of {whose}");
    let delete_label = format!("Delete secret {name} of {whose}");
    let (reveal_id, delete_id) = (
        format!("reveal-{ids}-{name}"),
        format!("delete-{ids}-{name}"),
    );
    let (for_reveal, for_delete) = (name.clone(), name.clone());
    view! {
        <li id=format!("{ids}-secret-{name}") data-secret=name.clone() data-version=version>
            <span class="mono">{name.clone()}</span>
            " "
            <span class="cell-sub">{format!("version {version}")}</span>
            {secret.pending.then(|| view! { <span class="badge badge-warning">"Not deployed yet"</span> })}
            <span class="mono secret-value">{move || shown().unwrap_or_else(|| "••••••".to_owned())}</span>
            {reveals.then(|| view! {
                <Show
                    when=move || is_shown().is_some()
                    fallback=move || {
                        let key = for_reveal.clone();
                        view! {
                            <button type="button" class="button button-small" id=reveal_id.clone() aria-label=reveal_label.clone()
                                on:click=move |_| revealing.set(Some(key.clone()))>"Reveal"</button>
                        }
                    }
                >
                    <button type="button" class="button button-small" aria-label=hide_label.clone()
                        on:click=move |_| revealed.set(None)>"Hide"</button>
                </Show>
            })}
            {may_change.then(|| view! {
                <button type="button" class="button button-small button-danger" id=delete_id aria-label=delete_label
                    on:click=move |_| delete.run(for_delete.clone())>"Delete"</button>
            })}
        </li>
    }
}

/// A refusal for a person, with each refused field's own words when there are some.
pub fn field_message(err: &gmac_client::ApiError) -> String {
    match err {
        gmac_client::ApiError::Problem(p) if !p.errors.is_empty() => p
            .errors
            .iter()
            .map(|e| e.detail.clone())
            .collect::<Vec<_>>()
            .join(" "),
        other => other.message(),
    }
}
