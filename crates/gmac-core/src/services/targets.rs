//! Deploy targets (issue 12, point 1): where a client's (or one project's) environments deploy.
//!
//! A container host is a Docker Engine API (Docker or Podman) on one server, at a
//! `DOCKER_HOST`-style address, with the admin API of the reverse proxy (Caddy) beside it. A
//! target is tested before it is saved (nothing is saved unless the engine, and the proxy when
//! given, answer) and may be tested again; the test's result is kept. Registering, testing and
//! removing need `targets.manage` where the target serves; whoever sees services there sees it.
//!
//! An engine over the network (`tcp://host:port`) is reached only over TLS, checking its
//! certificate against the CA given and presenting gmac's client certificate (Docker's
//! `--tlsverify`): a plain TCP engine answers anyone who reaches its port with root on its host.
//!
//! A Kubernetes cluster is reached through a kubeconfig with its credentials inline. The
//! kubeconfig, and a container host's TLS credentials, are sealed under the master key, bound
//! to the target's row, and never returned: a target says only that it holds credentials.

use gmac_types::validation::FieldErrors;
use gmac_types::{
    ErrorCode, FieldError, NewTarget, Page, PageQuery, Permission, SecretText, Target, TargetKind,
    TargetPatch, TargetQuery, TargetTest,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::access::Target as Scope;
use crate::audit::AuditEntry;
use crate::entities::target;
use crate::platform::change::Change;
use crate::platform::paging;
use crate::ports::Engine;
use crate::services::clients;
use crate::services::target_credentials::{self as credentials, check_ssh, check_tls};
pub(crate) use crate::services::target_credentials::{credentials_binding, engine_of, is_cluster};
use crate::{Actor, Core, Error, RequestMeta, Result, db};

fn to_dto(row: target::Model) -> Target {
    Target {
        kind: TargetKind::from_id(&row.kind).unwrap_or(TargetKind::ContainerHost),
        last_test: row.last_test_at.map(|tested_at| TargetTest {
            tested_at,
            ok: row.last_test_ok.unwrap_or(false),
            detail: row.last_test_detail.clone().unwrap_or_default(),
        }),
        id: row.id,
        name: row.name,
        client_id: row.client_id,
        project_id: row.project_id,
        address: row.address,
        has_credentials: row.credentials.is_some(),
        cluster_issuer: row.cluster_issuer,
        ingress_class: row.ingress_class,
        proxy_admin_url: row.proxy_admin_url,
        ingress_address: row.ingress_address,
        engine: row.engine,
        created_by: row.created_by,
        created_at: row.created_at,
        version: row.version,
    }
}

/// Where a target serves, for permissions.
fn scope_of(client_id: &str, project_id: Option<&String>) -> Scope {
    match project_id {
        Some(id) => Scope::Project {
            id: id.clone(),
            client_id: client_id.to_owned(),
        },
        None => Scope::Client(client_id.to_owned()),
    }
}

/// An engine address gmac can reach: `unix:///absolute/path` or `tcp://host:port`.
fn address_ok(address: &str) -> bool {
    if address.len() > 2000 || address.chars().any(char::is_control) {
        return false;
    }
    if let Some(path) = address.strip_prefix("unix://") {
        return path.starts_with('/') && path.len() > 1 && !path.contains("/../");
    }
    if address.starts_with("ssh://") {
        return gmac_types::SshAddress::parse(address).is_some();
    }
    // Only `host:port` exactly as written: nothing a URL parser would quietly drop or mend.
    address.strip_prefix("tcp://").is_some_and(|rest| {
        url::Url::parse(&format!("http://{rest}")).is_ok_and(|u| {
            u.host_str().is_some_and(|host| {
                u.port_or_known_default()
                    .is_some_and(|port| rest.eq_ignore_ascii_case(&format!("{host}:{port}")))
            })
        })
    })
}

/// A proxy admin URL: http(s) without a user, query or fragment.
fn admin_url_ok(url: &str) -> bool {
    url.len() <= 2000
        && url::Url::parse(url).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some()
                && u.username().is_empty()
                && u.password().is_none()
                && u.query().is_none()
                && u.fragment().is_none()
        })
}

/// A cert-manager cluster issuer's name: a DNS subdomain.
fn issuer_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && !name.starts_with(['-', '.'])
        && !name.ends_with(['-', '.'])
}

