//! Reads a deployed REST API (resources with their methods and integrations, stages, gateway responses,
//! request validators and models) and
//! VPC links (v1 and v2) from moto's API Gateway API into the plain [`model`](super::model), once per
//! generation of deployed state.
//! Over 400 lines: its unit tests sit beside the loader they check.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::Duration,
};

use anyhow::Context as _;
use aws_sdk_apigateway as apigw;
use serde_json::Value;

use super::model::{
    Authorizer, ConnectionType, DEFAULT_TIMEOUT, GatewayResponse, Integration, IntegrationResponse,
    IntegrationType, Method, RequestValidator, Resource, RestApi, Stage, VpcLink, VpcLinkV2,
};
use crate::{
    SharedCloud,
    shared::cache::{GenCache, Generation},
};

/// API Gateway's view of deployed state, held on the [`Cloud`](crate::Cloud): REST APIs and VPC links as
/// last read, valid for one generation (bumped by API Gateway and CloudFormation writes).
#[derive(Default)]
pub struct Snapshots {
    pub generation: Generation,
    apis: GenCache<String, Option<Arc<RestApi>>>,
    links: GenCache<String, Option<Arc<VpcLink>>>,
    links_v2: GenCache<String, Option<Arc<VpcLinkV2>>>,
    /// Custom domain names with their base path mappings ([`super::domain`]).
    pub(super) domains: GenCache<String, Option<Arc<super::domain::CustomDomain>>>,
    /// Lambda authorizers' results, cached per identity for their TTL.
    pub authorizer_results: super::authorizer::Cache,
    /// Cognito user pools' JWKS, for `COGNITO_USER_POOLS` authorizers.
    pub(crate) jwks: crate::shared::jwt::JwksCache,
    /// The account's API keys and usage plans (one entry, key "").
    pub(crate) usage_plans: GenCache<String, Arc<super::usage::Plans>>,
    /// Usage plans' token buckets and quota counters per key: they outlive generations (issuing a key is a write).
    pub usage_meters: super::usage::Meters,
}

/// The REST API `api_id` as deployed (`None` if there is none); reloaded only when deployed state changed.
pub async fn api(cloud: &SharedCloud, api_id: &str) -> anyhow::Result<Option<Arc<RestApi>>> {
    let cache = &cloud.apigw;
    let generation = cache.generation.get();
    if let Some(hit) = cache.apis.get(generation, &api_id.to_owned()) {
        return Ok(hit);
    }
    let started = std::time::Instant::now();
    let api = load_api(cloud, api_id)
        .await
        .with_context(|| format!("reading REST API {api_id} from moto"))?;
    tracing::debug!(
        api_id,
        generation,
        found = api.is_some(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "loaded REST API snapshot"
    );
    let api = api.map(Arc::new);
    cache
        .apis
        .insert(generation, api_id.to_owned(), api.clone());
    Ok(api)
}

/// The VPC link (v1) `id` (`None` if there is none), cached like [`api`].
pub async fn vpc_link(cloud: &SharedCloud, id: &str) -> anyhow::Result<Option<Arc<VpcLink>>> {
    let cache = &cloud.apigw;
    let generation = cache.generation.get();
    if let Some(hit) = cache.links.get(generation, &id.to_owned()) {
        return Ok(hit);
    }
    let link = match cloud
        .aws
        .apigateway
        .get_vpc_link()
        .vpc_link_id(id)
        .send()
        .await
    {
        Ok(out) => Some(Arc::new(VpcLink {
            id: out.id().unwrap_or(id).to_owned(),
            target_arns: out.target_arns().to_vec(),
        })),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_not_found_exception()) =>
        {
            None
        }
        Err(err) => {
            return Err(anyhow::Error::new(err).context(format!("apigateway GetVpcLink {id}")));
        }
    };
    cache.links.insert(generation, id.to_owned(), link.clone());
    Ok(link)
}

