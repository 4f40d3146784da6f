//! `handle` on an SQS event shaped as AWS's sample (tests/fixtures/sqs-event.json: the event of
//! https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html, whose bodies are what the state machine's
//! `waitForTaskToken` task sends: a valid order, an invalid one, and a message that is no callback).

use std::sync::Mutex;

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::Error;
use serde_json::{Value, json};

use super::{Answer, Decision, INVALID, decide, handle};

/// One answer: the token and its output (SendTaskSuccess) or its error and cause (SendTaskFailure).
type Answered = (String, Result<Value, (String, String)>);

/// Records the answers; fails to send those for the tokens in `unreachable`.
#[derive(Default)]
struct Recorded {
    answers: Mutex<Vec<Answered>>,
    unreachable: Vec<&'static str>,
}

impl Recorded {
    fn record(&self, token: &str, answer: Result<Value, (String, String)>) -> Result<(), Error> {
        if self.unreachable.contains(&token) {
            return Err(format!("could not answer {token}").into());
        }
        self.answers
            .lock()
            .unwrap()
            .push((token.to_owned(), answer));
        Ok(())
    }
}

impl Answer for Recorded {
    async fn succeed(&self, token: &str, output: String) -> Result<(), Error> {
        self.record(token, Ok(serde_json::from_str(&output)?))
    }

    async fn fail(&self, token: &str, error: &str, cause: String) -> Result<(), Error> {
        self.record(token, Err((error.to_owned(), cause)))
    }
}

fn sample() -> SqsEvent {
    serde_json::from_str(include_str!("../../tests/fixtures/sqs-event.json")).unwrap()
}

#[tokio::test]
async fn a_valid_order_is_approved_an_invalid_one_rejected_and_a_stray_message_dropped() {
    let answers = Recorded::default();
    let response = handle(&answers, sample()).await;
    assert!(response.batch_item_failures.is_empty());
    let answers = answers.answers.into_inner().unwrap();
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(answers[0].0, "token-approve");
    assert_eq!(
        answers[0].1,
        Ok(json!({"id": "order-1001", "quantity": 2, "approved": true}))
    );
    assert_eq!(answers[1].0, "token-reject");
    let (error, cause) = answers[1].1.clone().unwrap_err();
    assert_eq!(error, INVALID);
    assert!(cause.contains("quantity"), "{cause}");
}

#[tokio::test]
async fn an_answer_that_could_not_be_sent_is_delivered_again() {
    let answers = Recorded {
        unreachable: vec!["token-reject"],
        ..Default::default()
    };
    let response = handle(&answers, sample()).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["2e1424d4-f796-459a-8184-9c92662be6da"]);
}

#[test]
fn orders_need_an_id_and_a_quantity_from_1_to_100() {
    assert!(matches!(
        decide(&json!({"id": "a", "quantity": 100})),
        Decision::Approve(_)
    ));
    for bad in [
        json!({"quantity": 1}),
        json!({"id": "", "quantity": 1}),
        json!({"id": "a"}),
        json!({"id": "a", "quantity": 0}),
        json!({"id": "a", "quantity": 101}),
        json!({"id": "a", "quantity": 1.5}),
        json!("a"),
    ] {
        assert!(matches!(decide(&bad), Decision::Reject(_)), "{bad}");
    }
}
