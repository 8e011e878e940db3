//! A note on what would send mail, shown while this gmac has no mail server (`smtp_url`), so
//! that nobody learns it only when a mail fails to go out.

use leptos::prelude::*;

use crate::components::icon::{Icon, IconName};
use crate::state::use_auth;

/// Whether this gmac sends no email (known once the signed-in user is loaded).
pub fn no_mail_server() -> Signal<bool> {
    let auth = use_auth();
    Signal::derive(move || auth.with_me(|me| me.is_some_and(|m| !m.sends_email)))
}

/// `what` happens instead of mail, shown only while there is no mail server.
#[component]
pub fn NoMailNote(
    /// The note's `id`.
    id: &'static str,
    /// What happens without mail, for people.
    what: &'static str,
) -> impl IntoView {
    let no_mail = no_mail_server();
    move || {
        no_mail.get().then(|| {
            view! {
                <p class="muted cost-note no-mail-note" id=id role="note">
                    <Icon name=IconName::Info />
                    <span>{what}</span>
                </p>
            }
        })
    }
}
