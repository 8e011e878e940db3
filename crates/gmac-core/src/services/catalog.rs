//! The service catalog (issue 11, point 1): services of a project, made from a template, each
//! with its repository on a git connection, its environments and its push webhook.
//!
//! Creating a service writes its row (`creating`) and enqueues the job that makes the rest
//! ([`crate::services::service_setup`]); deleting one enqueues the job that removes what gmac
//! made for it. Both are audited with the row's change, in its transaction.

use std::collections::BTreeMap;

use gmac_types::validation::{FieldErrors, parse_description};
use gmac_types::{
    CreatedService, ErrorCode, FieldError, GitProvider, NewService, Page, PageQuery, Permission,
    Service, ServiceEnvironment, ServicePatch, ServiceQuery, ServiceRepository, ServiceStatus,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter,
};

use crate::access::{Target, Visible};
use crate::audit::AuditEntry;
use crate::entities::{git_connection, job, service, team};
use crate::platform::change::Change;
use crate::platform::jobs::{self, NewJob};
use crate::platform::paging;
use crate::services::{build_settings, projects};
use crate::{Actor, Core, Error, RequestMeta, Result, db};

/// The environments a service starts with, and the branch each builds.
pub const DEFAULT_ENVIRONMENTS: [(&str, &str); 2] =
    [("staging", "staging"), ("production", "main")];

/// The branch the first commit goes to: production's.
pub fn main_branch(environments: &[ServiceEnvironment]) -> String {
    environments
        .iter()
        .find(|e| e.name == "production")
        .or_else(|| environments.first())
        .map_or_else(|| "main".to_owned(), |e| e.branch.clone())
}

/// The labels everything gmac makes for a service carries.
pub fn labels(row: &service::Model, environment: Option<&str>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        ("gmac.io/service".to_owned(), row.id.clone()),
        ("gmac.io/project".to_owned(), row.project_id.clone()),
        ("gmac.io/client".to_owned(), row.client_id.clone()),
    ]);
    if let Some(environment) = environment {
        labels.insert("gmac.io/environment".to_owned(), environment.to_owned());
    }
    labels
}

/// Adds the `project` label, the project's name: the tag the cost views read a project's costs
/// by (nothing when the project is gone).
pub(crate) async fn add_project_label(
    conn: &impl sea_orm::ConnectionTrait,
    project_id: &str,
    labels: &mut BTreeMap<String, String>,
) {
    if let Ok(Some(project)) = crate::entities::project::Entity::find_by_id(project_id)
        .one(conn)
        .await
    {
        labels.insert("project".to_owned(), project.name);
    }
}

/// The stored environments.
pub fn environments(row: &service::Model) -> Vec<ServiceEnvironment> {
    serde_json::from_str(&row.environments).unwrap_or_default()
}

/// The stored parameters.
pub fn parameters(row: &service::Model) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_str(&row.parameters).unwrap_or_default()
}

/// The wire form; `provider` is the kind of host of the row's git connection.
pub fn to_dto(row: service::Model, provider: GitProvider) -> Service {
    Service {
        status: ServiceStatus::from_id(&row.status).unwrap_or(ServiceStatus::Failed),
        labels: labels(&row, None),
        environments: environments(&row),
        parameters: parameters(&row),
        build: build_settings::settings(&row),
        previews: previews_of(&row),
        notifications: crate::services::notices::rules_of(&row),
        repository: ServiceRepository {
            connection_id: row.git_connection_id.clone(),
            provider,
            owner: row.repo_owner.clone(),
            name: row.repo_name.clone(),
            clone_url: row.clone_url.clone(),
            html_url: row.html_url.clone(),
            created_by_gmac: row.repo_created,
            first_commit: row.first_commit.clone(),
            webhook_registered: row.webhook_id.is_some(),
        },
        id: row.id,
        client_id: row.client_id,
        project_id: row.project_id,
        name: row.name,
        description: row.description,
        template: row.template,
        owner_team_id: row.owner_team_id,
        status_detail: row.status_detail,
        creation_job_id: row.creation_job_id,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    }
}

