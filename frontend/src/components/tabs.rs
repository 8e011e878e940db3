//! The tabs under a page heading that lead to the sections of an area.

use leptos::html;
use leptos::prelude::*;
use leptos_router::components::A;

/// One tab: its label and route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tab {
    /// The label.
    pub label: &'static str,
    /// The route.
    pub path: &'static str,
    /// Current only on the route itself, not on the routes under it (an area's own page).
    pub exact: bool,
}

/// The observer's callback, kept (and dropped) with it.
type Measure = wasm_bindgen::closure::Closure<dyn FnMut()>;

/// Which ends of a strip have more tabs past them: `data-more` is `start`, `end`, `start end`
/// or empty, and the stylesheet fades those edges, so a strip wider than the screen shows that
/// it scrolls.
fn more_of(strip: &web_sys::Element) -> &'static str {
    let left = strip.scroll_left();
    let hidden = strip.scroll_width() - strip.client_width();
    // A pixel of slack: zoomed screens scroll by fractions.
    match (left > 1, hidden - left > 1) {
        (true, true) => "start end",
        (true, false) => "start",
        (false, true) => "end",
        (false, false) => "",
    }
}

/// A row of tab links (`nav.tabs`); the current one is marked by the router with
/// `aria-current="page"`. On a narrow screen the row scrolls sideways, with the current tab
/// brought into view and faded edges where more tabs are.
#[component]
pub fn Tabs(
    /// What the tabs are for, for screen readers, e.g. "Access control".
    label: &'static str,
    /// The tabs to show.
    #[prop(into)]
    tabs: Signal<Vec<Tab>>,
    /// The strip's id, if it needs one.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let strip = NodeRef::<html::Nav>::new();
    let more = RwSignal::new("");
    let measure = move || {
        if let Some(element) = strip.get_untracked() {
            let current = element.query_selector("[aria-current=page]").ok().flatten();
            if let Some(tab) = current {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                options.set_inline(web_sys::ScrollLogicalPosition::Nearest);
                tab.scroll_into_view_with_scroll_into_view_options(&options);
            }
            more.try_set(more_of(&element));
        }
    };
    // Measured whenever the strip's size changes: when it is first laid out, when the
    // window turns, when its tabs change.
    let observer = StoredValue::new_local(None::<(web_sys::ResizeObserver, Measure)>);
    Effect::new(move |_| {
        let Some(element) = strip.get() else {
            return;
        };
        let callback = Measure::new(measure);
        let created =
            web_sys::ResizeObserver::new(wasm_bindgen::JsCast::unchecked_ref(callback.as_ref()));
        if let Ok(created) = created {
            created.observe(&element);
            observer.set_value(Some((created, callback)));
        }
    });
    on_cleanup(move || {
        if let Some(Some((observer, _callback))) = observer.try_update_value(Option::take) {
            observer.disconnect();
        }
    });
    view! {
        <nav
            class="tabs"
            id=id
            aria-label=label
            node_ref=strip
            data-more=move || more.get()
            on:scroll=move |_| {
                if let Some(element) = strip.get_untracked() {
                    more.set(more_of(&element));
                }
            }
        >
            {move || {
                tabs.get()
                    .into_iter()
                    .map(|tab| {
                        view! {
                            <A href=tab.path exact=tab.exact attr:class="tab">
                                {tab.label}
                            </A>
                        }
                    })
                    .collect_view()
            }}
        </nav>
    }
}
