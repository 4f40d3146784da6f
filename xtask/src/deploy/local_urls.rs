//! Maps the AWS URLs in a local deployment's outputs to where the local cloud serves them.
//!
//! `https://{id}.execute-api.{region}.amazonaws.com/{stage}` becomes `http://{id}.execute-api.localhost:{port}/{stage}`
//! (curl and browsers resolve `*.localhost` to 127.0.0.1; `cargo xtask verify` does too), and a distribution's
//! `https://{id}.cloudfront.net/{path}` becomes `http://{id}.cloudfront.localhost:{port}/{path}`
//! ([`local_cloud::contract::urls::cloudfront`]), a function URL's `https://{url_id}.lambda-url.{region}.on.aws/`
//! becomes `http://{url_id}.lambda-url.localhost:{port}/` ([`local_cloud::contract::urls::lambda_url`]), and
//! `https://{domain}/{path}` of an API Gateway custom domain name the local cloud holds becomes
//! `http://{domain}.domain.localhost:{port}/{path}` ([`local_cloud::contract::urls::custom_domain`]).

use super::Outputs;

/// Rewrites every string output that is an execute-api, CloudFront or function URL.
pub fn map_outputs(outputs: Outputs, edge_url: &str) -> Outputs {
    let port = edge_url
        .rsplit(':')
        .next()
        .unwrap_or("4566")
        .trim_end_matches('/');
    outputs
        .into_iter()
        .map(|(name, value)| {
            let mapped = value
                .as_str()
                .and_then(|s| map_url(s, port).or_else(|| map_custom_domain(s, port, edge_url)));
            let value = match mapped {
                Some(mapped) => serde_json::Value::String(mapped),
                None => value,
            };
            (name, value)
        })
        .collect()
}

/// Whether the local cloud at `edge_url` holds the API Gateway custom domain name `name` (GetDomainName).
pub fn is_custom_domain(edge_url: &str, name: &str) -> bool {
    let edge = edge_url.trim_end_matches('/');
    crate::aws::raw::get(
        edge,
        "apigateway",
        &format!("/domainnames/{}", crate::aws::raw::percent_encode(name)),
    )
    .is_ok_and(|(status, _)| status == 200)
}

/// `https://{domain}/{path}` -> `http://{domain}.domain.localhost:{port}/{path}` when `domain` is a custom domain
/// name the local cloud holds.
fn map_custom_domain(url: &str, port: &str, edge_url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let slash = if path.is_empty() && !url.ends_with('/') {
        ""
    } else {
        "/"
    };
    (!host.ends_with(".amazonaws.com") && is_custom_domain(edge_url, host))
        .then(|| local_cloud::contract::urls::custom_domain(host, port, &format!("{slash}{path}")))
}

fn map_url(url: &str, port: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let slash = if path.is_empty() && !url.ends_with('/') {
        ""
    } else {
        "/"
    };
    if host.ends_with(".cloudfront.net") {
        return local_cloud::contract::urls::cloudfront(host, port, &format!("{slash}{path}"));
    }
    if host.ends_with(".on.aws") {
        return local_cloud::contract::urls::lambda_url(host, port, &format!("{slash}{path}"));
    }
    let (api_id, region_domain) = host.split_once(".execute-api.")?;
    region_domain.strip_suffix(".amazonaws.com")?;
    Some(format!(
        "http://{api_id}.execute-api.localhost:{port}{slash}{path}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An exported pattern's checks (`crates/pattern-checks`) send an AWS URL to the local cloud themselves:
    /// to the host this module prints for it, which is the one the edge routes.
    #[test]
    fn exported_checks_send_aws_urls_where_deploy_says_they_are_served() {
        let edge = "http://127.0.0.1:4566";
        for url in [
            "https://abc123.execute-api.us-east-1.amazonaws.com/prod/items?x=1",
            "https://abc123.execute-api.eu-west-1.amazonaws.com/",
            "https://d1234.cloudfront.net/index.html",
            "https://u1x.lambda-url.us-east-1.on.aws/?name=a",
        ] {
            let printed = map_url(url, "4566").expect("an AWS form");
            let (sent, host) = pattern_checks::local::locate(url, edge);
            let host = host.expect("routed by Host");
            let path = sent
                .strip_prefix("http://127.0.0.1:4566")
                .expect("to the edge");
            assert_eq!(format!("http://{host}{path}"), printed, "{url}");
        }
    }

    #[test]
    fn execute_api_urls_are_mapped_and_others_kept() {
        let mut outputs = Outputs::new();
        outputs.insert(
            "api_url".into(),
            "https://abc123.execute-api.us-east-1.amazonaws.com/prod".into(),
        );
        outputs.insert(
            "base".into(),
            "https://abc123.execute-api.eu-west-1.amazonaws.com".into(),
        );
        outputs.insert(
            "alb".into(),
            "internal-x.us-east-1.elb.amazonaws.com".into(),
        );
        outputs.insert("n".into(), serde_json::json!(3));
        let mapped = map_outputs(outputs, "http://127.0.0.1:4566");
        assert_eq!(
            mapped["api_url"],
            "http://abc123.execute-api.localhost:4566/prod"
        );
        assert_eq!(mapped["base"], "http://abc123.execute-api.localhost:4566");
        assert_eq!(mapped["alb"], "internal-x.us-east-1.elb.amazonaws.com");
        assert_eq!(mapped["n"], 3);
    }

    #[test]
    fn distribution_urls_are_mapped_to_their_local_host() {
        let mut outputs = Outputs::new();
        outputs.insert(
            "site_url".into(),
            "https://d111abcdef8.cloudfront.net".into(),
        );
        outputs.insert(
            "deep".into(),
            "https://d111abcdef8.cloudfront.net/orders/42".into(),
        );
        let mapped = map_outputs(outputs, "http://127.0.0.1:4566");
        assert_eq!(
            mapped["site_url"],
            "http://d111abcdef8.cloudfront.localhost:4566"
        );
        assert_eq!(
            mapped["deep"],
            "http://d111abcdef8.cloudfront.localhost:4566/orders/42"
        );
    }

    #[test]
    fn function_urls_are_mapped_to_their_local_host() {
        let mut outputs = Outputs::new();
        outputs.insert(
            "function_url".into(),
            "https://abc123.lambda-url.us-east-1.on.aws/".into(),
        );
        let mapped = map_outputs(outputs, "http://127.0.0.1:4566");
        assert_eq!(
            mapped["function_url"],
            "http://abc123.lambda-url.localhost:4566/"
        );
    }

    #[test]
    fn sam_stage_urls_keep_the_stage_and_its_case() {
        // `!Sub "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${StageName}"` on the local cloud.
        let mut outputs = Outputs::new();
        outputs.insert(
            "ApiUrl".into(),
            "https://0ukd3iw8tq.execute-api.us-east-1.amazonaws.com/Prod".into(),
        );
        let mapped = map_outputs(outputs, "http://127.0.0.1:4566");
        assert_eq!(
            mapped["ApiUrl"],
            "http://0ukd3iw8tq.execute-api.localhost:4566/Prod"
        );
    }
}
