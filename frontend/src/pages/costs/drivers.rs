//! The top cost drivers: the five resources that cost the most in the range.

use gmac_types::CostGroup;
use leptos::prelude::*;

use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::format::money;
use crate::pages::costs::export::ExportButton;
use crate::pages::costs::meter::share_label;

use crate::pages::costs::Dashboard;

/// How many resources are listed.
const TOP: usize = 5;

/// A resource id for people: the part after the last `/` or `:` of an ARN-like id (the full
/// id stays in the tooltip).
pub fn resource_name(id: &str) -> &str {
    id.rsplit(['/', ':'])
        .find(|part| !part.is_empty())
        .unwrap_or(id)
}

/// The kind of resource an ARN names, e.g. `ec2` in `arn:aws:ec2:…`.
pub fn resource_kind(id: &str) -> Option<&str> {
    let mut parts = id.split(':');
    (parts.next() == Some("arn"))
        .then(|| parts.nth(1))
        .flatten()
        .filter(|s| !s.is_empty())
}

/// The top drivers card, `#cost-drivers`.
#[component]
pub fn TopDrivers(
    /// The dashboard.
    dash: Dashboard,
) -> impl IntoView {
    let report = dash.report(|v| v.query(Some("resource")));
    view! {
        <section class="card" id="cost-drivers" aria-labelledby="cost-drivers-title">
            <header class="card-header">
                <h2 id="cost-drivers-title">"Top cost drivers"</h2>
                <ExportButton
                    id="export-by-resource"
                    what="costs by resource"
                    query=Signal::derive(move || dash.view.with(|v| v.query(Some("resource"))))
                />
            </header>
            {move || match report.get() {
                None => view! { <Loading label="Loading resources…" /> }.into_any(),
                Some(Err(failure)) => {
                    view! { <LoadFailed message=failure retry=Callback::new(move |()| report.refetch()) /> }
                        .into_any()
                }
                Some(Ok(report)) => {
                    // Charges without a resource (support, tax, credits) drive nothing in particular.
                    let top: Vec<CostGroup> = report
                        .groups
                        .into_iter()
                        .filter(|g| g.key != "(none)" && g.amount.is_sign_positive() && !g.amount.is_zero())
                        .take(TOP)
                        .collect();
                    if top.is_empty() {
                        return view! { <p class="list-empty muted">"No resource has costs in this period."</p> }
                            .into_any();
                    }
                    let (total, currency) = (report.total, report.currency);
                    view! {
                        <div class="table-wrap">
                            <table class="table" id="cost-driver-table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Resource"</th>
                                        <th scope="col" class="num">"Cost"</th>
                                        <th scope="col" class="num">"Share"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {top
                                        .into_iter()
                                        .map(|group| {
                                            let kind = resource_kind(&group.key).map(str::to_owned);
                                            view! {
                                                <tr data-resource=group.key.clone()>
                                                    <td class="driver-cell">
                                                        <span class="cell-title mono driver-name" title=group.key.clone()>
                                                            {resource_name(&group.key).to_owned()}
                                                        </span>
                                                        {kind.map(|k| view! { <span class="cell-sub">{k}</span> })}
                                                    </td>
                                                    <td class="num nowrap">{money(&group.amount, &currency)}</td>
                                                    <td class="num muted">{share_label(&group.amount, &total)}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_read_by_their_last_part() {
        let arn = "arn:aws:ec2:us-west-2:123:instance/i-0abc";
        assert_eq!(resource_name(arn), "i-0abc");
        assert_eq!(resource_kind(arn), Some("ec2"));
        assert_eq!(resource_name("plain-id"), "plain-id");
        assert_eq!(resource_kind("plain-id"), None);
    }
}
