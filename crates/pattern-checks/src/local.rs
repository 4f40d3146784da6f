//! Where the local cloud serves a URL a deployment printed: the AWS forms (execute-api, CloudFront, function
//! URLs, load balancers, S3 buckets), which only AWS's DNS and certificates answer, are sent to the local cloud's
//! edge with the Host header it routes by (`{id}.execute-api.localhost:{port}` and the like, the forms
//! `cargo xtask deploy` prints). xtask's own mapping (`xtask/src/verify/local_urls.rs`) is checked against this
//! one by a test.

/// `url` as the local cloud at `edge` (e.g. `http://127.0.0.1:4566`) serves it: the URL to connect to and the
/// Host header to send, or the URL unchanged when it is no AWS or local form.
pub fn locate(url: &str, edge: &str) -> (String, Option<String>) {
    let edge = edge.trim_end_matches('/');
    let port = edge
        .rsplit_once(':')
        .map(|(_, p)| p)
        .filter(|p| p.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or("80");
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return (url.to_owned(), None);
    };
    let (authority, path, query) = split_authority(rest);
    let tail = format!("/{path}{query}");
    let (host, host_port) = match authority.rsplit_once(':') {
        Some((host, p)) if p.chars().all(|c| c.is_ascii_digit()) => (host, Some(p)),
        _ => (authority, None),
    };
    let via_host =
        |local_host: String| (format!("http://127.0.0.1:{port}{tail}"), Some(local_host));
    if let Some((id, region)) = host.split_once(".execute-api.")
        && region.ends_with(".amazonaws.com")
    {
        return via_host(format!("{id}.execute-api.localhost:{port}"));
    }
    if let Some(id) = host
        .strip_suffix(".cloudfront.net")
        .filter(|id| !id.contains('.'))
    {
        return via_host(format!("{id}.cloudfront.localhost:{port}"));
    }
    if let Some((id, region)) = host.split_once(".lambda-url.")
        && region.ends_with(".on.aws")
    {
        return via_host(format!("{id}.lambda-url.localhost:{port}"));
    }
    if host.ends_with(".elb.amazonaws.com") {
        let lb_port = host_port.unwrap_or("80");
        return (format!("{edge}/_elb/{host}:{lb_port}{tail}"), None);
    }
    if let Some(bucket) = host
        .strip_suffix(".amazonaws.com")
        .and_then(|h| h.rsplit_once(".s3"))
        .map(|(bucket, _)| bucket)
        .filter(|b| !b.is_empty())
    {
        return (format!("{edge}/{bucket}{tail}"), None);
    }
    if host.ends_with(".localhost") {
        return via_host(authority.to_owned());
    }
    (url.to_owned(), None)
}

/// A URL after its `scheme://` -> its authority, its path without the leading `/`, and what follows the path
/// (`?query`, `#fragment`, or nothing): a query may follow the authority directly (`host?x=/y`).
pub fn split_authority(rest: &str) -> (&str, &str, &str) {
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let tail = tail.strip_prefix('/').unwrap_or(tail);
    let (path, query) = tail.split_at(tail.find(['?', '#']).unwrap_or(tail.len()));
    (authority, path, query)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EDGE: &str = "http://127.0.0.1:4566";

    #[test]
    fn aws_forms_go_to_the_edge_with_the_host_it_routes_by() {
        assert_eq!(
            locate(
                "https://abc.execute-api.us-east-1.amazonaws.com/Prod/items?x=1",
                EDGE
            ),
            (
                "http://127.0.0.1:4566/Prod/items?x=1".to_owned(),
                Some("abc.execute-api.localhost:4566".to_owned())
            )
        );
        assert_eq!(
            locate("https://d111.cloudfront.net", EDGE),
            (
                "http://127.0.0.1:4566/".to_owned(),
                Some("d111.cloudfront.localhost:4566".to_owned())
            )
        );
        assert_eq!(
            locate("https://u1.lambda-url.eu-west-1.on.aws/?a=b", EDGE),
            (
                "http://127.0.0.1:4566/?a=b".to_owned(),
                Some("u1.lambda-url.localhost:4566".to_owned())
            )
        );
        assert_eq!(
            locate("http://my-lb-1.us-east-1.elb.amazonaws.com/hello", EDGE),
            (
                "http://127.0.0.1:4566/_elb/my-lb-1.us-east-1.elb.amazonaws.com:80/hello"
                    .to_owned(),
                None
            )
        );
        assert_eq!(
            locate("https://site-1.s3.us-east-1.amazonaws.com/index.html", EDGE),
            ("http://127.0.0.1:4566/site-1/index.html".to_owned(), None)
        );
        assert_eq!(
            locate("http://abc.execute-api.localhost:4566/prod", EDGE),
            (
                "http://127.0.0.1:4566/prod".to_owned(),
                Some("abc.execute-api.localhost:4566".to_owned())
            )
        );
        assert_eq!(
            locate("https://example.com/x", EDGE),
            ("https://example.com/x".to_owned(), None)
        );
    }
}