/// The wire forms of `rows`, each with its connection's provider.
async fn to_dtos(core: &Core, rows: Vec<service::Model>) -> Result<Vec<Service>> {
    let ids: Vec<String> = rows.iter().map(|r| r.git_connection_id.clone()).collect();
    let providers: BTreeMap<String, GitProvider> = git_connection::Entity::find()
        .filter(git_connection::Column::Id.is_in(ids))
        .all(&core.db)
        .await?
        .into_iter()
        .map(|c| {
            let provider = GitProvider::from_id(&c.provider).unwrap_or(GitProvider::Git);
            (c.id, provider)
        })
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let provider = providers
                .get(&row.git_connection_id)
                .copied()
                .unwrap_or(GitProvider::Git);
            to_dto(row, provider)
        })
        .collect())
}

/// Where a service lives, for permissions.
pub fn target_of(row: &service::Model) -> Target {
    Target::Project {
        id: row.project_id.clone(),
        client_id: row.client_id.clone(),
    }
}

fn summary(row: &service::Model) -> serde_json::Value {
    serde_json::json!({
        "name": row.name, "project_id": row.project_id, "template": row.template,
        "description": row.description, "owner_team_id": row.owner_team_id,
        "repository": format!("{}/{}", row.repo_owner, row.repo_name),
        "environments": environments(row), "status": row.status,
        "build": build_settings::settings(row),
        "previews": previews_of(row),
        "notifications": crate::services::notices::rules_of(row),
    })
}

/// A preview lives 1 to 720 hours.
fn check_previews(errors: &mut FieldErrors, patch: &ServicePatch) {
    if let Some(Some(previews)) = &patch.previews
        && !(1..=gmac_types::MAX_PREVIEW_TTL_HOURS).contains(&previews.ttl_hours)
    {
        errors.push(FieldError::at(
            &["previews", "ttl_hours"],
            "out_of_range",
            "A preview lives 1 to 720 hours (30 days) after its branch's last push.",
        ));
    }
}

/// How long the service's previews live, when it opens them.
fn previews_of(row: &service::Model) -> Option<gmac_types::PreviewSettings> {
    row.preview_ttl_hours
        .and_then(|h| u32::try_from(h).ok())
        .map(|ttl_hours| gmac_types::PreviewSettings { ttl_hours })
}

/// Loads a service, or 404.
pub(crate) async fn find(conn: &impl ConnectionTrait, id: &str) -> Result<service::Model> {
    if !crate::ids::is_id(id) {
        return Err(Error::NotFound);
    }
    service::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// A repository owner or name as hosts accept it: letters, digits, `.`, `_` and `-`, 1 to
/// 100 characters, not `.` or `..`, not ending in `.git`.
fn repo_part_ok(text: &str) -> bool {
    (1..=100).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !text.starts_with('.')
        && !std::path::Path::new(text)
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("git"))
}

fn check_environments(
    errors: &mut FieldErrors,
    given: &[ServiceEnvironment],
) -> Option<Vec<ServiceEnvironment>> {
    let known: Vec<&str> = DEFAULT_ENVIRONMENTS.iter().map(|(n, _)| *n).collect();
    let mut seen = Vec::new();
    let mut ok = true;
    for (i, env) in given.iter().enumerate() {
        let index = i.to_string();
        if !known.contains(&env.name.as_str()) || seen.contains(&env.name) {
            errors.push(FieldError::at(
                &["environments", &index, "name"],
                "invalid",
                "An environment is staging or production, each named once.",
            ));
            ok = false;
        }
        if !gmac_types::validation::branch_ok(&env.branch) {
            errors.push(FieldError::at(
                &["environments", &index, "branch"],
                "invalid",
                "A branch is 1 to 100 letters, digits, '.', '_', '-' or '/', as git allows.",
            ));
            ok = false;
        }
        seen.push(env.name.clone());
    }
    if ok && seen.len() != known.len() {
        errors.push(FieldError::new(
            "environments",
            "invalid",
            "Name both environments, staging and production.",
        ));
        ok = false;
    }
    let mut branches: Vec<&str> = given.iter().map(|e| e.branch.as_str()).collect();
    branches.sort_unstable();
    branches.dedup();
    if ok && branches.len() != given.len() {
        errors.push(FieldError::new(
            "environments",
            "invalid",
            "Each environment builds a branch of its own.",
        ));
        ok = false;
    }
    ok.then(|| given.to_vec())
}

