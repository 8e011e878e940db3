//! A horizontal bar for a share of a whole, drawn in SVG (the page's CSP allows no inline
//! styles, so widths cannot be set in CSS).

use leptos::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// `part` as a percentage of `whole` for people, e.g. "42%" or "<1%"; empty when there is
/// nothing to compare with.
pub fn share_label(part: &Decimal, whole: &Decimal) -> String {
    if whole.is_zero() || whole.is_sign_negative() {
        return String::new();
    }
    let percent = (part * Decimal::ONE_HUNDRED / whole).round_dp(0);
    if percent.is_zero() && part.is_sign_positive() && !part.is_zero() {
        "<1%".to_owned()
    } else {
        format!("{percent}%")
    }
}

/// `part` as a fraction of `largest` from 0 to 1, for bar lengths only (never for text).
pub fn fraction(part: &Decimal, largest: &Decimal) -> f64 {
    if largest.is_zero() || part.is_sign_negative() {
        return 0.0;
    }
    (part / largest).to_f64().unwrap_or(0.0).clamp(0.0, 1.0)
}

/// A bar filled to `fraction` (0 to 1) of its width. Decorative: the amount is in the text
/// next to it.
#[component]
pub fn Meter(
    /// How full, from 0 to 1.
    fraction: f64,
    /// Draw it in the muted colour (e.g. "Other", "Unallocated").
    #[prop(optional)]
    muted: bool,
) -> impl IntoView {
    let width = format!("{:.2}", (fraction * 100.0).clamp(0.0, 100.0));
    view! {
        <svg
            class="meter"
            class:meter-muted=muted
            viewBox="0 0 100 8"
            preserveAspectRatio="none"
            aria-hidden="true"
            focusable="false"
        >
            <rect class="meter-track" x="0" y="0" width="100" height="8"></rect>
            <rect class="meter-fill" x="0" y="0" width=width height="8"></rect>
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn shares_read_as_whole_percentages() {
        assert_eq!(share_label(&d("450"), &d("850")), "53%");
        assert_eq!(share_label(&d("0.001"), &d("850")), "<1%");
        assert_eq!(share_label(&d("1"), &d("0")), "");
        assert!((fraction(&d("1"), &d("4")) - 0.25).abs() < 1e-9);
        assert!(fraction(&d("-1"), &d("4")).abs() < 1e-9);
    }
}
