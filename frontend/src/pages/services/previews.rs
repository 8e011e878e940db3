//! Preview environments on the board: a form opening one for a branch, and on a preview's
//! panel when it expires, a button keeping it three more days and one deleting it (a job,
//! followed where the rollouts are). Once a deletion began, the panel reads its job and says
//! where it stands; one that failed or was cancelled may be started again.

use chrono::{DateTime, TimeDelta, Utc};
use gmac_client::ApiError;
use gmac_types::{
    Environment, EnvironmentPatch, ErrorCode, JobStatus, MAX_PREVIEW_TTL_HOURS, NewPreview,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, CHANGED_ELSEWHERE, follow_job};
use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::icon::{Icon, IconName};
use crate::components::modal::Confirm;
use crate::format::date_time_label;
use crate::live::use_live;
use crate::pages::services::operations::OperationState;
use crate::state::use_auth;

/// How much longer "Keep 3 more days" keeps a preview.
const KEEP_HOURS: i64 = 72;

/// What may have moved a deletion's job: its end (`job.failed`, `job.cancelled`; one that
/// succeeded takes the preview with it, `environment.removed`), a request to stop it, or a
/// retry starting it again.
const DELETION_EVENTS: &[&str] = &["job.failed", "job.cancelled", "job.retried"];

/// Where a preview's deletion stands, as its panel says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deletion {
    /// Queued or running (or not read yet); also once it succeeded, as the preview then goes.
    UnderWay,
    /// It failed, with why when its job says.
    Failed(Option<String>),
    /// It was cancelled.
    Cancelled,
}

impl Deletion {
    /// Where a deletion whose job is `status` (and failed with `error`) stands.
    pub fn of_job(status: JobStatus, error: Option<String>) -> Self {
        match status {
            JobStatus::Failed => Deletion::Failed(error.filter(|e| !e.trim().is_empty())),
            JobStatus::Cancelled => Deletion::Cancelled,
            JobStatus::Queued | JobStatus::Running | JobStatus::Succeeded => Deletion::UnderWay,
        }
    }

    /// Whether it ended without deleting the preview, so that it may be started again.
    pub fn may_start_again(&self) -> bool {
        !matches!(self, Deletion::UnderWay)
    }

    /// What the panel says of it.
    pub fn message(&self) -> String {
        match self {
            Deletion::UnderWay => "Being deleted…".to_owned(),
            Deletion::Failed(Some(error)) => format!("Its deletion failed: {error}"),
            Deletion::Failed(None) => "Its deletion failed.".to_owned(),
            Deletion::Cancelled => "Its deletion was cancelled.".to_owned(),
        }
    }
}

/// What the board keeps of a preview's deletion while its panel is drawn again: the job last
/// read and where it stood, so that a redraw does not say "Being deleted…" of one that failed.
#[derive(Clone, Copy, Debug)]
pub struct DeletionState(RwSignal<Option<(String, Deletion)>>);

impl Default for DeletionState {
    fn default() -> Self {
        Self(RwSignal::new(None))
    }
}

/// When a preview kept three more days expires: three days past its expiry (past now, when
/// that went by), but no later than the most a preview may be kept ahead of `now`.
pub fn kept_until(now: DateTime<Utc>, expires_at: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let from = expires_at.map_or(now, |at| at.max(now));
    // A few minutes short of the most, so that a browser's clock a little ahead of the
    // server's is not refused.
    let most = now + TimeDelta::hours(i64::from(MAX_PREVIEW_TTL_HOURS)) - TimeDelta::minutes(10);
    (from + TimeDelta::hours(KEEP_HOURS)).min(most)
}

/// A refusal for a person: the messages of its fields too (a 422's `errors[]`), which its
/// detail alone does not say.
fn refusal(err: &ApiError) -> String {
    if api::is(err, ErrorCode::PreconditionFailed) {
        return CHANGED_ELSEWHERE.to_owned();
    }
    FormErrors::from_api(err, &[])
        .banner
        .unwrap_or_else(|| err.message())
}