/// An owning team must exist.
async fn check_team(core: &Core, errors: &mut FieldErrors, team_id: &str) -> Result<()> {
    if team::Entity::find_by_id(team_id)
        .one(&core.db)
        .await?
        .is_none()
    {
        errors.push(FieldError::new(
            "owner_team_id",
            "unknown",
            "There is no team of this id.",
        ));
    }
    Ok(())
}

fn taken() -> Error {
    Error::conflict(
        ErrorCode::NameTaken,
        "Another service of this project already has this name.",
    )
}

/// What a new service's request holds once checked.
struct Checked {
    description: String,
    parameters: serde_json::Map<String, serde_json::Value>,
    connection: git_connection::Model,
}

/// Checks a new service's fields: its name, description, template and parameters, its
/// repository's owner and name, its git connection (the installation's or the project's
/// client's) and its owning team. Every broken rule points at its field.
async fn check_new(core: &Core, input: &NewService, client_id: &str) -> Result<Checked> {
    let mut errors = FieldErrors::new();
    if !crate::templates::is_dns_label(&input.name) {
        errors.push(FieldError::new(
            "name",
            "invalid",
            "A service's name is a DNS label: a-z first, then a-z, 0-9 or '-', at most 63, not ending with '-'.",
        ));
    }
    let description = errors.check(parse_description(
        "description",
        input.description.as_deref(),
    ));
    let parameters = match crate::services::template_sources::find(core, &input.template).await? {
        None => {
            errors.push(FieldError::new(
                "template",
                "unknown",
                "There is no template of this id; GET /api/v1/templates lists them.",
            ));
            None
        }
        Some(template) => {
            match template.validate(&serde_json::Value::Object(input.parameters.clone())) {
                Ok(values) => Some(values),
                Err(problems) => {
                    for problem in problems {
                        errors.push(problem);
                    }
                    None
                }
            }
        }
    };
    for (field, value) in [("owner", &input.git.owner), ("name", &input.git.name)] {
        if !repo_part_ok(value) {
            errors.push(FieldError::at(
                &["git", field],
                "invalid",
                "1 to 100 letters, digits, '.', '_' or '-', not starting with '.' nor ending with '.git'.",
            ));
        }
    }
    let connection = git_connection::Entity::find_by_id(&input.git.connection_id)
        .one(&core.db)
        .await?
        .filter(|c| c.client_id.is_none() || c.client_id.as_deref() == Some(client_id));
    if connection.is_none() {
        errors.push(FieldError::at(
            &["git", "connection_id"],
            "unknown",
            "There is no git connection of this id for this project's client.",
        ));
    }
    if let Some(team_id) = &input.owner_team_id {
        check_team(core, &mut errors, team_id).await?;
    }
    errors.finish().map_err(Error::Validation)?;
    match (description, parameters, connection) {
        (Some(description), Some(parameters), Some(connection)) => Ok(Checked {
            description,
            parameters,
            connection,
        }),
        _ => Err(anyhow::anyhow!("field errors were collected but not reported").into()),
    }
}

/// The permission that deploys to an environment of this name.
pub fn deploy_permission(name: &str) -> Permission {
    if name == "production" {
        Permission::DeploysProduction
    } else {
        Permission::DeploysRun
    }
}

/// The rows of a new service's environments.
fn environments_of(
    core: &Core,
    row: &service::Model,
) -> Vec<crate::entities::environment::ActiveModel> {
    DEFAULT_ENVIRONMENTS
        .iter()
        .map(|(name, _)| {
            crate::entities::environment::ActiveModel::from(crate::entities::environment::Model {
                id: core.new_id(),
                service_id: row.id.clone(),
                client_id: row.client_id.clone(),
                project_id: row.project_id.clone(),
                name: (*name).to_owned(),
                target_id: None,
                live_release_id: None,
                deploy_on_push: true,
                paused_at: None,
                paused_by: None,
                paused_reason: None,
                resumed_at: None,
                auto_rollback: true,
                replicas: 1,
                autoscale_min: None,
                autoscale_max: None,
                autoscale_cpu: None,
                restarted_at: None,
                operation_job_id: None,
                health_path: None,
                health_timeout_secs: None,
                releases_kept: i32::try_from(gmac_types::DEFAULT_RELEASES_KEPT).unwrap_or(10),
                cpu_request_millis: None,
                cpu_limit_millis: None,
                memory_request_mib: None,
                memory_limit_mib: None,
                preview_branch: None,
                expires_at: None,
                delete_job_id: None,
                created_at: row.created_at,
                updated_at: row.created_at,
                version: 1,
            })
        })
        .collect()
}

