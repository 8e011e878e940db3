//! Importing a FOCUS file (for those who manage costs): the client it belongs to, the file,
//! whether to skip invalid rows; then what came of it.

use gmac_client::ApiError;
use gmac_types::{
    Client, CostImport, CostImportParams, FieldError, Job, JobStatus, OnRowError, PageQuery,
};
use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FieldMessages, FormErrors, SubmitButton};
use crate::js;
use crate::pages::SubmittedForm;
use crate::pages::costs::Dashboard;
use crate::pages::costs::import_result::{ImportResult, Outcome, RowProblem};
use crate::pages::costs::imports::RecentImports;
use crate::state::{Auth, use_auth};

/// The fields of the form, as the server names them.
const FIELDS: [&str; 4] = ["client_id", "on_error", "file_name", "file"];

/// The lines a refused file was refused for (from `errors[].pointer` such as
/// `/lines/17/BilledCost`), if that is why.
fn refusal(err: &ApiError) -> Option<Outcome> {
    let rows: Vec<RowProblem> = err
        .problem()?
        .errors
        .iter()
        .filter_map(|e| RowProblem::from_pointer(&e.pointer, &e.detail))
        .collect();
    (!rows.is_empty()).then_some(Outcome::Refused(rows))
}

/// Why a followed import did not end in an import.
enum Ended {
    /// A request failed.
    Api(ApiError),
    /// The job failed (or was cancelled); its error.
    Failed(String),
}

/// Follows `job` until it ends, showing its progress; answers the finished job.
async fn follow(auth: Auth, job: Job, progress: RwSignal<Option<Job>>) -> Result<Job, Ended> {
    crate::api::follow_job(
        auth,
        job,
        |job| job.status.is_finished(),
        |job| progress.set(Some(job.clone())),
        None,
    )
    .await
    .map_err(Ended::Api)
}

/// The import a finished job made (read back from the client's imports).
async fn finished(auth: Auth, job: Job, client_id: String) -> Result<(CostImport, bool), Ended> {
    if job.status != JobStatus::Succeeded {
        return Err(Ended::Failed(
            job.error.unwrap_or_else(|| "it was cancelled".to_owned()),
        ));
    }
    let result = job.result.unwrap_or_default();
    let import_id = result
        .get("import_id")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let created = result
        .get("created")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(true);
    let page = auth
        .call(move |c| {
            let client_id = client_id.clone();
            async move {
                c.list_cost_imports(
                    Some(&client_id),
                    &PageQuery {
                        limit: Some(100),
                        cursor: None,
                    },
                )
                .await
            }
        })
        .await
        .map_err(Ended::Api)?;
    page.items
        .into_iter()
        .find(|i| i.id == import_id)
        .map(|i| (i, created))
        .ok_or_else(|| Ended::Failed("its import is not among the client's".to_owned()))
}

/// The lines a file was refused for, from a failed job's error (`/lines/17/BilledCost: …;
/// …`), if that is why.
fn refusal_of_job(message: &str) -> Option<Outcome> {
    let rows: Vec<RowProblem> = message
        .split("; ")
        .filter_map(|part| part.split_once(": "))
        .filter_map(|(pointer, detail)| RowProblem::from_pointer(pointer, detail))
        .collect();
    (!rows.is_empty()).then_some(Outcome::Refused(rows))
}

