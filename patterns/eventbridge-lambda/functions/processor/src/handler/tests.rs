//! Tests of the handler on the events EventBridge sends: the scheduled rule's event (AWS's documented sample) and
//! the order as the rule's input transformer shapes it from AWS's event.

use std::sync::Mutex;

use super::*;

#[derive(Default)]
struct Fake(Mutex<Vec<Order>>);

impl Orders for Fake {
    async fn put(&self, order: &Order) -> Result<(), Error> {
        self.0.lock().unwrap().push(order.clone());
        Ok(())
    }
}

fn fixture(name: &str) -> Input {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn a_transformed_order_is_stored() {
    let fake = Fake::default();
    let input = fixture("transformed-order.json");
    assert!(matches!(input, Input::Order(_)), "{input:?}");
    handle(&fake, input).await.unwrap();
    let stored = fake.0.lock().unwrap();
    assert_eq!(
        *stored,
        [Order {
            order_id: "ord-1001".into(),
            total: 249.5,
            placed_at: "2026-12-06T18:00:00Z".into()
        }]
    );
}

#[tokio::test]
async fn an_order_over_the_limit_fails_the_invocation_and_is_not_stored() {
    let fake = Fake::default();
    let input: Input = serde_json::from_str(
        r#"{"orderId":"ord-9","total":5000,"placedAt":"2026-12-06T18:00:00Z"}"#,
    )
    .unwrap();
    let err = handle(&fake, input).await.unwrap_err();
    assert!(err.to_string().contains("ord-9 is over the limit"), "{err}");
    assert!(fake.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_scheduled_event_is_a_heartbeat_and_stores_nothing() {
    let fake = Fake::default();
    let input = fixture("scheduled-event.json");
    let Input::Scheduled(event) = &input else {
        panic!("not read as a scheduled event: {input:?}");
    };
    assert_eq!(event.detail_type, "Scheduled Event");
    assert_eq!(event.source, "aws.events");
    handle(&fake, input).await.unwrap();
    assert!(fake.0.lock().unwrap().is_empty());
}
