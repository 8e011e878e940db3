//! `/costs/allocation`: how costs are allocated to people and teams: the ordered rules,
//! creating and deleting them, and resources assigned by hand (for those who manage costs).

pub mod assignments;
pub mod outcome;
pub mod rule_form;
pub mod rules;

use crate::api::PAGE_SIZE;
use gmac_types::PageQuery;
use gmac_types::{Allocation, AllocationRule, Permission, ShareMethod, SubjectKind};
use leptos::prelude::*;

use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::icon::{Icon, IconName};
use crate::components::paging::Paged;
use crate::pages::costs::allocation::assignments::Assignments;
use crate::pages::costs::allocation::rule_form::NewRuleForm;
use crate::pages::costs::allocation::rules::RulesCard;
use crate::pages::costs::directory::{CostDirectory, use_cost_directory};
use crate::pages::costs::tabs::CostHeader;
use crate::state::use_auth;

/// What a rule matches, for people, e.g. "tag owner (any value) and service Amazon EC2".
pub fn match_label(rule: &AllocationRule) -> String {
    let mut parts = Vec::new();
    if let Some(key) = &rule.tag_key {
        parts.push(match &rule.tag_value {
            Some(value) => format!("tag {key} = {value}"),
            None => format!("tag {key} (any value)"),
        });
    }
    if let Some(account) = &rule.account {
        parts.push(format!("account {account}"));
    }
    if let Some(service) = &rule.service {
        parts.push(format!("service {service}"));
    }
    if parts.is_empty() {
        "every cost".to_owned()
    } else {
        parts.join(" and ")
    }
}

/// What happens to the costs a rule matches, for people.
pub fn allocation_label(allocation: &Allocation, directory: &CostDirectory) -> String {
    match allocation {
        Allocation::Assign { to } => format!("Assign to {}", directory.subject_label(to)),
        Allocation::FromTag {
            kind: SubjectKind::User,
        } => "Assign to the user whose email is the tag's value".to_owned(),
        Allocation::FromTag {
            kind: SubjectKind::Team,
        } => "Assign to the team the tag's value names".to_owned(),
        Allocation::Share { among, method } => {
            let how = match method {
                ShareMethod::Even => "evenly",
                ShareMethod::Proportional => "in proportion to their own costs",
            };
            if among.is_empty() {
                format!("Share {how} among everyone with costs that day")
            } else {
                let who: Vec<String> = among.iter().map(|s| directory.subject_label(s)).collect();
                format!("Share {how} among {}", who.join(", "))
            }
        }
    }
}

/// The allocation page.
#[component]
pub fn AllocationPage() -> impl IntoView {
    let auth = use_auth();
    let manages = move || auth.can(Permission::CostsManage);
    let directory = use_cost_directory(auth);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let rules = Paged::new(move |cursor| async move {
        let page = PageQuery::after(PAGE_SIZE, cursor);
        auth.call(move |c| {
            let page = page.clone();
            async move { c.list_allocation_rules(None, &page).await }
        })
        .await
    });
    let on_created = Callback::new(move |rule: AllocationRule| {
        error.set(None);
        notice.set(Some(format!(
            "Rule “{}” is created at position {}; the history it touches is being re-allocated.",
            rule.name, rule.position
        )));
        // The rules after it moved down: read the order again.
        rules.reload();
    });
    let editing = RwSignal::new(None::<AllocationRule>);
    let on_changed = Callback::new(move |rule: AllocationRule| {
        error.set(None);
        editing.set(None);
        notice.set(Some(format!(
            "Rule “{}” is changed (now at position {}); the history it touches is being re-allocated.",
            rule.name, rule.position
        )));
        rules.reload();
    });
    view! {
        <CostHeader
            title="Allocation"
            summary="Which person or team each cost belongs to, for the dashboard's “Who spends it”, \
                     budgets and invoices."
        >
            <Show when=manages>
                <a href="#new-rule" class="button">
                    <Icon name=IconName::Plus />
                    <span>"New rule"</span>
                </a>
            </Show>
        </CostHeader>
        <section class="card explainer" aria-labelledby="allocation-how-title">
            <h2 id="allocation-how-title" class="card-title">
                "How costs are allocated"
            </h2>
            <ol class="steps card-body" id="allocation-how">
                <li>"A resource assigned by hand (below) goes to whoever it is assigned to."</li>
                <li>"Otherwise the rules are tried in order; the first that matches a cost decides."</li>
                <li>
                    "What no rule claims is " <strong>"Unallocated"</strong>
                    ": it shows as such on the dashboard and has its own invoice."
                </li>
                <li>
                    "Creating or deleting a rule or an assignment re-allocates the history it touches \
                     in the background (its progress is on the Activity page): past months change \
                     too, and the dashboard follows when it is done."
                </li>
            </ol>
        </section>
        <NoticeBanner message=notice />
        <ErrorBanner message=error />
        <RulesCard rules=rules directory=directory notice=notice error=error editing=editing />
        <Show when=manages>
            {move || {
                let count = Signal::derive(move || rules.with_items(<[AllocationRule]>::len));
                let on_start = Callback::new(move |()| {
                    notice.set(None);
                    error.set(None);
                });
                match editing.get() {
                    Some(rule) => {
                        view! {
                            <NewRuleForm
                                directory=directory
                                count=count
                                on_created=on_changed
                                on_start=on_start
                                editing=rule
                                on_cancel=Callback::new(move |()| {
                                    editing.set(None);
                                    rules.reload();
                                })
                            />
                        }
                            .into_any()
                    }
                    None => {
                        view! {
                            <NewRuleForm directory=directory count=count on_created=on_created on_start=on_start />
                        }
                            .into_any()
                    }
                }
            }}
        </Show>
        <Assignments directory=directory />
    }
}

#[cfg(test)]
mod tests {
    use gmac_types::Subject;

    use super::*;

    fn rule(tag: Option<(&str, Option<&str>)>, service: Option<&str>) -> AllocationRule {
        AllocationRule {
            id: "r".into(),
            client_id: None,
            name: "n".into(),
            position: 1,
            tag_key: tag.map(|(k, _)| k.to_owned()),
            tag_value: tag.and_then(|(_, v)| v.map(str::to_owned)),
            account: None,
            service: service.map(str::to_owned),
            allocation: Allocation::FromTag {
                kind: SubjectKind::User,
            },
            created_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
            version: 1,
        }
    }

    #[test]
    fn rules_read_as_sentences() {
        assert_eq!(
            match_label(&rule(Some(("owner", None)), Some("EC2"))),
            "tag owner (any value) and service EC2"
        );
        assert_eq!(
            match_label(&rule(Some(("team", Some("web"))), None)),
            "tag team = web"
        );
        let directory = CostDirectory::default();
        let share = Allocation::Share {
            among: Vec::new(),
            method: ShareMethod::Even,
        };
        assert_eq!(
            allocation_label(&share, &directory),
            "Share evenly among everyone with costs that day"
        );
        let assign = Allocation::Assign {
            to: Subject {
                kind: SubjectKind::Team,
                id: "0190abcdef".into(),
            },
        };
        assert_eq!(
            allocation_label(&assign, &directory),
            "Assign to team 0190abcd…"
        );
    }
}