/// The form opening a preview for a branch, `#open-preview-form`: the branch's head is built
/// and deployed to the preview once the build succeeds.
#[component]
pub fn OpenPreview(
    /// The service.
    service_id: Signal<String>,
    /// The board's notice.
    notice: RwSignal<Option<String>>,
    /// Draws the board again.
    reload: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let branch = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let input = NewPreview {
            branch: branch.get_untracked().trim().to_owned(),
        };
        let id = service_id.get_untracked();
        busy.set(true);
        errors.set(FormErrors::default());
        notice.set(None);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (id, input) = (id.clone(), input.clone());
                    async move { c.create_preview(&id, &input).await }
                })
                .await;
            busy.try_set(false);
            match result {
                Ok(started) => {
                    branch.try_set(String::new());
                    notice.try_set(Some(format!(
                        "Preview {} opened: build #{} deploys to it once it succeeds.",
                        started.environment.name, started.build.number
                    )));
                    let _ = reload.try_run(());
                }
                Err(err) => drop(errors.try_set(FormErrors::from_api(&err, &["branch"]))),
            }
        });
    };
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    view! {
        <form class="form form-inline card-body open-preview" id="open-preview-form" novalidate=true
            on:submit=submit aria-label="Open a preview">
            <ErrorBanner message=banner />
            <FormField
                id="new-preview-branch"
                field="branch"
                label="Branch"
                autocomplete="off"
                mono=true
                value=branch
                errors=errors
                placeholder="feature/login"
                hint="Open a preview of a branch: its head is built and deployed to an environment of its own, on staging's target."
                disabled=busy
            />
            <div class="form-actions">
                <SubmitButton id="open-preview" label="Open preview" busy_label="Opening…" busy=busy inline=true />
            </div>
        </form>
    }
}

/// "Keep 3 more days": the preview's expiry moved on, from its expiry (or now, when that
/// went by).
fn keep_handler(
    state: OperationState,
    reload: Callback<()>,
    (id, name): (String, String),
    expires_at: Option<DateTime<Utc>>,
) -> impl Fn(leptos::ev::MouseEvent) + Clone + 'static {
    let auth = use_auth();
    let account = crate::account::use_account();
    let OperationState {
        notice,
        error,
        busy,
        ..
    } = state;
    move |_| {
        if busy.get_untracked() {
            return;
        }
        let patch = EnvironmentPatch {
            expires_at: Some(kept_until(crate::js::now(), expires_at)),
            ..EnvironmentPatch::default()
        };
        let (id, name) = (id.clone(), name.clone());
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            // Three more days mean the same whatever changed meanwhile: no version.
            let result = auth
                .call(move |c| {
                    let (id, patch) = (id.clone(), patch.clone());
                    async move { c.update_environment(&id, &patch, None).await }
                })
                .await;
            busy.try_set(false);
            match result {
                Ok(kept) => {
                    let until = kept.expires_at.map_or_else(String::new, |at| {
                        format!(
                            " until {}",
                            date_time_label(&at, account.time_zone().as_deref())
                        )
                    });
                    notice.try_set(Some(format!("{name} is kept{until}.")));
                }
                Err(err) => drop(error.try_set(Some(refusal(&err)))),
            }
            let _ = reload.try_run(());
        });
    }
}

