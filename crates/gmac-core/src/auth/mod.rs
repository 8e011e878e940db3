//! Authentication: password hashing, access tokens, opaque tokens, and the authenticated actor.

pub mod actor;
pub mod cache;
pub mod device;
pub mod jwt;
pub mod password;
pub mod tokens;
pub mod totp;
