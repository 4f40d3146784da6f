//! API Gateway REST APIs (execute-api traffic), configured from the APIs deployed in moto.

use bytes::Bytes;
use http::{Request, Response};

use crate::SharedCloud;

/// Serves `req` if it is execute-api traffic (either URL form); otherwise gives it back.
pub async fn handle(
    cloud: &SharedCloud,
    req: Request<Bytes>,
) -> Result<Response<Bytes>, Request<Bytes>> {
    let _ = cloud;
    Err(req)
}
