//! One list contract: every list that can grow is a keyset page `{items, next_cursor, total}`,
//! read to its end by following `next_cursor`, in the document as on the wire.

use std::collections::BTreeSet;

use gmac_tests::spawn_app;
use gmac_types::{
    BudgetPeriod, BudgetScope, CostImportParams, NewApiToken, NewBudget, NewTeam, NewTeamMember,
    NewUser, OnRowError, Page, PageQuery, Permission,
};
use rust_decimal::Decimal;

fn committed_document() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn schemathesis_config() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/contract/schemathesis.toml");
    std::fs::read_to_string(path).unwrap()
}

/// A global monthly budget of 100 named `name`.
fn monthly_budget(name: &str) -> NewBudget {
    NewBudget {
        name: name.into(),
        scope: BudgetScope::Global,
        amount: Decimal::from(100),
        currency: None,
        period: BudgetPeriod::Monthly,
        thresholds: None,
        notify: None,
    }
}

/// Follows `next_cursor` with pages of `limit`, answering every page.
async fn pages<T, F, Fut>(limit: u32, mut fetch: F) -> Vec<Page<T>>
where
    F: FnMut(PageQuery) -> Fut,
    Fut: std::future::Future<Output = gmac_client::Result<Page<T>>>,
{
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = fetch(PageQuery::after(limit, cursor.take())).await.unwrap();
        cursor.clone_from(&page.next_cursor);
        let last = cursor.is_none();
        out.push(page);
        assert!(out.len() < 100, "the cursor never ends");
        if last {
            return out;
        }
    }
}

#[test]
fn only_fixed_catalogues_answer_bare_arrays_and_every_page_takes_limit_and_cursor() {
    let doc = committed_document();
    let mut paged = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else {
            continue;
        };
        let schema = &get["responses"]["200"]["content"]["application/json"]["schema"];
        if schema["type"] == "array" {
            assert!(
                // Templates are a catalogue too: the built-in ones and the few added from git.
                ["/api/v1/permissions", "/api/v1/roles", "/api/v1/templates"]
                    .contains(&path.as_str()),
                "GET {path} answers a bare array; lists that can grow answer {{items, next_cursor}}"
            );
        }
        let is_page = schema["$ref"]
            .as_str()
            .is_some_and(|r| r.starts_with("#/components/schemas/Page_"));
        if is_page {
            paged += 1;
            // schemathesis would generate cursors the server never issued; each opaque one is
            // pinned to the first page in its config (the audit log's is a plain number).
            let id = get["operationId"].as_str().unwrap();
            assert!(
                id.contains("audit") || schemathesis_config().contains(&format!("\"{id}\"")),
                "{id} is not in tests/contract/schemathesis.toml's pinned cursors"
            );
            let names: BTreeSet<&str> = get["parameters"]
                .as_array()
                .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
                .unwrap_or_default();
            assert!(
                names.contains("limit") && names.contains("cursor"),
                "GET {path} answers a page but takes no limit and cursor: {names:?}"
            );
        }
    }
    assert!(paged >= 19, "only {paged} lists are paged");
}

#[tokio::test]
async fn more_imports_than_a_page_are_all_reached_newest_first() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let mut made = Vec::new();
    for day in 1..=5 {
        let file = format!(
            "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName\n\
             {day},{day},USD,2024-09-0{day},2024-09-0{},Usage,EC2\n",
            day + 1
        );
        let params = CostImportParams {
            client_id: client_id.clone(),
            on_error: OnRowError::Reject,
            file_name: Some(format!("day-{day}.csv")),
        };
        let (import, _) = admin
            .client
            .import_costs(&params, file.into_bytes())
            .await
            .unwrap();
        made.push(import.id);
    }
    let c = &admin.client;
    let pages = pages(2, |p| async move { c.list_cost_imports(None, &p).await }).await;
    assert_eq!(
        pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(),
        [2, 2, 1]
    );
    assert!(pages.iter().all(|p| p.total == 5));
    let listed: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.items)
        .map(|i| i.id)
        .collect();
    made.reverse();
    assert_eq!(listed, made, "every import once, newest first");

    // A client's filter and the page work together.
    let other = app.fixture(&admin).client("Other").await;
    let empty = c
        .list_cost_imports(Some(&other), &PageQuery::first(2))
        .await
        .unwrap();
    assert!(empty.items.is_empty() && empty.next_cursor.is_none() && empty.total == 0);
}

