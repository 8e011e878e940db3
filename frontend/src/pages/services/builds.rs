//! A service's builds (issue 11, point 7): on the service's page, the analytics of the last 7
//! or 30 days (builds per day, success rate, mean and p95 durations), a form that starts a
//! build and the list of builds; `/builds/:id`, one build with its steps, their durations and
//! its log followed live (server-sent events), retry and cancel; and the build settings
//! (Dockerfile, build arguments, hooks, cache, build secrets).

use futures_util::future::abortable;
use gmac_types::{
    Build, BuildSettingsPatch, BuildStats, BuildStatus, ErrorCode, JobLogLine, NewBuild, PageQuery,
    Permission, Service, ServicePatch,
};
use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api::{self, CHANGED_ELSEWHERE, PAGE_SIZE, describe};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FieldMessages, FormErrors, FormField, SubmitButton};
use crate::components::named::{ObjectPage, by_route_id};
use crate::components::paging::{ListState, LoadMore, Paged};
use crate::pages::costs::forms::form_errors;
use crate::pages::services::catalog::step_class;
use crate::pages::set_title;
use crate::state::use_auth;

/// The badge of a build's status.
pub fn status_class(status: BuildStatus) -> &'static str {
    match status {
        BuildStatus::Succeeded => "badge badge-success",
        BuildStatus::Failed => "badge badge-danger",
        BuildStatus::Cancelled => "badge",
        BuildStatus::Queued | BuildStatus::Running => "badge badge-warning",
    }
}

/// A duration for people: `850 ms`, `4.2 s`, `3 min 07 s`.
pub fn duration_label(ms: i64) -> String {
    match ms {
        ..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{}.{} s", ms / 1000, (ms % 1000) / 100),
        _ => format!("{} min {:02} s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

fn short(commit: Option<&str>) -> String {
    commit.map_or_else(|| "—".to_owned(), |c| c.chars().take(12).collect())
}

/// The builds card of a service's page; `default_ref` is what the form offers to build.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "one card: analytics, the start form and the list share its signals"
)]
pub fn BuildsCard(service_id: String, default_ref: String) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let runs = auth.can_untracked(Permission::BuildsRun);
    let days = RwSignal::new(7_u32);
    let stats_id = service_id.clone();
    let stats = LocalResource::new(move || {
        let (id, days) = (stats_id.clone(), days.get());
        async move {
            auth.call(move |c| {
                let id = id.clone();
                async move { c.build_stats(&id, days).await }
            })
            .await
            .map_err(|err| describe(&err))
        }
    });
    let list_id = service_id.clone();
    let list = Paged::new(move |cursor| {
        let id = list_id.clone();
        async move {
            let page = PageQuery::after(PAGE_SIZE, cursor);
            auth.call(move |c| {
                let (id, page) = (id.clone(), page.clone());
                async move { c.list_builds(&id, None, &page).await }
            })
            .await
        }
    });
    let git_ref = RwSignal::new(default_ref);
    let no_cache = RwSignal::new(false);
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let start = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let input = NewBuild {
            git_ref: git_ref.get_untracked().trim().to_owned(),
            cache: no_cache.get_untracked().then_some(false),
        };
        let id = service_id.clone();
        let navigate = navigate.clone();
        busy.set(true);
        errors.set(FormErrors::default());
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (id, input) = (id.clone(), input.clone());
                    async move { c.start_build(&id, &input).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(build) => navigate(&format!("/builds/{}", build.id), NavigateOptions::default()),
                Err(err) => errors.set(form_errors(&err, &["ref"], &[])),
            }
        });
    };
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let empty = Signal::derive(|| {
        "No builds yet: a push to an environment's branch, or the form above, starts one."
            .to_owned()
    });
    let row = move |b: Build| {
        let href = format!("/builds/{}", b.id);
        let took = b.duration_ms.map(duration_label).unwrap_or_default();
        view! {
            <tr data-build=b.id.clone() data-status=b.status.id()>
                <td data-label="Build"><A href=href>{format!("#{}", b.number)}</A></td>
                <td data-label="Status"><span class=status_class(b.status)>{b.status.label()}</span></td>
                <td data-label="Ref" class="mono">{b.git_ref.clone()}</td>
                <td data-label="Commit" class="mono" title=b.commit.clone().unwrap_or_default()>{short(b.commit.as_deref())}</td>
                <td data-label="Environment">{b.environment.clone().unwrap_or_else(|| "None".to_owned())}</td>
                <td data-label="Started by">{b.trigger.id()}</td>
                <td data-label="Took">{took}</td>
            </tr>
        }
    };
    view! {
        <section class="card section-gap" aria-labelledby="builds-title" id="service-builds">
            <header class="card-header">
                <h2 id="builds-title">"Builds"</h2>
                <div class="segmented" role="group" aria-label="Analytics window">
                    <button type="button" class="segment" id="stats-7" aria-pressed=move || (days.get() == 7).to_string() on:click=move |_| days.set(7)>"7 days"</button>
                    <button type="button" class="segment" id="stats-30" aria-pressed=move || (days.get() == 30).to_string() on:click=move |_| days.set(30)>"30 days"</button>
                </div>
            </header>
            <div class="card-body">
                {move || match stats.get() {
                    Some(Ok(s)) => view! { <Analytics stats=s /> }.into_any(),
                    Some(Err(message)) => view! { <p class="field-error">{message}</p> }.into_any(),
                    None => view! { <p class="muted">"Loading the analytics…"</p> }.into_any(),
                }}
            </div>
            {runs
                .then(|| {
                    view! {
                        <form class="form card-body build-start" id="start-build" novalidate=true on:submit=start>
                            <ErrorBanner message=banner />
                            <div class="field-row">
                                <FormField id="build-ref" field="ref" label="Branch, tag or commit" autocomplete="off" mono=true value=git_ref errors=errors disabled=busy />
                                <label class="check">
                                    <input type="checkbox" id="build-no-cache" prop:checked=move || no_cache.get() on:change=move |ev| no_cache.set(event_target_checked(&ev)) />
                                    " Without the layer cache"
                                </label>
                            </div>
                            <div class="form-actions">
                                <SubmitButton id="start-build-button" label="Build" busy_label="Starting…" busy=busy inline=true />
                            </div>
                        </form>
                    }
                })}
            <ListState list=list loading="Loading builds…" empty=empty />
            <Show when=move || !list.with_items(<[Build]>::is_empty)>
                <div class="table-wrap">
                    <table class="table table-stack" id="builds-table">
                        <thead>
                            <tr>
                                <th scope="col">"Build"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Ref"</th>
                                <th scope="col">"Commit"</th>
                                <th scope="col">"Environment"</th>
                                <th scope="col">"Started by"</th>
                                <th scope="col">"Took"</th>
                            </tr>
                        </thead>
                        <tbody>{move || list.items().into_iter().map(row).collect_view()}</tbody>
                    </table>
                </div>
            </Show>
            <div class="card-body">
                <button type="button" class="button button-small" id="reload-builds" aria-label="Refresh the builds" on:click=move |_| { list.reload(); stats.refetch(); }>
                    "Refresh"
                </button>
            </div>
            <LoadMore list=list />
        </section>
    }
}

