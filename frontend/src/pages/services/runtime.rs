//! An environment's live release as its container host or its cluster sees it (issue 12,
//! point 4): each instance (a container, or a pod), how it last exited or why it waits, and
//! its own output followed live (on a cluster, every pod's, each line named by its pod).

use std::fmt::Write as _;

use futures_util::future::abortable;
use gmac_types::runtime::{EnvironmentInstances, Instance, ServiceLogLine};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::describe;
use crate::state::use_auth;

/// How an instance stands, as a person reads it.
pub fn instance_label(instance: &Instance) -> String {
    let mut text = if instance.running {
        "running".to_owned()
    } else {
        "stopped".to_owned()
    };
    if instance.restarts > 0 {
        let _ = write!(
            text,
            ", restarted {} time{}",
            instance.restarts,
            if instance.restarts == 1 { "" } else { "s" }
        );
    }
    if let Some(exit) = &instance.last_exit {
        let _ = write!(
            text,
            "; last exit: code {} ({})",
            exit.code,
            exit.reason.label()
        );
        if let Some(at) = exit.at {
            let _ = write!(text, " at {}", at.format("%Y-%m-%d %H:%M:%S UTC"));
        }
        if let Some(detail) = &exit.detail {
            let _ = write!(text, ": {detail}");
        }
    }
    if let Some(waiting) = &instance.waiting {
        let _ = write!(text, "; waiting: {waiting}");
    }
    text
}

/// A line of output as shown: named by its instance when several write.
pub fn shown_line(line: &ServiceLogLine, several: bool) -> String {
    if several {
        format!("[{}] {}", line.instance, line.line)
    } else {
        line.line.clone()
    }
}

/// The instances of the environment's live release, and its output behind a button.
#[component]
pub fn EnvironmentRuntime(environment_id: String, name: String) -> impl IntoView {
    let auth = use_auth();
    let instances = RwSignal::new(None::<EnvironmentInstances>);
    let error = RwSignal::new(None::<String>);
    let lines = RwSignal::new(Vec::<String>::new());
    let open = RwSignal::new(false);
    let handle = StoredValue::new(None::<futures_util::future::AbortHandle>);
    let log_ref = NodeRef::<html::Pre>::new();
    let id = StoredValue::new(environment_id);
    let load = move || {
        let id = id.get_value();
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let id = id.clone();
                    async move { c.environment_instances(&id).await }
                })
                .await;
            match result {
                Ok(found) => {
                    instances.try_set(Some(found));
                }
                Err(err) => {
                    error.try_set(Some(describe(&err)));
                }
            }
        });
    };
    load();
    let stop = move || {
        if let Some(Some(h)) = handle.try_get_value() {
            h.abort();
        }
        open.set(false);
    };
    let follow = move || {
        stop();
        open.set(true);
        lines.set(Vec::new());
        // Abortable from the click on: a Stop (or the card going away) while the stream is
        // still opening ends it too.
        let (following, abort) = abortable(follow_log(
            auth,
            id.get_value(),
            Shown {
                instances,
                error,
                lines,
                open,
            },
        ));
        handle.set_value(Some(abort));
        spawn_local(async move {
            let _ = following.await;
        });
    };
    on_cleanup(move || {
        if let Some(Some(h)) = handle.try_get_value() {
            h.abort();
        }
    });
    Effect::new(move |_| {
        lines.track();
        if let Some(pre) = log_ref.get() {
            pre.set_scroll_top(pre.scroll_height());
        }
    });
    let label = format!("{name}: instances and logs");
    drop(name);
    view! {
        <section class="runtime" role="group" id=format!("runtime-{}", id.get_value()) aria-label=label>
            <h4>"Instances"</h4>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <ul class="instances">
                {move || instances.get().map(|found| {
                    if found.instances.is_empty() {
                        view! { <li class="muted">"Nothing runs"</li> }.into_any()
                    } else {
                        found.instances.iter().map(|i| view! {
                            <li data-instance=i.name.clone()>
                                <span class="mono">{i.name.clone()}</span>
                                " "
                                <span class=if i.running { "badge ok" } else { "badge error" }>{instance_label(i)}</span>
                            </li>
                        }).collect_view().into_any()
                    }
                })}
            </ul>
            <div class="actions">
                <button type="button" class="secondary" on:click=move |_| load()>"Refresh"</button>
                {move || if open.get() {
                    view! { <button type="button" class="secondary" id=format!("stop-logs-{}", id.get_value()) on:click=move |_| stop()>"Stop following"</button> }.into_any()
                } else {
                    view! { <button type="button" class="secondary" id=format!("logs-{}", id.get_value()) on:click=move |_| follow()>"Logs"</button> }.into_any()
                }}
            </div>
            {move || open.get().then(|| view! {
                <pre class="log" node_ref=log_ref aria-live="polite" id=format!("log-{}", id.get_value())>
                    {move || lines.get().join("\n")}
                </pre>
            })}
        </section>
    }
}

