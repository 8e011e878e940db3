//! Changing a report schedule: its name, cadence, format and recipients, sent with the version
//! it was read at, so a change made meanwhile is not overwritten. What it reports on stays.

use gmac_types::{ErrorCode, ReportCadence, ReportFormat, ReportSchedule, ReportSchedulePatch};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FieldMessages, FormErrors, FormField, SubmitButton};
use crate::pages::costs::reports::schedules::cadence_label;
use crate::state::use_auth;

/// The edit form, `#edit-schedule`, filled with `schedule` as read.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the fields and their checks share the form's state"
)]
pub fn EditScheduleForm(
    /// The schedule as read (its version is sent with the change).
    schedule: ReportSchedule,
    /// After the change was saved.
    on_saved: Callback<ReportSchedule>,
    /// Closes the form without a change.
    on_cancel: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let ReportSchedule {
        id,
        name,
        cadence,
        format,
        recipients,
        version,
        ..
    } = schedule;
    let title = format!("Change “{name}”");
    let id = StoredValue::new(id);
    let name = RwSignal::new(name);
    let cadence = RwSignal::new(cadence);
    let format = RwSignal::new(format);
    let recipients = RwSignal::new(recipients.join(", "));
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let list: Vec<String> = recipients
            .get_untracked()
            .split([',', ';', '\n', ' '])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect();
        let patch = ReportSchedulePatch {
            name: Some(name.get_untracked().trim().to_owned()),
            cadence: Some(cadence.get_untracked()),
            format: Some(format.get_untracked()),
            recipients: Some(list),
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let patch = patch.clone();
                    async move {
                        c.update_report_schedule(&id.get_value(), &patch, Some(version))
                            .await
                    }
                })
                .await;
            busy.set(false);
            match result {
                Ok(saved) => on_saved.run(saved),
                Err(err) if crate::api::is(&err, ErrorCode::PreconditionFailed) => {
                    errors.set(FormErrors::from_message(
                        "Someone else changed this schedule while you were editing. Cancel to \
                         see their change, then make yours again.",
                    ));
                }
                Err(err) => errors.set(FormErrors::from_api(&err, &["name", "recipients"])),
            }
        });
    };
    let set_cadence = move |ev: leptos::ev::Event| {
        cadence.set(if event_target_value(&ev) == "weekly" {
            ReportCadence::Weekly
        } else {
            ReportCadence::Monthly
        });
    };
    let set_format = move |ev: leptos::ev::Event| {
        format.set(if event_target_value(&ev) == "csv" {
            ReportFormat::Csv
        } else {
            ReportFormat::Pdf
        });
    };
    view! {
        <section class="card section-gap" id="edit-schedule" aria-labelledby="edit-schedule-title">
            <h2 id="edit-schedule-title" class="card-title">
                {title}
            </h2>
            <form class="form card-body" novalidate=true on:submit=submit aria-labelledby="edit-schedule-title">
                <p class="muted">"What it reports on stays; the next run follows the new cadence."</p>
                <ErrorBanner message=banner />
                <FormField
                    id="edit-schedule-name"
                    field="name"
                    label="Name"
                    autocomplete="off"
                    value=name
                    errors=errors
                    disabled=busy
                />
                <div class="field-row">
                    <div class="field">
                        <label for="edit-schedule-cadence">"Sent"</label>
                        <select id="edit-schedule-cadence" class="select" on:change=set_cadence disabled=move || busy.get()>
                            {[ReportCadence::Monthly, ReportCadence::Weekly]
                                .into_iter()
                                .map(|c| {
                                    let value = if c == ReportCadence::Weekly { "weekly" } else { "monthly" };
                                    view! {
                                        <option value=value prop:selected=move || cadence.get() == c>
                                            {cadence_label(c)}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="edit-schedule-format">"As"</label>
                        <select id="edit-schedule-format" class="select" on:change=set_format disabled=move || busy.get()>
                            <option value="pdf" prop:selected=move || format.get() == ReportFormat::Pdf>"PDF"</option>
                            <option value="csv" prop:selected=move || format.get() == ReportFormat::Csv>"CSV"</option>
                        </select>
                    </div>
                </div>
                <div class="field" class:field-invalid=move || errors.with(|e| e.has("recipients"))>
                    <label for="edit-schedule-recipients">"To"</label>
                    <textarea
                        id="edit-schedule-recipients"
                        name="recipients"
                        class="input"
                        rows="2"
                        aria-describedby="edit-schedule-recipients-hint edit-schedule-recipients-error"
                        disabled=move || busy.get()
                        bind:value=recipients
                    ></textarea>
                    <p class="field-hint" id="edit-schedule-recipients-hint">
                        "1 to 20 email addresses, separated by commas."
                    </p>
                    <FieldMessages id="edit-schedule-recipients-error" field="recipients" errors=errors />
                </div>
                <div class="form-actions">
                    <button type="button" class="button" id="cancel-schedule-edit" on:click=move |_| on_cancel.run(())>
                        "Cancel"
                    </button>
                    <SubmitButton id="save-schedule" label="Save changes" busy_label="Saving…" busy=busy inline=true />
                </div>
            </form>
        </section>
    }
}
