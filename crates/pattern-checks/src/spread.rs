//! `repeat` and `spread` of an HTTP check: the same request sent many times, and how the answers split over the
//! values of one JSON field, e.g. a load balancer's weighted forward (80:20) within a tolerance.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde::Deserialize;

use crate::placeholders;

/// How repeated answers must split: the share (percent) of each value of `field`, each within `tolerance`
/// percentage points.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spread {
    /// A dotted path into the JSON answer (`function`, `items.0.id`).
    pub field: String,
    /// Value -> percent of the answers; the shares add up to 100.
    pub shares: BTreeMap<String, u32>,
    /// Percentage points each share may be off by (default 10: with 200 requests at 80:20, about 3.5 standard
    /// deviations of a fair weighted choice).
    pub tolerance: Option<u32>,
}

impl Spread {
    /// The fields make sense together, with `repeat` requests.
    pub fn validate(&self, repeat: Option<u32>) -> Result<()> {
        let total: u32 = self.shares.values().sum();
        if total != 100 {
            bail!(
                "`spread.shares` add up to {total}; fix: give each value its percent of the answers, 100 in all"
            );
        }
        if repeat.unwrap_or(1) < 20 {
            bail!(
                "`spread` judges shares of many answers; fix: add `repeat` of at least 20 (e.g. repeat = 200)"
            );
        }
        Ok(())
    }

    /// The value of `field` in one answer (`null` when absent or not JSON), as counted.
    pub fn value_of(&self, text: &str) -> String {
        let doc = serde_json::from_str::<serde_json::Value>(text).unwrap_or_default();
        match placeholders::at_path(&doc, &self.field) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => "null".to_owned(),
        }
    }

    /// Passes when every value's share of `total` answers is within the tolerance of its expected share, and no
    /// other value was answered more often than the tolerance allows.
    pub fn judge(&self, tally: &BTreeMap<String, u32>, total: u32) -> Result<String> {
        let tolerance = f64::from(self.tolerance.unwrap_or(10));
        let percent = |count: u32| f64::from(count) * 100.0 / f64::from(total.max(1));
        let seen: Vec<String> = tally
            .iter()
            .map(|(value, count)| format!("{value} {count} ({:.1}%)", percent(*count)))
            .collect();
        let mut off = Vec::new();
        for (value, share) in &self.shares {
            let actual = percent(tally.get(value).copied().unwrap_or(0));
            if (actual - f64::from(*share)).abs() > tolerance {
                off.push(format!("{value}: {actual:.1}%, expected {share}%"));
            }
        }
        for (value, count) in tally {
            if !self.shares.contains_key(value) && percent(*count) > tolerance {
                off.push(format!("{value}: {:.1}%, expected none", percent(*count)));
            }
        }
        if !off.is_empty() {
            bail!(
                "`{}` over {total} answers is off by more than {tolerance} points: {}; answered: {}",
                self.field,
                off.join(", "),
                seen.join(", ")
            );
        }
        Ok(format!(
            "`{}` over {total} answers: {}",
            self.field,
            seen.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spread(tolerance: Option<u32>) -> Spread {
        Spread {
            field: "function".into(),
            shares: [("orders".to_owned(), 80), ("catalog".to_owned(), 20)].into(),
            tolerance,
        }
    }

    fn tally(pairs: &[(&str, u32)]) -> BTreeMap<String, u32> {
        pairs.iter().map(|(v, c)| ((*v).to_owned(), *c)).collect()
    }

    #[test]
    fn shares_within_the_tolerance_pass_and_others_fail_naming_each_value() {
        let s = spread(None);
        let ok = s
            .judge(&tally(&[("orders", 154), ("catalog", 46)]), 200)
            .unwrap();
        assert!(ok.contains("orders 154 (77.0%)"), "{ok}");
        let err = s
            .judge(&tally(&[("orders", 100), ("catalog", 100)]), 200)
            .unwrap_err()
            .to_string();
        assert!(err.contains("orders: 50.0%, expected 80%"), "{err}");
        assert!(err.contains("catalog: 50.0%, expected 20%"), "{err}");
        // A value nobody expected, answered often, fails; the tolerance is the caller's.
        let err = spread(Some(5))
            .judge(
                &tally(&[("orders", 150), ("catalog", 30), ("null", 20)]),
                200,
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("null: 10.0%, expected none"), "{err}");
    }

    #[test]
    fn the_field_is_read_from_each_answer() {
        let s = spread(None);
        assert_eq!(s.value_of(r#"{"function":"orders"}"#), "orders");
        assert_eq!(s.value_of(r#"{"function":7}"#), "7");
        assert_eq!(s.value_of("<html>"), "null");
    }

    #[test]
    fn shares_add_up_to_100_over_enough_requests() {
        assert!(spread(None).validate(Some(200)).is_ok());
        let err = spread(None).validate(Some(5)).unwrap_err().to_string();
        assert!(err.contains("repeat") && err.contains("fix:"), "{err}");
        let mut s = spread(None);
        s.shares.insert("other".into(), 5);
        let err = s.validate(Some(200)).unwrap_err().to_string();
        assert!(err.contains("add up to 105"), "{err}");
    }
}
