//! An environment's custom domains on the board (issue 12, point 6): each with its status, the
//! DNS record to create, where it pointed at its last check and its certificate; an add form,
//! and a check and a removal for those who deploy to the environment.

use std::fmt::Write as _;

use gmac_types::{Domain, DomainStatus, NewDomain, PageQuery, TlsState, TlsStatus};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api::describe;
use crate::format::date_time_label;
use crate::state::use_auth;

/// A domain's badge: its class and word.
pub fn domain_badge(domain: &Domain) -> (&'static str, &'static str) {
    match domain.status {
        DomainStatus::Verified => ("badge badge-success", "Verified"),
        DomainStatus::Failing => ("badge badge-danger", "No longer points here"),
        DomainStatus::Pending => ("badge badge-accent", "Waiting for DNS"),
    }
}

/// A certificate, for a person.
pub fn tls_label(tls: &TlsState) -> String {
    let word = match tls.status {
        TlsStatus::Valid => "Certificate valid",
        TlsStatus::Expiring => "Certificate expiring",
        TlsStatus::Expired => "Certificate expired",
        TlsStatus::Untrusted => "Certificate not trusted",
        TlsStatus::Missing => "No certificate yet",
    };
    let mut said = word.to_owned();
    if let Some(issuer) = &tls.issuer {
        let _ = write!(said, " · from {issuer}");
    }
    if let Some(end) = &tls.expires_at {
        let _ = write!(said, " · until {}", end.format("%Y-%m-%d %H:%M UTC"));
    }
    said
}

/// The domains section of an environment's panel, `#domains-{env}`.
#[component]
pub fn EnvironmentDomains(
    /// The environment's id.
    environment_id: String,
    /// Its name.
    name: String,
    /// Whether the viewer deploys to it (and so manages its domains).
    manage: bool,
) -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let version = RwSignal::new(0_u32);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let new_name = RwSignal::new(String::new());
    let list_id = environment_id.clone();
    let domains = LocalResource::new(move || {
        version.track();
        let id = list_id.clone();
        async move {
            auth.call(move |c| {
                let id = id.clone();
                async move { c.list_domains(&id, &PageQuery::default()).await }
            })
            .await
            .map(|page| page.items)
            .map_err(|err| describe(&err))
        }
    });
    // Runs a change, then lists the domains again.
    let change = move |asked: std::pin::Pin<Box<dyn Future<Output = Result<(), String>>>>| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = asked.await;
            busy.try_set(false);
            if let Err(e) = result {
                error.try_set(Some(e));
            }
            version.update(|v| *v += 1);
        });
    };
    let add_id = environment_id;
    let add = move |ev: SubmitEvent| {
        ev.prevent_default();
        let id = add_id.clone();
        let input = NewDomain {
            name: new_name.get_untracked().trim().to_owned(),
        };
        change(Box::pin(async move {
            auth.call(move |c| {
                let (id, input) = (id.clone(), input.clone());
                async move { c.create_domain(&id, &input).await }
            })
            .await
            .map(|_| drop(new_name.try_set(String::new())))
            .map_err(|e| e.message())
        }));
    };
    let section_label = format!("Domains of {name}");
    let section_id = format!("domains-{name}");
    let form_id = format!("add-domain-{name}");
    let field_id = format!("domain-name-{name}");
    let add_label = ["Add a domain to ", name.as_str()].concat();
    drop(name);
    let form_label = add_label.clone();
    let time_zone = account.time_zone();
    view! {
        <section class="environment-domains" id=section_id aria-label=section_label>
            <h4>"Domains"</h4>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <Suspense fallback=|| view! { <p class="muted">"Loading domains…"</p> }>
                {move || {
                    let time_zone = time_zone.clone();
                    domains.get().map(move |listed| match listed {
                        Err(e) => view! { <p class="field-error">{e}</p> }.into_any(),
                        Ok(items) if items.is_empty() => view! {
                            <p class="muted">"No custom domain: it answers its own host only."</p>
                        }
                        .into_any(),
                        Ok(items) => view! {
                            <ul class="domain-list">
                                {items
                                    .into_iter()
                                    .map(|d| domain_row(&d, manage, time_zone.as_deref(), change))
                                    .collect_view()}
                            </ul>
                        }
                        .into_any(),
                    })
                }}
            </Suspense>
            {manage.then(|| view! {
                <form class="form domain-form" id=form_id novalidate=true on:submit=add aria-label=form_label>
                    <div class="field">
                        <label for=field_id.clone()>"Domain"</label>
                        <input class="input mono" id=field_id autocomplete="off" placeholder="shop.example.com"
                            prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev)) />
                    </div>
                    <div class="form-actions">
                        <button type="submit" class="button button-small" aria-label=add_label disabled=move || busy.get()>"Add domain"</button>
                    </div>
                </form>
            })}
        </section>
    }
}

