//! Events (issue 9): the transactional outbox, its dispatcher and the live stream.

use std::sync::Mutex;
use std::time::Duration;

use gmac_core::access::Target;
use gmac_core::entities::event;
use gmac_core::platform::events::{self, Consumer, Dispatcher, NewEvent};
use gmac_tests::{Session, TestApp, spawn_app};
use gmac_types::{ClientPatch, EventQuery, NewProject, NewTeam, Scope};
use sea_orm::TransactionTrait;

/// Every event the session may see, from the start.
async fn all_events(session: &Session) -> Vec<gmac_types::Event> {
    session
        .client
        .list_events(&EventQuery {
            limit: Some(500),
            ..EventQuery::default()
        })
        .await
        .unwrap()
        .items
}

/// A live stream, read chunk by chunk.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp, session: &Session, last_event_id: Option<i64>) -> Self {
        let mut request = app
            .http()
            .get(app.url("/api/v1/events/stream"))
            .bearer_auth(&session.access_token);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next `n` events as `(id, type, the event)`; fails the test after ten seconds.
    async fn take(&mut self, n: usize) -> Vec<(i64, String, serde_json::Value)> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while out.len() < n {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut kind = None;
                let mut data = None;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = v.parse().ok();
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        kind = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data = serde_json::from_str(v).ok();
                    }
                }
                if let (Some(id), Some(kind), Some(data)) = (id, kind, data) {
                    out.push((id, kind, data));
                }
            }
            if out.len() >= n {
                break;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("only {} of {n} events came: {out:?}", out.len()))
                .unwrap()
                .expect("the stream ended early");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
        out
    }

    /// Whatever comes within `wait`, as event ids (keep-alives and `retry:` skipped).
    async fn ids_within(&mut self, wait: Duration) -> Vec<i64> {
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Ok(Some(chunk))) =
            tokio::time::timeout_at(deadline, self.response.chunk()).await
        {
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
        self.buffer
            .lines()
            .filter_map(|l| l.strip_prefix("id: "))
            .map(|v| v.parse().unwrap())
            .collect()
    }
}

#[tokio::test]
async fn each_change_is_an_event_numbered_in_commit_order_and_a_rolled_back_one_never_exists() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let before = events::head(&app.core.db).await.unwrap();
    let acme = app.fixture(&admin).client("Acme").await;
    // An event appended in a transaction that rolls back takes no number and is never seen.
    let txn = app.core.db.begin().await.unwrap();
    events::append(
        &txn,
        app.core.now(),
        NewEvent {
            event_type: "client.ghost".to_owned(),
            target: Target::Global,
            subject: None,
            actor_id: None,
            data: serde_json::json!({}),
        },
    )
    .await
    .unwrap();
    txn.rollback().await.unwrap();
    admin
        .client
        .update_client(
            &acme,
            &ClientPatch {
                name: Some("Acme Ltd".into()),
                ..ClientPatch::default()
            },
            None,
        )
        .await
        .unwrap();
    let all = all_events(&admin).await;
    let mine: Vec<_> = all.iter().filter(|e| e.id > before).collect();
    let types: Vec<&str> = mine.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["client.created", "client.updated"]);
    assert_eq!(mine[0].id, before + 1);
    assert_eq!(mine[1].id, before + 2, "no number was used by the rollback");
    assert_eq!(
        mine[1].subject.as_deref(),
        Some(format!("client/{acme}").as_str())
    );
    assert_eq!(mine[1].scope.client_id.as_deref(), Some(acme.as_str()));
    assert_eq!(mine[1].data["after"]["name"], "Acme Ltd");
    assert!(!all.iter().any(|e| e.event_type == "client.ghost"));
    // Ids have no gaps at all: every event before is there too.
    let ids: Vec<i64> = all.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=before + 2).collect::<Vec<_>>());
}

