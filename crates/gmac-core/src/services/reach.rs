//! Which people a caller may know of. Below the global scope, a user or team is within reach
//! when it holds a role inside a client or project the caller sees (directly, or for a user
//! through one of its teams), and the caller always knows itself and its own teams. Written as
//! query conditions, so lists are scoped in the database, never filtered after loading.

use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ExprTrait};

use crate::access::Visible;
use crate::entities::{project, role_binding, team, team_member, user};

/// Role bindings inside what `visible` covers: on a visible client, on one of its projects, or
/// on a project visible on its own.
fn bindings_inside(visible: &Visible) -> Condition {
    let Visible::Some { clients, projects } = visible else {
        return Condition::all();
    };
    let projects_of_clients = Query::select()
        .column(project::Column::Id)
        .from(project::Entity)
        .and_where(Expr::col(project::Column::ClientId).is_in(clients.iter().cloned()))
        .to_owned();
    Condition::any()
        .add(
            Condition::all()
                .add(role_binding::Column::ScopeType.eq("client"))
                .add(role_binding::Column::ScopeId.is_in(clients.iter().cloned())),
        )
        .add(
            Condition::all()
                .add(role_binding::Column::ScopeType.eq("project"))
                .add(role_binding::Column::ScopeId.in_subquery(projects_of_clients)),
        )
        .add(
            Condition::all()
                .add(role_binding::Column::ScopeType.eq("project"))
                .add(
                    role_binding::Column::ScopeId.is_in(projects.iter().map(|(id, _)| id.clone())),
                ),
        )
}

fn subjects_inside(visible: &Visible, kind: &str) -> SelectStatement {
    Query::select()
        .column(role_binding::Column::SubjectId)
        .from(role_binding::Entity)
        .and_where(Expr::col(role_binding::Column::SubjectType).eq(kind))
        .cond_where(bindings_inside(visible))
        .to_owned()
}

/// The condition on `users.id` for the users within reach (`None`: everyone).
pub fn users(visible: &Visible, me: &str) -> Option<Condition> {
    if matches!(visible, Visible::All) {
        return None;
    }
    let members_of_teams_inside = Query::select()
        .column(team_member::Column::UserId)
        .from(team_member::Entity)
        .and_where(
            Expr::col(team_member::Column::TeamId).in_subquery(subjects_inside(visible, "team")),
        )
        .to_owned();
    Some(
        Condition::any()
            .add(user::Column::Id.eq(me))
            .add(user::Column::Id.in_subquery(subjects_inside(visible, "user")))
            .add(user::Column::Id.in_subquery(members_of_teams_inside)),
    )
}

/// The condition on `teams.id` for the teams within reach (`None`: every team).
pub fn teams(visible: &Visible, me: &str) -> Option<Condition> {
    if matches!(visible, Visible::All) {
        return None;
    }
    let my_teams = Query::select()
        .column(team_member::Column::TeamId)
        .from(team_member::Entity)
        .and_where(Expr::col(team_member::Column::UserId).eq(me))
        .to_owned();
    Some(
        Condition::any()
            .add(team::Column::Id.in_subquery(subjects_inside(visible, "team")))
            .add(team::Column::Id.in_subquery(my_teams)),
    )
}