/// The VPC link v2 `id` (`None` if there is none), cached like [`api`]. Read with moto's `apigatewayv2`
/// REST API (`GET /v2/vpclinks/{id}`), for which the crate has no SDK.
pub async fn vpc_link_v2(cloud: &SharedCloud, id: &str) -> anyhow::Result<Option<Arc<VpcLinkV2>>> {
    let cache = &cloud.apigw;
    let generation = cache.generation.get();
    if let Some(hit) = cache.links_v2.get(generation, &id.to_owned()) {
        return Ok(hit);
    }
    let link = get_vpc_link_v2(&cloud.config.moto_url(), &cloud.config.region, id)
        .await
        .with_context(|| format!("apigatewayv2 GetVpcLink {id}"))?
        .map(Arc::new);
    cache
        .links_v2
        .insert(generation, id.to_owned(), link.clone());
    Ok(link)
}

async fn get_vpc_link_v2(
    moto_url: &str,
    region: &str,
    id: &str,
) -> anyhow::Result<Option<VpcLinkV2>> {
    use http_body_util::{BodyExt, Empty};
    use hyper_util::{client::legacy::Client, rt::TokioExecutor};

    // VPC link ids are alphanumeric: anything else cannot name a link (and must not reach the URL unescaped).
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
    // moto routes by the SigV4 credential scope; API Gateway v2 signs as `apigateway`.
    let request = http::Request::get(format!("{moto_url}/v2/vpclinks/{id}"))
        .header(
            http::header::AUTHORIZATION,
            format!(
                "AWS4-HMAC-SHA256 Credential=local-cloud/20260101/{region}/apigateway/aws4_request, \
                 SignedHeaders=host, Signature=0"
            ),
        )
        .body(Empty::new())?;
    let response = tokio::time::timeout(Duration::from_secs(10), client.request(request))
        .await
        .context("moto did not answer within 10 s")??;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if status == http::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !status.is_success() {
        anyhow::bail!("moto answered {status}: {}", String::from_utf8_lossy(&body));
    }
    Ok(Some(vpc_link_v2_from_json(&json, id)))
}

