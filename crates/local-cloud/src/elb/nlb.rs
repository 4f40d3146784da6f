//! A Network Load Balancer serving one request: the listener on the port forwards (layer 4) to a target
//! group; an `alb` target hands the request to that ALB on the target's port, `ip` targets get a real
//! connection, `instance` targets are unreachable locally.

use std::{net::IpAddr, time::Duration};

use bytes::Bytes;
use http::{Request, Response};

use super::{
    DispatchError, alb,
    model::{Action, ElbWorld, LbKind, LoadBalancer, TargetType},
    rules,
};
use crate::SharedCloud;
use crate::shared::http_client;

/// How long an `ip` target may take; callers (API Gateway) apply their own, shorter, limits.
const TARGET_TIMEOUT: Duration = Duration::from_secs(350);

pub async fn serve(
    cloud: &SharedCloud,
    world: &ElbWorld,
    lb: &LoadBalancer,
    port: u16,
    req: Request<Bytes>,
    source_ip: IpAddr,
) -> Result<Response<Bytes>, DispatchError> {
    let listener = lb
        .listener_on(port)
        .ok_or_else(|| DispatchError::NoListener {
            lb: lb.arn.clone(),
            port,
        })?;
    let Some(Action::Forward(groups)) = listener.rules.last().map(|r| &r.action) else {
        return Err(DispatchError::Unreachable(format!(
            "listener {} does not forward",
            listener.arn
        )));
    };
    let tg_arn = rules::pick_weighted(groups, rules::next_roll()).ok_or_else(|| {
        DispatchError::Unreachable(format!("listener {} has only zero weights", listener.arn))
    })?;
    let tg = world
        .target_groups
        .get(tg_arn)
        .ok_or_else(|| DispatchError::Unreachable(format!("unknown target group {tg_arn}")))?;
    let target = alb::pick_target(tg).ok_or_else(|| {
        DispatchError::Unreachable(format!(
            "target group {} has no registered targets",
            tg.name
        ))
    })?;
    let target_port = target.port.or(tg.port).unwrap_or(port);
    match tg.target_type {
        TargetType::Alb => {
            let alb_lb = world
                .load_balancers
                .get(&target.id)
                .filter(|t| t.kind == LbKind::Application)
                .ok_or_else(|| {
                    DispatchError::Unreachable(format!("alb target {} is not an ALB", target.id))
                })?;
            tracing::debug!(nlb = %lb.name, alb = %alb_lb.name, port = target_port, "NLB -> ALB");
            Box::pin(alb::serve(
                cloud,
                world,
                alb_lb,
                target_port,
                req,
                source_ip,
            ))
            .await
        }
        TargetType::Ip => {
            let (parts, body) = req.into_parts();
            let req = alb::with_authority(parts, body, &target.id, target_port)
                .map_err(|e| DispatchError::Unreachable(format!("target {}: {e}", target.id)))?;
            http_client::send(req, TARGET_TIMEOUT)
                .await
                .map_err(|e| match e {
                    http_client::ForwardError::Timeout => DispatchError::Timeout,
                    other => DispatchError::Unreachable(format!(
                        "target {}:{target_port}: {other}",
                        target.id
                    )),
                })
        }
        TargetType::Instance => Err(DispatchError::Unreachable(format!(
            "target {} is an EC2 instance, which the local cloud does not run",
            target.id
        ))),
        TargetType::Lambda => Err(DispatchError::Unreachable(format!(
            "target group {} is of type lambda behind an NLB",
            tg.name
        ))),
    }
}
