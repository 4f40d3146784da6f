//! What the event series of [`super::events`] read back: the events `fidelity-fn` recorded (each with when it was
//! sent, by the client's clock, and when its handler was entered), and the quantiles of a series.

use std::path::Path;

use anyhow::{Result, bail};

use super::Series;

/// One message or event the function got: its id, when it was sent (the client's clock) and when the handler was
/// entered (the function's).
#[derive(Debug, PartialEq)]
pub(super) struct Entry {
    pub id: String,
    pub sent_ms: u64,
    pub entered_ms: u64,
}

/// What the function recorded: SQS batches whose bodies are SNS notifications (the message is `{"id", "sent_ms"}`),
/// and EventBridge events (the same in `detail`). Other lines (Step Functions' task inputs) are skipped.
pub(super) fn entries(events: &Path) -> Result<Vec<Entry>> {
    let text = std::fs::read_to_string(events).unwrap_or_default();
    Ok(parse_entries(&text))
}

fn parse_entries(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let entry = |sent: &serde_json::Value, entered_ms: u64| {
        Some(Entry {
            id: sent["id"].as_str()?.to_owned(),
            sent_ms: sent["sent_ms"].as_u64()?,
            entered_ms,
        })
    };
    // The last line may be half written.
    for event in text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    {
        let entered_ms = event["entered_ms"].as_u64().unwrap_or_default();
        for record in event["Records"].as_array().into_iter().flatten() {
            let message = record["body"]
                .as_str()
                .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
                .and_then(|n| {
                    serde_json::from_str::<serde_json::Value>(n["Message"].as_str()?).ok()
                });
            if let Some(e) = message.and_then(|m| entry(&m, entered_ms)) {
                out.push(e);
            }
        }
        if let Some(e) = entry(&event["detail"], entered_ms) {
            out.push(e);
        }
    }
    out
}

pub(super) fn latency_series(
    name: &str,
    entries: impl Iterator<Item = Entry>,
    samples: usize,
) -> Result<Series> {
    let mut ms: Vec<f64> = entries
        .map(|e| e.entered_ms.saturating_sub(e.sent_ms) as f64)
        .collect();
    if ms.len() < samples {
        bail!("{name}: {} of {samples} samples recorded", ms.len());
    }
    ms.sort_by(f64::total_cmp);
    Ok(summary(name, &ms))
}

/// p50, p99 and max of sorted `ms`.
pub(super) fn summary(name: &str, ms: &[f64]) -> Series {
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    Series {
        name: name.to_owned(),
        requests: ms.len(),
        concurrency: 1,
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        max_ms: at(1.0),
        requests_per_s: f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sns_notifications_and_eventbridge_events_give_their_ids_and_times() {
        let message = r#"{"id":"sns-1","sent_ms":100}"#;
        let envelope = serde_json::json!({"Type": "Notification", "Message": message}).to_string();
        let text = format!(
            "{}\n{}\n{}\n{{\"Records\":[",
            serde_json::json!({"Records": [{"body": envelope}], "entered_ms": 105}),
            serde_json::json!({"detail": {"id": "eb-1", "sent_ms": 200}, "entered_ms": 203}),
            serde_json::json!({"bench": true, "entered_ms": 300}),
        );
        assert_eq!(
            parse_entries(&text),
            [
                Entry {
                    id: "sns-1".into(),
                    sent_ms: 100,
                    entered_ms: 105
                },
                Entry {
                    id: "eb-1".into(),
                    sent_ms: 200,
                    entered_ms: 203
                },
            ]
        );
    }

    #[test]
    fn a_series_needs_every_sample_and_reports_its_quantiles() {
        let entries = (0..10).map(|i| Entry {
            id: format!("eb-{i}"),
            sent_ms: 0,
            entered_ms: i,
        });
        let s = latency_series("x", entries, 10).unwrap();
        assert_eq!((s.p50_ms, s.max_ms, s.requests), (5.0, 9.0, 10));
        assert!(latency_series("x", std::iter::empty(), 1).is_err());
    }
}