#[tokio::test]
async fn tokens_budgets_and_members_page_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let c = &admin.client;
    for name in ["one", "two", "three"] {
        c.create_token(&NewApiToken {
            name: name.into(),
            scopes: vec![Permission::CostsView],
            expires_in_days: 30,
            scope: None,
        })
        .await
        .unwrap();
    }
    let tokens: Vec<String> = pages(2, |p| async move { c.list_tokens(&p).await })
        .await
        .into_iter()
        .flat_map(|p| p.items)
        .map(|t| t.name)
        .collect();
    assert_eq!(tokens, ["three", "two", "one"], "newest first");

    for name in ["Cloud", "Analytics", "Backups"] {
        c.create_budget(&monthly_budget(name)).await.unwrap();
    }
    let budgets: Vec<String> = pages(1, |p| async move { c.list_budgets(&p).await })
        .await
        .into_iter()
        .flat_map(|p| p.items)
        .map(|b| b.name)
        .collect();
    assert_eq!(budgets, ["Analytics", "Backups", "Cloud"], "by name");

    let team = c
        .create_team(&NewTeam {
            name: "Platform".into(),
            description: None,
        })
        .await
        .unwrap();
    let mut emails = Vec::new();
    for who in ["carol", "alice", "bob"] {
        let email = format!("{who}@example.com");
        let user = c
            .create_user(&NewUser {
                email: email.clone(),
                display_name: who.into(),
                password: "a long test password".into(),
            })
            .await
            .unwrap();
        c.add_team_member(
            &team.id,
            &NewTeamMember {
                user_id: user.id,
                leader: false,
            },
        )
        .await
        .unwrap();
        emails.push(email);
    }
    emails.sort();
    let team_id = team.id.as_str();
    let members: Vec<String> = pages(2, |p| async move { c.list_team_members(team_id, &p).await })
        .await
        .into_iter()
        .flat_map(|p| p.items)
        .map(|m| m.email)
        .collect();
    assert_eq!(members, emails, "by email");
}

#[tokio::test]
async fn a_cursor_from_elsewhere_or_a_page_too_big_is_refused() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    for query in ["cursor=not-ours", "limit=0", "limit=201"] {
        let response = app
            .http()
            .get(app.url(&format!("/api/v1/tokens?{query}")))
            .bearer_auth(&admin.access_token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(status == 400 || status == 422, "{query}: {status}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{query}"
        );
    }
    // A cursor of one list is not a cursor of a list ordered by other keys.
    let c = &admin.client;
    for name in ["a", "b"] {
        c.create_token(&NewApiToken {
            name: name.into(),
            scopes: vec![Permission::CostsView],
            expires_in_days: 30,
            scope: None,
        })
        .await
        .unwrap();
    }
    let tokens = c.list_tokens(&PageQuery::first(1)).await.unwrap();
    let cursor = tokens.next_cursor.expect("a second page");
    let err = c
        .list_budgets(&PageQuery::after(1, Some(cursor)))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
}

