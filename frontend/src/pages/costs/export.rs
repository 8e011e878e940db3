//! "Export CSV" on the dashboard's cards: the card's own report from `GET /costs/export`,
//! fetched with the session's token (a plain link would carry none) and saved as a file.

use gmac_client::ApiError;
use gmac_types::CostQuery;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::describe;
use crate::components::icon::{Icon, IconName};
use crate::components::spinner::Spinner;
use crate::js;
use crate::state::use_auth;

/// The file name for a report, e.g. `gmac-costs-service-2024-09-01-2024-09-30.csv`.
pub fn file_name(query: &CostQuery) -> String {
    let group = query
        .group_by
        .as_deref()
        .unwrap_or("total")
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-");
    let whose = match (&query.user_id, &query.team_id) {
        (Some(user), _) => format!("-user-{}", user.chars().take(8).collect::<String>()),
        (None, Some(team)) => format!("-team-{}", team.chars().take(8).collect::<String>()),
        (None, None) => String::new(),
    };
    format!("gmac-costs-{group}{whose}-{}-{}.csv", query.from, query.to)
}

/// A small button that downloads `query`'s report as CSV; a failure shows next to it.
#[component]
pub fn ExportButton(
    /// The report, as the card shows it.
    #[prop(into)]
    query: Signal<CostQuery>,
    /// The button's `id`.
    id: &'static str,
    /// What is exported, for screen readers, e.g. "costs by service".
    what: &'static str,
) -> impl IntoView {
    let auth = use_auth();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let export = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let query = query.get_untracked();
        spawn_local(async move {
            let name = file_name(&query);
            let result = auth
                .call(move |c| {
                    let query = query.clone();
                    async move { export_csv(&c, &query).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(bytes) => {
                    if !js::download(&bytes, "text/csv;charset=utf-8", &name) {
                        error.set(Some("The browser refused the download.".to_owned()));
                    }
                }
                Err(err) => error.set(Some(describe(&err))),
            }
        });
    };
    view! {
        <span class="export">
            <button
                type="button"
                id=id
                class="button button-small"
                aria-label=format!("Export {what} as CSV")
                title="Download this report as a CSV file"
                disabled=move || busy.get()
                aria-busy=move || if busy.get() { "true" } else { "false" }
                on:click=export
            >
                {move || {
                    if busy.get() {
                        view! { <Spinner /> }.into_any()
                    } else {
                        view! { <Icon name=IconName::Download /> }.into_any()
                    }
                }}
                <span>"CSV"</span>
            </button>
            {move || error.get().map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
        </span>
    }
}

/// Fetches the CSV export of `query` with the client's token.
#[expect(
    clippy::default_trait_access,
    reason = "`Method::default()` is GET; naming the type needs reqwest as a direct dependency"
)]
async fn export_csv(client: &gmac_client::Client, query: &CostQuery) -> Result<Vec<u8>, ApiError> {
    let network = |e: &dyn std::fmt::Display| ApiError::Network(e.to_string());
    let response = client
        .request(Default::default(), "/api/v1/costs/export")
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
    use super::*;

    #[test]
    fn export_files_are_named_after_the_report() {
        let query = CostQuery {
            from: "2024-09-01".parse().unwrap_or_default(),
            to: "2024-09-30".parse().unwrap_or_default(),
            group_by: Some("tag:cost center".into()),
            ..CostQuery::default()
        };
        assert_eq!(
            file_name(&query),
            "gmac-costs-tag-cost-center-2024-09-01-2024-09-30.csv"
        );
        let bill = CostQuery {
            group_by: Some("service".into()),
            user_id: Some("0190abcdef".into()),
            ..query
        };
        assert_eq!(
            file_name(&bill),
            "gmac-costs-service-user-0190abcd-2024-09-01-2024-09-30.csv"
        );
    }
}
