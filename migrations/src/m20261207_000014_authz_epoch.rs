//! The authorisation epoch: one counter that every change to who may do what bumps, in the
//! same transaction as the change. gmac caches a signed-in actor (its account, session or
//! token, grants and MFA state) and reuses it while the counter has not moved, so a revoked
//! session, a removed binding or a disabled account still takes effect on the next request,
//! whichever process or replica made the change.
//!
//! Triggers do the bumping, so no write path can forget it. They fire only on the columns an
//! actor is built from: a token's `last_used_at` or a session's `last_seen_at` leave it alone.

use sea_orm_migration::prelude::{
    DbErr, DeriveMigrationName, MigrationTrait, SchemaManager, async_trait,
};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// `(table, events)`: the events are SQL trigger events, `UPDATE OF` naming the columns that
/// an actor depends on.
const WATCHED: &[(&str, &[&str])] = &[
    (
        "users",
        &[
            "UPDATE OF status, email, display_name, created_at",
            "DELETE",
        ],
    ),
    (
        "sessions",
        &["UPDATE OF revoked_at, expires_at, user_id", "DELETE"],
    ),
    (
        "api_tokens",
        &[
            "UPDATE OF revoked_at, expires_at, user_id, token_hash, permissions, scope_type, scope_id",
            "DELETE",
        ],
    ),
    ("role_bindings", &["INSERT", "UPDATE", "DELETE"]),
    ("team_members", &["INSERT", "UPDATE", "DELETE"]),
    ("teams", &["DELETE"]),
    ("roles", &["INSERT", "UPDATE", "DELETE"]),
    ("role_policies", &["INSERT", "UPDATE", "DELETE"]),
    ("projects", &["UPDATE OF client_id", "DELETE"]),
    ("clients", &["DELETE"]),
    (
        "totp_secrets",
        &["INSERT", "UPDATE OF confirmed_at", "DELETE"],
    ),
];

fn trigger_name(table: &str, event: &str) -> String {
    let verb = event.split_whitespace().next().unwrap_or(event);
    format!("authz_epoch_{table}_{}", verb.to_lowercase())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE authz_epoch (id integer NOT NULL PRIMARY KEY, value bigint NOT NULL)",
        )
        .await?;
        db.execute_unprepared("INSERT INTO authz_epoch (id, value) VALUES (1, 0)")
            .await?;
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        if postgres {
            db.execute_unprepared(
                "CREATE FUNCTION gmac_bump_authz_epoch() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN UPDATE authz_epoch SET value = value + 1 WHERE id = 1; RETURN NULL; END $$",
            )
            .await?;
        }
        for (table, events) in WATCHED {
            for event in *events {
                let name = trigger_name(table, event);
                let sql = if postgres {
                    format!(
                        "CREATE TRIGGER {name} AFTER {event} ON {table} \
                         FOR EACH STATEMENT EXECUTE FUNCTION gmac_bump_authz_epoch()"
                    )
                } else {
                    format!(
                        "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW \
                         BEGIN UPDATE authz_epoch SET value = value + 1 WHERE id = 1; END"
                    )
                };
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        for (table, events) in WATCHED {
            for event in *events {
                let name = trigger_name(table, event);
                let sql = if postgres {
                    format!("DROP TRIGGER IF EXISTS {name} ON {table}")
                } else {
                    format!("DROP TRIGGER IF EXISTS {name}")
                };
                db.execute_unprepared(&sql).await?;
            }
        }
        if postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS gmac_bump_authz_epoch()")
                .await?;
        }
        db.execute_unprepared("DROP TABLE authz_epoch").await?;
        Ok(())
    }
}
