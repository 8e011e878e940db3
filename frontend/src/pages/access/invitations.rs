//! `/access/invitations`: invitations sent, inviting someone (email, role, where), a new link
//! for a pending or expired one (mailed again, or shown to copy), and revoking a pending one.

use gmac_client::Client;
use gmac_types::validation::EmailAddress;
use gmac_types::{
    CreatedInvitation, ErrorCode, FieldError, Invitation, InvitationStatus, Job, JobStatus,
    NewInvitation,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api::{self, Failure, describe};
use crate::areas::Area;
use crate::components::copy::CopyButton;
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FieldMessages, FormErrors, FormField, SubmitButton};
use crate::components::mail_note::NoMailNote;
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::paging::LoadFailed;
use crate::components::scope::{
    Directory, RoleSelect, ScopeSelect, grantable, parse_scope, role_name,
};
use crate::components::spinner::Loading;
use crate::format::date_time_label;
use crate::pages::hub::SectionHeader;
use crate::pages::{SubmittedForm, focus};
use crate::state::{Auth, use_auth};

/// The fields of the form, as the server names them.
const FIELDS: [&str; 3] = ["email", "role", "scope"];

/// Where the email with a new invitation's link stands.
#[derive(Clone, Debug, PartialEq)]
enum MailState {
    /// No mail server is configured: nothing is emailed.
    NotConfigured,
    /// A job emails it; it has not run yet.
    Sending,
    /// A job emails it, one this user may not follow (or that waits for a worker).
    Queued,
    /// The mail server accepted it.
    Sent,
    /// The mail server did not take it; the job tries again.
    Retrying(String),
    /// It could not be sent (the job failed or was cancelled).
    Failed(String),
}

impl MailState {
    /// The state a reading of the mail job shows.
    fn of(job: &Job) -> Self {
        match job.status {
            JobStatus::Succeeded => Self::Sent,
            JobStatus::Failed | JobStatus::Cancelled => Self::Failed(
                job.error
                    .clone()
                    .unwrap_or_else(|| "it was cancelled".to_owned()),
            ),
            JobStatus::Queued | JobStatus::Running => match &job.error {
                Some(error) if job.attempts > 0 => Self::Retrying(error.clone()),
                _ => Self::Sending,
            },
        }
    }

    /// Whether following the job can stop: it ended, or the first attempt failed.
    fn settled(&self) -> bool {
        !matches!(self, Self::Sending)
    }

    /// The `data-state` of `#invitation-mail-status`.
    fn name(&self) -> &'static str {
        match self {
            Self::NotConfigured => "not-configured",
            Self::Sending => "sending",
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Retrying(_) => "retrying",
            Self::Failed(_) => "failed",
        }
    }

    /// What the link box says about the email to `to`.
    fn describe(&self, to: &str) -> String {
        match self {
            Self::NotConfigured => format!(
                "No email was sent (this gmac has no mail server). Pass this link on to {to} \
                 yourself; it works once."
            ),
            Self::Sending => format!("Emailing the invitation to {to}…"),
            Self::Queued => format!("The invitation to {to} is being emailed."),
            Self::Sent => format!("Invitation emailed to {to}."),
            Self::Retrying(error) => format!(
                "The email to {to} has not gone out yet ({error}); gmac keeps trying. The \
                 Activity page follows it."
            ),
            Self::Failed(error) => format!(
                "The email to {to} could not be sent ({error}). Check the mail server, then \
                 invite them again."
            ),
        }
    }
}

/// A status badge for an invitation.
fn status_badge(status: InvitationStatus) -> impl IntoView {
    let (label, class) = match status {
        InvitationStatus::Pending => ("Pending", "badge badge-accent"),
        InvitationStatus::Accepted => ("Accepted", "badge badge-success"),
        InvitationStatus::Revoked => ("Revoked", "badge"),
        InvitationStatus::Expired => ("Expired", "badge badge-warning"),
    };
    view! { <span class=class>{label}</span> }
}

