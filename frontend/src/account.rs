//! The signed-in user's profile and avatar, shared by the header, the profile page and every
//! page that shows times (in the profile's time zone).
//!
//! Loaded once per session by the frame; a server without the profile endpoints (or a user
//! who must enrol in MFA first) leaves it empty, and the app falls back to the browser's
//! time zone and the user's initials.

use gmac_types::{ErrorCode, Profile, ProfilePatch};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::js;
use crate::state::{Auth, AuthStatus};
use crate::theme::{Theme, ThemeState};

/// The profile and avatar, provided as context at the root of the app. `Copy`: it is a set
/// of handles.
#[derive(Clone, Copy, Debug)]
pub struct Account {
    profile: RwSignal<Option<Profile>>,
    /// A `blob:` URL of the avatar image.
    avatar: RwSignal<Option<String>>,
    /// How many teams the user belongs to (for users who do not manage users, whose Teams
    /// page shows only their own).
    teams: RwSignal<u64>,
    /// Whether the team count is known (loaded, or not needed).
    teams_known: RwSignal<bool>,
}

/// The account state from context.
///
/// # Panics
/// Outside the app's root component, which provides it.
pub fn use_account() -> Account {
    expect_context::<Account>()
}

impl Account {
    /// Creates the (empty) state and provides it as context.
    pub fn provide() -> Self {
        let account = Self {
            profile: RwSignal::new(None),
            avatar: RwSignal::new(None),
            teams: RwSignal::new(0),
            teams_known: RwSignal::new(false),
        };
        provide_context(account);
        account
    }

    /// Loads the profile, the avatar and the team count in the background.
    pub fn load(self, auth: Auth) {
        spawn_local(async move {
            match auth.call(|c| async move { c.get_profile().await }).await {
                Ok(profile) => {
                    if let Some(theme) = use_context::<ThemeState>() {
                        theme.set(from_wire(profile.theme));
                    }
                    let has_avatar = profile.avatar_url.is_some();
                    self.profile.set(Some(profile));
                    if has_avatar {
                        self.load_avatar(auth).await;
                    }
                }
                Err(err) if err.status() == Some(404) => {
                    leptos::logging::warn!("this server has no profile endpoint yet");
                }
                Err(err) => leptos::logging::warn!("the profile could not be loaded: {err}"),
            }
            let enrolling =
                auth.with_me_untracked(|m| m.is_some_and(|m| m.mfa_enrollment_required));
            if !enrolling && !auth.can_untracked(gmac_types::Permission::UsersManage) {
                let query = gmac_types::ListQuery {
                    limit: Some(1),
                    ..gmac_types::ListQuery::default()
                };
                let teams = auth
                    .call(move |c| {
                        let query = query.clone();
                        async move { c.list_teams(&query).await }
                    })
                    .await;
                if let Ok(page) = teams {
                    self.teams.set(page.total);
                }
            }
            self.teams_known.set(true);
        });
    }

    /// Fetches the avatar image again (after an upload) and shows it.
    pub async fn load_avatar(self, auth: Auth) {
        let Some(user_id) = auth.user_id_untracked() else {
            return;
        };
        let result = auth
            .call(move |c| {
                let user_id = user_id.clone();
                async move { c.get_avatar(&user_id).await }
            })
            .await;
        match result {
            Ok((bytes, media_type)) => {
                let url = js::blob_of(&bytes, &media_type).and_then(|b| js::object_url(&b));
                self.set_avatar_url(url);
            }
            Err(err) if err.status() == Some(404) => self.set_avatar_url(None),
            Err(err) => leptos::logging::warn!("the avatar could not be loaded: {err}"),
        }
    }

    /// Replaces the shown avatar, freeing the old `blob:` URL.
    pub fn set_avatar_url(self, url: Option<String>) {
        if let Some(old) = self.avatar.get_untracked() {
            js::revoke_url(&old);
        }
        self.avatar.set(url);
    }

    /// Forgets everything (sign-out).
    pub fn clear(self) {
        self.set_avatar_url(None);
        self.profile.set(None);
        self.teams.set(0);
        self.teams_known.set(false);
    }

    /// The profile, if loaded (tracked).
    pub fn profile(self) -> Option<Profile> {
        self.profile.get()
    }

    /// Replaces the profile with the server's answer.
    pub fn set_profile(self, profile: Profile) {
        self.profile.set(Some(profile));
    }

    /// The avatar's `blob:` URL (tracked).
    pub fn avatar(self) -> Option<String> {
        self.avatar.get()
    }

    /// The time zone for showing times: the profile's, else the browser's (tracked).
    pub fn time_zone(self) -> Option<String> {
        self.profile
            .with(|p| p.as_ref().and_then(|p| p.timezone.clone()))
    }

    /// How many teams the user belongs to (tracked); 0 for those who manage users.
    pub fn team_count(self) -> u64 {
        self.teams.get()
    }

    /// Whether [`Account::team_count`] is known yet (tracked): pages that only team leaders
    /// reach wait for it rather than refuse too early.
    pub fn teams_known(self) -> bool {
        self.teams_known.get()
    }

    /// Saves a theme chosen with the header switch to the profile, so it follows the user to
    /// other browsers. Best effort: the choice applies here whatever the server answers.
    pub fn save_theme(self, auth: Auth, theme: Theme) {
        if auth.status_untracked() != AuthStatus::SignedIn
            || self.profile.with_untracked(Option::is_none)
        {
            return;
        }
        let patch = ProfilePatch {
            theme: Some(to_wire(theme)),
            ..ProfilePatch::default()
        };
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let patch = patch.clone();
                    async move { c.update_profile(&patch).await }
                })
                .await;
            match result {
                Ok(profile) => self.profile.set(Some(profile)),
                Err(err) if crate::api::is(&err, ErrorCode::MfaEnrollmentRequired) => {}
                Err(err) => leptos::logging::warn!("the theme could not be saved: {err}"),
            }
        });
    }
}

/// The app's theme for the profile's.
pub const fn from_wire(theme: gmac_types::Theme) -> Theme {
    match theme {
        gmac_types::Theme::System => Theme::System,
        gmac_types::Theme::Light => Theme::Light,
        gmac_types::Theme::Dark => Theme::Dark,
    }
}

/// The profile's theme for the app's.
pub const fn to_wire(theme: Theme) -> gmac_types::Theme {
    match theme {
        Theme::System => gmac_types::Theme::System,
        Theme::Light => gmac_types::Theme::Light,
        Theme::Dark => gmac_types::Theme::Dark,
    }
}
