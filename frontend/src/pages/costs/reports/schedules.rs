//! The scheduled reports: whose costs each sends, how often, in which format, to whom, when it
//! runs next and how its last run went; "Send now" and "Delete" for those who manage costs,
//! and what the last "Send now" did (`#schedule-delivery`).

use gmac_types::{JobStatus, Permission, ReportCadence, ReportDelivery, ReportSchedule};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api::describe;
use crate::components::icon::{Icon, IconName};
use crate::components::modal::Confirm;
use crate::components::paging::Paged;
use crate::components::spinner::Spinner;
use crate::format::{date_time_label, day_label};
use crate::pages::costs::directory::CostDirectory;
use crate::pages::costs::overview::month_label;
use crate::pages::costs::reports::download::format_label;
use crate::state::{Auth, use_auth};

/// How often a schedule sends, for people.
pub const fn cadence_label(cadence: ReportCadence) -> &'static str {
    match cadence {
        ReportCadence::Monthly => "Monthly, on the 1st",
        ReportCadence::Weekly => "Weekly, on Mondays",
    }
}

/// What a "Send now" did, and for which schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// The schedule's name.
    pub name: String,
    /// Who got it and who did not.
    pub delivery: ReportDelivery,
}

/// Asks to delete `schedule`, then deletes it.
fn confirm_delete(
    auth: Auth,
    schedule: ReportSchedule,
    confirm: RwSignal<Option<Confirm>>,
    on_deleted: Callback<ReportSchedule>,
    on_error: Callback<String>,
) {
    confirm.set(Some(Confirm::danger(
        format!("Delete the schedule “{}”?", schedule.name),
        "Its report is no longer emailed. Reports already sent and the costs are not affected.",
        "Delete schedule",
        move || {
            let schedule = schedule.clone();
            spawn_local(async move {
                let id = schedule.id.clone();
                let result = auth
                    .call(move |c| {
                        let id = id.clone();
                        async move { c.delete_report_schedule(&id).await }
                    })
                    .await;
                match result {
                    Ok(()) => on_deleted.run(schedule),
                    Err(err) => on_error.run(describe(&err)),
                }
            });
        },
    )));
}

/// The result of the last "Send now", `#schedule-delivery`; announced when it changes.
#[component]
pub fn DeliveryResult(
    /// What was sent, once something was.
    sent: RwSignal<Option<Sent>>,
) -> impl IntoView {
    view! {
        <div id="schedule-delivery" class="schedule-delivery" role="status" aria-live="polite">
            {move || {
                sent.get()
                    .map(|Sent { name, delivery }| {
                        let what = format!("“{name}”, {}", month_label(&delivery.period));
                        let emailed = (!delivery.sent_to.is_empty())
                            .then(|| {
                                view! {
                                    <div class="banner notice-banner">
                                        <Icon name=IconName::Check />
                                        <p>
                                            {format!("{what}: emailed to {}.", delivery.sent_to.join(", "))}
                                        </p>
                                    </div>
                                }
                            });
                        let failed = (!delivery.failed.is_empty())
                            .then(|| {
                                let heading = if delivery.sent_to.is_empty() {
                                    format!("{what}: not sent.")
                                } else {
                                    "Not sent to:".to_owned()
                                };
                                view! {
                                    <div class="banner error-banner">
                                        <Icon name=IconName::Alert />
                                        <div>
                                            <p>{heading}</p>
                                            <ul class="delivery-failures">
                                                {delivery
                                                    .failed
                                                    .into_iter()
                                                    .map(|f| view! { <li>{f}</li> })
                                                    .collect_view()}
                                            </ul>
                                        </div>
                                    </div>
                                }
                            });
                        view! {
                            {emailed}
                            {failed}
                        }
                    })
            }}
        </div>
    }
}

/// The schedules table, `#report-schedules`.
#[component]
pub fn ScheduleTable(
    /// The schedules.
    list: Paged<ReportSchedule>,
    /// Names for clients.
    directory: Signal<CostDirectory>,
    /// Where the delete confirmation is asked.
    confirm: RwSignal<Option<Confirm>>,
    /// After a report was sent now.
    on_sent: Callback<Sent>,
    /// After a schedule was deleted.
    on_deleted: Callback<ReportSchedule>,
    /// When sending or deleting failed.
    on_error: Callback<String>,
    /// The schedule being changed.
    editing: RwSignal<Option<ReportSchedule>>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table table-stack" id="report-schedules">
                <thead>
                    <tr>
                        <th scope="col">"Report"</th>
                        <th scope="col">"Costs of"</th>
                        <th scope="col">"Sent"</th>
                        <th scope="col">"To"</th>
                        <th scope="col">"Next run"</th>
                        <th scope="col">"Last sent"</th>
                        <th scope="col">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || list.items()
                        key=|s| (s.id.clone(), s.version, s.last_sent_at, s.last_error.clone())
                        children=move |schedule| {
                            view! {
                                <ScheduleRow
                                    schedule=schedule
                                    directory=directory
                                    confirm=confirm
                                    on_sent=on_sent
                                    on_deleted=on_deleted
                                    on_error=on_error
                                    editing=editing
                                />
                            }
                        }
                    />
                </tbody>
            </table>
        </div>
    }
}