/// The import card, `#import-card`.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the form, its checks and its result share the card's state"
)]
pub fn ImportCard(
    /// The dashboard (reloaded after an import).
    dash: Dashboard,
    /// The clients costs can belong to.
    clients: Signal<Vec<Client>>,
    /// The imports so far.
    imports: Signal<Option<Vec<CostImport>>>,
) -> impl IntoView {
    let auth = use_auth();
    let client = RwSignal::new(
        dash.view
            .with_untracked(|v| v.client.clone())
            .unwrap_or_default(),
    );
    // With one client, there is nothing to choose.
    Effect::new(move |_| {
        clients.with(|list| {
            if let [only] = list.as_slice()
                && client.with_untracked(String::is_empty)
            {
                client.set(only.id.clone());
            }
        });
    });
    let skip = RwSignal::new(false);
    let input = NodeRef::<html::Input>::new();
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Outcome>);
    let progress = RwSignal::new(None::<Job>);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        outcome.set(None);
        let file = input
            .get_untracked()
            .and_then(|i| i.files())
            .and_then(|files| files.get(0));
        let client_id = client.get_untracked();
        let mut problems = Vec::new();
        if client_id.is_empty() {
            problems.push(FieldError::new(
                "client_id",
                "required",
                "Choose the client these costs belong to.",
            ));
        }
        if file.is_none() {
            problems.push(FieldError::new("file", "required", "Choose a FOCUS file."));
        }
        let Some(file) = file.filter(|_| problems.is_empty()) else {
            errors.set(FormErrors::from_fields(problems));
            submitted.focus_first_invalid();
            return;
        };
        errors.set(FormErrors::default());
        busy.set(true);
        let params = CostImportParams {
            client_id,
            on_error: if skip.get_untracked() {
                OnRowError::Skip
            } else {
                OnRowError::Reject
            },
            file_name: Some(file.name()),
        };
        spawn_local(async move {
            let Some(bytes) = js::blob_bytes(&file).await else {
                busy.set(false);
                errors.set(FormErrors::from_message("The file could not be read."));
                return;
            };
            let client_id = params.client_id.clone();
            // Sent as a job (`Prefer: respond-async`): its progress shows while it runs.
            let started = auth
                .call(move |c| {
                    let (params, bytes) = (params.clone(), bytes.clone());
                    async move { c.import_costs_async(&params, bytes).await }
                })
                .await;
            let result = match started {
                Ok(job) => {
                    progress.set(Some(job.clone()));
                    let ended = follow(auth, job, progress).await;
                    progress.set(None);
                    match ended {
                        Ok(job) => finished(auth, job, client_id).await,
                        Err(err) => Err(err),
                    }
                }
                Err(err) => Err(Ended::Api(err)),
            };
            busy.set(false);
            let result = match result {
                Ok(ok) => Ok(ok),
                Err(Ended::Api(err)) => Err(err),
                Err(Ended::Failed(message)) => {
                    if let Some(refused) = refusal_of_job(&message) {
                        outcome.set(Some(refused));
                    } else if let Some(reason) = message.strip_prefix("/file: ") {
                        // The whole file was refused: said once, beside the file.
                        errors.set(FormErrors::from_fields(vec![FieldError::new(
                            "file",
                            "invalid_focus_file",
                            reason,
                        )]));
                        submitted.focus_first_invalid();
                    } else {
                        errors.set(FormErrors::from_message(format!(
                            "The import failed: {message}"
                        )));
                    }
                    return;
                }
            };
            match result {
                Ok((import, true)) => {
                    outcome.set(Some(Outcome::Imported(import)));
                    if let Some(input) = input.get_untracked() {
                        input.set_value("");
                    }
                    dash.version.update(|v| *v += 1);
                }
                Ok((import, false)) => outcome.set(Some(Outcome::Duplicate(import))),
                Err(err) => {
                    if let Some(refused) = refusal(&err) {
                        outcome.set(Some(refused));
                    } else {
                        errors.set(FormErrors::from_api(&err, &FIELDS));
                        submitted.focus_first_invalid();
                    }
                }
            }
        });
    };

    view! {
        <section class="card section-gap" id="import-card" aria-labelledby="import-title">
            <h2 id="import-title" class="card-title">
                "Import FOCUS file"
            </h2>
            <div class="card-body">
                <p class="muted">
                    "Export the cost and usage data of a cloud account in the FOCUS format (1.0 to 1.3; \
                     CSV, optionally gzip'd) and import it for the client it belongs to. The same file \
                     is imported only once; a later export of a billing period replaces the earlier one."
                </p>
                <form class="form" novalidate=true on:submit=submit aria-label="Import a FOCUS file">
                    <ErrorBanner message=banner />
                    <div class="field-row">
                        <div class="field" class:field-invalid=move || errors.with(|e| e.has("client_id"))>
                            <label for="import-client">"Client"</label>
                            <select
                                id="import-client"
                                class="select"
                                aria-describedby="import-client-error"
                                aria-invalid=move || if errors.with(|e| e.has("client_id")) { "true" } else { "false" }
                                disabled=move || busy.get()
                                on:change=move |ev| {
                                    client.set(event_target_value(&ev));
                                    errors.update(|e| e.clear_field("client_id"));
                                }
                            >
                                <option value="" prop:selected=move || client.with(String::is_empty)>
                                    "Choose a client…"
                                </option>
                                {move || {
                                    clients
                                        .get()
                                        .into_iter()
                                        .map(|c| {
                                            let id = c.id.clone();
                                            view! {
                                                <option value=c.id prop:selected=move || client.with(|v| *v == id)>
                                                    {c.name}
                                                </option>
                                            }
                                        })
                                        .collect_view()
                                }}
                            </select>
                            <FieldMessages id="import-client-error" field="client_id" errors=errors />
                        </div>
                        <div class="field" class:field-invalid=move || errors.with(|e| e.has("file"))>
                            <label for="focus-file">"FOCUS file"</label>
                            <input
                                id="focus-file"
                                class="input file-field"
                                type="file"
                                accept=".csv,.gz,text/csv,application/gzip"
                                aria-describedby="focus-file-error"
                                aria-invalid=move || if errors.with(|e| e.has("file")) { "true" } else { "false" }
                                disabled=move || busy.get()
                                node_ref=input
                                on:change=move |_| {
                                    errors.update(|e| e.clear_field("file"));
                                    outcome.set(None);
                                }
                            />
                            <FieldMessages id="focus-file-error" field="file" errors=errors />
                        </div>
                    </div>
                    <label class="check" for="import-skip">
                        <input id="import-skip" type="checkbox" bind:checked=skip disabled=move || busy.get() />
                        <span>
                            <span class="check-label">"Skip invalid rows"</span>
                            <span class="check-hint">
                                "Import the valid rows and list the others. Without it, one invalid row refuses the whole file."
                            </span>
                        </span>
                    </label>
                    <div class="form-actions">
                        <SubmitButton
                            id="import-costs"
                            label="Import"
                            busy_label="Importing…"
                            busy=busy
                            inline=true
                        />
                    </div>
                </form>
                <div class="import-live" aria-live="polite">
                    {move || {
                        progress
                            .get()
                            .map(|job| {
                                let (max, value) = match job.progress.total {
                                    Some(total) if total > 0 => (total, job.progress.done.min(total)),
                                    _ => (1, 0),
                                };
                                let text = crate::pages::activity::progress_text(&job);
                                let text = if text.is_empty() {
                                    "Waiting for a worker…".to_owned()
                                } else {
                                    text
                                };
                                view! {
                                    <div class="import-progress" id="import-progress" data-job-id=job.id.clone()>
                                        <progress max=max.to_string() value=value.to_string() aria-label="Import progress"></progress>
                                        <span class="muted" id="import-progress-text">{text}</span>
                                    </div>
                                }
                            })
                    }}
                    {move || {
                        outcome
                            .get()
                            .map(|outcome| {
                                view! { <ImportResult outcome=outcome dash=dash clients=clients /> }
                            })
                    }}
                </div>
                <RecentImports imports=imports clients=clients />
            </div>
        </section>
    }
}
