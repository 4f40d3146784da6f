//! Fidelity: Lambda function URLs on the `local-cloud serve` daemon, requested at their local domain
//! (`http://{url_id}.lambda-url.localhost:{port}/` for `{url_id}.lambda-url.{region}.on.aws`), answering as Lambda
//! does: `AuthType` `NONE` only with a public resource policy for both actions, `AWS_IAM` refusing an unsigned
//! request and a signer without `lambda:InvokeFunctionUrl`, the payload 2.0 event, the URL's CORS configuration,
//! a function error as 502; and a CloudFront distribution whose origin is a function URL, signing through an
//! Origin Access Control of type `lambda` (the function's policy naming the distribution), or naming a URL no
//! function has (502). The function is `fidelity-fn` in `proxy` mode (its answer's body is the event it got, so
//! the event is asserted), or `error` mode. Needs python3 with moto 5.2.1 and the AWS CLI.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::support::{
    Cases,
    daemon::Daemon,
    functions::fidelity_zip,
    http::{Answer, send, signed_by},
};

/// Managed-CachingDisabled and Managed-AllViewerExceptHostHeader
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html>).
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

/// The functions' URLs, permissions and the distributions, as one stack (the functions come first, by the CLI).
fn template() -> Value {
    let url = |function: &str, auth: &str, cors: Value| {
        json!({"Type": "AWS::Lambda::Url", "Properties": {
            "TargetFunctionArn": function, "AuthType": auth, "Cors": cors}})
    };
    let permission = |function: &str, action: &str, principal: &str, extra: Value| {
        let mut props = json!({"FunctionName": function, "Action": action, "Principal": principal});
        props
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"Type": "AWS::Lambda::Permission", "Properties": props})
    };
    let distribution = |domain: Value| {
        json!({"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
            "Enabled": true,
            "Origins": [{"Id": "url", "DomainName": domain,
                         "OriginAccessControlId": {"Fn::GetAtt": ["Oac", "Id"]},
                         "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}}],
            "DefaultCacheBehavior": {"TargetOriginId": "url", "ViewerProtocolPolicy": "redirect-to-https",
                                     "CachePolicyId": CACHING_DISABLED,
                                     "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST}}}})
    };
    let dist_arn =
        json!({"Fn::Sub": "arn:aws:cloudfront::${AWS::AccountId}:distribution/${Distribution}"});
    let domain_of = |url: &str| json!({"Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": [url, "FunctionUrl"]}]}]});
    json!({
        "Resources": {
            "PublicUrl": url("url-public", "NONE", json!({
                "AllowOrigins": ["https://app.example.com"], "AllowMethods": ["GET", "POST"],
                "AllowHeaders": ["content-type"], "ExposeHeaders": ["x-request-id"], "MaxAge": 300})),
            "PublicUrlAllow": permission("url-public", "lambda:InvokeFunctionUrl", "*",
                                         json!({"FunctionUrlAuthType": "NONE"})),
            "PublicInvokeAllow": permission("url-public", "lambda:InvokeFunction", "*",
                                            json!({"InvokedViaFunctionUrl": true})),
            "HalfUrl": url("url-half", "NONE", json!({})),
            "HalfUrlAllow": permission("url-half", "lambda:InvokeFunctionUrl", "*",
                                       json!({"FunctionUrlAuthType": "NONE"})),
            "IamUrl": url("url-iam", "AWS_IAM", json!({})),
            "FailingUrl": url("url-failing", "NONE", json!({})),
            "FailingUrlAllow": permission("url-failing", "lambda:InvokeFunctionUrl", "*",
                                          json!({"FunctionUrlAuthType": "NONE"})),
            "FailingInvokeAllow": permission("url-failing", "lambda:InvokeFunction", "*", json!({})),
            "Oac": {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {"OriginAccessControlConfig": {
                "Name": "url-fidelity", "OriginAccessControlOriginType": "lambda", "SigningBehavior": "always",
                "SigningProtocol": "sigv4"}}},
            "Distribution": distribution(domain_of("IamUrl")),
            "CloudFrontUrlAllow": permission("url-iam", "lambda:InvokeFunctionUrl", "cloudfront.amazonaws.com",
                                             json!({"SourceArn": dist_arn, "FunctionUrlAuthType": "AWS_IAM"})),
            "CloudFrontInvokeAllow": permission("url-iam", "lambda:InvokeFunction", "cloudfront.amazonaws.com",
                                                json!({"SourceArn": dist_arn})),
            // A function URL domain no function has: it does not resolve on AWS.
            "BrokenDistribution": distribution(json!({"Fn::Sub":
                "nosuchurlid000000000000000000000.lambda-url.${AWS::Region}.on.aws"})),
        },
        "Outputs": {
            "PublicUrl": {"Value": {"Fn::GetAtt": ["PublicUrl", "FunctionUrl"]}},
            "HalfUrl": {"Value": {"Fn::GetAtt": ["HalfUrl", "FunctionUrl"]}},
            "IamUrl": {"Value": {"Fn::GetAtt": ["IamUrl", "FunctionUrl"]}},
            "FailingUrl": {"Value": {"Fn::GetAtt": ["FailingUrl", "FunctionUrl"]}},
            "Domain": {"Value": {"Fn::GetAtt": ["Distribution", "DomainName"]}},
            "BrokenDomain": {"Value": {"Fn::GetAtt": ["BrokenDistribution", "DomainName"]}},
        }
    })
}