/// Creates a service from a template, `creating`, and enqueues the job that makes its
/// repository, first commit, branches and webhook. Needs `services.manage` on the project.
pub async fn create(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewService,
) -> Result<CreatedService> {
    let owner = projects::find(&core.db, &input.project_id).await?;
    let target = projects::target_of(&owner);
    actor.require_on(Permission::ServicesManage, &target)?;

    let Checked {
        description,
        parameters,
        connection,
    } = check_new(core, &input, &owner.client_id).await?;

    let now = core.now();
    let id = core.new_id();
    let secret = crate::auth::tokens::generate_token();
    let environments: Vec<ServiceEnvironment> = DEFAULT_ENVIRONMENTS
        .iter()
        .map(|(name, branch)| ServiceEnvironment {
            name: (*name).to_owned(),
            branch: (*branch).to_owned(),
        })
        .collect();
    let txn = Change::begin(core).await?;
    let taken_now = service::Entity::find()
        .filter(service::Column::ProjectId.eq(owner.id.as_str()))
        .filter(service::Column::Name.eq(input.name.as_str()))
        .count(&txn)
        .await?;
    if taken_now > 0 {
        return Err(taken());
    }
    let mut new_job = NewJob::new(
        crate::platform::job_kinds::SERVICE_CREATE,
        serde_json::json!({ "service_id": id }),
    );
    new_job.client_id = Some(owner.client_id.clone());
    let (job_row, _) = jobs::enqueue(&txn, core, Some(actor), new_job).await?;
    let row = service::Model {
        id: id.clone(),
        client_id: owner.client_id.clone(),
        project_id: owner.id.clone(),
        name: input.name.clone(),
        description,
        template: input.template.clone(),
        parameters: serde_json::Value::Object(parameters).to_string(),
        owner_team_id: input.owner_team_id.clone(),
        status: ServiceStatus::Creating.id().to_owned(),
        status_detail: None,
        git_connection_id: connection.id.clone(),
        repo_owner: input.git.owner.clone(),
        repo_name: input.git.name.clone(),
        repo_created: false,
        clone_url: None,
        html_url: None,
        first_commit: None,
        webhook_id: None,
        sealed_webhook_secret: core.sealer.seal(secret.as_bytes(), &webhook_binding(&id))?,
        environments: serde_json::to_string(&environments).map_err(anyhow::Error::from)?,
        creation_job_id: Some(job_row.id.clone()),
        build_settings: build_settings::to_column(&gmac_types::BuildSettings::default())?,
        sealed_build_secrets: None,
        preview_ttl_hours: None,
        notice_rules: None,
        created_by: actor.user_id.clone(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    service::Entity::insert(service::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    // Its environments, where its releases will run.
    crate::entities::environment::Entity::insert_many(environments_of(core, &row))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "service.create")
        .target("service", id.clone())
        .scope(&target_of(&row))
        .details(serde_json::json!({"after": summary(&row), "job_id": job_row.id}));
    txn.commit(core, meta, entry).await?;
    let provider = GitProvider::from_id(&connection.provider).unwrap_or(GitProvider::Git);
    let post_receive_hook =
        (provider == GitProvider::Git).then(|| post_receive_hook(&hook_url(core, &row), &secret));
    Ok(CreatedService {
        service: to_dto(row, provider),
        job: jobs::to_dto(job_row)?,
        post_receive_hook,
    })
}

/// The services the actor may see, by name, a page at a time.
pub async fn list(
    core: &Core,
    actor: &Actor,
    query: &ServiceQuery,
    page: &PageQuery,
) -> Result<Page<Service>> {
    actor.ensure_enrolled()?;
    let visible = actor.permissions.visible(Permission::ServicesView);
    if visible.is_nothing() {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
            total: 0,
        });
    }
    let mut select = service::Entity::find();
    if let Visible::Some { clients, projects } = &visible {
        let project_ids: Vec<String> = projects.iter().map(|(p, _)| p.clone()).collect();
        select = select.filter(
            Condition::any()
                .add(service::Column::ClientId.is_in(clients.iter().cloned()))
                .add(service::Column::ProjectId.is_in(project_ids)),
        );
    }
    if let Some(id) = &query.client_id {
        select = select.filter(service::Column::ClientId.eq(id.as_str()));
    }
    if let Some(id) = &query.project_id {
        select = select.filter(service::Column::ProjectId.eq(id.as_str()));
    }
    if let Some(id) = &query.team_id {
        select = select.filter(service::Column::OwnerTeamId.eq(id.as_str()));
    }
    if let Some(template) = &query.template {
        select = select.filter(service::Column::Template.eq(template.as_str()));
    }
    if let Some(status) = query.status {
        select = select.filter(service::Column::Status.eq(status.id()));
    }
    if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        select = select.filter(
            sea_orm::sea_query::Expr::col(service::Column::Name)
                .like(paging::contains_pattern(&text.to_lowercase())),
        );
    }
    let (rows, next_cursor, total) = paging::page_by_text(
        core,
        select,
        (service::Column::Name, service::Column::Id),
        page,
        |r| (r.name.clone(), r.id.clone()),
    )
    .await?;
    Ok(Page {
        items: to_dtos(core, rows).await?,
        next_cursor,
        total,
    })
}

