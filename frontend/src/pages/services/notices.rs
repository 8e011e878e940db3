//! The notification rules on a service's page: which of its events, in which kinds of
//! environment, email which teams and addresses. The whole list is saved at once; the
//! server's `/notifications/<i>/…` errors show under the rule and the field they are about.

use gmac_client::ApiError;
use gmac_types::notices::MAX_NOTICE_RULES;
use gmac_types::{
    EnvironmentKind, ErrorCode, FieldError, NoticeRule, Service, ServiceNotice, ServicePatch, Team,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, CHANGED_ELSEWHERE};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, SubmitButton};
use crate::components::icon::{Icon, IconName};
use crate::pages::SubmittedForm;
use crate::pages::costs::forms::messages_at;
use crate::pages::costs::reports::form::split_recipients;
use crate::state::{Auth, use_auth};

/// A rule as the form holds it: its addresses as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Draft {
    events: Vec<ServiceNotice>,
    environments: Vec<EnvironmentKind>,
    team_ids: Vec<String>,
    emails: String,
}

impl Draft {
    fn of(rule: &NoticeRule) -> Self {
        Self {
            events: rule.events.clone(),
            environments: rule.environments.clone(),
            team_ids: rule.team_ids.clone(),
            emails: rule.emails.join(", "),
        }
    }

    /// The rule to send. The addresses go as typed, for the server to check each one.
    fn rule(&self) -> NoticeRule {
        NoticeRule {
            events: self.events.clone(),
            environments: self.environments.clone(),
            team_ids: self.team_ids.clone(),
            emails: split_recipients(&self.emails),
        }
    }
}

/// The fields of a rule that the server's pointers name, each shown under its own inputs.
const RULE_FIELDS: [&str; 4] = ["events", "environments", "team_ids", "emails"];

/// Where the server's `error` about the `sent` rules shows: under the field of the rule it
/// points into (`/notifications/0/emails/1` under the first rule's addresses, naming the
/// address), under the rule (`/notifications/0`), or, when it is about no rule, nowhere
/// (`None`: the banner says it).
fn place(error: &FieldError, sent: &[NoticeRule]) -> Option<FieldError> {
    let mut parts = error.pointer.strip_prefix("/notifications/")?.split('/');
    let i: usize = parts.next()?.parse().ok()?;
    let rule = sent.get(i)?;
    let Some(field) = parts.next().filter(|f| RULE_FIELDS.contains(f)) else {
        return Some(FieldError {
            pointer: format!("/notifications/{i}"),
            ..error.clone()
        });
    };
    let item = parts.next().and_then(|j| j.parse::<usize>().ok());
    let named = match (field, item) {
        ("emails", Some(j)) => rule.emails.get(j),
        ("team_ids", Some(j)) => rule.team_ids.get(j),
        _ => None,
    };
    Some(FieldError {
        pointer: format!("/notifications/{i}/{field}"),
        code: error.code.clone(),
        detail: named.map_or_else(
            || error.detail.clone(),
            |n| format!("{n}: {}", error.detail),
        ),
    })
}

/// The errors of a failed save of `sent`: each under its rule's field, the rest in the banner.
fn rule_errors(err: &ApiError, sent: &[NoticeRule]) -> FormErrors {
    let Some(problem) = err.problem().filter(|p| !p.errors.is_empty()) else {
        return FormErrors::from_message(err.message());
    };
    let mut banner = Vec::new();
    let mut fields = Vec::new();
    for error in &problem.errors {
        match place(error, sent) {
            Some(placed) => fields.push(placed),
            None => banner.push(error.detail.clone()),
        }
    }
    FormErrors {
        banner: (!banner.is_empty()).then(|| banner.join(" ")),
        fields,
    }
}

/// Puts `item` into `list` (`on`) or takes it out.
fn set_in<T: PartialEq>(list: &mut Vec<T>, item: T, on: bool) {
    list.retain(|x| *x != item);
    if on {
        list.push(item);
    }
}