/// A cluster's fields: its kubeconfig (taken by the connector: inline credentials only) and
/// issuer; answers the address, its kubeconfig's server.
fn check_cluster(core: &Core, input: &NewTarget, errors: &mut FieldErrors) -> String {
    let address = input.address.trim().trim_end_matches('/').to_owned();
    let given = input
        .kubeconfig
        .as_ref()
        .map(gmac_types::SecretText::expose);
    let server = match (given, core.cluster.as_ref()) {
        (None, _) => {
            errors.push(FieldError::new(
                "kubeconfig",
                "required",
                "A cluster is reached through its kubeconfig: give it, with its credentials inline.",
            ));
            None
        }
        (Some(text), _) if text.len() > 256 * 1024 => {
            errors.push(FieldError::new(
                "kubeconfig",
                "too_long",
                "At most 256 KiB.",
            ));
            None
        }
        (Some(_), None) => None,
        (Some(text), Some(cluster)) => match cluster.server(text) {
            Ok(server) => Some(server),
            Err(why) => {
                errors.push(FieldError::new(
                    "kubeconfig",
                    "invalid",
                    format!("The kubeconfig is not taken: {why}."),
                ));
                None
            }
        },
    };
    if let Some(server) = &server
        && !address.is_empty()
        && address != *server
    {
        errors.push(FieldError::new(
            "address",
            "mismatch",
            format!("A cluster's address is its kubeconfig's server, {server}: leave it out."),
        ));
    }
    if input.proxy_admin_url.is_some() {
        errors.push(FieldError::new(
            "proxy_admin_url",
            "not_for_kind",
            "A cluster routes through its Ingress controller: it takes no proxy admin URL.",
        ));
    }
    if input
        .cluster_issuer
        .as_deref()
        .is_some_and(|i| !issuer_ok(i))
    {
        errors.push(FieldError::new(
            "cluster_issuer",
            "invalid",
            "A cert-manager ClusterIssuer's name: lowercase letters, digits, '-' and '.'.",
        ));
    }
    if input
        .ingress_class
        .as_deref()
        .is_some_and(|i| !issuer_ok(i))
    {
        errors.push(FieldError::new(
            "ingress_class",
            "invalid",
            "An IngressClass's name: lowercase letters, digits, '-' and '.'.",
        ));
    }
    server.unwrap_or(address)
}

/// Checks a new target's fields; answers its name, address and proxy URL as saved.
async fn check(core: &Core, input: &NewTarget) -> Result<(String, String, Option<String>)> {
    let mut errors = FieldErrors::new();
    let name = errors.check(
        gmac_types::validation::Name::parse("name", &input.name).map(|n| n.as_str().to_owned()),
    );
    if let Some(given) = input.ingress_address.as_deref()
        && crate::services::domains::ingress_of(given).is_none()
    {
        errors.push(FieldError::new(
            "ingress_address",
            "invalid",
            "Give an IP address or a host name, with :port when HTTPS is not on 443 (e.g. 203.0.113.10 or lb.example.com:8443).",
        ));
    }
    if input.kind == TargetKind::Kubernetes {
        for (field, given) in [("tls", input.tls.is_some()), ("ssh", input.ssh.is_some())] {
            if given {
                errors.push(FieldError::new(
                    field,
                    "not_for_kind",
                    format!("A cluster's credentials are in its kubeconfig: leave {field} out."),
                ));
            }
        }
        let address = check_cluster(core, input, &mut errors);
        check_project(core, input, &mut errors).await?;
        errors.finish().map_err(Error::Validation)?;
        return match name {
            Some(name) => Ok((name, address, None)),
            None => Err(anyhow::anyhow!("field errors were collected but not reported").into()),
        };
    }
    for (field, given) in [
        ("kubeconfig", input.kubeconfig.is_some()),
        ("cluster_issuer", input.cluster_issuer.is_some()),
        ("ingress_class", input.ingress_class.is_some()),
    ] {
        if given {
            errors.push(FieldError::new(
                field,
                "not_for_kind",
                "Only a Kubernetes cluster takes this.",
            ));
        }
    }
    let address = input.address.trim().to_owned();
    if address_ok(&address) {
        check_tls(&address, input.tls.as_ref(), &mut errors);
        check_ssh(&address, input.ssh.as_ref(), &mut errors);
    } else {
        errors.push(FieldError::new(
            "address",
            "invalid",
            "The engine's address: unix:///path/to/the.sock (Docker's or Podman's socket), tcp://host:port (over TLS) or ssh://user@host[:port][/path/to/the.sock] (over SSH).",
        ));
    }
    let proxy = input
        .proxy_admin_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| u.trim_end_matches('/').to_owned());
    if proxy.as_deref().is_some_and(|u| !admin_url_ok(u)) {
        errors.push(FieldError::new(
            "proxy_admin_url",
            "invalid_url",
            "Caddy's admin API over http:// or https://, e.g. http://127.0.0.1:2019, without a user, query or fragment.",
        ));
    }
    check_project(core, input, &mut errors).await?;
    errors.finish().map_err(Error::Validation)?;
    match name {
        Some(name) => Ok((name, address, proxy)),
        None => Err(anyhow::anyhow!("field errors were collected but not reported").into()),
    }
}

