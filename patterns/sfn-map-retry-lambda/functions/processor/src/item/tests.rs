//! `process` on the task inputs the Map state sends (tests/fixtures/map-iteration.json: the `Parameters` of
//! statemachine/process.asl.json evaluated for each attempt of four items), and the error names Step Functions
//! matches.

use lambda_runtime::Diagnostic;
use serde_json::json;

use super::{INVALID, ItemError, Task, UNAVAILABLE, process};

fn fixture() -> Vec<Task> {
    serde_json::from_str(include_str!("../../tests/fixtures/map-iteration.json")).unwrap()
}

#[test]
fn each_attempt_of_the_fixture_is_processed_refused_or_rejected() {
    let outcomes: Vec<_> = fixture().iter().map(process).collect();
    assert_eq!(
        outcomes[0],
        Ok(json!({ "id": "order-1", "quantity": 2, "status": "processed", "attempts": 1 }))
    );
    assert_eq!(
        outcomes[1],
        Err(ItemError::Unavailable(
            "item order-2: the downstream refused attempt 1".to_owned()
        )),
        "the first attempt of an item with failFirst 1 is refused"
    );
    assert_eq!(
        outcomes[2],
        Ok(json!({ "id": "order-2", "quantity": 1, "status": "processed", "attempts": 2 })),
        "its retry succeeds"
    );
    assert!(
        matches!(&outcomes[3], Err(ItemError::Invalid(m)) if m.contains("order-3") && m.contains("quantity")),
        "{:?}",
        outcomes[3]
    );
    assert_eq!(
        outcomes[4],
        Err(ItemError::Invalid("the item has no `id`".to_owned()))
    );
}

#[test]
fn an_invalid_item_is_rejected_on_every_attempt_even_when_the_downstream_would_refuse_it() {
    let task: Task = serde_json::from_value(
        json!({ "item": { "id": "x", "quantity": "2", "failFirst": 3 }, "retryCount": 0 }),
    )
    .unwrap();
    assert!(matches!(process(&task), Err(ItemError::Invalid(_))));
}

#[test]
fn a_missing_retry_count_is_the_first_attempt() {
    let task: Task =
        serde_json::from_value(json!({ "item": { "id": "x", "quantity": 1 } })).unwrap();
    assert_eq!(process(&task).unwrap()["attempts"], 1);
}

#[test]
fn errors_reach_step_functions_with_the_names_retry_and_catch_match() {
    let definition: serde_json::Value =
        serde_json::from_str(include_str!("../../../../statemachine/process.asl.json")).unwrap();
    let state = &definition["States"]["ProcessItems"]["ItemProcessor"]["States"]["ProcessItem"];
    assert_eq!(state["Retry"][0]["ErrorEquals"], json!([UNAVAILABLE]));
    assert_eq!(state["Catch"][0]["ErrorEquals"], json!([INVALID]));

    let invalid: Diagnostic = ItemError::Invalid("bad".to_owned()).into();
    assert_eq!(
        (invalid.error_type.as_str(), invalid.error_message.as_str()),
        (INVALID, "bad")
    );
    let busy: Diagnostic = ItemError::Unavailable("later".to_owned()).into();
    assert_eq!(busy.error_type, UNAVAILABLE);
}
