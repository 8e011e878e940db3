//! Custom domains (issue 12, point 6): the names an environment answers besides its own
//! `.localhost` host.
//!
//! A domain says the DNS record to create (from its target's ingress address). A check asks
//! the configured resolver where the name points: once it points at the target, the domain is
//! verified and routed (at once on a container host's proxy; on a cluster, its Ingress gets it
//! with the next deploy or restart); a verified domain that no longer points here is
//! `failing`, and stays routed, so that a DNS hiccup drops no traffic. A pointing domain's
//! certificate is read over TLS: its status and expiry are kept, and an event warns once per
//! certificate when it nears its end. Every domain is checked again each day.
//!
//! Seeing domains needs `services.view` on the service; adding, removing and checking them
//! need the permission that deploys to the environment (`deploys.production` for production).

use std::net::{IpAddr, SocketAddr};

use chrono::{DateTime, Utc};
use gmac_types::domains::{EXPIRY_WARNING_DAYS, domain_name};
use gmac_types::{
    DnsRecord, Domain, DomainStatus, ErrorCode, NewDomain, Page, PageQuery, TlsState, TlsStatus,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use crate::audit::AuditEntry;
use crate::entities::{domain, environment, service, target};
use crate::platform::change::Change;
use crate::platform::events::{self, NewEvent};
use crate::platform::paging;
use crate::services::{catalog, environments};
use crate::{Actor, Core, Error, RequestMeta, Result};

/// Most domains an environment may have.
const MAX_PER_ENVIRONMENT: u64 = 20;

/// A target's ingress address read as `(host, https port)`: an IP address or a host name,
/// with `:port` when HTTPS is not on 443.
pub fn ingress_of(text: &str) -> Option<(String, u16)> {
    let text = text.trim().to_ascii_lowercase();
    if let Ok(at) = text.parse::<SocketAddr>() {
        return Some((at.ip().to_string(), at.port()));
    }
    if let Ok(ip) = text.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Some((ip.to_string(), 443));
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (host, port.parse::<u16>().ok().filter(|p| *p > 0)?),
        None => (text.as_str(), 443),
    };
    domain_name("ingress_address", host)
        .ok()
        .map(|host| (host, port))
}

/// The record a domain needs, pointing at `ingress`.
fn record_for(name: &str, ingress: Option<&str>) -> Option<DnsRecord> {
    let (host, _) = ingress_of(ingress?)?;
    let kind = match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => "A",
        Ok(IpAddr::V6(_)) => "AAAA",
        Err(_) => "CNAME",
    };
    Some(DnsRecord {
        kind: kind.to_owned(),
        name: name.to_owned(),
        value: host,
    })
}

/// The name of a domain's challenge record.
fn challenge_name(name: &str) -> String {
    format!("_gmac-challenge.{name}")
}

fn to_dto(row: domain::Model, ingress: Option<&str>) -> Domain {
    Domain {
        record: record_for(&row.name, ingress),
        challenge: DnsRecord {
            kind: "TXT".to_owned(),
            name: challenge_name(&row.name),
            value: row.token.clone(),
        },
        status: DomainStatus::from_id(&row.status).unwrap_or(DomainStatus::Pending),
        addresses: serde_json::from_str(&row.addresses).unwrap_or_default(),
        tls: row
            .tls_status
            .as_deref()
            .and_then(TlsStatus::from_id)
            .map(|status| TlsState {
                status,
                expires_at: row.tls_expires_at,
                issuer: row.tls_issuer.clone(),
                detail: row.tls_detail.clone(),
            }),
        id: row.id,
        environment_id: row.environment_id,
        name: row.name,
        verified_at: row.verified_at,
        checked_at: row.checked_at,
        error: row.error,
        created_by: row.created_by,
        created_at: row.created_at,
        version: row.version,
    }
}

/// The host names an environment's route answers: its own `.localhost` host, and its domains
/// that point (or pointed) at its target.
pub async fn hosts_of(
    conn: &impl ConnectionTrait,
    owner: &service::Model,
    env: &environment::Model,
) -> Result<Vec<String>> {
    let mut hosts = vec![environments::host_of(&owner.name, env)];
    let rows = domain::Entity::find()
        .filter(domain::Column::EnvironmentId.eq(env.id.as_str()))
        .filter(domain::Column::Status.ne(DomainStatus::Pending.id()))
        .order_by_asc(domain::Column::Name)
        .all(conn)
        .await?;
    hosts.extend(rows.into_iter().map(|r| r.name));
    Ok(hosts)
}

