//! The cost trend: one bar per day (or month), in plain SVG sized to its container, with an
//! amount axis and a few date labels, stacked by service (or what was chosen) with a legend.
//! Hovering or focusing a bar shows its amount and its largest parts (its `<title>`, and the
//! line above the chart); the arrow keys move between bars; a click or Enter drills into it.

use leptos::html;
use leptos::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use wasm_bindgen::JsCast;

use crate::format::money_dp;

/// The chart's height, in pixels.
const HEIGHT: f64 = 220.0;
const TOP: f64 = 10.0;
const RIGHT: f64 = 6.0;
const BOTTOM: f64 = 26.0;
/// Gridlines above the zero line.
const TICKS: u32 = 4;
/// Room a date label needs, in pixels.
const LABEL_ROOM: f64 = 64.0;

/// One bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Point {
    /// The day (`2024-09-18`) or month (`2024-09`).
    pub key: String,
    /// For people, e.g. "18 Sep 2024".
    pub label: String,
    /// Under the axis, e.g. "18 Sep".
    pub tick: String,
    /// The amount.
    pub amount: Decimal,
    /// The amount per stack (the index into the chart's stacks), bottom first; empty when
    /// the bars are not stacked.
    pub parts: Vec<(usize, Decimal)>,
}

/// One stack of a stacked chart: its key (`data-stack`) and its name for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stack {
    /// The key, e.g. `Amazon EC2` or a user's id.
    pub key: String,
    /// For people, e.g. "Amazon EC2" or "Alice Chen".
    pub label: String,
    /// The stack's sum over the range.
    pub amount: Decimal,
}

/// How many colours the stacks cycle through (`.stack-0` … in the style sheet).
const COLOURS: usize = 11;

/// The step between gridlines: the smallest 1, 2, 2.5 or 5 × 10ⁿ that lets `ticks` steps
/// reach `max`.
pub fn nice_step(max: Decimal, ticks: u32) -> Decimal {
    let ticks = Decimal::from(ticks.max(1));
    let mut power = Decimal::new(1, 6);
    for _ in 0..24 {
        for factor in [
            Decimal::ONE,
            Decimal::TWO,
            Decimal::new(25, 1),
            Decimal::new(5, 0),
        ] {
            let step = power * factor;
            if step * ticks >= max {
                return step;
            }
        }
        power *= Decimal::TEN;
    }
    power
}

/// Label every `n`th bar so `count` bars' labels fit in `room` labels.
pub fn label_stride(count: usize, room: usize) -> usize {
    count.div_ceil(room.max(1)).max(1)
}