/// The model of a `GetVpcLink` (v2) answer.
fn vpc_link_v2_from_json(json: &Value, id: &str) -> VpcLinkV2 {
    let strings = |key: &str| -> Vec<String> {
        json[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    VpcLinkV2 {
        id: json["vpcLinkId"].as_str().unwrap_or(id).to_owned(),
        status: json["vpcLinkStatus"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        subnet_ids: strings("subnetIds"),
        security_group_ids: strings("securityGroupIds"),
    }
}

async fn load_api(cloud: &SharedCloud, api_id: &str) -> anyhow::Result<Option<RestApi>> {
    let client = &cloud.aws.apigateway;
    let rest_api = match client.get_rest_api().rest_api_id(api_id).send().await {
        Ok(out) => out,
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_not_found_exception()) =>
        {
            return Ok(None);
        }
        Err(err) => return Err(anyhow::Error::new(err).context("GetRestApi")),
    };
    let mut resources = Vec::new();
    let mut position: Option<String> = None;
    let mut previous: Option<String> = None;
    loop {
        let out = client
            .get_resources()
            .rest_api_id(api_id)
            .embed("methods")
            .limit(500)
            .set_position(position.take())
            .send()
            .await
            .context("GetResources")?;
        for r in out.items() {
            resources.push(resource(r));
        }
        // Stop at the last page (and never ask for the same page twice).
        match out.position() {
            Some(p)
                if !p.is_empty() && !out.items().is_empty() && Some(p) != previous.as_deref() =>
            {
                previous = Some(p.to_owned());
                position = Some(p.to_owned());
            }
            _ => break,
        }
    }
    let stages = client
        .get_stages()
        .rest_api_id(api_id)
        .send()
        .await
        .context("GetStages")?;
    let stages = stages
        .item()
        .iter()
        .filter_map(|s| {
            let name = s.stage_name()?.to_owned();
            let variables = s
                .variables()
                .map(|v| v.clone().into_iter().collect())
                .unwrap_or_default();
            let deployment_id = s.deployment_id().unwrap_or_default().to_owned();
            Some((
                name.clone(),
                Stage {
                    name,
                    variables,
                    deployment_id,
                },
            ))
        })
        .collect();
    let gateway_responses = client
        .get_gateway_responses()
        .rest_api_id(api_id)
        .limit(500)
        .send()
        .await
        .context("GetGatewayResponses")?
        .items()
        .iter()
        .filter_map(|r| {
            let kind = r.response_type()?.as_str().to_owned();
            Some((
                kind,
                GatewayResponse {
                    status_code: r.status_code().and_then(|s| s.parse().ok()),
                    response_parameters: map(r.response_parameters()),
                    response_templates: map(r.response_templates()),
                },
            ))
        })
        .collect();
    let authorizers = client
        .get_authorizers()
        .rest_api_id(api_id)
        .limit(500)
        .send()
        .await
        .context("GetAuthorizers")?
        .items()
        .iter()
        .map(authorizer)
        .map(|a| (a.id.clone(), a))
        .collect();
    let validators = client
        .get_request_validators()
        .rest_api_id(api_id)
        .limit(500)
        .send()
        .await
        .context("GetRequestValidators")?
        .items()
        .iter()
        .filter_map(|v| {
            let validator = RequestValidator {
                body: v.validate_request_body(),
                parameters: v.validate_request_parameters(),
            };
            Some((v.id()?.to_owned(), validator))
        })
        .collect();
    let models = client
        .get_models()
        .rest_api_id(api_id)
        .limit(500)
        .send()
        .await
        .context("GetModels")?
        .items()
        .iter()
        .filter_map(|m| Some((m.name()?.to_owned(), m.schema()?.to_owned())))
        .collect();
    let policy = match rest_api.policy() {
        Some(text) if !text.trim().is_empty() => Some(
            super::policy::ResourcePolicy::parse(text)
                .with_context(|| format!("REST API {api_id}'s policy"))?,
        ),
        _ => None,
    };
    Ok(Some(RestApi {
        id: api_id.to_owned(),
        policy,
        name: rest_api.name().unwrap_or_default().to_owned(),
        binary_media_types: rest_api.binary_media_types().to_vec(),
        resources,
        stages,
        gateway_responses,
        authorizers,
        api_key_source: rest_api
            .api_key_source()
            .map_or("HEADER", |s| s.as_str())
            .to_owned(),
        validators,
        models,
    }))
}

/// The authorizer as deployed (moto keeps `identityValidationExpression` since `python/local_moto/apigateway.py`).
pub fn authorizer(a: &apigw::types::Authorizer) -> Authorizer {
    let text = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(str::to_owned);
    Authorizer {
        id: a.id().unwrap_or_default().to_owned(),
        name: a.name().unwrap_or_default().to_owned(),
        kind: a
            .r#type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        uri: text(a.authorizer_uri()),
        credentials: text(a.authorizer_credentials()),
        identity_source: text(a.identity_source()),
        identity_validation_expression: text(a.identity_validation_expression()),
        // AWS's default is 300 s; zero turns caching off.
        ttl: Duration::from_secs(a.authorizer_result_ttl_in_seconds().unwrap_or(300).max(0) as u64),
        provider_arns: a.provider_arns().to_vec(),
    }
}

fn resource(r: &apigw::types::Resource) -> Resource {
    let id = r.id().unwrap_or_default().to_owned();
    let methods = r
        .resource_methods()
        .map(|m| {
            m.iter()
                .map(|(verb, method)| (verb.to_ascii_uppercase(), self::method(verb, method)))
                .collect()
        })
        .unwrap_or_default();
    Resource {
        path: r.path().unwrap_or("/").to_owned(),
        id,
        methods,
    }
}

fn method(verb: &str, m: &apigw::types::Method) -> Method {
    Method {
        http_method: m.http_method().unwrap_or(verb).to_ascii_uppercase(),
        authorization_type: m.authorization_type().unwrap_or("NONE").to_owned(),
        api_key_required: m.api_key_required().unwrap_or(false),
        authorizer_id: m.authorizer_id().map(str::to_owned),
        authorization_scopes: m.authorization_scopes().to_vec(),
        request_parameters: m
            .request_parameters()
            .map(|p| p.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default(),
        request_models: map(m.request_models()),
        request_validator_id: m.request_validator_id().map(str::to_owned),
        integration: m.method_integration().map(integration),
    }
}

fn map(m: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    m.map(|m| m.clone().into_iter().collect())
        .unwrap_or_default()
}

/// The integration as deployed (moto keeps every field, connection fields included: `python/local_moto`).
pub fn integration(i: &apigw::types::Integration) -> Integration {
    let kind = match i.r#type().map(|t| t.as_str()) {
        Some("AWS") => IntegrationType::Aws,
        Some("AWS_PROXY") => IntegrationType::AwsProxy,
        Some("HTTP") => IntegrationType::Http,
        Some("HTTP_PROXY") => IntegrationType::HttpProxy,
        Some("MOCK") => IntegrationType::Mock,
        other => IntegrationType::Other(other.unwrap_or_default().to_owned()),
    };
    let timeout_ms = match i.timeout_in_millis() {
        ms if ms > 0 => Some(ms as u64),
        _ => None,
    };
    let responses = i
        .integration_responses()
        .map(|rs| {
            let mut rs: Vec<IntegrationResponse> = rs
                .iter()
                .map(|(code, r)| IntegrationResponse {
                    status_code: r.status_code().unwrap_or(code).to_owned(),
                    selection_pattern: r
                        .selection_pattern()
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned),
                    response_parameters: map(r.response_parameters()),
                    response_templates: map(r.response_templates()),
                })
                .collect();
            rs.sort_by(|a, b| a.status_code.cmp(&b.status_code));
            rs
        })
        .unwrap_or_default();
    Integration {
        kind,
        http_method: i.http_method().map(str::to_owned),
        uri: i.uri().map(str::to_owned),
        connection_type: match i.connection_type() {
            Some(apigw::types::ConnectionType::VpcLink) => ConnectionType::VpcLink,
            _ => ConnectionType::Internet,
        },
        connection_id: i.connection_id().map(str::to_owned),
        integration_target: i.integration_target().map(str::to_owned),
        credentials: i.credentials().map(str::to_owned),
        timeout: timeout_ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis),
        request_parameters: map(i.request_parameters()),
        request_templates: map(i.request_templates()),
        responses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apigw::types as t;

    #[test]
    fn vpc_link_v2_answers_become_the_model() {
        let answer = serde_json::json!({
            "vpcLinkId": "abc123", "vpcLinkStatus": "AVAILABLE", "vpcLinkVersion": "V2",
            "subnetIds": ["subnet-1", "subnet-2"], "securityGroupIds": ["sg-1"], "name": "link"
        });
        assert_eq!(
            vpc_link_v2_from_json(&answer, "abc123"),
            VpcLinkV2 {
                id: "abc123".into(),
                status: "AVAILABLE".into(),
                subnet_ids: vec!["subnet-1".into(), "subnet-2".into()],
                security_group_ids: vec!["sg-1".into()],
            }
        );
    }

    #[test]
    fn moto_integrations_become_the_model() {
        let moto = t::Integration::builder()
            .r#type(t::IntegrationType::HttpProxy)
            .http_method("ANY")
            .uri("http://nlb-1.elb.amazonaws.com/{proxy}")
            .connection_type(t::ConnectionType::VpcLink)
            .connection_id("abc123")
            .integration_target(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/alb/1",
            )
            .timeout_in_millis(5000)
            .request_parameters(
                "integration.request.path.proxy",
                "method.request.path.proxy",
            )
            .build();
        let i = integration(&moto);
        assert_eq!(i.kind, IntegrationType::HttpProxy);
        assert_eq!(i.connection_type, ConnectionType::VpcLink);
        assert_eq!(i.connection_id.as_deref(), Some("abc123"));
        assert!(
            i.integration_target
                .as_deref()
                .unwrap()
                .ends_with("loadbalancer/app/alb/1")
        );
        assert_eq!(i.timeout, Duration::from_millis(5000));
        assert_eq!(
            i.request_parameters["integration.request.path.proxy"],
            "method.request.path.proxy"
        );

        let plain = integration(
            &t::Integration::builder()
                .r#type(t::IntegrationType::Mock)
                .build(),
        );
        assert_eq!(
            (plain.kind, plain.connection_type, plain.timeout),
            (
                IntegrationType::Mock,
                ConnectionType::Internet,
                DEFAULT_TIMEOUT
            )
        );
    }
}
