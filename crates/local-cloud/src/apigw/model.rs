//! Plain model of a deployed REST API: what routing and integrations need, loaded from moto in one place
//! ([`super::load`]) so that the request logic can be tested without AWS.

use std::{collections::BTreeMap, time::Duration};

/// API Gateway's default (and maximum for most accounts) integration timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(29_000);

#[derive(Debug, Clone, Default)]
pub struct RestApi {
    pub id: String,
    pub name: String,
    /// Media types served as binary (`binaryMediaTypes`).
    pub binary_media_types: Vec<String>,
    pub resources: Vec<Resource>,
    pub stages: BTreeMap<String, Stage>,
    /// Customised gateway responses (`PutGatewayResponse`, an OpenAPI body's
    /// `x-amazon-apigateway-gateway-responses`) by response type, e.g. `MISSING_AUTHENTICATION_TOKEN`.
    pub gateway_responses: BTreeMap<String, GatewayResponse>,
    /// The API's resource policy (`None`: it has none, and every request may invoke it).
    pub policy: Option<super::policy::ResourcePolicy>,
    /// The API's authorizers by id (`GetAuthorizers`).
    pub authorizers: BTreeMap<String, Authorizer>,
    /// Where a method that requires an API key finds it: `HEADER` (`x-api-key`, the default) or `AUTHORIZER` (a
    /// Lambda authorizer's `usageIdentifierKey`).
    pub api_key_source: String,
    /// The API's request validators by id (`GetRequestValidators`).
    pub validators: BTreeMap<String, RequestValidator>,
    /// The API's models' schemas (JSON Schema draft 4 text) by name (`GetModels`).
    pub models: BTreeMap<String, String>,
}

/// What a request validator checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestValidator {
    pub body: bool,
    pub parameters: bool,
}

/// An authorizer of the API, as `GetAuthorizers` answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorizer {
    pub id: String,
    pub name: String,
    /// `TOKEN`, `REQUEST` or `COGNITO_USER_POOLS`.
    pub kind: String,
    /// `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations`.
    pub uri: Option<String>,
    /// A role API Gateway assumes to invoke the function (then no resource policy is needed).
    pub credentials: Option<String>,
    /// Comma-separated `method.request.header.X`, `method.request.querystring.x`, `stageVariables.x`, `context.x`.
    pub identity_source: Option<String>,
    /// A TOKEN authorizer's regular expression the token must match.
    pub identity_validation_expression: Option<String>,
    /// How long a result is cached (`authorizerResultTtlInSeconds`; zero: not cached).
    pub ttl: Duration,
    /// A `COGNITO_USER_POOLS` authorizer's user pools (`arn:aws:cognito-idp:{region}:{account}:userpool/{id}`).
    pub provider_arns: Vec<String>,
}

/// A customised gateway response: what API Gateway answers instead of its default for one kind of error.
#[derive(Debug, Clone, Default)]
pub struct GatewayResponse {
    /// The status to answer with (`None`: the default response's).
    pub status_code: Option<u16>,
    /// `gatewayresponse.header.<name>` -> `'literal'`.
    pub response_parameters: BTreeMap<String, String>,
    /// Content type -> body template.
    pub response_templates: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct Stage {
    pub name: String,
    pub variables: BTreeMap<String, String>,
    /// The deployment the stage serves: each redeployment of the stage makes a new one.
    pub deployment_id: String,
}

#[derive(Debug, Clone, Default)]
pub struct Resource {
    pub id: String,
    /// The resource path, e.g. `/items/{id}` or `/{proxy+}`.
    pub path: String,
    /// HTTP method (or `ANY`) -> method.
    pub methods: BTreeMap<String, Method>,
}

#[derive(Debug, Clone, Default)]
pub struct Method {
    pub http_method: String,
    /// `NONE`, `AWS_IAM`, `CUSTOM`, `COGNITO_USER_POOLS`.
    pub authorization_type: String,
    pub api_key_required: bool,
    /// The authorizer of a `CUSTOM` or `COGNITO_USER_POOLS` method.
    pub authorizer_id: Option<String>,
    /// A `COGNITO_USER_POOLS` method's OAuth scopes (then it takes access tokens carrying one of them; without
    /// scopes, ID tokens).
    pub authorization_scopes: Vec<String>,
    /// `method.request.{header,querystring,path}.<name>` -> required.
    pub request_parameters: BTreeMap<String, bool>,
    /// Content type -> model name, for a request validator that validates the body.
    pub request_models: BTreeMap<String, String>,
    pub request_validator_id: Option<String>,
    pub integration: Option<Integration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegrationType {
    Aws,
    AwsProxy,
    Http,
    HttpProxy,
    Mock,
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionType {
    Internet,
    VpcLink,
}

#[derive(Debug, Clone)]
pub struct Integration {
    pub kind: IntegrationType,
    /// The integration's own method (`POST` for Lambda; may be `ANY` for HTTP_PROXY).
    pub http_method: Option<String>,
    pub uri: Option<String>,
    pub connection_type: ConnectionType,
    /// The VPC link id (may contain `${stageVariables.x}`).
    pub connection_id: Option<String>,
    /// VPC link v2 target: an ALB/NLB ARN or a listener ARN.
    pub integration_target: Option<String>,
    /// An IAM role API Gateway assumes to call the integration (then no resource policy is needed).
    pub credentials: Option<String>,
    pub timeout: Duration,
    /// `integration.request.<where>.<name>` -> `method.request...`, `'literal'`, `stageVariables.x`, ...
    pub request_parameters: BTreeMap<String, String>,
    /// Content type -> template.
    pub request_templates: BTreeMap<String, String>,
    pub responses: Vec<IntegrationResponse>,
}

impl Default for Integration {
    fn default() -> Self {
        Integration {
            kind: IntegrationType::Mock,
            http_method: None,
            uri: None,
            connection_type: ConnectionType::Internet,
            connection_id: None,
            integration_target: None,
            credentials: None,
            timeout: DEFAULT_TIMEOUT,
            request_parameters: BTreeMap::new(),
            request_templates: BTreeMap::new(),
            responses: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct IntegrationResponse {
    /// The method response status this integration response produces.
    pub status_code: String,
    /// A regular expression on the integration's status code; `None` for the default response.
    pub selection_pattern: Option<String>,
    /// `method.response.header.<name>` -> `'literal'` (or an integration response value).
    pub response_parameters: BTreeMap<String, String>,
    pub response_templates: BTreeMap<String, String>,
}

/// A VPC link (v1): the NLBs it reaches.
#[derive(Debug, Clone, Default)]
pub struct VpcLink {
    pub id: String,
    pub target_arns: Vec<String>,
}

/// A VPC link v2 (`apigatewayv2`): network interfaces in subnets; each integration names its load balancer
/// (`integrationTarget`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VpcLinkV2 {
    pub id: String,
    /// `AVAILABLE` once AWS has made the link's interfaces (moto: at once).
    pub status: String,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
}