/// The trend chart, `svg#cost-trend` (or the `id` given).
#[expect(
    clippy::too_many_lines,
    reason = "the chart's size, pointer and keys share one set of signals"
)]
#[component]
pub fn TrendChart(
    /// The bars, in order.
    points: Vec<Point>,
    /// The chart's `id`.
    #[prop(default = "cost-trend")]
    id: &'static str,
    /// The currency of the amounts.
    currency: String,
    /// The bars are months (`data-month`), not days (`data-day`).
    #[prop(optional)]
    monthly: bool,
    /// The stacks the bars' parts refer to (empty: plain bars).
    #[prop(optional)]
    stacks: Vec<Stack>,
    /// Called with a bar's key when it is clicked (or Enter is pressed on it).
    #[prop(optional)]
    on_pick: Option<Callback<String>>,
) -> impl IntoView {
    let wrap = NodeRef::<html::Div>::new();
    let width = RwSignal::new(720.0_f64);
    // Also runs from a frame or resize callback that may come after the chart is gone.
    let measure = move || {
        let (Some(Some(element)), Some(current)) =
            (wrap.try_get_untracked(), width.try_get_untracked())
        else {
            return;
        };
        let measured = f64::from(element.client_width());
        if measured > 0.0 && (measured - current).abs() > 0.5 {
            width.try_set(measured);
        }
    };
    Effect::new(move |_| {
        if wrap.get().is_some() {
            request_animation_frame(measure);
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());

    let count = points.len();
    let points = StoredValue::new(points);
    let currency = StoredValue::new(currency);
    let legend = legend(&stacks, &currency.get_value());
    let stacks = StoredValue::new(stacks);
    // The bar under the pointer or focus, and the one Tab reaches (the last, at first).
    let active = RwSignal::new(None::<usize>);
    let tab_stop = RwSignal::new(count.saturating_sub(1));
    let readout = move || {
        let text = active.get().and_then(|i| {
            points.with_value(|p| {
                p.get(i).map(|point| {
                    currency.with_value(|c| stacks.with_value(|s| describe(point, s, c)))
                })
            })
        });
        text.unwrap_or_else(|| {
            let unit = if monthly { "month" } else { "day" };
            format!("Point at or focus a bar to see the {unit}'s cost.")
        })
    };
    let move_to = move |index: usize| {
        tab_stop.set(index);
        active.set(Some(index));
        let target = wrap
            .get_untracked()
            .and_then(|w| w.query_selector(&format!("[data-index=\"{index}\"]")).ok())
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::SvgElement>().ok());
        if let Some(target) = target
            && target.focus().is_err()
        {
            leptos::logging::warn!("could not focus a bar");
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let last = count.saturating_sub(1);
        let current = tab_stop.get_untracked();
        let next = match ev.key().as_str() {
            "ArrowRight" | "ArrowUp" => current.saturating_add(1).min(last),
            "ArrowLeft" | "ArrowDown" => current.saturating_sub(1),
            "Home" => 0,
            "End" => last,
            "Enter" | " " => {
                if let Some(pick) = on_pick {
                    ev.prevent_default();
                    points.with_value(|p| p.get(current).map(|point| pick.run(point.key.clone())));
                }
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        move_to(next);
    };

    let chart = move || {
        let width = width.get().max(240.0);
        points.with_value(|points| {
            currency.with_value(|currency| {
                stacks.with_value(|stacks| {
                    let look = Look {
                        currency,
                        stacks,
                        width,
                        monthly,
                        id,
                        on_pick,
                    };
                    draw(points, &look, active, tab_stop)
                })
            })
        })
    };
    view! {
        <div class="trend">
            <p class="trend-readout muted" aria-live="polite">
                {readout}
            </p>
            <div
                class="trend-frame"
                node_ref=wrap
                on:keydown=on_keydown
                on:mouseleave=move |_| active.set(None)
            >
                {chart}
            </div>
            {legend}
        </div>
    }
}

/// What a bar says to people: its day and amount, and its largest parts.
fn describe(point: &Point, stacks: &[Stack], currency: &str) -> String {
    let mut text = format!("{}: {}", point.label, money_dp(&point.amount, currency, 2));
    let mut parts = point.parts.clone();
    parts.sort_by_key(|part| std::cmp::Reverse(part.1));
    let named: Vec<String> = parts
        .iter()
        .take(3)
        .filter_map(|(i, amount)| {
            stacks
                .get(*i)
                .map(|s| format!("{} {}", s.label, money_dp(amount, currency, 2)))
        })
        .collect();
    if !named.is_empty() {
        text.push_str(" (");
        text.push_str(&named.join(", "));
        if parts.len() > 3 {
            text.push_str(", …");
        }
        text.push(')');
    }
    text
}

/// The legend of a stacked chart: a swatch, the name and the sum of each stack.
fn legend(stacks: &[Stack], currency: &str) -> Option<AnyView> {
    if stacks.is_empty() {
        return None;
    }
    let items = stacks
        .iter()
        .enumerate()
        .map(|(i, stack)| {
            let class = format!("trend-swatch stack-{}", i % COLOURS);
            view! {
                <li data-stack=stack.key.clone()>
                    <span class=class aria-hidden="true"></span>
                    <span class="trend-legend-label">{stack.label.clone()}</span>
                    <span class="trend-legend-amount">{money_dp(&stack.amount, currency, 2)}</span>
                </li>
            }
        })
        .collect_view();
    Some(view! { <ul class="trend-legend" aria-label="Stacks">{items}</ul> }.into_any())
}

/// How the chart is drawn.
struct Look<'a> {
    currency: &'a str,
    stacks: &'a [Stack],
    width: f64,
    monthly: bool,
    id: &'static str,
    on_pick: Option<Callback<String>>,
}

/// The SVG for `points` at `width` pixels.
#[expect(
    clippy::too_many_lines,
    reason = "the axis and the bars share one layout"
)]
fn draw(
    points: &[Point],
    look: &Look<'_>,
    active: RwSignal<Option<usize>>,
    tab_stop: RwSignal<usize>,
) -> AnyView {
    let Look {
        currency,
        stacks,
        width,
        monthly,
        id,
        on_pick,
    } = *look;
    // A stacked bar is as tall as its positive parts (credits are not drawn below zero).
    let max = points
        .iter()
        .map(|p| {
            if p.parts.is_empty() {
                p.amount
            } else {
                p.parts
                    .iter()
                    .map(|(_, a)| *a)
                    .filter(|a| *a > Decimal::ZERO)
                    .sum()
            }
        })
        .max()
        .unwrap_or(Decimal::ZERO);
    let step = nice_step(max, TICKS);
    let top_value = step * Decimal::from(TICKS);
    let decimals = if step.fract().is_zero() {
        0
    } else {
        step.normalize().scale().max(2)
    };
    let tick_labels: Vec<String> = (0..=TICKS)
        .map(|i| money_dp(&(step * Decimal::from(i)), currency, decimals))
        .collect();
    let widest = tick_labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1);
    let left = (f64::from(u32::try_from(widest).unwrap_or(8)) * 7.0 + 12.0).max(36.0);
    let plot_w = (width - left - RIGHT).max(10.0);
    let plot_h = HEIGHT - TOP - BOTTOM;
    let top_f = top_value.to_f64().unwrap_or(1.0).max(f64::MIN_POSITIVE);
    let count = points.len().max(1);
    #[expect(
        clippy::cast_precision_loss,
        reason = "a chart has at most a few hundred bars"
    )]
    let slot = plot_w / count as f64;
    let bar_w = (slot * 0.72).max(1.0);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a positive pixel count divided by a label's width"
    )]
    let room = (plot_w / LABEL_ROOM).floor().max(1.0) as usize;
    let stride = label_stride(points.len(), room);

    let grid = tick_labels
        .into_iter()
        .enumerate()
        .map(|(i, label)| {
            #[expect(clippy::cast_precision_loss, reason = "at most five gridlines")]
            let y = TOP + plot_h - plot_h * (i as f64) / f64::from(TICKS);
            view! {
                <g class="trend-grid">
                    <line x1=left x2=width - RIGHT y1=y y2=y></line>
                    <text x=left - 8.0 y=y class="trend-axis" text-anchor="end" dominant-baseline="middle">
                        {label}
                    </text>
                </g>
            }
        })
        .collect_view();

    let bars = points
        .iter()
        .enumerate()
        .map(|(i, point)| {
            #[expect(clippy::cast_precision_loss, reason = "at most a few hundred bars")]
            let slot_x = left + slot * i as f64;
            let value = point.amount.to_f64().unwrap_or(0.0).max(0.0);
            let mut height = value / top_f * plot_h;
            if value > 0.0 {
                // Even a cent shows.
                height = height.max(1.0);
            }
            let title = describe(point, stacks, currency);
            let aria = title.clone();
            let (day, month) = if monthly {
                (None, Some(point.key.clone()))
            } else {
                (Some(point.key.clone()), None)
            };
            let label = (i % stride == 0).then(|| {
                view! {
                    <text
                        class="trend-axis"
                        x=slot_x + slot / 2.0
                        y=HEIGHT - 8.0
                        text-anchor="middle"
                    >
                        {point.tick.clone()}
                    </text>
                }
            });
            let bar_x = slot_x + (slot - bar_w) / 2.0;
            let radius = (bar_w / 6.0).min(3.0);
            let body = if point.parts.is_empty() {
                view! {
                    <rect
                        class="trend-bar"
                        x=bar_x
                        y=TOP + plot_h - height
                        width=bar_w
                        height=height
                        rx=radius
                    ></rect>
                }
                .into_any()
            } else {
                segments(
                    point,
                    stacks,
                    (bar_x, bar_w),
                    (TOP + plot_h, plot_h / top_f),
                    currency,
                )
            };
            let key = point.key.clone();
            let pick = move |_| {
                if let Some(pick) = on_pick {
                    pick.run(key.clone());
                }
            };
            view! {
                <g
                    class="trend-day"
                    class:trend-pickable=on_pick.is_some()
                    class:trend-active=move || active.get() == Some(i)
                    role="img"
                    aria-label=aria
                    data-day=day
                    data-month=month
                    on:click=pick
                    data-index=i
                    tabindex=move || if tab_stop.get() == i { "0" } else { "-1" }
                    on:mouseenter=move |_| active.set(Some(i))
                    on:focus=move |_| {
                        tab_stop.set(i);
                        active.set(Some(i));
                    }
                    on:blur=move |_| active.set(None)
                >
                    <title>{title}</title>
                    <rect class="trend-hit" x=slot_x y=TOP width=slot height=plot_h></rect>
                    {body}
                    {label}
                </g>
            }
        })
        .collect_view();

    view! {
        <svg
            id=id
            class="trend-chart"
            width=width
            height=HEIGHT
            viewBox=format!("0 0 {width} {HEIGHT}")
            role="group"
            aria-label=if monthly { "Cost per month" } else { "Cost per day" }
        >
            {grid}
            {bars}
        </svg>
    }
    .into_any()
}

