//! Fidelity: CloudFront distributions deployed through CloudFormation on the `local-cloud serve` daemon and
//! requested at their local domain (`http://{id}.cloudfront.localhost:{port}/`), answering as CloudFront does:
//! a private S3 origin read through an Origin Access Control only when the bucket policy allows the distribution's
//! ARN, the default root object, custom error responses (SPA routing: S3's 403 for a missing key becomes
//! `/index.html` with 200), a `/api/*` cache behaviour to an API Gateway origin (origin path, caching disabled),
//! the response headers policy's security headers, `x-cache` hits and misses, and the bucket refusing a direct
//! unsigned request. Needs python3 with moto 5.2.1 and the AWS CLI.

use std::{
    collections::HashMap,
    io::{Read, Write},
    net::TcpStream,
};

use serde_json::{Value, json};

use crate::support::{Cases, daemon::Daemon};

/// AWS's managed cache policies (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html>).
const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// Managed-AllViewerExceptHostHeader, what an API Gateway origin needs (its own Host).
const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

const INDEX: &str = "<!doctype html><title>spa</title><div id=app>spa-index</div>";

/// One answer: status, headers (lower-case names), body.
struct Answer {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

/// A bare HTTP/1.0 GET to the edge with `host` as the Host header.
fn get(port: u16, host: &str, path: &str) -> Answer {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: fidelity\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {raw:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// The site's bucket (public access blocked), its distribution and an API behind `/api/*`; a second bucket
/// whose policy allows another distribution, served by a second distribution.
fn template() -> Value {
    let block = json!({"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true,
                       "RestrictPublicBuckets": true});
    let oac_policy = |bucket: &str, source_arn: Value| {
        json!({"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": bucket}, "PolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
                           "Action": "s3:GetObject",
                           "Resource": {"Fn::Sub": format!("arn:aws:s3:::${{{bucket}}}/*")},
                           "Condition": {"StringEquals": {"AWS:SourceArn": source_arn}}}]}}})
    };
    let s3_origin = |bucket: &str| {
        json!({"Id": "site", "DomainName": {"Fn::GetAtt": [bucket, "RegionalDomainName"]},
               "S3OriginConfig": {"OriginAccessIdentity": ""}, "OriginAccessControlId": {"Ref": "Oac"}})
    };
    json!({
        "Resources": {
            "Site": {"Type": "AWS::S3::Bucket", "Properties": {
                "BucketName": "cf-fidelity-site", "PublicAccessBlockConfiguration": block}},
            "Other": {"Type": "AWS::S3::Bucket", "Properties": {
                "BucketName": "cf-fidelity-other", "PublicAccessBlockConfiguration": block}},
            "Oac": {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {"OriginAccessControlConfig": {
                "Name": "cf-fidelity", "OriginAccessControlOriginType": "s3", "SigningBehavior": "always",
                "SigningProtocol": "sigv4"}}},
            "Headers": {"Type": "AWS::CloudFront::ResponseHeadersPolicy", "Properties": {
                "ResponseHeadersPolicyConfig": {"Name": "cf-fidelity-security", "SecurityHeadersConfig": {
                    "StrictTransportSecurity": {"AccessControlMaxAgeSec": 63072000, "IncludeSubdomains": true,
                                                "Preload": true, "Override": true},
                    "ContentSecurityPolicy": {"ContentSecurityPolicy": "default-src 'self'", "Override": true},
                    "ContentTypeOptions": {"Override": true},
                    "FrameOptions": {"FrameOption": "DENY", "Override": true},
                    "ReferrerPolicy": {"ReferrerPolicy": "strict-origin-when-cross-origin", "Override": true}}}}},
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": {
                "openapi": "3.0.1", "info": {"title": "cf-fidelity-api", "version": "1"},
                "paths": {"/api/hello": {"get": {"x-amazon-apigateway-integration": {
                    "type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                    "responses": {"default": {"statusCode": "200",
                                              "responseTemplates": {"application/json": "{\"from\":\"api\"}"}}}}}}}}}},
            "Deployment": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"RestApiId": {"Ref": "Api"}}},
            "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
                "RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Deployment"}, "StageName": "live"}},
            "Distribution": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
                "Enabled": true, "DefaultRootObject": "index.html",
                "Origins": [s3_origin("Site"), {
                    "Id": "api", "DomainName": {"Fn::Sub": "${Api}.execute-api.${AWS::Region}.amazonaws.com"},
                    "OriginPath": "/live", "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}}],
                "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                                         "CachePolicyId": CACHING_OPTIMIZED,
                                         "ResponseHeadersPolicyId": {"Ref": "Headers"}},
                "CacheBehaviors": [{"PathPattern": "/api/*", "TargetOriginId": "api",
                                    "ViewerProtocolPolicy": "https-only", "CachePolicyId": CACHING_DISABLED,
                                    "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST,
                                    "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]}],
                "CustomErrorResponses": [
                    {"ErrorCode": 403, "ResponseCode": 200, "ResponsePagePath": "/index.html"},
                    {"ErrorCode": 404, "ResponseCode": 200, "ResponsePagePath": "/index.html"}]}}},
            "SitePolicy": oac_policy("Site", json!({"Fn::Sub":
                "arn:aws:cloudfront::${AWS::AccountId}:distribution/${Distribution}"})),
            "OtherDistribution": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
                "Enabled": true, "DefaultRootObject": "index.html", "Origins": [s3_origin("Other")],
                "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "allow-all",
                                         "CachePolicyId": CACHING_OPTIMIZED}}}},
            // An origin whose domain names no API: CloudFront cannot connect to it.
            "BrokenDistribution": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
                "Enabled": true, "Origins": [{
                    "Id": "gone", "DomainName": {"Fn::Sub": "nosuchapi.execute-api.${AWS::Region}.amazonaws.com"},
                    "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}}],
                "DefaultCacheBehavior": {"TargetOriginId": "gone", "ViewerProtocolPolicy": "allow-all",
                                         "CachePolicyId": CACHING_DISABLED}}}},
            // Scoped to a distribution that is not the one reading the bucket.
            "OtherPolicy": oac_policy("Other", json!({"Fn::Sub":
                "arn:aws:cloudfront::${AWS::AccountId}:distribution/E2QWRUHEXAMPLE"}))
        },
        "Outputs": {
            "Domain": {"Value": {"Fn::GetAtt": ["Distribution", "DomainName"]}},
            "OtherDomain": {"Value": {"Fn::GetAtt": ["OtherDistribution", "DomainName"]}},
            "BrokenDomain": {"Value": {"Fn::GetAtt": ["BrokenDistribution", "DomainName"]}}
        }
    })
}