/// One domain's row, with its check and removal for those who manage it.
fn domain_row(
    domain: &Domain,
    manage: bool,
    time_zone: Option<&str>,
    change: impl Fn(std::pin::Pin<Box<dyn Future<Output = Result<(), String>>>>) + Copy + 'static,
) -> AnyView {
    let auth = use_auth();
    let (class, word) = domain_badge(domain);
    let record = domain
        .record
        .clone()
        .map(|r| format!("{} record: {} → {}", r.kind, r.name, r.value));
    let checked = domain.checked_at.as_ref().map(|at| {
        let seen = if domain.addresses.is_empty() {
            "no address".to_owned()
        } else {
            domain.addresses.join(", ")
        };
        format!("Checked {} · {seen}", date_time_label(at, time_zone))
    });
    let tls = domain.tls.as_ref().map(tls_label);
    let check_id = domain.id.clone();
    let remove_id = domain.id.clone();
    let check = move |_| {
        let id = check_id.clone();
        change(Box::pin(async move {
            auth.call(move |c| {
                let id = id.clone();
                async move { c.verify_domain(&id).await }
            })
            .await
            .map(drop)
            .map_err(|e| e.message())
        }));
    };
    let remove = move |_| {
        let id = remove_id.clone();
        change(Box::pin(async move {
            auth.call(move |c| {
                let id = id.clone();
                async move { c.delete_domain(&id).await }
            })
            .await
            .map_err(|e| e.message())
        }));
    };
    let check_label = format!("Check {}", domain.name);
    let remove_label = format!("Remove {}", domain.name);
    view! {
        <li class="domain-row" data-domain=domain.name.clone()>
            <span class="cell-title mono">{domain.name.clone()}</span>
            <span class=class data-field="domain-status">{word}</span>
            {record.map(|r| view! { <span class="cell-sub mono" data-field="domain-record">{r}</span> })}
            {checked.map(|c| view! { <span class="cell-sub">{c}</span> })}
            {domain.error.clone().map(|e| view! { <span class="cell-sub field-error" data-field="domain-error">{e}</span> })}
            {tls.map(|t| view! { <span class="cell-sub" data-field="domain-tls">{t}</span> })}
            {manage.then(|| view! {
                <span class="row-actions">
                    <button type="button" class="button button-small" aria-label=check_label on:click=check>"Check now"</button>
                    <button type="button" class="button button-small button-danger" aria-label=remove_label on:click=remove>"Remove"</button>
                </span>
            })}
        </li>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_says_its_state_issuer_and_end() {
        let tls = TlsState {
            status: TlsStatus::Expiring,
            expires_at: Some(
                chrono::DateTime::parse_from_rfc3339("2027-01-05T10:19:17Z")
                    .unwrap()
                    .to_utc(),
            ),
            issuer: Some("R11".into()),
            detail: None,
        };
        assert_eq!(
            tls_label(&tls),
            "Certificate expiring · from R11 · until 2027-01-05 10:19 UTC"
        );
    }
}
