//! A typed client for gmac's REST API, for the CLI, the tests and the SPA (it builds for
//! wasm32, where the browser's fetch carries the refresh cookie).
//!
//! Every failure decodes into one [`ApiError`], which pages and scripts match on.

pub mod sse;

use gmac_types::{
    ApiToken, AuditEvent, AuditQuery, AuditVerification, Client as ClientDto, ClientPatch,
    CreatedApiToken, Health, ListQuery, LoginRequest, Me, NewApiToken, NewClient, NewProject,
    NewRoleBinding, NewUser, Page, PageQuery, PermissionInfo, ProblemDetails, Project,
    ProjectListQuery, ProjectPatch, Readiness, Role, RoleBinding, RoleBindingQuery, SetupRequest,
    SetupStatus, TokenResponse, User, UserDetail, UserPatch,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The filter of a list that has none, for [`Client::get_page`].
pub const NO_FILTER: [(&str, &str); 0] = [];

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The server answered with a problem (4xx/5xx with `application/problem+json`).
    #[error("{} ({}): {}", .0.title, .0.status, .0.detail.as_deref().unwrap_or(""))]
    Problem(Box<ProblemDetails>),
    /// The server answered an error without a problem body.
    #[error("unexpected HTTP {status}")]
    Http {
        /// The HTTP status.
        status: u16,
    },
    /// The request did not reach the server, or the answer did not arrive.
    #[error("network error: {0}")]
    Network(String),
    /// The answer was not what this client expected.
    #[error("unexpected answer: {0}")]
    Decode(String),
}

impl ApiError {
    /// The problem, if the server sent one.
    pub fn problem(&self) -> Option<&ProblemDetails> {
        match self {
            ApiError::Problem(p) => Some(p),
            _ => None,
        }
    }

    /// The HTTP status, if the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Problem(p) => Some(p.status),
            ApiError::Http { status } => Some(*status),
            _ => None,
        }
    }

    /// A message for a person.
    pub fn message(&self) -> String {
        match self {
            ApiError::Problem(p) => p.detail.clone().unwrap_or_else(|| p.title.clone()),
            ApiError::Http { status } => format!("The server answered HTTP {status}."),
            ApiError::Network(_) => UNREACHABLE.to_owned(),
            ApiError::Decode(_) => "The server's answer could not be read.".to_owned(),
        }
    }
}

/// What [`ApiError::message`] says of a request that did not reach the server.
pub const UNREACHABLE: &str = "The server cannot be reached. Check your connection.";

/// The result of a call.
pub type Result<T> = std::result::Result<T, ApiError>;

