//! `/activity`: gmac's long work (imports, budget checks, syncs, report mail, clean-up) as
//! jobs, newest first, with live progress; cancel a running one, retry a failed one.

use gmac_types::{Job, JobQuery, JobStatus, PageQuery};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api::{Failure, describe};
use crate::components::error_banner::ErrorBanner;
use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::format::date_time_label;
use crate::pages::set_title;
use crate::state::{Auth, use_auth};

/// How many of the newest jobs the page lists.
const SHOWN: u32 = 50;
/// How often a running job's progress is read again.
const PROGRESS_MS: u32 = 1000;

/// What a kind of job is, for a person.
pub fn kind_label(kind: &str) -> String {
    match kind {
        "cost_import" => "FOCUS import".to_owned(),
        "budgets.evaluate" => "Budget check".to_owned(),
        "reports.send_due" => "Scheduled report mail".to_owned(),
        "cost_imports.discard_abandoned" => "Clean-up of abandoned imports".to_owned(),
        "cloud_accounts.sync" => "Cost Explorer sync".to_owned(),
        "jobs.prune" => "Clean-up of old jobs and events".to_owned(),
        other => other.to_owned(),
    }
}

fn status_badge(status: JobStatus) -> (&'static str, &'static str) {
    match status {
        JobStatus::Queued => ("Queued", "badge"),
        JobStatus::Running => ("Running", "badge badge-accent"),
        JobStatus::Succeeded => ("Succeeded", "badge badge-success"),
        JobStatus::Failed => ("Failed", "badge badge-danger"),
        JobStatus::Cancelled => ("Cancelled", "badge badge-warning"),
    }
}

/// How far a job has come, in words: "1,204 of 5,000 rows" style, from its progress.
pub fn progress_text(job: &Job) -> String {
    let p = &job.progress;
    let amount = match p.total {
        Some(total) if total > 0 => {
            let percent = (i128::from(p.done) * 100 / i128::from(total)).clamp(0, 100);
            format!("{percent}%")
        }
        _ if p.done > 0 => p.done.to_string(),
        _ => String::new(),
    };
    match (&p.message, amount.is_empty()) {
        (Some(message), false) => format!("{amount} · {message}"),
        (Some(message), true) => message.clone(),
        (None, _) => amount,
    }
}

/// What a finished job made, or why it failed.
fn outcome_text(job: &Job) -> String {
    if let Some(error) = &job.error
        && job.status != JobStatus::Succeeded
    {
        return error.clone();
    }
    match (&job.result, job.kind.as_str()) {
        (Some(result), "cost_import") => {
            let rows = result
                .get("rows_imported")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0);
            if result.get("created").and_then(serde_json::Value::as_bool) == Some(false) {
                "Already imported".to_owned()
            } else {
                format!("{rows} rows imported")
            }
        }
        (Some(result), _) => result
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| format!("{}: {v}", k.replace('_', " ")))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        (None, _) => String::new(),
    }
}

/// One job's row: what it is, where it stands, its progress and outcome, and what may be
/// done with it.
#[component]
fn JobRow(job: Job, zone: Option<String>, act: Callback<(String, bool)>) -> impl IntoView {
    let (label, class) = status_badge(job.status);
    let progress = progress_text(&job);
    let outcome = outcome_text(&job);
    let started = date_time_label(
        job.started_at.as_ref().unwrap_or(&job.created_at),
        zone.as_deref(),
    );
    let finished = job
        .finished_at
        .map(|at| date_time_label(&at, zone.as_deref()))
        .unwrap_or_default();
    let (max, value) = match job.progress.total {
        Some(total) if total > 0 => (total, job.progress.done.min(total)),
        _ => (1, i64::from(job.status == JobStatus::Succeeded)),
    };
    let busy = !job.status.is_finished();
    let can_retry = matches!(job.status, JobStatus::Failed | JobStatus::Cancelled);
    let (cancel_id, retry_id) = (job.id.clone(), job.id.clone());
    view! {
        <tr data-job-id=job.id.clone() data-job-kind=job.kind.clone() data-status=job.status.as_str()>
            <td>
                <span class="cell-title">{kind_label(&job.kind)}</span>
                <span class="cell-sub">{format!("Attempt {} of {}", job.attempts, job.max_attempts)}</span>
            </td>
            <td>
                <span class=class>{label}</span>
            </td>
            <td class="job-progress-cell">
                <progress class="job-progress" max=max.to_string() value=value.to_string()></progress>
                <span class="cell-sub job-progress-text">{progress}</span>
            </td>
            <td>{started}</td>
            <td>{finished}</td>
            <td class="job-outcome">{outcome}</td>
            <td class="cell-actions">
                {busy.then(|| view! {
                    <button type="button" class="button button-small job-cancel"
                        on:click=move |_| act.run((cancel_id.clone(), false))>"Cancel"</button>
                })}
                {can_retry.then(|| view! {
                    <button type="button" class="button button-small job-retry"
                        on:click=move |_| act.run((retry_id.clone(), true))>"Retry"</button>
                })}
            </td>
        </tr>
    }
}