/// The invitations page.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the list, the invite form and revocation share the page's state"
)]
pub fn InvitationsPage() -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    // The new invitation's address and link (when it is not emailed), and where its email
    // stands.
    let link = RwSignal::new(None::<(String, Option<String>)>);
    let mail = RwSignal::new(MailState::NotConfigured);
    let confirm = RwSignal::new(None::<Confirm>);
    let invitations = LocalResource::new(move || async move {
        auth.call(|c| async move {
            Client::all_pages(|page| {
                let c = &c;
                async move { c.list_invitations(&page).await }
            })
            .await
        })
        .await
        .map_err(|e| Failure::of(&e))
    });
    let roles_load = LocalResource::new(move || async move {
        auth.call(|c| async move { c.list_roles().await })
            .await
            .map_err(|e| describe(&e))
    });
    let roles = Signal::derive(move || roles_load.get().and_then(Result::ok).unwrap_or_default());
    let offered = Signal::derive(move || auth.with_me(|me| roles.with(|r| grantable(r, me))));
    let directory_load = LocalResource::new(move || Directory::load(auth));
    let directory = Signal::derive(move || {
        directory_load
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
    });

    let email = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let scope = RwSignal::new("global".to_owned());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let invite = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        notice.set(None);
        error.set(None);
        link.set(None);
        let mut problems = Vec::new();
        let address = EmailAddress::parse("email", &email.get_untracked())
            .map_err(|e| problems.push(e))
            .ok();
        let chosen = role.get_untracked();
        if chosen.is_empty() {
            problems.push(FieldError::new("role", "required", "Choose a role."));
        }
        let Some(address) = address.filter(|_| problems.is_empty()) else {
            focus(if problems.iter().any(|p| p.pointer == "/email") {
                "invite-email"
            } else {
                "invite-role"
            });
            errors.set(FormErrors::from_fields(problems));
            submitted.focus_first_invalid();
            return;
        };
        let request = NewInvitation {
            email: address.into_inner(),
            role: chosen,
            scope: parse_scope(&scope.get_untracked()),
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let request = request.clone();
                    async move { c.create_invitation(&request).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(created) => {
                    email.set(String::new());
                    role.set(String::new());
                    scope.set("global".to_owned());
                    invitations.refetch();
                    show_issued(auth, created, link, mail).await;
                }
                Err(err) if api::is(&err, ErrorCode::EmailTaken) => {
                    errors.set(FormErrors::from_fields(vec![FieldError::new(
                        "email",
                        "email_taken",
                        "Someone with this address already has an account.",
                    )]));
                    submitted.focus_first_invalid();
                }
                Err(err) => {
                    errors.set(FormErrors::from_api(&err, &FIELDS));
                    submitted.focus_first_invalid();
                }
            }
        });
    };

    let revoke = move |invitation: Invitation| {
        let id = invitation.id.clone();
        confirm.set(Some(Confirm::danger(
            format!("Revoke the invitation to {}?", invitation.email),
            "The link stops working at once. You can invite them again later.",
            "Revoke invitation",
            move || {
                let id = id.clone();
                error.set(None);
                notice.set(None);
                link.set(None);
                errors.set(FormErrors::default());
                spawn_local(async move {
                    let result = auth
                        .call(move |c| {
                            let id = id.clone();
                            async move { c.revoke_invitation(&id).await }
                        })
                        .await;
                    match result {
                        Ok(()) => notice.set(Some("The invitation was revoked.".to_owned())),
                        Err(err) => error.set(Some(describe(&err))),
                    }
                    invitations.refetch();
                });
            },
        )));
    };

    let renew = move |invitation: Invitation| {
        let id = invitation.id.clone();
        let mailed = auth.with_me_untracked(|me| me.is_some_and(|m| m.sends_email));
        let (title, what, action) = if mailed {
            (
                format!("Email {} a new link?", invitation.email),
                "The link sent before stops working; the new one works for 7 days.",
                "Send a new link",
            )
        } else {
            (
                format!("Make a new link for {}?", invitation.email),
                "The link made before stops working; the new one works for 7 days. You pass it on.",
                "Make a new link",
            )
        };
        let ask = Confirm::danger(title, what, action, move || {
            let id = id.clone();
            error.set(None);
            notice.set(None);
            link.set(None);
            spawn_local(async move {
                let result = auth
                    .call(move |c| {
                        let id = id.clone();
                        async move { c.renew_invitation(&id).await }
                    })
                    .await;
                invitations.refetch();
                match result {
                    Ok(created) => show_issued(auth, created, link, mail).await,
                    Err(err) => error.set(Some(describe(&err))),
                }
            });
        });
        // Nothing is destroyed: the invitation stands, with another link.
        confirm.set(Some(Confirm {
            danger: false,
            ..ask
        }));
    };

    let rows = move |list: Vec<Invitation>| {
        let zone = account.time_zone();
        roles.with(|roles| {
            directory.with(|directory| {
                list.into_iter()
                    .map(|invitation| {
                        let pending = invitation.status == InvitationStatus::Pending;
                        let renewable = pending || invitation.status == InvitationStatus::Expired;
                        let expires = date_time_label(&invitation.expires_at, zone.as_deref());
                        let for_revoke = invitation.clone();
                        let for_renew = invitation.clone();
                        let renew_name = format!("New link for {}", invitation.email);
                        let revoke_name = format!("Revoke the invitation to {}", invitation.email);
                        view! {
                            <tr data-invitation-email=invitation.email.clone()>
                                <td>
                                    <span class="cell-title">{invitation.email.clone()}</span>
                                </td>
                                <td>{role_name(roles, &invitation.role)}</td>
                                <td>{directory.scope_label(&invitation.scope)}</td>
                                <td>{status_badge(invitation.status)}</td>
                                <td>{expires}</td>
                                <td class="cell-actions">
                                    {renewable
                                        .then(|| {
                                            view! {
                                                <button
                                                    type="button"
                                                    class="button button-small renew-invitation"
                                                    aria-label=renew_name
                                                    on:click=move |_| renew(for_renew.clone())
                                                >
                                                    "New link"
                                                </button>
                                            }
                                        })}
                                    {pending
                                        .then(|| {
                                            view! {
                                                <button
                                                    type="button"
                                                    class="button button-small button-danger-quiet"
                                                    aria-label=revoke_name
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
        })
    };

    view! {
        <SectionHeader
            area=Area::Access
            title="Invitations"
            summary="Invite people by email: they choose their own name and password, and join with the role you picked."
        />
        <NoticeBanner message=notice />
        <ErrorBanner message=error />
        {move || {
            link.get()
                .map(|(to, url)| {
                    view! {
                        <div class="secret-box" role="status" id="invitation-link-box">
                            <p
                                class="secret-warning"
                                id="invitation-mail-status"
                                data-state=move || mail.with(MailState::name)
                            >
                                <span>{move || mail.with(|m| m.describe(&to))}</span>
                            </p>
                            {url
                                .map(|url| {
                                    view! {
                                        <div class="secret-row">
                                            <code id="invitation-link" class="secret-value">
                                                {url.clone()}
                                            </code>
                                            <CopyButton text=url />
                                        </div>
                                    }
                                })}
                        </div>
                    }
                })
        }}
        <section class="card" aria-labelledby="invite-title">
            <h2 id="invite-title" class="card-title">
                "Invite someone"
            </h2>
            <form class="form card-body" novalidate=true on:submit=invite>
                <ErrorBanner message=banner />
                <NoMailNote
                    id="invite-no-mail"
                    what="This gmac has no mail server (smtp_url): nothing is emailed, and you get the invitation link to pass on yourself."
                />
                <FormField
                    id="invite-email"
                    field="email"
                    label="Email"
                    input_type="email"
                    autocomplete="off"
                    value=email
                    errors=errors
                    disabled=busy
                />
                <div class="field-row">
                    <div class="field">
                        <label for="invite-role">"Role"</label>
                        <RoleSelect id="invite-role" value=role roles=offered disabled=busy />
                        <FieldMessages id="invite-role-error" field="role" errors=errors />
                    </div>
                    <div class="field">
                        <label for="invite-scope">"Where"</label>
                        <ScopeSelect id="invite-scope" value=scope directory=directory disabled=busy />
                        <FieldMessages id="invite-scope-error" field="scope" errors=errors />
                    </div>
                </div>
                <div class="form-actions">
                    <SubmitButton id="send-invitation" label="Send invitation" busy_label="Sending…" busy=busy inline=true />
                </div>
            </form>
        </section>
        <section class="card section-gap" aria-label="Invitations">
            {move || match invitations.get() {
                None => view! { <Loading label="Loading invitations…" /> }.into_any(),
                Some(Err(message)) => {
                    view! { <LoadFailed message=message retry=Callback::new(move |()| invitations.refetch()) /> }
                        .into_any()
                }
                Some(Ok(list)) if list.is_empty() => {
                    view! { <p class="list-empty muted">"No invitations yet."</p> }.into_any()
                }
                Some(Ok(list)) => {
                    view! {
                        <div class="table-wrap">
                            <table class="table" id="invitation-table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Email"</th>
                                        <th scope="col">"Role"</th>
                                        <th scope="col">"Where"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col">"Expires"</th>
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
        </section>
        <ConfirmDialog request=confirm />
    }
}

/// Shows an invitation just issued or renewed: the link to copy (when no mail carries it), and
/// where its email stands, followed until it settles.
async fn show_issued(
    auth: Auth,
    created: CreatedInvitation,
    link: RwSignal<Option<(String, Option<String>)>>,
    mail: RwSignal<MailState>,
) {
    let to = created.invitation.email.clone();
    link.set(Some((to, created.link.map(|l| l.expose().to_owned()))));
    match created.email_job {
        None if created.email_queued => mail.set(MailState::Queued),
        None => mail.set(MailState::NotConfigured),
        Some(job) => {
            mail.set(MailState::of(&job));
            let followed = crate::api::follow_job(
                auth,
                job,
                |job| MailState::of(job).settled(),
                |job| mail.set(MailState::of(job)),
                Some(crate::api::QUICK_JOB_READINGS),
            )
            .await;
            match followed {
                // Still waiting for a worker after a while: it goes on unseen.
                Ok(job) if !MailState::of(&job).settled() => mail.set(MailState::Queued),
                Ok(_) => {}
                Err(err) => mail.set(MailState::Failed(describe(&err))),
            }
        }
    }
}