/// A service the actor may see with `permission` (404 when they may not know of it).
async fn visible_row(
    core: &Core,
    actor: &Actor,
    id: &str,
    permission: Permission,
) -> Result<service::Model> {
    let row = find(&core.db, id).await?;
    actor.require_on(permission, &target_of(&row))?;
    Ok(row)
}

/// One service.
pub async fn get(core: &Core, actor: &Actor, id: &str) -> Result<Service> {
    let row = visible_row(core, actor, id, Permission::ServicesView).await?;
    Ok(to_dtos(core, vec![row]).await?.remove(0))
}

/// Changes a service's description, owning team, branches, build settings, previews or the rules
/// of which events notify whom. Needs `services.manage`.
pub async fn update(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
    patch: ServicePatch,
) -> Result<Service> {
    visible_row(core, actor, id, Permission::ServicesManage).await?;
    let mut errors = FieldErrors::new();
    let description = patch
        .description
        .as_deref()
        .and_then(|d| errors.check(parse_description("description", Some(d))));
    let environments = patch
        .environments
        .as_deref()
        .and_then(|given| check_environments(&mut errors, given));
    let team = match patch.owner_team_id.as_deref() {
        None => None,
        Some("") => Some(None),
        Some(team_id) => {
            check_team(core, &mut errors, team_id).await?;
            Some(Some(team_id.to_owned()))
        }
    };
    let mut after_previews = None;
    let current = find(&core.db, id).await?;
    let build = patch
        .build
        .as_ref()
        .map(|p| build_settings::patch(core, &current, p, &mut errors))
        .transpose()?;
    check_previews(&mut errors, &patch);
    let notifications = match &patch.notifications {
        Some(given) => Some(crate::services::notices::check(core, &mut errors, given).await?),
        None => None,
    };
    errors.finish().map_err(Error::Validation)?;
    let txn = Change::begin(core).await?;
    let before = find(&txn, id).await?;
    Change::expect_version(if_match, before.version)?;
    if before.status == ServiceStatus::Deleting.id() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "The service is being deleted.",
        ));
    }
    if let Some(previews) = &patch.previews {
        // Previews deploy: opening them (or no more) needs the permission that deploys there.
        actor.require(Permission::DeploysRun, &target_of(&before))?;
        after_previews = Some(previews.map(|p| p.ttl_hours.cast_signed()));
    }
    let mut after = before.clone();
    if let Some(ttl) = after_previews {
        after.preview_ttl_hours = ttl;
    }
    if let Some(rules) = &notifications {
        after.notice_rules = crate::services::notices::to_column(rules)?;
    }
    if let Some(description) = description {
        after.description = description;
    }
    if let Some(team) = team {
        after.owner_team_id = team;
    }
    if let Some(environments) = &environments {
        require_branch_changes(actor, &before, environments)?;
        after.environments = serde_json::to_string(environments).map_err(anyhow::Error::from)?;
    }
    let mut secrets_changed = Vec::new();
    if let Some(build) = &build {
        after.build_settings = build_settings::to_column(&build.settings)?;
        if let Some(secrets) = &build.secrets {
            // Names only, for the audit log: which secrets were set or removed.
            secrets_changed = patch
                .build
                .as_ref()
                .and_then(|p| p.secrets.as_ref())
                .map(|s| s.keys().cloned().collect())
                .unwrap_or_default();
            after.sealed_build_secrets = build_settings::seal(core, id, secrets)?;
        }
    }
    if after == before {
        txn.commit_unaudited().await?;
        return Ok(to_dtos(core, vec![before]).await?.remove(0));
    }
    after.updated_at = core.now();
    after.version = before.version + 1;
    service::Entity::update(sealed_unless_changed(
        service::ActiveModel::from(after.clone()).reset_all(),
        &before,
        &after,
    ))
    .exec(&txn)
    .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "service.update")
        .target("service", id.to_owned())
        .scope(&target_of(&before))
        .details(serde_json::json!({
            "before": summary(&before),
            "after": summary(&after),
            "build_secrets_changed": secrets_changed,
        }));
    txn.commit(core, meta, entry).await?;
    Ok(to_dtos(core, vec![after]).await?.remove(0))
}

