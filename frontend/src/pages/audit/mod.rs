//! `/audit`: the audit log, newest first, with filters, CSV export and chain verification.

pub mod table;

use std::time::Duration;

use gmac_client::ApiError;
use gmac_types::{AuditEvent, AuditQuery, AuditVerification, ErrorCode};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api::{self, describe, non_blank};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::icon::{Icon, IconName};
use crate::components::paging::{ListState, LoadMore, Paged};
use crate::components::spinner::Spinner;
use crate::js;
use crate::pages::set_title;
use crate::state::use_auth;

/// Events per page.
const PAGE: u32 = 50;
/// How long typing in a filter must pause before it applies.
const DEBOUNCE: Duration = Duration::from_millis(400);

/// Common actions and prefixes, for the action filter's suggestions.
const ACTIONS: [&str; 16] = [
    "auth.*",
    "auth.login",
    "auth.logout",
    "mfa.*",
    "user.*",
    "user.create",
    "user.update",
    "client.*",
    "project.*",
    "role.*",
    "role_binding.*",
    "team.*",
    "token.*",
    "invitation.*",
    "profile.*",
    "session.*",
];

/// The filters, as typed.
#[derive(Clone, Copy, Debug)]
struct Filters {
    actor: RwSignal<String>,
    action: RwSignal<String>,
    target: RwSignal<String>,
    outcome: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
    /// Whether successful token refreshes are listed (routine, so hidden by default).
    refreshes: RwSignal<bool>,
}

impl Filters {
    fn new() -> Self {
        Self {
            actor: RwSignal::new(String::new()),
            action: RwSignal::new(String::new()),
            target: RwSignal::new(String::new()),
            outcome: RwSignal::new(String::new()),
            from: RwSignal::new(String::new()),
            to: RwSignal::new(String::new()),
            refreshes: RwSignal::new(false),
        }
    }

    /// The query for the filters (without paging).
    fn query(self) -> AuditQuery {
        AuditQuery {
            actor: non_blank(&self.actor.get_untracked()),
            action: non_blank(&self.action.get_untracked()),
            target: non_blank(&self.target.get_untracked()),
            outcome: non_blank(&self.outcome.get_untracked()),
            from: non_blank(&self.from.get_untracked()),
            to: non_blank(&self.to.get_untracked()),
            refreshes: self.refreshes.get_untracked().then_some(true),
            limit: None,
            cursor: None,
        }
    }

    /// What is wrong with the date range, if anything (tracked).
    fn range_problem(self) -> Option<&'static str> {
        let (from, to) = (self.from.get(), self.to.get());
        (!from.is_empty() && !to.is_empty() && to < from)
            .then_some("“To” is before “From”: pick a later day, or clear one of them.")
    }

    /// Reads every filter (tracked), so an effect reruns when one changes.
    fn track(self) {
        self.actor.track();
        self.action.track();
        self.target.track();
        self.outcome.track();
        self.from.track();
        self.to.track();
        self.refreshes.track();
    }

    fn clear(self) {
        for signal in [
            self.actor,
            self.action,
            self.target,
            self.outcome,
            self.from,
            self.to,
        ] {
            signal.set(String::new());
        }
        self.refreshes.set(false);
    }
}

/// The result of chain verification, for people.
pub fn verification_message(result: &AuditVerification) -> String {
    match &result.first_bad {
        None if result.valid => format!(
            "The audit log is intact: {} entries checked, none edited, removed or inserted.",
            result.checked
        ),
        None => format!(
            "The audit log could not be verified ({} entries checked).",
            result.checked
        ),
        Some(bad) => {
            let why = match bad.reason.as_str() {
                "hash_mismatch" => "it was edited",
                "chain_mismatch" => "an entry was inserted before it",
                "missing" => "it is missing (deleted)",
                "head_mismatch" => "entries were removed from the end",
                other => other,
            };
            format!(
                "The audit log is broken at entry #{}: {why}. {} entries before it are intact.",
                bad.seq, result.checked
            )
        }
    }
}

