//! What an allocation rule does with the costs it matches: assign them to a user or team,
//! to the owner its tag's value names, or share them among several.

use gmac_types::{Allocation, FieldError, ShareMethod, Subject, SubjectKind};
use leptos::prelude::*;

use crate::components::form_field::FormErrors;
use crate::pages::costs::directory::CostDirectory;
use crate::pages::costs::forms::{Choice, ChoiceSelect};

/// A subject kind a select's value stands for.
pub fn kind_of(value: &str) -> SubjectKind {
    if value == "team" {
        SubjectKind::Team
    } else {
        SubjectKind::User
    }
}

/// A subject as a checkbox's value, `user:<id>` or `team:<id>`, and back.
pub fn subject_of(value: &str) -> Option<Subject> {
    let (kind, id) = value.split_once(':')?;
    let kind = match kind {
        "user" => SubjectKind::User,
        "team" => SubjectKind::Team,
        _ => return None,
    };
    (!id.is_empty()).then(|| Subject {
        kind,
        id: id.to_owned(),
    })
}

/// The choices of the "Then" part, as typed. `Copy`: handles.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    /// `assign`, `from_tag` or `share`.
    pub kind: RwSignal<String>,
    /// `user` or `team`, to assign to.
    pub subject_kind: RwSignal<String>,
    /// The id assigned to.
    pub subject: RwSignal<String>,
    /// `user` or `team`: what the tag's value names.
    pub tag_kind: RwSignal<String>,
    /// `even` or `proportional`.
    pub method: RwSignal<String>,
    /// Who shares, as `user:<id>` / `team:<id>`.
    pub among: RwSignal<Vec<String>>,
}

impl Outcome {
    /// The defaults: assign to a user.
    #[expect(
        clippy::new_without_default,
        reason = "it creates signals and an effect in the current owner, which `Default` should not"
    )]
    pub fn new() -> Self {
        let outcome = Self {
            kind: RwSignal::new("assign".to_owned()),
            subject_kind: RwSignal::new("user".to_owned()),
            subject: RwSignal::new(String::new()),
            tag_kind: RwSignal::new("user".to_owned()),
            method: RwSignal::new("proportional".to_owned()),
            among: RwSignal::new(Vec::new()),
        };
        // Another kind of subject: choose again.
        Effect::new(move |before: Option<String>| {
            let now = outcome.subject_kind.get();
            if before.is_some_and(|b| b != now) {
                outcome.subject.set(String::new());
            }
            now
        });
        outcome
    }

    /// Shows `allocation`'s choices (a rule being changed).
    pub fn load(self, allocation: &Allocation) {
        let kind_name = |kind: SubjectKind| {
            if kind == SubjectKind::Team {
                "team".to_owned()
            } else {
                "user".to_owned()
            }
        };
        match allocation {
            Allocation::Assign { to } => {
                self.kind.set("assign".to_owned());
                self.subject_kind.set(kind_name(to.kind));
                self.subject.set(to.id.clone());
            }
            Allocation::FromTag { kind } => {
                self.kind.set("from_tag".to_owned());
                self.tag_kind.set(kind_name(*kind));
            }
            Allocation::Share { among, method } => {
                self.kind.set("share".to_owned());
                self.method.set(
                    if *method == ShareMethod::Even {
                        "even"
                    } else {
                        "proportional"
                    }
                    .to_owned(),
                );
                self.among.set(
                    among
                        .iter()
                        .map(|s| format!("{}:{}", kind_name(s.kind), s.id))
                        .collect(),
                );
            }
        }
    }

    /// Clears the choices of a rule just created.
    pub fn reset(self) {
        self.subject.set(String::new());
        self.among.set(Vec::new());
    }

    /// The allocation chosen, given the rule's tag `key` and `value`; what is wrong goes to
    /// `problems`.
    pub fn allocation(
        self,
        key: Option<&String>,
        value: Option<&String>,
        problems: &mut Vec<FieldError>,
    ) -> Option<Allocation> {
        match self.kind.get_untracked().as_str() {
            "from_tag" => {
                if key.is_none() || value.is_some() {
                    problems.push(FieldError::new(
                        "allocation",
                        "needs_tag_key",
                        "Taking the owner from a tag needs a tag key and no fixed value.",
                    ));
                }
                Some(Allocation::FromTag {
                    kind: kind_of(&self.tag_kind.get_untracked()),
                })
            }
            "share" => Some(Allocation::Share {
                among: self
                    .among
                    .get_untracked()
                    .iter()
                    .filter_map(|v| subject_of(v))
                    .collect(),
                method: if self.method.get_untracked() == "even" {
                    ShareMethod::Even
                } else {
                    ShareMethod::Proportional
                },
            }),
            _ => {
                let id = self.subject.get_untracked();
                if id.is_empty() {
                    problems.push(FieldError::new(
                        "subject",
                        "required",
                        "Choose who the costs go to.",
                    ));
                    None
                } else {
                    Some(Allocation::Assign {
                        to: Subject {
                            kind: kind_of(&self.subject_kind.get_untracked()),
                            id,
                        },
                    })
                }
            }
        }
    }
}

