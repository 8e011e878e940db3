//! `/settings/profile`: display name, time zone, default region, theme, email notifications
//! and the avatar.

use gmac_types::validation::DisplayName;
use gmac_types::{FieldError, NotificationPrefs, Profile, ProfilePatch};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::{from_wire, to_wire, use_account};
use crate::api::Failure;
use crate::areas::Area;
use crate::components::copy::CopyButton;
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FieldMessages, FormErrors, FormField, SubmitButton};
use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::pages::SubmittedForm;
use crate::pages::hub::SectionHeader;
use crate::pages::settings::avatar::AvatarCard;
use crate::pages::settings::choices::{AWS_REGIONS, TIME_ZONES, region_label};
use crate::state::use_auth;
use crate::theme::{Theme, use_theme};

/// The fields of the form, as the server names them.
const FIELDS: [&str; 5] = [
    "display_name",
    "timezone",
    "default_region",
    "theme",
    "notifications",
];

/// The profile page.
#[component]
pub fn ProfilePage() -> impl IntoView {
    let auth = use_auth();
    let profile = LocalResource::new(move || async move {
        auth.call(|c| async move { c.get_profile().await })
            .await
            .map_err(|e| Failure::of(&e))
    });
    view! {
        <SectionHeader
            area=Area::Settings
            title="Profile"
            summary="How you appear in gmac, how it shows times, and what it emails you."
        />
        {move || match profile.get() {
            None => view! { <Loading label="Loading your profile…" /> }.into_any(),
            Some(Err(message)) => {
                view! { <LoadFailed message=message retry=Callback::new(move |()| profile.refetch()) /> }
                    .into_any()
            }
            Some(Ok(loaded)) => {
                view! {
                    <div class="stack">
                        <AvatarCard />
                        <ProfileForm profile=loaded />
                    </div>
                }
                    .into_any()
            }
        }}
    }
}

/// What the form holds.
#[derive(Clone, Copy, Debug)]
struct Inputs {
    display_name: RwSignal<String>,
    timezone: RwSignal<String>,
    region: RwSignal<String>,
    theme: RwSignal<Theme>,
    alerts: RwSignal<bool>,
    budgets: RwSignal<bool>,
    reports: RwSignal<bool>,
    security: RwSignal<bool>,
    deploys: RwSignal<bool>,
}

impl Inputs {
    fn new(profile: &Profile) -> Self {
        Self {
            display_name: RwSignal::new(profile.display_name.clone()),
            timezone: RwSignal::new(profile.timezone.clone().unwrap_or_default()),
            region: RwSignal::new(profile.default_region.clone().unwrap_or_default()),
            theme: RwSignal::new(from_wire(profile.theme)),
            alerts: RwSignal::new(profile.notifications.alerts),
            budgets: RwSignal::new(profile.notifications.budgets),
            reports: RwSignal::new(profile.notifications.reports),
            security: RwSignal::new(profile.notifications.security),
            deploys: RwSignal::new(profile.notifications.deploys),
        }
    }

    /// The change to send, or what is wrong with the input.
    fn patch(self) -> Result<ProfilePatch, Vec<FieldError>> {
        let mut problems = Vec::new();
        let name = DisplayName::parse("display_name", &self.display_name.get_untracked())
            .map_err(|e| problems.push(e))
            .ok();
        let timezone = self.timezone.get_untracked().trim().to_owned();
        if let Some(message) = check_time_zone(&timezone) {
            problems.push(FieldError::new("timezone", "unknown_timezone", message));
        }
        match name {
            Some(name) if problems.is_empty() => Ok(ProfilePatch {
                display_name: Some(name.into_inner()),
                timezone: Some(timezone),
                default_region: Some(self.region.get_untracked()),
                theme: Some(to_wire(self.theme.get_untracked())),
                notifications: Some(NotificationPrefs {
                    alerts: self.alerts.get_untracked(),
                    budgets: self.budgets.get_untracked(),
                    reports: self.reports.get_untracked(),
                    security: self.security.get_untracked(),
                    deploys: self.deploys.get_untracked(),
                }),
            }),
            _ => Err(problems),
        }
    }
}

/// `Some(message)` when the browser does not know the time zone `zone` (empty is fine: the
/// browser's own applies).
fn check_time_zone(zone: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    if !zone.is_empty() && !crate::js::is_time_zone(zone) {
        return Some(format!(
            "“{zone}” is not a time zone this browser knows. Use a name such as Europe/Berlin."
        ));
    }
    let _ = zone;
    None
}

