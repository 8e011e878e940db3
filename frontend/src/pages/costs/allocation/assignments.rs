//! Resources assigned by hand, per client: one resource's costs go to a user or team, before
//! any rule is tried. Listing needs `costs.view` on the client; changing, `costs.manage`.

use crate::api::PAGE_SIZE;
use chrono::Days;
use gmac_types::PageQuery;
use gmac_types::{
    CostQuery, FieldError, NewResourceAssignment, Permission, ResourceAssignment, Subject,
    SubjectKind,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api::{describe, non_blank};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::icon::{Icon, IconName};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::paging::{ListState, LoadMore, Paged};
use crate::format::date_time_label;
use crate::pages::SubmittedForm;
use crate::pages::costs::directory::CostDirectory;
use crate::pages::costs::drivers::resource_name;
use crate::pages::costs::forms::{Choice, ChoiceSelect, form_errors};
use crate::pages::costs::one_page;
use crate::state::use_auth;

/// How far back costs are read to suggest resources.
const SUGGEST_DAYS: u64 = 90;

/// The assignments card, `#resource-assignments`.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the client choice, the list, the form and deletion share the card's state"
)]
pub fn Assignments(
    /// Clients, users and teams by name.
    directory: Signal<CostDirectory>,
) -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let manages = move || auth.can(Permission::CostsManage);
    let client = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(None::<Confirm>);
    // The first client is shown until another is chosen.
    Effect::new(move |_| {
        directory.with(|d| {
            if client.with_untracked(String::is_empty)
                && let Some(first) = d.clients.first()
            {
                client.set(first.id.clone());
            }
        });
    });
    let list = Paged::new(move |cursor| {
        let id = client.get_untracked();
        async move {
            if id.is_empty() {
                return Ok(one_page(Vec::new()));
            }
            let page = PageQuery::after(PAGE_SIZE, cursor);
            auth.call(move |c| {
                let (id, page) = (id.clone(), page.clone());
                async move { c.list_resource_assignments(&id, &page).await }
            })
            .await
        }
    });
    Effect::new(move |ran: Option<()>| {
        client.track();
        if ran.is_some() {
            list.reload();
        }
    });
    let resources = LocalResource::new(move || {
        let id = client.get();
        async move {
            if id.is_empty() {
                return Vec::new();
            }
            let today = crate::js::now().date_naive();
            let query = CostQuery {
                from: today
                    .checked_sub_days(Days::new(SUGGEST_DAYS))
                    .unwrap_or(today),
                to: today,
                group_by: Some("resource".to_owned()),
                client_id: Some(id),
                ..CostQuery::default()
            };
            auth.call(move |c| {
                let query = query.clone();
                async move { c.costs(&query).await }
            })
            .await
            .map(|r| {
                r.groups
                    .into_iter()
                    .map(|g| g.key)
                    .filter(|k| k != "(none)")
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
        }
    });
    let empty = Signal::derive(move || {
        if client.with(String::is_empty) {
            "Choose a client.".to_owned()
        } else {
            "No resource of this client is assigned by hand.".to_owned()
        }
    });

    let resource = RwSignal::new(String::new());
    let kind = RwSignal::new("user".to_owned());
    let subject = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    Effect::new(move |before: Option<String>| {
        let now = kind.get();
        if before.is_some_and(|b| b != now) {
            subject.set(String::new());
        }
        now
    });
    let subject_kind = move || {
        if kind.with(|k| k == "team") {
            SubjectKind::Team
        } else {
            SubjectKind::User
        }
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        notice.set(None);
        error.set(None);
        let mut problems = Vec::new();
        let resource_id = non_blank(&resource.get_untracked());
        if resource_id.is_none() {
            problems.push(FieldError::new(
                "resource_id",
                "required",
                "Enter the resource's id, e.g. its ARN.",
            ));
        }
        let who = subject.get_untracked();
        if who.is_empty() {
            problems.push(FieldError::new("to", "required", "Choose who pays for it."));
        }
        let (Some(resource_id), true) = (resource_id, problems.is_empty()) else {
            errors.set(FormErrors::from_fields(problems));
            submitted.focus_first_invalid();
            return;
        };
        let input = NewResourceAssignment {
            client_id: client.get_untracked(),
            resource_id,
            to: Subject {
                kind: subject_kind(),
                id: who,
            },
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let input = input.clone();
                    async move { c.assign_resource(&input).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(assigned) => {
                    resource.set(String::new());
                    subject.set(String::new());
                    notice.set(Some(format!(
                        "{} is assigned; its history is being re-allocated.",
                        resource_name(&assigned.resource_id)
                    )));
                    // A resource has one assignment: a new one replaces the old.
                    list.reload();
                }
                Err(err) => {
                    errors.set(form_errors(&err, &["resource_id", "to", "client_id"], &[]));
                    submitted.focus_first_invalid();
                }
            }
        });
    };
    let delete = move |assignment: ResourceAssignment| {
        confirm.set(Some(Confirm::danger(
            format!(
                "Remove the assignment of {}?",
                resource_name(&assignment.resource_id)
            ),
            "Its costs go back to the rules (or to Unallocated), also in past months.",
            "Remove assignment",
            move || {
                let id = assignment.id.clone();
                notice.set(None);
                error.set(None);
                spawn_local(async move {
                    let target = id.clone();
                    let result = auth
                        .call(move |c| {
                            let id = id.clone();
                            async move { c.delete_resource_assignment(&id).await }
                        })
                        .await;
                    match result {
                        Ok(()) => {
                            list.remove(|a| a.id == target);
                            notice.set(Some("The assignment was removed.".to_owned()));
                        }
                        Err(err) => error.set(Some(describe(&err))),
                    }
                });
            },
        )));
    };
    let row = move |a: ResourceAssignment| {
        let zone = account.time_zone();
        let to = a.to.clone();
        let who = move || directory.with(|d| d.subject_label(&to));
        let for_delete = a.clone();
        let remove_label = format!("Remove the assignment of {}", a.resource_id);
        view! {
            <tr data-resource=a.resource_id.clone()>
                <td data-label="Resource">
                    <span class="cell-title mono driver-name" title=a.resource_id.clone()>
                        {resource_name(&a.resource_id).to_owned()}
                    </span>
                    <span class="cell-sub mono cell-wrap">{a.resource_id.clone()}</span>
                </td>
                <td data-label="Goes to">{who}</td>
                <td class="nowrap" data-label="Since">{date_time_label(&a.created_at, zone.as_deref())}</td>
                <td class="cell-actions">
                    <Show when=manages>
                        <button
                            type="button"
                            class="button button-small button-danger-quiet"
                            aria-label=remove_label.clone()
                            on:click={
                                let a = for_delete.clone();
                                move |_| delete(a.clone())
                            }
                        >
                            <Icon name=IconName::Trash />
                            <span>"Remove"</span>
                        </button>
                    </Show>
                </td>
            </tr>
        }
    };
    let clients = Signal::derive(move || directory.with(CostDirectory::client_choices));
    let kinds = Signal::derive(|| vec![Choice::new("user", "User"), Choice::new("team", "Team")]);
    let subjects = Signal::derive(move || {
        let kind = subject_kind();
        directory.with(|d| d.subject_choices(kind))
    });

    view! {
        <section class="card section-gap" id="assignments-card" aria-labelledby="assignments-title">
            <header class="card-header">
                <div>
                    <h2 id="assignments-title">"Resources assigned by hand"</h2>
                    <p class="muted card-sub">"These beat every rule."</p>
                </div>
                <div class="field field-inline">
                    <label for="assignment-client">"Client"</label>
                    <select
                        id="assignment-client"
                        class="select"
                        on:change=move |ev| client.set(event_target_value(&ev))
                    >
                        {move || {
                            clients
                                .get()
                                .into_iter()
                                .map(|c| {
                                    let mine = c.value.clone();
                                    view! {
                                        <option value=c.value prop:selected=move || client.with(|v| *v == mine)>
                                            {c.label}
                                        </option>
                                    }
                                })
                                .collect_view()
                        }}
                    </select>
                </div>
            </header>
            <div class="card-body card-body-flush">
                <NoticeBanner message=notice />
                <ErrorBanner message=error />
            </div>
            <ListState list=list loading="Loading assignments…" empty=empty />
            <Show when=move || !list.with_items(<[ResourceAssignment]>::is_empty)>
                <div class="table-wrap">
                    <table class="table table-stack" id="resource-assignments">
                        <thead>
                            <tr>
                                <th scope="col">"Resource"</th>
                                <th scope="col">"Goes to"</th>
                                <th scope="col">"Since"</th>
                                <th scope="col">
                                    <span class="visually-hidden">"Actions"</span>
                                </th>
                            </tr>
                        </thead>
                        <tbody>{move || list.items().into_iter().map(row).collect_view()}</tbody>
                    </table>
                </div>
            </Show>
            <LoadMore list=list />
            <Show when=move || manages() && client.with(|c| !c.is_empty())>
                <form class="form card-body subpanel-form" novalidate=true on:submit=submit aria-label="Assign a resource">
                    <h3 class="subpanel-title">"Assign a resource"</h3>
                    <ErrorBanner message=banner />
                    <div class="field-row">
                        <FormField
                            id="new-assignment-resource"
                            field="resource_id"
                            label="Resource id"
                            autocomplete="off"
                            mono=true
                            list="assignment-resources"
                            value=resource
                            errors=errors
                            placeholder="e.g. arn:aws:ec2:…:instance/i-0abc"
                            disabled=busy
                        />
                        <ChoiceSelect
                            id="new-assignment-kind"
                            field="kind"
                            label="To a"
                            value=kind
                            choices=kinds
                            errors=errors
                            disabled=busy
                        />
                        <ChoiceSelect
                            id="new-assignment-to"
                            field="to"
                            label="Who"
                            value=subject
                            choices=subjects
                            placeholder="Choose…"
                            errors=errors
                            disabled=busy
                        />
                    </div>
                    <datalist id="assignment-resources">
                        {move || {
                            resources
                                .get()
                                .map(|list| list.into_iter().map(|r| view! { <option value=r></option> }).collect_view())
                        }}
                    </datalist>
                    <div class="form-actions">
                        <SubmitButton id="assign-resource" label="Assign" busy_label="Assigning…" busy=busy inline=true />
                    </div>
                </form>
            </Show>
            <ConfirmDialog request=confirm />
        </section>
    }
}
