//! The event bus named by `EVENT_BUS_NAME`: one PutEvents call per chunk of at most 10 changes.

use aws_config::BehaviorVersion;
use aws_sdk_eventbridge::{Client, types::PutEventsRequestEntry};
use lambda_runtime::Error;

use crate::changes::{Bus, Change, SOURCE};

pub struct EventBus {
    client: Client,
    name: String,
}

impl EventBus {
    pub async fn from_env() -> Result<EventBus, Error> {
        let name = std::env::var("EVENT_BUS_NAME").map_err(|_| "EVENT_BUS_NAME is not set")?;
        let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
        Ok(EventBus {
            client: Client::new(&config),
            name,
        })
    }
}

impl Bus for EventBus {
    async fn publish(&self, changes: &[Change]) -> Result<Vec<Option<String>>, Error> {
        let entries = changes
            .iter()
            .map(|change| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.name)
                    .source(SOURCE)
                    .detail_type(change.detail_type)
                    .detail(change.detail.to_string())
                    .build()
            })
            .collect();
        let out = self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await?;
        // The result entries are in the order of the request's.
        Ok(out
            .entries()
            .iter()
            .map(|e| {
                e.error_code()
                    .map(|code| format!("{code}: {}", e.error_message().unwrap_or_default()))
            })
            .collect())
    }
}
