//! The REST API -> VPC link -> NLB -> internal ALB -> Lambda chain, configured only through AWS APIs on a real
//! moto with `fidelity-fn` as every function: deployed once by a scenario, whose cases then run through it.
//!
//! The REST API (stage `dev`) has `/mock` (MOCK), `/lambda`, `/noperm`, `/malformed`, `/fails` and `/slow`
//! (AWS_PROXY; `/noperm`'s function may be invoked by the ALB only, `/slow`'s integration times out after
//! 300 ms) and `/{proxy+}` (HTTP_PROXY over the VPC link named by a stage variable). The NLB forwards to the
//! ALB, whose rules answer `/fixed*` with a 418, redirect `/old/*` and forward the rest to a Lambda target
//! group (single-value headers).

use std::sync::{Arc, atomic::AtomicUsize};

use aws_sdk_apigateway::types::{ConnectionType, IntegrationType};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, ProtocolEnum,
    RedirectActionConfig, RedirectActionStatusCodeEnum, TargetDescription, TargetGroupAttribute,
    TargetTypeEnum,
};
use local_cloud::{SharedCloud, aws::Clients};

use super::{
    ACCOUNT, REGION,
    cloud::{LocalCloud, state_changed},
    functions::{create_function, create_role, fidelity_zip},
    network::{
        fixed_response, forward, listener, load_balancer, path_is, rule, vpc_with_two_subnets,
    },
};

/// What a scenario's cases share: the data plane and what the deployment created.
pub struct Chain {
    pub cloud: SharedCloud,
    /// Clients straight to moto (not counted).
    pub aws: Clients,
    /// The AWS API calls the data plane made.
    pub aws_calls: Arc<AtomicUsize>,
    pub api_id: String,
    /// The API's execute-api host.
    pub host: String,
    /// The ALB's Lambda target group and its function.
    pub alb_tg: String,
    pub alb_function: String,
}

/// Starts moto (state directory named after `prefix`) and a data plane whose AWS API calls are counted, and
/// deploys the chain. The `LocalCloud` is the one to stop at the end.
pub async fn deploy(prefix: &str) -> (LocalCloud, Chain) {
    let zip = fidelity_zip();
    let (local, aws_calls) = LocalCloud::start_counted(prefix).await;
    let (url, aws) = (local.url.as_str(), &local.aws);
    create_role(url).await;
    let proxy_function = create_function(aws, "fidelity-proxy", "proxy", &zip).await;
    let alb_function = create_function(aws, "fidelity-alb", "alb", &zip).await;
    let malformed_function = create_function(aws, "fidelity-malformed", "malformed", &zip).await;
    let error_function = create_function(aws, "fidelity-error", "error", &zip).await;
    let sleep_function = create_function(aws, "fidelity-sleep", "sleep", &zip).await;

    // Network: a VPC with two subnets, an internal NLB and an internal ALB.
    let (vpc, subnets) = vpc_with_two_subnets(url).await;
    let elb = &aws.elb;
    let internal = Some(LoadBalancerSchemeEnum::Internal);
    let nlb = load_balancer(
        elb,
        "nlb",
        LoadBalancerTypeEnum::Network,
        internal.clone(),
        &subnets,
    )
    .await;
    let alb = load_balancer(
        elb,
        "alb",
        LoadBalancerTypeEnum::Application,
        internal,
        &subnets,
    )
    .await;
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
        .targets(TargetDescription::builder().id(&alb.arn).port(80).build())
        .send()
        .await
        .unwrap();
    let alb_listener = listener(elb, &alb.arn, ProtocolEnum::Http, 80, forward(&alb_tg)).await;
    let teapot = fixed_response("418", "short and stout");
    rule(elb, &alb_listener, 10, path_is("/fixed*"), teapot).await;
    let redirect = Action::builder()
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
        .build();
    rule(elb, &alb_listener, 20, path_is("/old/*"), redirect).await;
    listener(elb, &nlb.arn, ProtocolEnum::Tcp, 80, forward(&nlb_tg)).await;

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
    let method = |resource: &str, http_method: &str| {
        gw.put_method()
            .rest_api_id(&api_id)
            .resource_id(resource)
            .http_method(http_method)
            .authorization_type("NONE")
    };
    let mock = resource("mock").await;
    method(&mock, "GET").send().await.unwrap();
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
        method(&id, "GET").send().await.unwrap();
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
        .target_arns(&nlb.arn)
        .send()
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let proxy = resource("{proxy+}").await;
    method(&proxy, "ANY")
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
        .uri(format!("http://{}/{{proxy}}", nlb.dns))
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
    state_changed(&local.cloud);
    let chain = Chain {
        cloud: local.cloud.clone(),
        aws: local.aws.clone(),
        aws_calls,
        host: format!("{api_id}.execute-api.localhost:4566"),
        api_id,
        alb_tg,
        alb_function,
    };
    (local, chain)
}
