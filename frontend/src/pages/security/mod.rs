//! `/settings/security`: two-step verification, password, sessions and API tokens.
//!
//! While a role the user holds requires MFA that is not set up, this is the only page the
//! app offers, and it shows only the MFA setup, with the reason.

pub mod mfa;
pub mod password;
pub mod sessions;
pub mod token_form;
pub mod tokens;

use leptos::prelude::*;

use crate::areas::Area;
use crate::components::error_banner::NoticeBanner;
use crate::pages::hub::SectionHeader;
use crate::pages::security::mfa::MfaCard;
use crate::pages::security::password::PasswordCard;
use crate::pages::security::sessions::SessionsCard;
use crate::pages::security::tokens::TokensCard;
use crate::pages::set_title;
use crate::state::use_auth;

/// The security page.
#[component]
pub fn SecurityPage() -> impl IntoView {
    let auth = use_auth();
    let enrolling = Memo::new(move |_| auth.mfa_enrollment_required());
    // Bumped when sessions end elsewhere on the page (MFA setup, password change), so the
    // sessions list reloads.
    let sessions_changed = RwSignal::new(0_u32);
    move || {
        if enrolling.get() {
            set_title("Set up two-step verification");
            let why = Signal::stored(Some(
                "A role you hold requires two-step verification (MFA). Set it up now: until it \
                 is on, gmac offers nothing else."
                    .to_owned(),
            ));
            view! {
                <header class="page-header">
                    <h1 id="mfa-required-title">"Set up two-step verification"</h1>
                    <p class="muted">"One more step before you can use gmac."</p>
                </header>
                <NoticeBanner message=why />
                <MfaCard enrolling=true sessions_changed=sessions_changed />
            }
            .into_any()
        } else {
            view! {
                <SectionHeader
                    area=Area::Settings
                    title="Security"
                    summary="How you sign in, where you are signed in, and the tokens scripts use."
                />
                <div class="stack">
                    <MfaCard enrolling=false sessions_changed=sessions_changed />
                    <PasswordCard sessions_changed=sessions_changed />
                    <SessionsCard sessions_changed=sessions_changed />
                    <TokensCard />
                </div>
            }
            .into_any()
        }
    }
}
