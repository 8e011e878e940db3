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

/// A value for people: text as it is, anything else as compact JSON, nothing as "—".
fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The event's details laid out: the fields a change changed (field, before, after), then
/// the other details (name, value), in their order.
fn laid_out(details: &serde_json::Value) -> (Vec<[String; 3]>, Vec<[String; 2]>) {
    let mut changes = Vec::new();
    let mut facts = Vec::new();
    let Some(object) = details.as_object() else {
        if !details.is_null() {
            facts.push(["details".to_owned(), value_text(details)]);
        }
        return (changes, facts);
    };
    let (before, after) = (&details["before"], &details["after"]);
    if before.is_object() || after.is_object() {
        let mut fields: Vec<&String> = Vec::new();
        for side in [before, after] {
            for key in side.as_object().into_iter().flat_map(|o| o.keys()) {
                if !fields.contains(&key) {
                    fields.push(key);
                }
            }
        }
        for field in fields {
            let (was, now) = (&before[field.as_str()], &after[field.as_str()]);
            if was != now {
                changes.push([field.clone(), value_text(was), value_text(now)]);
            }
        }
    }
    for (key, value) in object {
        if (key == "before" && before.is_object()) || (key == "after" && after.is_object()) {
            continue;
        }
        facts.push([key.replace('_', " "), value_text(value)]);
    }
    (changes, facts)
}

/// The expanded row: what changed, the details, the entry's own record, and the raw JSON.
fn details_view(event: &AuditEvent) -> impl IntoView + use<> {
    let (changes, facts) = laid_out(&event.details);
    let changes = (!changes.is_empty()).then(|| {
        let rows = changes
            .into_iter()
            .map(|[field, was, now]| {
                view! {
                    <tr>
                        <th scope="row">{field}</th>
                        <td class="cell-wrap">{was}</td>
                        <td class="cell-wrap">{now}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="table audit-changes">
                <thead>
                    <tr>
                        <th scope="col">"Changed"</th>
                        <th scope="col">"Before"</th>
                        <th scope="col">"After"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        }
    });
    let record = [
        ("Entry", Some(format!("#{} · {}", event.seq, event.id))),
        ("Target id", event.target_id.clone()),
        (
            "Scope",
            event
                .scope_type
                .as_ref()
                .map(|t| format!("{t} {}", event.scope_id.clone().unwrap_or_default())),
        ),
        ("Request id", event.request_id.clone()),
        ("Hash", Some(event.hash.clone())),
    ];
    let facts = facts
        .into_iter()
        .map(|[name, value]| (name, value))
        .chain(
            record
                .into_iter()
                .filter_map(|(name, value)| value.map(|v| (name.to_owned(), v))),
        )
        .map(|(name, value)| {
            view! {
                <div>
                    <dt>{name}</dt>
                    <dd class="cell-wrap">{value}</dd>
                </div>
            }
        })
        .collect_view();
    let raw = details_text(event);
    view! {
        {changes}
        <dl class="details audit-facts">{facts}</dl>
        <details class="audit-raw">
            <summary>"Raw JSON"</summary>
            <pre class="json">{raw}</pre>
        </details>
    }
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
            // Every row has this button: its name says whose it is.
            let row_name = format!("{} on {}", event.action, target_label(&event));
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
            let shown = event.clone();
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
                                let verb = if is_open_label() { "Hide" } else { "Show" };
                                format!("{verb} details of {row_name}")
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
                            {details_view(&shown)}
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

    #[test]
    fn a_change_is_laid_out_field_by_field() {
        let details = serde_json::json!({
            "before": {"name": "Acme", "description": null, "version": 1},
            "after": {"name": "Acme Corp", "description": null, "version": 2},
            "reason": "renamed"
        });
        let (changes, facts) = laid_out(&details);
        assert_eq!(
            changes,
            [
                ["name".to_owned(), "Acme".to_owned(), "Acme Corp".to_owned()],
                ["version".to_owned(), "1".to_owned(), "2".to_owned()],
            ]
        );
        assert_eq!(facts, [["reason".to_owned(), "renamed".to_owned()]]);
        let (changes, facts) =
            laid_out(&serde_json::json!({"rows_imported": 3, "file_name": "a.csv"}));
        assert!(changes.is_empty());
        assert_eq!(facts.len(), 2);
        assert!(facts.contains(&["rows imported".to_owned(), "3".to_owned()]));
    }
}