/// The project, when given, is the client's.
async fn check_project(core: &Core, input: &NewTarget, errors: &mut FieldErrors) -> Result<()> {
    if let Some(project_id) = &input.project_id {
        let belongs = crate::entities::project::Entity::find_by_id(project_id.as_str())
            .one(&core.db)
            .await?
            .is_some_and(|p| p.client_id == input.client_id);
        if !belongs {
            errors.push(FieldError::new(
                "project_id",
                "unknown",
                "There is no project of this id in the client.",
            ));
        }
    }
    Ok(())
}

/// What a connection test found: the engine's description, and the whole detail.
struct Probed {
    ok: bool,
    engine: Option<String>,
    detail: String,
}

/// Asks the cluster's API server whether it answers.
async fn probe_cluster(core: &Core, kubeconfig: &str) -> Result<Probed> {
    let cluster = core.cluster.as_ref().ok_or_else(|| Error::Unavailable {
        retry_after: 60,
        detail: "This installation has no Kubernetes connector.".to_owned(),
    })?;
    Ok(match cluster.probe(kubeconfig).await {
        Ok(said) => Probed {
            ok: true,
            detail: format!("{said} answered."),
            engine: Some(said),
        },
        Err(why) => Probed {
            ok: false,
            engine: None,
            detail: format!("{why}."),
        },
    })
}

/// A DNS label from `text`: lowercase letters, digits and '-', at most `max` long.
pub(crate) fn dns_label(text: &str, max: usize) -> String {
    let mut label: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    label.truncate(max);
    label.trim_matches('-').to_owned()
}

/// An environment's namespace on a cluster: `gmac-<service>-<environment>-<8 of its id>`. The
/// id's part keeps apart services of the same name in other projects or clients sharing a
/// cluster, whatever the names' lengths.
pub fn namespace_of(service_name: &str, environment: &str, environment_id: &str) -> String {
    let tail: String = environment_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .take(8)
        .rev()
        .collect();
    format!(
        "gmac-{}-{}-{}",
        dns_label(service_name, 30),
        dns_label(environment, 12),
        dns_label(&tail, 8)
    )
}

/// A cluster target's kubeconfig, opened.
pub(crate) fn kubeconfig_of(core: &Core, row: &target::Model) -> Result<String> {
    let sealed = row
        .credentials
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("target {} holds no kubeconfig", row.id))?;
    let bytes = core.sealer.open(sealed, &credentials_binding(&row.id))?;
    Ok(String::from_utf8(bytes).map_err(anyhow::Error::from)?)
}

/// Asks the engine (and the proxy, when set) whether they answer.
async fn probe(core: &Core, engine: &Engine, proxy: Option<&str>) -> Result<Probed> {
    let probe = core
        .target_probe
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no target probe is configured"))?;
    let engine = probe.engine(engine).await;
    let proxy = match proxy {
        Some(url) => Some(probe.proxy(url).await),
        None => None,
    };
    let mut detail = match &engine {
        Ok(engine) => format!("{engine} answered."),
        Err(why) => format!("{why}."),
    };
    if let Some(Ok(said) | Err(said)) = &proxy {
        detail.push(' ');
        detail.push_str(said);
        detail.push('.');
    }
    Ok(Probed {
        ok: engine.is_ok() && proxy.as_ref().is_none_or(Result::is_ok),
        engine: engine.ok(),
        detail,
    })
}

/// Registers a target. Needs `targets.manage` where it serves (for a unix socket on gmac's own
/// host: for the whole installation); tested first, nothing is saved unless the engine (and
/// the proxy's admin API, when given) answer.
/// A socket on gmac's own host (its engine, its database's) is the installation's to give; a
/// client's admin registers a host over the network.
fn refuse_local_socket(actor: &Actor, address: &str) -> Result<()> {
    if address.starts_with("unix://")
        && !actor
            .permissions
            .can(Permission::TargetsManage, &Scope::Global)
    {
        return Err(Error::invalid(FieldError::new(
            "address",
            "local_socket",
            "A unix socket on gmac's own host may be registered only by those who manage targets for the whole installation; give the engine's tcp://host:port.",
        )));
    }
    Ok(())
}

