//! Git connections: the hosts a service's repository is created on (issue 11, point 4).
//!
//! A connection is the installation's (any service may use it) or one client's. Its token is
//! sealed under the master key, bound to the row, and never returned: only its last four
//! characters, to tell tokens apart. Gitea and GitHub connections are tested before they are
//! saved: the host must accept the token, and the account it signs in as is kept.

use gmac_types::{
    FieldError, GitConnection, GitConnectionTest, GitProvider, NewGitConnection, Permission,
};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter};

use crate::access::Target;
use crate::audit::AuditEntry;
use crate::entities::git_connection;
use crate::platform::change::Change;
use crate::platform::paging;
use crate::ports::GitHostAccess;
use crate::services::clients;
use crate::{Actor, Core, Error, RequestMeta, Result, db};

/// The longest token accepted (GitHub's fine-grained tokens are 93 characters).
const MAX_TOKEN: usize = 1000;

fn to_dto(row: git_connection::Model) -> GitConnection {
    GitConnection {
        provider: GitProvider::from_id(&row.provider).unwrap_or(GitProvider::Git),
        last_test: row.last_test_at.map(|tested_at| GitConnectionTest {
            tested_at,
            ok: row.last_test_ok.unwrap_or(false),
            detail: row.last_test_detail.clone().unwrap_or_default(),
        }),
        id: row.id,
        client_id: row.client_id,
        name: row.name,
        base_url: row.base_url,
        token_hint: row.token_hint,
        account: row.account,
        created_at: row.created_at,
        version: row.version,
    }
}

fn target_of(client_id: Option<&String>) -> Target {
    client_id.map_or(Target::Global, |id| Target::Client(id.clone()))
}

