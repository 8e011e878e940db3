//! Costs per user or per team (as the allocation rules assign them), with "Unallocated" for
//! what no rule claims. Choosing someone opens their bill by service. The API does not narrow
//! allocated costs by project or tag (it refuses both), so the card leaves them out and says
//! so while one is set.

use gmac_types::{Comparison, CostGroup, CostQuery, SubjectKind};
use leptos::prelude::*;
use rust_decimal::Decimal;

use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::format::{money, short_day_label};
use crate::pages::costs::anomalies::signed_percent;
use crate::pages::costs::bill::SubjectBill;
use crate::pages::costs::export::ExportButton;
use crate::pages::costs::meter::{Meter, fraction, share_label};
use crate::pages::costs::{Dashboard, UnfilteredNote, group_name};

/// The key of the share no rule claims.
const UNALLOCATED: &str = "unallocated";

/// How a person's or team's cost moved against `before` (the days compared with, for people),
/// e.g. "+12.5% on 1 Nov – 2 Nov ($120.00)".
pub fn change_label(amount: &Decimal, previous: &Decimal, currency: &str, before: &str) -> String {
    if previous.is_zero() {
        return if amount.is_zero() {
            "Nothing in either period".to_owned()
        } else {
            format!("New: nothing on {before}")
        };
    }
    let percent = (*amount - *previous) * Decimal::ONE_HUNDRED / previous.abs();
    format!(
        "{} on {before} ({})",
        signed_percent(&percent),
        money(previous, currency)
    )
}

/// The days a change is measured against, for people: "1 Nov – 2 Nov", or "the period
/// before" when the server did not say.
pub fn before_label(compared: Option<&Comparison>) -> String {
    match compared {
        Some(c) if c.previous_from == c.previous_to => short_day_label(c.previous_from),
        Some(c) => format!(
            "{} – {}",
            short_day_label(c.previous_from),
            short_day_label(c.previous_to)
        ),
        None => "the period before".to_owned(),
    }
}

