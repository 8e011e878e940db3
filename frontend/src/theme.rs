//! The colour theme: System (follows `prefers-color-scheme`), Light or Dark.
//!
//! The choice is kept in `localStorage` under [`STORAGE_KEY`] and applied as `data-theme` on
//! `<html>`; the stylesheet does the rest. `public/theme.js` applies a stored choice before
//! the first paint, so a dark page does not flash light while the WebAssembly loads.

use leptos::prelude::*;

use crate::js::local_storage as storage;

/// The `localStorage` key of the choice.
pub const STORAGE_KEY: &str = "gmac.theme";

/// A theme choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    /// Follow the operating system.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl Theme {
    /// Every choice, in menu order.
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    /// The value of `data-theme` and of the stored choice.
    pub const fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The name shown to people.
    pub const fn label(self) -> &'static str {
        match self {
            Theme::System => "System",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    /// Parses a stored value; anything unknown is [`Theme::System`].
    pub fn parse(value: &str) -> Self {
        match value {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }
}

/// The theme choice, provided as context at the root of the app.
#[derive(Clone, Copy, Debug)]
pub struct ThemeState(RwSignal<Theme>);

impl ThemeState {
    /// Reads the stored choice, applies it and provides the state as context.
    pub fn provide() -> Self {
        let theme = stored();
        apply(theme);
        let state = Self(RwSignal::new(theme));
        provide_context(state);
        state
    }

    /// The current choice (tracked).
    pub fn get(self) -> Theme {
        self.0.get()
    }

    /// Changes, applies and stores the choice.
    pub fn set(self, theme: Theme) {
        self.0.set(theme);
        apply(theme);
        store(theme);
    }
}

/// The theme state from context.
///
/// # Panics
/// Outside the app's root component, which provides it.
pub fn use_theme() -> ThemeState {
    expect_context::<ThemeState>()
}

fn stored() -> Theme {
    storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .map_or(Theme::System, |v| Theme::parse(&v))
}

fn store(theme: Theme) {
    if let Some(storage) = storage()
        && storage.set_item(STORAGE_KEY, theme.as_str()).is_err()
    {
        leptos::logging::warn!("the theme choice could not be stored");
    }
}

fn apply(theme: Theme) {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element());
    if let Some(root) = root
        && root.set_attribute("data-theme", theme.as_str()).is_err()
    {
        leptos::logging::warn!("the theme could not be applied");
    }
}
