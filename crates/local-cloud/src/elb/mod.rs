//! Application and Network Load Balancers: listeners, rules and targets, configured from moto's ELBv2 state.
//! Never bound to a host port: reached in-process through a VPC link ([`dispatch`]) or, internet-facing ones
//! only, from the host through the edge ([`public`]).
//!
//! [`load`] reads the deployed state into [`model`] (cached per generation); [`rules`] picks a listener
//! rule; [`alb`] and [`nlb`] serve a request; [`lambda_target`] runs `lambda` target groups (checking the
//! function's resource policy, [`crate::lambda::policy`]); `ip` targets get real HTTP calls
//! ([`crate::shared::http_client`]).

pub mod alb;
pub mod lambda_target;
pub mod load;
pub mod model;
pub mod nlb;
pub mod pages;
pub mod public;
pub mod rules;

use std::net::IpAddr;

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use crate::{
    SharedCloud,
    service::{Handled, Service, Write},
};
use model::LbKind;

/// The load balancers as the edge sees them: internet-facing ones at `/_elb/...` ([`public`]); their
/// snapshot is stale after ELBv2 writes.
pub const SERVICE: Service = Service {
    name: "elasticloadbalancing",
    handle: |cloud, req| -> Handled<'_> {
        Box::pin(async move {
            if req
                .uri()
                .path()
                .starts_with(crate::contract::urls::ELB_PREFIX)
            {
                Ok(public::handle(cloud, req).await)
            } else {
                Err(req)
            }
        })
    },
    written,
};

fn written(cloud: &SharedCloud, write: &Write<'_>) {
    if write.touches(&["elasticloadbalancing"]) {
        cloud.elb.generation.bump();
    }
}

/// Why a load balancer could not produce an HTTP response (the connection-level failures).
#[derive(Debug)]
pub enum DispatchError {
    /// No load balancer with this ARN (or DNS name) is deployed.
    NoLoadBalancer(String),
    /// The load balancer has no listener on this port (the connection is refused).
    NoListener { lb: String, port: u16 },
    /// The NLB could not reach a target (none registered, unreachable address, ...).
    Unreachable(String),
    /// The NLB's target did not answer in time.
    Timeout,
    /// The deployed state could not be read.
    State(anyhow::Error),
}

impl std::fmt::Display for DispatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DispatchError::NoLoadBalancer(arn) => write!(f, "no load balancer {arn}"),
            DispatchError::NoListener { lb, port } => {
                write!(f, "{lb} has no listener on port {port}")
            }
            DispatchError::Unreachable(why) => write!(f, "target unreachable: {why}"),
            DispatchError::Timeout => write!(f, "target timed out"),
            DispatchError::State(err) => write!(f, "reading deployed load balancers: {err:#}"),
        }
    }
}

/// Sends `req` to the load balancer `lb_arn` (an ARN, or a DNS name) on `port`, as a client at `source_ip`
/// would. Connection-level failures become 502/504 pages; use [`try_dispatch`] to tell them apart.
pub async fn dispatch(
    cloud: &SharedCloud,
    lb_arn: &str,
    port: u16,
    req: Request<Bytes>,
    source_ip: IpAddr,
) -> Response<Bytes> {
    match try_dispatch(cloud, lb_arn, port, req, source_ip).await {
        Ok(resp) => resp,
        Err(DispatchError::Timeout) => pages::error_page(StatusCode::GATEWAY_TIMEOUT),
        Err(err) => {
            tracing::warn!(lb = lb_arn, port, error = %err, "load balancer request failed");
            pages::error_page(StatusCode::BAD_GATEWAY)
        }
    }
}

/// Like [`dispatch`], but reports connection-level failures as errors.
pub async fn try_dispatch(
    cloud: &SharedCloud,
    lb_arn: &str,
    port: u16,
    req: Request<Bytes>,
    source_ip: IpAddr,
) -> Result<Response<Bytes>, DispatchError> {
    let world = load::world(cloud).await.map_err(DispatchError::State)?;
    let lb = world
        .load_balancer(lb_arn)
        .ok_or_else(|| DispatchError::NoLoadBalancer(lb_arn.to_owned()))?;
    match lb.kind {
        LbKind::Application => alb::serve(cloud, &world, lb, port, req, source_ip).await,
        LbKind::Network => nlb::serve(cloud, &world, lb, port, req, source_ip).await,
        LbKind::Gateway => Err(DispatchError::Unreachable(format!(
            "{} is a Gateway Load Balancer",
            lb.name
        ))),
    }
}