/// What the card shows, for the log follower to update.
#[derive(Clone, Copy)]
struct Shown {
    instances: RwSignal<Option<EnvironmentInstances>>,
    error: RwSignal<Option<String>>,
    lines: RwSignal<Vec<String>>,
    open: RwSignal<bool>,
}

/// Follows the environment's log into `shown` until the instance stops (or the caller aborts it).
async fn follow_log(auth: crate::state::Auth, id: String, shown: Shown) {
    let Shown {
        instances,
        error,
        lines,
        open,
    } = shown;
    let opened = auth
        .call(move |c| {
            let id = id.clone();
            async move { c.follow_environment_log(&id, 200).await }
        })
        .await;
    let mut stream = match opened {
        Ok(stream) => stream,
        Err(err) => {
            error.try_set(Some(describe(&err)));
            open.try_set(false);
            return;
        }
    };
    let mut writers = std::collections::BTreeSet::new();
    while let Some(Ok(event)) = stream.next().await {
        match event.event.as_str() {
            "log" => {
                if let Ok(line) = serde_json::from_str::<ServiceLogLine>(&event.data) {
                    // Several write when the card knew several, or when the stream shows them
                    // (the card's list may predate a scale).
                    writers.insert(line.instance.clone());
                    let several = writers.len() > 1
                        || instances
                            .try_with_untracked(|i| i.as_ref().map_or(0, |f| f.instances.len()) > 1)
                            .unwrap_or(false);
                    lines.try_update(|l| {
                        l.push(shown_line(&line, several));
                        if l.len() > 2000 {
                            l.drain(..l.len() - 2000);
                        }
                    });
                }
            }
            "end" => {
                if let Ok(now) = serde_json::from_str::<EnvironmentInstances>(&event.data) {
                    instances.try_set(Some(now));
                }
                lines.try_update(|l| l.push("— the output ended —".to_owned()));
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use gmac_types::runtime::{ExitReason, LastExit, OutputStream};

    use super::*;

    fn pod(waiting: Option<&str>, last_exit: Option<LastExit>) -> Instance {
        Instance {
            name: "docs-1-a".into(),
            running: waiting.is_none(),
            restarts: 3,
            started_at: None,
            last_exit,
            waiting: waiting.map(str::to_owned),
        }
    }

    #[test]
    fn a_waiting_pod_says_why_after_its_last_exit() {
        let crashing = pod(
            Some("CrashLoopBackOff: back-off 40s"),
            Some(LastExit {
                code: 1,
                reason: ExitReason::Error,
                at: None,
                detail: None,
            }),
        );
        assert_eq!(
            instance_label(&crashing),
            "stopped, restarted 3 times; last exit: code 1 (exited with an error); waiting: CrashLoopBackOff: back-off 40s"
        );
        assert_eq!(
            instance_label(&pod(None, None)),
            "running, restarted 3 times"
        );
    }

    #[test]
    fn lines_are_named_by_their_pod_only_when_several_write() {
        let line = ServiceLogLine {
            instance: "docs-1-a".into(),
            stream: OutputStream::Stdout,
            at: None,
            line: "listening on :8080".into(),
        };
        assert_eq!(shown_line(&line, false), "listening on :8080");
        assert_eq!(shown_line(&line, true), "[docs-1-a] listening on :8080");
    }
}
