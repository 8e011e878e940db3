//! API tokens: the list, creating one (its secret shown once), rotating and revoking.

use chrono::{DateTime, Utc};
use gmac_client::Client;
use gmac_types::{ApiToken, CreatedApiToken};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api::{Failure, describe};
use crate::components::copy::SecretBox;
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::paging::LoadFailed;
use crate::components::scope::Directory;
use crate::components::spinner::Loading;
use crate::format::date_time_label;
use crate::pages::security::token_form::TokenForm;
use crate::state::use_auth;

/// Whether a token works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenStatus {
    /// It works.
    Active,
    /// Its lifetime ran out.
    Expired,
    /// It was revoked, or replaced by a rotation.
    Revoked,
}

impl TokenStatus {
    /// The token's status at `now`.
    pub fn of(token: &ApiToken, now: DateTime<Utc>) -> Self {
        if token.revoked_at.is_some() {
            TokenStatus::Revoked
        } else if token.expires_at <= now {
            TokenStatus::Expired
        } else {
            TokenStatus::Active
        }
    }

    const fn label(self) -> &'static str {
        match self {
            TokenStatus::Active => "Active",
            TokenStatus::Expired => "Expired",
            TokenStatus::Revoked => "Revoked",
        }
    }

    const fn class(self) -> &'static str {
        match self {
            TokenStatus::Active => "badge badge-success",
            TokenStatus::Expired => "badge badge-warning",
            TokenStatus::Revoked => "badge",
        }
    }
}