/// An environment's branch decides what deploy-on-push deploys to it: changing it needs the
/// permission that deploys there.
fn require_branch_changes(
    actor: &Actor,
    before: &service::Model,
    environments: &[ServiceEnvironment],
) -> Result<()> {
    let branches = self::environments(before);
    for changed in environments.iter().filter(|e| {
        !branches
            .iter()
            .any(|b| b.name == e.name && b.branch == e.branch)
    }) {
        actor.require(deploy_permission(&changed.name), &target_of(before))?;
    }
    Ok(())
}

/// Deletes a service: it turns `deleting` and a job removes its webhook (and its repository,
/// when asked, or when it is what a failed creation made) and then the service. Refused while
/// its creation job still runs. Needs `services.manage`.
pub async fn delete(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
    delete_repository: bool,
) -> Result<gmac_types::Job> {
    let current = visible_row(core, actor, id, Permission::ServicesManage).await?;
    let txn = Change::begin(core).await?;
    let before = find(&txn, id).await?;
    Change::expect_version(if_match, before.version)?;
    if before.status == ServiceStatus::Deleting.id() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "The service is already being deleted.",
        ));
    }
    if let Some(job_id) = &before.creation_job_id
        && let Some(creation) = job::Entity::find_by_id(job_id.as_str()).one(&txn).await?
        && !gmac_types::JobStatus::parse(&creation.status)
            .is_none_or(gmac_types::JobStatus::is_finished)
    {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "The service is still being created: cancel its creation job first, or wait for it.",
        ));
    }
    // Abandoning a creation undoes it: the repository gmac made for it goes too.
    let abandoning = before.status != ServiceStatus::Active.id();
    let remove_repository = before.repo_created && (delete_repository || abandoning);
    let mut new_job = NewJob::new(
        crate::platform::job_kinds::SERVICE_DELETE,
        serde_json::json!({ "service_id": id, "delete_repository": remove_repository }),
    );
    new_job.client_id = Some(before.client_id.clone());
    let (job_row, _) = jobs::enqueue(&txn, core, Some(actor), new_job).await?;
    let mut after = before.clone();
    ServiceStatus::Deleting.id().clone_into(&mut after.status);
    after.updated_at = core.now();
    after.version = before.version + 1;
    service::Entity::update(sealed_unless_changed(
        service::ActiveModel::from(after.clone()).reset_all(),
        &before,
        &after,
    ))
    .exec(&txn)
    .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "service.delete")
        .target("service", id.to_owned())
        .scope(&target_of(&current))
        .details(serde_json::json!({
            "before": summary(&before),
            "delete_repository": remove_repository,
            "job_id": job_row.id,
        }));
    txn.commit(core, meta, entry).await?;
    jobs::to_dto(job_row)
}

/// Where a service's push webhook posts.
pub fn hook_url(core: &Core, row: &service::Model) -> String {
    format!(
        "{}/api/v1/hooks/git/{}",
        core.public_url.trim_end_matches('/'),
        row.id
    )
}

