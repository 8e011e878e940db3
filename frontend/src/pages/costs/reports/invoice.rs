//! A person's invoice for the month shown: whether it is a draft or issued (its number and
//! date, and whether the allocation changed since), and "Issue invoice" for those who manage
//! costs once the month is over.

use gmac_types::{
    Invoice, InvoiceKind, InvoiceQuery, IssueInvoice, MonthlyReportQuery, Permission,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::describe;
use crate::format::date_label;
use crate::state::use_auth;

/// What the invoice's state reads as.
fn state_words(invoice: &Invoice) -> String {
    match (invoice.kind, invoice.issued_at) {
        (InvoiceKind::Draft, _) => "Invoice: a draft, not issued yet.".to_owned(),
        (_, Some(at)) if invoice.outdated => format!(
            "Invoice {} issued {}; the allocation has changed since: issue it again to correct it.",
            invoice.number,
            date_label(&at)
        ),
        (_, Some(at)) => format!("Invoice {} issued {}.", invoice.number, date_label(&at)),
        (_, None) => format!("Invoice {}.", invoice.number),
    }
}

/// The invoice line of a person's report, `#invoice-status`.
#[component]
pub fn InvoiceStatus(
    /// The report shown (a person's: `user_id` is set).
    query: Signal<MonthlyReportQuery>,
    /// Whether the month is over (an invoice is issued only then).
    month_over: Signal<bool>,
) -> impl IntoView {
    let auth = use_auth();
    let version = RwSignal::new(0_u32);
    let invoice = LocalResource::new(move || {
        version.track();
        let query = query.get();
        async move {
            let user_id = query.user_id.clone().unwrap_or_default();
            let wanted = InvoiceQuery {
                user_id,
                period: query.period.clone(),
                client_id: query.client_id.clone(),
            };
            auth.call(move |c| {
                let wanted = wanted.clone();
                async move { c.invoice(&wanted).await }
            })
            .await
            .map_err(|e| describe(&e))
        }
    });
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let issue = move |_| {
        let query = query.get_untracked();
        let input = IssueInvoice {
            user_id: query.user_id.unwrap_or_default(),
            period: query.period,
            client_id: query.client_id,
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let input = input.clone();
                    async move { c.issue_invoice(&input).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(_) => version.update(|v| *v += 1),
                Err(err) => error.set(Some(describe(&err))),
            }
        });
    };
    let may_issue = move || {
        auth.can(Permission::CostsManage)
            && month_over.get()
            && invoice.with(|i| {
                matches!(i, Some(Ok(i)) if i.kind == InvoiceKind::Draft && !i.lines.is_empty() || i.outdated)
            })
    };
    view! {
        <p class="invoice-status" id="invoice-status">
            <span class="muted">
                {move || match invoice.get() {
                    None => "Loading the invoice…".to_owned(),
                    Some(Ok(i)) => state_words(&i),
                    Some(Err(message)) => message,
                }}
            </span>
            <Show when=may_issue>
                <button type="button" class="button button-small" id="issue-invoice" disabled=move || busy.get() on:click=issue>
                    {move || if busy.get() { "Issuing…" } else { "Issue invoice" }}
                </button>
            </Show>
            {move || error.get().map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
        </p>
    }
}
