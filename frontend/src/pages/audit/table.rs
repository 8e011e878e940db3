//! The audit log's table: one row per event, newest first, each expandable to its details.

use gmac_types::AuditEvent;
use leptos::prelude::*;

use crate::components::icon::{Icon, IconName};
use crate::components::scope::short_id;
use crate::format::date_time_label;

/// Who did it, for people: their label (email), else a short id, else the kind of actor.
pub fn actor_label(event: &AuditEvent) -> String {
    event
        .actor_label
        .clone()
        .or_else(|| event.actor_id.as_deref().map(short_id))
        .unwrap_or_else(|| event.actor_type.clone())
}

/// What it was done to, by name where the server knows one ("client Acme Corp"), else by a
/// short id ("client 0190abcd…").
pub fn target_label(event: &AuditEvent) -> String {
    match (&event.target_type, &event.target_id) {
        (Some(kind), Some(id)) => {
            let kind = kind.replace('_', " ");
            match &event.target_label {
                Some(name) => format!("{kind} {name}"),
                None => format!("{kind} {}", short_id(id)),
            }
        }
        (Some(kind), None) => kind.replace('_', " "),
        (None, Some(id)) => short_id(id),
        (None, None) => "—".to_owned(),
    }
}

/// The badge class of an outcome.
pub fn outcome_class(outcome: &str) -> &'static str {
    match outcome {
        "success" => "badge badge-success",
        "failure" => "badge badge-danger",
        "denied" => "badge badge-warning",
        _ => "badge",
    }
}

/// The event's details as indented JSON.
fn details_text(event: &AuditEvent) -> String {
    let mut all = serde_json::json!({
        "id": event.id,
        "seq": event.seq,
        "occurred_at": event.occurred_at,
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "scope_type": event.scope_type,
        "scope_id": event.scope_id,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "ip": event.ip,
        "request_id": event.request_id,
        "hash": event.hash,
    });
    all["details"] = event.details.clone();
    serde_json::to_string_pretty(&all).unwrap_or_default()
}

/// The rows of `events`; `open` holds the ids of the expanded ones.
pub fn rows(events: Vec<AuditEvent>, open: RwSignal<Vec<String>>, zone: Option<&str>) -> AnyView {
    events
        .into_iter()
        .map(|event| {
            let id = event.id.clone();
            let is_open = {
                let id = id.clone();
                move || open.with(|o| o.contains(&id))
            };
            let is_open_too = is_open.clone();
            let is_open_label = is_open.clone();
            let toggle = move |_| {
                let id = id.clone();
                open.update(|o| {
                    if o.contains(&id) {
                        o.retain(|x| *x != id);
                    } else {
                        o.push(id);
                    }
                });
            };
            let details = details_text(&event);
            let when = date_time_label(&event.occurred_at, zone);
            let actor = actor_label(&event);
            let actor_title = actor.clone();
            view! {
                <tr data-action=event.action.clone() class:row-open=is_open.clone()>
                    <td class="nowrap">{when}</td>
                    <td class="cell-actor" title=actor_title>{actor}</td>
                    <td>
                        <code class="audit-action">{event.action.clone()}</code>
                    </td>
                    <td class="cell-wrap">{target_label(&event)}</td>
                    <td>
                        <span class=outcome_class(&event.outcome)>{event.outcome.clone()}</span>
                    </td>
                    <td class="nowrap col-extra">{event.ip.clone().unwrap_or_default()}</td>
                    <td class="col-extra">
                        {event
                            .request_id
                            .clone()
                            .map(|id| {
                                let short = short_id(&id);
                                view! { <code class="audit-request" title=id>{short}</code> }
                            })}
                    </td>
                    <td class="cell-actions">
                        <button
                            type="button"
                            class="icon-button icon-button-small expand-button"
                            aria-expanded=move || if is_open_too() { "true" } else { "false" }
                            aria-label=move || {
                                if is_open_label() { "Hide details" } else { "Show details" }
                            }
                            on:click=toggle
                        >
                            <Icon name=IconName::ChevronDown />
                        </button>
                    </td>
                </tr>
                <Show when=is_open.clone()>
                    <tr class="audit-details">
                        <td colspan="8">
                            <pre class="json">{details.clone()}</pre>
                        </td>
                    </tr>
                </Show>
            }
        })
        .collect_view()
        .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> AuditEvent {
        AuditEvent {
            id: "e".into(),
            seq: 1,
            occurred_at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
            actor_type: "system".into(),
            actor_id: None,
            actor_label: None,
            action: "user.create".into(),
            target_type: Some("user".into()),
            target_id: Some("0190abcdef123".into()),
            target_label: None,
            scope_type: None,
            scope_id: None,
            ip: None,
            request_id: None,
            outcome: "success".into(),
            details: serde_json::json!({"email": "a@b.c"}),
            hash: "h".into(),
        }
    }

    #[test]
    fn events_read_for_people() {
        let e = event();
        assert_eq!(actor_label(&e), "system");
        assert_eq!(target_label(&e), "user 0190abcd…");
        let named = AuditEvent {
            target_type: Some("report_schedule".into()),
            target_label: Some("Platform monthly".into()),
            ..e.clone()
        };
        assert_eq!(target_label(&named), "report schedule Platform monthly");
        assert_eq!(outcome_class("denied"), "badge badge-warning");
        assert!(details_text(&e).contains("\"email\": \"a@b.c\""));
    }
}
