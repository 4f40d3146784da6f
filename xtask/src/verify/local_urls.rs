//! Where the local cloud serves the URL of a check: execute-api, load balancers, CloudFront distributions, API
//! Gateway custom domain names and S3 buckets are mapped to the edge (with the Host header to send when the URL's
//! host is not the one to connect to), as `cargo xtask verify` runs the same checks on the local target as on AWS.

use pattern_checks::local::split_authority;

/// Where the local cloud serves `url`, and the Host header to send when the URL's host is not the one to connect
/// to: a CloudFront distribution ([`local_host_routed_form`]), execute-api ([`local_form`]), a load balancer
/// ([`local_elb_form`]) or an S3 bucket ([`local_s3_form`]).
pub(crate) fn local_url(url: &str, edge_url: &str) -> (String, Option<String>) {
    if let Some((url, host)) = local_host_routed_form(url, edge_url) {
        return (url, Some(host));
    }
    if let Some((url, host)) = local_custom_domain_form(url, edge_url, |name| {
        crate::deploy::local_urls::is_custom_domain(edge_url, name)
    }) {
        return (url, Some(host));
    }
    (
        local_s3_form(&local_elb_form(&local_form(url), edge_url), edge_url),
        None,
    )
}

/// A distribution's URL, `https://{id}.cloudfront.net/{path}` or its local form
/// `http://{id}.cloudfront.localhost:{port}/{path}` (which browsers resolve, but not every resolver), or a function
/// URL, `https://{url_id}.lambda-url.{region}.on.aws/{path}` or `http://{url_id}.lambda-url.localhost:{port}/{path}`
/// -> the edge on 127.0.0.1 and the Host header naming the distribution or URL, as the edge routes them by Host.
fn local_host_routed_form(url: &str, edge_url: &str) -> Option<(String, String)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (authority, path, query) = split_authority(rest);
    let edge = edge_url.trim_end_matches('/');
    let edge_port = edge.rsplit(':').next().unwrap_or("4566");
    use local_cloud::contract::urls;
    let local = if authority.ends_with(".cloudfront.net") {
        urls::cloudfront(authority, edge_port, "")?
    } else if authority.ends_with(".on.aws") {
        urls::lambda_url(authority, edge_port, "")?
    } else {
        format!("http://{authority}")
    };
    let host = local.strip_prefix("http://")?.to_owned();
    let (name, port) = host.split_once(':').unwrap_or((&host, "80"));
    if !name.ends_with(urls::CLOUDFRONT_HOST_SUFFIX)
        && !name.ends_with(urls::LAMBDA_URL_HOST_SUFFIX)
    {
        return None;
    }
    Some((format!("http://127.0.0.1:{port}/{path}{query}"), host))
}

/// An API Gateway custom domain name's URL, `https://{domain}/{path}` (when the local cloud holds that domain
/// name: `is_domain` asks it) or its local form `http://{domain}.domain.localhost:{port}/{path}` -> the edge on
/// 127.0.0.1 and the Host header of the local form, which the edge routes by its base path mappings.
fn local_custom_domain_form(
    url: &str,
    edge_url: &str,
    is_domain: impl Fn(&str) -> bool,
) -> Option<(String, String)> {
    use local_cloud::contract::urls;
    let edge_port = edge_url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap_or("4566");
    let (host, path, query) = match url.strip_prefix("https://") {
        Some(rest) => {
            let (authority, path, query) = split_authority(rest);
            let name = authority.split(':').next().unwrap_or(authority);
            if name.ends_with(".amazonaws.com")
                || name.ends_with(".cloudfront.net")
                || !is_domain(name)
            {
                return None;
            }
            let local = urls::custom_domain(name, edge_port, "");
            (local.strip_prefix("http://")?.to_owned(), path, query)
        }
        None => {
            let (authority, path, query) = split_authority(url.strip_prefix("http://")?);
            urls::custom_domain_of_host(authority)?;
            (authority.to_owned(), path, query)
        }
    };
    let port = host.rsplit_once(':').map_or("80", |(_, port)| port);
    Some((format!("http://127.0.0.1:{port}/{path}{query}"), host))
}

