//! Settings: the user's own profile, and (in [`crate::pages::security`]) sign-in security.

pub mod avatar;
pub mod choices;
pub mod profile;