/// The audit log page.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the filters, the table and the two actions share the page's state"
)]
pub fn AuditPage() -> impl IntoView {
    set_title("Audit log");
    let auth = use_auth();
    let account = use_account();
    let filters = Filters::new();
    let open = RwSignal::new(Vec::<String>::new());
    let list = Paged::new(move |cursor| {
        let query = AuditQuery {
            limit: Some(PAGE),
            cursor,
            ..filters.query()
        };
        async move {
            auth.call(move |c| {
                let query = query.clone();
                async move { c.list_audit_events(&query).await }
            })
            .await
        }
    });
    // Filters apply once typing pauses; the first run is the load `Paged::new` started.
    let timer = StoredValue::new(None::<TimeoutHandle>);
    // A range that ends before it starts is refused here, with a message under "To".
    let range_problem = Memo::new(move |_| filters.range_problem());
    Effect::new(move |ran: Option<()>| {
        filters.track();
        if ran.is_some() {
            if let Some(handle) = timer.get_value() {
                handle.clear();
            }
            if range_problem.get_untracked().is_some() {
                return;
            }
            let handle = set_timeout_with_handle(move || list.reload(), DEBOUNCE);
            timer.set_value(handle.ok());
        }
    });
    let empty = Signal::derive(|| "No events match these filters.".to_owned());

    let exporting = RwSignal::new(false);
    let export_error = RwSignal::new(None::<String>);
    let verifying = RwSignal::new(false);
    let verified = RwSignal::new(None::<String>);
    let verify_error = RwSignal::new(None::<String>);
    let export = move |_| {
        verified.set(None);
        verify_error.set(None);
        export_error.set(None);
        if let Some(problem) = range_problem.get_untracked() {
            export_error.set(Some(problem.to_owned()));
            return;
        }
        exporting.set(true);
        let query = filters.query();
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let query = query.clone();
                    async move { export_csv(&c, &query).await }
                })
                .await;
            exporting.set(false);
            match result {
                Ok(bytes) => {
                    if !js::download(&bytes, "text/csv;charset=utf-8", "gmac-audit.csv") {
                        export_error.set(Some("The browser refused the download.".to_owned()));
                    }
                }
                Err(err) => export_error.set(Some(describe(&err))),
            }
        });
    };

    let verify = move |_| {
        verifying.set(true);
        verified.set(None);
        verify_error.set(None);
        export_error.set(None);
        spawn_local(async move {
            let result = auth
                .call(|c| async move { c.verify_audit_log().await })
                .await;
            verifying.set(false);
            match result {
                Ok(result) if result.valid => verified.set(Some(verification_message(&result))),
                Ok(result) => verify_error.set(Some(verification_message(&result))),
                Err(err) if api::is(&err, ErrorCode::Forbidden) => verify_error.set(Some(
                    "Verifying the whole log needs the audit.view permission globally; yours \
                     covers only some clients or projects."
                        .to_owned(),
                )),
                Err(err) => verify_error.set(Some(describe(&err))),
            }
        });
    };

    let rows = move || {
        let zone = account.time_zone();
        table::rows(list.items(), open, zone.as_deref())
    };
    let text_filter = move |id: &'static str,
                            label: &'static str,
                            placeholder: &'static str,
                            value: RwSignal<String>,
                            list_id: Option<&'static str>| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input
                    id=id
                    class="input"
                    type="search"
                    autocomplete="off"
                    spellcheck="false"
                    placeholder=placeholder
                    list=list_id
                    bind:value=value
                />
            </div>
        }
    };

    view! {
        <header class="page-header page-header-row">
            <div>
                <h1>"Audit log"</h1>
                <p class="muted">
                    "Who did what, and when. Newest first; the CSV export lists the same events \
                     oldest first."
                </p>
            </div>
            <div class="button-row">
                <button
                    type="button"
                    id="export-csv"
                    class="button"
                    title="The events matching the filters, oldest first"
                    disabled=move || exporting.get()
                    on:click=export
                >
                    {move || {
                        if exporting.get() {
                            view! { <Spinner /> }.into_any()
                        } else {
                            view! { <Icon name=IconName::Download /> }.into_any()
                        }
                    }}
                    <span>"Export CSV"</span>
                </button>
                <button type="button" id="verify-chain" class="button" disabled=move || verifying.get() on:click=verify>
                    {move || {
                        if verifying.get() {
                            view! { <Spinner /> }.into_any()
                        } else {
                            view! { <Icon name=IconName::Shield /> }.into_any()
                        }
                    }}
                    <span>"Verify chain"</span>
                </button>
            </div>
        </header>
        <NoticeBanner message=verified />
        <ErrorBanner message=verify_error />
        <ErrorBanner message=export_error />
        <section class="card filters" aria-label="Filters">
            <div class="filter-grid">
                {text_filter("audit-actor", "Actor", "Email or id", filters.actor, None)}
                {text_filter("audit-action", "Action", "e.g. role, auth.* or client.update", filters.action, Some("audit-actions"))}
                {text_filter("audit-target", "Target", "Object id", filters.target, None)}
                <div class="field">
                    <label for="audit-outcome">"Outcome"</label>
                    <select id="audit-outcome" class="select" on:change=move |ev| filters.outcome.set(event_target_value(&ev))>
                        <option value="" prop:selected=move || filters.outcome.with(String::is_empty)>"Any"</option>
                        <option value="success" prop:selected=move || filters.outcome.with(|o| o == "success")>"Success"</option>
                        <option value="failure" prop:selected=move || filters.outcome.with(|o| o == "failure")>"Failure"</option>
                        <option value="denied" prop:selected=move || filters.outcome.with(|o| o == "denied")>"Denied"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="audit-from">"From"</label>
                    <input id="audit-from" class="input" type="date" bind:value=filters.from />
                </div>
                <div class="field" class:field-invalid=move || range_problem.get().is_some()>
                    <label for="audit-to">"To"</label>
                    <input
                        id="audit-to"
                        class="input"
                        type="date"
                        min=move || filters.from.get()
                        aria-invalid=move || if range_problem.get().is_some() { "true" } else { "false" }
                        aria-describedby="audit-to-error"
                        bind:value=filters.to
                    />
                    <div id="audit-to-error" class="field-errors">
                        {move || range_problem.get().map(|m| view! { <p class="field-error">{m}</p> })}
                    </div>
                </div>
            </div>
            <datalist id="audit-actions">
                {ACTIONS.iter().map(|a| view! { <option value=*a></option> }).collect_view()}
            </datalist>
            <div class="filter-actions">
                <label class="check" for="audit-refreshes">
                    <input id="audit-refreshes" type="checkbox" bind:checked=filters.refreshes />
                    <span>"Show token refreshes"</span>
                </label>
                <button type="button" class="link-button" id="clear-filters" on:click=move |_| filters.clear()>
                    "Clear filters"
                </button>
            </div>
        </section>
        <section class="card section-gap" aria-label="Events">
            <ListState list=list loading="Loading events…" empty=empty />
            <Show when=move || !list.with_items(<[AuditEvent]>::is_empty)>
                <div class="table-wrap">
                    <table class="table audit-table" id="audit-table">
                        <thead>
                            <tr>
                                <th scope="col">"Time"</th>
                                <th scope="col">"Actor"</th>
                                <th scope="col">"Action"</th>
                                <th scope="col">"Target"</th>
                                <th scope="col">"Outcome"</th>
                                <th scope="col" class="col-extra">"IP"</th>
                                <th scope="col" class="col-extra">"Request"</th>
                                <th scope="col">
                                    <span class="visually-hidden">"Details"</span>
                                </th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </Show>
            <LoadMore list=list />
        </section>
    }
}

