//! Loading an actor's effective grants: its own role bindings and its teams', expanded through
//! built-in and custom role definitions.

use std::collections::{BTreeSet, HashMap};

use gmac_types::access::builtin_role;
use gmac_types::{Permission, RoleGrant, Scope};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
};

use crate::access::TokenLimits;
use crate::access::{Grant, Permissions, Target};
use crate::entities::user;
use crate::entities::{project, role, role_binding, role_policy, team_member};
use crate::{Actor, Core, Result};

/// What a user holds.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// As the API shows it.
    pub grants: Vec<RoleGrant>,
    /// As the permission calculus uses it.
    pub permissions: Permissions,
    /// Whether any role the user holds requires MFA.
    pub mfa_required: bool,
}

/// Parses a JSON list of permission ids, ignoring ids this version does not know.
pub fn parse_permissions(json: &str) -> Vec<Permission> {
    serde_json::from_str::<Vec<String>>(json)
        .unwrap_or_default()
        .iter()
        .filter_map(|id| Permission::from_id(id))
        .collect()
}

/// The bindings of a user and of the teams it belongs to, in one query.
async fn bindings_of(
    conn: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<role_binding::Model>> {
    let teams_of_user = Query::select()
        .column(team_member::Column::TeamId)
        .from(team_member::Entity)
        .and_where(Expr::col(team_member::Column::UserId).eq(user_id))
        .to_owned();
    let bindings = role_binding::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(role_binding::Column::SubjectType.eq("user"))
                        .add(role_binding::Column::SubjectId.eq(user_id)),
                )
                .add(
                    Condition::all()
                        .add(role_binding::Column::SubjectType.eq("team"))
                        .add(role_binding::Column::SubjectId.in_subquery(teams_of_user)),
                ),
        )
        .order_by_asc(role_binding::Column::CreatedAt)
        .all(conn)
        .await?;
    Ok(bindings)
}

/// Loads the grants of `user_id`: one query for the bindings (the user's and its teams'), and
/// one each for the custom roles, the projects' clients and the role policies involved.
pub async fn load(conn: &impl ConnectionTrait, user_id: &str) -> Result<Loaded> {
    let bindings = bindings_of(conn, user_id).await?;
    if bindings.is_empty() {
        return Ok(Loaded::default());
    }

    let custom_ids: BTreeSet<&str> = bindings
        .iter()
        .map(|b| b.role_id.as_str())
        .filter(|id| builtin_role(id).is_none())
        .collect();
    let custom: HashMap<String, role::Model> = if custom_ids.is_empty() {
        HashMap::new()
    } else {
        role::Entity::find()
            .filter(role::Column::Id.is_in(custom_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect()
    };
    let project_ids: BTreeSet<&str> = bindings
        .iter()
        .filter(|b| b.scope_type == "project")
        .filter_map(|b| b.scope_id.as_deref())
        .collect();
    let project_clients: HashMap<String, String> = if project_ids.is_empty() {
        HashMap::new()
    } else {
        project::Entity::find()
            .filter(project::Column::Id.is_in(project_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|p| (p.id, p.client_id))
            .collect()
    };
    let role_ids: BTreeSet<&str> = bindings.iter().map(|b| b.role_id.as_str()).collect();
    let mfa_required = role_policy::Entity::find()
        .filter(role_policy::Column::RoleId.is_in(role_ids))
        .filter(role_policy::Column::MfaRequired.eq(true))
        .one(conn)
        .await?
        .is_some();

    let mut loaded = Loaded {
        mfa_required,
        ..Loaded::default()
    };
    for binding in bindings {
        // A binding whose scope is not one grants nothing.
        let Ok(scope) = crate::access::stored_scope(&binding.scope_type, binding.scope_id.as_ref())
        else {
            continue;
        };
        let target = match &scope {
            Scope::Global => Target::Global,
            Scope::Client { id } => Target::Client(id.clone()),
            Scope::Project { id } => {
                // A binding to a deleted project grants nothing.
                let Some(client_id) = project_clients.get(id).cloned() else {
                    continue;
                };
                Target::Project {
                    id: id.clone(),
                    client_id,
                }
            }
        };
        let (base, project_only): (Vec<Permission>, Vec<Permission>) =
            match builtin_role(&binding.role_id) {
                Some(builtin) => (
                    builtin.permissions.to_vec(),
                    builtin.project_permissions.to_vec(),
                ),
                None => match custom.get(&binding.role_id) {
                    Some(custom) => (
                        parse_permissions(&custom.permissions),
                        parse_permissions(&custom.project_permissions),
                    ),
                    None => continue,
                },
            };
        let mut permissions: BTreeSet<Permission> = base.into_iter().collect();
        if matches!(target, Target::Project { .. }) {
            permissions.extend(project_only);
        }
        let via_team = (binding.subject_type == "team").then_some(binding.subject_id);
        loaded.grants.push(RoleGrant {
            role: binding.role_id.clone(),
            scope,
            via_team: via_team.clone(),
        });
        loaded.permissions.grants.push(Grant {
            role_id: binding.role_id,
            scope: target,
            permissions,
            via_team,
        });
    }
    Ok(loaded)
}

/// The actor of `account` as it stands now (its grants and MFA state), signed in with
/// `session_id`, or with the API token whose `token` limits narrow its grants.
pub(crate) async fn build_actor(
    core: &Core,
    account: user::Model,
    session_id: Option<String>,
    token: Option<TokenLimits>,
) -> Result<Actor> {
    let loaded = load(&core.db, &account.id).await?;
    let mfa_enabled = mfa_enabled(&core.db, &account.id).await?;
    let mut permissions = loaded.permissions;
    let token_id = token.as_ref().map(|t| t.token_id.clone());
    let method = if token.is_some() {
        gmac_types::AuthMethod::ApiToken
    } else {
        gmac_types::AuthMethod::Session
    };
    permissions.token = token;
    Ok(Actor {
        user_id: account.id,
        email: account.email,
        display_name: account.display_name,
        created_at: account.created_at,
        session_id,
        token_id,
        method,
        grants: loaded.grants,
        permissions,
        mfa_enabled,
        mfa_enrollment_required: loaded.mfa_required && !mfa_enabled,
    })
}

/// Whether the user has confirmed a TOTP authenticator.
pub async fn mfa_enabled(conn: &impl sea_orm::ConnectionTrait, user_id: &str) -> Result<bool> {
    Ok(crate::entities::totp_secret::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .is_some_and(|t| t.confirmed_at.is_some()))
}