/// A stacked bar's segments, bottom up from `base`, `scale` pixels per unit of money (at least
/// a pixel where a part is not zero). Credits (negative parts) are in the bar's title, not
/// drawn.
fn segments(
    point: &Point,
    stacks: &[Stack],
    (x, w): (f64, f64),
    (base, scale): (f64, f64),
    currency: &str,
) -> AnyView {
    let mut y = base;
    point
        .parts
        .iter()
        .filter(|(_, amount)| *amount > Decimal::ZERO)
        .map(|(i, amount)| {
            let h = (amount.to_f64().unwrap_or(0.0) * scale).max(1.0);
            y -= h;
            let stack = stacks.get(*i);
            let title = format!(
                "{} · {}: {}",
                point.label,
                stack.map_or("", |s| s.label.as_str()),
                money_dp(amount, currency, 2)
            );
            view! {
                <rect
                    class=format!("trend-bar trend-segment stack-{}", i % COLOURS)
                    data-stack=stack.map(|s| s.key.clone())
                    x=x
                    y=y
                    width=w
                    height=h
                >
                    <title>{title}</title>
                </rect>
            }
        })
        .collect_view()
        .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn gridlines_fall_on_round_amounts() {
        assert_eq!(nice_step(d("850"), 4), d("250"));
        assert_eq!(nice_step(d("1.9"), 4), d("0.5"));
        assert_eq!(nice_step(d("4000"), 4), d("1000"));
        assert_eq!(nice_step(d("0.00001"), 4), d("0.0000025"));
        assert_eq!(nice_step(Decimal::ZERO, 4), d("0.000001"));
    }

    #[test]
    fn date_labels_thin_out_to_fit() {
        assert_eq!(label_stride(30, 10), 3);
        assert_eq!(label_stride(7, 10), 1);
        assert_eq!(label_stride(90, 0), 90);
    }
}