/// Checks the request; answers the trimmed base URL, token and name.
fn check(input: &NewGitConnection) -> std::result::Result<Checked, Vec<FieldError>> {
    let mut problems = Vec::new();
    let base_url = input.base_url.trim().trim_end_matches('/').to_owned();
    let host = url::Url::parse(&base_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .filter(|u| u.username().is_empty() && u.password().is_none())
        .filter(|u| u.query().is_none() && u.fragment().is_none())
        .and_then(|u| u.host_str().map(str::to_owned));
    if host.is_none() || base_url.len() > 2000 {
        problems.push(FieldError::new(
            "base_url",
            "invalid_url",
            "The address is an http:// or https:// URL of at most 2000 characters, without a user name, query or fragment.",
        ));
    }
    let token = input
        .token
        .as_ref()
        .map(|t| t.expose().trim().to_owned())
        .filter(|t| !t.is_empty());
    match &token {
        None if input.provider != GitProvider::Git => problems.push(FieldError::new(
            "token",
            "required",
            format!(
                "{} needs an access token that may create repositories and webhooks.",
                input.provider.label()
            ),
        )),
        Some(t) if t.len() > MAX_TOKEN || t.chars().any(char::is_control) => {
            problems.push(FieldError::new(
                "token",
                "invalid",
                "A token is at most 1000 characters, on one line.",
            ));
        }
        _ => {}
    }
    let name = match input.name.as_deref() {
        Some(name) => gmac_types::validation::Name::parse("name", name)
            .map(|n| n.as_str().to_owned())
            .map_err(|e| problems.push(e))
            .ok(),
        None => host
            .clone()
            .map(|h| format!("{} ({h})", input.provider.label())),
    };
    match (problems.is_empty(), name) {
        (true, Some(name)) => Ok(Checked {
            base_url,
            token,
            name,
        }),
        _ => Err(problems),
    }
}

struct Checked {
    base_url: String,
    token: Option<String>,
    name: String,
}

/// Connects a git host. Needs `services.manage` on the client, or everywhere for a connection
/// of the whole installation. Gitea and GitHub tokens are tested first: nothing is saved
/// unless the host accepts the token.
pub async fn create(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewGitConnection,
) -> Result<GitConnection> {
    let target = target_of(input.client_id.as_ref());
    match &input.client_id {
        Some(id) => {
            actor.require_on(Permission::ServicesManage, &target)?;
            clients::find(&core.db, id).await?;
        }
        None => actor.require(Permission::ServicesManage, &target)?,
    }
    let checked = check(&input).map_err(Error::Validation)?;
    if let Err(denied) = core.egress.check_url(&checked.base_url).await {
        return Err(Error::invalid(FieldError::new(
            "base_url",
            "egress_denied",
            format!("gmac may not connect there: {denied}."),
        )));
    }
    let account = if input.provider == GitProvider::Git {
        None
    } else {
        let hosts = core
            .git_hosts
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no git host connector is configured"))?;
        let access = GitHostAccess {
            provider: input.provider,
            base_url: checked.base_url.clone(),
            token: checked.token.clone(),
        };
        match hosts.account(&access).await {
            Ok(login) => Some(login),
            Err(e) => {
                return Err(Error::invalid(FieldError::new(
                    "token",
                    "connection_failed",
                    format!(
                        "{} did not accept this token, so nothing was saved: {e}",
                        input.provider.label()
                    ),
                )));
            }
        }
    };
    let now = core.now();
    let id = core.new_id();
    let sealed_token = match &checked.token {
        Some(token) => Some(core.sealer.seal(token.as_bytes(), &binding(&id))?),
        None => None,
    };
    let row = git_connection::Model {
        id: id.clone(),
        client_id: input.client_id.clone(),
        name: checked.name,
        provider: input.provider.id().to_owned(),
        base_url: checked.base_url,
        sealed_token,
        token_hint: checked.token.as_deref().and_then(hint),
        last_test_at: account.as_ref().map(|_| now),
        last_test_ok: account.as_ref().map(|_| true),
        last_test_detail: account
            .as_ref()
            .map(|login| format!("Signed in as {login}.")),
        account,
        created_by: actor.user_id.clone(),
        created_at: now,
        version: 1,
    };
    let txn = Change::begin(core).await?;
    git_connection::Entity::insert(git_connection::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "git_connection.create")
        .target("git_connection", id.clone())
        .scope(&target)
        .details(serde_json::json!({"after": {
            "name": row.name, "provider": row.provider, "base_url": row.base_url,
            "token_hint": row.token_hint, "account": row.account,
        }}));
    txn.commit(core, meta, entry).await?;
    Ok(to_dto(row))
}

/// A token's last four characters, to tell tokens apart; none for a token under 12
/// characters, of which four would give away a third or more.
fn hint(token: &str) -> Option<String> {
    (token.chars().count() >= 12).then(|| crate::crypto::last_four(token))
}

/// The connections the actor may use: the installation's (to anyone who sees services
/// somewhere) and those of the clients whose services they see; `client_id` narrows to one
/// client's and the installation's.
pub async fn list(
    core: &Core,
    actor: &Actor,
    client_id: Option<&str>,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<GitConnection>> {
    actor.ensure_enrolled()?;
    let visible = actor.permissions.visible(Permission::ServicesView);
    let mut select = git_connection::Entity::find();
    if visible.is_nothing() {
        return Ok(gmac_types::Page {
            items: Vec::new(),
            next_cursor: None,
            total: 0,
        });
    }
    if let Some(id) = client_id {
        actor.require_on(Permission::ServicesView, &Target::Client(id.to_owned()))?;
        select = select.filter(
            Condition::any()
                .add(git_connection::Column::ClientId.eq(id))
                .add(git_connection::Column::ClientId.is_null()),
        );
    }
    if let Some(ids) = visible.whole_client_ids() {
        select = select.filter(
            Condition::any()
                .add(git_connection::Column::ClientId.is_in(ids))
                .add(git_connection::Column::ClientId.is_null()),
        );
    }
    let (rows, next_cursor, total) = paging::page_by_text(
        core,
        select,
        (git_connection::Column::Name, git_connection::Column::Id),
        page,
        |r| (r.name.clone(), r.id.clone()),
    )
    .await?;
    Ok(gmac_types::Page {
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
) -> Result<git_connection::Model> {
    let row = git_connection::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    match &row.client_id {
        Some(client) => actor.require_on(permission, &Target::Client(client.clone()))?,
        None if permission == Permission::ServicesView => {
            actor.ensure_enrolled()?;
            if actor.permissions.visible(permission).is_nothing() {
                return Err(Error::NotFound);
            }
        }
        None => actor.require(permission, &Target::Global)?,
    }
    Ok(row)
}

/// One connection.
pub async fn get(core: &Core, actor: &Actor, id: &str) -> Result<GitConnection> {
    find(core, actor, id, Permission::ServicesView)
        .await
        .map(to_dto)
}

/// Forgets a connection and its token (the repositories on the host stay). Needs
/// `services.manage` where the connection lives.
pub async fn delete(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<()> {
    let row = find(core, actor, id, Permission::ServicesManage).await?;
    let txn = Change::begin(core).await?;
    let services = crate::entities::service::Entity::find()
        .filter(crate::entities::service::Column::GitConnectionId.eq(id))
        .count(&txn)
        .await?;
    if services > 0 {
        return Err(Error::conflict(
            gmac_types::ErrorCode::Conflict,
            format!(
                "{services} service(s) keep their repository on this connection; delete them first."
            ),
        ));
    }
    let sources = crate::entities::template_source::Entity::find()
        .filter(crate::entities::template_source::Column::ConnectionId.eq(id))
        .count(&txn)
        .await?;
    if sources > 0 {
        return Err(Error::conflict(
            gmac_types::ErrorCode::Conflict,
            format!(
                "{sources} template source(s) are fetched with this connection; remove them first."
            ),
        ));
    }
    db::deleted_one(&git_connection::Entity::delete_by_id(id).exec(&txn).await?)?;
    let entry = AuditEntry::success(actor.audit_actor(), "git_connection.delete")
        .target("git_connection", id.to_owned())
        .scope(&target_of(row.client_id.as_ref()))
        .details(serde_json::json!({"before": {
            "name": row.name, "provider": row.provider, "base_url": row.base_url,
        }}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// How to reach a connection's host, its token unsealed (for the steps that create
/// repositories and webhooks).
pub fn access(core: &Core, row: &git_connection::Model) -> Result<GitHostAccess> {
    let token = match &row.sealed_token {
        Some(sealed) => {
            let plain = core.sealer.open(sealed, &binding(&row.id))?;
            Some(String::from_utf8(plain).map_err(anyhow::Error::from)?)
        }
        None => None,
    };
    Ok(GitHostAccess {
        provider: GitProvider::from_id(&row.provider).unwrap_or(GitProvider::Git),
        base_url: row.base_url.clone(),
        token,
    })
}

/// What a connection's token is sealed for.
pub(crate) fn binding(id: &str) -> String {
    format!("git_connection:{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(provider: GitProvider, base_url: &str, token: Option<&str>) -> NewGitConnection {
        NewGitConnection {
            provider,
            base_url: base_url.to_owned(),
            token: token.map(Into::into),
            client_id: None,
            name: None,
        }
    }

    #[test]
    fn a_connection_is_named_for_its_host_and_its_token_is_required_where_an_api_needs_it() {
        let ok = check(&input(
            GitProvider::Gitea,
            " https://gitea.example.com/ ",
            Some("abcd1234"),
        ))
        .unwrap_or_else(|_| unreachable!());
        assert_eq!(ok.base_url, "https://gitea.example.com");
        assert_eq!(ok.name, "Gitea (gitea.example.com)");
        assert_eq!(hint("gitea-token-1234").as_deref(), Some("1234"));
        assert_eq!(hint("abcd1234"), None, "a short token keeps all of itself");

        let missing = check(&input(GitProvider::Github, "https://api.github.com", None))
            .err()
            .unwrap_or_default();
        assert_eq!(missing[0].pointer, "/token");
        assert!(
            check(&input(
                GitProvider::Git,
                "https://git.example.com/git",
                None
            ))
            .is_ok()
        );

        for bad in [
            "ftp://git.example.com",
            "https://user:pw@git.example.com",
            "not a url",
            "https://git.example.com/?q=1",
        ] {
            let errors = check(&input(GitProvider::Git, bad, None))
                .err()
                .unwrap_or_default();
            assert_eq!(errors[0].pointer, "/base_url", "{bad}");
        }
    }
}