/// `https://{bucket}.s3[.{region}].amazonaws.com/{key}` (a bucket's virtual-hosted URL) -> the edge's path-style
/// `{edge}/{bucket}/{key}`, sent as it came (an unsigned request stays unsigned).
fn local_s3_form(url: &str, edge_url: &str) -> String {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return url.to_owned();
    };
    let (host, path, query) = split_authority(rest);
    let bucket = host.strip_suffix(".amazonaws.com").and_then(|h| {
        let (bucket, region) = h.rsplit_once(".s3")?;
        (region.is_empty() || region.starts_with('.') || region.starts_with('-')).then_some(bucket)
    });
    match bucket {
        Some(bucket) if !bucket.is_empty() => {
            format!("{}/{bucket}/{path}{query}", edge_url.trim_end_matches('/'))
        }
        _ => url.to_owned(),
    }
}

/// `http://{id}.execute-api.localhost:{port}/{stage}/{path}` -> the edge's path form on 127.0.0.1, so no
/// resolver needs to know `*.localhost`. Other URLs are returned unchanged.
pub(crate) fn local_form(url: &str) -> String {
    let Some(rest) = url.strip_prefix("http://") else {
        return url.to_owned();
    };
    let (host, path, query) = split_authority(rest);
    let Some((api_id, port)) = host
        .split_once(".execute-api.localhost")
        .map(|(id, port)| (id, port.trim_start_matches(':')))
    else {
        return url.to_owned();
    };
    let port = if port.is_empty() { "80" } else { port };
    let (stage, rest) = path.split_once('/').unwrap_or((path, ""));
    // An HTTP API's `$default` stage has no path segment: `https://{id}.execute-api.../?name=x`.
    let stage = if stage.is_empty() { "$default" } else { stage };
    format!("http://127.0.0.1:{port}/restapis/{api_id}/{stage}/_user_request_/{rest}{query}")
}

