//! sea-orm entities, one module per table.

pub mod allocation_rule;
pub mod api_token;
pub mod audit_chain;
pub mod audit_log;
pub mod auth_throttle;
pub mod client;
pub mod cost_allocation;
pub mod cost_daily;
pub mod cost_import;
pub mod cost_line_item;
pub mod invitation;
pub mod project;
pub mod recovery_code;
pub mod refresh_token;
pub mod resource_assignment;
pub mod role;
pub mod role_binding;
pub mod role_policy;
pub mod session;
pub mod setup_token;
pub mod team;
pub mod team_member;
pub mod totp_secret;
pub mod user;
pub mod user_avatar;