/// The analytics: figures, and a bar per day (succeeded below failed and cancelled).
#[component]
fn Analytics(stats: BuildStats) -> impl IntoView {
    let figure = |id: &'static str, label: &'static str, value: String| {
        view! {
            <div class="stat" id=id>
                <span class="stat-label">{label}</span>
                <span class="stat-value">{value}</span>
            </div>
        }
    };
    let rate = stats
        .success_rate
        .map_or_else(|| "—".to_owned(), |r| format!("{r:.1} %"));
    let mean = stats
        .mean_duration_ms
        .map_or_else(|| "—".to_owned(), duration_label);
    let p95 = stats
        .p95_duration_ms
        .map_or_else(|| "—".to_owned(), duration_label);
    let most = stats
        .per_day
        .iter()
        .map(|d| d.total)
        .max()
        .unwrap_or(0)
        .max(1);
    let width = 12.0_f64;
    let gap = 4.0_f64;
    let height = 80.0_f64;
    #[expect(clippy::cast_precision_loss, reason = "a few builds a day")]
    let bar = |n: i64| n as f64 / most as f64 * height;
    let bars = stats
        .per_day
        .iter()
        .enumerate()
        .map(|(i, d)| {
            #[expect(clippy::cast_precision_loss, reason = "at most 90 days")]
            let x = i as f64 * (width + gap);
            let ok = bar(d.succeeded);
            let bad = bar(d.failed);
            let off = bar(d.cancelled);
            let title = format!(
                "{}: {} builds, {} succeeded, {} failed, {} cancelled{}",
                d.date,
                d.total,
                d.succeeded,
                d.failed,
                d.cancelled,
                d.mean_duration_ms
                    .map(|m| format!(", mean {}", duration_label(m)))
                    .unwrap_or_default()
            );
            view! {
                <g data-date=d.date.to_string() data-total=d.total>
                    <title>{title}</title>
                    <rect class="bar-ok" x=x y=height - ok width=width height=ok />
                    <rect class="bar-failed" x=x y=height - ok - bad width=width height=bad />
                    <rect class="bar-cancelled" x=x y=height - ok - bad - off width=width height=off />
                </g>
            }
        })
        .collect_view();
    #[expect(clippy::cast_precision_loss, reason = "at most 90 days")]
    let view_width = stats.per_day.len() as f64 * (width + gap);
    let first = stats
        .per_day
        .first()
        .map(|d| d.date.to_string())
        .unwrap_or_default();
    let last = stats
        .per_day
        .last()
        .map(|d| d.date.to_string())
        .unwrap_or_default();
    let summary = format!(
        "{} builds in {} days: {} succeeded, {} failed, {} cancelled",
        stats.total, stats.days, stats.succeeded, stats.failed, stats.cancelled
    );
    view! {
        <div class="build-stats" id="build-stats" data-total=stats.total data-succeeded=stats.succeeded data-failed=stats.failed>
            <div class="stat-row">
                {figure("stat-total", "Builds", stats.total.to_string())}
                {figure("stat-rate", "Success rate", rate)}
                {figure("stat-mean", "Mean duration", mean)}
                {figure("stat-p95", "p95 duration", p95)}
            </div>
            <svg class="build-chart" id="build-chart" role="img" aria-label=summary viewBox=format!("0 0 {view_width} {height}") preserveAspectRatio="none">
                {bars}
            </svg>
            <div class="build-chart-axis muted"><span>{first}</span><span>{last}</span></div>
        </div>
    }
}

