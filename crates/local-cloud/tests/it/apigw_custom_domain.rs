//! API Gateway custom domain names of REST APIs against a real moto, configured only through AWS APIs: two REST
//! APIs (a `{proxy+}` AWS_PROXY route each, `fidelity-fn` echoing the event) published under one domain name by
//! base path mappings, and what API Gateway answers through it.
//!
//! AWS's documentation (<https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mappings.html>):
//! API Gateway strips the mapped base path and invokes the rest of the path in the mapping's stage; the `(none)`
//! mapping takes the requests no other base path matches; with mappings of several levels the longest matching
//! one wins. The Lambda proxy event's `path` and `requestContext.path` keep the base path (and have no stage):
//! users report it (github.com/aws/serverless-java-container/issues/34,
//! github.com/CodeGenieApp/serverless-express/issues/216) and LocalStack matched AWS's answers
//! (github.com/localstack/localstack/pull/12296). A path no mapping takes is API Gateway's 403
//! `{"message":"Forbidden"}`, as for an unknown stage.

use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, IntegrationType};
use bytes::Bytes;
use http::{Request, Response};
use local_cloud::contract::urls;

use crate::support::{
    ACCOUNT, Cases, REGION,
    cloud::{LocalCloud, json_body, state_changed},
    functions::{create_function, create_role, fidelity_zip},
};

const DOMAIN: &str = "api.example.com";

struct Deployed {
    cloud: local_cloud::SharedCloud,
    aws: local_cloud::aws::Clients,
    orders_api: String,
    root_api: String,
}

/// A request to the local form of the custom domain `domain`; panics when API Gateway does not take it.
async fn through(cloud: &local_cloud::SharedCloud, domain: &str, path: &str) -> Response<Bytes> {
    let host = urls::custom_domain(domain, 4566, "");
    let req = Request::get(path)
        .header("host", host.trim_start_matches("http://"))
        .body(Bytes::new())
        .unwrap();
    match local_cloud::apigw::handle(cloud, req).await {
        Ok(resp) => resp,
        Err(req) => panic!("{} was not taken as API Gateway traffic", req.uri()),
    }
}