/// The secret that signs a service's pushes.
pub fn webhook_secret(core: &Core, row: &service::Model) -> crate::Result<String> {
    let plain = core
        .sealer
        .open(&row.sealed_webhook_secret, &webhook_binding(&row.id))?;
    Ok(String::from_utf8(plain).map_err(anyhow::Error::from)?)
}

/// A `post-receive` hook for a plain git remote: it posts each pushed branch to `url`, signed
/// with `secret` (`openssl` and `curl` on the git server). It holds the secret.
pub fn post_receive_hook(url: &str, secret: &str) -> String {
    format!(
        r#"#!/bin/sh
# gmac: posts each pushed branch to gmac, signed with the service's webhook secret.
# Install as hooks/post-receive in the repository on the git server, executable.
url='{url}'
secret='{secret}'
while read -r before after ref; do
  body=$(printf '{{"ref":"%s","before":"%s","after":"%s"}}' "$ref" "$before" "$after")
  signature=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" | sed 's/^.*= *//')
  curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' \
    -H "X-Hub-Signature-256: sha256=$signature" --data "$body" "$url" \
    || echo "gmac: the push to $ref was not delivered" >&2
done
"#
    )
}

/// Removes a service's row once what it made is gone (the last step of its deletion).
pub(crate) async fn forget(core: &Core, row: &service::Model) -> Result<()> {
    let txn = Change::begin(core).await?;
    db::deleted_one(
        &service::Entity::delete_by_id(row.id.as_str())
            .exec(&txn)
            .await?,
    )?;
    txn.commit_unaudited().await
}

/// Loads a service for a job, or `None` when it is gone.
pub(crate) async fn load(core: &Core, id: &str) -> Result<Option<service::Model>> {
    Ok(service::Entity::find_by_id(id).one(&core.db).await?)
}

/// `row` without its sealed columns where `after` leaves them as `before` had them: a master
/// key rotation re-wraps them meanwhile (`key_ring`), and writing the row back whole would put
/// the old wrapping back.
fn sealed_unless_changed(
    mut row: service::ActiveModel,
    before: &service::Model,
    after: &service::Model,
) -> service::ActiveModel {
    if after.sealed_webhook_secret == before.sealed_webhook_secret {
        row.sealed_webhook_secret = sea_orm::ActiveValue::NotSet;
    }
    if after.sealed_build_secrets == before.sealed_build_secrets {
        row.sealed_build_secrets = sea_orm::ActiveValue::NotSet;
    }
    row
}

/// What a service's webhook secret is sealed for.
pub(crate) fn webhook_binding(id: &str) -> String {
    format!("service_webhook:{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_and_branch_names_follow_the_hosts_rules() {
        for ok in ["web", "my.site", "api_v2", "A-1"] {
            assert!(repo_part_ok(ok), "{ok}");
        }
        for bad in ["", ".hidden", "web.git", "a/b", "a b", &"x".repeat(101)] {
            assert!(!repo_part_ok(bad), "{bad}");
        }
        for ok in ["main", "staging", "release/1.2", "feature_x-y"] {
            assert!(gmac_types::validation::branch_ok(ok), "{ok}");
        }
        for bad in [
            "", "-x", "a..b", "a/", "a.lock", "/a", "a//b", "a b", "a/.b", "x~1",
        ] {
            assert!(!gmac_types::validation::branch_ok(bad), "{bad}");
        }
    }

    #[test]
    fn environments_are_both_named_once_each_on_a_branch_of_its_own() {
        let env = |name: &str, branch: &str| ServiceEnvironment {
            name: name.to_owned(),
            branch: branch.to_owned(),
        };
        let mut errors = FieldErrors::new();
        let ok = check_environments(
            &mut errors,
            &[env("staging", "develop"), env("production", "main")],
        );
        assert!(ok.is_some() && errors.finish().is_ok());
        for bad in [
            vec![env("staging", "main")],
            vec![env("staging", "main"), env("production", "main")],
            vec![env("staging", "x"), env("staging", "y")],
            vec![env("preview", "x"), env("production", "main")],
            vec![env("staging", "a..b"), env("production", "main")],
        ] {
            let mut errors = FieldErrors::new();
            assert!(check_environments(&mut errors, &bad).is_none(), "{bad:?}");
            assert!(errors.finish().is_err());
        }
        assert_eq!(
            main_branch(&[env("staging", "develop"), env("production", "trunk")]),
            "trunk"
        );
    }
}