/// Reads one of a draft's lists.
type ListOf<T> = fn(&Draft) -> &Vec<T>;
/// Changes one of a draft's lists.
type ListOfMut<T> = fn(&mut Draft) -> &mut Vec<T>;

/// What the card's parts share.
#[derive(Clone, Copy, Debug)]
struct RulesForm {
    auth: Auth,
    drafts: RwSignal<Vec<Draft>>,
    errors: RwSignal<FormErrors>,
    notice: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
}

impl RulesForm {
    fn fill(self, rules: &[NoticeRule]) {
        self.drafts.set(rules.iter().map(Draft::of).collect());
    }

    /// Changes rule `i`, and drops the messages about its `field` (and, for whom it tells,
    /// about the rule).
    fn edit(self, i: usize, field: &str, change: impl FnOnce(&mut Draft)) {
        self.drafts.update(|d| {
            if let Some(draft) = d.get_mut(i) {
                change(draft);
            }
        });
        let at = format!("/notifications/{i}/{field}");
        let rule = format!("/notifications/{i}");
        let whom = matches!(field, "team_ids" | "emails");
        let stale = |f: &FieldError| f.pointer == at || (whom && f.pointer == rule);
        if self.errors.with_untracked(|e| e.fields.iter().any(stale)) {
            self.errors.update(|e| e.fields.retain(|f| !stale(f)));
        }
    }

    /// The messages at `pointer`.
    fn messages(self, pointer: String) -> Signal<Vec<String>> {
        let errors = self.errors;
        Signal::derive(move || errors.with(|e| messages_at(e, &pointer)))
    }

    /// A checkbox `#id` for `item` in a list of rule `i` (`field`, as the server names it).
    fn check<T>(
        self,
        i: usize,
        (field, list, list_mut): (&'static str, ListOf<T>, ListOfMut<T>),
        (id, label): (String, String),
        item: T,
    ) -> impl IntoView
    where
        T: Clone + PartialEq + Send + Sync + 'static,
    {
        let drafts = self.drafts;
        let shown = item.clone();
        let checked = move || drafts.with(|d| d.get(i).is_some_and(|r| list(r).contains(&shown)));
        let invalid = self.messages(format!("/notifications/{i}/{field}"));
        let label_for = id.clone();
        view! {
            <label class="check check-small" for=label_for>
                <input
                    id=id
                    type="checkbox"
                    prop:checked=checked
                    aria-invalid=move || if invalid.with(Vec::is_empty) { "false" } else { "true" }
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        let item = item.clone();
                        self.edit(i, field, move |d| set_in(list_mut(d), item, on));
                    }
                />
                <span class="check-label">{label}</span>
            </label>
        }
    }

    fn save(self, current: RwSignal<Service>, reload: Callback<()>, submitted: SubmittedForm) {
        if self.busy.get_untracked() {
            return;
        }
        let sent: Vec<NoticeRule> = self
            .drafts
            .with_untracked(|d| d.iter().map(Draft::rule).collect());
        let patch = ServicePatch {
            notifications: Some(sent.clone()),
            ..ServicePatch::default()
        };
        let (id, version) = current.with_untracked(|s| (s.id.clone(), s.version));
        self.busy.set(true);
        self.errors.set(FormErrors::default());
        self.notice.set(None);
        spawn_local(async move {
            let result = self
                .auth
                .call(move |c| {
                    let (id, patch) = (id.clone(), patch.clone());
                    async move { c.update_service(&id, &patch, Some(version)).await }
                })
                .await;
            self.busy.set(false);
            match result {
                Ok(saved) => {
                    self.fill(&saved.notifications);
                    current.set(saved);
                    self.notice
                        .set(Some("The notification rules are saved.".to_owned()));
                }
                Err(err) if api::is(&err, ErrorCode::PreconditionFailed) => {
                    self.errors
                        .set(FormErrors::from_message(CHANGED_ELSEWHERE.to_owned()));
                    reload.run(());
                }
                Err(err) => {
                    self.errors.set(rule_errors(&err, &sent));
                    submitted.focus_first_invalid();
                }
            }
        });
    }
}

