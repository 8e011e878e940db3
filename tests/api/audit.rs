//! Authentication events land in the hash-chained audit log, in the same transaction as the
//! change, and tampering is detected.

use gmac_core::audit;
use gmac_core::entities::audit_log;
use gmac_tests::spawn_app;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// Inserts `row` as a forged entry at `seq` after `prev_hash`, hashed under the real key (as
/// someone holding it would), and answers what verification then finds first.
async fn forge(
    app: &gmac_tests::TestApp,
    mut row: audit_log::Model,
    seq: i64,
    prev_hash: String,
) -> Option<(i64, &'static str)> {
    row.seq = seq;
    row.id = uuid::Uuid::now_v7().to_string();
    row.prev_hash = prev_hash;
    row.hash = audit::entry_hash(&app.core.audit_keys, &row).unwrap();
    audit_log::Entity::insert(audit_log::ActiveModel::from(row))
        .exec_without_returning(&app.core.db)
        .await
        .unwrap();
    audit::verify(&app.core.db, &app.core.audit_keys)
        .await
        .unwrap()
        .first_bad
        .map(|b| (b.seq, b.reason))
}

async fn actions(app: &gmac_tests::TestApp) -> Vec<(String, String)> {
    audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Seq)
        .all(&app.core.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.action, row.outcome))
        .collect()
}

#[tokio::test]
async fn setup_sign_in_failure_refresh_and_sign_out_are_audited_in_order() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let _ = app.sign_in(&admin.email, &admin.password).await;
    let _ = app
        .http()
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": admin.email, "password": "nope nope nope"}))
        .send()
        .await;
    admin.client.anonymous().refresh().await.unwrap();
    admin.client.logout().await.unwrap();
    let expected = [
        ("setup.complete", "success"),
        ("auth.login", "success"),
        ("auth.login", "success"),
        ("auth.login", "failure"),
        ("auth.refresh", "success"),
        ("auth.logout", "success"),
    ];
    let got = actions(&app).await;
    let got: Vec<(&str, &str)> = got.iter().map(|(a, o)| (a.as_str(), o.as_str())).collect();
    assert_eq!(got, expected);

    let failure = audit_log::Entity::find()
        .filter(audit_log::Column::Outcome.eq("failure"))
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failure.actor_label.as_deref(), Some("ada@example.com"));
    assert_eq!(failure.ip.as_deref(), Some("127.0.0.1"));
    assert!(failure.request_id.is_some());
    assert!(
        !failure.details.contains("nope"),
        "the tried password never reaches the log"
    );
    assert!(
        audit::verify(&app.core.db, &app.core.audit_keys)
            .await
            .unwrap()
            .valid
    );
}

#[tokio::test]
async fn verification_detects_an_edited_a_deleted_and_an_inserted_entry() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    for _ in 0..3 {
        app.sign_in(&admin.email, &admin.password).await;
    }
    let ok = audit::verify(&app.core.db, &app.core.audit_keys)
        .await
        .unwrap();
    assert!(ok.valid);
    assert_eq!(ok.checked, 5);

    // Edited.
    let second = audit_log::Entity::find()
        .filter(audit_log::Column::Seq.eq(2))
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    let original_action = second.action.clone();
    let mut edited: audit_log::ActiveModel = second.into();
    edited.action = Set("auth.logout".into());
    edited.update(&app.core.db).await.unwrap();
    let result = audit::verify(&app.core.db, &app.core.audit_keys)
        .await
        .unwrap();
    assert!(!result.valid);
    assert_eq!(
        result.first_bad.as_ref().map(|b| (b.seq, b.reason)),
        Some((2, "hash_mismatch"))
    );
    app.core
        .db
        .execute_unprepared(&format!(
            "UPDATE audit_log SET action = '{original_action}' WHERE seq = 2"
        ))
        .await
        .unwrap();
    assert!(
        audit::verify(&app.core.db, &app.core.audit_keys)
            .await
            .unwrap()
            .valid
    );

    // Deleted.
    app.core
        .db
        .execute_unprepared("DELETE FROM audit_log WHERE seq = 3")
        .await
        .unwrap();
    let result = audit::verify(&app.core.db, &app.core.audit_keys)
        .await
        .unwrap();
    assert_eq!(
        result.first_bad.map(|b| (b.seq, b.reason)),
        Some((3, "missing"))
    );

    // Inserted: a forged row in the gap, hashed correctly but not chained to its predecessor.
    let fourth = audit_log::Entity::find()
        .filter(audit_log::Column::Seq.eq(4))
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        forge(&app, fourth, 3, "f".repeat(64)).await,
        Some((3, "chain_mismatch"))
    );
}

#[tokio::test]
async fn truncating_the_end_of_the_log_is_detected() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    app.sign_in(&admin.email, &admin.password).await;
    app.core
        .db
        .execute_unprepared("DELETE FROM audit_log WHERE seq = 3")
        .await
        .unwrap();
    let result = audit::verify(&app.core.db, &app.core.audit_keys)
        .await
        .unwrap();
    assert_eq!(result.first_bad.map(|b| b.reason), Some("head_mismatch"));
}

