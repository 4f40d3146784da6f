//! The faces every emulated service shows the edge: its data plane (one entry point that serves a request or
//! hands it back) and the control-plane writes that make its view of deployed state stale.
//!
//! The edge asks each service of [`crate::edge::SERVICES`] in order; what none serves goes to moto. Adding a
//! service: docs/local-cloud.md, "Adding a service".

use std::{future::Future, pin::Pin};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

use crate::SharedCloud;

/// A data plane's answer: the response, or the request handed back because it is not this service's.
pub type Handled<'a> =
    Pin<Box<dyn Future<Output = Result<Response<Bytes>, Request<Bytes>>> + Send + 'a>>;

/// One emulated service, as the edge sees it.
pub struct Service {
    /// For logs and `/_local/status`.
    pub name: &'static str,
    /// Serves `req` if it is this service's traffic; hands it back otherwise.
    pub handle: for<'a> fn(&'a SharedCloud, Request<Bytes>) -> Handled<'a>,
    /// Told of every control-plane write moto accepted: drops what the write made stale (and may act on it,
    /// e.g. stop the instances of a deleted function).
    pub written: fn(&SharedCloud, &Write<'_>),
}

/// A control-plane call moto accepted, as the edge forwarded it.
#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    /// The SigV4 signing name (`apigateway`, `elasticloadbalancing`, `lambda`, ...); `None` if unsigned.
    pub api: Option<&'a str>,
    pub method: &'a Method,
    pub path: &'a str,
    pub status: StatusCode,
}

impl Write<'_> {
    /// Whether this write may change what a service reading `apis` sees: a write to one of them, any
    /// CloudFormation write (a stack creates, updates and deletes resources of every service), or moto's
    /// reset of all state.
    pub fn touches(&self, apis: &[&str]) -> bool {
        if self.path == "/moto-api/reset" {
            return true;
        }
        if matches!(*self.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return false;
        }
        self.api
            .is_some_and(|api| api == "cloudformation" || apis.contains(&api))
    }
}

/// A service with no data plane of its own on the edge (its traffic all goes to moto).
pub fn not_mine<'a>(_: &'a SharedCloud, req: Request<Bytes>) -> Handled<'a> {
    Box::pin(std::future::ready(Err(req)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write<'a>(api: Option<&'a str>, method: &'a Method, path: &'a str) -> Write<'a> {
        Write {
            api,
            method,
            path,
            status: StatusCode::OK,
        }
    }

    #[test]
    fn writes_to_a_read_api_or_cloudformation_touch_it() {
        let post = Method::POST;
        assert!(write(Some("apigateway"), &post, "/restapis").touches(&["apigateway"]));
        assert!(write(Some("cloudformation"), &post, "/").touches(&["apigateway"]));
        assert!(!write(Some("dynamodb"), &post, "/").touches(&["apigateway"]));
        assert!(!write(Some("apigateway"), &Method::GET, "/restapis").touches(&["apigateway"]));
        assert!(!write(None, &post, "/").touches(&["apigateway"]));
    }

    #[test]
    fn moto_reset_touches_every_service() {
        assert!(write(None, &Method::POST, "/moto-api/reset").touches(&[]));
    }
}