/// The messages of a field, in the container `#id` its inputs' `aria-describedby` names.
fn field_messages(id: String, messages: Signal<Vec<String>>) -> impl IntoView {
    view! {
        <div id=id class="field-errors">
            {move || {
                messages
                    .get()
                    .into_iter()
                    .map(|m| view! { <p class="field-error">{m}</p> })
                    .collect_view()
            }}
        </div>
    }
}

/// A group of checkboxes `#{id}` titled `title`, with a hint and the messages of rule `i`'s
/// `field` (`#{id}-error`).
fn check_group(
    form: RulesForm,
    (i, field, id): (usize, &'static str, String),
    title: &'static str,
    hint: Option<&'static str>,
    boxes: impl IntoView + 'static,
) -> impl IntoView {
    let (title_id, hint_id, error_id) = (
        format!("{id}-title"),
        format!("{id}-hint"),
        format!("{id}-error"),
    );
    let described = match hint {
        Some(_) => format!("{hint_id} {error_id}"),
        None => error_id.clone(),
    };
    let labelled = title_id.clone();
    view! {
        <div class="notice-group" role="group" id=id aria-labelledby=labelled aria-describedby=described>
            <p class="field-label" id=title_id>{title}</p>
            {hint.map(|text| view! { <p class="field-hint" id=hint_id>{text}</p> })}
            <div class="check-grid">{boxes}</div>
            {field_messages(error_id, form.messages(format!("/notifications/{i}/{field}")))}
        </div>
    }
}

/// The teams to choose from for rule `i`: those loaded, then any it names that are not among
/// them (by id).
fn team_checks(form: RulesForm, i: usize, teams: LocalResource<Vec<Team>>) -> impl IntoView {
    const TEAMS: (&str, ListOf<String>, ListOfMut<String>) =
        ("team_ids", |d| &d.team_ids, |d| &mut d.team_ids);
    let named = form
        .drafts
        .with_untracked(|d| d.get(i).map(|r| r.team_ids.clone()))
        .unwrap_or_default();
    move || {
        let Some(loaded) = teams.get() else {
            return view! { <p class="field-hint">"Loading teams…"</p> }.into_any();
        };
        let mut choices: Vec<(String, String)> =
            loaded.into_iter().map(|t| (t.id, t.name)).collect();
        for id in &named {
            if !choices.iter().any(|(known, _)| known == id) {
                choices.push((id.clone(), id.clone()));
            }
        }
        if choices.is_empty() {
            return view! { <p class="field-hint">"There are no teams yet."</p> }.into_any();
        }
        choices
            .into_iter()
            .map(|(id, name)| form.check(i, TEAMS, (format!("notice-{i}-team-{id}"), name), id))
            .collect_view()
            .into_any()
    }
}

/// The addresses of rule `i`, `#notice-{i}-emails`.
fn emails_field(form: RulesForm, i: usize) -> impl IntoView {
    let id = format!("notice-{i}-emails");
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    let described = format!("{hint_id} {error_id} notice-{i}-error");
    let messages = form.messages(format!("/notifications/{i}/emails"));
    let whole = form.messages(format!("/notifications/{i}"));
    let invalid = move || !messages.with(Vec::is_empty) || !whole.with(Vec::is_empty);
    let drafts = form.drafts;
    let label_for = id.clone();
    view! {
        <div class="field" class:field-invalid=move || !messages.with(Vec::is_empty)>
            <label for=label_for>"Email addresses"</label>
            <textarea
                id=id
                name="emails"
                class="input"
                rows="2"
                autocapitalize="none"
                spellcheck="false"
                placeholder="ops@example.com"
                aria-invalid=move || if invalid() { "true" } else { "false" }
                aria-describedby=described
                prop:value=move || drafts.with(|d| d.get(i).map(|r| r.emails.clone()).unwrap_or_default())
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    form.edit(i, "emails", move |d| d.emails = text);
                }
            ></textarea>
            <p class="field-hint" id=hint_id>"Separated by commas, spaces or new lines."</p>
            {field_messages(error_id, messages)}
        </div>
    }
}

