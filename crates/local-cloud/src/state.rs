//! What the data plane knows beyond moto's APIs: the integration fields moto drops.

use std::{collections::HashMap, sync::Mutex};

/// Key of an API Gateway method integration: (rest api id, resource id, HTTP method).
pub type IntegrationKey = (String, String, String);

#[derive(Default)]
pub struct State {
    /// Fields of PutIntegration requests that moto does not keep (`connectionType`, `connectionId`,
    /// `integrationTarget`, ...), recorded by the edge as it forwards the call.
    pub integration_extras: Mutex<HashMap<IntegrationKey, serde_json::Value>>,
}
