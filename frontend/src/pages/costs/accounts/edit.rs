//! Changing a connected account's name, region and days re-synced, sent with the version it
//! was read at. Its credentials are replaced by connecting it again.

use gmac_types::{CloudAccount, CloudAccountPatch, ErrorCode, FieldError};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::state::use_auth;

/// The edit form, `#edit-account`, filled with `account` as read.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the fields and their checks share the form's state"
)]
pub fn EditAccountForm(
    /// The account as read (its version is sent with the change).
    account: CloudAccount,
    /// After the change was saved.
    on_saved: Callback<CloudAccount>,
    /// Closes the form without a change.
    on_cancel: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let CloudAccount {
        id,
        name,
        region,
        resync_days,
        version,
        ..
    } = account;
    let id = StoredValue::new(id);
    let name = RwSignal::new(name);
    let region = RwSignal::new(region);
    let days = RwSignal::new(resync_days.to_string());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let Ok(resync) = days.get_untracked().trim().parse::<u32>() else {
            errors.set(FormErrors::from_fields(vec![FieldError::new(
                "resync_days",
                "invalid",
                "A whole number of days, 1 to 90.",
            )]));
            return;
        };
        let patch = CloudAccountPatch {
            name: Some(name.get_untracked().trim().to_owned()),
            region: Some(region.get_untracked().trim().to_owned()),
            resync_days: Some(resync),
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let patch = patch.clone();
                    async move {
                        c.update_cloud_account(&id.get_value(), &patch, Some(version))
                            .await
                    }
                })
                .await;
            busy.set(false);
            match result {
                Ok(saved) => on_saved.run(saved),
                Err(err) if crate::api::is(&err, ErrorCode::PreconditionFailed) => {
                    errors.set(FormErrors::from_message(
                        "Someone else changed this account while you were editing. Cancel to \
                         see their change, then make yours again.",
                    ));
                }
                Err(err) => {
                    errors.set(FormErrors::from_api(
                        &err,
                        &["name", "region", "resync_days"],
                    ));
                }
            }
        });
    };
    view! {
        <section class="card section-gap" id="edit-account" aria-labelledby="edit-account-title">
            <h2 id="edit-account-title" class="card-title">
                "Change the account's settings"
            </h2>
            <form class="form card-body" novalidate=true on:submit=submit aria-labelledby="edit-account-title">
                <p class="muted">"To replace its credentials, connect it again."</p>
                <ErrorBanner message=banner />
                <div class="field-row">
                    <FormField
                        id="edit-account-name"
                        field="name"
                        label="Name"
                        autocomplete="off"
                        value=name
                        errors=errors
                        disabled=busy
                    />
                    <FormField
                        id="edit-account-region"
                        field="region"
                        label="Region"
                        autocomplete="off"
                        mono=true
                        value=region
                        errors=errors
                        disabled=busy
                    />
                    <FormField
                        id="edit-account-resync-days"
                        field="resync_days"
                        label="Days fetched again"
                        autocomplete="off"
                        inputmode="numeric"
                        value=days
                        errors=errors
                        hint="Each sync fetches this many days again, as AWS restates them."
                        disabled=busy
                    />
                </div>
                <div class="form-actions">
                    <button type="button" class="button" id="cancel-account-edit" on:click=move |_| on_cancel.run(())>
                        "Cancel"
                    </button>
                    <SubmitButton id="save-account" label="Save changes" busy_label="Saving…" busy=busy inline=true />
                </div>
            </form>
        </section>
    }
}
