//! What the data plane knows beyond moto's APIs: a generation counter bumped by every control-plane write
//! (so cached views of deployed state know when to reload) and the integration fields moto drops.

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

/// Key of an API Gateway method integration: (rest api id, resource id, HTTP method).
pub type IntegrationKey = (String, String, String);

#[derive(Default)]
pub struct State {
    generation: AtomicU64,
    /// Fields of PutIntegration requests that moto does not keep (`connectionType`, `connectionId`,
    /// `integrationTarget`, ...), recorded by the edge as it forwards the call.
    pub integration_extras: Mutex<HashMap<IntegrationKey, serde_json::Value>>,
}

impl State {
    /// The current generation of deployed state.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
    /// Marks deployed state as changed.
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}
