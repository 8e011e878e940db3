//! Building blocks shared by the pages.

pub mod alerts_bell;
pub mod avatar;
pub mod copy;
pub mod error_banner;
pub mod form_field;
pub mod icon;
pub mod mail_note;
pub mod modal;
pub mod named;
pub mod nav;
pub mod paging;
pub mod scope;
pub mod shell;
pub mod spinner;
pub mod tabs;
pub mod theme_toggle;
pub mod user_menu;
