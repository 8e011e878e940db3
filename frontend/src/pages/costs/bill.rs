//! One user's or team's bill for the range: their allocated costs by service, and the total.

use gmac_types::SubjectKind;
use leptos::prelude::*;

use crate::components::icon::{Icon, IconName};
use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::format::money;
use crate::pages::costs::export::ExportButton;
use crate::pages::costs::{Dashboard, group_name};

/// The bill panel, `#subject-bill`.
#[component]
pub fn SubjectBill(
    /// The dashboard.
    dash: Dashboard,
    /// A user or a team.
    kind: SubjectKind,
    /// Their id.
    id: String,
    /// Their name.
    name: String,
    /// Closes the panel.
    on_close: Callback<()>,
) -> impl IntoView {
    let who = StoredValue::new(id);
    let shape = move |v: &crate::pages::costs::view::CostView| {
        let mut query = v.people_query(Some("service"));
        let id = Some(who.get_value());
        match kind {
            SubjectKind::User => query.user_id = id,
            SubjectKind::Team => query.team_id = id,
        }
        query
    };
    let report = dash.report(shape);
    let export = Signal::derive(move || dash.view.with(shape));
    let title = name + "’s bill";
    view! {
        <section class="subpanel subject-bill" id="subject-bill" aria-labelledby="subject-bill-title" aria-live="polite">
            <div class="subject-bill-head">
                <h3 class="subpanel-title" id="subject-bill-title">
                    {title}
                </h3>
                <div class="button-row">
                    <ExportButton id="export-bill" what="this bill" query=export />
                    <button
                        type="button"
                        class="icon-button icon-button-small"
                        aria-label="Close the bill"
                        on:click=move |_| on_close.run(())
                    >
                        <Icon name=IconName::Close />
                    </button>
                </div>
            </div>
            {move || match report.get() {
                None => view! { <Loading label="Loading the bill…" /> }.into_any(),
                Some(Err(failure)) => {
                    view! { <LoadFailed message=failure retry=Callback::new(move |()| report.refetch()) /> }
                        .into_any()
                }
                Some(Ok(report)) if report.groups.is_empty() => {
                    view! { <p class="muted">"Nothing is allocated to them in this period."</p> }.into_any()
                }
                Some(Ok(report)) => {
                    let currency = report.currency.clone();
                    view! {
                        <table class="table bill-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Service"</th>
                                    <th scope="col" class="num">"Cost"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {report
                                    .groups
                                    .iter()
                                    .map(|group| {
                                        view! {
                                            <tr data-service=group.key.clone()>
                                                <td>{group_name(group)}</td>
                                                <td class="num nowrap">{money(&group.amount, &currency)}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                            <tfoot>
                                <tr>
                                    <th scope="row">"Total"</th>
                                    <td class="num nowrap" id="subject-bill-total">
                                        {money(&report.total, &report.currency)}
                                    </td>
                                </tr>
                            </tfoot>
                        </table>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
