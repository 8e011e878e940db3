//! The authenticated caller of a service.

use chrono::{DateTime, Utc};
use gmac_types::{AuthMethod, Permission, RoleGrant, Scope, access::roles};

use crate::access::{Permissions, Target};
use crate::audit::AuditActor;
use crate::{Error, Result};

/// Who is acting, resolved from an access token or an API token on every request, so a
/// disabled account or a changed role takes effect at once.
#[derive(Clone, Debug)]
pub struct Actor {
    /// The user's id.
    pub user_id: String,
    /// The user's email address.
    pub email: String,
    /// The user's display name.
    pub display_name: String,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// The session behind an access token.
    pub session_id: Option<String>,
    /// The API token, when the request used one.
    pub token_id: Option<String>,
    /// How the request authenticated.
    pub method: AuthMethod,
    /// The roles held, directly or through teams, as the API shows them.
    pub grants: Vec<RoleGrant>,
    /// What the actor may do, where.
    pub permissions: Permissions,
    /// Whether the user has TOTP turned on.
    pub mfa_enabled: bool,
    /// A role the user holds requires MFA and the user has not enrolled: until they do, only
    /// their own account and MFA enrolment are open to them.
    pub mfa_enrollment_required: bool,
}

impl Actor {
    /// How this actor appears in the audit log.
    pub fn audit_actor(&self) -> AuditActor {
        match &self.token_id {
            Some(token) => AuditActor::Token {
                id: token.clone(),
                user_id: self.user_id.clone(),
                label: self.email.clone(),
            },
            None => AuditActor::User {
                id: self.user_id.clone(),
                label: self.email.clone(),
            },
        }
    }

    /// Fails with 403 unless the actor holds `permission` at `target`. The first line of every
    /// service that changes or reveals something.
    pub fn require(&self, permission: Permission, target: &Target) -> Result<()> {
        if self.mfa_enrollment_required {
            return Err(Error::MfaEnrollmentRequired);
        }
        if self.permissions.can(permission, target) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// Like [`Actor::require`] for an existing object: 404 when the actor may not even know it
    /// exists (another tenant's object), 403 when it may see but not do.
    pub fn require_on(&self, permission: Permission, target: &Target) -> Result<()> {
        if !self.permissions.knows(target) {
            return Err(Error::NotFound);
        }
        self.require(permission, target)
    }

    /// 404 unless the actor may know `target` exists.
    pub fn require_known(&self, target: &Target) -> Result<()> {
        if self.mfa_enrollment_required {
            return Err(Error::MfaEnrollmentRequired);
        }
        if self.permissions.knows(target) {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// Fails while the actor must still enrol in MFA (lists filter instead of requiring).
    pub fn ensure_enrolled(&self) -> Result<()> {
        if self.mfa_enrollment_required {
            Err(Error::MfaEnrollmentRequired)
        } else {
            Ok(())
        }
    }

    /// Fails with 403 when the request used an API token: the account itself (its sessions,
    /// profile, avatar, password, MFA and tokens) belongs to a person at a keyboard, whatever
    /// permissions the token carries.
    pub fn require_session(&self) -> Result<()> {
        if self.token_id.is_some() {
            Err(Error::Forbidden)
        } else {
            Ok(())
        }
    }

    /// Whether the actor holds `permission` at `target`.
    pub fn can(&self, permission: Permission, target: &Target) -> bool {
        !self.mfa_enrollment_required && self.permissions.can(permission, target)
    }

    /// Whether the actor holds `role` globally (directly or through a team).
    pub fn has_global_role(&self, role: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == role && g.scope == Scope::Global)
    }

    /// Whether the actor is a Super Admin (and not narrowed by an API token).
    pub fn is_super_admin(&self) -> bool {
        self.token_id.is_none() && self.has_global_role(roles::SUPER_ADMIN)
    }
}