/// Fetches the CSV export for `query` with the client's token.
#[expect(
    clippy::default_trait_access,
    reason = "`Method::default()` is GET; naming the type needs reqwest as a direct dependency"
)]
async fn export_csv(client: &gmac_client::Client, query: &AuditQuery) -> Result<Vec<u8>, ApiError> {
    let network = |e: &dyn std::fmt::Display| ApiError::Network(e.to_string());
    let response = client
        .request(Default::default(), "/api/v1/audit/export.csv")
        .query(query)
        .send()
        .await
        .map_err(|e| network(&e))?;
    let response = gmac_client::check(response).await?;
    let bytes = response.bytes().await.map_err(|e| network(&e))?;
    Ok(bytes.to_vec())
}

#[cfg(test)]
mod tests {
    use gmac_types::{AuditVerification, BrokenLink};

    use super::verification_message;

    #[test]
    fn verification_reads_for_people() {
        let ok = AuditVerification {
            valid: true,
            checked: 12,
            first_bad: None,
        };
        assert!(verification_message(&ok).contains("intact: 12 entries"));
        let broken = AuditVerification {
            valid: false,
            checked: 4,
            first_bad: Some(BrokenLink {
                seq: 5,
                reason: "hash_mismatch".into(),
            }),
        };
        assert!(verification_message(&broken).contains("#5: it was edited"));
    }
}