/// A container host's new address must reach the engine its releases run on: gmac retires,
/// restarts, reads and tears them down through the address, so at another engine it would
/// lose them. `409` while a release rolls out, restarts or scales there (what it starts may
/// land on either), or naming the first live release whose container the new address does
/// not show; `503` when the engine cannot say. An address for the same engine (its name for
/// its IP, a link to its socket) is taken.
async fn refuse_losing_containers(core: &Core, row: &target::Model, engine: &Engine) -> Result<()> {
    use crate::entities::release;
    use gmac_types::ReleaseStatus;
    if is_cluster(row) || engine.address == row.address {
        return Ok(());
    }
    let Some(deployer) = core.deployer.clone() else {
        return Ok(());
    };
    let running = release::Entity::find()
        .filter(release::Column::TargetId.eq(row.id.as_str()))
        .filter(
            release::Column::Status
                .is_in([ReleaseStatus::Live.id(), ReleaseStatus::Deploying.id()]),
        )
        .order_by_asc(release::Column::CreatedAt)
        .all(&core.db)
        .await?;
    for release in running {
        let env = crate::services::environments::find(&core.db, &release.environment_id).await?;
        let owner = crate::services::catalog::find(&core.db, &release.service_id).await?;
        // While its job runs, what it starts may land on either engine.
        if crate::services::release_rows::rolling_out(core, &env.id)
            .await?
            .is_some()
        {
            return Err(Error::conflict(
                ErrorCode::Conflict,
                format!(
                    "{} of {} is rolling out, restarting or scaling on this target: change the address once it ends.",
                    env.name, owner.name
                ),
            ));
        }
        // A release left deploying by a cancelled rollout holds nothing.
        let (true, Some(container)) = (
            release.status == ReleaseStatus::Live.id(),
            &release.container_id,
        ) else {
            continue;
        };
        match deployer.state(engine, container).await {
            Ok(_) => {}
            Err(crate::ports::ImageBuildError::Unavailable(why)) => {
                return Err(Error::Unavailable {
                    retry_after: 5,
                    detail: format!(
                        "{} could not say whether it runs release #{} of {} ({why}); try again.",
                        engine.address, release.number, owner.name
                    ),
                });
            }
            Err(crate::ports::ImageBuildError::Failed(seen)) => {
                return Err(Error::conflict(
                    ErrorCode::Conflict,
                    format!(
                        "Release #{} of {} serves {} from this target, and {} does not show its container ({seen}): gmac would lose it. Give an address of the same engine, or point {} at another target and deploy there first (the release here then retires).",
                        release.number, owner.name, env.name, engine.address, env.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A `422` naming the field through which the target did not answer.
fn refuse_unanswered(probed: &Probed, through_kubeconfig: bool) -> Result<()> {
    if probed.ok {
        return Ok(());
    }
    let field = if through_kubeconfig {
        "kubeconfig"
    } else if probed.engine.is_some() {
        "proxy_admin_url"
    } else {
        "address"
    };
    Err(Error::invalid(FieldError::new(
        field,
        "connection_failed",
        format!(
            "The target did not answer, so nothing was saved: {}",
            probed.detail
        ),
    )))
}

/// An ingress address as kept: trimmed, lowercase, none when empty.
fn ingress_of(given: Option<&str>) -> Option<String> {
    given
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| !a.is_empty())
}

pub async fn create(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewTarget,
) -> Result<Target> {
    let scope = scope_of(&input.client_id, input.project_id.as_ref());
    actor.require_known(&Scope::Client(input.client_id.clone()))?;
    clients::find(&core.db, &input.client_id).await?;
    // The project is the client's (checked here) before a grant on it counts.
    let (name, address, proxy) = check(core, &input).await?;
    let ingress_address = ingress_of(input.ingress_address.as_deref());
    actor.require(Permission::TargetsManage, &scope)?;
    refuse_local_socket(actor, &address)?;
    let kubeconfig = input
        .kubeconfig
        .as_ref()
        .map(gmac_types::SecretText::expose)
        .filter(|_| input.kind == TargetKind::Kubernetes);
    let engine = Engine {
        address: address.clone(),
        tls: input.tls.clone(),
        ssh: input.ssh.clone(),
    };
    let probed = match kubeconfig {
        Some(text) => probe_cluster(core, text).await?,
        None => probe(core, &engine, proxy.as_deref()).await?,
    };
    refuse_unanswered(&probed, kubeconfig.is_some())?;
    let txn = Change::begin(core).await?;
    // The client or its project may have gone while the target was asked.
    clients::find(&txn, &input.client_id).await?;
    if let Some(project_id) = &input.project_id
        && crate::entities::project::Entity::find_by_id(project_id.as_str())
            .one(&txn)
            .await?
            .is_none()
    {
        return Err(Error::NotFound);
    }
    let taken = target::Entity::find()
        .filter(target::Column::ClientId.eq(input.client_id.as_str()))
        .filter(target::Column::Name.eq(name.as_str()))
        .one(&txn)
        .await?;
    if taken.is_some() {
        return Err(Error::conflict(
            ErrorCode::NameTaken,
            "Another target of this client has this name.",
        ));
    }
    let id = core.new_id();
    let credentials = match kubeconfig {
        Some(text) => Some(
            core.sealer
                .seal(text.as_bytes(), &credentials_binding(&id))?,
        ),
        None => credentials::sealed(core, &id, &engine)?,
    };
    let row = target::Model {
        id,
        credentials,
        cluster_issuer: input.cluster_issuer.clone(),
        ingress_class: input.ingress_class.clone(),
        ingress_address,
        client_id: input.client_id,
        project_id: input.project_id,
        name,
        kind: input.kind.id().to_owned(),
        address,
        proxy_admin_url: proxy,
        engine: probed.engine,
        last_test_at: Some(txn.now()),
        last_test_ok: Some(true),
        last_test_detail: Some(probed.detail),
        created_by: actor.user_id.clone(),
        created_at: txn.now(),
        version: 1,
    };
    target::Entity::insert(target::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "target.create")
        .target("target", row.id.clone())
        .scope(&scope)
        .details(serde_json::json!({"after": {
            "name": row.name, "kind": row.kind, "address": row.address,
            "proxy_admin_url": row.proxy_admin_url, "engine": row.engine,
            "has_credentials": row.credentials.is_some(), "cluster_issuer": row.cluster_issuer,
            "ingress_class": row.ingress_class, "ingress_address": row.ingress_address,
        }}));
    txn.commit(core, meta, entry).await?;
    Ok(to_dto(row))
}

/// The targets the actor may see (those of the clients whose services they see), by name.
pub async fn list(
    core: &Core,
    actor: &Actor,
    query: &TargetQuery,
    page: &PageQuery,
) -> Result<Page<Target>> {
    actor.ensure_enrolled()?;
    let visible = actor.permissions.visible(Permission::ServicesView);
    if visible.is_nothing() {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
            total: 0,
        });
    }
    let mut select = target::Entity::find();
    if let Some(id) = &query.client_id {
        actor.require_known(&Scope::Client(id.clone()))?;
        select = select.filter(target::Column::ClientId.eq(id.as_str()));
    }
    if let Some(ids) = visible.whole_client_ids() {
        // A client seen as a whole, or a project seen on its own: that project's targets.
        let mut seen = Condition::any().add(target::Column::ClientId.is_in(ids));
        for (project_id, _) in visible.project_only() {
            seen = seen.add(target::Column::ProjectId.eq(project_id));
        }
        select = select.filter(seen);
    }
    let (rows, next_cursor, total) = paging::page_by_text(
        core,
        select,
        (target::Column::Name, target::Column::Id),
        page,
        |r| (r.name.clone(), r.id.clone()),
    )
    .await?;
    Ok(Page {
        items: rows.into_iter().map(to_dto).collect(),
        next_cursor,
        total,
    })
}

async fn find(
    core: &Core,
    actor: &Actor,
    id: &str,
    permission: Permission,
) -> Result<target::Model> {
    let row = target::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    actor.require_on(
        permission,
        &scope_of(&row.client_id, row.project_id.as_ref()),
    )?;
    Ok(row)
}

/// One target.
pub async fn get(core: &Core, actor: &Actor, id: &str) -> Result<Target> {
    find(core, actor, id, Permission::ServicesView)
        .await
        .map(to_dto)
}

/// Tests a target again and keeps what it found (the engine's description when it answers).
pub async fn test(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<Target> {
    let row = find(core, actor, id, Permission::TargetsManage).await?;
    let probed = if row.kind == TargetKind::Kubernetes.id() {
        probe_cluster(core, &kubeconfig_of(core, &row)?).await?
    } else {
        probe(
            core,
            &engine_of(core, &row)?,
            row.proxy_admin_url.as_deref(),
        )
        .await?
    };
    let txn = Change::begin(core).await?;
    // Removed (or changed) while it was asked: the row as it is now.
    let row = target::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let mut active = target::ActiveModel {
        id: Set(row.id.clone()),
        last_test_at: Set(Some(txn.now())),
        last_test_ok: Set(Some(probed.ok)),
        last_test_detail: Set(Some(probed.detail.clone())),
        version: Set(row.version + 1),
        ..Default::default()
    };
    if let Some(engine) = &probed.engine {
        active.engine = Set(Some(engine.clone()));
    }
    let saved = target::Entity::update(active).exec(&txn).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "target.test")
        .target("target", row.id.clone())
        .scope(&scope_of(&row.client_id, row.project_id.as_ref()))
        .details(serde_json::json!({"ok": probed.ok, "detail": probed.detail}));
    txn.commit(core, meta, entry).await?;
    Ok(to_dto(saved))
}

/// The target `row` would be after `patch`, as a new one would be given.
fn as_changed(core: &Core, row: &target::Model, patch: &TargetPatch) -> Result<NewTarget> {
    let cluster = is_cluster(row);
    let kubeconfig = match (&patch.kubeconfig, cluster) {
        (Some(given), _) => Some(given.clone()),
        (None, true) => Some(SecretText::new(kubeconfig_of(core, row)?)),
        (None, false) => None,
    };
    let address = patch.address.clone().unwrap_or_else(|| row.address.clone());
    // Credentials kept go on with an engine over the network; a socket takes none.
    let tls = match &patch.tls {
        Some(given) => Some(given.clone()),
        None if !cluster && address.trim().starts_with("tcp://") => engine_of(core, row)?.tls,
        None => None,
    };
    let ssh = match &patch.ssh {
        Some(given) => Some(given.clone()),
        None if !cluster && address.trim().starts_with("ssh://") => engine_of(core, row)?.ssh,
        None => None,
    };
    Ok(NewTarget {
        tls,
        ssh,
        name: patch.name.clone().unwrap_or_else(|| row.name.clone()),
        client_id: row.client_id.clone(),
        project_id: row.project_id.clone(),
        kind: TargetKind::from_id(&row.kind).unwrap_or(TargetKind::ContainerHost),
        // A cluster's address is its kubeconfig's server: one given must be the same.
        address,
        kubeconfig,
        cluster_issuer: patch
            .cluster_issuer
            .clone()
            .unwrap_or_else(|| row.cluster_issuer.clone()),
        ingress_class: patch
            .ingress_class
            .clone()
            .unwrap_or_else(|| row.ingress_class.clone()),
        proxy_admin_url: patch
            .proxy_admin_url
            .clone()
            .unwrap_or_else(|| row.proxy_admin_url.clone()),
        ingress_address: patch
            .ingress_address
            .clone()
            .unwrap_or_else(|| row.ingress_address.clone()),
    })
}

/// Asks the target again when `patch` changes how it is reached (answering what it found);
/// a `422` when it does not answer through the change.
async fn probe_change(
    core: &Core,
    row: &target::Model,
    patch: &TargetPatch,
    input: &NewTarget,
    engine: &Engine,
    proxy: Option<&str>,
) -> Result<Option<Probed>> {
    let reach_changed = engine.address != row.address
        || proxy != row.proxy_admin_url.as_deref()
        || patch.kubeconfig.is_some()
        || patch.tls.is_some()
        || patch.ssh.is_some();
    let probed = if !reach_changed {
        return Ok(None);
    } else if let Some(kubeconfig) = input.kubeconfig.as_ref().filter(|_| is_cluster(row)) {
        probe_cluster(core, kubeconfig.expose()).await?
    } else {
        probe(core, engine, proxy).await?
    };
    refuse_unanswered(&probed, patch.kubeconfig.is_some()).map_err(|e| {
        let new = match (&patch.tls, &patch.ssh) {
            _ if probed.engine.is_some() => None,
            (Some(_), _) => Some("tls"),
            (None, Some(_)) => Some("ssh"),
            (None, None) => None,
        };
        credentials::blame(e, new)
    })?;
    Ok(Some(probed))
}

/// The credentials `row` keeps after `patch` (sealed), when they change: a new kubeconfig or
/// new TLS credentials; none once a container host is a socket on gmac's host.
fn credentials_change(
    core: &Core,
    row: &target::Model,
    patch: &TargetPatch,
    engine: &Engine,
) -> Result<sea_orm::ActiveValue<Option<String>>> {
    if let Some(kubeconfig) = &patch.kubeconfig {
        return Ok(Set(Some(core.sealer.seal(
            kubeconfig.expose().as_bytes(),
            &credentials_binding(&row.id),
        )?)));
    }
    if is_cluster(row) {
        return Ok(sea_orm::ActiveValue::NotSet);
    }
    let kept = engine.tls.is_some() || engine.ssh.is_some();
    Ok(if patch.tls.is_some() || patch.ssh.is_some() {
        Set(credentials::sealed(core, &row.id, engine)?)
    } else if !kept && row.credentials.is_some() {
        // A socket now: the network's credentials are not kept.
        Set(None)
    } else {
        sea_orm::ActiveValue::NotSet
    })
}

/// Changes a target. Needs `targets.manage` where it serves. It is checked as a new one
/// would be; a new address, proxy admin API or kubeconfig is tested first, and nothing is
/// saved unless the target answers through it. A new proxy gets the routes of the
/// environments serving there at once (and the old one loses them).
pub async fn update(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
    patch: TargetPatch,
) -> Result<Target> {
    let row = find(core, actor, id, Permission::TargetsManage).await?;
    Change::expect_version(if_match, row.version)?;
    if patch == TargetPatch::default() {
        return Ok(to_dto(row));
    }
    let input = as_changed(core, &row, &patch)?;
    let (name, address, proxy) = check(core, &input).await?;
    let ingress_address = ingress_of(input.ingress_address.as_deref());
    if address != row.address {
        refuse_local_socket(actor, &address)?;
    }
    let engine = Engine {
        address: address.clone(),
        tls: input.tls.clone(),
        ssh: input.ssh.clone(),
    };
    let probed = probe_change(core, &row, &patch, &input, &engine, proxy.as_deref()).await?;
    refuse_losing_containers(core, &row, &engine).await?;
    let read = row.version;
    let txn = Change::begin(core).await?;
    // Held until the commit on PostgreSQL (SQLite writes one at a time): a change made while
    // this one was tested is not written over.
    let mut select = target::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    let row = select.one(&txn).await?.ok_or(Error::NotFound)?;
    Change::expect_version(if_match, row.version)?;
    if row.version != read {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "The target changed while the change was tested: read it again and retry.",
        ));
    }
    if name != row.name {
        let taken = target::Entity::find()
            .filter(target::Column::ClientId.eq(row.client_id.as_str()))
            .filter(target::Column::Name.eq(name.as_str()))
            .filter(target::Column::Id.ne(id))
            .one(&txn)
            .await?;
        if taken.is_some() {
            return Err(Error::conflict(
                ErrorCode::NameTaken,
                "Another target of this client has this name.",
            ));
        }
    }
    let mut active = target::ActiveModel {
        id: Set(row.id.clone()),
        name: Set(name.clone()),
        address: Set(address.clone()),
        proxy_admin_url: Set(proxy.clone()),
        ingress_address: Set(ingress_address.clone()),
        cluster_issuer: Set(input.cluster_issuer.clone()),
        ingress_class: Set(input.ingress_class.clone()),
        version: Set(row.version + 1),
        ..Default::default()
    };
    active.credentials = credentials_change(core, &row, &patch, &engine)?;
    if let Some(probed) = &probed {
        active.engine = Set(probed.engine.clone());
        active.last_test_at = Set(Some(txn.now()));
        active.last_test_ok = Set(Some(true));
        active.last_test_detail = Set(Some(probed.detail.clone()));
    }
    let saved = target::Entity::update(active).exec(&txn).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "target.update")
        .target("target", row.id.clone())
        .scope(&scope_of(&row.client_id, row.project_id.as_ref()))
        .details(serde_json::json!({
            "before": {
                "name": row.name, "address": row.address,
                "proxy_admin_url": row.proxy_admin_url, "ingress_address": row.ingress_address,
                "cluster_issuer": row.cluster_issuer, "ingress_class": row.ingress_class,
            },
            "after": {
                "name": saved.name, "address": saved.address,
                "proxy_admin_url": saved.proxy_admin_url,
                "ingress_address": saved.ingress_address,
                "cluster_issuer": saved.cluster_issuer, "ingress_class": saved.ingress_class,
            },
            "credentials_replaced": patch.kubeconfig.is_some() || patch.tls.is_some()
                || patch.ssh.is_some(),
            "has_credentials": saved.credentials.is_some(),
        }));
    txn.commit(core, meta, entry).await?;
    if saved.proxy_admin_url != row.proxy_admin_url {
        move_routes(core, &saved, row.proxy_admin_url.as_deref()).await;
    }
    Ok(to_dto(saved))
}

/// Sets the route of every environment serving on `target` in its (new) proxy, and removes
/// it from the proxy it had before. Best effort: a route that could not be set is logged,
/// and set by the environment's next deploy or restart.
async fn move_routes(core: &Core, target: &target::Model, before: Option<&str>) {
    let Some(deployer) = core.deployer.clone() else {
        return;
    };
    let Ok(envs) = crate::entities::environment::Entity::find()
        .filter(crate::entities::environment::Column::TargetId.eq(target.id.as_str()))
        .filter(crate::entities::environment::Column::LiveReleaseId.is_not_null())
        // A preview being deleted gets no route back.
        .filter(crate::entities::environment::Column::DeleteJobId.is_null())
        .all(&core.db)
        .await
    else {
        return;
    };
    for env in envs {
        let route_id = format!("gmac-env-{}", env.id);
        let live = crate::entities::release::Entity::find_by_id(
            env.live_release_id.clone().unwrap_or_default(),
        )
        .one(&core.db)
        .await
        .ok()
        .flatten()
        .filter(|live| live.target_id.as_deref() == Some(target.id.as_str()));
        let owner = crate::services::catalog::find(&core.db, &env.service_id).await;
        let route = match (live.and_then(|l| l.upstream), owner) {
            (Some(upstream), Ok(owner)) => {
                crate::services::domains::hosts_of(&core.db, &owner, &env)
                    .await
                    .ok()
                    .map(|hosts| crate::ports::ProxyRoute {
                        id: route_id.clone(),
                        hosts,
                        upstream,
                    })
            }
            _ => None,
        };
        // The new proxy first: the old one keeps routing until the new one does.
        if let Some(admin) = &target.proxy_admin_url {
            let Some(route) = &route else {
                tracing::warn!(environment = %env.id, "the live release's route is not known; the next deploy sets it in the new proxy");
                continue;
            };
            if let Err(e) = deployer.route(admin, route).await {
                tracing::warn!(environment = %env.id, error = %e, "the new proxy has no route yet; the next deploy sets it");
                continue;
            }
        }
        if let Some(old) = before {
            if let Err(e) = deployer.unroute(old, &route_id).await {
                tracing::warn!(environment = %env.id, error = %e, "the old proxy kept its route");
            }
            // Set once more: the "new" proxy may be the old one under another name.
            if let (Some(admin), Some(route)) = (&target.proxy_admin_url, &route) {
                let _ = deployer.route(admin, route).await;
            }
        }
    }
}

/// Forgets a target.
pub async fn delete(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<()> {
    let row = find(core, actor, id, Permission::TargetsManage).await?;
    let txn = Change::begin(core).await?;
    let used = crate::entities::environment::Entity::find()
        .filter(crate::entities::environment::Column::TargetId.eq(id))
        .count(&txn)
        .await?;
    if used > 0 {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!(
                "{used} environment(s) deploy to this target: choose another target for them first."
            ),
        ));
    }
    db::deleted_one(&target::Entity::delete_by_id(id).exec(&txn).await?)?;
    let entry = AuditEntry::success(actor.audit_actor(), "target.delete")
        .target("target", id.to_owned())
        .scope(&scope_of(&row.client_id, row.project_id.as_ref()))
        .details(serde_json::json!({"before": {
            "name": row.name, "kind": row.kind, "address": row.address,
        }}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_dns_labels_of_their_own() {
        let one = "0193a5b2-7c1d-7e00-8f00-00000000abcd";
        assert_eq!(
            namespace_of("Web_App", "staging", one),
            "gmac-web-app-staging-0000abcd"
        );
        let long = namespace_of(
            &"x".repeat(80),
            "production",
            "0193a5b2-0000-0000-0000-0000000000ff",
        );
        assert!(
            long.len() <= 63 && long.ends_with("-production-000000ff"),
            "{long}"
        );
        // The same service name in another environment is another namespace.
        let other = "0193a5b2-7c1d-7e00-8f00-00000000beef";
        assert_ne!(
            namespace_of("web", "staging", one),
            namespace_of("web", "staging", other)
        );
    }

    #[test]
    fn an_engine_address_is_a_socket_path_or_a_host_and_port() {
        for ok in [
            "unix:///run/podman/podman.sock",
            "unix:///var/run/docker.sock",
            "tcp://10.0.0.5:2375",
            "tcp://docker.internal:2375",
            "tcp://[::1]:2376",
            "tcp://engine.example:80",
        ] {
            assert!(address_ok(ok), "{ok}");
        }
        for bad in [
            "",
            "unix://relative.sock",
            "unix:///",
            "tcp://10.0.0.5",
            "tcp://user:pw@host:2375",
            "tcp://host:2375/path",
            // What a URL parser mends is not what is dialled.
            "tcp://host:2376/.",
            "tcp://host:2376\\",
            "tcp://host:02376",
            "http://host:2375",
            "ssh://host",
            "unix:///run/\nx.sock",
        ] {
            assert!(!address_ok(bad), "{bad:?}");
        }
        assert!(admin_url_ok("http://127.0.0.1:2019"));
        assert!(!admin_url_ok("ftp://127.0.0.1:2019"));
        assert!(!admin_url_ok("http://a:b@127.0.0.1:2019"));
    }
}