/// What the cases share: the daemon, each URL's local Host and AWS domain, the distributions' local Hosts.
struct Ctx {
    d: Daemon,
    hosts: HashMap<String, (String, String)>,
    site: String,
    broken: String,
}

impl Ctx {
    fn url(&self, name: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
        send(self.d.port, method, &self.hosts[name].0, path, headers)
    }

    fn domain(&self, name: &str) -> &str {
        &self.hosts[name].1
    }

    /// An IAM user of the account with an access key, and (when given) an inline policy; its key.
    fn user(&self, name: &str, policy: Option<Value>) -> String {
        self.d.aws_ok(&["iam", "create-user", "--user-name", name]);
        if let Some(policy) = policy {
            self.d.aws_ok(&[
                "iam",
                "put-user-policy",
                "--user-name",
                name,
                "--policy-name",
                "url",
                "--policy-document",
                &policy.to_string(),
            ]);
        }
        let key = self
            .d
            .aws_ok(&["iam", "create-access-key", "--user-name", name]);
        key["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned()
    }
}

fn create_function(d: &Daemon, name: &str, mode: &str, zip: &std::path::Path) {
    d.aws_ok(&[
        "lambda",
        "create-function",
        "--function-name",
        name,
        "--runtime",
        "provided.al2023",
        "--handler",
        "bootstrap",
        "--role",
        "arn:aws:iam::123456789012:role/url-role",
        "--zip-file",
        &format!("fileb://{}", zip.display()),
        "--environment",
        &format!("Variables={{FIDELITY_MODE={mode}}}"),
    ]);
}

#[test]
fn function_urls_authorise_invoke_and_answer_as_lambda_does() {
    let d = Daemon::start();
    let zip = d.dir.join("fidelity.zip");
    std::fs::write(&zip, fidelity_zip()).unwrap();
    d.aws_ok(&[
        "iam",
        "create-role",
        "--role-name",
        "url-role",
        "--assume-role-policy-document",
        "{}",
    ]);
    for (name, mode) in [
        ("url-public", "proxy"),
        ("url-half", "proxy"),
        ("url-iam", "proxy"),
        ("url-failing", "error"),
    ] {
        create_function(&d, name, mode, &zip);
    }
    let file = d.dir.join("template.json");
    std::fs::write(&file, template().to_string()).unwrap();
    let body = format!("file://{}", file.display());
    d.aws_ok(&[
        "cloudformation",
        "create-stack",
        "--stack-name",
        "url-fidelity",
        "--template-body",
        &body,
    ]);
    let stack = d.aws_ok(&[
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        "url-fidelity",
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
    let mut hosts = HashMap::new();
    for name in ["PublicUrl", "HalfUrl", "IamUrl", "FailingUrl"] {
        // https://{url_id}.lambda-url.{region}.on.aws/ -> its domain and local Host.
        let url = output(name);
        let domain = url
            .strip_prefix("https://")
            .and_then(|u| u.strip_suffix('/'))
            .unwrap_or_else(|| panic!("{name}: {url} is not a function URL"))
            .to_owned();
        let local = local_cloud::contract::urls::lambda_url(&domain, d.port, "")
            .unwrap_or_else(|| panic!("{domain} is not a function URL's domain"));
        hosts.insert(
            name.to_owned(),
            (local.trim_start_matches("http://").to_owned(), domain),
        );
    }
    let cloudfront = |domain: String| {
        local_cloud::contract::urls::cloudfront(&domain, d.port, "")
            .unwrap()
            .trim_start_matches("http://")
            .to_owned()
    };
    let (site, broken) = (
        cloudfront(output("Domain")),
        cloudfront(output("BrokenDomain")),
    );
    let mut cases = Cases::new(Ctx {
        d,
        hosts,
        site,
        broken,
    });

    // https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html ("Request payload format"): version 2.0,
    // the `$default` route and stage, the URL id as apiId and domain prefix, `anonymous` as the account of an
    // unsigned caller.
    cases.blocking(
        "AuthType NONE with a public policy for both actions: the payload 2.0 event",
        |c| {
            let e = c
                .url(
                    "PublicUrl",
                    "GET",
                    "/orders/42?x=1&x=2&y=3",
                    &[("Cookie", "a=1; b=2"), ("X-Dup", "1")],
                )
                .event();
            assert_eq!(e["version"], "2.0");
            assert_eq!(e["routeKey"], "$default");
            assert_eq!(e["rawPath"], "/orders/42");
            assert_eq!(e["rawQueryString"], "x=1&x=2&y=3");
            assert_eq!(e["queryStringParameters"], json!({"x": "1,2", "y": "3"}));
            assert_eq!(e["cookies"], json!(["a=1", "b=2"]));
            assert_eq!(e["headers"]["x-dup"], "1");
            assert_eq!(e["isBase64Encoded"], false);
            let rc = &e["requestContext"];
            let domain = c.domain("PublicUrl");
            let url_id = domain.split('.').next().unwrap();
            assert_eq!(rc["accountId"], "anonymous");
            assert_eq!(rc["apiId"], url_id);
            assert_eq!(rc["domainName"], domain);
            assert_eq!(rc["domainPrefix"], url_id);
            assert_eq!(rc["routeKey"], "$default");
            assert_eq!(rc["stage"], "$default");
            assert_eq!(rc["http"]["method"], "GET");
            assert_eq!(rc["http"]["path"], "/orders/42");
            assert!(rc.get("authorizer").is_none(), "{rc}");
            assert_eq!(e["headers"]["host"], domain);
        },
    );
    // https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html: since October 2025 a function URL needs both
    // lambda:InvokeFunctionUrl and lambda:InvokeFunction.
    cases.blocking(
        "a policy with lambda:InvokeFunctionUrl only: 403 {\"Message\":\"Forbidden\"}",
        |c| {
            let a = c.url("HalfUrl", "GET", "/", &[]);
            assert_eq!(a.status, 403, "{}", a.body);
            assert_eq!(a.json(), json!({"Message": "Forbidden"}));
        },
    );
    cases.blocking("AuthType AWS_IAM: an unsigned request is refused", |c| {
        let a = c.url("IamUrl", "GET", "/hello", &[]);
        assert_eq!(a.status, 403, "{}", a.body);
        assert_eq!(a.json(), json!({"Message": "Forbidden"}));
    });
    // urls-auth.html: a principal of the function's account needs the permissions in its identity policy (or the
    // resource policy); the resource policy here names only CloudFront.
    cases.blocking(
        "AuthType AWS_IAM: a signer without lambda:InvokeFunctionUrl is refused",
        |c| {
            let key = c.user("url-nobody", None);
            let a = c.url(
                "IamUrl",
                "GET",
                "/hello",
                &[("Authorization", &signed_by(&key))],
            );
            assert_eq!(a.status, 403, "{}", a.body);
            assert_eq!(a.json(), json!({"Message": "Forbidden"}));
        },
    );
    cases.blocking(
        "AuthType AWS_IAM: a signer whose policy allows both actions gets requestContext.authorizer.iam",
        |c| {
            let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": ["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"],
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:url-iam"}]});
            let key = c.user("url-reader", Some(policy));
            let e = c
                .url("IamUrl", "GET", "/hello", &[("Authorization", &signed_by(&key))])
                .event();
            let iam = &e["requestContext"]["authorizer"]["iam"];
            assert_eq!(iam["accessKey"], key.as_str());
            assert_eq!(
                iam["userArn"],
                "arn:aws:iam::123456789012:user/url-reader"
            );
            assert_eq!(e["requestContext"]["accountId"], "123456789012");
        },
    );
    // https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html#urls-cors: Lambda answers the preflight
    // and adds the configured headers for an allowed origin, none for another.
    cases.blocking(
        "CORS: the preflight is Lambda's, responses carry the configured headers",
        |c| {
            let pre = c.url(
                "PublicUrl",
                "OPTIONS",
                "/orders",
                &[
                    ("Origin", "https://app.example.com"),
                    ("Access-Control-Request-Method", "POST"),
                ],
            );
            assert_eq!(pre.status, 200, "{}", pre.body);
            assert_eq!(
                pre.header("access-control-allow-origin"),
                "https://app.example.com"
            );
            assert_eq!(pre.header("access-control-allow-methods"), "GET,POST");
            assert_eq!(pre.header("access-control-max-age"), "300");
            let a = c.url(
                "PublicUrl",
                "GET",
                "/orders",
                &[("Origin", "https://app.example.com")],
            );
            assert_eq!(a.status, 200);
            assert_eq!(
                a.header("access-control-allow-origin"),
                "https://app.example.com"
            );
            assert_eq!(a.header("access-control-expose-headers"), "x-request-id");
            let other = c.url(
                "PublicUrl",
                "GET",
                "/orders",
                &[("Origin", "https://evil.example")],
            );
            assert_eq!(other.status, 200);
            assert_eq!(other.header("access-control-allow-origin"), "");
        },
    );
    cases.blocking("a function error: 502 Internal Server Error", |c| {
        let a = c.url("FailingUrl", "GET", "/", &[]);
        assert_eq!(a.status, 502, "{}", a.body);
        assert_eq!(a.body, "Internal Server Error");
    });
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-lambda.html:
    // the OAC signs as CloudFront, and the function's policy allows cloudfront.amazonaws.com for this distribution.
    cases.blocking(
        "through CloudFront with an Origin Access Control of type lambda: the function answers",
        |c| {
            let a = send(c.d.port, "GET", &c.site, "/hello?name=cf", &[]);
            let e = a.event();
            assert_eq!(e["rawPath"], "/hello");
            assert_eq!(e["rawQueryString"], "name=cf");
            assert_eq!(e["headers"]["host"], c.domain("IamUrl"));
            assert_eq!(a.header("x-cache"), "Miss from cloudfront");
        },
    );
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-502-bad-gateway.html
    cases.blocking(
        "a distribution whose function URL origin does not exist: 502, never a hang",
        |c| {
            let a = send(c.d.port, "GET", &c.broken, "/", &[]);
            assert_eq!(a.status, 502, "{}", a.body);
            assert_eq!(a.header("x-cache"), "Error from cloudfront");
        },
    );
    cases.finish();
}