/// A REST API whose `ANY /{proxy+}` and `ANY /` invoke `function`, deployed to `stage`.
async fn proxy_api(
    aws: &local_cloud::aws::Clients,
    name: &str,
    function: &str,
    stage: &str,
) -> String {
    let gw = &aws.apigateway;
    let api = gw
        .create_rest_api()
        .name(name)
        .send()
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let root = gw
        .get_resources()
        .rest_api_id(&api)
        .send()
        .await
        .unwrap()
        .items()[0]
        .id()
        .unwrap()
        .to_owned();
    let proxy = gw
        .create_resource()
        .rest_api_id(&api)
        .parent_id(&root)
        .path_part("{proxy+}")
        .send()
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    for resource in [&root, &proxy] {
        gw.put_method()
            .rest_api_id(&api)
            .resource_id(resource)
            .http_method("ANY")
            .authorization_type("NONE")
            .send()
            .await
            .unwrap();
        gw.put_integration()
            .rest_api_id(&api)
            .resource_id(resource)
            .http_method("ANY")
            .r#type(IntegrationType::AwsProxy)
            .integration_http_method("POST")
            .uri(format!(
                "arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function}/invocations"
            ))
            .send()
            .await
            .unwrap();
    }
    gw.create_deployment()
        .rest_api_id(&api)
        .stage_name(stage)
        .send()
        .await
        .unwrap();
    aws.lambda
        .add_permission()
        .function_name(function)
        .statement_id(format!("apigw-{api}"))
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn(format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:{api}/*"))
        .send()
        .await
        .unwrap();
    api
}

async fn domain_name(aws: &local_cloud::aws::Clients, name: &str) {
    aws.apigateway
        .create_domain_name()
        .domain_name(name)
        .regional_certificate_arn(format!(
            "arn:aws:acm:{REGION}:{ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000"
        ))
        .endpoint_configuration(
            EndpointConfiguration::builder()
                .types(EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

async fn mapping(
    aws: &local_cloud::aws::Clients,
    domain: &str,
    base_path: Option<&str>,
    api: &str,
    stage: &str,
) {
    aws.apigateway
        .create_base_path_mapping()
        .domain_name(domain)
        .set_base_path(base_path.map(str::to_owned))
        .rest_api_id(api)
        .stage(stage)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_domain_names_route_by_base_path() {
    let local = LocalCloud::start("lc-apigw-domain").await;
    create_role(&local.url).await;
    let function = create_function(&local.aws, "fidelity-domain", "proxy", &fidelity_zip()).await;
    let orders_api = proxy_api(&local.aws, "orders", &function, "prod").await;
    let root_api = proxy_api(&local.aws, "root", &function, "live").await;
    domain_name(&local.aws, DOMAIN).await;
    mapping(&local.aws, DOMAIN, Some("orders"), &orders_api, "prod").await;
    mapping(&local.aws, DOMAIN, None, &root_api, "live").await;
    domain_name(&local.aws, "strict.example.com").await;
    mapping(
        &local.aws,
        "strict.example.com",
        Some("orders"),
        &orders_api,
        "prod",
    )
    .await;
    state_changed(&local.cloud);
    let mut cases = Cases::new(Deployed {
        cloud: local.cloud.clone(),
        aws: local.aws.clone(),
        orders_api,
        root_api,
    });

    cases
        .case(
            "a base path reaches its API and stage, stripped from the route but kept in the event's paths",
            |c| async move {
                let r = through(&c.cloud, DOMAIN, "/orders/42/items?x=1").await;
                assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
                let event = json_body(&r);
                let rc = &event["requestContext"];
                assert_eq!(rc["apiId"], c.orders_api.as_str());
                assert_eq!(rc["stage"], "prod");
                assert_eq!(event["resource"], "/{proxy+}");
                assert_eq!(event["pathParameters"]["proxy"], "42/items");
                assert_eq!(event["path"], "/orders/42/items");
                assert_eq!(rc["path"], "/orders/42/items");
                assert_eq!(rc["domainName"], DOMAIN);
                assert_eq!(rc["domainPrefix"], "api");
                assert_eq!(event["queryStringParameters"]["x"], "1");
                let r = through(&c.cloud, DOMAIN, "/orders").await;
                let event = json_body(&r);
                assert_eq!(event["resource"], "/", "the base path alone is the API's root");
                assert_eq!(event["path"], "/orders");
            },
        )
        .await;
    cases
        .case(
            "(none) takes every path no base path matches",
            |c| async move {
                for (path, proxy) in [("/users/7", "users/7"), ("/ordersx/1", "ordersx/1")] {
                    let r = through(&c.cloud, DOMAIN, path).await;
                    assert_eq!(r.status(), 200, "{path}");
                    let event = json_body(&r);
                    assert_eq!(
                        event["requestContext"]["apiId"],
                        c.root_api.as_str(),
                        "{path}"
                    );
                    assert_eq!(event["requestContext"]["stage"], "live");
                    assert_eq!(event["pathParameters"]["proxy"], proxy);
                    assert_eq!(event["path"], path);
                }
                let r = through(&c.cloud, DOMAIN, "/").await;
                assert_eq!(json_body(&r)["resource"], "/");
            },
        )
        .await;
    cases
        .case(
            "a path no mapping takes, or a domain name that does not exist: 403 Forbidden",
            |c| async move {
                for (domain, path) in [
                    ("strict.example.com", "/users/7"),
                    ("strict.example.com", "/"),
                    ("nope.example.com", "/orders/1"),
                ] {
                    let r = through(&c.cloud, domain, path).await;
                    assert_eq!(
                        (r.status().as_u16(), json_body(&r)["message"].as_str()),
                        (403, Some("Forbidden")),
                        "{domain}{path}"
                    );
                }
                let r = through(&c.cloud, "strict.example.com", "/orders/1").await;
                assert_eq!(r.status(), 200);
            },
        )
        .await;
    cases
        .case("a deleted mapping stops routing at once", |c| async move {
            c.aws
                .apigateway
                .delete_base_path_mapping()
                .domain_name("strict.example.com")
                .base_path("orders")
                .send()
                .await
                .unwrap();
            state_changed(&c.cloud);
            let r = through(&c.cloud, "strict.example.com", "/orders/1").await;
            assert_eq!(r.status(), 403);
        })
        .await;

    local.stop(cases.all_passed()).await;
    cases.finish();
}