/// The ingress address of the environment's target, if it has one.
async fn ingress_address(
    conn: &impl ConnectionTrait,
    env: &environment::Model,
) -> Result<Option<String>> {
    let Some(target_id) = &env.target_id else {
        return Ok(None);
    };
    Ok(target::Entity::find_by_id(target_id.as_str())
        .one(conn)
        .await?
        .and_then(|t| t.ingress_address))
}

/// An environment's domains, by name.
pub async fn list(
    core: &Core,
    actor: &Actor,
    environment_id: &str,
    page: &PageQuery,
) -> Result<Page<Domain>> {
    let (env, _) = environments::visible(core, actor, environment_id).await?;
    let ingress = ingress_address(&core.db, &env).await?;
    let rows = domain::Entity::find()
        .filter(domain::Column::EnvironmentId.eq(environment_id))
        .order_by_asc(domain::Column::Name)
        .all(&core.db)
        .await?;
    let items = rows
        .into_iter()
        .map(|r| to_dto(r, ingress.as_deref()))
        .collect();
    paging::page_in_memory(items, page, |d: &Domain| d.name.clone())
}

/// A domain and its environment, for an actor who sees the environment; 404 otherwise.
async fn visible(
    core: &Core,
    actor: &Actor,
    id: &str,
) -> Result<(domain::Model, environment::Model, service::Model)> {
    if !crate::ids::is_id(id) {
        return Err(Error::NotFound);
    }
    let row = domain::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    let (env, owner) = environments::visible(core, actor, &row.environment_id).await?;
    Ok((row, env, owner))
}

/// One domain.
pub async fn get(core: &Core, actor: &Actor, id: &str) -> Result<Domain> {
    let (row, env, _) = visible(core, actor, id).await?;
    let ingress = ingress_address(&core.db, &env).await?;
    Ok(to_dto(row, ingress.as_deref()))
}

