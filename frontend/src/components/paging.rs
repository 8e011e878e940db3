//! Lists a page at a time: the state of a cursor-paged list, the debounced filter box, the
//! "Load more" footer and the loading, empty and error states every list shows.

use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use gmac_client::ApiError;
use gmac_types::Page;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Failure, FailureKind, describe};
use crate::components::icon::{Icon, IconName};
use crate::components::spinner::{Loading, Spinner};

/// How long typing must pause before a filter applies.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Where a list stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListStatus {
    /// The first page is on its way.
    Loading,
    /// Loaded.
    Ready,
    /// The next page is on its way.
    LoadingMore,
    /// The first page failed; the failure says why.
    Failed(Failure),
    /// A further page failed; what was loaded stays.
    MoreFailed(String),
}

type Fetch<T> = Rc<dyn Fn(Option<String>) -> LocalBoxFuture<'static, Result<Page<T>, ApiError>>>;

/// A cursor-paged list: the items loaded so far, and the way to the next page. `Copy`: it is
/// a set of handles. Answers that arrive after a newer request started are dropped, so a
/// quickly changed filter never shows stale rows.
pub struct Paged<T: Send + Sync + 'static> {
    items: RwSignal<Vec<T>>,
    next: RwSignal<Option<String>>,
    total: RwSignal<u64>,
    status: RwSignal<ListStatus>,
    generation: StoredValue<u64>,
    fetch: StoredValue<Fetch<T>, LocalStorage>,
}

impl<T: Send + Sync + 'static> Clone for Paged<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Paged<T> {}

impl<T: Send + Sync + 'static> std::fmt::Debug for Paged<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paged").finish_non_exhaustive()
    }
}

impl<T: Clone + Send + Sync + 'static> Paged<T> {
    /// A list that loads pages with `fetch(cursor)` (`None` for the first page), starting now.
    pub fn new<F, Fut>(fetch: F) -> Self
    where
        F: Fn(Option<String>) -> Fut + 'static,
        Fut: Future<Output = Result<Page<T>, ApiError>> + 'static,
    {
        let fetch: Fetch<T> = Rc::new(move |cursor| fetch(cursor).boxed_local());
        let list = Self {
            items: RwSignal::new(Vec::new()),
            next: RwSignal::new(None),
            total: RwSignal::new(0),
            status: RwSignal::new(ListStatus::Loading),
            generation: StoredValue::new(0),
            fetch: StoredValue::new_local(fetch),
        };
        list.reload();
        list
    }

    fn start(self) -> Option<(u64, Fetch<T>)> {
        let generation = self.generation.try_get_value()? + 1;
        self.generation.set_value(generation);
        Some((generation, self.fetch.try_get_value()?))
    }

    fn current(self, generation: u64) -> bool {
        self.generation.try_get_value() == Some(generation)
    }

    /// Loads the first page again (after a filter changed, or to retry).
    pub fn reload(self) {
        let Some((generation, fetch)) = self.start() else {
            return;
        };
        self.status.set(ListStatus::Loading);
        spawn_local(async move {
            let result = fetch(None).await;
            if !self.current(generation) {
                return;
            }
            match result {
                Ok(page) => {
                    self.items.set(page.items);
                    self.next.set(page.next_cursor);
                    self.total.set(page.total);
                    self.status.set(ListStatus::Ready);
                }
                Err(err) => self.status.set(ListStatus::Failed(Failure::of(&err))),
            }
        });
    }

    /// Appends the next page.
    pub fn load_more(self) {
        let Some(cursor) = self.next.try_get_untracked().flatten() else {
            return;
        };
        let Some((generation, fetch)) = self.start() else {
            return;
        };
        self.status.set(ListStatus::LoadingMore);
        spawn_local(async move {
            let result = fetch(Some(cursor)).await;
            if !self.current(generation) {
                return;
            }
            match result {
                Ok(page) => {
                    self.items.update(|items| items.extend(page.items));
                    self.next.set(page.next_cursor);
                    self.total.set(page.total);
                    self.status.set(ListStatus::Ready);
                }
                Err(err) => self.status.set(ListStatus::MoreFailed(describe(&err))),
            }
        });
    }

    /// The items loaded so far (tracked).
    pub fn items(self) -> Vec<T> {
        self.items.get()
    }

    /// Reads the items without cloning them (tracked).
    pub fn with_items<R>(self, f: impl FnOnce(&[T]) -> R) -> R {
        self.items.with(|items| f(items))
    }

    /// Where the list stands (tracked).
    pub fn status(self) -> ListStatus {
        self.status.get()
    }

    /// How many items match in all (tracked).
    pub fn total(self) -> u64 {
        self.total.get()
    }

    /// Whether there is a further page (tracked).
    pub fn has_more(self) -> bool {
        self.next.with(Option::is_some)
    }

    /// Adds an item just created at the top, without a reload.
    pub fn prepend(self, item: T) {
        self.items.update(|items| items.insert(0, item));
        self.total.update(|t| *t += 1);
    }

    /// Replaces the items `matches` picks with `item` (after an edit).
    pub fn replace(self, matches: impl Fn(&T) -> bool, item: &T) {
        self.items.update(|items| {
            for existing in items.iter_mut().filter(|i| matches(i)) {
                existing.clone_from(item);
            }
        });
    }

    /// Drops the items `matches` picks (after a delete).
    pub fn remove(self, matches: impl Fn(&T) -> bool) {
        let mut removed = 0;
        self.items.update(|items| {
            let before = items.len();
            items.retain(|i| !matches(i));
            removed = before - items.len();
        });
        let removed = u64::try_from(removed).unwrap_or(0);
        self.total.update(|t| *t = t.saturating_sub(removed));
    }
}