/// The state of the page's list: not loaded yet, loaded, or failed.
type Jobs = RwSignal<Option<Result<Vec<Job>, Failure>>>;

/// Loads the newest jobs into `jobs`, unless a load is under way.
fn load_jobs(auth: Auth, jobs: Jobs, loading: StoredValue<bool>) {
    if loading.get_value() {
        return;
    }
    loading.set_value(true);
    spawn_local(async move {
        let result = auth
            .call(move |c| async move {
                c.list_jobs(
                    &JobQuery::default(),
                    &PageQuery {
                        limit: Some(SHOWN),
                        cursor: None,
                    },
                )
                .await
            })
            .await;
        loading.set_value(false);
        jobs.set(Some(
            result
                .map(|page| page.items)
                .map_err(|err| Failure::of(&err)),
        ));
    });
}

/// The Activity page.
#[component]
pub fn ActivityPage() -> impl IntoView {
    set_title("Activity");
    let auth = use_auth();
    let account = use_account();
    let jobs: Jobs = RwSignal::new(None);
    let banner = RwSignal::new(None::<String>);
    let loading = StoredValue::new(false);
    let load = move || load_jobs(auth, jobs, loading);
    load();
    // Jobs that start, end or are asked for elsewhere show at once; a running job's progress
    // is read again every second while it runs.
    if let Some(live) = crate::live::use_live() {
        live.on(&["job.", "cost_import."], move |_| load());
    }
    let running = Memo::new(move |_| {
        jobs.with(|j| matches!(j, Some(Ok(list)) if list.iter().any(|j| !j.status.is_finished())))
    });
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if running.get_untracked() {
                load();
            }
        },
        std::time::Duration::from_millis(u64::from(PROGRESS_MS)),
    ) {
        on_cleanup(move || handle.clear());
    }
    let act = Callback::new(move |(id, retry): (String, bool)| {
        banner.set(None);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let id = id.clone();
                    async move {
                        if retry {
                            c.retry_job(&id).await
                        } else {
                            c.cancel_job(&id).await
                        }
                    }
                })
                .await;
            match result {
                Ok(_) => load(),
                Err(err) => banner.set(Some(describe(&err))),
            }
        });
    });
    let rows = move || {
        let zone = account.time_zone();
        jobs.get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|job| view! { <JobRow job=job zone=zone.clone() act=act /> })
            .collect_view()
    };
    let state = move || match jobs.get() {
        None => view! { <Loading label="Loading activity…" /> }.into_any(),
        Some(Err(failure)) => {
            view! { <LoadFailed message=failure retry=Callback::new(move |()| load()) /> }
                .into_any()
        }
        Some(Ok(list)) if list.is_empty() => view! {
            <p class="empty-state muted">"Nothing has run yet that you may see."</p>
        }
        .into_any(),
        Some(Ok(_)) => ().into_any(),
    };

    view! {
        <header class="page-header">
            <h1>"Activity"</h1>
            <p class="muted">
                "Long work gmac does for you and by itself — imports, budget checks, syncs, report \
                 mail — with its progress. It updates live."
            </p>
        </header>
        <ErrorBanner message=Signal::derive(move || banner.get()) />
        <section class="card" aria-label="Jobs">
            {state}
            <Show when=move || matches!(jobs.get(), Some(Ok(list)) if !list.is_empty())>
                <div class="table-wrap">
                    <table class="table" id="jobs-table">
                        <thead>
                            <tr>
                                <th scope="col">"Job"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Progress"</th>
                                <th scope="col">"Started"</th>
                                <th scope="col">"Finished"</th>
                                <th scope="col">"Outcome"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
}