/// The API tokens card.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the list and its row actions share the card's state"
)]
pub fn TokensCard() -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let confirm = RwSignal::new(None::<Confirm>);
    let secret = RwSignal::new(None::<(String, String)>);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let tokens = LocalResource::new(move || async move {
        auth.call(|c| async move {
            Client::all_pages(|page| {
                let c = &c;
                async move { c.list_tokens(&page).await }
            })
            .await
        })
        .await
        .map_err(|e| Failure::of(&e))
    });
    let directory_load = LocalResource::new(move || Directory::load(auth));
    let directory = Signal::derive(move || {
        directory_load
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
    });

    let show_secret = move |created: CreatedApiToken| {
        secret.set(Some((
            created.info.name.clone(),
            created.token.expose().to_owned(),
        )));
        tokens.refetch();
    };
    let on_created = Callback::new(move |created: CreatedApiToken| {
        notice.set(None);
        show_secret(created);
    });
    // Every action starts with a clean card: an earlier secret or message no longer applies.
    let clear = move || {
        notice.set(None);
        error.set(None);
        secret.set(None);
    };
    let on_start = Callback::new(move |()| clear());

    let rotate = move |token: ApiToken| {
        let id = token.id.clone();
        confirm.set(Some(Confirm::danger(
            format!("Rotate “{}”?", token.name),
            "The current secret stops working at once. You get a new secret to put where the \
             old one was; name, permissions and lifetime stay.",
            "Rotate token",
            move || {
                let id = id.clone();
                clear();
                spawn_local(async move {
                    let result = auth
                        .call(move |c| {
                            let id = id.clone();
                            async move { c.rotate_token(&id).await }
                        })
                        .await;
                    match result {
                        Ok(created) => show_secret(created),
                        Err(err) => error.set(Some(describe(&err))),
                    }
                });
            },
        )));
    };
    let revoke = move |token: ApiToken| {
        let id = token.id.clone();
        confirm.set(Some(Confirm::danger(
            format!("Revoke “{}”?", token.name),
            "Scripts using it are refused from now on. This cannot be undone.",
            "Revoke token",
            move || {
                let id = id.clone();
                clear();
                spawn_local(async move {
                    let result = auth
                        .call(move |c| {
                            let id = id.clone();
                            async move { c.revoke_token(&id).await }
                        })
                        .await;
                    match result {
                        Ok(()) => {
                            notice.set(Some("The token was revoked.".to_owned()));
                            tokens.refetch();
                        }
                        Err(err) => error.set(Some(describe(&err))),
                    }
                });
            },
        )));
    };

    let rows = move |list: Vec<ApiToken>| {
        let now = crate::js::now();
        let zone = account.time_zone();
        directory.with(|d| {
            list.into_iter()
                .map(|token| {
                    let status = TokenStatus::of(&token, now);
                    let scope = d.scope_label(&token.scope);
                    let expires = date_time_label(&token.expires_at, zone.as_deref());
                    let used = token.last_used_at.map_or_else(
                        || "Never".to_owned(),
                        |at| {
                            let when = date_time_label(&at, zone.as_deref());
                            match &token.last_used_ip {
                                Some(ip) => format!("{when} from {ip}"),
                                None => when,
                            }
                        },
                    );
                    let (for_rotate, for_revoke) = (token.clone(), token.clone());
                    view! {
                        <tr data-token-name=token.name.clone()>
                            <td>
                                <span class="cell-title">{token.name.clone()}</span>
                                <code class="cell-sub">{format!("{}…", token.prefix)}</code>
                            </td>
                            <td>
                                <ul class="chip-list">
                                    {token
                                        .scopes
                                        .iter()
                                        .map(|p| view! { <li class="chip mono">{p.id()}</li> })
                                        .collect_view()}
                                </ul>
                            </td>
                            <td>{scope}</td>
                            <td>{expires}</td>
                            <td>{used}</td>
                            <td>
                                <span class=status.class()>{status.label()}</span>
                            </td>
                            <td class="cell-actions">
                                {(status == TokenStatus::Active)
                                    .then(|| {
                                        view! {
                                            <button
                                                type="button"
                                                class="button button-small"
                                                on:click=move |_| rotate(for_rotate.clone())
                                            >
                                                "Rotate"
                                            </button>
                                            <button
                                                type="button"
                                                class="button button-small button-danger-quiet"
                                                on:click=move |_| revoke(for_revoke.clone())
                                            >
                                                "Revoke"
                                            </button>
                                        }
                                    })}
                            </td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };

    view! {
        <section class="card" aria-labelledby="tokens-title">
            <h2 id="tokens-title" class="card-title">
                "API tokens"
            </h2>
            <div class="card-body">
                <p class="muted">
                    "Scripts and other systems use a token instead of your password: send it as "
                    <code>"Authorization: Bearer gmac_…"</code> "."
                </p>
                <NoticeBanner message=notice />
                <ErrorBanner message=error />
                {move || {
                    secret
                        .get()
                        .map(|(name, value)| {
                            view! {
                                <div class="secret-panel">
                                    <p class="secret-title">
                                        "The secret of " <strong>{name}</strong> ":"
                                    </p>
                                    <SecretBox id="token-secret" value=value what="token" />
                                    <button
                                        type="button"
                                        class="button button-small"
                                        id="token-secret-done"
                                        on:click=move |_| secret.set(None)
                                    >
                                        "Done, I have copied it"
                                    </button>
                                </div>
                            }
                        })
                }}
                {move || match tokens.get() {
                    None => view! { <Loading label="Loading tokens…" /> }.into_any(),
                    Some(Err(message)) => {
                        view! { <LoadFailed message=message retry=Callback::new(move |()| tokens.refetch()) /> }
                            .into_any()
                    }
                    Some(Ok(list)) if list.is_empty() => {
                        view! { <p class="list-empty muted">"You have no API tokens yet."</p> }.into_any()
                    }
                    Some(Ok(list)) => {
                        view! {
                            <div class="table-wrap">
                                <table class="table" id="token-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Name"</th>
                                            <th scope="col">"Permissions"</th>
                                            <th scope="col">"Scope"</th>
                                            <th scope="col">"Expires"</th>
                                            <th scope="col">"Last used"</th>
                                            <th scope="col">"Status"</th>
                                            <th scope="col">
                                                <span class="visually-hidden">"Actions"</span>
                                            </th>
                                        </tr>
                                    </thead>
                                    <tbody>{rows(list)}</tbody>
                                </table>
                            </div>
                        }
                            .into_any()
                    }
                }}
                <TokenForm directory=directory on_created=on_created on_start=on_start />
            </div>
            <ConfirmDialog request=confirm />
        </section>
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};
    use gmac_types::{ApiToken, Scope};

    use super::TokenStatus;

    fn token(expires_in: Duration, revoked: bool, now: DateTime<Utc>) -> ApiToken {
        ApiToken {
            id: "t".into(),
            name: "ci".into(),
            prefix: "gmac_ab".into(),
            scopes: Vec::new(),
            scope: Scope::Global,
            created_at: now,
            expires_at: now + expires_in,
            last_used_at: None,
            last_used_ip: None,
            revoked_at: revoked.then_some(now),
        }
    }

    #[test]
    fn a_token_is_active_until_it_expires_or_is_revoked() {
        let now = DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000);
        let day = Duration::days(1);
        assert_eq!(
            TokenStatus::of(&token(day, false, now), now),
            TokenStatus::Active
        );
        assert_eq!(
            TokenStatus::of(&token(-day, false, now), now),
            TokenStatus::Expired
        );
        assert_eq!(
            TokenStatus::of(&token(day, true, now), now),
            TokenStatus::Revoked
        );
    }
}