/// Adds a domain to an environment; it is checked at once, and answered as that check left it.
pub async fn create(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    environment_id: &str,
    input: NewDomain,
) -> Result<Domain> {
    let (env, owner) = environments::visible(core, actor, environment_id).await?;
    let scope = catalog::target_of(&owner);
    environments::require_deploy(actor, &env, &owner)?;
    let name = domain_name("name", &input.name).map_err(Error::invalid)?;
    let own_host = url::Url::parse(&core.public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    if own_host.as_deref() == Some(name.as_str()) {
        return Err(Error::invalid(gmac_types::FieldError::new(
            "name",
            "reserved",
            "This is gmac's own address.",
        )));
    }
    let txn = Change::begin(core).await?;
    environments::lock(&txn, &env.id).await?;
    let env = environments::find(&txn, &env.id).await?;
    let same_name = domain::Entity::find()
        .filter(domain::Column::Name.eq(name.as_str()))
        .all(&txn)
        .await?;
    // A name waiting for its proof blocks no one: whoever proves it first holds it.
    if same_name
        .iter()
        .any(|d| d.environment_id == env.id || d.status != DomainStatus::Pending.id())
    {
        return Err(Error::conflict(
            ErrorCode::NameTaken,
            "This domain is already added to this environment, or verified for another: remove it there first.",
        ));
    }
    let count = domain::Entity::find()
        .filter(domain::Column::EnvironmentId.eq(env.id.as_str()))
        .count(&txn)
        .await?;
    if count >= MAX_PER_ENVIRONMENT {
        return Err(Error::invalid(gmac_types::FieldError::new(
            "name",
            "too_many",
            format!("An environment has at most {MAX_PER_ENVIRONMENT} domains."),
        )));
    }
    let row = domain::Model {
        id: core.new_id(),
        environment_id: env.id.clone(),
        name,
        token: crate::auth::tokens::generate_token(),
        status: DomainStatus::Pending.id().to_owned(),
        verified_at: None,
        checked_at: None,
        addresses: "[]".to_owned(),
        error: None,
        tls_status: None,
        tls_expires_at: None,
        tls_issuer: None,
        tls_detail: None,
        expiry_warned_for: None,
        created_by: actor.user_id.clone(),
        created_at: txn.now(),
        version: 1,
    };
    domain::Entity::insert(domain::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "domain.create")
        .target("domain", row.id.clone())
        .scope(&scope)
        .details(serde_json::json!({
            "environment_id": env.id, "environment": env.name, "service_id": owner.id,
            "name": row.name,
        }));
    txn.commit(core, meta, entry).await?;
    match verify_row(core, Some((actor, meta)), row.clone()).await {
        Err(e @ Error::NotFound) => Err(e),
        // Added, and checked again at will: the check's failure is no failure to add it.
        Err(e) => {
            tracing::warn!(domain = %row.id, error = %e, "a new domain's first check failed");
            let ingress = ingress_address(&core.db, &env).await?;
            Ok(to_dto(row, ingress.as_deref()))
        }
        ok => ok,
    }
}

/// Removes a domain: its route goes with it at once on a container host.
pub async fn delete(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<()> {
    let (row, env, owner) = visible(core, actor, id).await?;
    environments::require_deploy(actor, &env, &owner)?;
    let txn = Change::begin(core).await?;
    environments::lock(&txn, &env.id).await?;
    let deleted = domain::Entity::delete_by_id(row.id.as_str())
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    let entry = AuditEntry::success(actor.audit_actor(), "domain.delete")
        .target("domain", row.id.clone())
        .scope(&catalog::target_of(&owner))
        .details(serde_json::json!({
            "environment_id": env.id, "environment": env.name, "service_id": owner.id,
            "name": row.name, "status": row.status,
        }));
    txn.commit(core, meta, entry).await?;
    if row.status != DomainStatus::Pending.id() {
        reroute(core, &env.id).await;
    }
    Ok(())
}

/// Checks a domain now: where it points and, when it points here, its certificate.
pub async fn verify(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<Domain> {
    let (row, env, owner) = visible(core, actor, id).await?;
    environments::require_deploy(actor, &env, &owner)?;
    verify_row(core, Some((actor, meta)), row).await
}

/// What one check found.
struct Finding {
    /// The addresses the name resolved to, as shown: one outside the ingress and where gmac may connect is an
    /// internal address, not named.
    shown: Vec<String>,
    /// Why it does not point here (or why that could not be told).
    error: Option<String>,
    /// The check could not tell (the resolver failed): the domain's status stays as it was.
    unsure: bool,
    tls: Option<TlsState>,
}

impl Finding {
    fn failed(error: impl Into<String>, unsure: bool) -> Self {
        Self {
            shown: Vec::new(),
            error: Some(error.into()),
            unsure,
            tls: None,
        }
    }
}

/// How long one check may take in all.
const CHECK_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Asks whether `row` is held by whoever added it (its challenge record, until it was first
/// verified) and points at `ingress`; when it does, which certificate it answers with.
async fn look(core: &Core, row: &domain::Model, ingress: Option<&str>) -> Finding {
    let Some((ingress_host, https_port)) = ingress.and_then(ingress_of) else {
        return Finding::failed(
            "The environment's target has no ingress address (or it has no target yet), so gmac cannot tell where the domain should point: register the target with one.",
            false,
        );
    };
    let Some(checker) = core.domains.as_ref() else {
        return Finding::failed("gmac has no DNS resolver configured", true);
    };
    let name = row.name.as_str();
    if row.verified_at.is_none()
        && let Some(unproven) = unproven(checker.as_ref(), row).await
    {
        return unproven;
    }
    let expected = match expected_addresses(checker.as_ref(), &ingress_host).await {
        Ok(expected) => expected,
        Err(unsure) => return unsure,
    };
    let addresses = match checker.resolve(name).await {
        Ok(found) if !found.is_empty() => found,
        Ok(_) => return Finding::failed(format!("{name} has no address"), false),
        Err(failure) => return Finding::failed(failure.message, !failure.missing),
    };
    let mut shown: Vec<String> = Vec::new();
    for a in &addresses {
        let said = if expected.contains(a) || core.egress.permits(*a) {
            a.to_string()
        } else {
            "an internal address".to_owned()
        };
        if !shown.contains(&said) {
            shown.push(said);
        }
    }
    // An address names the one place traffic must reach; a name (a load balancer's) answers
    // some of its addresses at a time.
    let pointing = if ingress_host.parse::<IpAddr>().is_ok() {
        addresses.iter().all(|a| expected.contains(a))
    } else {
        addresses.iter().any(|a| expected.contains(a))
    };
    if !pointing {
        return Finding {
            error: Some(format!(
                "{name} resolves to {}, not to the target's ingress address {ingress_host}",
                shown.join(", ")
            )),
            shown,
            unsure: false,
            tls: None,
        };
    }
    let at = addresses
        .iter()
        .find(|a| expected.contains(a))
        .copied()
        .unwrap_or(addresses[0]);
    let tls = certificate_state(
        core,
        checker.as_ref(),
        name,
        SocketAddr::new(at, https_port),
    )
    .await;
    Finding {
        shown,
        error: None,
        unsure: false,
        tls: Some(tls),
    }
}

/// Why `row` is not shown to be held by whoever added it (its challenge record missing), or
/// `None` when it is.
async fn unproven(
    checker: &dyn crate::ports::DomainChecker,
    row: &domain::Model,
) -> Option<Finding> {
    let challenge = challenge_name(&row.name);
    match checker.txt(&challenge).await {
        Ok(texts) if texts.iter().any(|t| t.trim() == row.token) => None,
        Err(failure) if !failure.missing => Some(Finding::failed(failure.message, true)),
        _ => Some(Finding::failed(
            format!(
                "Create the TXT record {challenge} with the value {} to show the domain is yours.",
                row.token
            ),
            false,
        )),
    }
}

/// The addresses the ingress address stands for; a finding that could not tell otherwise.
async fn expected_addresses(
    checker: &dyn crate::ports::DomainChecker,
    ingress_host: &str,
) -> std::result::Result<Vec<IpAddr>, Finding> {
    if let Ok(ip) = ingress_host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    match checker.resolve(ingress_host).await {
        Ok(found) if !found.is_empty() => Ok(found),
        Ok(_) => Err(Finding::failed(
            format!("The ingress address {ingress_host} has no address"),
            true,
        )),
        Err(failure) => Err(Finding::failed(
            format!("The ingress address does not resolve: {}", failure.message),
            true,
        )),
    }
}

/// The certificate `name` answers with at `at`, as a state.
async fn certificate_state(
    core: &Core,
    checker: &dyn crate::ports::DomainChecker,
    name: &str,
    at: SocketAddr,
) -> TlsState {
    match checker.certificate(name, at).await {
        Ok(seen) => TlsState {
            status: tls_status(core.now(), seen.not_after, seen.untrusted.is_some()),
            expires_at: Some(seen.not_after),
            issuer: Some(seen.issuer),
            detail: seen.untrusted,
        },
        Err(why) => TlsState {
            status: TlsStatus::Missing,
            expires_at: None,
            issuer: None,
            detail: Some(why),
        },
    }
}

/// What a certificate ending at `not_after` amounts to at `now`.
fn tls_status(now: DateTime<Utc>, not_after: DateTime<Utc>, untrusted: bool) -> TlsStatus {
    if not_after <= now {
        TlsStatus::Expired
    } else if untrusted {
        TlsStatus::Untrusted
    } else if not_after - now < chrono::Duration::days(EXPIRY_WARNING_DAYS) {
        TlsStatus::Expiring
    } else {
        TlsStatus::Valid
    }
}

/// Checks `row` and saves what was found; by an actor (audited) or by gmac's daily check.
/// A domain whose pointing changed is routed (or unrouted) at once on a container host.
async fn verify_row(
    core: &Core,
    by: Option<(&Actor, &RequestMeta)>,
    row: domain::Model,
) -> Result<Domain> {
    let env = environments::find(&core.db, &row.environment_id).await?;
    let ingress = ingress_address(&core.db, &env).await?;
    let found = tokio::time::timeout(CHECK_LIMIT, look(core, &row, ingress.as_deref()))
        .await
        .unwrap_or_else(|_| Finding::failed("The check took longer than 30 s.", true));
    let owner = catalog::find(&core.db, &env.service_id).await?;
    let txn = Change::begin(core).await?;
    environments::lock(&txn, &env.id).await?;
    let Some(current) = domain::Entity::find_by_id(row.id.as_str())
        .one(&txn)
        .await?
    else {
        // Removed while it was being checked.
        return Err(Error::NotFound);
    };
    let now = txn.now();
    let held_elsewhere = current.status == DomainStatus::Pending.id()
        && domain::Entity::find()
            .filter(domain::Column::Name.eq(current.name.as_str()))
            .filter(domain::Column::Id.ne(current.id.as_str()))
            .filter(domain::Column::Status.ne(DomainStatus::Pending.id()))
            .one(&txn)
            .await?
            .is_some();
    let found = if held_elsewhere {
        Finding::failed(
            "This name is verified for another environment: remove it there first.",
            false,
        )
    } else {
        found
    };
    let pointing = found.error.is_none();
    let before = DomainStatus::from_id(&current.status).unwrap_or(DomainStatus::Pending);
    let status = match (pointing, before) {
        (true, _) => DomainStatus::Verified,
        // A check that could not tell (the resolver failed) changes nothing.
        (false, _) if found.unsure => before,
        (false, DomainStatus::Pending) => DomainStatus::Pending,
        (false, _) => DomainStatus::Failing,
    };
    // A check that could not tell keeps what the last one saw.
    let addresses = if found.unsure {
        serde_json::from_str(&current.addresses).unwrap_or_default()
    } else {
        found.shown.clone()
    };
    let (tls_status, tls_expires_at, tls_issuer, tls_detail) = match &found.tls {
        Some(tls) => (
            Some(tls.status.id().to_owned()),
            tls.expires_at,
            tls.issuer.clone(),
            tls.detail.clone(),
        ),
        // Not pointing here: what was last seen of its certificate is kept.
        None => (
            current.tls_status.clone(),
            current.tls_expires_at,
            current.tls_issuer.clone(),
            current.tls_detail.clone(),
        ),
    };
    let warn = tls_expires_at.filter(|end| {
        *end - now < chrono::Duration::days(EXPIRY_WARNING_DAYS)
            && found.tls.is_some()
            && current.expiry_warned_for != Some(*end)
    });
    let saved = domain::Entity::update(domain::ActiveModel {
        id: Set(current.id.clone()),
        status: Set(status.id().to_owned()),
        verified_at: Set(current.verified_at.or(pointing.then_some(now))),
        checked_at: Set(Some(now)),
        addresses: Set(serde_json::to_string(&addresses).unwrap_or_else(|_| "[]".to_owned())),
        error: Set(found.error.clone()),
        tls_status: Set(tls_status),
        tls_expires_at: Set(tls_expires_at),
        tls_issuer: Set(tls_issuer),
        tls_detail: Set(tls_detail),
        expiry_warned_for: Set(warn.or(current.expiry_warned_for)),
        version: Set(current.version + 1),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    record_check(
        core,
        txn,
        by,
        &saved,
        (&env, &owner),
        (before, status, warn),
    )
    .await?;
    if (before == DomainStatus::Pending) != (status == DomainStatus::Pending) {
        reroute(core, &env.id).await;
    }
    Ok(to_dto(saved, ingress.as_deref()))
}

/// Writes what a check changed: its events (a status change, a certificate's nearing end) and,
/// for an actor's check, its audit row; and commits.
async fn record_check(
    core: &Core,
    txn: Change,
    by: Option<(&Actor, &RequestMeta)>,
    saved: &domain::Model,
    (env, owner): (&environment::Model, &service::Model),
    (before, status, warn): (DomainStatus, DomainStatus, Option<DateTime<Utc>>),
) -> Result<()> {
    let now = txn.now();
    let addresses: Vec<String> = serde_json::from_str(&saved.addresses).unwrap_or_default();
    let scope = catalog::target_of(owner);
    if let Some(end) = warn {
        events::append(
            &txn,
            now,
            NewEvent {
                event_type: "domain.tls_expiring".to_owned(),
                target: scope.clone(),
                subject: Some(("domain".to_owned(), saved.id.clone())),
                actor_id: None,
                data: serde_json::json!({
                    "domain_id": saved.id, "name": saved.name, "environment_id": env.id,
                    "service_id": owner.id, "expires_at": end,
                    "issuer": saved.tls_issuer, "status": saved.tls_status,
                }),
            },
        )
        .await?;
    }
    let details = serde_json::json!({
        "environment_id": env.id, "service_id": owner.id, "name": saved.name,
        "before": before.id(), "status": status.id(), "addresses": addresses,
        "error": saved.error, "tls_status": saved.tls_status,
    });
    if before != status {
        events::append(
            &txn,
            now,
            NewEvent {
                event_type: "domain.status_changed".to_owned(),
                target: scope.clone(),
                subject: Some(("domain".to_owned(), saved.id.clone())),
                actor_id: by.map(|(actor, _)| actor.user_id.clone()),
                data: details.clone(),
            },
        )
        .await?;
    }
    match by {
        Some((actor, meta)) => {
            let entry = AuditEntry::success(actor.audit_actor(), "domain.verify")
                .target("domain", saved.id.clone())
                .scope(&scope)
                .details(details);
            txn.commit(core, meta, entry).await?;
        }
        None => txn.commit_unaudited().await?,
    }
    Ok(())
}

/// Sets the host names of the environment's proxy route to its hosts now, when it is on a
/// container host with a proxy; where the route sends requests is left as it is (a rollout
/// may be moving it). Best effort: a cluster's Ingress, and a proxy that cannot be reached
/// now, get the hosts with the next deploy or restart.
async fn reroute(core: &Core, environment_id: &str) {
    let Some(deployer) = core.deployer.clone() else {
        return;
    };
    let Ok(env) = environments::find(&core.db, environment_id).await else {
        return;
    };
    let Some(target_id) = &env.target_id else {
        return;
    };
    let (Ok(Some(target)), Ok(owner)) = (
        target::Entity::find_by_id(target_id.as_str())
            .one(&core.db)
            .await,
        catalog::find(&core.db, &env.service_id).await,
    ) else {
        return;
    };
    let Some(admin) = &target.proxy_admin_url else {
        return;
    };
    let Ok(hosts) = hosts_of(&core.db, &owner, &env).await else {
        return;
    };
    if let Err(e) = deployer
        .route_hosts(admin, &format!("gmac-env-{}", env.id), &hosts)
        .await
    {
        tracing::warn!(environment = %env.id, error = %e, "the proxy's route kept its hosts; the next deploy sets them");
    }
}

/// Checks every domain again (the daily schedule): answers how many were checked.
pub async fn check_all(core: &Core) -> Result<usize> {
    let rows = domain::Entity::find()
        .order_by_asc(domain::Column::Id)
        .all(&core.db)
        .await?;
    let mut checked = 0;
    let mut routed = std::collections::BTreeSet::new();
    for row in rows {
        let id = row.id.clone();
        match verify_row(core, None, row).await {
            Ok(domain) => {
                checked += 1;
                if domain.status != DomainStatus::Pending {
                    routed.insert(domain.environment_id);
                }
            }
            Err(Error::NotFound) => {}
            // One domain's trouble does not hold up the others'.
            Err(e) => tracing::warn!(domain = %id, error = %e, "a domain could not be checked"),
        }
    }
    // A route a proxy missed (it could not be reached when a domain changed) is set again.
    for environment_id in routed {
        reroute(core, &environment_id).await;
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ingress_address_is_an_ip_or_a_name_with_an_optional_https_port() {
        assert_eq!(
            ingress_of("203.0.113.10"),
            Some(("203.0.113.10".into(), 443))
        );
        assert_eq!(
            ingress_of("127.0.0.1:8443"),
            Some(("127.0.0.1".into(), 8443))
        );
        assert_eq!(
            ingress_of("[2001:db8::1]:8443"),
            Some(("2001:db8::1".into(), 8443))
        );
        assert_eq!(ingress_of("2001:db8::1"), Some(("2001:db8::1".into(), 443)));
        assert_eq!(
            ingress_of("LB.example.com"),
            Some(("lb.example.com".into(), 443))
        );
        assert_eq!(ingress_of("lb.example.com:0"), None);
        assert_eq!(ingress_of("lb.example.com:x"), None);
        assert_eq!(ingress_of("http://lb.example.com"), None);
        assert_eq!(ingress_of("lb"), None);
    }

    #[test]
    fn the_record_to_create_follows_the_kind_of_ingress_address() {
        let kind = |ingress| record_for("shop.example.com", Some(ingress)).map(|r| r.kind);
        assert_eq!(kind("203.0.113.10").as_deref(), Some("A"));
        assert_eq!(kind("[2001:db8::1]:8443").as_deref(), Some("AAAA"));
        let cname = record_for("shop.example.com", Some("lb.example.com:8443")).unwrap();
        assert_eq!(
            (cname.kind.as_str(), cname.value.as_str()),
            ("CNAME", "lb.example.com")
        );
        assert_eq!(record_for("shop.example.com", None), None);
    }

    #[test]
    fn a_certificate_is_expired_then_untrusted_then_expiring_then_valid() {
        let now = DateTime::parse_from_rfc3339("2026-12-06T00:00:00Z")
            .unwrap()
            .to_utc();
        let days = chrono::Duration::days;
        assert_eq!(tls_status(now, now - days(1), false), TlsStatus::Expired);
        assert_eq!(tls_status(now, now - days(1), true), TlsStatus::Expired);
        assert_eq!(tls_status(now, now + days(60), true), TlsStatus::Untrusted);
        assert_eq!(tls_status(now, now + days(13), false), TlsStatus::Expiring);
        assert_eq!(tls_status(now, now + days(14), false), TlsStatus::Valid);
    }
}
