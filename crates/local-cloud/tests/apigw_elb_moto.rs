//! API Gateway and the load balancers against a real moto, configured only through AWS APIs: a REST API with
//! MOCK, AWS_PROXY and HTTP_PROXY-over-VPC-link integrations, the VPC link's NLB forwarding to an internal ALB
//! whose rules answer, redirect or forward to a Lambda target group. The functions are `fidelity-fn` run by
//! the real Lambda runtime. Also checks that warm requests make no AWS API calls and how much the data plane
//! adds to a request.

mod support;

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use aws_sdk_apigateway::types::{ConnectionType, IntegrationType};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, LoadBalancerSchemeEnum,
    LoadBalancerTypeEnum, PathPatternConditionConfig, ProtocolEnum, RedirectActionConfig,
    RedirectActionStatusCodeEnum, RuleCondition, TargetDescription, TargetGroupAttribute,
    TargetTypeEnum,
};
use aws_sdk_lambda::{
    primitives::Blob,
    types::{Environment, FunctionCode, Runtime},
};
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use local_cloud::{Cloud, SharedCloud, aws::Clients, lambda::LambdaService};
use serde_json::{Value, json};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";
const ROLE: &str = "arn:aws:iam::123456789012:role/fidelity-role";

/// A call to one of moto's query APIs (IAM, EC2: the crate has no SDK for them; moto routes by the credential
/// scope and does not check signatures). Returns the XML answer.
async fn query_api(moto_url: &str, service: &str, body: &str) -> String {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::post(format!("{moto_url}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=test/20240101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"
            ),
        )
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status();
    let text = String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes())
        .into_owned();
    assert!(status.is_success(), "{service} {body}: {status} {text}");
    text
}

fn xml_field(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("<{tag}> missing in {xml}"))
        + open.len();
    let end = start + xml[start..].find('<').unwrap();
    xml[start..end].to_owned()
}

/// A proxy in front of moto that counts the requests it forwards: the data plane's clients go through it.
async fn counting_proxy(moto_url: String) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (client, counter, moto_url) = (client.clone(), counter.clone(), moto_url.clone());
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (client, counter, moto_url) =
                            (client.clone(), counter.clone(), moto_url.clone());
                        async move {
                            counter.fetch_add(1, Ordering::SeqCst);
                            let (mut parts, body) = req.into_parts();
                            let body = body.collect().await?.to_bytes();
                            let pq = parts
                                .uri
                                .path_and_query()
                                .map_or("/", |p| p.as_str())
                                .to_owned();
                            parts.uri = format!("{moto_url}{pq}").parse().unwrap();
                            let resp = client
                                .request(Request::from_parts(parts, Full::new(body)))
                                .await
                                .unwrap();
                            let (parts, body) = resp.into_parts();
                            let body = body.collect().await.unwrap().to_bytes();
                            Ok::<_, hyper::Error>(Response::from_parts(parts, Full::new(body)))
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (format!("http://{addr}"), count)
}

async fn create_function(clients: &Clients, name: &str, mode: &str, zip: &[u8]) -> String {
    clients
        .lambda
        .create_function()
        .function_name(name)
        .runtime(Runtime::Providedal2023)
        .handler("bootstrap")
        .role(ROLE)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(zip.to_vec()))
                .build(),
        )
        .environment(
            Environment::builder()
                .variables("FIDELITY_MODE", mode)
                .build(),
        )
        .timeout(5)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateFunction {name}: {e:?}"))
        .function_arn()
        .unwrap()
        .to_owned()
}

/// What the deployment created.
struct Deployed {
    api_id: String,
    alb_tg: String,
    alb_function: String,
    /// DNS names of the internal ALB and of an internet-facing one (whose default action is a fixed 200).
    alb_dns: String,
    public_dns: String,
}