/// `http://{lb}.elb.amazonaws.com[:port]/{path}` (a load balancer's DNS name, which only AWS resolves) -> the
/// edge's `/_elb/{dns}:{port}/{path}` route, which serves internet-facing load balancers and refuses internal ones.
fn local_elb_form(url: &str, edge_url: &str) -> String {
    let Some(rest) = url.strip_prefix("http://") else {
        return url.to_owned();
    };
    let (authority, path, query) = split_authority(rest);
    let (host, port) = authority.split_once(':').unwrap_or((authority, "80"));
    if !host.ends_with(".elb.amazonaws.com") {
        return url.to_owned();
    }
    format!(
        "{}/_elb/{host}:{port}/{path}{query}",
        edge_url.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn host_form_urls_become_the_edge_path_form() {
        assert_eq!(
            local_form("http://abc.execute-api.localhost:4566/prod/hello?name=x"),
            "http://127.0.0.1:4566/restapis/abc/prod/_user_request_/hello?name=x"
        );
        // The query is not a path segment, and the `$default` stage of an HTTP API has none (found copying the
        // upstream collection's apigw-http-api-lambda-rust: `GET {HttpApiEndpoint}/?name=x`).
        assert_eq!(
            local_form("http://abc.execute-api.localhost:4566/?name=x"),
            "http://127.0.0.1:4566/restapis/abc/$default/_user_request_/?name=x"
        );
        assert_eq!(
            local_form("http://abc.execute-api.localhost:4566?name=x/y"),
            "http://127.0.0.1:4566/restapis/abc/$default/_user_request_/?name=x/y"
        );
        assert_eq!(
            local_form("http://abc.execute-api.localhost:4566/prod?a=1"),
            "http://127.0.0.1:4566/restapis/abc/prod/_user_request_/?a=1"
        );
        assert_eq!(
            local_form("https://abc.execute-api.us-east-1.amazonaws.com/prod"),
            "https://abc.execute-api.us-east-1.amazonaws.com/prod"
        );
    }

    #[test]
    fn load_balancer_urls_go_to_the_edge_elb_route() {
        let edge = "http://127.0.0.1:4566";
        assert_eq!(
            local_elb_form("http://a-1.us-east-1.elb.amazonaws.com/x?y=1", edge),
            "http://127.0.0.1:4566/_elb/a-1.us-east-1.elb.amazonaws.com:80/x?y=1"
        );
        assert_eq!(
            local_elb_form("http://a.elb.amazonaws.com:8080", edge),
            "http://127.0.0.1:4566/_elb/a.elb.amazonaws.com:8080/"
        );
        assert_eq!(
            local_elb_form("http://example.com/x", edge),
            "http://example.com/x"
        );
    }

    #[test]
    fn a_url_splits_into_authority_path_and_query() {
        assert_eq!(split_authority("h:1/a/b?q=/x"), ("h:1", "a/b", "?q=/x"));
        assert_eq!(split_authority("h?q=/x"), ("h", "", "?q=/x"));
        assert_eq!(split_authority("h/#f"), ("h", "", "#f"));
        assert_eq!(split_authority("h"), ("h", "", ""));
    }

    #[test]
    fn distribution_urls_go_to_the_edge_with_the_distribution_as_host() {
        let edge = "http://127.0.0.1:4664";
        assert_eq!(
            local_url(
                "http://d111abcdef8.cloudfront.localhost:4664/orders/42",
                edge
            ),
            (
                "http://127.0.0.1:4664/orders/42".to_owned(),
                Some("d111abcdef8.cloudfront.localhost:4664".to_owned())
            )
        );
        assert_eq!(
            local_url("https://d111abcdef8.cloudfront.net", edge),
            (
                "http://127.0.0.1:4664/".to_owned(),
                Some("d111abcdef8.cloudfront.localhost:4664".to_owned())
            )
        );
        assert_eq!(
            local_url("https://example.com/x", edge),
            ("https://example.com/x".to_owned(), None)
        );
    }

    #[test]
    fn custom_domain_urls_go_to_the_edge_with_the_local_form_as_host() {
        let edge = "http://127.0.0.1:4674";
        let ours = |name: &str| name == "api.example.com";
        let expected = |path: &str| {
            Some((
                format!("http://127.0.0.1:4674/{path}"),
                "api.example.com.domain.localhost:4674".to_owned(),
            ))
        };
        assert_eq!(
            local_custom_domain_form("https://api.example.com/orders/1?x=1", edge, ours),
            expected("orders/1?x=1")
        );
        assert_eq!(
            local_custom_domain_form("https://api.example.com", edge, ours),
            expected("")
        );
        assert_eq!(
            local_custom_domain_form(
                "http://api.example.com.domain.localhost:4674/users",
                edge,
                |_| false
            ),
            expected("users")
        );
        assert_eq!(
            local_custom_domain_form("https://other.example.com/x", edge, ours),
            None
        );
        assert_eq!(
            local_custom_domain_form(
                "https://abc.execute-api.us-east-1.amazonaws.com/prod",
                edge,
                |_| true
            ),
            None
        );
    }

    #[test]
    fn function_urls_go_to_the_edge_with_the_url_as_host() {
        let edge = "http://127.0.0.1:4664";
        let local = (
            "http://127.0.0.1:4664/hello?x=1".to_owned(),
            Some("abc123.lambda-url.localhost:4664".to_owned()),
        );
        assert_eq!(
            local_url("https://abc123.lambda-url.us-east-1.on.aws/hello?x=1", edge),
            local
        );
        assert_eq!(
            local_url("http://abc123.lambda-url.localhost:4664/hello?x=1", edge),
            local
        );
    }

    #[test]
    fn bucket_urls_become_the_edge_path_style() {
        let edge = "http://127.0.0.1:4566";
        assert_eq!(
            local_s3_form("https://site-1.s3.us-east-1.amazonaws.com/index.html", edge),
            "http://127.0.0.1:4566/site-1/index.html"
        );
        assert_eq!(
            local_s3_form("https://site.s3.amazonaws.com/a/b.js", edge),
            "http://127.0.0.1:4566/site/a/b.js"
        );
        assert_eq!(
            local_s3_form("https://abc.execute-api.us-east-1.amazonaws.com/x", edge),
            "https://abc.execute-api.us-east-1.amazonaws.com/x"
        );
    }
}