/// Deletes the preview once confirmed: its job followed in the panel's steps until it ends;
/// the board then says so (the panel goes with the preview) and is drawn again.
fn delete_preview(
    auth: crate::state::Auth,
    state: OperationState,
    (board_notice, reload): (RwSignal<Option<String>>, Callback<()>),
    (id, name): (String, String),
    version: i64,
) {
    let OperationState {
        notice,
        error,
        rollout,
        busy,
    } = state;
    busy.set(true);
    error.set(None);
    notice.set(Some(format!("Deleting {name}…")));
    spawn_local(async move {
        let asked = auth
            .call(move |c| {
                let id = id.clone();
                async move { c.delete_environment(&id, Some(version)).await }
            })
            .await;
        let ended = match asked {
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
        notice.try_set(None);
        match ended {
            Ok(job) if job.status == gmac_types::JobStatus::Succeeded => {
                rollout.try_set(None);
                board_notice.try_set(Some(format!("Preview {name} deleted.")));
            }
            Ok(job) => drop(error.try_set(Some(format!(
                "Preview {name} was not deleted: {}",
                job.error.unwrap_or_else(|| job.status.as_str().to_owned())
            )))),
            Err(err) => drop(error.try_set(Some(refusal(&err)))),
        }
        let _ = reload.try_run(());
    });
}

/// Reads the deletion job `job_id` (again whenever a job ends, stops or is retried) into
/// `known`, and answers where it stands: `None` while no deletion began.
fn read_deletion(job_id: Option<String>, known: DeletionState) -> Signal<Option<Deletion>> {
    let Some(job_id) = job_id else {
        return Signal::stored(None);
    };
    let auth = use_auth();
    // Only the latest reading counts: an earlier one answering late is dropped.
    let asked = StoredValue::new(0_u32);
    let read = {
        let job_id = job_id.clone();
        move || {
            asked.update_value(|n| *n += 1);
            let mine = asked.get_value();
            let job_id = job_id.clone();
            spawn_local(async move {
                let id = job_id.clone();
                let job = auth
                    .call(move |c| {
                        let id = id.clone();
                        async move { c.get_job(&id).await }
                    })
                    .await;
                if asked.try_get_value() != Some(mine) {
                    return;
                }
                let now = match job {
                    Ok(job) => Deletion::of_job(job.status, job.error),
                    // A job of the client is not shown to those who work in one of its projects
                    // only (nor one pruned long after it ended): what was known stands, and
                    // the board follows the preview itself.
                    Err(_) => return,
                };
                known.0.try_set(Some((job_id, now)));
            });
        }
    };
    read();
    if let Some(live) = use_live() {
        live.on(DELETION_EVENTS, move |_| read());
    }
    Signal::derive(move || {
        Some(known.0.with(|k| match k {
            Some((id, now)) if *id == job_id => now.clone(),
            _ => Deletion::UnderWay,
        }))
    })
}

/// Where a preview's deletion stands, `#deletion-{name}`: a failure said as an error.
#[component]
fn DeletionStatus(
    /// The preview's name.
    name: String,
    /// Its deletion.
    deletion: Signal<Option<Deletion>>,
) -> impl IntoView {
    let id = format!("deletion-{name}");
    move || {
        deletion.get().map(|now| match now {
            Deletion::Failed(_) => view! {
                <div class="banner error-banner preview-deletion" role="alert" id=id.clone()>
                    <Icon name=IconName::Alert />
                    <p>{now.message()}</p>
                </div>
            }
            .into_any(),
            _ => view! {
                <p class="preview-deleting" role="status" id=id.clone()>{now.message()}</p>
            }
            .into_any(),
        })
    }
}

/// "Delete preview" (or "Delete again"): asks first, then deletes the preview.
fn delete_handler(
    state: OperationState,
    (board_notice, reload): (RwSignal<Option<String>>, Callback<()>),
    confirm: RwSignal<Option<Confirm>>,
    (id, name): (String, String),
    version: i64,
) -> impl Fn(leptos::ev::MouseEvent) + Clone + 'static {
    let auth = use_auth();
    move |_| {
        if state.busy.get_untracked() {
            return;
        }
        let (id, name) = (id.clone(), name.clone());
        confirm.set(Some(Confirm::danger(
            format!("Delete preview {name}?"),
            "What it runs stops, and it goes with its releases, configuration and domains. Its branch stays: while previews are on, the branch's next push opens it again.",
            "Delete preview",
            move || {
                delete_preview(
                    auth,
                    state,
                    (board_notice, reload),
                    (id.clone(), name.clone()),
                    version,
                );
            },
        )));
    }
}

