//! Internet-facing load balancers, reached from the host through the edge at
//! `/_elb/{dns_name}:{listener_port}/{path}` (no resolver needs to know AWS's DNS names). An internal load
//! balancer answers there with an error: it is reachable only from inside its VPC, through a VPC link. A Host
//! header naming a host of its own reaches the listener's host-header rules, as it would on AWS.

use std::net::{IpAddr, Ipv4Addr};

use bytes::Bytes;
use http::{Request, Response, StatusCode, Uri, header::HOST};

use super::{DispatchError, load, pages};
use crate::{SharedCloud, edge::json_response};

use crate::contract::urls::ELB_PREFIX as PREFIX;

/// `/_elb/{dns}:{port}/{rest}` -> (dns, port, `/{rest}`); the port defaults to 80.
pub fn parse(path: &str) -> Option<(&str, u16, String)> {
    let rest = path.strip_prefix(PREFIX)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    let (dns, port) = match authority.rsplit_once(':') {
        Some((dns, port)) => (dns, port.parse().ok()?),
        None => (authority, 80),
    };
    (!dns.is_empty()).then_some((dns, port, path))
}

/// Serves one request from the host to the load balancer named in its path.
pub async fn handle(cloud: &SharedCloud, req: Request<Bytes>) -> Response<Bytes> {
    let Some((dns, port, path)) = parse(req.uri().path()) else {
        return message(
            StatusCode::BAD_REQUEST,
            "expected /_elb/{dns_name}:{port}/{path}".to_owned(),
        );
    };
    let (dns, path) = (dns.to_owned(), path);
    let world = match load::world(cloud).await {
        Ok(world) => world,
        Err(err) => return message(StatusCode::BAD_GATEWAY, format!("{err:#}")),
    };
    match world.load_balancer(&dns) {
        None => {
            return message(
                StatusCode::NOT_FOUND,
                format!("no load balancer has the DNS name {dns}"),
            );
        }
        Some(lb) if lb.internal => {
            return message(
                StatusCode::FORBIDDEN,
                format!(
                    "{} is internal: it is reachable only from inside its VPC (e.g. through a VPC link), \
                     not from the internet",
                    lb.name
                ),
            );
        }
        Some(_) => {}
    }
    let (mut parts, body) = req.into_parts();
    let path_and_query = match parts.uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    parts.uri = match path_and_query.parse::<Uri>() {
        Ok(uri) => uri,
        Err(err) => return message(StatusCode::BAD_REQUEST, format!("{path_and_query}: {err}")),
    };
    // A client that names a host keeps it, as `curl -H 'Host: catalog.example.com' http://<dns name>/` does on
    // AWS (host-header rules match it); a request that names only the edge itself gets the load balancer's name.
    if !names_a_host(&parts.headers) {
        let host = if port == 80 {
            dns.clone()
        } else {
            format!("{dns}:{port}")
        };
        if let Ok(value) = host.parse() {
            parts.headers.insert(HOST, value);
        }
    }
    let client = IpAddr::V4(Ipv4Addr::LOCALHOST);
    match super::try_dispatch(cloud, &dns, port, Request::from_parts(parts, body), client).await {
        Ok(resp) => resp,
        Err(DispatchError::NoListener { lb, port }) => message(
            StatusCode::BAD_GATEWAY,
            format!("{lb} has no listener on port {port}: the connection is refused"),
        ),
        Err(DispatchError::Timeout) => pages::error_page(StatusCode::GATEWAY_TIMEOUT),
        Err(err) => {
            tracing::warn!(lb = %dns, port, error = %err, "load balancer request failed");
            pages::error_page(StatusCode::BAD_GATEWAY)
        }
    }
}

/// Whether the request's Host names a host of its own rather than the edge it reached (an IP address,
/// `localhost` or a `*.localhost` name).
fn names_a_host(headers: &http::HeaderMap) -> bool {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    !(name.parse::<IpAddr>().is_ok() || name == "localhost" || name.ends_with(".localhost"))
}

fn message(status: StatusCode, message: String) -> Response<Bytes> {
    json_response(status, &serde_json::json!({ "message": message }))
}

#[cfg(test)]
mod tests {
    use super::{names_a_host, parse};

    #[test]
    fn a_host_of_its_own_is_kept_and_the_edge_is_not_one() {
        let with = |host: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert(http::header::HOST, host.parse().unwrap());
            names_a_host(&headers)
        };
        assert!(with("catalog.example.com"));
        assert!(with("catalog.example.com:8080"));
        for edge in [
            "127.0.0.1:4566",
            "localhost:4566",
            "x.localhost",
            "[::1]:4566",
            "10.0.0.1",
        ] {
            assert!(!with(edge), "{edge}");
        }
        assert!(!names_a_host(&http::HeaderMap::new()));
    }

    #[test]
    fn paths_name_the_load_balancer_the_port_and_the_rest() {
        assert_eq!(
            parse("/_elb/a-1.us-east-1.elb.amazonaws.com:8080/x/y"),
            Some(("a-1.us-east-1.elb.amazonaws.com", 8080, "/x/y".to_owned()))
        );
        assert_eq!(
            parse("/_elb/a.elb.amazonaws.com"),
            Some(("a.elb.amazonaws.com", 80, "/".to_owned()))
        );
        assert_eq!(parse("/_elb/a:notaport/x"), None);
        assert_eq!(parse("/_elb/"), None);
        assert_eq!(parse("/restapis/x"), None);
    }
}
