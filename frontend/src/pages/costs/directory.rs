//! Who and what the cost pages name and offer: clients, projects, users and teams, by name.
//!
//! The people come from `GET /costs/people`, which anyone who sees costs may read (listing
//! users needs `users.manage`, which a billing manager lacks), so budgets, rules and reports
//! can be made for them.

use gmac_types::{
    BudgetScope, Client, CostPerson, ListQuery, Project, ProjectListQuery, Subject, SubjectKind,
};
use leptos::prelude::*;

use crate::components::scope::short_id;
use crate::pages::costs::forms::Choice;
use crate::state::Auth;

/// A user or team by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    /// The id.
    pub id: String,
    /// The name.
    pub name: String,
    /// More, to tell people apart (a user's email).
    pub detail: Option<String>,
    /// False for a deactivated user: named, but not offered for new budgets and rules.
    pub active: bool,
}

/// The clients, projects, users and teams the user may pick from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CostDirectory {
    /// Clients by name.
    pub clients: Vec<Client>,
    /// Projects by name.
    pub projects: Vec<Project>,
    /// Users by name.
    pub users: Vec<Named>,
    /// Teams by name.
    pub teams: Vec<Named>,
}

impl CostDirectory {
    /// Loads what the user may see; a part that cannot be loaded stays empty.
    pub async fn load(auth: Auth) -> Self {
        let all = ListQuery {
            limit: Some(ListQuery::MAX_LIMIT),
            ..ListQuery::default()
        };
        let clients = auth
            .call(move |c| {
                let all = all.clone();
                async move { c.list_clients(&all).await }
            })
            .await
            .map(|p| p.items)
            .unwrap_or_default();
        let projects = auth
            .call(|c| async move {
                c.list_projects(&ProjectListQuery {
                    limit: Some(ListQuery::MAX_LIMIT),
                    ..ProjectListQuery::default()
                })
                .await
            })
            .await
            .map(|p| p.items)
            .unwrap_or_default();
        // Everyone who may see costs may name the people they are allocated to, also without
        // `users.manage` (a billing manager).
        let people = auth
            .call(|c| async move { c.cost_people().await })
            .await
            .unwrap_or_default();
        let named = |list: Vec<CostPerson>| -> Vec<Named> {
            list.into_iter()
                .map(|p| Named {
                    id: p.id,
                    name: p.name,
                    detail: p.email,
                    active: p.active,
                })
                .collect()
        };
        let users = named(people.users);
        let teams = named(people.teams);
        Self {
            clients,
            projects,
            users,
            teams,
        }
    }

    /// A client's name (a short id where it is unknown).
    pub fn client_name(&self, id: &str) -> String {
        self.clients
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| short_id(id), |c| c.name.clone())
    }

    /// A project's name with its client's, e.g. "Acme / Web shop".
    pub fn project_name(&self, id: &str) -> String {
        self.projects.iter().find(|p| p.id == id).map_or_else(
            || short_id(id),
            |p| {
                let client = self.clients.iter().find(|c| c.id == p.client_id);
                client.map_or_else(|| p.name.clone(), |c| format!("{} / {}", c.name, p.name))
            },
        )
    }

    /// The users or teams.
    pub fn subjects(&self, kind: SubjectKind) -> &[Named] {
        match kind {
            SubjectKind::User => &self.users,
            SubjectKind::Team => &self.teams,
        }
    }

    /// A user's or team's name (a short id where it is unknown).
    pub fn subject_name(&self, kind: SubjectKind, id: &str) -> String {
        self.subjects(kind)
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| short_id(id), |s| s.name.clone())
    }

    /// A subject for people, e.g. "user Alice Chen" or "team Platform".
    pub fn subject_label(&self, subject: &Subject) -> String {
        let kind = match subject.kind {
            SubjectKind::User => "user",
            SubjectKind::Team => "team",
        };
        format!("{kind} {}", self.subject_name(subject.kind, &subject.id))
    }

    /// What a budget covers, for people, e.g. "Client Acme" or "Everything".
    pub fn scope_label(&self, scope: &BudgetScope) -> String {
        match scope {
            BudgetScope::Global => "Everything".to_owned(),
            BudgetScope::Client { id } => format!("Client {}", self.client_name(id)),
            BudgetScope::Project { id } => format!("Project {}", self.project_name(id)),
            BudgetScope::User { id } => {
                format!("User {}", self.subject_name(SubjectKind::User, id))
            }
            BudgetScope::Team { id } => {
                format!("Team {}", self.subject_name(SubjectKind::Team, id))
            }
        }
    }

    /// The clients as choices.
    pub fn client_choices(&self) -> Vec<Choice> {
        self.clients
            .iter()
            .map(|c| Choice::new(c.id.clone(), c.name.clone()))
            .collect()
    }

    /// The projects as choices, named with their clients.
    pub fn project_choices(&self) -> Vec<Choice> {
        self.projects
            .iter()
            .map(|p| Choice::new(p.id.clone(), self.project_name(&p.id)))
            .collect()
    }

    /// The active users or the teams as choices (users with their email).
    pub fn subject_choices(&self, kind: SubjectKind) -> Vec<Choice> {
        self.subjects(kind)
            .iter()
            .filter(|s| s.active)
            .map(|s| {
                let label = match &s.detail {
                    Some(detail) => format!("{} ({detail})", s.name),
                    None => s.name.clone(),
                };
                Choice::new(s.id.clone(), label)
            })
            .collect()
    }
}

/// The directory, loaded once for the page (empty until it arrives).
pub fn use_cost_directory(auth: Auth) -> Signal<CostDirectory> {
    let load = LocalResource::new(move || CostDirectory::load(auth));
    Signal::derive(move || load.get().unwrap_or_default())
}