/// Rule `index` of the list: its events, environments, teams and addresses, and its removal.
#[component]
fn RuleFields(form: RulesForm, index: usize, teams: LocalResource<Vec<Team>>) -> impl IntoView {
    const EVENTS: (&str, ListOf<ServiceNotice>, ListOfMut<ServiceNotice>) =
        ("events", |d| &d.events, |d| &mut d.events);
    const KINDS: (&str, ListOf<EnvironmentKind>, ListOfMut<EnvironmentKind>) =
        ("environments", |d| &d.environments, |d| &mut d.environments);
    let i = index;
    let events = ServiceNotice::ALL.map(|notice| {
        let id = format!("notice-{i}-{}", notice.id());
        form.check(i, EVENTS, (id, notice.label().to_owned()), notice)
    });
    let kinds = EnvironmentKind::ALL.map(|kind| {
        let label = match kind {
            EnvironmentKind::Staging => "Staging",
            EnvironmentKind::Production => "Production",
            EnvironmentKind::Preview => "Previews",
        };
        let id = format!("notice-{i}-env-{}", kind.id());
        form.check(i, KINDS, (id, label.to_owned()), kind)
    });
    let remove = move |_| {
        form.drafts.update(|d| {
            if i < d.len() {
                d.remove(i);
            }
        });
        // The messages were about the rules as they were numbered.
        form.errors.set(FormErrors::default());
    };
    view! {
        <li>
            <fieldset class="fieldset notice-rule" id=format!("notice-{i}") aria-describedby=format!("notice-{i}-error") disabled=move || form.busy.get()>
                <legend>{format!("Rule {}", i + 1)}</legend>
                {check_group(form, (i, "events", format!("notice-{i}-events")), "When", None, events.into_iter().collect_view())}
                {check_group(
                    form,
                    (i, "environments", format!("notice-{i}-env")),
                    "In",
                    Some("None ticked: in every environment. A failed build is of no environment and is told whatever this says."),
                    kinds.into_iter().collect_view(),
                )}
                {check_group(form, (i, "team_ids", format!("notice-{i}-teams")), "Email the teams", None, team_checks(form, i, teams))}
                {emails_field(form, i)}
                {field_messages(format!("notice-{i}-error"), form.messages(format!("/notifications/{i}")))}
                <div class="form-actions">
                    <button type="button" class="button button-small button-danger-quiet" id=format!("notice-{i}-remove")
                        aria-label=format!("Remove rule {}", i + 1) on:click=remove>
                        <Icon name=IconName::Trash />
                        <span>"Remove"</span>
                    </button>
                </div>
            </fieldset>
        </li>
    }
}