/// What the cases share: the daemon and each distribution's local Host.
struct Ctx {
    d: Daemon,
    site: String,
    other: String,
    broken: String,
}

impl Ctx {
    fn site(&self, path: &str) -> Answer {
        get(self.d.port, &self.site, path)
    }
}

/// `d1234.cloudfront.net` -> `d1234.cloudfront.localhost:{port}`.
fn local_host(domain: &str, port: u16) -> String {
    let url = local_cloud::contract::urls::cloudfront(domain, port, "")
        .unwrap_or_else(|| panic!("{domain} is not a distribution's domain"));
    url.trim_start_matches("http://").to_owned()
}

#[test]
fn distributions_serve_a_private_bucket_an_api_and_the_spa_routes_as_cloudfront_does() {
    let d = Daemon::start();
    let file = d.dir.join("template.json");
    std::fs::write(&file, template().to_string()).unwrap();
    let body = format!("file://{}", file.display());
    d.aws_ok(&[
        "cloudformation",
        "create-stack",
        "--stack-name",
        "cf-fidelity",
        "--template-body",
        &body,
    ]);
    let stack = d.aws_ok(&[
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        "cf-fidelity",
    ]);
    let stack = &stack["Stacks"][0];
    assert_eq!(stack["StackStatus"], "CREATE_COMPLETE", "{stack}");
    let output = |key: &str| -> String {
        stack["Outputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["OutputKey"] == key)
            .and_then(|o| o["OutputValue"].as_str())
            .unwrap_or_else(|| panic!("no output {key}: {stack}"))
            .to_owned()
    };
    let index = d.dir.join("index.html");
    std::fs::write(&index, INDEX).unwrap();
    for bucket in ["cf-fidelity-site", "cf-fidelity-other"] {
        d.aws_ok(&[
            "s3api",
            "put-object",
            "--bucket",
            bucket,
            "--key",
            "index.html",
            "--content-type",
            "text/html",
            "--body",
            index.to_str().unwrap(),
        ]);
    }
    let (site, other, broken) = (
        local_host(&output("Domain"), d.port),
        local_host(&output("OtherDomain"), d.port),
        local_host(&output("BrokenDomain"), d.port),
    );
    let mut cases = Cases::new(Ctx {
        d,
        site,
        other,
        broken,
    });

    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DefaultRootObject.html: `/` is the
    // default root object; the bucket is read through the OAC because its policy allows this distribution's ARN
    // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html).
    cases.blocking(
        "`/` serves the default root object from the private bucket, a miss then a hit",
        |c| {
            let first = c.site("/");
            assert_eq!(first.status, 200, "{}", first.body);
            assert_eq!(first.body, INDEX);
            assert_eq!(first.header("content-type"), "text/html");
            assert_eq!(first.header("x-cache"), "Miss from cloudfront");
            assert!(
                first
                    .header("via")
                    .ends_with(".cloudfront.net (CloudFront)"),
                "{:?}",
                first.headers
            );
            let second = c.site("/");
            assert_eq!(second.status, 200);
            assert_eq!(second.header("x-cache"), "Hit from cloudfront");
        },
    );
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html
    cases.blocking(
        "the response headers policy adds the security headers",
        |c| {
            let a = c.site("/index.html");
            assert_eq!(a.status, 200);
            assert_eq!(
                a.header("strict-transport-security"),
                "max-age=63072000; includeSubDomains; preload"
            );
            assert_eq!(a.header("content-security-policy"), "default-src 'self'");
            assert_eq!(a.header("x-content-type-options"), "nosniff");
            assert_eq!(a.header("x-frame-options"), "DENY");
            assert_eq!(
                a.header("referrer-policy"),
                "strict-origin-when-cross-origin"
            );
        },
    );
    // S3 answers 403 for a missing key to a caller without s3:ListBucket
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"); the custom error
    // response turns it into /index.html with 200
    // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/custom-error-pages-procedure.html).
    cases.blocking(
        "a deep link the bucket has no object for serves /index.html with 200",
        |c| {
            for path in ["/orders/42", "/orders/42?tab=items", "/missing.js"] {
                let a = c.site(path);
                assert_eq!(a.status, 200, "{path}: {}", a.body);
                assert_eq!(a.body, INDEX, "{path}");
                assert_eq!(
                    a.header("x-frame-options"),
                    "DENY",
                    "{path}: the behaviour's headers policy"
                );
            }
        },
    );
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern:
    // `/api/*` matches before the default behaviour; the origin path `/live` goes in front of the request's path
    // (.../DownloadDistValuesOrigin.html#DownloadDistValuesOriginPath); CachingDisabled caches nothing.
    cases.blocking(
        "/api/* reaches the API Gateway origin under its origin path, never cached",
        |c| {
            for _ in 0..2 {
                let a = c.site("/api/hello");
                assert_eq!(a.status, 200, "{}", a.body);
                assert_eq!(
                    serde_json::from_str::<Value>(&a.body).unwrap(),
                    json!({"from": "api"})
                );
                assert_eq!(a.header("x-cache"), "Miss from cloudfront");
                assert_eq!(
                    a.header("strict-transport-security"),
                    "",
                    "the headers policy is the default behaviour's only"
                );
            }
        },
    );
    cases.blocking(
        "dot segments are removed before the behaviour is chosen, never leaving the bucket",
        |c| {
            let a = c.site("/api/../index.html");
            assert_eq!(a.status, 200, "{}", a.body);
            assert_eq!(a.body, INDEX, "served by the default behaviour (S3)");
            let a = c.site("/../../etc/passwd");
            assert_eq!(a.status, 200, "no such key: the SPA's error page");
            assert_eq!(a.body, INDEX);
        },
    );
    // The OAC signs for the distribution; a policy for another distribution's ARN does not allow it, and S3's
    // 403 AccessDenied reaches the viewer (no custom error response there).
    cases.blocking(
        "a bucket policy scoped to another distribution: 403 AccessDenied",
        |c| {
            let a = get(c.d.port, &c.other, "/index.html");
            assert_eq!(a.status, 403, "{}", a.body);
            assert!(a.body.contains("<Code>AccessDenied</Code>"), "{}", a.body);
            assert_eq!(a.header("x-cache"), "Error from cloudfront");
        },
    );
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html: a policy for
    // CloudFront's service principal makes nothing public; an anonymous request is refused.
    cases.blocking("the bucket refuses a direct unsigned request", |c| {
        let host = format!("127.0.0.1:{}", c.d.port);
        let a = get(c.d.port, &host, "/cf-fidelity-site/index.html");
        assert_eq!(a.status, 403, "{}", a.body);
        assert!(a.body.contains("<Code>AccessDenied</Code>"), "{}", a.body);
    });
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html: a URL is at most
    // 8,192 bytes.
    cases.blocking("a URL longer than CloudFront allows: 414", |c| {
        let a = c.site(&format!("/{}", "a".repeat(8200)));
        assert_eq!(a.status, 414, "{}", a.body);
        assert_eq!(a.header("x-cache"), "Error from cloudfront");
    });
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-502-bad-gateway.html: an origin
    // CloudFront cannot connect to answers 502.
    cases.blocking(
        "an origin whose domain names no API: 502, never a hang",
        |c| {
            let a = get(c.d.port, &c.broken, "/anything");
            assert_eq!(a.status, 502, "{}", a.body);
            assert_eq!(a.header("x-cache"), "Error from cloudfront");
        },
    );
    cases.finish();
}