/// A schedule's row, `tr[data-schedule-name]`.
#[component]
fn ScheduleRow(
    schedule: ReportSchedule,
    directory: Signal<CostDirectory>,
    confirm: RwSignal<Option<Confirm>>,
    on_sent: Callback<Sent>,
    on_deleted: Callback<ReportSchedule>,
    on_error: Callback<String>,
    editing: RwSignal<Option<ReportSchedule>>,
) -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let for_change = schedule.clone();
    let change_label = format!("Change report {}", schedule.name);
    let sending = RwSignal::new(false);
    let no_mail = crate::components::mail_note::no_mail_server();
    let client = schedule.client_id.clone().map(|id| {
        let name = move || directory.with(|d| d.client_name(&id));
        view! { <span class="cell-sub">"Client " {name}</span> }
    });
    let last_sent = schedule.last_sent_at;
    let last_period = schedule.last_period.clone();
    let last = move || match last_sent {
        Some(at) => {
            let when = date_time_label(&at, account.time_zone().as_deref());
            let period = last_period
                .as_deref()
                .map(|p| format!("The {} report", month_label(p)));
            view! {
                <span class="cell-title">{when}</span>
                {period.map(|p| view! { <span class="cell-sub">{p}</span> })}
            }
            .into_any()
        }
        None => view! { <span class="muted">"Not yet"</span> }.into_any(),
    };
    let warning = schedule.last_error.clone().map(|error| {
        view! {
            <span class="badge badge-warning schedule-warning">"Last attempt failed"</span>
            <span class="cell-sub cell-wrap">{error}</span>
        }
    });
    let send = {
        let (id, name) = (schedule.id.clone(), schedule.name.clone());
        move |_| {
            if sending.get_untracked() {
                return;
            }
            sending.set(true);
            let (id, name) = (id.clone(), name.clone());
            spawn_local(async move {
                // A job sends it; it is followed until it ends or its first attempt failed.
                let result = match auth
                    .call(move |c| {
                        let id = id.clone();
                        async move { c.send_report_async(&id, None).await }
                    })
                    .await
                {
                    Ok(job) => {
                        crate::api::follow_job(
                            auth,
                            job,
                            |job| job.status.is_finished() || job.error.is_some(),
                            |_| {},
                            Some(crate::api::QUICK_JOB_READINGS),
                        )
                        .await
                    }
                    Err(err) => Err(err),
                };
                sending.try_set(false);
                match result {
                    Ok(job) => match job
                        .result
                        .and_then(|r| serde_json::from_value::<ReportDelivery>(r).ok())
                    {
                        Some(delivery) if job.status == JobStatus::Succeeded => {
                            on_sent.run(Sent { name, delivery });
                        }
                        _ if job.status.is_finished() => on_error.run(format!(
                            "The report {name} was not sent: {}.",
                            job.error.unwrap_or_else(|| "it was cancelled".to_owned())
                        )),
                        _ => on_error.run(match job.error {
                            Some(error) => format!(
                                "The report {name} has not gone out yet ({error}); gmac keeps \
                                 trying. The Activity page follows it."
                            ),
                            None => format!(
                                "The report {name} is queued: no worker has taken it yet. The \
                                 Activity page follows it."
                            ),
                        }),
                    },
                    Err(err) => on_error.run(describe(&err)),
                }
            });
        }
    };
    let send_label = format!("Send the report {} now", schedule.name);
    let delete_label = format!("Delete the schedule {}", schedule.name);
    let (row_name, row_id) = (schedule.name.clone(), schedule.id.clone());
    let has_error = schedule.last_error.is_some();
    let name = schedule.name.clone();
    let subject_name = schedule.subject_name.clone();
    let sub = format_label(schedule.format);
    let recipients = schedule
        .recipients
        .iter()
        .map(|r| view! { <span>{r.clone()}</span> })
        .collect_view();
    let next_run = day_label(schedule.next_run);
    let cadence = cadence_label(schedule.cadence);
    let delete = move |_| {
        confirm_delete(auth, schedule.clone(), confirm, on_deleted, on_error);
    };
    view! {
        <tr data-schedule-name=row_name data-schedule-id=row_id data-warning=has_error.then_some("true")>
            <td data-label="Report">
                <span class="cell-title">{name}</span>
                {client}
            </td>
            <td data-label="Costs of">{subject_name}</td>
            <td data-label="Sent">
                <span class="cell-title">{cadence}</span>
                <span class="cell-sub">{sub}</span>
            </td>
            <td class="recipient-list" data-label="To">
                {recipients}
            </td>
            <td class="nowrap" data-label="Next run">{next_run}</td>
            <td data-label="Last sent">{last} {warning}</td>
            <td class="cell-actions">
                <Show when=move || auth.can(Permission::CostsManage)>
                    <div class="button-row">
                        <button
                            type="button"
                            class="button button-small send-schedule"
                            aria-label=send_label.clone()
                            disabled=move || sending.get() || no_mail.get()
                            title=move || no_mail.get().then_some("This gmac has no mail server (smtp_url) to send it with.")
                            aria-busy=move || if sending.get() { "true" } else { "false" }
                            on:click=send.clone()
                        >
                            {move || {
                                if sending.get() {
                                    view! { <Spinner /> }.into_any()
                                } else {
                                    view! { <Icon name=IconName::Mail /> }.into_any()
                                }
                            }}
                            <span>"Send now"</span>
                        </button>
                        <button
                            type="button"
                            class="button button-small change-schedule"
                            aria-label=change_label.clone()
                            on:click={
                                let schedule = for_change.clone();
                                move |_| editing.set(Some(schedule.clone()))
                            }
                        >
                            <Icon name=IconName::Edit />
                            <span>"Change"</span>
                        </button>
                        <button
                            type="button"
                            class="button button-small button-danger-quiet delete-schedule"
                            aria-label=delete_label.clone()
                            on:click=delete.clone()
                        >
                            <Icon name=IconName::Trash />
                            <span>"Delete"</span>
                        </button>
                    </div>
                </Show>
            </td>
        </tr>
    }
}