/// Whose shared variables: a project's, a service's or a group's, by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharedOwner<'a> {
    /// A project's.
    Project(&'a str),
    /// A service's.
    Service(&'a str),
    /// A group's.
    Group(&'a str),
}

impl SharedOwner<'_> {
    /// Its path under the API.
    pub fn path(self) -> String {
        match self {
            Self::Project(id) => format!("/api/v1/projects/{id}"),
            Self::Service(id) => format!("/api/v1/services/{id}"),
            Self::Group(id) => format!("/api/v1/variable-groups/{id}"),
        }
    }
}

/// A gmac API client. Cheap to clone; clones share the connection pool (and, natively, the
/// cookie jar).
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: impl Into<String>) -> Result<Self> {
        Ok(Self {
            http: build_http()?,
            base: base.into().trim_end_matches('/').to_owned(),
            token: None,
        })
    }

    /// The same client, sending `token` as `Authorization: Bearer`.
    #[must_use]
    pub fn with_token(&self, token: impl Into<String>) -> Self {
        Self {
            token: Some(token.into()),
            ..self.clone()
        }
    }

    /// The same client without a bearer token.
    #[must_use]
    pub fn anonymous(&self) -> Self {
        Self {
            token: None,
            ..self.clone()
        }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET /healthz`.
    pub async fn health(&self) -> Result<Health> {
        self.get("/healthz").await
    }

    /// `GET /readyz`.
    pub async fn readiness(&self) -> Result<Readiness> {
        self.get("/readyz").await
    }

    /// `GET /api/v1/setup`.
    pub async fn setup_status(&self) -> Result<SetupStatus> {
        self.get("/api/v1/setup").await
    }

    /// `POST /api/v1/setup`.
    pub async fn complete_setup(&self, request: &SetupRequest) -> Result<User> {
        self.post("/api/v1/setup", request).await
    }

    /// `POST /api/v1/auth/login`: tokens, or a request for the second factor.
    pub async fn login(&self, request: &LoginRequest) -> Result<gmac_types::LoginResponse> {
        self.post("/api/v1/auth/login", request).await
    }

    /// `POST /api/v1/auth/mfa`: completes a sign-in with a code or a recovery code.
    pub async fn complete_mfa(
        &self,
        request: &gmac_types::MfaVerification,
    ) -> Result<TokenResponse> {
        self.post("/api/v1/auth/mfa", request).await
    }

    /// `POST /api/v1/me/mfa/totp`.
    pub async fn start_totp_enrollment(&self) -> Result<gmac_types::TotpEnrollment> {
        self.post_empty("/api/v1/me/mfa/totp").await
    }

    /// `POST /api/v1/me/mfa/totp/confirm`.
    pub async fn confirm_totp_enrollment(&self, code: &str) -> Result<gmac_types::RecoveryCodes> {
        self.post(
            "/api/v1/me/mfa/totp/confirm",
            &gmac_types::TotpCode { code: code.into() },
        )
        .await
    }

    /// `POST /api/v1/me/mfa/recovery-codes`.
    pub async fn regenerate_recovery_codes(&self, code: &str) -> Result<gmac_types::RecoveryCodes> {
        self.post(
            "/api/v1/me/mfa/recovery-codes",
            &gmac_types::TotpCode { code: code.into() },
        )
        .await
    }

    /// `POST /api/v1/me/mfa/totp/disable`.
    pub async fn disable_totp(&self, request: &gmac_types::DisableMfa) -> Result<()> {
        let response = self
            .request(reqwest::Method::POST, "/api/v1/me/mfa/totp/disable")
            .json(request)
            .send()
            .await;
        check(response.map_err(network)?).await.map(drop)
    }

    /// `POST /api/v1/auth/refresh` (the refresh cookie is sent by the cookie jar or browser).
    pub async fn refresh(&self) -> Result<TokenResponse> {
        self.post_empty("/api/v1/auth/refresh").await
    }

    /// `POST /api/v1/auth/logout`.
    pub async fn logout(&self) -> Result<()> {
        let response = self
            .request(reqwest::Method::POST, "/api/v1/auth/logout")
            .send()
            .await;
        check(response.map_err(network)?).await.map(drop)
    }

    /// `GET /api/v1/me`.
    pub async fn me(&self) -> Result<Me> {
        self.get("/api/v1/me").await
    }

    /// `GET /api/v1/clients`.
    pub async fn list_clients(&self, query: &ListQuery) -> Result<Page<ClientDto>> {
        self.get_query("/api/v1/clients", query).await
    }

    /// `POST /api/v1/cost-imports`: a FOCUS CSV file (gzip'd or not) as the body. Returns the
    /// import and whether this call added it (`false`: the same file was imported before).
    pub async fn import_costs(
        &self,
        params: &gmac_types::CostImportParams,
        body: impl Into<reqwest::Body>,
    ) -> Result<(gmac_types::CostImport, bool)> {
        let response = self
            .request(reqwest::Method::POST, "/api/v1/cost-imports")
            .query(params)
            .header(reqwest::header::CONTENT_TYPE, "text/csv")
            .body(body)
            .send()
            .await
            .map_err(network)?;
        let response = check(response).await?;
        let created = response.status() == reqwest::StatusCode::CREATED;
        Ok((decode(response).await?, created))
    }

    /// `POST /api/v1/cost-imports` with `Prefer: respond-async`: the file is imported by a
    /// job, which this answers (202).
    pub async fn import_costs_async(
        &self,
        params: &gmac_types::CostImportParams,
        body: impl Into<reqwest::Body>,
    ) -> Result<gmac_types::Job> {
        let response = self
            .request(reqwest::Method::POST, "/api/v1/cost-imports")
            .query(params)
            .header(reqwest::header::CONTENT_TYPE, "text/csv")
            .header("Prefer", "respond-async")
            .body(body)
            .send()
            .await
            .map_err(network)?;
        decode(check(response).await?).await
    }

    /// `GET /api/v1/jobs`.
    pub async fn list_jobs(
        &self,
        query: &gmac_types::JobQuery,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::Job>> {
        self.get_page("/api/v1/jobs", query, page).await
    }

    /// `GET /api/v1/events`: the events after `query.after` the caller may see.
    pub async fn list_events(
        &self,
        query: &gmac_types::EventQuery,
    ) -> Result<gmac_types::EventList> {
        self.get_query("/api/v1/events", query).await
    }

    /// `GET /api/v1/events/stream`, opened: every event the caller may see, live, after
    /// `last_event_id` (or from the next one).
    pub async fn open_event_stream(&self, last_event_id: Option<i64>) -> Result<sse::EventStream> {
        let mut request = self.request(reqwest::Method::GET, "/api/v1/events/stream");
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await.map_err(network)?;
        Ok(sse::EventStream::new(check(response).await?))
    }

    /// `GET /api/v1/jobs/{id}`.
    pub async fn get_job(&self, id: &str) -> Result<gmac_types::Job> {
        self.get(&format!("/api/v1/jobs/{id}")).await
    }

    /// `GET /api/v1/jobs/{id}/log`: a page of the lines after `after` (a `seq`).
    pub async fn job_log(&self, id: &str, after: i64) -> Result<Page<gmac_types::JobLogLine>> {
        self.get(&format!("/api/v1/jobs/{id}/log?cursor={after}&limit=200"))
            .await
    }

    /// `POST /api/v1/jobs/{id}/cancel`.
    pub async fn cancel_job(&self, id: &str) -> Result<gmac_types::Job> {
        self.post_empty(&format!("/api/v1/jobs/{id}/cancel")).await
    }

    /// `POST /api/v1/jobs/{id}/retry`.
    pub async fn retry_job(&self, id: &str) -> Result<gmac_types::Job> {
        self.post_empty(&format!("/api/v1/jobs/{id}/retry")).await
    }

    /// `GET /api/v1/cost-imports`.
    pub async fn list_cost_imports(
        &self,
        client_id: Option<&str>,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::CostImport>> {
        #[derive(Serialize)]
        struct Query<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            client_id: Option<&'a str>,
        }
        self.get_page("/api/v1/cost-imports", &Query { client_id }, page)
            .await
    }

    /// `GET /api/v1/costs`.
    pub async fn costs(&self, query: &gmac_types::CostQuery) -> Result<gmac_types::CostReport> {
        self.get_query("/api/v1/costs", query).await
    }

    /// `GET /api/v1/costs/forecast`.
    pub async fn cost_forecast(
        &self,
        query: &gmac_types::ForecastQuery,
    ) -> Result<gmac_types::CostForecast> {
        self.get_query("/api/v1/costs/forecast", query).await
    }

    /// `GET /api/v1/costs/anomalies`.
    pub async fn cost_anomalies(
        &self,
        query: &gmac_types::AnomalyQuery,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::CostAnomaly>> {
        self.get_page("/api/v1/costs/anomalies", query, page).await
    }

    /// `POST /api/v1/costs/anomalies/feedback`.
    pub async fn give_anomaly_feedback(&self, input: &gmac_types::AnomalyFeedback) -> Result<()> {
        let response = self
            .request(reqwest::Method::POST, "/api/v1/costs/anomalies/feedback")
            .json(input)
            .send()
            .await;
        check(response.map_err(network)?).await.map(drop)
    }

    /// `POST /api/v1/cloud-accounts`.
    pub async fn create_cloud_account(
        &self,
        input: &gmac_types::NewCloudAccount,
    ) -> Result<gmac_types::CloudAccount> {
        self.post("/api/v1/cloud-accounts", input).await
    }

    /// `GET /api/v1/cloud-accounts`.
    pub async fn list_cloud_accounts(
        &self,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::CloudAccount>> {
        self.get_page("/api/v1/cloud-accounts", &NO_FILTER, page)
            .await
    }

    /// `POST /api/v1/git-connections`.
    pub async fn create_git_connection(
        &self,
        input: &gmac_types::NewGitConnection,
    ) -> Result<gmac_types::GitConnection> {
        self.post("/api/v1/git-connections", input).await
    }

    /// `GET /api/v1/git-connections`, optionally of one client (and the installation's).
    pub async fn list_git_connections(
        &self,
        client_id: Option<&str>,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::GitConnection>> {
        let filter: Vec<(&str, &str)> = client_id.map(|id| ("client_id", id)).into_iter().collect();
        self.get_page("/api/v1/git-connections", &filter, page)
            .await
    }

    /// `GET /api/v1/git-connections/{id}`.
    pub async fn get_git_connection(&self, id: &str) -> Result<gmac_types::GitConnection> {
        self.get(&format!("/api/v1/git-connections/{id}")).await
    }

    /// `DELETE /api/v1/git-connections/{id}`.
    pub async fn delete_git_connection(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/git-connections/{id}"), None)
            .await
    }

    /// `POST /api/v1/targets`: registered once the target answered.
    pub async fn create_target(&self, input: &gmac_types::NewTarget) -> Result<gmac_types::Target> {
        self.post("/api/v1/targets", input).await
    }

    /// `GET /api/v1/targets`.
    pub async fn list_targets(
        &self,
        query: &gmac_types::TargetQuery,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::Target>> {
        self.get_page("/api/v1/targets", query, page).await
    }

    /// `GET /api/v1/targets/{id}`.
    pub async fn get_target(&self, id: &str) -> Result<gmac_types::Target> {
        self.get(&format!("/api/v1/targets/{id}")).await
    }

    /// `PATCH /api/v1/targets/{id}`, against `version` when given (`If-Match`).
    pub async fn update_target(
        &self,
        id: &str,
        patch: &gmac_types::TargetPatch,
        version: Option<i64>,
    ) -> Result<gmac_types::Target> {
        self.patch(&format!("/api/v1/targets/{id}"), patch, version)
            .await
    }

    /// `POST /api/v1/targets/{id}/test`.
    pub async fn test_target(&self, id: &str) -> Result<gmac_types::Target> {
        self.post_empty(&format!("/api/v1/targets/{id}/test")).await
    }

    /// `DELETE /api/v1/targets/{id}`.
    pub async fn delete_target(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/targets/{id}"), None).await
    }

    /// `GET /api/v1/services/{id}/environments`: staging, then production.
    pub async fn list_environments(
        &self,
        service_id: &str,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::Environment>> {
        let none: [(&str, &str); 0] = [];
        self.get_page(
            &format!("/api/v1/services/{service_id}/environments"),
            &none,
            page,
        )
        .await
    }

    /// `GET /api/v1/environments/{id}`.
    pub async fn get_environment(&self, id: &str) -> Result<gmac_types::Environment> {
        self.get(&format!("/api/v1/environments/{id}")).await
    }

    /// `GET /api/v1/environments/{id}/instances`: the live release's instances and how each
    /// last exited.
    pub async fn environment_instances(
        &self,
        id: &str,
    ) -> Result<gmac_types::runtime::EnvironmentInstances> {
        self.get(&format!("/api/v1/environments/{id}/instances"))
            .await
    }

    /// `GET /api/v1/environments/{id}/logs?tail=` as text: the live release's last lines.
    pub async fn environment_log_text(&self, id: &str, tail: Option<u32>) -> Result<String> {
        let path = match tail {
            Some(tail) => format!("/api/v1/environments/{id}/logs?tail={tail}"),
            None => format!("/api/v1/environments/{id}/logs"),
        };
        let response = self
            .request(reqwest::Method::GET, &path)
            .header(reqwest::header::ACCEPT, "text/plain")
            .send()
            .await
            .map_err(network)?;
        check(response).await?.text().await.map_err(network)
    }

    /// `GET /api/v1/environments/{id}/logs?tail=` as server-sent events, opened: the live
    /// release's last lines, then each new one, until it stops.
    pub async fn follow_environment_log(&self, id: &str, tail: u32) -> Result<sse::EventStream> {
        let response = self
            .request(
                reqwest::Method::GET,
                &format!("/api/v1/environments/{id}/logs?tail={tail}"),
            )
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(network)?;
        Ok(sse::EventStream::new(check(response).await?))
    }

    /// `PATCH /api/v1/environments/{id}`: its target, deploy-on-push, or a pause.
    pub async fn update_environment(
        &self,
        id: &str,
        patch: &gmac_types::EnvironmentPatch,
        version: Option<i64>,
    ) -> Result<gmac_types::Environment> {
        self.patch(&format!("/api/v1/environments/{id}"), patch, version)
            .await
    }

    /// `POST /api/v1/services/{id}/previews`: the preview of a branch and the build deploying
    /// to it.
    pub async fn create_preview(
        &self,
        service_id: &str,
        input: &gmac_types::NewPreview,
    ) -> Result<gmac_types::PreviewStarted> {
        self.post(&format!("/api/v1/services/{service_id}/previews"), input)
            .await
    }

    /// `DELETE /api/v1/environments/{id}`: the job deleting a preview environment.
    pub async fn delete_environment(
        &self,
        id: &str,
        version: Option<i64>,
    ) -> Result<gmac_types::Job> {
        let mut request = self.request(
            reqwest::Method::DELETE,
            &format!("/api/v1/environments/{id}"),
        );
        if let Some(version) = version {
            request = request.header(reqwest::header::IF_MATCH, format!("\"{version}\""));
        }
        decode(check(request.send().await.map_err(network)?).await?).await
    }

    /// `POST /api/v1/environments/{id}/deploys`: the release, deploying, and its job.
    pub async fn deploy(
        &self,
        environment_id: &str,
        input: &gmac_types::NewDeploy,
    ) -> Result<gmac_types::DeployStarted> {
        self.post(
            &format!("/api/v1/environments/{environment_id}/deploys"),
            input,
        )
        .await
    }

    /// `POST /api/v1/environments/{id}/restart`: the job restarting its live release.
    pub async fn restart_environment(&self, environment_id: &str) -> Result<gmac_types::Job> {
        self.post(
            &format!("/api/v1/environments/{environment_id}/restart"),
            &serde_json::json!({}),
        )
        .await
    }

    /// `POST /api/v1/environments/{id}/scale`: the job applying its new replica count.
    pub async fn scale_environment(
        &self,
        environment_id: &str,
        input: &gmac_types::ScaleRequest,
    ) -> Result<gmac_types::Job> {
        self.post(
            &format!("/api/v1/environments/{environment_id}/scale"),
            input,
        )
        .await
    }

    /// `POST /api/v1/environments/{id}/rollback`: the release bringing one back, and its job.
    pub async fn rollback(
        &self,
        environment_id: &str,
        input: &gmac_types::NewRollback,
    ) -> Result<gmac_types::DeployStarted> {
        self.post(
            &format!("/api/v1/environments/{environment_id}/rollback"),
            input,
        )
        .await
    }

    /// `GET /api/v1/environments/{id}/releases`, newest first.
    pub async fn list_releases(
        &self,
        environment_id: &str,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::Release>> {
        let none: [(&str, &str); 0] = [];
        self.get_page(
            &format!("/api/v1/environments/{environment_id}/releases"),
            &none,
            page,
        )
        .await
    }

    /// `GET /api/v1/services/{id}/costs`: this month's, and each release's change.
    pub async fn service_costs(&self, service_id: &str) -> Result<gmac_types::ServiceCosts> {
        self.get(&format!("/api/v1/services/{service_id}/costs"))
            .await
    }

    /// `GET /api/v1/environments/{id}/domains`, by name.
    pub async fn list_domains(
        &self,
        environment_id: &str,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::Domain>> {
        let none: [(&str, &str); 0] = [];
        self.get_page(
            &format!("/api/v1/environments/{environment_id}/domains"),
            &none,
            page,
        )
        .await
    }

    /// `POST /api/v1/environments/{id}/domains`: the domain, checked once.
    pub async fn create_domain(
        &self,
        environment_id: &str,
        input: &gmac_types::NewDomain,
    ) -> Result<gmac_types::Domain> {
        self.post(
            &format!("/api/v1/environments/{environment_id}/domains"),
            input,
        )
        .await
    }

    /// `GET /api/v1/domains/{id}`.
    pub async fn get_domain(&self, id: &str) -> Result<gmac_types::Domain> {
        self.get(&format!("/api/v1/domains/{id}")).await
    }

    /// `POST /api/v1/domains/{id}/verify`: the domain as a fresh check left it.
    pub async fn verify_domain(&self, id: &str) -> Result<gmac_types::Domain> {
        self.post_empty(&format!("/api/v1/domains/{id}/verify"))
            .await
    }

    /// `DELETE /api/v1/domains/{id}`.
    pub async fn delete_domain(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/domains/{id}"), None).await
    }

    /// `GET /api/v1/environments/{id}/variables`: the newest version, or `version`.
    pub async fn get_variables(
        &self,
        environment_id: &str,
        version: Option<i64>,
    ) -> Result<gmac_types::variables::VariableSet> {
        self.get_query(
            &format!("/api/v1/environments/{environment_id}/variables"),
            &gmac_types::variables::VariablesQuery { version },
        )
        .await
    }

    /// `PUT /api/v1/environments/{id}/variables`: a new version; `version` is the newest one
    /// read (sent as `If-Match`).
    pub async fn set_variables(
        &self,
        environment_id: &str,
        variables: &std::collections::BTreeMap<String, String>,
        version: Option<i64>,
    ) -> Result<gmac_types::variables::VariableSet> {
        self.put(
            &format!("/api/v1/environments/{environment_id}/variables"),
            &gmac_types::variables::VariablesUpdate {
                variables: variables.clone(),
            },
            version,
        )
        .await
    }

    /// `GET /api/v1/environments/{id}/variables/diff?from=&to=`.
    pub async fn diff_variables(
        &self,
        environment_id: &str,
        from: i64,
        to: i64,
    ) -> Result<gmac_types::variables::VariablesDiff> {
        self.get_query(
            &format!("/api/v1/environments/{environment_id}/variables/diff"),
            &gmac_types::variables::VariablesDiffQuery { from, to },
        )
        .await
    }

    /// `POST /api/v1/environments/{id}/variables/rollback`: version `version` again, as a new
    /// version.
    pub async fn rollback_variables(
        &self,
        environment_id: &str,
        version: u32,
    ) -> Result<gmac_types::variables::VariableSet> {
        self.post(
            &format!("/api/v1/environments/{environment_id}/variables/rollback"),
            &gmac_types::variables::VariablesRollback { version },
        )
        .await
    }

    /// `GET /api/v1/{projects|services}/{id}/variables`: the variables a project or a service
    /// shares, the newest version or `version`.
    pub async fn get_shared_variables(
        &self,
        owner: SharedOwner<'_>,
        version: Option<i64>,
    ) -> Result<gmac_types::variables::SharedVariableSet> {
        self.get_query(
            &format!("{}/variables", owner.path()),
            &gmac_types::variables::VariablesQuery { version },
        )
        .await
    }

    /// `PUT /api/v1/{projects|services}/{id}/variables`: a new version of the shared
    /// variables; `version` is the newest one read (sent as `If-Match`).
    pub async fn set_shared_variables(
        &self,
        owner: SharedOwner<'_>,
        variables: &std::collections::BTreeMap<String, String>,
        version: Option<i64>,
    ) -> Result<gmac_types::variables::SharedVariableSet> {
        self.put(
            &format!("{}/variables", owner.path()),
            &gmac_types::variables::VariablesUpdate {
                variables: variables.clone(),
            },
            version,
        )
        .await
    }

    /// `GET /api/v1/{projects|services}/{id}/variables/diff?from=&to=`.
    pub async fn diff_shared_variables(
        &self,
        owner: SharedOwner<'_>,
        from: i64,
        to: i64,
    ) -> Result<gmac_types::variables::VariablesDiff> {
        self.get_query(
            &format!("{}/variables/diff", owner.path()),
            &gmac_types::variables::VariablesDiffQuery { from, to },
        )
        .await
    }

    /// `POST /api/v1/{projects|services}/{id}/variables/rollback`: version `version` again.
    pub async fn rollback_shared_variables(
        &self,
        owner: SharedOwner<'_>,
        version: u32,
    ) -> Result<gmac_types::variables::SharedVariableSet> {
        self.post(
            &format!("{}/variables/rollback", owner.path()),
            &gmac_types::variables::VariablesRollback { version },
        )
        .await
    }

    /// `GET /api/v1/projects/{id}/variable-groups`: a project's groups of variables.
    pub async fn list_variable_groups(
        &self,
        project_id: &str,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::variables::VariableGroup>> {
        let none: [(&str, &str); 0] = [];
        self.get_page(
            &format!("/api/v1/projects/{project_id}/variable-groups"),
            &none,
            page,
        )
        .await
    }

    /// `POST /api/v1/projects/{id}/variable-groups`: a new group.
    pub async fn create_variable_group(
        &self,
        project_id: &str,
        group: &gmac_types::variables::NewVariableGroup,
    ) -> Result<gmac_types::variables::VariableGroup> {
        self.post(
            &format!("/api/v1/projects/{project_id}/variable-groups"),
            group,
        )
        .await
    }

    /// `GET /api/v1/variable-groups/{id}`.
    pub async fn get_variable_group(
        &self,
        id: &str,
    ) -> Result<gmac_types::variables::VariableGroup> {
        self.get(&format!("/api/v1/variable-groups/{id}")).await
    }

    /// `DELETE /api/v1/variable-groups/{id}`.
    pub async fn delete_variable_group(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/variable-groups/{id}"), None)
            .await
    }

    /// `GET /api/v1/services/{id}/variable-groups`: the groups attached, in order.
    pub async fn service_variable_groups(
        &self,
        service_id: &str,
    ) -> Result<gmac_types::variables::AttachedGroups> {
        self.get(&format!("/api/v1/services/{service_id}/variable-groups"))
            .await
    }

    /// `PUT /api/v1/services/{id}/variable-groups`: attach exactly these groups, in order.
    pub async fn set_service_variable_groups(
        &self,
        service_id: &str,
        group_ids: &[String],
    ) -> Result<gmac_types::variables::AttachedGroups> {
        self.put(
            &format!("/api/v1/services/{service_id}/variable-groups"),
            &gmac_types::variables::ServiceVariableGroups {
                group_ids: group_ids.to_vec(),
            },
            None,
        )
        .await
    }

    /// `GET /api/v1/environments/{id}/secrets`: names and versions, never values.
    pub async fn list_secrets(
        &self,
        environment_id: &str,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::variables::SecretInfo>> {
        let none: [(&str, &str); 0] = [];
        self.get_page(
            &format!("/api/v1/environments/{environment_id}/secrets"),
            &none,
            page,
        )
        .await
    }

    /// `PUT /api/v1/environments/{id}/secrets/{name}`: a new version of the secret.
    pub async fn set_secret(
        &self,
        environment_id: &str,
        name: &str,
        value: &str,
    ) -> Result<gmac_types::variables::SecretInfo> {
        self.put(
            &format!(
                "/api/v1/environments/{environment_id}/secrets/{}",
                encode_segment(name)
            ),
            &gmac_types::variables::SecretWrite {
                value: value.into(),
            },
            None,
        )
        .await
    }

    /// `DELETE /api/v1/environments/{id}/secrets/{name}`.
    pub async fn delete_secret(&self, environment_id: &str, name: &str) -> Result<()> {
        self.delete(
            &format!(
                "/api/v1/environments/{environment_id}/secrets/{}",
                encode_segment(name)
            ),
            None,
        )
        .await
    }

    /// `GET /api/v1/services/{id}/secrets`: the secrets a service shares, names and versions.
    pub async fn list_service_secrets(
        &self,
        service_id: &str,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::variables::SecretInfo>> {
        let none: [(&str, &str); 0] = [];
        self.get_page(
            &format!("/api/v1/services/{service_id}/secrets"),
            &none,
            page,
        )
        .await
    }

    /// `PUT /api/v1/services/{id}/secrets/{name}`: a new version of a secret the service shares.
    pub async fn set_service_secret(
        &self,
        service_id: &str,
        name: &str,
        value: &str,
    ) -> Result<gmac_types::variables::SecretInfo> {
        self.put(
            &format!(
                "/api/v1/services/{service_id}/secrets/{}",
                encode_segment(name)
            ),
            &gmac_types::variables::SecretWrite {
                value: value.into(),
            },
            None,
        )
        .await
    }

    /// `DELETE /api/v1/services/{id}/secrets/{name}`.
    pub async fn delete_service_secret(&self, service_id: &str, name: &str) -> Result<()> {
        self.delete(
            &format!(
                "/api/v1/services/{service_id}/secrets/{}",
                encode_segment(name)
            ),
            None,
        )
        .await
    }

    /// `POST /api/v1/services/{id}/secrets/{name}/reveal` with a current code.
    pub async fn reveal_service_secret(
        &self,
        service_id: &str,
        name: &str,
        code: &str,
    ) -> Result<gmac_types::variables::RevealedSecret> {
        self.post(
            &format!(
                "/api/v1/services/{service_id}/secrets/{}/reveal",
                encode_segment(name)
            ),
            &gmac_types::variables::SecretReveal { code: code.into() },
        )
        .await
    }

    /// `GET /api/v1/projects/{id}/secrets`: the secrets a project shares, names and versions.
    pub async fn list_project_secrets(
        &self,
        project_id: &str,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::variables::SecretInfo>> {
        let none: [(&str, &str); 0] = [];
        self.get_page(
            &format!("/api/v1/projects/{project_id}/secrets"),
            &none,
            page,
        )
        .await
    }

    /// `PUT /api/v1/projects/{id}/secrets/{name}`: a new version of a secret the project shares.
    pub async fn set_project_secret(
        &self,
        project_id: &str,
        name: &str,
        value: &str,
    ) -> Result<gmac_types::variables::SecretInfo> {
        self.put(
            &format!(
                "/api/v1/projects/{project_id}/secrets/{}",
                encode_segment(name)
            ),
            &gmac_types::variables::SecretWrite {
                value: value.into(),
            },
            None,
        )
        .await
    }

    /// `DELETE /api/v1/projects/{id}/secrets/{name}`.
    pub async fn delete_project_secret(&self, project_id: &str, name: &str) -> Result<()> {
        self.delete(
            &format!(
                "/api/v1/projects/{project_id}/secrets/{}",
                encode_segment(name)
            ),
            None,
        )
        .await
    }

    /// `POST /api/v1/projects/{id}/secrets/{name}/reveal` with a current code.
    pub async fn reveal_project_secret(
        &self,
        project_id: &str,
        name: &str,
        code: &str,
    ) -> Result<gmac_types::variables::RevealedSecret> {
        self.post(
            &format!(
                "/api/v1/projects/{project_id}/secrets/{}/reveal",
                encode_segment(name)
            ),
            &gmac_types::variables::SecretReveal { code: code.into() },
        )
        .await
    }

    /// `POST /api/v1/environments/{id}/secrets/{name}/reveal` with a current code.
    pub async fn reveal_secret(
        &self,
        environment_id: &str,
        name: &str,
        code: &str,
    ) -> Result<gmac_types::variables::RevealedSecret> {
        self.post(
            &format!(
                "/api/v1/environments/{environment_id}/secrets/{}/reveal",
                encode_segment(name)
            ),
            &gmac_types::variables::SecretReveal { code: code.into() },
        )
        .await
    }

    /// `GET /api/v1/services` with the catalog's filters.
    pub async fn list_services(
        &self,
        query: &gmac_types::ServiceQuery,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::Service>> {
        self.get_page("/api/v1/services", query, page).await
    }

    /// `POST /api/v1/services`: the service and its creation job.
    pub async fn create_service(
        &self,
        input: &gmac_types::NewService,
    ) -> Result<gmac_types::CreatedService> {
        self.post("/api/v1/services", input).await
    }

    /// `GET /api/v1/services/{id}`.
    pub async fn get_service(&self, id: &str) -> Result<gmac_types::Service> {
        self.get(&format!("/api/v1/services/{id}")).await
    }

    /// `PATCH /api/v1/services/{id}`.
    pub async fn update_service(
        &self,
        id: &str,
        patch: &gmac_types::ServicePatch,
        version: Option<i64>,
    ) -> Result<gmac_types::Service> {
        self.patch(&format!("/api/v1/services/{id}"), patch, version)
            .await
    }

    /// `GET /api/v1/services/{id}/pushes`, newest first.
    pub async fn list_service_pushes(
        &self,
        id: &str,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::ServicePush>> {
        let none: [(&str, &str); 0] = [];
        self.get_page(&format!("/api/v1/services/{id}/pushes"), &none, page)
            .await
    }

    /// `POST /api/v1/services/{id}/builds`: the build, queued.
    pub async fn start_build(
        &self,
        service_id: &str,
        input: &gmac_types::NewBuild,
    ) -> Result<gmac_types::Build> {
        self.post(&format!("/api/v1/services/{service_id}/builds"), input)
            .await
    }

    /// `GET /api/v1/services/{id}/builds`, newest first.
    pub async fn list_builds(
        &self,
        service_id: &str,
        environment: Option<&str>,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::Build>> {
        let filters: Vec<(&str, &str)> = environment
            .map(|e| ("environment", e))
            .into_iter()
            .collect();
        self.get_page(
            &format!("/api/v1/services/{service_id}/builds"),
            &filters,
            page,
        )
        .await
    }

    /// `GET /api/v1/builds/{id}`.
    pub async fn get_build(&self, id: &str) -> Result<gmac_types::Build> {
        self.get(&format!("/api/v1/builds/{id}")).await
    }

    /// `GET /api/v1/builds/{id}/logs` as text: the log as it stands.
    pub async fn build_log_text(&self, id: &str) -> Result<String> {
        let response = self
            .request(reqwest::Method::GET, &format!("/api/v1/builds/{id}/logs"))
            .header(reqwest::header::ACCEPT, "text/plain")
            .send()
            .await
            .map_err(network)?;
        check(response).await?.text().await.map_err(network)
    }

    /// `GET /api/v1/builds/{id}/logs` as server-sent events, opened: the log followed live
    /// (`log`, `job` and a last `end` event), after line `last_event_id` when given.
    pub async fn follow_build_log(
        &self,
        id: &str,
        last_event_id: Option<i64>,
    ) -> Result<sse::EventStream> {
        let mut request = self
            .request(reqwest::Method::GET, &format!("/api/v1/builds/{id}/logs"))
            .header(reqwest::header::ACCEPT, "text/event-stream");
        if let Some(after) = last_event_id {
            request = request.header("Last-Event-ID", after.to_string());
        }
        let response = request.send().await.map_err(network)?;
        Ok(sse::EventStream::new(check(response).await?))
    }

    /// `POST /api/v1/builds/{id}/retry`.
    pub async fn retry_build(&self, id: &str) -> Result<gmac_types::Build> {
        self.post_empty(&format!("/api/v1/builds/{id}/retry")).await
    }

    /// `POST /api/v1/builds/{id}/cancel`.
    pub async fn cancel_build(&self, id: &str) -> Result<gmac_types::Build> {
        self.post_empty(&format!("/api/v1/builds/{id}/cancel"))
            .await
    }

    /// `GET /api/v1/services/{id}/build-stats?days=`.
    pub async fn build_stats(&self, service_id: &str, days: u32) -> Result<gmac_types::BuildStats> {
        self.get(&format!(
            "/api/v1/services/{service_id}/build-stats?days={days}"
        ))
        .await
    }

    /// `DELETE /api/v1/services/{id}`: the job removing it.
    pub async fn delete_service(
        &self,
        id: &str,
        delete_repository: bool,
        version: Option<i64>,
    ) -> Result<gmac_types::Job> {
        let mut request = self
            .request(reqwest::Method::DELETE, &format!("/api/v1/services/{id}"))
            .query(&[("delete_repository", delete_repository)]);
        if let Some(version) = version {
            request = request.header(reqwest::header::IF_MATCH, format!("\"{version}\""));
        }
        decode(check(request.send().await.map_err(network)?).await?).await
    }

    /// `POST /api/v1/cloud-accounts/{id}/test`.
    pub async fn test_cloud_account(&self, id: &str) -> Result<gmac_types::ConnectionTest> {
        self.post_empty(&format!("/api/v1/cloud-accounts/{id}/test"))
            .await
    }

    /// `POST /api/v1/cloud-accounts/{id}/syncs`.
    pub async fn start_cost_sync(&self, id: &str) -> Result<gmac_types::CostSync> {
        self.post_empty(&format!("/api/v1/cloud-accounts/{id}/syncs"))
            .await
    }

    /// `GET /api/v1/cloud-accounts/{id}/syncs`.
    pub async fn list_cost_syncs(
        &self,
        id: &str,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::CostSync>> {
        self.get_page(
            &format!("/api/v1/cloud-accounts/{id}/syncs"),
            &NO_FILTER,
            page,
        )
        .await
    }

    /// `GET /api/v1/invoices`.
    pub async fn invoice(&self, query: &gmac_types::InvoiceQuery) -> Result<gmac_types::Invoice> {
        self.get_query("/api/v1/invoices", query).await
    }

    /// `POST /api/v1/invoices`: issues the invoice (or returns the one issued with these
    /// figures).
    pub async fn issue_invoice(
        &self,
        input: &gmac_types::IssueInvoice,
    ) -> Result<gmac_types::Invoice> {
        self.post("/api/v1/invoices", input).await
    }

    /// `GET /api/v1/invoices/{number}`.
    pub async fn issued_invoice(&self, number: &str) -> Result<gmac_types::Invoice> {
        self.get(&format!("/api/v1/invoices/{number}")).await
    }

    /// `GET /api/v1/costs/people`.
    pub async fn cost_people(&self) -> Result<gmac_types::CostPeople> {
        self.get("/api/v1/costs/people").await
    }

    /// `GET /api/v1/reports/monthly` (JSON).
    pub async fn monthly_report(
        &self,
        query: &gmac_types::MonthlyReportQuery,
    ) -> Result<gmac_types::MonthlyReport> {
        self.get_query("/api/v1/reports/monthly", query).await
    }

    /// `POST /api/v1/report-schedules`.
    pub async fn create_report_schedule(
        &self,
        input: &gmac_types::NewReportSchedule,
    ) -> Result<gmac_types::ReportSchedule> {
        self.post("/api/v1/report-schedules", input).await
    }

    /// `GET /api/v1/report-schedules`.
    pub async fn list_report_schedules(
        &self,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::ReportSchedule>> {
        self.get_page("/api/v1/report-schedules", &NO_FILTER, page)
            .await
    }

    /// `POST /api/v1/report-schedules/{id}/send`.
    pub async fn send_report(
        &self,
        id: &str,
        period: Option<&str>,
    ) -> Result<gmac_types::ReportDelivery> {
        let response = self.send_report_request(id, period).send().await;
        decode(check(response.map_err(network)?).await?).await
    }

    /// `POST /api/v1/report-schedules/{id}/send` with `Prefer: respond-async`: a job sends the
    /// report, which this answers (202); its result is the delivery.
    pub async fn send_report_async(
        &self,
        id: &str,
        period: Option<&str>,
    ) -> Result<gmac_types::Job> {
        let response = self
            .send_report_request(id, period)
            .header("Prefer", "respond-async")
            .send()
            .await;
        decode(check(response.map_err(network)?).await?).await
    }

    fn send_report_request(&self, id: &str, period: Option<&str>) -> reqwest::RequestBuilder {
        self.request(
            reqwest::Method::POST,
            &format!("/api/v1/report-schedules/{id}/send"),
        )
        .query(&gmac_types::SendReportQuery {
            period: period.map(str::to_owned),
        })
    }

    /// `DELETE /api/v1/report-schedules/{id}`.
    pub async fn delete_report_schedule(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/report-schedules/{id}"), None)
            .await
    }

    /// `POST /api/v1/budgets`.
    pub async fn create_budget(&self, input: &gmac_types::NewBudget) -> Result<gmac_types::Budget> {
        self.post("/api/v1/budgets", input).await
    }

    /// `GET /api/v1/budgets`.
    pub async fn list_budgets(&self, page: &PageQuery) -> Result<Page<gmac_types::Budget>> {
        self.get_page("/api/v1/budgets", &NO_FILTER, page).await
    }

    /// `GET /api/v1/budgets/{id}/status`.
    pub async fn budget_status(&self, id: &str) -> Result<gmac_types::BudgetStatus> {
        self.get(&format!("/api/v1/budgets/{id}/status")).await
    }

    /// `DELETE /api/v1/budgets/{id}`.
    pub async fn delete_budget(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/budgets/{id}"), None).await
    }

    /// `POST /api/v1/cost-views`.
    pub async fn create_cost_view(
        &self,
        input: &gmac_types::NewSavedView,
    ) -> Result<gmac_types::SavedView> {
        self.post("/api/v1/cost-views", input).await
    }

    /// `GET /api/v1/cost-views`.
    pub async fn list_cost_views(&self, page: &PageQuery) -> Result<Page<gmac_types::SavedView>> {
        self.get_page("/api/v1/cost-views", &NO_FILTER, page).await
    }

    /// `DELETE /api/v1/cost-views/{id}`.
    pub async fn delete_cost_view(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/cost-views/{id}"), None).await
    }

    /// `GET /api/v1/budget-alerts`.
    pub async fn list_budget_alerts(
        &self,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::BudgetAlert>> {
        self.get_page("/api/v1/budget-alerts", &NO_FILTER, page)
            .await
    }

    /// `PATCH /api/v1/report-schedules/{id}`, with the version last read as `If-Match`.
    pub async fn update_report_schedule(
        &self,
        id: &str,
        patch: &gmac_types::ReportSchedulePatch,
        version: Option<i64>,
    ) -> Result<gmac_types::ReportSchedule> {
        self.patch(&format!("/api/v1/report-schedules/{id}"), patch, version)
            .await
    }

    /// `PATCH /api/v1/cloud-accounts/{id}`, with the version last read as `If-Match`.
    pub async fn update_cloud_account(
        &self,
        id: &str,
        patch: &gmac_types::CloudAccountPatch,
        version: Option<i64>,
    ) -> Result<gmac_types::CloudAccount> {
        self.patch(&format!("/api/v1/cloud-accounts/{id}"), patch, version)
            .await
    }

    /// `DELETE /api/v1/cost-imports/{id}`: answers the job that deletes it.
    pub async fn delete_cost_import(&self, id: &str) -> Result<gmac_types::Job> {
        let response = self
            .request(
                reqwest::Method::DELETE,
                &format!("/api/v1/cost-imports/{id}"),
            )
            .send()
            .await
            .map_err(network)?;
        decode(check(response).await?).await
    }

    /// `PUT /api/v1/allocation-rules/{id}`, with the version last read as `If-Match`.
    pub async fn update_allocation_rule(
        &self,
        id: &str,
        change: &gmac_types::AllocationRuleChange,
        version: Option<i64>,
    ) -> Result<gmac_types::AllocationRule> {
        self.put(&format!("/api/v1/allocation-rules/{id}"), change, version)
            .await
    }

    /// `POST /api/v1/allocation-rules`.
    pub async fn create_allocation_rule(
        &self,
        input: &gmac_types::NewAllocationRule,
    ) -> Result<gmac_types::AllocationRule> {
        self.post("/api/v1/allocation-rules", input).await
    }

    /// `GET /api/v1/allocation-rules`.
    pub async fn list_allocation_rules(
        &self,
        client_id: Option<&str>,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::AllocationRule>> {
        #[derive(Serialize)]
        struct Query<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            client_id: Option<&'a str>,
        }
        self.get_page("/api/v1/allocation-rules", &Query { client_id }, page)
            .await
    }

    /// `DELETE /api/v1/allocation-rules/{id}`.
    pub async fn delete_allocation_rule(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/allocation-rules/{id}"), None)
            .await
    }

    /// `POST /api/v1/resource-assignments`.
    pub async fn assign_resource(
        &self,
        input: &gmac_types::NewResourceAssignment,
    ) -> Result<gmac_types::ResourceAssignment> {
        self.post("/api/v1/resource-assignments", input).await
    }

    /// `GET /api/v1/resource-assignments?client_id=`.
    pub async fn list_resource_assignments(
        &self,
        client_id: &str,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::ResourceAssignment>> {
        self.get_page(
            "/api/v1/resource-assignments",
            &[("client_id", client_id)],
            page,
        )
        .await
    }

    /// `DELETE /api/v1/resource-assignments/{id}`.
    pub async fn delete_resource_assignment(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/resource-assignments/{id}"), None)
            .await
    }

    /// `POST /api/v1/clients`.
    pub async fn create_client(&self, input: &NewClient) -> Result<ClientDto> {
        self.post("/api/v1/clients", input).await
    }

    /// `GET /api/v1/clients/{id}`.
    pub async fn get_client(&self, id: &str) -> Result<ClientDto> {
        self.get(&format!("/api/v1/clients/{id}")).await
    }

    /// `PATCH /api/v1/clients/{id}`, with `If-Match` when `version` is given.
    pub async fn update_client(
        &self,
        id: &str,
        patch: &ClientPatch,
        version: Option<i64>,
    ) -> Result<ClientDto> {
        self.patch(&format!("/api/v1/clients/{id}"), patch, version)
            .await
    }

    /// `DELETE /api/v1/clients/{id}`.
    pub async fn delete_client(&self, id: &str, version: Option<i64>) -> Result<()> {
        self.delete(&format!("/api/v1/clients/{id}"), version).await
    }

    /// `GET /api/v1/projects`.
    pub async fn list_projects(&self, query: &ProjectListQuery) -> Result<Page<Project>> {
        self.get_query("/api/v1/projects", query).await
    }

    /// `POST /api/v1/projects`.
    pub async fn create_project(&self, input: &NewProject) -> Result<Project> {
        self.post("/api/v1/projects", input).await
    }

    /// `GET /api/v1/projects/{id}`.
    pub async fn get_project(&self, id: &str) -> Result<Project> {
        self.get(&format!("/api/v1/projects/{id}")).await
    }

    /// `PATCH /api/v1/projects/{id}`, with `If-Match` when `version` is given.
    pub async fn update_project(
        &self,
        id: &str,
        patch: &ProjectPatch,
        version: Option<i64>,
    ) -> Result<Project> {
        self.patch(&format!("/api/v1/projects/{id}"), patch, version)
            .await
    }

    /// `DELETE /api/v1/projects/{id}`.
    pub async fn delete_project(&self, id: &str, version: Option<i64>) -> Result<()> {
        self.delete(&format!("/api/v1/projects/{id}"), version)
            .await
    }

    /// `GET /api/v1/permissions`.
    pub async fn list_permissions(&self) -> Result<Vec<PermissionInfo>> {
        self.get("/api/v1/permissions").await
    }

    /// `GET /api/v1/templates`.
    pub async fn list_templates(&self) -> Result<Vec<gmac_types::Template>> {
        self.get("/api/v1/templates").await
    }

    /// `GET /api/v1/template-sources`, a page.
    pub async fn list_template_sources(
        &self,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::TemplateSource>> {
        self.get_page("/api/v1/template-sources", &[] as &[(&str, &str)], page)
            .await
    }

    /// `POST /api/v1/template-sources`: the source, its first sync queued.
    pub async fn create_template_source(
        &self,
        input: &gmac_types::NewTemplateSource,
    ) -> Result<gmac_types::TemplateSource> {
        self.post("/api/v1/template-sources", input).await
    }

    /// `GET /api/v1/template-sources/{id}`.
    pub async fn get_template_source(&self, id: &str) -> Result<gmac_types::TemplateSource> {
        self.get(&format!("/api/v1/template-sources/{id}")).await
    }

    /// `POST /api/v1/template-sources/{id}/sync`.
    pub async fn sync_template_source(&self, id: &str) -> Result<gmac_types::TemplateSource> {
        self.post_empty(&format!("/api/v1/template-sources/{id}/sync"))
            .await
    }

    /// `DELETE /api/v1/template-sources/{id}`.
    pub async fn delete_template_source(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/template-sources/{id}"), None)
            .await
    }

    /// `GET /api/v1/roles`.
    pub async fn list_roles(&self) -> Result<Vec<Role>> {
        self.get("/api/v1/roles").await
    }

    /// `GET /api/v1/role-bindings`.
    pub async fn list_role_bindings(
        &self,
        query: &RoleBindingQuery,
        page: &PageQuery,
    ) -> Result<Page<RoleBinding>> {
        self.get_page("/api/v1/role-bindings", query, page).await
    }

    /// `POST /api/v1/role-bindings`.
    pub async fn create_role_binding(&self, input: &NewRoleBinding) -> Result<RoleBinding> {
        self.post("/api/v1/role-bindings", input).await
    }

    /// `DELETE /api/v1/role-bindings/{id}`.
    pub async fn delete_role_binding(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/role-bindings/{id}"), None)
            .await
    }

    /// `GET /api/v1/users`.
    pub async fn list_users(&self, query: &ListQuery) -> Result<Page<UserDetail>> {
        self.get_query("/api/v1/users", query).await
    }

    /// `POST /api/v1/users`.
    pub async fn create_user(&self, input: &NewUser) -> Result<UserDetail> {
        self.post("/api/v1/users", input).await
    }

    /// `GET /api/v1/users/{id}`.
    pub async fn get_user(&self, id: &str) -> Result<UserDetail> {
        self.get(&format!("/api/v1/users/{id}")).await
    }

    /// `PATCH /api/v1/users/{id}`.
    pub async fn update_user(&self, id: &str, patch: &UserPatch) -> Result<UserDetail> {
        self.patch(&format!("/api/v1/users/{id}"), patch, None)
            .await
    }

    /// `GET /api/v1/tokens`.
    pub async fn list_tokens(&self, page: &PageQuery) -> Result<Page<ApiToken>> {
        self.get_page("/api/v1/tokens", &NO_FILTER, page).await
    }

    /// `POST /api/v1/tokens`.
    pub async fn create_token(&self, input: &NewApiToken) -> Result<CreatedApiToken> {
        self.post("/api/v1/tokens", input).await
    }

    /// `DELETE /api/v1/tokens/{id}`.
    pub async fn revoke_token(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/tokens/{id}"), None).await
    }

    /// `POST /api/v1/tokens/{id}/rotate`.
    pub async fn rotate_token(&self, id: &str) -> Result<CreatedApiToken> {
        self.post_empty(&format!("/api/v1/tokens/{id}/rotate"))
            .await
    }

    /// `GET /api/v1/me/profile`.
    pub async fn get_profile(&self) -> Result<gmac_types::Profile> {
        self.get("/api/v1/me/profile").await
    }

    /// `PATCH /api/v1/me/profile`.
    pub async fn update_profile(
        &self,
        patch: &gmac_types::ProfilePatch,
    ) -> Result<gmac_types::Profile> {
        self.patch("/api/v1/me/profile", patch, None).await
    }

    /// `PUT /api/v1/me/avatar` with a PNG, JPEG or WebP image of at most 512 KiB.
    pub async fn upload_avatar(
        &self,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<gmac_types::Profile> {
        let request = self
            .request(reqwest::Method::PUT, "/api/v1/me/avatar")
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes);
        decode(check(request.send().await.map_err(network)?).await?).await
    }

    /// `DELETE /api/v1/me/avatar`.
    pub async fn delete_avatar(&self) -> Result<()> {
        self.delete("/api/v1/me/avatar", None).await
    }

    /// `GET /api/v1/users/{id}/avatar`: the image bytes and their media type.
    pub async fn get_avatar(&self, user_id: &str) -> Result<(Vec<u8>, String)> {
        let response = self
            .request(
                reqwest::Method::GET,
                &format!("/api/v1/users/{user_id}/avatar"),
            )
            .send()
            .await
            .map_err(network)?;
        let response = check(response).await?;
        let media_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = response.bytes().await.map_err(network)?;
        Ok((bytes.to_vec(), media_type))
    }

    /// `POST /api/v1/me/password`.
    pub async fn change_password(
        &self,
        change: &gmac_types::PasswordChange,
    ) -> Result<gmac_types::SessionsEnded> {
        self.post("/api/v1/me/password", change).await
    }

    /// `GET /api/v1/invitations`.
    pub async fn list_invitations(&self, page: &PageQuery) -> Result<Page<gmac_types::Invitation>> {
        self.get_page("/api/v1/invitations", &NO_FILTER, page).await
    }

    /// `POST /api/v1/invitations`.
    pub async fn create_invitation(
        &self,
        input: &gmac_types::NewInvitation,
    ) -> Result<gmac_types::CreatedInvitation> {
        self.post("/api/v1/invitations", input).await
    }

    /// `DELETE /api/v1/invitations/{id}`.
    pub async fn revoke_invitation(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/invitations/{id}"), None)
            .await
    }

    /// `POST /api/v1/invitations/{id}/renew`.
    pub async fn renew_invitation(&self, id: &str) -> Result<gmac_types::CreatedInvitation> {
        self.post_empty(&format!("/api/v1/invitations/{id}/renew"))
            .await
    }

    /// `POST /api/v1/invitations/lookup` (no sign-in needed: the token is the credential).
    pub async fn preview_invitation(&self, token: &str) -> Result<gmac_types::InvitationPreview> {
        self.post(
            "/api/v1/invitations/lookup",
            &gmac_types::InvitationToken {
                token: token.into(),
            },
        )
        .await
    }

    /// `POST /api/v1/invitations/accept`.
    pub async fn accept_invitation(&self, input: &gmac_types::AcceptInvitation) -> Result<User> {
        self.post("/api/v1/invitations/accept", input).await
    }

    /// `GET /api/v1/me/sessions`.
    pub async fn list_sessions(&self, page: &PageQuery) -> Result<Page<gmac_types::SessionInfo>> {
        self.get_page("/api/v1/me/sessions", &NO_FILTER, page).await
    }

    /// `DELETE /api/v1/me/sessions/{id}`.
    pub async fn end_session(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/me/sessions/{id}"), None)
            .await
    }

    /// `POST /api/v1/me/sessions/end-others`.
    pub async fn end_other_sessions(&self) -> Result<gmac_types::SessionsEnded> {
        self.post_empty("/api/v1/me/sessions/end-others").await
    }

    /// `GET /api/v1/teams`.
    pub async fn list_teams(&self, query: &ListQuery) -> Result<Page<gmac_types::Team>> {
        self.get_query("/api/v1/teams", query).await
    }

    /// `GET /api/v1/users/{id}/teams`.
    pub async fn list_user_teams(
        &self,
        user_id: &str,
        query: &ListQuery,
    ) -> Result<Page<gmac_types::UserTeam>> {
        self.get_query(&format!("/api/v1/users/{user_id}/teams"), query)
            .await
    }

    /// `POST /api/v1/teams`.
    pub async fn create_team(&self, input: &gmac_types::NewTeam) -> Result<gmac_types::Team> {
        self.post("/api/v1/teams", input).await
    }

    /// `GET /api/v1/teams/{id}`.
    pub async fn get_team(&self, id: &str) -> Result<gmac_types::Team> {
        self.get(&format!("/api/v1/teams/{id}")).await
    }

    /// `PATCH /api/v1/budgets/{id}`.
    pub async fn update_budget(
        &self,
        id: &str,
        patch: &gmac_types::BudgetPatch,
        version: Option<i64>,
    ) -> Result<gmac_types::Budget> {
        self.patch(&format!("/api/v1/budgets/{id}"), patch, version)
            .await
    }

    /// `PATCH /api/v1/teams/{id}`.
    pub async fn update_team(
        &self,
        id: &str,
        patch: &gmac_types::TeamPatch,
        version: Option<i64>,
    ) -> Result<gmac_types::Team> {
        self.patch(&format!("/api/v1/teams/{id}"), patch, version)
            .await
    }

    /// `DELETE /api/v1/teams/{id}`.
    pub async fn delete_team(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/teams/{id}"), None).await
    }

    /// `GET /api/v1/teams/{id}/members`.
    pub async fn list_team_members(
        &self,
        id: &str,
        page: &PageQuery,
    ) -> Result<Page<gmac_types::TeamMember>> {
        self.get_page(&format!("/api/v1/teams/{id}/members"), &NO_FILTER, page)
            .await
    }

    /// `POST /api/v1/teams/{id}/members`.
    pub async fn add_team_member(
        &self,
        id: &str,
        input: &gmac_types::NewTeamMember,
    ) -> Result<gmac_types::TeamMember> {
        self.post(&format!("/api/v1/teams/{id}/members"), input)
            .await
    }

    /// `DELETE /api/v1/teams/{id}/members/{user_id}`.
    pub async fn remove_team_member(&self, id: &str, user_id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/teams/{id}/members/{user_id}"), None)
            .await
    }

    /// `POST /api/v1/roles`.
    pub async fn create_role(&self, input: &gmac_types::NewRole) -> Result<Role> {
        self.post("/api/v1/roles", input).await
    }

    /// `PATCH /api/v1/roles/{id}`.
    pub async fn update_role(
        &self,
        id: &str,
        patch: &gmac_types::RolePatch,
        version: Option<i64>,
    ) -> Result<Role> {
        self.patch(&format!("/api/v1/roles/{id}"), patch, version)
            .await
    }

    /// `DELETE /api/v1/roles/{id}`.
    pub async fn delete_role(&self, id: &str) -> Result<()> {
        self.delete(&format!("/api/v1/roles/{id}"), None).await
    }

    /// `PUT /api/v1/roles/{id}/policy`.
    pub async fn set_role_policy(
        &self,
        id: &str,
        policy: &gmac_types::RolePolicy,
    ) -> Result<gmac_types::RolePolicy> {
        let request = self
            .request(reqwest::Method::PUT, &format!("/api/v1/roles/{id}/policy"))
            .json(policy);
        decode(check(request.send().await.map_err(network)?).await?).await
    }

    /// `GET /api/v1/audit`.
    pub async fn list_audit_events(&self, query: &AuditQuery) -> Result<Page<AuditEvent>> {
        self.get_query("/api/v1/audit", query).await
    }

    /// `GET /api/v1/audit/verify`.
    pub async fn verify_audit_log(&self) -> Result<AuditVerification> {
        self.get("/api/v1/audit/verify").await
    }

    /// `GET` one page of a list, with the list's own filter (`&NO_FILTER` when it has none).
    pub async fn get_page<Q: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        filter: &Q,
        page: &PageQuery,
    ) -> Result<Page<T>> {
        let response = self
            .request(reqwest::Method::GET, path)
            .query(filter)
            .query(page)
            .send()
            .await
            .map_err(network)?;
        decode(check(response).await?).await
    }

    /// Every item of a paged list, following `next_cursor` with pages of 200. For lists that
    /// stay small (your tokens, a team's members); large ones are read a page at a time.
    pub async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>>
    where
        F: FnMut(PageQuery) -> Fut,
        Fut: std::future::Future<Output = Result<Page<T>>>,
    {
        let mut items = Vec::new();
        let mut cursor = None;
        loop {
            let page = fetch(PageQuery::after(PageQuery::MAX, cursor)).await?;
            items.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(items),
            }
        }
    }

    /// `GET` any API path with query parameters, decoding the JSON answer.
    pub async fn get_query<Q: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        query: &Q,
    ) -> Result<T> {
        let response = self
            .request(reqwest::Method::GET, path)
            .query(query)
            .send()
            .await
            .map_err(network)?;
        decode(check(response).await?).await
    }

    /// `PATCH` a JSON body, with `If-Match` when `version` is given.
    pub async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        version: Option<i64>,
    ) -> Result<T> {
        let mut request = self.request(reqwest::Method::PATCH, path).json(body);
        if let Some(version) = version {
            request = request.header(reqwest::header::IF_MATCH, format!("\"{version}\""));
        }
        decode(check(request.send().await.map_err(network)?).await?).await
    }

    /// `PUT` with a JSON body, and `If-Match` when `version` is given.
    pub async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        version: Option<i64>,
    ) -> Result<T> {
        let mut request = self.request(reqwest::Method::PUT, path).json(body);
        if let Some(version) = version {
            request = request.header(reqwest::header::IF_MATCH, format!("\"{version}\""));
        }
        decode(check(request.send().await.map_err(network)?).await?).await
    }

    /// `DELETE`, with `If-Match` when `version` is given.
    pub async fn delete(&self, path: &str, version: Option<i64>) -> Result<()> {
        let mut request = self.request(reqwest::Method::DELETE, path);
        if let Some(version) = version {
            request = request.header(reqwest::header::IF_MATCH, format!("\"{version}\""));
        }
        check(request.send().await.map_err(network)?)
            .await
            .map(drop)
    }

    /// `GET` any API path, decoding the JSON answer.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let response = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .map_err(network)?;
        decode(check(response).await?).await
    }

    /// `POST` a JSON body to any API path, decoding the JSON answer.
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let response = self
            .request(reqwest::Method::POST, path)
            .json(body)
            .send()
            .await
            .map_err(network)?;
        decode(check(response).await?).await
    }

    async fn post_empty<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let response = self
            .request(reqwest::Method::POST, path)
            .send()
            .await
            .map_err(network)?;
        decode(check(response).await?).await
    }

    /// A request builder with the base URL and bearer token applied, for calls this client
    /// does not wrap.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn build_http() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(concat!("gmac-client/", env!("CARGO_PKG_VERSION")))
        // gmac (actix-web) closes a keep-alive connection idle for 5 s: one reused just as it
        // closes fails ("connection closed before message completed"), so the pool lets go
        // of idle connections first.
        .pool_idle_timeout(std::time::Duration::from_secs(4))
        .build()
        .map_err(network)
}

#[cfg(target_arch = "wasm32")]
fn build_http() -> Result<reqwest::Client> {
    reqwest::Client::builder().build().map_err(network)
}

#[expect(clippy::needless_pass_by_value, reason = "used as a map_err callback")]
fn network(err: reqwest::Error) -> ApiError {
    // reqwest's own text stops at "error sending request"; the causes below it say whether the
    // connection was refused, reset or timed out.
    let mut text = err.to_string();
    let mut cause = std::error::Error::source(&err);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    ApiError::Network(text)
}

/// Turns a non-success answer into an [`ApiError`].
pub async fn check(response: reqwest::Response) -> Result<reqwest::Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let is_problem = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(gmac_types::PROBLEM_JSON));
    if is_problem {
        let bytes = response.bytes().await.map_err(network)?;
        if let Ok(problem) = serde_json::from_slice::<ProblemDetails>(&bytes) {
            return Err(ApiError::Problem(Box::new(problem)));
        }
    }
    Err(ApiError::Http {
        status: status.as_u16(),
    })
}

async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<T> {
    let bytes = response.bytes().await.map_err(network)?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::Decode(e.to_string()))
}

/// `segment` made safe for one path segment: every byte but letters, digits, `-`, `_` and `.`
/// percent-encoded.
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.') {
            out.push(char::from(byte));
        } else {
            let _ = std::fmt::Write::write_fmt(&mut out, format_args!("%{byte:02X}"));
        }
    }
    out
}