async fn deploy(moto_url: &str, aws: &Clients, zip: &[u8], cloud: &SharedCloud) -> Deployed {
    query_api(
        moto_url,
        "iam",
        "Action=CreateRole&Version=2010-05-08&RoleName=fidelity-role&AssumeRolePolicyDocument=%7B%7D",
    )
    .await;
    let proxy_function = create_function(aws, "fidelity-proxy", "proxy", zip).await;
    let alb_function = create_function(aws, "fidelity-alb", "alb", zip).await;
    let malformed_function = create_function(aws, "fidelity-malformed", "malformed", zip).await;
    let error_function = create_function(aws, "fidelity-error", "error", zip).await;
    let sleep_function = create_function(aws, "fidelity-sleep", "sleep", zip).await;

    // Network: a VPC with two subnets, an internal NLB and an internal ALB.
    let vpc = xml_field(
        &query_api(
            moto_url,
            "ec2",
            "Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0%2F16",
        )
        .await,
        "vpcId",
    );
    let mut subnets = Vec::new();
    for (cidr, az) in [
        ("10.0.1.0%2F24", "us-east-1a"),
        ("10.0.2.0%2F24", "us-east-1b"),
    ] {
        let body = format!(
            "Action=CreateSubnet&Version=2016-11-15&VpcId={vpc}&CidrBlock={cidr}&AvailabilityZone={az}"
        );
        subnets.push(xml_field(
            &query_api(moto_url, "ec2", &body).await,
            "subnetId",
        ));
    }
    let elb = &aws.elb;
    let mut lbs = Vec::new();
    for (name, kind) in [
        ("nlb", LoadBalancerTypeEnum::Network),
        ("alb", LoadBalancerTypeEnum::Application),
    ] {
        let out = elb
            .create_load_balancer()
            .name(name)
            .r#type(kind)
            .scheme(LoadBalancerSchemeEnum::Internal)
            .set_subnets(Some(subnets.clone()))
            .send()
            .await
            .unwrap();
        let lb = &out.load_balancers()[0];
        lbs.push((
            lb.load_balancer_arn().unwrap().to_owned(),
            lb.dns_name().unwrap().to_owned(),
        ));
    }
    let ((nlb, nlb_dns), (alb, alb_dns)) = (lbs[0].clone(), lbs[1].clone());
    // No `Scheme`, as Terraform sends for `internal = false`: internet-facing, as on AWS.
    let public = elb
        .create_load_balancer()
        .name("public-alb")
        .r#type(LoadBalancerTypeEnum::Application)
        .set_subnets(Some(subnets.clone()))
        .send()
        .await
        .unwrap();
    let public = &public.load_balancers()[0];
    let public_dns = public.dns_name().unwrap().to_owned();
    elb.create_listener()
        .load_balancer_arn(public.load_balancer_arn().unwrap())
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::FixedResponse)
                .fixed_response_config(
                    FixedResponseActionConfig::builder()
                        .status_code("200")
                        .content_type("text/plain")
                        .message_body("hello from the internet")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let alb_tg = elb
        .create_target_group()
        .name("fn-tg")
        .target_type(TargetTypeEnum::Lambda)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned();
    elb.modify_target_group_attributes()
        .target_group_arn(&alb_tg)
        .attributes(
            TargetGroupAttribute::builder()
                .key("lambda.multi_value_headers.enabled")
                .value("false")
                .build(),
        )
        .send()
        .await
        .unwrap();
    aws.lambda
        .add_permission()
        .function_name(&alb_function)
        .statement_id("alb")
        .action("lambda:InvokeFunction")
        .principal("elasticloadbalancing.amazonaws.com")
        .source_arn(&alb_tg)
        .send()
        .await
        .unwrap();
    elb.register_targets()
        .target_group_arn(&alb_tg)
        .targets(TargetDescription::builder().id(&alb_function).build())
        .send()
        .await
        .unwrap();
    let nlb_tg = elb
        .create_target_group()
        .name("alb-tg")
        .target_type(TargetTypeEnum::Alb)
        .protocol(ProtocolEnum::Tcp)
        .port(80)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned();
    elb.register_targets()
        .target_group_arn(&nlb_tg)
        .targets(TargetDescription::builder().id(&alb).port(80).build())
        .send()
        .await
        .unwrap();
    let forward = |tg: &str| {
        Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(tg)
            .build()
    };
    let alb_listener = elb
        .create_listener()
        .load_balancer_arn(&alb)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(forward(&alb_tg))
        .send()
        .await
        .unwrap()
        .listeners()[0]
        .listener_arn()
        .unwrap()
        .to_owned();
    let path_is = |pattern: &str| {
        RuleCondition::builder()
            .field("path-pattern")
            .path_pattern_config(
                PathPatternConditionConfig::builder()
                    .values(pattern)
                    .build(),
            )
            .build()
    };
    elb.create_rule()
        .listener_arn(&alb_listener)
        .priority(10)
        .conditions(path_is("/fixed*"))
        .actions(
            Action::builder()
                .r#type(ActionTypeEnum::FixedResponse)
                .fixed_response_config(
                    FixedResponseActionConfig::builder()
                        .status_code("418")
                        .content_type("text/plain")
                        .message_body("short and stout")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    elb.create_rule()
        .listener_arn(&alb_listener)
        .priority(20)
        .conditions(path_is("/old/*"))
        .actions(
            Action::builder()
                .r#type(ActionTypeEnum::Redirect)
                .redirect_config(
                    RedirectActionConfig::builder()
                        .protocol("HTTPS")
                        .port("443")
                        .host("new.example.com")
                        .path("/v2/#{path}")
                        .status_code(RedirectActionStatusCodeEnum::Http301)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    elb.create_listener()
        .load_balancer_arn(&nlb)
        .protocol(ProtocolEnum::Tcp)
        .port(80)
        .default_actions(forward(&nlb_tg))
        .send()
        .await
        .unwrap();

    // The REST API.
    let gw = &aws.apigateway;
    let api_id = gw
        .create_rest_api()
        .name("chain")
        .send()
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let root = gw
        .get_resources()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap()
        .items()[0]
        .id()
        .unwrap()
        .to_owned();
    let resource = |part: &'static str| {
        let (gw, api_id, root) = (gw.clone(), api_id.clone(), root.clone());
        async move {
            gw.create_resource()
                .rest_api_id(&api_id)
                .parent_id(&root)
                .path_part(part)
                .send()
                .await
                .unwrap()
                .id()
                .unwrap()
                .to_owned()
        }
    };
    let mock = resource("mock").await;
    gw.put_method()
        .rest_api_id(&api_id)
        .resource_id(&mock)
        .http_method("GET")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    gw.put_integration()
        .rest_api_id(&api_id)
        .resource_id(&mock)
        .http_method("GET")
        .r#type(IntegrationType::Mock)
        .request_templates("application/json", r#"{"statusCode": 200}"#)
        .send()
        .await
        .unwrap();
    gw.put_method_response()
        .rest_api_id(&api_id)
        .resource_id(&mock)
        .http_method("GET")
        .status_code("200")
        .response_parameters("method.response.header.X-Mock", false)
        .send()
        .await
        .unwrap();
    gw.put_integration_response()
        .rest_api_id(&api_id)
        .resource_id(&mock)
        .http_method("GET")
        .status_code("200")
        .response_templates(
            "application/json",
            r#"{"mocked": true, "stage": "$context.stage"}"#,
        )
        .response_parameters("method.response.header.X-Mock", "'yes'")
        .send()
        .await
        .unwrap();

    let lambda_path = |function: &str| {
        format!(
            "arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function}/invocations"
        )
    };
    for (part, function, timeout_ms) in [
        ("lambda", &proxy_function, 29_000),
        ("noperm", &alb_function, 29_000),
        ("malformed", &malformed_function, 29_000),
        ("fails", &error_function, 29_000),
        ("slow", &sleep_function, 300),
    ] {
        let id = resource(part).await;
        gw.put_method()
            .rest_api_id(&api_id)
            .resource_id(&id)
            .http_method("GET")
            .authorization_type("NONE")
            .send()
            .await
            .unwrap();
        gw.put_integration()
            .rest_api_id(&api_id)
            .resource_id(&id)
            .http_method("GET")
            .r#type(IntegrationType::AwsProxy)
            .integration_http_method("POST")
            .uri(lambda_path(function))
            .timeout_in_millis(timeout_ms)
            .send()
            .await
            .unwrap();
    }
    let permissions = [
        (&proxy_function, "/*/GET/lambda"),
        (&malformed_function, "/*/*/*"),
        (&error_function, "/dev/GET/fails"),
        (&sleep_function, "/*/GET/sl?w"),
    ];
    for (function, pattern) in permissions {
        aws.lambda
            .add_permission()
            .function_name(function)
            .statement_id("apigw")
            .action("lambda:InvokeFunction")
            .principal("apigateway.amazonaws.com")
            .source_arn(format!(
                "arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}{pattern}"
            ))
            .send()
            .await
            .unwrap();
    }

    let link = gw
        .create_vpc_link()
        .name("link")
        .target_arns(&nlb)
        .send()
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let proxy = resource("{proxy+}").await;
    gw.put_method()
        .rest_api_id(&api_id)
        .resource_id(&proxy)
        .http_method("ANY")
        .authorization_type("NONE")
        .request_parameters("method.request.path.proxy", true)
        .send()
        .await
        .unwrap();
    gw.put_integration()
        .rest_api_id(&api_id)
        .resource_id(&proxy)
        .http_method("ANY")
        .r#type(IntegrationType::HttpProxy)
        .integration_http_method("ANY")
        .uri(format!("http://{nlb_dns}/{{proxy}}"))
        .connection_type(ConnectionType::VpcLink)
        .connection_id("${stageVariables.vpcLinkId}")
        .request_parameters(
            "integration.request.path.proxy",
            "method.request.path.proxy",
        )
        .timeout_in_millis(10_000)
        .send()
        .await
        .unwrap();
    gw.create_deployment()
        .rest_api_id(&api_id)
        .stage_name("dev")
        .variables("vpcLinkId", &link)
        .send()
        .await
        .unwrap();
    // The test wrote to moto directly, not through the edge, which would have bumped the generation.
    support::state_changed(cloud);
    Deployed {
        api_id,
        alb_tg,
        alb_function,
        alb_dns,
        public_dns,
    }
}

async fn call(cloud: &SharedCloud, method: &str, host: &str, path: &str) -> Response<Bytes> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", host)
        .header("user-agent", "apigw-elb-test")
        .body(Bytes::new())
        .unwrap();
    req.extensions_mut()
        .insert("10.9.8.7:50000".parse::<SocketAddr>().unwrap());
    match local_cloud::apigw::handle(cloud, req).await {
        Ok(resp) => resp,
        Err(req) => panic!(
            "{} {} was not taken as execute-api traffic",
            req.method(),
            req.uri()
        ),
    }
}

async fn from_host(cloud: &SharedCloud, path: &str) -> Response<Bytes> {
    let req = Request::get(path)
        .header("host", "127.0.0.1:4566")
        .body(Bytes::new())
        .unwrap();
    local_cloud::elb::public::handle(cloud, req).await
}

fn json_body(resp: &Response<Bytes>) -> Value {
    serde_json::from_slice(resp.body())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(resp.body())))
}

fn p50(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_api_vpc_link_nlb_alb_lambda_chain() {
    let zip = support::fidelity_zip();
    let (moto, config) = support::start_moto("lc-apigw-state").await;
    let state_dir = config.state_dir.clone();
    let direct = Clients::new(&moto.url(), REGION).await;
    let (proxy_url, aws_calls) = counting_proxy(moto.url()).await;
    let cloud: SharedCloud = Arc::new(Cloud::new(
        config.clone(),
        Clients::new(&proxy_url, REGION).await,
        LambdaService::new(&config, direct.clone()),
    ));
    let d = deploy(&moto.url(), &direct, &zip, &cloud).await;
    let host = format!("{}.execute-api.localhost:4566", d.api_id);

    // Not execute-api traffic: handed back.
    let other = Request::get("/2015-03-31/functions")
        .header("host", "127.0.0.1:4566")
        .body(Bytes::new())
        .unwrap();
    assert!(local_cloud::apigw::handle(&cloud, other).await.is_err());

    // Unknown API, unknown stage, unknown route.
    let r = call(
        &cloud,
        "GET",
        "nope123.execute-api.localhost:4566",
        "/dev/mock",
    )
    .await;
    assert_eq!(
        (r.status().as_u16(), json_body(&r)["message"].as_str()),
        (403, Some("Forbidden"))
    );
    let r = call(&cloud, "GET", &host, "/prod/mock").await;
    assert_eq!(
        (r.status().as_u16(), json_body(&r)["message"].as_str()),
        (403, Some("Forbidden"))
    );
    let r = call(&cloud, "POST", &host, "/dev/mock").await;
    assert_eq!(r.status(), 403);
    assert_eq!(json_body(&r)["message"], "Missing Authentication Token");
    assert_eq!(
        r.headers()["x-amzn-errortype"],
        "MissingAuthenticationTokenException"
    );
    let r = call(&cloud, "GET", &host, "/dev/").await;
    assert_eq!(
        json_body(&r)["message"],
        "Missing Authentication Token",
        "the root resource has no method"
    );

    // MOCK, in both URL forms.
    let r = call(&cloud, "GET", &host, "/dev/mock").await;
    assert_eq!(r.status(), 200);
    assert_eq!(json_body(&r), json!({"mocked": true, "stage": "dev"}));
    assert_eq!(r.headers()["x-mock"], "yes");
    assert!(
        r.headers().contains_key("x-amzn-requestid") && r.headers().contains_key("x-amz-apigw-id")
    );
    let path_form = format!("/restapis/{}/dev/_user_request_/mock", d.api_id);
    let r = call(&cloud, "GET", "127.0.0.1:4566", &path_form).await;
    assert_eq!(
        (r.status().as_u16(), json_body(&r)["mocked"].as_bool()),
        (200, Some(true))
    );

    // AWS_PROXY with permission: the function echoes the v1 event as its body.
    let r = call(&cloud, "GET", &host, "/dev/lambda?a=1&a=2").await;
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    let event = json_body(&r);
    assert_eq!(event["resource"], "/lambda");
    assert_eq!(event["queryStringParameters"], json!({"a": "2"}));
    assert_eq!(event["requestContext"]["apiId"], d.api_id.as_str());
    assert_eq!(event["requestContext"]["identity"]["sourceIp"], "10.9.8.7");
    // AWS_PROXY without a statement for apigateway.amazonaws.com: 500.
    let r = call(&cloud, "GET", &host, "/dev/noperm").await;
    assert_eq!(
        (r.status().as_u16(), json_body(&r)["message"].as_str()),
        (500, Some("Internal server error"))
    );
    // A malformed proxy response and a function error: 502; past timeoutInMillis: 504.
    for path in ["/dev/malformed", "/dev/fails"] {
        let r = call(&cloud, "GET", &host, path).await;
        assert_eq!(
            (r.status().as_u16(), json_body(&r)["message"].as_str()),
            (502, Some("Internal server error")),
            "{path}"
        );
    }
    let t = Instant::now();
    let r = call(&cloud, "GET", &host, "/dev/slow").await;
    assert_eq!(
        (r.status().as_u16(), json_body(&r)["message"].as_str()),
        (504, Some("Endpoint request timed out"))
    );
    assert!(
        t.elapsed() < Duration::from_millis(900),
        "timed out after {:?}",
        t.elapsed()
    );

    // HTTP_PROXY over the VPC link: NLB -> ALB -> rules.
    let r = call(&cloud, "GET", &host, "/dev/fixed-price").await;
    assert_eq!(
        (r.status().as_u16(), r.body().as_ref()),
        (418, b"short and stout".as_ref())
    );
    let r = call(&cloud, "GET", &host, "/dev/old/page?x=1").await;
    assert_eq!(r.status(), 301);
    assert_eq!(
        r.headers()["location"],
        "https://new.example.com:443/v2/old/page?x=1"
    );
    // ... -> Lambda target group: the function echoes the ALB event.
    let r = call(&cloud, "POST", &host, "/dev/hello/world?q=v").await;
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    let alb_event = json_body(&r);
    assert_eq!(alb_event["path"], "/hello/world");
    assert_eq!(alb_event["httpMethod"], "POST");
    assert_eq!(alb_event["queryStringParameters"], json!({"q": "v"}));
    assert_eq!(
        alb_event["requestContext"]["elb"]["targetGroupArn"],
        d.alb_tg.as_str()
    );
    assert_eq!(alb_event["headers"]["x-forwarded-proto"], "http");
    assert!(alb_event.get("multiValueHeaders").is_none());

    // Warm requests read no AWS state; measure what the data plane adds.
    let before = aws_calls.load(Ordering::SeqCst);
    let mut fixed = Vec::new();
    let mut chain = Vec::new();
    let mut direct_invoke = Vec::new();
    for _ in 0..40 {
        let t = Instant::now();
        let r = call(&cloud, "GET", &host, "/dev/fixed").await;
        fixed.push(t.elapsed());
        assert_eq!(r.status(), 418);
        let t = Instant::now();
        let r = call(&cloud, "GET", &host, "/dev/hello").await;
        chain.push(t.elapsed());
        assert_eq!(r.status(), 200);
        let t = Instant::now();
        cloud
            .lambda
            .invoke(&d.alb_function, Bytes::from_static(b"{}"))
            .await
            .unwrap();
        direct_invoke.push(t.elapsed());
    }
    assert_eq!(
        aws_calls.load(Ordering::SeqCst),
        before,
        "warm requests made AWS API calls"
    );
    let (fixed, chain, direct_invoke) = (p50(fixed), p50(chain), p50(direct_invoke));
    eprintln!(
        "TIMING p50: API Gateway -> VPC link -> NLB -> ALB fixed-response {:.3} ms; \
         ... -> Lambda {:.3} ms; the Lambda invoke alone {:.3} ms",
        fixed.as_secs_f64() * 1e3,
        chain.as_secs_f64() * 1e3,
        direct_invoke.as_secs_f64() * 1e3
    );

    // From the host (the edge's /_elb/ route): an internet-facing ALB serves its listener; an internal one is
    // refused, and so is a port without a listener.
    let r = from_host(&cloud, &format!("/_elb/{}:8080/any/path?q=1", d.public_dns)).await;
    assert_eq!(
        (r.status().as_u16(), r.body().as_ref()),
        (200, b"hello from the internet".as_ref())
    );
    let r = from_host(&cloud, &format!("/_elb/{}:80/fixed", d.public_dns)).await;
    assert_eq!(r.status(), 502, "no listener on 80");
    let r = from_host(&cloud, &format!("/_elb/{}/fixed", d.alb_dns)).await;
    assert_eq!(r.status(), 403);
    assert!(
        json_body(&r)["message"]
            .as_str()
            .unwrap()
            .contains("internal")
    );
    let r = from_host(&cloud, "/_elb/nope.elb.amazonaws.com/").await;
    assert_eq!(r.status(), 404);

    // A control-plane change is seen on the next request: without the ELB permission the ALB answers 502.
    direct
        .lambda
        .remove_permission()
        .function_name(&d.alb_function)
        .statement_id("alb")
        .send()
        .await
        .unwrap();
    support::state_changed(&cloud);
    let r = call(&cloud, "GET", &host, "/dev/hello").await;
    assert_eq!(r.status(), 502);
    assert_eq!(r.headers()["content-type"], "text/html");
    assert!(String::from_utf8_lossy(r.body()).contains("502 Bad Gateway"));
    assert!(
        aws_calls.load(Ordering::SeqCst) > before,
        "the new generation was read from moto"
    );

    cloud.lambda.shutdown().await;
    moto.stop(Duration::from_secs(5)).await;
    let _ = std::fs::remove_dir_all(&state_dir);
}
