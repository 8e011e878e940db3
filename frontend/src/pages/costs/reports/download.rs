//! "Download PDF" and "Download CSV": the report shown, from `GET /reports/monthly` with the
//! format's `Accept` header; and, for a person's report, "Download invoice" from
//! `GET /invoices`. Fetched with the session's token (a plain link would carry none) and saved
//! under the name the server gives it.

use gmac_client::ApiError;
use gmac_types::{InvoiceQuery, MonthlyReportQuery, ReportFormat};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::describe;
use crate::components::icon::{Icon, IconName};
use crate::components::spinner::Spinner;
use crate::js;
use crate::state::use_auth;

/// The media type a format is asked for with.
pub const fn media_type(format: ReportFormat) -> &'static str {
    match format {
        ReportFormat::Pdf => "application/pdf",
        ReportFormat::Csv => "text/csv",
    }
}

/// A format for people, e.g. "PDF".
pub const fn format_label(format: ReportFormat) -> &'static str {
    match format {
        ReportFormat::Pdf => "PDF",
        ReportFormat::Csv => "CSV",
    }
}

/// The file name of a `Content-Disposition` header (`attachment; filename="x.pdf"`), if it
/// names a plain file (no folders).
pub fn disposition_file_name(header: &str) -> Option<String> {
    let (_, rest) = header.split_once("filename=")?;
    let name = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or(quoted),
        None => rest.split(';').next().unwrap_or(rest),
    }
    .trim();
    (!name.is_empty() && !name.contains(['/', '\\'])).then(|| name.to_owned())
}

/// What a download button fetches for the report shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Download {
    /// The report, as a PDF or CSV file.
    Report(ReportFormat),
    /// The person's invoice for the month, as a PDF (a person's report only).
    Invoice,
}

impl Download {
    /// What the button says after "Download".
    const fn label(self) -> &'static str {
        match self {
            Download::Report(format) => format_label(format),
            Download::Invoice => "invoice",
        }
    }

    /// The media type it is asked for with.
    const fn media(self) -> &'static str {
        match self {
            Download::Report(format) => media_type(format),
            Download::Invoice => "application/pdf",
        }
    }
}

/// The name to save a download under when the server gives none.
fn fallback_name(query: &MonthlyReportQuery, what: Download) -> String {
    match what {
        Download::Report(ReportFormat::Pdf) => format!("gmac-costs-{}.pdf", query.period),
        Download::Report(ReportFormat::Csv) => format!("gmac-costs-{}.csv", query.period),
        Download::Invoice => format!("invoice-{}.pdf", query.period),
    }
}

/// A button that downloads `what` for `query`'s report; a failure shows next to it. An
/// invoice needs a person: without one in the query, it reports so.
#[component]
pub fn DownloadButton(
    /// The report, as the page shows it.
    #[prop(into)]
    query: Signal<MonthlyReportQuery>,
    /// The report as PDF or CSV, or the person's invoice.
    what: Download,
    /// The button's `id`.
    id: &'static str,
) -> impl IntoView {
    let auth = use_auth();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let label = what.label();
    let title = match what {
        Download::Report(_) => format!("Download this report as a {label} file"),
        Download::Invoice => "Download this person's invoice for the month (PDF)".to_owned(),
    };
    let download = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let query = query.get_untracked();
        spawn_local(async move {
            let fallback = fallback_name(&query, what);
            let result = auth
                .call(move |c| {
                    let query = query.clone();
                    async move { fetch(&c, &query, what).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok((bytes, name)) => {
                    let name = name.unwrap_or(fallback);
                    if !js::download(&bytes, what.media(), &name) {
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
                title=title
                disabled=move || busy.get()
                aria-busy=move || if busy.get() { "true" } else { "false" }
                on:click=download
            >
                {move || {
                    if busy.get() {
                        view! { <Spinner /> }.into_any()
                    } else {
                        view! { <Icon name=IconName::Download /> }.into_any()
                    }
                }}
                <span>{format!("Download {label}")}</span>
            </button>
            {move || error.get().map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
        </span>
    }
}

/// Fetches `what` for `query`'s report with the client's token.
async fn fetch(
    client: &gmac_client::Client,
    query: &MonthlyReportQuery,
    what: Download,
) -> Result<(Vec<u8>, Option<String>), ApiError> {
    match what {
        Download::Report(_) => fetch_file(client, "/api/v1/reports/monthly", query, what).await,
        Download::Invoice => {
            let Some(user_id) = query.user_id.clone() else {
                return Err(ApiError::Decode("an invoice is a person's".to_owned()));
            };
            let invoice = InvoiceQuery {
                user_id,
                period: query.period.clone(),
                client_id: query.client_id.clone(),
            };
            fetch_file(client, "/api/v1/invoices", &invoice, what).await
        }
    }
}

/// Fetches `path?query` as `what`'s media type with the client's token: its bytes and the
/// file name the server gives it.
#[expect(
    clippy::default_trait_access,
    reason = "`Method::default()` is GET; naming the type needs reqwest as a direct dependency"
)]
async fn fetch_file(
    client: &gmac_client::Client,
    path: &str,
    query: &impl serde::Serialize,
    what: Download,
) -> Result<(Vec<u8>, Option<String>), ApiError> {
    let network = |e: &dyn std::fmt::Display| ApiError::Network(e.to_string());
    let response = client
        .request(Default::default(), path)
        .query(query)
        .header("Accept", what.media())
        .send()
        .await
        .map_err(|e| network(&e))?;
    let response = gmac_client::check(response).await?;
    let name = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .and_then(disposition_file_name);
    let bytes = response.bytes().await.map_err(|e| network(&e))?;
    Ok((bytes.to_vec(), name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_names_the_file() {
        assert_eq!(
            disposition_file_name("attachment; filename=\"gmac-costs-platform-2026-10.pdf\"")
                .as_deref(),
            Some("gmac-costs-platform-2026-10.pdf")
        );
        assert_eq!(
            disposition_file_name("attachment; filename=report.csv; size=3").as_deref(),
            Some("report.csv")
        );
        assert_eq!(disposition_file_name("attachment"), None);
        assert_eq!(
            disposition_file_name("attachment; filename=\"../etc/passwd\""),
            None
        );
        let query = MonthlyReportQuery {
            period: "2026-10".into(),
            ..MonthlyReportQuery::default()
        };
        assert_eq!(
            fallback_name(&query, Download::Report(ReportFormat::Csv)),
            "gmac-costs-2026-10.csv"
        );
        assert_eq!(
            fallback_name(&query, Download::Invoice),
            "invoice-2026-10.pdf"
        );
    }
}
