//! Private integrations: which load balancer, on which port, a `VPC_LINK` integration reaches.
//!
//! - VPC link v1 (`connectionId` only): the link's target, which AWS requires to be a Network Load
//!   Balancer. The integration URI's host only sets the `Host` header (AWS's docs use a made-up host such
//!   as `myApi.example.com`); its port picks the NLB listener (80/443 by scheme by default). Should a link
//!   list several NLBs, the one whose DNS name is the URI host is used, else the request fails (500).
//! - VPC link v2 (`integrationTarget` set): `connectionId` must name an existing, available VPC link v2 (a v1
//!   link, or none, fails the request as AWS refuses the integration); the target is that ALB/NLB, on the
//!   URI's port (80/443 by scheme by default), or the listener it names.

use http::Uri;

use crate::{
    SharedCloud,
    elb::{self, model::LbKind},
};

/// Where a private integration sends its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget {
    /// Load balancer ARN.
    pub lb: String,
    pub port: u16,
}

/// The port a URI addresses.
pub fn uri_port(uri: &Uri) -> u16 {
    uri.port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        })
}

/// Resolves the integration's VPC link. Errors say why AWS would fail the request (500).
pub async fn resolve(
    cloud: &SharedCloud,
    connection_id: Option<&str>,
    integration_target: Option<&str>,
    uri: &Uri,
) -> Result<LinkTarget, String> {
    let world = elb::load::world(cloud)
        .await
        .map_err(|e| format!("{e:#}"))?;
    if let Some(target) = integration_target {
        let id = connection_id.ok_or(
            "a VPC_LINK integration with integrationTarget but no connectionId (the VPC link v2)",
        )?;
        let link = super::load::vpc_link_v2(cloud, id)
            .await
            .map_err(|e| format!("{e:#}"))?
            .ok_or_else(|| {
                format!(
                    "VPC link v2 {id} does not exist (an integration with integrationTarget needs a VPC link v2 \
                     as its connectionId)"
                )
            })?;
        if link.status != "AVAILABLE" {
            return Err(format!(
                "VPC link v2 {id} is {}, not AVAILABLE",
                link.status
            ));
        }
        if let Some((lb, listener)) = world.listener(target) {
            return Ok(LinkTarget {
                lb: lb.arn.clone(),
                port: listener.port,
            });
        }
        let lb = world.load_balancer(target).ok_or_else(|| {
            format!("integrationTarget {target} is no deployed load balancer or listener")
        })?;
        return Ok(LinkTarget {
            lb: lb.arn.clone(),
            port: uri_port(uri),
        });
    }
    let id = connection_id.ok_or("a VPC_LINK integration without connectionId")?;
    let link = super::load::vpc_link(cloud, id)
        .await
        .map_err(|e| format!("{e:#}"))?
        .ok_or_else(|| format!("VPC link {id} does not exist"))?;
    let host = uri.host().unwrap_or_default();
    let arn = match link.target_arns.as_slice() {
        [] => return Err(format!("VPC link {id} has no targets")),
        [one] => one.clone(),
        many => many
            .iter()
            .find(|arn| {
                world
                    .load_balancer(arn)
                    .is_some_and(|lb| lb.dns_name.eq_ignore_ascii_case(host))
            })
            .cloned()
            .ok_or_else(|| {
                format!("VPC link {id} has several targets and none has the DNS name {host}")
            })?,
    };
    let lb = world
        .load_balancer(&arn)
        .ok_or_else(|| format!("VPC link {id} targets {arn}, which is not deployed"))?;
    if lb.kind != LbKind::Network {
        return Err(format!(
            "VPC link {id} (v1) targets {arn}, which is not a Network Load Balancer; AWS accepts only NLBs \
             (use a VPC link v2 with integrationTarget for an ALB)"
        ));
    }
    Ok(LinkTarget {
        lb: lb.arn.clone(),
        port: uri_port(uri),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_from_uris() {
        assert_eq!(uri_port(&"http://nlb.example.com/x".parse().unwrap()), 80);
        assert_eq!(uri_port(&"https://nlb.example.com/x".parse().unwrap()), 443);
        assert_eq!(
            uri_port(&"http://nlb.example.com:8080/x".parse().unwrap()),
            8080
        );
    }
}