/// A preview's expiry and, for those who deploy, its "Keep 3 more days" (`#keep-{name}`) and
/// "Delete preview" (`#delete-{name}`, asked first). Once its deletion began, where that
/// stands (`#deletion-{name}`); one that failed or was cancelled offers "Delete again".
#[component]
pub fn PreviewActions(
    /// The preview.
    env: Environment,
    /// Whether the user may keep or delete it.
    may_change: bool,
    /// The panel's notice, error, followed job and busy flag.
    state: OperationState,
    /// Its deletion as last read, kept by the board.
    deletion: DeletionState,
    /// The board's notice: the panel goes once the preview is deleted.
    board_notice: RwSignal<Option<String>>,
    /// Draws the board again.
    reload: Callback<()>,
    /// The board's confirmation dialog.
    confirm: RwSignal<Option<Confirm>>,
) -> impl IntoView {
    let account = crate::account::use_account();
    let Environment {
        id,
        name,
        version,
        expires_at,
        delete_job_id,
        ..
    } = env;
    let busy = state.busy;
    let deleting = delete_job_id.is_some();
    let deletion = read_deletion(delete_job_id, deletion);
    let may_delete = Signal::derive(move || {
        may_change && deletion.with(|d| d.as_ref().is_none_or(Deletion::may_start_again))
    });
    let expiry = expires_at.map_or_else(
        || "Expires when its branch is deleted".to_owned(),
        |at| {
            format!(
                "Expires {}",
                date_time_label(&at, account.time_zone().as_deref())
            )
        },
    );
    let keep = keep_handler(state, reload, (id.clone(), name.clone()), expires_at);
    let delete = delete_handler(
        state,
        (board_notice, reload),
        confirm,
        (id, name.clone()),
        version,
    );
    let (keep_label, keep_id) = (format!("Keep 3 more days: {name}"), format!("keep-{name}"));
    let (delete_label, delete_text) = if deleting {
        (format!("Delete preview {name} again"), "Delete again")
    } else {
        (format!("Delete preview {name}"), "Delete preview")
    };
    let delete_id = format!("delete-{name}");
    view! {
        <div class="preview-actions" data-field="preview">
            <p class="muted" id=format!("expires-{name}")>{expiry}</p>
            <DeletionStatus name=name.clone() deletion=deletion />
            {move || may_delete.get().then(|| view! {
                <div class="form-actions">
                    {(!deleting).then(|| view! {
                        <button type="button" class="button button-small" id=keep_id.clone()
                            aria-label=keep_label.clone() disabled=move || busy.get() on:click=keep.clone()>
                            "Keep 3 more days"
                        </button>
                    })}
                    <button type="button" class="button button-small button-danger" id=delete_id.clone()
                        aria-label=delete_label.clone() disabled=move || busy.get() on:click=delete.clone()>
                        {delete_text}
                    </button>
                </div>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::hours(hours)
    }

    #[test]
    fn keeping_a_preview_adds_three_days_to_its_expiry() {
        assert_eq!(kept_until(at(100), Some(at(110))), at(110 + 72));
    }

    #[test]
    fn keeping_a_preview_past_its_expiry_counts_from_now() {
        assert_eq!(kept_until(at(100), Some(at(90))), at(172));
        assert_eq!(kept_until(at(100), None), at(172));
    }

    #[test]
    fn keeping_a_preview_goes_no_further_than_the_most_ahead() {
        assert_eq!(
            kept_until(at(100), Some(at(100 + 700))),
            at(100 + 720) - TimeDelta::minutes(10)
        );
    }

    #[test]
    fn a_deletion_queued_or_running_is_under_way_and_not_offered_again() {
        for status in [JobStatus::Queued, JobStatus::Running, JobStatus::Succeeded] {
            let now = Deletion::of_job(status, None);
            assert_eq!(now, Deletion::UnderWay);
            assert!(!now.may_start_again());
            assert_eq!(now.message(), "Being deleted…");
        }
    }

    #[test]
    fn a_failed_deletion_says_why_and_may_start_again() {
        let now = Deletion::of_job(JobStatus::Failed, Some("the host is down".to_owned()));
        assert!(now.may_start_again());
        assert_eq!(now.message(), "Its deletion failed: the host is down");
        let unsaid = Deletion::of_job(JobStatus::Failed, Some(" ".to_owned()));
        assert_eq!(unsaid.message(), "Its deletion failed.");
    }

    #[test]
    fn a_cancelled_deletion_may_start_again() {
        let cancelled = Deletion::of_job(JobStatus::Cancelled, None);
        assert!(cancelled.may_start_again());
        assert_eq!(cancelled.message(), "Its deletion was cancelled.");
    }
}
