//! Plain model of a deployed HTTP API (API Gateway v2): what stage and route selection, CORS and the
//! integrations need, read from moto in one place ([`super::load`]) so the request logic is testable
//! without AWS.

use std::{collections::BTreeMap, time::Duration};

/// An HTTP API's integration timeout when none is set (and its maximum).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(30_000);

/// The name of the stage served without a stage segment in the URL, and of the catch-all route.
pub const DEFAULT: &str = "$default";

#[derive(Debug, Clone, Default)]
pub struct HttpApi {
    pub id: String,
    pub name: String,
    /// The API's CORS configuration (`corsConfiguration`), if any.
    pub cors: Option<Cors>,
    pub routes: Vec<Route>,
    /// Integration id -> integration.
    pub integrations: BTreeMap<String, Integration>,
    /// Stage name -> stage (`$default` included).
    pub stages: BTreeMap<String, Stage>,
    /// Authorizer id -> authorizer.
    pub authorizers: BTreeMap<String, Authorizer>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stage {
    pub name: String,
    pub variables: BTreeMap<String, String>,
}

/// One route: `GET /items/{id}`, `ANY /{proxy+}` or `$default`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Route {
    pub id: String,
    /// As deployed: `METHOD /path` or `$default`.
    pub key: String,
    /// `NONE`, `JWT`, `AWS_IAM` or `CUSTOM`.
    pub authorization_type: String,
    pub authorizer_id: Option<String>,
    pub authorization_scopes: Vec<String>,
    /// The integration id from `target` (`integrations/{id}`).
    pub integration_id: Option<String>,
}

impl Route {
    /// `("GET", "/items/{id}")`; `None` for `$default`.
    pub fn method_and_path(&self) -> Option<(&str, &str)> {
        self.key.split_once(' ')
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    pub id: String,
    /// `AWS_PROXY`, `HTTP_PROXY`, ...
    pub kind: String,
    /// A Lambda function ARN, or its `arn:aws:apigateway:...:lambda:path/.../invocations` form.
    pub uri: Option<String>,
    /// `1.0` or `2.0`.
    pub payload_format_version: String,
    pub credentials: Option<String>,
    pub timeout: Duration,
}

/// `corsConfiguration` of an HTTP API.
pub use crate::shared::cors::Cors;

/// A JWT authorizer (`REQUEST` authorizers are Lambda authorizers, not served yet).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Authorizer {
    pub id: String,
    /// `JWT` or `REQUEST`.
    pub kind: String,
    /// Where the token comes from, e.g. `$request.header.Authorization`.
    pub identity_source: Vec<String>,
    pub issuer: Option<String>,
    pub audience: Vec<String>,
}
