//! First run: no default account exists. gmac prints a one-time setup token; whoever holds it
//! creates the first Super Admin, after which setup is closed for good.

use gmac_types::validation::{DisplayName, EmailAddress, FieldErrors, NewPassword};
use gmac_types::{ErrorCode, SetupRequest, access::roles};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::audit::{AuditActor, AuditEntry};
use crate::auth::tokens::{generate_token, hash_token};
use crate::entities::{setup_token, user};
use crate::platform::change::Change;
use crate::services::users::{self, NewUser};
use crate::{Core, Error, RequestMeta, Result, db};

/// Whether the first Super Admin is still to be created.
pub async fn setup_required(core: &Core) -> Result<bool> {
    Ok(user::Entity::find().count(&core.db).await? == 0)
}

/// Issues a new setup token if nobody has an account yet; returns it for printing once.
pub async fn issue_setup_token(core: &Core) -> Result<Option<String>> {
    if !setup_required(core).await? {
        return Ok(None);
    }
    let now = core.now();
    let token = generate_token();
    let txn = db::begin_write(&core.db).await?;
    setup_token::Entity::delete_many()
        .filter(setup_token::Column::ExpiresAt.lte(now))
        .exec(&txn)
        .await?;
    let row = setup_token::Model {
        id: core.new_id(),
        token_hash: hash_token(&token),
        created_at: now,
        expires_at: now + core.settings.setup_token_ttl,
    };
    setup_token::Entity::insert(setup_token::ActiveModel::from(row))
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some(token))
}

/// The validated content of a setup request.
#[derive(Debug)]
struct SetupInput {
    token: String,
    user: NewUser,
}

impl TryFrom<SetupRequest> for SetupInput {
    type Error = Error;

    fn try_from(request: SetupRequest) -> Result<Self> {
        let mut errors = FieldErrors::new();
        if request.setup_token.expose().trim().is_empty() {
            errors.push(gmac_types::FieldError::new(
                "setup_token",
                "required",
                "The setup token printed by gmac at start-up is required.",
            ));
        }
        let email = errors.check(EmailAddress::parse("email", &request.email));
        let password = errors.check(NewPassword::parse("password", request.password.expose()));
        let display_name = errors.check(DisplayName::parse("display_name", &request.display_name));
        errors.finish().map_err(Error::Validation)?;
        match (email, password, display_name) {
            (Some(email), Some(password), Some(display_name)) => Ok(Self {
                token: request.setup_token.expose().trim().to_owned(),
                user: NewUser {
                    email,
                    password: Some(password),
                    display_name,
                },
            }),
            _ => Err(anyhow::anyhow!("field errors were collected but not reported").into()),
        }
    }
}

/// Creates the first Super Admin with a valid setup token.
pub async fn complete_setup(
    core: &Core,
    meta: &RequestMeta,
    request: SetupRequest,
) -> Result<user::Model> {
    if !setup_required(core).await? {
        return Err(already_done());
    }
    let input = SetupInput::try_from(request)?;
    let password_hash = match &input.user.password {
        Some(p) => Some(core.passwords.hash(p.expose()).await?),
        None => None,
    };
    let now = core.now();
    let txn = Change::begin(core).await?;
    // Re-checked inside the write transaction: two concurrent setups cannot both win.
    if user::Entity::find().count(&txn).await? != 0 {
        return Err(already_done());
    }
    let token = setup_token::Entity::find()
        .filter(setup_token::Column::TokenHash.eq(hash_token(&input.token)))
        .filter(setup_token::Column::ExpiresAt.gt(now))
        .one(&txn)
        .await?;
    if token.is_none() {
        drop(txn);
        let failure = AuditEntry::failure(AuditActor::Anonymous { label: None }, "setup.complete")
            .details(serde_json::json!({"reason": "invalid_setup_token"}));
        Change::record(core, meta, failure).await?;
        return Err(Error::InvalidToken);
    }
    // Deleting every token takes their row locks; a concurrent setup on PostgreSQL waits here
    // and then finds nothing left to delete.
    let deleted = setup_token::Entity::delete_many().exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(already_done());
    }
    let created = users::insert_user(core, &txn, &input.user, password_hash, now).await?;
    users::grant_global_role(core, &txn, &created.id, roles::SUPER_ADMIN, None, now).await?;
    let entry = AuditEntry::success(
        AuditActor::System {
            label: "setup".into(),
        },
        "setup.complete",
    )
    .target("user", created.id.clone())
    .details(serde_json::json!({"email": created.email, "role": roles::SUPER_ADMIN}));
    txn.commit(core, meta, entry).await?;
    Ok(created)
}

fn already_done() -> Error {
    Error::conflict(
        ErrorCode::SetupAlreadyDone,
        "Setup is complete. Sign in, or ask an administrator for an account.",
    )
}