/// Pages read their rows by position, and on a SQLite file in place without sqlx (issue 8,
/// point 19): the models are exactly those sea-orm reads by name, for every paged entity with
/// rows here, including a timestamp stored in a form other than sqlx's (another offset), which
/// is read the general way.
#[tokio::test]
async fn rows_read_by_position_are_the_rows_sea_orm_reads_by_name() {
    use gmac_core::entities::{
        api_token, budget, client, cost_import, role_binding, session, team, user,
    };
    use gmac_core::platform::rows;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

    async fn same<E>(core: &gmac_core::Core, what: &str)
    where
        E: EntityTrait,
        E::Model: PartialEq + std::fmt::Debug,
        E::ActiveModel: sea_orm::TryIntoModel<E::Model>,
    {
        let db = &core.db;
        let by_name = E::find().all(db).await.unwrap();
        assert!(!by_name.is_empty(), "{what}: no rows to compare");
        assert_eq!(rows::all(core, E::find()).await.unwrap(), by_name, "{what}");
        assert_eq!(
            rows::all_on(db, E::find()).await.unwrap(),
            by_name,
            "{what}"
        );
        assert_eq!(
            rows::reads_by_position(db, E::find()).await.unwrap(),
            Some(true),
            "{what} is read by name, not by position"
        );
        // On a SQLite file the page is read in place, without sqlx; PostgreSQL has no such path.
        let in_place = rows::read_in_place(core, &E::find()).unwrap();
        if gmac_tests::TestDatabase::on_postgres() {
            assert_eq!(in_place, None, "{what}");
        } else {
            assert_eq!(
                in_place.as_ref(),
                Some(&by_name),
                "{what} is not read in place"
            );
        }
    }

    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let c = &admin.client;
    let described = app.fixture(&admin).client("Acme").await;
    c.update_client(
        &described,
        &gmac_types::ClientPatch {
            name: None,
            description: Some("Rockets, mostly".into()),
        },
        None,
    )
    .await
    .unwrap();
    app.fixture(&admin).client("Globex").await;
    c.create_token(&NewApiToken {
        name: "script".into(),
        scopes: vec![Permission::CostsView],
        expires_in_days: 30,
        scope: None,
    })
    .await
    .unwrap();
    c.create_budget(&monthly_budget("Cloud")).await.unwrap();
    c.create_team(&NewTeam {
        name: "Platform".into(),
        description: None,
    })
    .await
    .unwrap();
    c.import_costs(
        &CostImportParams {
            client_id: described.clone(),
            on_error: OnRowError::Reject,
            file_name: None,
        },
        gmac_tests::focus::generated_focus(),
    )
    .await
    .unwrap();

    let core = &app.core;
    let db = &core.db;
    same::<client::Entity>(core, "clients").await;
    same::<user::Entity>(core, "users").await;
    same::<session::Entity>(core, "sessions").await;
    same::<api_token::Entity>(core, "api tokens").await;
    same::<budget::Entity>(core, "budgets").await;
    same::<team::Entity>(core, "teams").await;
    same::<role_binding::Entity>(core, "role bindings").await;
    same::<cost_import::Entity>(core, "cost imports").await;

    // Text sqlx would not have written: read by sqlx's general decoding, to the same instant.
    client::Entity::update_many()
        .col_expr(
            client::Column::UpdatedAt,
            Expr::cust("'2026-12-03T10:00:00.25+01:00'"),
        )
        .filter(client::Column::Id.eq(described.as_str()))
        .exec(db)
        .await
        .unwrap();
    let by_name = client::Entity::find().all(db).await.unwrap();
    assert_eq!(
        rows::all(core, client::Entity::find()).await.unwrap(),
        by_name
    );
    assert_eq!(
        rows::all_on(db, client::Entity::find()).await.unwrap(),
        by_name
    );
    assert_eq!(
        rows::read_in_place(core, &client::Entity::find()).unwrap(),
        None,
        "a timestamp in another form is left to sqlx"
    );
    let moved = rows::all(core, client::Entity::find_by_id(described.as_str()))
        .await
        .unwrap();
    assert_eq!(
        moved[0].updated_at.to_rfc3339(),
        "2026-12-03T09:00:00.250+00:00"
    );
}