/// `/builds/:id`: one build.
#[component]
pub fn BuildPage() -> impl IntoView {
    let build = by_route_id(|c, id| async move { c.get_build(&id).await });
    let show = move |loaded: Build| {
        set_title(&format!("Build #{}", loaded.number));
        view! { <BuildView loaded=loaded /> }.into_any()
    };
    view! {
        <ObjectPage object=build back="/services" back_label="Services" loading="Loading the build…" show=show />
    }
}

#[component]
fn BuildView(loaded: Build) -> impl IntoView {
    let auth = use_auth();
    let runs = auth.can_untracked(Permission::BuildsRun);
    let current = RwSignal::new(loaded);
    let lines = RwSignal::new(Vec::<String>::new());
    let error = RwSignal::new(None::<String>);
    let follow_log = RwSignal::new(true);
    let log_ref = NodeRef::<html::Pre>::new();
    let generation = StoredValue::new(0_u32);
    let handle = StoredValue::new(None::<futures_util::future::AbortHandle>);

    let refresh = move || {
        let id = current.with_untracked(|b| b.id.clone());
        spawn_local(async move {
            if let Ok(fresh) = auth
                .call(move |c| {
                    let id = id.clone();
                    async move { c.get_build(&id).await }
                })
                .await
            {
                current.try_set(fresh);
            }
        });
    };
    // The log, followed as server-sent events until the build ends (resumed after the last
    // line if the stream is cut).
    let follow = move || {
        let id = current.with_untracked(|b| b.id.clone());
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        if let Some(Some(old)) = handle.try_get_value() {
            old.abort();
        }
        lines.set(Vec::new());
        spawn_local(async move {
            let mut last: Option<i64> = None;
            loop {
                let id2 = id.clone();
                let opened = auth
                    .call(move |c| {
                        let id = id2.clone();
                        async move { c.follow_build_log(&id, last).await }
                    })
                    .await;
                let mut ended = false;
                match opened {
                    Ok(mut stream) => {
                        let (reading, abort) = abortable(async {
                            while let Some(Ok(event)) = stream.next().await {
                                match event.event.as_str() {
                                    "log" => {
                                        if let Ok(line) =
                                            serde_json::from_str::<JobLogLine>(&event.data)
                                        {
                                            last = Some(line.seq);
                                            lines.try_update(|l| l.push(line.line));
                                        }
                                    }
                                    "job" => refresh(),
                                    "end" => {
                                        ended = true;
                                        break;
                                    }
                                    _ => {}
                                }
                            }
                        });
                        handle.try_set_value(Some(abort));
                        if reading.await.is_err() {
                            return;
                        }
                    }
                    Err(err) => {
                        error.try_set(Some(describe(&err)));
                        return;
                    }
                }
                if ended || generation.try_get_value() != Some(mine) {
                    refresh();
                    return;
                }
                crate::js::sleep(api::FOLLOW_MS).await;
            }
        });
    };
    follow();
    on_cleanup(move || {
        if let Some(Some(h)) = handle.try_get_value() {
            h.abort();
        }
    });
    // Keep the newest line in view while following.
    Effect::new(move |_| {
        lines.track();
        if follow_log.get_untracked()
            && let Some(pre) = log_ref.get()
        {
            pre.set_scroll_top(pre.scroll_height());
        }
    });

    let act = move |retry: bool| {
        let id = current.with_untracked(|b| b.id.clone());
        error.set(None);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let id = id.clone();
                    async move {
                        if retry {
                            c.retry_build(&id).await
                        } else {
                            c.cancel_build(&id).await
                        }
                    }
                })
                .await;
            match result {
                Ok(b) => {
                    current.set(b);
                    if retry {
                        follow();
                    }
                }
                Err(err) => error.set(Some(describe(&err))),
            }
        });
    };

    let facts = move || {
        let b = current.get();
        let service = format!("/services/{}", b.service_id);
        view! {
            <dl class="facts" id="build-facts">
                <dt>"Status"</dt>
                <dd>
                    <span class=status_class(b.status) id="build-status" data-status=b.status.id()>{b.status.label()}</span>
                    {b.error.clone().map(|e| view! { <span class="cell-sub field-error" id="build-error">{e}</span> })}
                </dd>
                <dt>"Service"</dt>
                <dd><A href=service>"Open the service"</A></dd>
                <dt>"Ref"</dt>
                <dd class="mono">{b.git_ref.clone()}</dd>
                <dt>"Commit"</dt>
                <dd class="mono" id="build-commit">{b.commit.clone().unwrap_or_else(|| "Not checked out yet".to_owned())}</dd>
                <dt>"Environment"</dt>
                <dd>{b.environment.clone().unwrap_or_else(|| "None".to_owned())}</dd>
                <dt>"Started by"</dt>
                <dd>{b.trigger.id()}{(!b.cache).then_some(", without the layer cache")}</dd>
                <dt>"Image"</dt>
                <dd class="mono cell-wrap" id="build-image">
                    {b.image_id.clone().unwrap_or_else(|| "Not built yet".to_owned())}
                    {b.image_tags.iter().map(|t| view! { <span class="cell-sub">{t.clone()}</span> }).collect_view()}
                    {b.digest.clone().map(|d| view! { <span class="cell-sub">{d}</span> })}
                </dd>
                <dt>"Took"</dt>
                <dd id="build-duration">{b.duration_ms.map_or_else(|| "—".to_owned(), duration_label)}</dd>
            </dl>
        }
    };
    let steps = move || {
        current
            .get()
            .steps
            .into_iter()
            .map(|s| {
                let class = step_class(&s.status);
                view! {
                    <li data-step=s.name.clone() data-status=s.status.clone()>
                        <span class=class>{s.status.clone()}</span>
                        " "
                        {s.name.clone()}
                        {s.duration_ms.map(|ms| view! { <span class="muted">{format!(" · {}", duration_label(ms))}</span> })}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <header class="page-header">
            <p class="eyebrow">"Build"</p>
            <h1 id="build-title">{move || current.with(|b| format!("Build #{}", b.number))}</h1>
        </header>
        <ErrorBanner message=error />
        <section class="card" aria-labelledby="build-overview-title">
            <h2 id="build-overview-title" class="card-title">"Overview"</h2>
            <div class="card-body">{facts}</div>
            {runs
                .then(|| {
                    view! {
                        <div class="form-actions card-body">
                            <Show when=move || current.with(|b| matches!(b.status, BuildStatus::Failed | BuildStatus::Cancelled))>
                                <button type="button" class="button button-primary" id="retry-build" on:click=move |_| act(true)>"Retry"</button>
                            </Show>
                            <Show when=move || current.with(|b| !b.status.is_finished())>
                                <button type="button" class="button button-danger" id="cancel-build" on:click=move |_| act(false)>"Cancel"</button>
                            </Show>
                        </div>
                    }
                })}
        </section>
        <section class="card section-gap" aria-labelledby="build-steps-title">
            <h2 id="build-steps-title" class="card-title">"Steps"</h2>
            <ol class="job-steps card-body" id="build-steps">{steps}</ol>
        </section>
        <section class="card section-gap" aria-labelledby="build-log-title">
            <header class="card-header">
                <h2 id="build-log-title">"Log"</h2>
                <label class="check">
                    <input type="checkbox" id="follow-log" prop:checked=move || follow_log.get() on:change=move |ev| follow_log.set(event_target_checked(&ev)) />
                    " Follow"
                </label>
            </header>
            <pre class="job-log build-log" id="build-log" node_ref=log_ref aria-live="polite">
                {move || lines.get().join("\n")}
            </pre>
        </section>
    }
}

/// Lines of a text area: trimmed, blank ones left out.
fn lines_of(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `NAME=value` lines as build arguments; a line without `=` is answered as an error.
fn arguments_of(text: &str) -> Result<std::collections::BTreeMap<String, String>, String> {
    lines_of(text)
        .into_iter()
        .map(|line| {
            line.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .ok_or_else(|| format!("“{line}” is not NAME=value."))
        })
        .collect()
}

/// The build settings form of a service's page.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "one form: its fields, its secrets and its save share their signals"
)]
pub fn BuildSettingsCard(current: RwSignal<Service>, reload: Callback<()>) -> impl IntoView {
    let auth = use_auth();
    let dockerfile = RwSignal::new(String::new());
    let hook_image = RwSignal::new(String::new());
    let args = RwSignal::new(String::new());
    let pre = RwSignal::new(String::new());
    let post = RwSignal::new(String::new());
    let cache = RwSignal::new(true);
    let secret_name = RwSignal::new(String::new());
    let secret_value = RwSignal::new(String::new());
    let removed = RwSignal::new(Vec::<String>::new());
    let errors = RwSignal::new(FormErrors::default());
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let fill = move |s: &Service| {
        dockerfile.set(s.build.dockerfile.clone());
        hook_image.set(s.build.hook_image.clone());
        args.set(
            s.build
                .build_args
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        pre.set(s.build.pre_build.join("\n"));
        post.set(s.build.post_build.join("\n"));
        cache.set(s.build.cache);
        secret_name.set(String::new());
        secret_value.set(String::new());
        removed.set(Vec::new());
    };
    current.with_untracked(fill);
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let build_args = match arguments_of(&args.get_untracked()) {
            Ok(a) => a,
            Err(message) => {
                errors.set(FormErrors::from_fields(vec![gmac_types::FieldError::new(
                    "build_args",
                    "invalid",
                    message,
                )]));
                return;
            }
        };
        let mut secrets: std::collections::BTreeMap<String, Option<String>> = removed
            .get_untracked()
            .into_iter()
            .map(|n| (n, None))
            .collect();
        let name = secret_name.get_untracked().trim().to_owned();
        if !name.is_empty() {
            secrets.insert(name, Some(secret_value.get_untracked()));
        }
        let patch = ServicePatch {
            build: Some(BuildSettingsPatch {
                dockerfile: Some(dockerfile.get_untracked().trim().to_owned()),
                build_args: Some(build_args),
                pre_build: Some(lines_of(&pre.get_untracked())),
                post_build: Some(lines_of(&post.get_untracked())),
                hook_image: Some(hook_image.get_untracked().trim().to_owned()),
                cache: Some(cache.get_untracked()),
                secrets: (!secrets.is_empty()).then_some(secrets),
            }),
            ..ServicePatch::default()
        };
        let (id, version) = current.with_untracked(|s| (s.id.clone(), s.version));
        busy.set(true);
        errors.set(FormErrors::default());
        notice.set(None);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (id, patch) = (id.clone(), patch.clone());
                    async move { c.update_service(&id, &patch, Some(version)).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(saved) => {
                    fill(&saved);
                    current.set(saved);
                    notice.set(Some("The build settings are saved.".to_owned()));
                }
                Err(err) if api::is(&err, ErrorCode::PreconditionFailed) => {
                    errors.set(FormErrors::from_message(CHANGED_ELSEWHERE.to_owned()));
                    reload.run(());
                }
                Err(err) => {
                    let mut found = form_errors(&err, &["build"], &["build"]);
                    for f in &mut found.fields {
                        // `/build/pre_build/0` is the pre-build hooks' box, and so on.
                        let field = f
                            .pointer
                            .trim_start_matches("/build/")
                            .split('/')
                            .next()
                            .unwrap_or("")
                            .to_owned();
                        f.pointer = format!("/{field}");
                    }
                    errors.set(found);
                }
            }
        });
    };
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let area = move |(id, hint_id, error_id): (&'static str, &'static str, &'static str),
                     field: &'static str,
                     label: &'static str,
                     hint: &'static str,
                     value: RwSignal<String>| {
        let described = format!("{hint_id} {error_id}");
        view! {
            <div class="field" class:field-invalid=move || errors.with(|e| e.has(field))>
                <label for=id>{label}</label>
                <textarea id=id name=field class="input mono" rows="3" spellcheck="false" aria-describedby=described disabled=move || busy.get() bind:value=value></textarea>
                <p class="field-hint" id=hint_id>{hint}</p>
                <FieldMessages id=error_id field=field errors=errors />
            </div>
        }
    };
    let secret_names = move || current.with(|s| s.build.secret_names.clone());
    view! {
        <section class="card section-gap" aria-labelledby="build-settings-title">
            <h2 id="build-settings-title" class="card-title">"Build settings"</h2>
            <form class="form card-body" id="build-settings" novalidate=true on:submit=save>
                <NoticeBanner message=notice />
                <ErrorBanner message=banner />
                <div class="field-row">
                    <FormField id="build-dockerfile" field="dockerfile" label="Dockerfile" autocomplete="off" mono=true value=dockerfile errors=errors disabled=busy />
                    <FormField id="build-hook-image" field="hook_image" label="Image the pre-build hooks run in" autocomplete="off" mono=true value=hook_image errors=errors disabled=busy />
                </div>
                {area(("build-args", "build-args-hint", "build-args-error"), "build_args", "Build arguments", "NAME=value, one a line. They stay in the image's history: never put a secret here.", args)}
                {area(("build-pre", "build-pre-hint", "build-pre-error"), "pre_build", "Pre-build hooks", "Shell commands, one a line, run without a network in the checkout (/workspace) before the image is built.", pre)}
                {area(("build-post", "build-post-hint", "build-post-error"), "post_build", "Post-build hooks", "Shell commands, one a line, run without a network in a container of the image just built.", post)}
                <label class="check">
                    <input type="checkbox" id="build-cache" prop:checked=move || cache.get() on:change=move |ev| cache.set(event_target_checked(&ev)) />
                    " Reuse cached layers"
                </label>
                <fieldset class="fieldset">
                    <legend>"Build secrets"</legend>
                    <p class="muted">"Mounted for RUN --mount=type=secret,id=NAME at /run/secrets/NAME; never shown again, masked in every log."</p>
                    <ul class="plain-list" id="build-secret-names">
                        {move || {
                            secret_names()
                                .into_iter()
                                .map(|name| {
                                    let n = name.clone();
                                    let gone = Signal::derive(move || removed.with(|r| r.contains(&n)));
                                    let toggle_name = name.clone();
                                    view! {
                                        <li class="mono" data-secret=name.clone() class:struck=move || gone.get()>
                                            {name.clone()}
                                            " "
                                            <button type="button" class="button button-small" on:click=move |_| {
                                                let n = toggle_name.clone();
                                                removed.update(|r| if let Some(i) = r.iter().position(|x| *x == n) { r.remove(i); } else { r.push(n); });
                                            }>
                                                {move || if gone.get() { "Keep" } else { "Remove" }}
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ul>
                    <div class="field-row">
                        <FormField id="build-secret-name" field="secrets" label="New secret's name" autocomplete="off" mono=true optional=true value=secret_name errors=errors disabled=busy />
                        <FormField id="build-secret-value" field="secret_value" label="Its value" input_type="password" autocomplete="new-password" optional=true value=secret_value errors=errors disabled=busy />
                    </div>
                </fieldset>
                <div class="form-actions">
                    <SubmitButton id="save-build-settings" label="Save build settings" busy_label="Saving…" busy=busy inline=true />
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration_label(850), "850 ms");
        assert_eq!(duration_label(4_250), "4.2 s");
        assert_eq!(duration_label(187_000), "3 min 07 s");
    }

    #[test]
    fn build_arguments_are_name_value_lines() {
        let args = arguments_of("A=1\n\n  B = x=y \n").unwrap();
        assert_eq!(args["A"], "1");
        assert_eq!(args["B"], " x=y");
        assert!(arguments_of("nope").is_err());
    }
}