/// A search box that reports its text once typing pauses.
#[component]
pub fn FilterBox(
    /// The input's `id`.
    id: &'static str,
    /// The visible label.
    label: &'static str,
    /// The placeholder, e.g. "Filter by name".
    #[prop(optional)]
    placeholder: &'static str,
    /// Receives the text (trimmed) after typing pauses.
    on_change: Callback<String>,
) -> impl IntoView {
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev).trim().to_owned();
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(move || on_change.run(text), DEBOUNCE);
        timer.set_value(handle.ok());
    };
    on_cleanup(move || {
        if let Some(handle) = timer.try_get_value().flatten() {
            handle.clear();
        }
    });
    view! {
        <div class="filter-box">
            <label for=id class="visually-hidden">
                {label}
            </label>
            <Icon name=IconName::Search />
            <input
                id=id
                type="search"
                placeholder=placeholder
                autocomplete="off"
                spellcheck="false"
                on:input=on_input
            />
        </div>
    }
}

/// The loading and error states of a list's first page; renders nothing once loaded.
#[component]
pub fn ListState<T: Clone + Send + Sync + 'static>(
    /// The list.
    list: Paged<T>,
    /// What is loading, e.g. "Loading clients…".
    loading: &'static str,
    /// Shown when the list is empty, e.g. "No clients yet."
    empty: Signal<String>,
) -> impl IntoView {
    move || match list.status() {
        ListStatus::Loading => view! { <Loading label=loading /> }.into_any(),
        ListStatus::Failed(message) => {
            view! { <LoadFailed message=message retry=Callback::new(move |()| list.reload()) /> }
                .into_any()
        }
        _ if list.with_items(<[T]>::is_empty) => {
            view! { <p class="list-empty muted">{empty.get()}</p> }.into_any()
        }
        _ => ().into_any(),
    }
}

/// A failed load: what went wrong, and "Try again" when that could help. A refusal (403) or
/// a missing object (404) reads as "Not allowed" or "Not found" instead, without a retry.
#[component]
pub fn LoadFailed(
    /// Why it failed (a plain message counts as worth retrying).
    #[prop(into)]
    message: Failure,
    /// Loads again.
    retry: Callback<()>,
    /// The failure is the whole page's (a detail page): the heading is the page's `h1` and
    /// the browser tab says it too.
    #[prop(optional)]
    page: bool,
) -> impl IntoView {
    let Failure { message, kind } = message;
    let (title, icon) = match kind {
        FailureKind::Forbidden => ("Not allowed", IconName::Lock),
        FailureKind::NotFound => ("Not found", IconName::Compass),
        FailureKind::Unreachable => {
            // The shell's one banner says why; this loads again when the server is back.
            let auth = crate::state::use_auth();
            let seen = auth.returns_untracked();
            Effect::new(move |_| {
                if auth.returns() != seen {
                    retry.run(());
                }
            });
            return view! {
                <p class="muted load-waiting">
                    <Icon name=IconName::Refresh />
                    <span>"Not loaded yet: waiting for the server."</span>
                </p>
            }
            .into_any();
        }
        FailureKind::Other => {
            return view! {
                <div class="banner error-banner load-failed" role="alert">
                    <Icon name=IconName::Alert />
                    <p>{message}</p>
                    <button type="button" class="button button-small" on:click=move |_| retry.run(())>
                        <Icon name=IconName::Refresh />
                        <span>"Try again"</span>
                    </button>
                </div>
            }
            .into_any();
        }
    };
    if page {
        crate::pages::set_title(title);
    }
    let heading = if page {
        view! { <h1 class="refusal-title">{title}</h1> }.into_any()
    } else {
        view! { <h2 class="refusal-title">{title}</h2> }.into_any()
    };
    view! {
        <section class="card empty-state refusal" role="alert">
            <span class="empty-icon">
                <Icon name=icon />
            </span>
            {heading}
            <p class="muted">{message}</p>
        </section>
    }
    .into_any()
}

/// "Showing 25 of 40" and "Load more", under a list.
#[component]
pub fn LoadMore<T: Clone + Send + Sync + 'static>(
    /// The list.
    list: Paged<T>,
) -> impl IntoView {
    let shown = move || list.with_items(<[T]>::len);
    view! {
        <Show when=move || {
            matches!(list.status(), ListStatus::Ready | ListStatus::LoadingMore | ListStatus::MoreFailed(_))
                && shown() > 0
        }>
            <div class="list-footer">
                <p class="muted">{move || format!("Showing {} of {}", shown(), list.total())}</p>
                {move || match list.status() {
                    ListStatus::MoreFailed(message) => {
                        view! { <p class="field-error">{message}</p> }.into_any()
                    }
                    _ => ().into_any(),
                }}
                <Show when=move || list.has_more()>
                    <button
                        type="button"
                        class="button"
                        disabled=move || list.status() == ListStatus::LoadingMore
                        on:click=move |_| list.load_more()
                    >
                        {move || {
                            if list.status() == ListStatus::LoadingMore {
                                view! {
                                    <Spinner />
                                    <span>"Loading…"</span>
                                }
                                    .into_any()
                            } else {
                                view! { <span>"Load more"</span> }.into_any()
                            }
                        }}
                    </button>
                </Show>
            </div>
        </Show>
    }
}
