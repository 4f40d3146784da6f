//! One item of the Map state. The task's `Parameters` send `{"item": <the item>, "retryCount": $$.State.RetryCount}`
//! (the context object's count of this state's retries, https://docs.aws.amazon.com/step-functions/latest/dg/
//! input-output-contextobject.html). An invalid item fails with `Item.Invalid`, a permanent error the state's `Catch`
//! routes to the `Rejected` branch; a valid item whose downstream is busy fails with `Item.Unavailable`, a transient
//! error the state's `Retry` absorbs. The downstream is simulated: it refuses the first `failFirst` attempts of an
//! item (0 when absent), so the retries can be seen in the execution's history.

use lambda_runtime::{Diagnostic, tracing};
use serde::Deserialize;
use serde_json::{Value, json};

#[cfg(test)]
mod tests;

/// The error of an item that can never be processed: not retried, caught.
pub const INVALID: &str = "Item.Invalid";
/// The error of an attempt that may succeed later: retried with backoff.
pub const UNAVAILABLE: &str = "Item.Unavailable";

/// The largest quantity an item may ask for.
const MAX_QUANTITY: u64 = 100;

/// The task's input (its `Parameters`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub item: Value,
    #[serde(default)]
    pub retry_count: u64,
}

/// Why an attempt failed, as Step Functions sees it: the error name (`errorType`) and its message.
#[derive(Debug, PartialEq)]
pub enum ItemError {
    /// Permanent: the item is not valid.
    Invalid(String),
    /// Transient: the downstream refused this attempt.
    Unavailable(String),
}

impl From<ItemError> for Diagnostic {
    fn from(err: ItemError) -> Diagnostic {
        let (error_type, error_message) = match err {
            ItemError::Invalid(message) => (INVALID, message),
            ItemError::Unavailable(message) => (UNAVAILABLE, message),
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message,
        }
    }
}

/// Processes an item `{"id": "<non-empty string>", "quantity": 1..=100, "failFirst": n}`: its result names the
/// attempt that succeeded (`attempts`, 1 for the first).
pub fn process(task: &Task) -> Result<Value, ItemError> {
    let item = &task.item;
    let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
    if id.is_empty() {
        return Err(ItemError::Invalid("the item has no `id`".to_owned()));
    }
    let quantity = match item.get("quantity").and_then(Value::as_u64) {
        Some(quantity) if (1..=MAX_QUANTITY).contains(&quantity) => quantity,
        _ => {
            return Err(ItemError::Invalid(format!(
                "item {id}: `quantity` must be a whole number from 1 to {MAX_QUANTITY}"
            )));
        }
    };
    let attempt = task.retry_count + 1;
    let refused = item.get("failFirst").and_then(Value::as_u64).unwrap_or(0);
    if attempt <= refused {
        tracing::warn!(%id, attempt, "downstream busy; Step Functions retries the item");
        return Err(ItemError::Unavailable(format!(
            "item {id}: the downstream refused attempt {attempt}"
        )));
    }
    tracing::info!(%id, quantity, attempt, "item processed");
    Ok(json!({ "id": id, "quantity": quantity, "status": "processed", "attempts": attempt }))
}