#[component]
fn ProfileForm(profile: Profile) -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let theme_state = use_theme();
    let inputs = Inputs::new(&profile);
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let saved = RwSignal::new(None::<String>);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let browser_zone = browser_zone_hint();
    let user_id = auth.user_id_untracked().unwrap_or_default();
    // A region set elsewhere (the API, an older list) stays selectable.
    let extra_region = profile
        .default_region
        .clone()
        .filter(|r| !AWS_REGIONS.iter().any(|(code, _)| code == r));

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        saved.set(None);
        let patch = match inputs.patch() {
            Ok(patch) => patch,
            Err(problems) => {
                errors.set(FormErrors::from_fields(problems));
                submitted.focus_first_invalid();
                return;
            }
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let patch = patch.clone();
                    async move { c.update_profile(&patch).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(profile) => {
                    let name = profile.display_name.clone();
                    auth.update_me(|me| me.display_name = name);
                    theme_state.set(from_wire(profile.theme));
                    account.set_profile(profile);
                    saved.set(Some("Your profile is saved.".to_owned()));
                }
                Err(err) => {
                    errors.set(FormErrors::from_api(&err, &FIELDS));
                    submitted.focus_first_invalid();
                }
            }
        });
    };

    let checkbox =
        move |id: &'static str, value: RwSignal<bool>, label: &'static str, hint: &'static str| {
            view! {
                <label class="check" for=id>
                    <input id=id type="checkbox" bind:checked=value />
                    <span>
                        <span class="check-label">{label}</span>
                        <span class="check-hint">{hint}</span>
                    </span>
                </label>
            }
        };

    view! {
        <section class="card" aria-labelledby="profile-title">
            <h2 id="profile-title" class="card-title">
                "Details"
            </h2>
            <dl class="details details-flush">
                <div>
                    <dt>"Email"</dt>
                    <dd>
                        <span id="profile-email">{profile.email.clone()}</span>
                        <span class="field-hint">"An administrator changes the email address."</span>
                    </dd>
                </div>
                <div>
                    <dt>"User id"</dt>
                    <dd>
                        <span class="id-row">
                            <code id="profile-user-id">{user_id.clone()}</code>
                            <CopyButton text=user_id label="Copy id" id="copy-user-id" />
                        </span>
                        <span class="field-hint">"A team leader adds you to their team with it."</span>
                    </dd>
                </div>
            </dl>
            <form class="form card-body" novalidate=true on:submit=submit>
                <NoticeBanner message=saved />
                <ErrorBanner message=banner />
                <FormField
                    id="profile-display-name"
                    field="display_name"
                    label="Display name"
                    autocomplete="name"
                    value=inputs.display_name
                    errors=errors
                    disabled=busy
                />
                <FormField
                    id="profile-timezone"
                    field="timezone"
                    label="Time zone"
                    autocomplete="off"
                    value=inputs.timezone
                    errors=errors
                    list="time-zones"
                    placeholder=browser_zone
                    hint="Times in gmac are shown in this zone. Leave it empty to use your browser's."
                    optional=true
                    disabled=busy
                />
                <datalist id="time-zones">
                    {TIME_ZONES.iter().map(|zone| view! { <option value=*zone></option> }).collect_view()}
                </datalist>
                <div class="field-row">
                    <div class="field">
                        <label for="profile-region">"Default AWS region"</label>
                        <select
                            id="profile-region"
                            class="select"
                            aria-describedby="profile-region-error"
                            disabled=move || busy.get()
                            on:change=move |ev| inputs.region.set(event_target_value(&ev))
                        >
                            <option value="" prop:selected=move || inputs.region.with(String::is_empty)>
                                "None"
                            </option>
                            {extra_region
                                .map(|code| {
                                    let selected = code.clone();
                                    let value = code.clone();
                                    view! {
                                        <option
                                            value=value
                                            prop:selected=move || inputs.region.with(|r| *r == selected)
                                        >
                                            {code}
                                        </option>
                                    }
                                })}
                            {AWS_REGIONS
                                .iter()
                                .map(|(code, _)| {
                                    view! {
                                        <option
                                            value=*code
                                            prop:selected=move || inputs.region.with(|r| r == code)
                                        >
                                            {region_label(code)}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                        <FieldMessages id="profile-region-error" field="default_region" errors=errors />
                    </div>
                    <div class="field">
                        <label for="profile-theme">"Theme"</label>
                        <select
                            id="profile-theme"
                            class="select"
                            disabled=move || busy.get()
                            on:change=move |ev| inputs.theme.set(Theme::parse(&event_target_value(&ev)))
                        >
                            {Theme::ALL
                                .into_iter()
                                .map(|choice| {
                                    view! {
                                        <option
                                            value=choice.as_str()
                                            prop:selected=move || inputs.theme.get() == choice
                                        >
                                            {choice.label()}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                        <FieldMessages id="profile-theme-error" field="theme" errors=errors />
                    </div>
                </div>
                <fieldset class="fieldset" disabled=move || busy.get()>
                    <legend>"Email me about"</legend>
                    {checkbox("notify-alerts", inputs.alerts, "Alerts", "When monitoring finds a problem.")}
                    {checkbox("notify-budgets", inputs.budgets, "Budgets", "When spending crosses a budget threshold.")}
                    {checkbox("notify-reports", inputs.reports, "Reports", "Scheduled cost and usage reports.")}
                    {checkbox(
                        "notify-security",
                        inputs.security,
                        "Security",
                        "New sign-ins and changes to your sign-in methods.",
                    )}
                    {checkbox(
                        "notify-deploys",
                        inputs.deploys,
                        "Deploys",
                        "What the rules of services tell you: deploys, rollbacks, failed builds, domains.",
                    )}
                    <FieldMessages id="profile-notifications-error" field="notifications" errors=errors />
                </fieldset>
                <div class="form-actions">
                    <SubmitButton
                        id="save-profile"
                        label="Save profile"
                        busy_label="Saving…"
                        busy=busy
                        inline=true
                    />
                </div>
            </form>
        </section>
    }
}

/// The browser's time zone as the empty field's placeholder, e.g. "Browser: Europe/Berlin".
fn browser_zone_hint() -> String {
    #[cfg(target_arch = "wasm32")]
    if let Some(zone) = crate::js::browser_time_zone() {
        return format!("Browser: {zone}");
    }
    "Your browser's time zone".to_owned()
}