/// Rewrites entry `from` onwards as an attacker with write access to the database would:
/// changes its action when `edit` is set, then recomputes every hash from it on and the head.
async fn rewrite_chain_from(
    app: &gmac_tests::TestApp,
    from: i64,
    edit: bool,
    keys: &audit::ChainKeys,
) {
    let rows = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Seq)
        .all(&app.core.db)
        .await
        .unwrap();
    let mut prev = audit::GENESIS_HASH.to_owned();
    for mut row in rows {
        if row.seq >= from {
            if edit && row.seq == from {
                row.action = "auth.logout".into();
            }
            row.prev_hash = prev.clone();
            row.hash = audit::entry_hash(keys, &row).unwrap();
            let mut active: audit_log::ActiveModel = row.clone().into();
            active.action = Set(row.action.clone());
            active.prev_hash = Set(row.prev_hash.clone());
            active.hash = Set(row.hash.clone());
            active.key_version = Set(row.key_version);
            active.update(&app.core.db).await.unwrap();
        }
        prev = row.hash;
    }
    app.core
        .db
        .execute_unprepared(&format!(
            "UPDATE audit_chain SET last_hash = '{prev}' WHERE id = 1"
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_chain_rewritten_without_the_master_key_fails_verification() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    for _ in 0..3 {
        app.sign_in(&admin.email, &admin.password).await;
    }
    assert!(
        audit::verify(&app.core.db, &app.core.audit_keys)
            .await
            .unwrap()
            .valid
    );

    // Recomputed under a key derived from another master key: every hash is self-consistent,
    // yet the first rewritten entry fails.
    let forger = audit::ChainKeys::derive(&gmac_core::keys::MasterKey::generate());
    rewrite_chain_from(&app, 2, true, &forger).await;
    let result = audit::verify(&app.core.db, &app.core.audit_keys)
        .await
        .unwrap();
    assert_eq!(
        result.first_bad.map(|b| (b.seq, b.reason)),
        Some((2, "hash_mismatch"))
    );

    // Falling back to the unkeyed hash of old entries does not help either, from any entry on.
    app.core
        .db
        .execute_unprepared("UPDATE audit_log SET key_version = 0 WHERE seq >= 2")
        .await
        .unwrap();
    rewrite_chain_from(&app, 2, true, &app.core.audit_keys).await;
    let result = audit::verify(&app.core.db, &app.core.audit_keys)
        .await
        .unwrap();
    assert_eq!(
        result.first_bad.map(|b| (b.seq, b.reason)),
        Some((2, "hash_mismatch"))
    );

    // The API reports the chain broken too.
    let report = admin.client.verify_audit_log().await.unwrap();
    assert!(!report.valid);
}

#[tokio::test]
async fn entries_from_before_the_chain_was_keyed_are_checked_and_relinked_under_the_key() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    app.sign_in(&admin.email, &admin.password).await;
    // As an older gmac wrote them: version 0, plain SHA-256.
    app.core
        .db
        .execute_unprepared("UPDATE audit_log SET key_version = 0")
        .await
        .unwrap();
    rewrite_chain_from(&app, 1, false, &app.core.audit_keys).await;
    let before = audit_log::Entity::find().all(&app.core.db).await.unwrap();
    assert!(before.iter().all(|r| r.key_version == 0));
    // Unkeyed entries never verify by themselves: they are only re-linked in the start that
    // applies the migration keying the chain.
    assert!(
        !audit::verify(&app.core.db, &app.core.audit_keys)
            .await
            .unwrap()
            .valid
    );

    let relinked = audit::relink_legacy(&app.core.db, &app.core.audit_keys)
        .await
        .unwrap();
    assert_eq!(relinked, before.len() as u64);
    let after = audit_log::Entity::find().all(&app.core.db).await.unwrap();
    assert!(after.iter().all(|r| r.key_version == 1));
    assert!(
        audit::verify(&app.core.db, &app.core.audit_keys)
            .await
            .unwrap()
            .valid
    );
    // New entries chain on after the re-linked ones.
    app.sign_in(&admin.email, &admin.password).await;
    assert!(
        audit::verify(&app.core.db, &app.core.audit_keys)
            .await
            .unwrap()
            .valid
    );
}

#[tokio::test]
async fn a_chain_rewritten_entirely_as_unkeyed_entries_fails_verification() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    app.sign_in(&admin.email, &admin.password).await;
    app.core
        .db
        .execute_unprepared("UPDATE audit_log SET key_version = 0")
        .await
        .unwrap();
    rewrite_chain_from(&app, 1, true, &app.core.audit_keys).await;
    let result = audit::verify(&app.core.db, &app.core.audit_keys)
        .await
        .unwrap();
    assert_eq!(
        result.first_bad.map(|b| (b.seq, b.reason)),
        Some((1, "hash_mismatch"))
    );
}

#[tokio::test]
async fn verifying_a_live_log_while_changes_are_audited_finds_it_intact() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let writing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = tokio::spawn({
        let (client, writing) = (admin.client.clone(), writing.clone());
        async move {
            let mut n = 0;
            while writing.load(std::sync::atomic::Ordering::Relaxed) {
                client
                    .create_client(&gmac_types::NewClient {
                        name: format!("Live {n}"),
                        description: None,
                    })
                    .await
                    .unwrap();
                n += 1;
            }
            n
        }
    });
    // Each walk races the appends: none may read one as tampering.
    for _ in 0..30 {
        let result = audit::verify(&app.core.db, &app.core.audit_keys)
            .await
            .unwrap();
        assert!(result.valid, "{:?}", result.first_bad);
    }
    writing.store(false, std::sync::atomic::Ordering::Relaxed);
    assert!(writer.await.unwrap() > 0);

    // A forged entry past the head (no append moved the head on) is still found.
    let last = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Seq)
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    let (next, prev) = (last.seq + 1, last.hash.clone());
    assert_eq!(
        forge(&app, last, next, prev).await,
        Some((next, "head_mismatch"))
    );
}