/// The per-user card, `#cost-per-user`.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the list, its tabs and the open bill share the card's state"
)]
pub fn PerSubject(
    /// The dashboard.
    dash: Dashboard,
) -> impl IntoView {
    let kind = RwSignal::new(SubjectKind::User);
    // Whose bill is open: their id and name.
    let chosen = RwSignal::new(None::<(String, String)>);
    let report = dash.report(move |v| {
        let group = match kind.get() {
            SubjectKind::User => "user",
            SubjectKind::Team => "team",
        };
        // With the period before, for the change per person and team.
        CostQuery {
            compare: true,
            ..v.people_query(Some(group))
        }
    });
    // Another period or client: the open bill follows; another tab: it closes.
    Effect::new(move |_| {
        kind.track();
        chosen.set(None);
    });
    let tab = move |which: SubjectKind, id: &'static str, label: &'static str| {
        view! {
            <button
                type="button"
                id=id
                class="segment"
                aria-pressed=move || if kind.get() == which { "true" } else { "false" }
                on:click=move |_| kind.set(which)
            >
                {label}
            </button>
        }
    };
    let rows = move |groups: Vec<CostGroup>, total: Decimal, currency: String, before: String| {
        let largest = groups
            .iter()
            .map(|g| g.amount)
            .max()
            .unwrap_or(Decimal::ZERO);
        groups
            .into_iter()
            .map(|group| {
                let name = group_name(&group);
                let unallocated = group.key == UNALLOCATED;
                let amount = money(&group.amount, &currency);
                let share = share_label(&group.amount, &total);
                let meter = view! { <Meter fraction=fraction(&group.amount, &largest) muted=unallocated /> };
                let change = group
                    .previous
                    .map(|previous| {
                        view! {
                            <span class="bar-change muted">{change_label(&group.amount, &previous, &currency, &before)}</span>
                        }
                    });
                if unallocated {
                    view! {
                        <li class="bar-row bar-row-muted" data-subject=UNALLOCATED>
                            <span class="bar-name">{name}</span>
                            <span class="bar-amount">{amount}</span>
                            <span class="bar-share muted">{share}</span>
                            {meter}
                            {change}
                        </li>
                    }
                    .into_any()
                } else {
                    let id = group.key.clone();
                    let is_open = {
                        let id = id.clone();
                        move || chosen.with(|c| c.as_ref().is_some_and(|(c, _)| *c == id))
                    };
                    let pick = (id.clone(), name.clone());
                    view! {
                        <li class="bar-row" data-subject=id>
                            <button
                                type="button"
                                class="bar-name link-button"
                                aria-expanded=move || if is_open() { "true" } else { "false" }
                                aria-controls="subject-bill"
                                on:click=move |_| chosen.set(Some(pick.clone()))
                            >
                                {name}
                            </button>
                            <span class="bar-amount">{amount}</span>
                            <span class="bar-share muted">{share}</span>
                            {meter}
                            {change}
                        </li>
                    }
                    .into_any()
                }
            })
            .collect_view()
    };

    view! {
        <section class="card section-gap" id="cost-per-user" aria-labelledby="cost-per-user-title">
            <header class="card-header">
                <h2 id="cost-per-user-title">"Who spends it"</h2>
                <div class="button-row">
                    <div class="segmented" role="group" aria-label="Group costs by">
                        {tab(SubjectKind::User, "cost-by-user", "Users")}
                        {tab(SubjectKind::Team, "cost-by-team", "Teams")}
                    </div>
                    <ExportButton
                        id="export-by-subject"
                        what="costs per user or team"
                        query=Signal::derive(move || {
                            let group = match kind.get() {
                                SubjectKind::User => "user",
                                SubjectKind::Team => "team",
                            };
                            dash.view.with(|v| v.people_query(Some(group)))
                        })
                    />
                </div>
            </header>
            <UnfilteredNote
                dash=dash
                id="people-unfiltered"
                what="Costs per person and team ignore the project and tag filters."
            />
            <div class="cost-people">
                {move || match report.get() {
                    None => view! { <Loading label="Loading…" /> }.into_any(),
                    Some(Err(failure)) => {
                        view! { <LoadFailed message=failure retry=Callback::new(move |()| report.refetch()) /> }
                            .into_any()
                    }
                    Some(Ok(report)) if report.groups.is_empty() => {
                        view! { <p class="list-empty muted">"No costs in this period."</p> }.into_any()
                    }
                    Some(Ok(report)) => {
                        let only_unallocated = report.groups.iter().all(|g| g.key == UNALLOCATED);
                        view! {
                            <ul class="bar-list" id="cost-subject-list">
                                {rows(
                                    report.groups,
                                    report.total,
                                    report.currency,
                                    before_label(report.compared.as_ref()),
                                )}
                            </ul>
                            {only_unallocated
                                .then(|| {
                                    view! {
                                        <p class="muted cost-note">
                                            "No allocation rule assigns these costs to anyone yet: tag \
                                             resources with an owner, or ask someone who manages costs to \
                                             add rules."
                                        </p>
                                    }
                                })}
                        }
                            .into_any()
                    }
                }}
                {move || {
                    chosen
                        .get()
                        .map(|(id, name)| {
                            view! {
                                <SubjectBill
                                    dash=dash
                                    kind=kind.get_untracked()
                                    id=id
                                    name=name
                                    on_close=Callback::new(move |()| chosen.set(None))
                                />
                            }
                        })
                }}
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn changes_read_against_the_period_before() {
        let before = before_label(Some(&Comparison {
            from: "2026-12-01".parse().unwrap(),
            to: "2026-12-02".parse().unwrap(),
            previous_from: "2026-11-01".parse().unwrap(),
            previous_to: "2026-11-02".parse().unwrap(),
        }));
        assert_eq!(
            change_label(&d("112.5"), &d("100"), "USD", &before),
            "+12.5% on 1 Nov – 2 Nov ($100.00)"
        );
        assert_eq!(
            change_label(&d("50"), &d("200"), "USD", "the period before"),
            "−75% on the period before ($200.00)"
        );
        assert_eq!(
            change_label(&d("5"), &d("0"), "USD", &before),
            "New: nothing on 1 Nov – 2 Nov"
        );
    }
}
