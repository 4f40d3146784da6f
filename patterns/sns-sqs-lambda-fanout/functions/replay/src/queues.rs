//! The two queues: the replay queue named by `REPLAY_QUEUE_URL` (the role may receive and delete its messages) and
//! the processing queue named by `PROCESSING_QUEUE_URL` (the role may send to it).

use aws_sdk_sqs::{Client, error::DisplayErrorContext, types::MessageAttributeValue};
use lambda_runtime::Error;

/// A message retained in the replay queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retained {
    pub receipt_handle: String,
    pub body: String,
}

/// Reads the replay queue, writes the processing queue.
pub trait Queues {
    /// Up to `max` (1 to 10) messages of the replay queue; none when it holds none.
    fn receive(&self, max: u32) -> impl Future<Output = Result<Vec<Retained>, Error>> + Send;
    /// Sends `body` to the processing queue, marked as replayed.
    fn forward(&self, body: &str) -> impl Future<Output = Result<(), Error>> + Send;
    /// Deletes a received message from the replay queue.
    fn delete(&self, receipt_handle: &str) -> impl Future<Output = Result<(), Error>> + Send;
}

pub struct Sqs {
    client: Client,
    replay_queue: String,
    processing_queue: String,
}

impl Sqs {
    /// The queues named by the environment, with the SDK's default configuration (which honours
    /// `AWS_ENDPOINT_URL`).
    pub async fn from_env() -> Result<Sqs, Error> {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| {
                format!("environment variable {name} is not set; set it to the queue's URL")
            })
        };
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Ok(Sqs {
            client: Client::new(&config),
            replay_queue: var("REPLAY_QUEUE_URL")?,
            processing_queue: var("PROCESSING_QUEUE_URL")?,
        })
    }
}

impl Queues for Sqs {
    async fn receive(&self, max: u32) -> Result<Vec<Retained>, Error> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.replay_queue)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            // A short long poll: it asks every SQS server, so an empty answer means an empty queue.
            .wait_time_seconds(1)
            .send()
            .await
            .map_err(|err| {
                format!(
                    "ReceiveMessage {}: {}",
                    self.replay_queue,
                    DisplayErrorContext(&err)
                )
            })?;
        Ok(out
            .messages()
            .iter()
            .map(|m| Retained {
                receipt_handle: m.receipt_handle().unwrap_or_default().to_owned(),
                body: m.body().unwrap_or_default().to_owned(),
            })
            .collect())
    }

    async fn forward(&self, body: &str) -> Result<(), Error> {
        let replayed = MessageAttributeValue::builder()
            .data_type("String")
            .string_value("true")
            .build()?;
        self.client
            .send_message()
            .queue_url(&self.processing_queue)
            .message_body(body)
            .message_attributes("replayed", replayed)
            .send()
            .await
            .map_err(|err| {
                format!(
                    "SendMessage {}: {}",
                    self.processing_queue,
                    DisplayErrorContext(&err)
                )
            })?;
        Ok(())
    }

    async fn delete(&self, receipt_handle: &str) -> Result<(), Error> {
        self.client
            .delete_message()
            .queue_url(&self.replay_queue)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|err| {
                format!(
                    "DeleteMessage {}: {}",
                    self.replay_queue,
                    DisplayErrorContext(&err)
                )
            })?;
        Ok(())
    }
}
