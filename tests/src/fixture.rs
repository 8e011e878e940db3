//! One builder for the data a test starts from, made through the API as an admin, as a user
//! would make it: clients, projects, users with their roles, teams and imported costs.
//!
//! ```ignore
//! let admin = app.super_admin().await;
//! let f = app.fixture(&admin);
//! let acme = f.client("Acme").await;
//! let viewer = f.member("v@example.com", "viewer", Scope::Client { id: acme.clone() }).await;
//! ```

use gmac_types::{
    CostImport, CostImportParams, NewClient, NewProject, NewRoleBinding, NewTeam, NewTeamMember,
    NewUser, OnRowError, Scope, Subject, SubjectKind,
};

use crate::{Session, TestApp};

/// The password of every user a fixture makes.
pub const PASSWORD: &str = "a long test password";

/// Makes test data as `admin` on `app`. Each call goes through the API and panics when it is
/// refused: a fixture that cannot be made is a broken test.
pub struct Fixture<'a> {
    app: &'a TestApp,
    admin: &'a Session,
}

impl TestApp {
    /// A builder of test data, made as `admin` (a session allowed to make it).
    pub fn fixture<'a>(&'a self, admin: &'a Session) -> Fixture<'a> {
        Fixture { app: self, admin }
    }
}

impl Fixture<'_> {
    /// A client named `name`; answers its id.
    pub async fn client(&self, name: &str) -> String {
        self.admin
            .client
            .create_client(&NewClient {
                name: name.to_owned(),
                description: None,
            })
            .await
            .expect("creating a client")
            .id
    }

    /// A project named `name` in `client_id`; answers its id.
    pub async fn project(&self, client_id: &str, name: &str) -> String {
        self.admin
            .client
            .create_project(&NewProject {
                client_id: client_id.to_owned(),
                name: name.to_owned(),
                description: None,
            })
            .await
            .expect("creating a project")
            .id
    }

    /// A user with the address `email` (also their display name) and [`PASSWORD`], holding no
    /// role; answers their id.
    pub async fn user(&self, email: &str) -> String {
        self.person(email, email).await
    }

    /// A user called `display_name`, with the address `email` and [`PASSWORD`], holding no
    /// role; answers their id.
    pub async fn person(&self, email: &str, display_name: &str) -> String {
        self.admin
            .client
            .create_user(&NewUser {
                email: email.to_owned(),
                display_name: display_name.to_owned(),
                password: PASSWORD.into(),
            })
            .await
            .expect("creating a user")
            .id
    }

    /// Grants `role` at `scope` to the user `user_id`.
    pub async fn grant(&self, user_id: &str, role: &str, scope: Scope) {
        self.admin
            .client
            .create_role_binding(&NewRoleBinding {
                subject: Subject {
                    kind: SubjectKind::User,
                    id: user_id.to_owned(),
                },
                role: role.to_owned(),
                scope,
            })
            .await
            .expect("granting a role");
    }

    /// A user holding `role` at `scope`, signed in.
    pub async fn member(&self, email: &str, role: &str, scope: Scope) -> Session {
        let user = self.user(email).await;
        self.grant(&user, role, scope).await;
        self.app.sign_in(email, PASSWORD).await
    }

    /// A team named `name` with `members` (user ids); answers its id.
    pub async fn team(&self, name: &str, members: &[&str]) -> String {
        let team = self
            .admin
            .client
            .create_team(&NewTeam {
                name: name.to_owned(),
                description: None,
            })
            .await
            .expect("creating a team")
            .id;
        for member in members {
            self.admin
                .client
                .add_team_member(
                    &team,
                    &NewTeamMember {
                        user_id: (*member).to_owned(),
                        leader: false,
                    },
                )
                .await
                .expect("adding a team member");
        }
        team
    }

    /// `file` (FOCUS CSV) imported for `client_id`, refusing it whole on a bad row.
    pub async fn import(&self, client_id: &str, file: impl Into<Vec<u8>>) -> CostImport {
        self.admin
            .client
            .import_costs(
                &CostImportParams {
                    client_id: client_id.to_owned(),
                    on_error: OnRowError::Reject,
                    file_name: None,
                },
                file.into(),
            )
            .await
            .expect("importing costs")
            .0
    }
}