/// The notification rules of a service's page, for those who manage it.
#[component]
pub fn NotificationsCard(current: RwSignal<Service>, reload: Callback<()>) -> impl IntoView {
    let form = RulesForm {
        auth: use_auth(),
        drafts: RwSignal::new(Vec::new()),
        errors: RwSignal::new(FormErrors::default()),
        notice: RwSignal::new(None),
        busy: RwSignal::new(false),
    };
    current.with_untracked(|s| form.fill(&s.notifications));
    let teams = super::all_teams();
    let count = Memo::new(move |_| form.drafts.with(Vec::len));
    let full = move || count.get() >= MAX_NOTICE_RULES;
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        form.save(current, reload, SubmittedForm::of(&ev));
    };
    let add = move |_| {
        form.drafts.update(|d| d.push(Draft::default()));
        form.notice.set(None);
    };
    let banner = Signal::derive(move || form.errors.with(|e| e.banner.clone()));
    view! {
        <section class="card section-gap" aria-labelledby="notices-title">
            <h2 id="notices-title" class="card-title">"Notifications"</h2>
            <form class="form card-body" id="service-notices" novalidate=true on:submit=save>
                <p class="muted">
                    "Email people when something happens to this service. A team's members are emailed only if they may see the service and have not turned deploy emails off in their profile."
                </p>
                <NoticeBanner message=form.notice />
                <ErrorBanner message=banner />
                <Show when=move || count.get() == 0>
                    <p class="list-empty" id="no-notice-rules">"No rules: nobody is emailed about this service."</p>
                </Show>
                <ol class="edit-list" id="notice-rules">
                    {move || (0..count.get()).map(|i| view! { <RuleFields form=form index=i teams=teams /> }).collect_view()}
                </ol>
                <Show when=full>
                    <p class="field-hint">{format!("A service has at most {MAX_NOTICE_RULES} rules.")}</p>
                </Show>
                <div class="form-actions">
                    <button type="button" class="button" id="add-notice-rule" disabled=move || form.busy.get() || full() on:click=add>
                        <Icon name=IconName::Plus />
                        <span>"Add a rule"</span>
                    </button>
                    <SubmitButton id="save-notices" label="Save notifications" busy_label="Saving…" busy=form.busy inline=true />
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use gmac_types::ProblemDetails;

    use super::*;

    fn sent() -> Vec<NoticeRule> {
        vec![
            NoticeRule::default(),
            Draft {
                events: vec![ServiceNotice::DeployFailed],
                team_ids: vec!["t1".to_owned()],
                emails: "ops@example.com,\nnot-an-address  dev@example.com".to_owned(),
                ..Draft::default()
            }
            .rule(),
        ]
    }

    #[test]
    fn addresses_are_split_at_commas_spaces_and_new_lines() {
        assert_eq!(
            sent()[1].emails,
            ["ops@example.com", "not-an-address", "dev@example.com"]
        );
        assert!(Draft::default().rule().emails.is_empty());
    }

    #[test]
    fn errors_go_under_the_rule_and_field_they_point_into_naming_the_address() {
        let problem = ProblemDetails::new(ErrorCode::ValidationFailed).with_errors(vec![
            FieldError::at(&["notifications", "0", "events"], "required", "Choose one."),
            FieldError::at(&["notifications", "0"], "no_recipients", "Name someone."),
            FieldError::at(
                &["notifications", "1", "emails", "1"],
                "invalid_email",
                "Bad.",
            ),
            FieldError::at(
                &["notifications", "1", "team_ids", "0"],
                "unknown",
                "No team.",
            ),
            FieldError::at(&["notifications"], "too_many", "Too many rules."),
            FieldError::at(&["notifications", "7"], "too_many", "No such rule."),
            FieldError::new("name", "required", "Elsewhere."),
        ]);
        let errors = rule_errors(&ApiError::Problem(Box::new(problem)), &sent());
        assert_eq!(
            messages_at(&errors, "/notifications/0/events"),
            ["Choose one."]
        );
        assert_eq!(messages_at(&errors, "/notifications/0"), ["Name someone."]);
        assert_eq!(
            messages_at(&errors, "/notifications/1/emails"),
            ["not-an-address: Bad."]
        );
        assert_eq!(
            messages_at(&errors, "/notifications/1/team_ids"),
            ["t1: No team."]
        );
        assert_eq!(
            errors.banner.as_deref(),
            Some("Too many rules. No such rule. Elsewhere.")
        );
    }

    #[test]
    fn a_failure_without_field_errors_is_the_banners() {
        let problem = ProblemDetails::new(ErrorCode::Forbidden).with_detail("Not yours.");
        let errors = rule_errors(&ApiError::Problem(Box::new(problem)), &[]);
        assert_eq!(errors.banner.as_deref(), Some("Not yours."));
        assert!(errors.fields.is_empty());
    }
}