/// The "Then" fieldset.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "three kinds of allocation, each with its fields, in one fieldset"
)]
pub fn OutcomeFields(
    /// The choices.
    outcome: Outcome,
    /// Users and teams to choose from.
    directory: Signal<CostDirectory>,
    /// The form's errors.
    errors: RwSignal<FormErrors>,
    /// Whether the form is being sent.
    busy: RwSignal<bool>,
) -> impl IntoView {
    let Outcome {
        kind,
        subject_kind,
        subject,
        tag_kind,
        method,
        among,
    } = outcome;
    let kinds = Signal::derive(|| {
        vec![
            Choice::new("assign", "Assign to a user or team"),
            Choice::new("from_tag", "Assign to the owner the tag's value names"),
            Choice::new("share", "Share among several"),
        ]
    });
    let subject_kinds =
        Signal::derive(|| vec![Choice::new("user", "User"), Choice::new("team", "Team")]);
    let tag_kinds = Signal::derive(|| {
        vec![
            Choice::new("user", "A user, by email (e.g. owner=ada@example.com)"),
            Choice::new("team", "A team, by name (e.g. team=Platform)"),
        ]
    });
    let methods = Signal::derive(|| {
        vec![
            Choice::new("proportional", "In proportion to their own costs"),
            Choice::new("even", "Evenly"),
        ]
    });
    let subjects = Signal::derive(move || {
        let kind = kind_of(&subject_kind.get());
        directory.with(|d| d.subject_choices(kind))
    });
    let checkbox = move |value: String, label: String| {
        let (mine, toggled) = (value.clone(), value.clone());
        let id = format!("among-{}", value.replace(':', "-"));
        let label_for = id.clone();
        view! {
            <label class="check check-small" for=label_for>
                <input
                    id=id
                    type="checkbox"
                    value=value
                    disabled=move || busy.get()
                    prop:checked=move || among.with(|a| a.contains(&mine))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        among
                            .update(|a| {
                                a.retain(|v| *v != toggled);
                                if on {
                                    a.push(toggled.clone());
                                }
                            });
                    }
                />
                <span class="check-label">{label}</span>
            </label>
        }
    };

    view! {
        <fieldset class="fieldset">
            <legend>"Then"</legend>
            <div class="field-row">
                <ChoiceSelect
                    id="new-rule-kind"
                    field="allocation"
                    label="What happens"
                    value=kind
                    choices=kinds
                    errors=errors
                    disabled=busy
                />
                <Show when=move || kind.with(|k| k == "assign")>
                    <ChoiceSelect
                        id="new-rule-subject-kind"
                        field="subject_kind"
                        label="To a"
                        value=subject_kind
                        choices=subject_kinds
                        errors=errors
                        disabled=busy
                    />
                    <ChoiceSelect
                        id="new-rule-subject"
                        field="subject"
                        label="Who"
                        value=subject
                        choices=subjects
                        placeholder="Choose…"
                        errors=errors
                        disabled=busy
                    />
                </Show>
                <Show when=move || kind.with(|k| k == "from_tag")>
                    <ChoiceSelect
                        id="new-rule-tag-kind"
                        field="tag_kind"
                        label="The tag's value names"
                        value=tag_kind
                        choices=tag_kinds
                        errors=errors
                        hint="Values naming nobody stay Unallocated. Leave the tag value empty."
                        disabled=busy
                    />
                </Show>
                <Show when=move || kind.with(|k| k == "share")>
                    <ChoiceSelect
                        id="new-rule-method"
                        field="method"
                        label="Split"
                        value=method
                        choices=methods
                        errors=errors
                        disabled=busy
                    />
                </Show>
            </div>
            <Show when=move || kind.with(|k| k == "share")>
                <div class="among" role="group" aria-labelledby="among-title" aria-describedby="among-hint">
                    <p class="field-label" id="among-title">"Among"</p>
                    <p class="field-hint" id="among-hint">
                        "None ticked: everyone with costs of their own that day."
                    </p>
                    {move || {
                        directory
                            .with(|d| {
                                let users = d
                                    .users
                                    .iter()
                                    .filter(|u| u.active)
                                    .map(|u| checkbox(format!("user:{}", u.id), u.name.clone()))
                                    .collect_view();
                                let teams = d
                                    .teams
                                    .iter()
                                    .map(|t| checkbox(format!("team:{}", t.id), format!("Team {}", t.name)))
                                    .collect_view();
                                view! { <div class="check-grid">{users}{teams}</div> }
                            })
                    }}
                </div>
            </Show>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkbox_values_name_subjects() {
        assert_eq!(
            subject_of("team:t1"),
            Some(Subject {
                kind: SubjectKind::Team,
                id: "t1".into()
            })
        );
        assert_eq!(subject_of("user:"), None);
        assert_eq!(subject_of("robot:x"), None);
        assert_eq!(kind_of("team"), SubjectKind::Team);
    }
}
