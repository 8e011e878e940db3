//! Scheduling a report: its name, whose costs, the client, how often, the format and who
//! receives it. The server checks each address; its `/recipients/<i>` errors name the address
//! under the recipients field.

use gmac_types::{FieldError, NewReportSchedule, ReportCadence, ReportFormat, ReportSchedule};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FieldMessages, FormErrors, FormField, SubmitButton};
use crate::components::mail_note::NoMailNote;
use crate::pages::SubmittedForm;
use crate::pages::costs::directory::CostDirectory;
use crate::pages::costs::forms::{Choice, ChoiceSelect, form_errors};
use crate::pages::costs::reports::selection::{EVERYTHING, parse_subject};
use crate::pages::costs::reports::viewer::SubjectOptions;
use crate::state::use_auth;

/// The fields of the form, as the server's pointers name them.
const FIELDS: [&str; 6] = [
    "name",
    "subject",
    "client_id",
    "cadence",
    "format",
    "recipients",
];

/// The addresses typed into one field, separated by commas, semicolons or spaces.
pub fn split_recipients(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The server's errors for `sent`: those about one address (`/recipients/<i>`) go under the
/// recipients field, naming the address.
fn recipient_errors(mut errors: FormErrors, sent: &[String]) -> FormErrors {
    for error in &mut errors.fields {
        let Some(index) = error.pointer.strip_prefix("/recipients/") else {
            continue;
        };
        if let Some(address) = index.parse::<usize>().ok().and_then(|i| sent.get(i)) {
            error.detail = format!("{address}: {}", error.detail);
        }
        "/recipients".clone_into(&mut error.pointer);
    }
    errors
}

/// The cadence a select's value stands for.
fn cadence_of(value: &str) -> ReportCadence {
    if value == "weekly" {
        ReportCadence::Weekly
    } else {
        ReportCadence::Monthly
    }
}

/// The create form, `#new-schedule`.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the fields and their checks share the form's state"
)]
pub fn NewScheduleForm(
    /// The users, teams and clients to choose from.
    directory: Signal<CostDirectory>,
    /// After a schedule was created.
    on_created: Callback<ReportSchedule>,
    /// When the form is sent (to clear the page's messages).
    on_start: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let name = RwSignal::new(String::new());
    let subject = RwSignal::new(EVERYTHING.to_owned());
    let client = RwSignal::new(String::new());
    let cadence = RwSignal::new("monthly".to_owned());
    let format = RwSignal::new("pdf".to_owned());
    let my_email = StoredValue::new(
        auth.with_me_untracked(|me| me.map(|m| m.email.clone()).unwrap_or_default()),
    );
    let recipients = RwSignal::new(my_email.get_value());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        on_start.run(());
        let mut problems = Vec::new();
        let name_text = name.get_untracked().trim().to_owned();
        if name_text.is_empty() {
            problems.push(FieldError::new(
                "name",
                "required",
                "Give the schedule a name.",
            ));
        }
        let chosen = parse_subject(&subject.get_untracked());
        if chosen.is_none() {
            problems.push(FieldError::new(
                "subject",
                "required",
                "Choose whose costs the report shows.",
            ));
        }
        // Each address is checked by the server, which names the ones it refuses.
        let sent = split_recipients(&recipients.get_untracked());
        if sent.is_empty() {
            problems.push(FieldError::new(
                "recipients",
                "required",
                "Enter at least one email address.",
            ));
        }
        let (Some(chosen), true) = (chosen, problems.is_empty()) else {
            errors.set(FormErrors::from_fields(problems));
            submitted.focus_first_invalid();
            return;
        };
        let input = NewReportSchedule {
            name: name_text,
            subject: chosen,
            client_id: crate::api::non_blank(&client.get_untracked()),
            cadence: cadence_of(&cadence.get_untracked()),
            format: if format.get_untracked() == "csv" {
                ReportFormat::Csv
            } else {
                ReportFormat::Pdf
            },
            recipients: sent.clone(),
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let input = input.clone();
                    async move { c.create_report_schedule(&input).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(schedule) => {
                    name.set(String::new());
                    recipients.set(my_email.get_value());
                    on_created.run(schedule);
                }
                Err(err) => {
                    errors.set(recipient_errors(
                        form_errors(&err, &FIELDS, &["recipients"]),
                        &sent,
                    ));
                    submitted.focus_first_invalid();
                }
            }
        });
    };

    let cadences = Signal::derive(|| {
        vec![
            Choice::new("monthly", "Monthly: the month just ended"),
            Choice::new("weekly", "Weekly: the month so far"),
        ]
    });
    let formats = Signal::derive(|| {
        vec![
            Choice::new("pdf", "PDF document"),
            Choice::new("csv", "CSV spreadsheet"),
        ]
    });
    let clients = Signal::derive(move || directory.with(CostDirectory::client_choices));
    let subject_invalid = move || errors.with(|e| e.has("subject"));

    view! {
        <section class="card section-gap" id="new-schedule" aria-labelledby="new-schedule-title">
            <h2 id="new-schedule-title" class="card-title">
                "Schedule a report"
            </h2>
            <form class="form card-body" novalidate=true on:submit=submit aria-labelledby="new-schedule-title">
                <ErrorBanner message=banner />
                <div class="field-row">
                    <FormField
                        id="new-schedule-name"
                        field="name"
                        label="Name"
                        autocomplete="off"
                        value=name
                        errors=errors
                        placeholder="e.g. Platform team, monthly"
                        disabled=busy
                    />
                    <div class="field" class:field-invalid=subject_invalid>
                        <label for="new-schedule-subject">"Whose costs"</label>
                        <select
                            id="new-schedule-subject"
                            name="subject"
                            class="select"
                            aria-describedby="new-schedule-subject-error"
                            aria-invalid=move || if subject_invalid() { "true" } else { "false" }
                            disabled=move || busy.get()
                            on:change=move |ev| {
                                subject.set(event_target_value(&ev));
                                errors.update(|e| e.clear_field("subject"));
                            }
                        >
                            <option value=EVERYTHING prop:selected=move || subject.with(|s| s == EVERYTHING)>
                                "Everything"
                            </option>
                            <SubjectOptions directory=directory value=subject />
                        </select>
                        <FieldMessages id="new-schedule-subject-error" field="subject" errors=errors />
                    </div>
                </div>
                <div class="field-row">
                    <ChoiceSelect
                        id="new-schedule-cadence"
                        field="cadence"
                        label="Sent"
                        value=cadence
                        choices=cadences
                        errors=errors
                        hint="Monthly on the 1st, weekly on Mondays (UTC)."
                        disabled=busy
                    />
                    <ChoiceSelect
                        id="new-schedule-format"
                        field="format"
                        label="Format"
                        value=format
                        choices=formats
                        errors=errors
                        disabled=busy
                    />
                    <ChoiceSelect
                        id="new-schedule-client"
                        field="client_id"
                        label="Client"
                        value=client
                        choices=clients
                        placeholder="All clients"
                        errors=errors
                        disabled=busy
                    />
                </div>
                <NoMailNote
                    id="schedule-no-mail"
                    what="This gmac has no mail server (smtp_url): the report can be scheduled, but it is emailed only once one is set. Download it above meanwhile."
                />
                <FormField
                    id="new-schedule-recipients"
                    field="recipients"
                    label="Email to"
                    autocomplete="off"
                    mono=true
                    value=recipients
                    errors=errors
                    placeholder="name@example.com, other@example.com"
                    hint="Up to 20 addresses, separated by commas or spaces."
                    disabled=busy
                />
                <div class="form-actions">
                    <SubmitButton
                        id="create-schedule"
                        label="Schedule report"
                        busy_label="Scheduling…"
                        busy=busy
                        inline=true
                    />
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use gmac_client::ApiError;
    use gmac_types::{ErrorCode, ProblemDetails};

    use super::*;

    #[test]
    fn addresses_are_split_on_commas_and_spaces() {
        assert_eq!(
            split_recipients(" a@x.io, b@x.io;c@x.io\n d@x.io ,"),
            ["a@x.io", "b@x.io", "c@x.io", "d@x.io"]
        );
        assert!(split_recipients(" , ").is_empty());
    }

    #[test]
    fn a_refused_address_is_named_under_the_field() {
        let problem = ProblemDetails::new(ErrorCode::ValidationFailed).with_errors(vec![
            FieldError {
                pointer: "/recipients/1".into(),
                code: "invalid_email".into(),
                detail: "Not an email address.".into(),
            },
            FieldError::new("name", "invalid_length", "1 to 100 characters."),
        ]);
        let sent = split_recipients("ops@example.com nobody");
        let errors = recipient_errors(
            form_errors(
                &ApiError::Problem(Box::new(problem)),
                &FIELDS,
                &["recipients"],
            ),
            &sent,
        );
        assert_eq!(
            errors.messages("recipients"),
            ["nobody: Not an email address."]
        );
        assert_eq!(errors.messages("name"), ["1 to 100 characters."]);
        assert_eq!(errors.banner, None);
    }
}