#[tokio::test]
async fn the_stream_resumes_after_last_event_id_without_loss_or_repeat() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let mut live = Stream::open(&app, &admin, None).await;
    for name in ["One", "Two", "Three"] {
        app.fixture(&admin).client(name).await;
    }
    let first = live.take(3).await;
    let names: Vec<&str> = first
        .iter()
        .map(|(_, _, event)| event["data"]["after"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["One", "Two", "Three"]);
    assert!(first.iter().all(|(_, kind, _)| kind == "client.created"));
    assert_eq!(first[1].0, first[0].0 + 1);
    drop(live);

    // Reconnected after the first: the two after it, then what happens next; nothing twice.
    let mut resumed = Stream::open(&app, &admin, Some(first[0].0)).await;
    app.fixture(&admin).client("Four").await;
    let again = resumed.take(3).await;
    let ids: Vec<i64> = again.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(ids, [first[1].0, first[2].0, first[2].0 + 1]);
    assert_eq!(again[2].2["data"]["after"]["name"], "Four");
    assert!(
        resumed
            .ids_within(Duration::from_millis(600))
            .await
            .is_empty(),
        "nothing is sent twice"
    );
}

#[tokio::test]
async fn a_viewer_of_one_client_sees_nothing_of_another_client() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let acme = app.fixture(&admin).client("Acme").await;
    let globex = app.fixture(&admin).client("Globex").await;
    let viewer = app
        .fixture(&admin)
        .member(
            "viewer@example.com",
            "viewer",
            Scope::Client { id: acme.clone() },
        )
        .await;
    let mut live = Stream::open(&app, &viewer, None).await;
    let start = events::head(&app.core.db).await.unwrap();
    // Changes to the other client, and the installation's own, are not the viewer's.
    admin
        .client
        .create_project(&NewProject {
            client_id: globex.clone(),
            name: "Secret".into(),
            description: None,
        })
        .await
        .unwrap();
    admin
        .client
        .create_team(&NewTeam {
            name: "Finance".into(),
            description: None,
        })
        .await
        .unwrap();
    admin
        .client
        .update_client(
            &globex,
            &ClientPatch {
                name: Some("Globex Corp".into()),
                ..ClientPatch::default()
            },
            None,
        )
        .await
        .unwrap();
    let project = admin
        .client
        .create_project(&NewProject {
            client_id: acme.clone(),
            name: "Shop".into(),
            description: None,
        })
        .await
        .unwrap();
    let seen = live.take(1).await;
    assert_eq!(seen[0].1, "project.created");
    assert_eq!(seen[0].2["subject"], format!("project/{}", project.id));
    assert_eq!(seen[0].0, start + 4, "three events went by unseen");
    assert!(live.ids_within(Duration::from_millis(600)).await.is_empty());
    // The list answers the same, and says where to go on from.
    let listed = viewer
        .client
        .list_events(&EventQuery {
            after: Some(start),
            ..EventQuery::default()
        })
        .await
        .unwrap();
    let subjects: Vec<_> = listed.items.iter().map(|e| e.subject.clone()).collect();
    assert_eq!(subjects, [Some(format!("project/{}", project.id))]);
    assert_eq!(listed.last_id, start + 4);
    // The admin sees all four.
    let everything = admin
        .client
        .list_events(&EventQuery {
            after: Some(start),
            ..EventQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(everything.items.len(), 4);
}

#[tokio::test]
async fn bad_stream_and_list_input_is_a_problem_not_a_stream() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    for path in [
        "/api/v1/events?after=-1",
        "/api/v1/events?after=abc",
        "/api/v1/events?limit=0",
        "/api/v1/events/stream?after=-5",
    ] {
        let response = app
            .http()
            .get(app.url(path))
            .bearer_auth(&admin.access_token)
            .send()
            .await
            .unwrap();
        assert!(
            matches!(response.status().as_u16(), 400 | 422),
            "{path}: {}",
            response.status()
        );
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "application/problem+json",
            "{path}"
        );
    }
    let anonymous = app
        .http()
        .get(app.url("/api/v1/events/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

// Each test runs in its own process (nextest), so a consumer's record can be a static.
static SEEN: Mutex<Vec<i64>> = Mutex::new(Vec::new());
static FAIL_ONCE: Mutex<Option<i64>> = Mutex::new(None);

fn only_clients(event_type: &str) -> bool {
    event_type.starts_with("client.")
}

fn record<'a>(_core: &'a gmac_core::Core, batch: &'a [event::Model]) -> events::Handled<'a> {
    Box::pin(async move {
        for e in batch {
            {
                let mut fail = FAIL_ONCE.lock().unwrap();
                if *fail == Some(e.id) {
                    *fail = None;
                    return Err(anyhow::anyhow!("the consumer fell over").into());
                }
            }
            SEEN.lock().unwrap().push(e.id);
        }
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_dispatchers_hand_each_event_on_once_in_order_and_again_after_a_failure() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let consumer = Consumer {
        name: "test.clients",
        wants: only_clients,
        handle: record,
    };
    let one = Dispatcher::with(app.core.clone(), vec![consumer]);
    let two = Dispatcher::with(app.core.clone(), vec![consumer]);
    one.install().await.unwrap();
    two.install().await.unwrap();
    let head = events::head(&app.core.db).await.unwrap();
    app.fixture(&admin).client("Before the team").await;
    admin
        .client
        .create_team(&NewTeam {
            name: "Not a client event".into(),
            description: None,
        })
        .await
        .unwrap();
    for i in 0..4 {
        app.fixture(&admin).client(&format!("Client {i}")).await;
    }
    let clients: Vec<i64> = [1, 3, 4, 5, 6].iter().map(|n| head + n).collect();
    // The consumer falls over at the third client event: its batch comes again, whole.
    *FAIL_ONCE.lock().unwrap() = Some(clients[2]);
    for _ in 0..100 {
        let (a, b) = tokio::join!(one.run_once(), two.run_once());
        let _ = (a, b);
        if SEEN.lock().unwrap().last() == Some(&clients[4]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = SEEN.lock().unwrap().clone();
    let expected: Vec<i64> = [&clients[..2], &clients[..]].concat();
    assert_eq!(
        got, expected,
        "at least once, in order, each batch by one dispatcher"
    );
    // Up to date: nothing more is handed on.
    assert_eq!(one.run_once().await.unwrap(), 0);
    assert_eq!(two.run_once().await.unwrap(), 0);
    assert_eq!(SEEN.lock().unwrap().len(), expected.len());
}

#[tokio::test]
async fn the_stream_ends_when_its_access_token_expires() {
    let app = gmac_tests::spawn_app_with(gmac_tests::Options {
        manual_clock: true,
        ..gmac_tests::Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let mut stream = admin.client.open_event_stream(None).await.unwrap();
    app.fixture(&admin).client("Before").await;
    let first = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.event, "client.created");
    // Past the access token's lifetime (15 minutes): the stream says so and closes, and the
    // client reconnects with a fresh token and `Last-Event-ID`.
    app.advance(chrono::Duration::minutes(16));
    let end = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(end.event, "end");
    assert!(end.data.contains("token_expired"), "{}", end.data);
    let closed = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .unwrap();
    assert!(closed.is_none(), "nothing follows the end");
    let refused = app
        .http()
        .get(app.url("/api/v1/events/stream"))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        401,
        "the expired token opens no new stream"
    );
}

#[tokio::test]
async fn a_last_event_id_that_is_not_an_event_id_is_a_problem() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    for value in ["abc", "-1", "9223372036854775808"] {
        let response = app
            .http()
            .get(app.url("/api/v1/events/stream"))
            .bearer_auth(&admin.access_token)
            .header("Last-Event-ID", value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{value}");
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains("Last-Event-ID"), "{body}");
    }
}
