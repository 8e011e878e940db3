//! Live updates: one stream of the server's events per signed-in tab (`GET /events/stream`,
//! read with `fetch`, since `EventSource` cannot send the bearer token). Pages subscribe to
//! the kinds they show ([`Live::on`]) and reload when one comes: a budget alert reaches the
//! bell, a client created elsewhere appears in the list, a job's end shows on the Activity
//! page. The stream resumes after the last event it saw (`Last-Event-ID`) when it drops or its
//! token expires.
//!
//! The stream's request is cut the moment the page is left (`pagehide`) or the frame goes: a
//! page the browser keeps for "back" (the back/forward cache) would otherwise hold its
//! connection, and a few such pages use up the browser's six connections to gmac, so the next
//! page's requests wait forever. A page brought back reconnects.

use std::cell::Cell;
use std::rc::Rc;

use futures_util::future::{AbortHandle, abortable};
use gmac_types::Event;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::{Auth, AuthStatus};

/// How many recent events are kept for subscribers that have not run yet.
const KEPT: usize = 200;
/// The wait before reconnecting a stream that dropped.
const RECONNECT_MS: i32 = 2000;

/// The live stream's state, provided as context inside the signed-in frame. `Copy`.
#[derive(Clone, Copy, Debug)]
pub struct Live {
    /// Recent events, oldest first.
    recent: RwSignal<Vec<Event>>,
    /// Whether the stream is open.
    connected: RwSignal<bool>,
    /// Cleared when the frame goes: the reading loop stops.
    running: StoredValue<bool>,
    /// Cuts the open stream's request (dropping it aborts the fetch).
    cut: StoredValue<Option<AbortHandle>>,
}

/// The live stream from context, if the frame provides one.
pub fn use_live() -> Option<Live> {
    use_context::<Live>()
}

impl Live {
    /// Opens the stream for the signed-in user and provides it as context; it closes when the
    /// calling component is cleaned up or the user signs out.
    pub fn provide(auth: Auth) -> Self {
        let live = Self {
            recent: RwSignal::new(Vec::new()),
            connected: RwSignal::new(false),
            running: StoredValue::new(true),
            cut: StoredValue::new(None),
        };
        provide_context(live);
        let left = window_event_listener_untyped("pagehide", move |_| live.cut());
        on_cleanup(move || {
            left.remove();
            live.running.set_value(false);
            live.cut();
        });
        spawn_local(live.read(auth));
        live
    }

    /// Whether the stream is open (tracked).
    pub fn connected(self) -> bool {
        self.connected.get()
    }

    /// Runs `then` (untracked) once for every new batch holding an event whose type starts
    /// with one of `prefixes`, from the moment of the call.
    pub fn on(self, prefixes: &'static [&'static str], then: impl Fn(&Event) + 'static) {
        let seen = Rc::new(Cell::new(
            self.recent.with_untracked(|r| r.last().map_or(0, |e| e.id)),
        ));
        Effect::new(move |_| {
            let after = seen.get();
            let wanted = self.recent.with(|recent| {
                if let Some(last) = recent.last() {
                    seen.set(last.id);
                }
                recent
                    .iter()
                    .filter(|e| e.id > after)
                    .rfind(|e| prefixes.iter().any(|p| e.event_type.starts_with(p)))
                    .cloned()
            });
            if let Some(event) = wanted {
                untrack(|| then(&event));
            }
        });
    }

    /// Cuts the open stream's request; the loop reconnects after its pause, unless it stops.
    fn cut(self) {
        if let Some(Some(handle)) = self.cut.try_get_value() {
            handle.abort();
        }
    }

    async fn read(self, auth: Auth) {
        let mut last_id: Option<i64> = None;
        while self.running.try_get_value().unwrap_or(false) {
            if auth.status_untracked() != AuthStatus::SignedIn {
                crate::js::sleep(RECONNECT_MS).await;
                continue;
            }
            let opened = auth
                .call(move |c| async move { c.open_event_stream(last_id).await })
                .await;
            if let Ok(mut stream) = opened {
                self.connected.set(true);
                let (reading, handle) = abortable(async {
                    while let Some(Ok(message)) = stream.next().await {
                        if message.event == "end" {
                            break;
                        }
                        let Ok(event) = serde_json::from_str::<Event>(&message.data) else {
                            continue;
                        };
                        last_id = Some(event.id);
                        self.recent.update(|recent| {
                            recent.push(event);
                            if recent.len() > KEPT {
                                recent.drain(..recent.len() - KEPT);
                            }
                        });
                    }
                });
                self.cut.set_value(Some(handle));
                // Cut or ended, the stream (and its request) is dropped here.
                let _ = reading.await;
                self.cut.try_set_value(None);
                if self.connected.try_set(false).is_some() {
                    return;
                }
            }
            crate::js::sleep(RECONNECT_MS).await;
        }
    }
}
