//! Access control: users, roles, teams and invitations.

pub mod bindings;
pub mod invitations;
pub mod roles;
pub mod teams;
pub mod users;
