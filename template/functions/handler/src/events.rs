//! The EventBridge trigger: the rule sends each matching event, whose `detail` is one item as JSON
//! (`{"id": "..."}`). An event that is not an item, or whose item cannot be recorded, is an error: Lambda retries
//! the asynchronous invocation twice, then drops the event (add an on-failure destination to keep it).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, tracing};

use crate::record::{Item, Recorder};

#[cfg(test)]
mod tests;

/// Processes one event.
pub async fn handle(recorder: &impl Recorder, event: EventBridgeEvent) -> Result<(), Error> {
    let item = serde_json::from_value::<Item>(event.detail)
        .map_err(|err| format!("expected a detail with a string `id`: {err}"))
        .and_then(|item| Item::new(item.id));
    let item = match item {
        Ok(item) => item,
        Err(err) => {
            tracing::warn!(event_id = event.id.as_deref().unwrap_or_default(), error = %err, "event not processed");
            return Err(err.into());
        }
    };
    recorder.record(&item).await
}
