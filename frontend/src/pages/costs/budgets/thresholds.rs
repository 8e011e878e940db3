//! The thresholds of a new budget, edited as a list: a percentage of the limit, on actual
//! or forecast spend, each.

use gmac_types::{BudgetThreshold, ThresholdBasis};
use leptos::prelude::*;

use crate::components::form_field::{FieldMessages, FormErrors};
use crate::components::icon::{Icon, IconName};
use crate::pages::costs::forms::messages_at;

/// At most this many thresholds (the API's limit).
const MAX_THRESHOLDS: usize = 10;

/// A threshold being edited; `key` tells rows apart (and names their errors,
/// `/thresholds/<key>`).
#[derive(Clone, Copy, Debug)]
pub struct ThresholdRow {
    /// The row's key.
    pub key: usize,
    /// The percentage, as typed.
    pub percent: RwSignal<String>,
    /// Actual or forecast spend.
    pub basis: RwSignal<ThresholdBasis>,
}

impl ThresholdRow {
    /// The threshold, when its percentage is 1 to 1000.
    pub fn threshold(&self) -> Option<BudgetThreshold> {
        Some(BudgetThreshold {
            percent: parse_percent(&self.percent.get_untracked())?,
            basis: self.basis.get_untracked(),
        })
    }
}

/// A threshold's percentage as typed: 1 to 1000.
pub fn parse_percent(text: &str) -> Option<u32> {
    text.trim()
        .trim_end_matches('%')
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|p| (1..=1000).contains(p))
}

/// The thresholds fieldset, `#new-budget-thresholds`.
#[component]
pub fn ThresholdList(
    /// The rows.
    thresholds: RwSignal<Vec<ThresholdRow>>,
    /// A new row (90% of the forecast).
    add: Callback<(), ThresholdRow>,
    /// The form's errors.
    errors: RwSignal<FormErrors>,
    /// Whether the form is being sent.
    busy: RwSignal<bool>,
) -> impl IntoView {
    let threshold_row = move |row: ThresholdRow| {
        let pointer = format!("/thresholds/{}", row.key);
        let invalid = {
            let pointer = pointer.clone();
            move || errors.with(|e| !messages_at(e, &pointer).is_empty())
        };
        let invalid_class = invalid.clone();
        let percent_id = format!("threshold-{}-percent", row.key);
        let basis_id = format!("threshold-{}-basis", row.key);
        view! {
            <li class="list-row threshold-row" data-threshold=row.key>
                <div class="field field-percent" class:field-invalid=invalid_class>
                    <label for=percent_id.clone() class="visually-hidden">
                        "Percent of the limit"
                    </label>
                    <div class="input-suffix">
                        <input
                            id=percent_id
                            class="input"
                            type="number"
                            min="1"
                            max="1000"
                            step="1"
                            inputmode="numeric"
                            aria-describedby="thresholds-error"
                            aria-invalid=move || if invalid() { "true" } else { "false" }
                            disabled=move || busy.get()
                            bind:value=row.percent
                            on:input=move |_| errors.update(|e| e.fields.retain(|f| f.pointer != pointer))
                        />
                        <span aria-hidden="true">"% of"</span>
                    </div>
                </div>
                <div class="field field-basis">
                    <label for=basis_id.clone() class="visually-hidden">
                        "Compared with"
                    </label>
                    <select
                        id=basis_id
                        class="select"
                        disabled=move || busy.get()
                        on:change=move |ev| {
                            row.basis
                                .set(
                                    if event_target_value(&ev) == "forecast" {
                                        ThresholdBasis::Forecast
                                    } else {
                                        ThresholdBasis::Actual
                                    },
                                );
                        }
                    >
                        <option value="actual" prop:selected=move || row.basis.get() == ThresholdBasis::Actual>
                            "Actual"
                        </option>
                        <option value="forecast" prop:selected=move || row.basis.get() == ThresholdBasis::Forecast>
                            "Forecast"
                        </option>
                    </select>
                </div>
                <button
                    type="button"
                    class="icon-button icon-button-small"
                    aria-label="Remove this threshold"
                    disabled=move || busy.get()
                    on:click=move |_| thresholds.update(|list| list.retain(|r| r.key != row.key))
                >
                    <Icon name=IconName::Trash />
                </button>
            </li>
        }
    };
    view! {
        <fieldset class="fieldset" aria-describedby="thresholds-hint thresholds-error">
            <legend>"Alert when spend reaches"</legend>
            <p class="field-hint" id="thresholds-hint">
                "Each threshold alerts once per period. Actual spend counts what was spent so \
                 far; the forecast, what the period will likely cost in all."
            </p>
            <ul class="edit-list" id="new-budget-thresholds">
                <For each=move || thresholds.get() key=|row| row.key children=threshold_row />
            </ul>
            <FieldMessages id="thresholds-error" field="thresholds" errors=errors />
            <button
                type="button"
                class="button button-small"
                id="add-threshold"
                disabled=move || busy.get() || thresholds.with(|t| t.len() >= MAX_THRESHOLDS)
                on:click=move |_| {
                    thresholds.update(|list| list.push(add.run(())));
                    errors.update(|e| e.clear_field("thresholds"));
                }
            >
                <Icon name=IconName::Plus />
                <span>"Add threshold"</span>
            </button>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::parse_percent;

    #[test]
    fn threshold_percentages_are_checked() {
        assert_eq!(parse_percent("80"), Some(80));
        assert_eq!(parse_percent(" 120 % "), Some(120));
        assert_eq!(parse_percent("0"), None);
        assert_eq!(parse_percent("1001"), None);
        assert_eq!(parse_percent("eighty"), None);
    }
}
