//! Lambda authorizers of REST API methods (`CUSTOM`, TOKEN and REQUEST), the step API Gateway runs after routing
//! and before the integration: the identity sources read from the request (a missing one: 401 without invoking),
//! a TOKEN authorizer's validation expression, the function invoked through Lambda once its resource policy lets
//! `apigateway.amazonaws.com` in for the authorizer's ARN, its policy evaluated against the method ARN, the result
//! cached per identity for the authorizer's TTL, and the `principalId` and context handed to the backend (with the
//! `usageIdentifierKey` for an API whose keys come from its authorizer). Cognito user pools: [`super::cognito`].
//! Over 400 lines: about half is its unit tests, beside the rules they check.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use bytes::Bytes;
use http::{Response, request::Parts};
use serde_json::{Map, Value, json};

use super::{
    errors,
    event::{self, EventContext},
    lambda_proxy::function_arn,
    model::{Authorizer, DEFAULT_TIMEOUT},
};
use crate::{
    SharedCloud,
    config::ACCOUNT_ID,
    lambda::{Invocation, policy},
    shared::{
        matchers::wildcard,
        url::{percent_decode, query_pairs},
    },
};

/// Why the authorizer step refused a request; each is answered with its gateway response type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A missing identity source, a token failing the validation expression, or the function's `Unauthorized`.
    Unauthorized,
    /// The returned policy denies the method ARN: `explicit` when a Deny statement applies.
    Denied { explicit: bool },
    /// The function may not be invoked, failed otherwise, timed out, or returned no valid policy.
    ConfigurationError,
}

impl Refusal {
    /// The gateway response type an API may customise for this refusal.
    pub fn response_type(self) -> &'static str {
        match self {
            Refusal::Unauthorized => "UNAUTHORIZED",
            Refusal::Denied { .. } => "ACCESS_DENIED",
            Refusal::ConfigurationError => "AUTHORIZER_CONFIGURATION_ERROR",
        }
    }

    /// AWS's default answer.
    pub fn response(self) -> Response<Bytes> {
        match self {
            Refusal::Unauthorized => errors::unauthorized(),
            Refusal::Denied { explicit } => errors::authorizer_denied(explicit),
            Refusal::ConfigurationError => errors::authorizer_error(),
        }
    }
}

/// A valid answer of an authorizer function, as cached.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub principal_id: String,
    pub statements: Vec<Statement>,
    /// The context, each value a string, number or boolean.
    pub context: Map<String, Value>,
    /// The API key the request is metered with when the API's `apiKeySource` is `AUTHORIZER`.
    pub usage_identifier_key: Option<String>,
}

/// One statement of the returned policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub allow: bool,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

/// The outcome of evaluating a policy against a method ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// No statement allows the method.
    NoAllow,
    /// A Deny statement applies (it wins over any Allow).
    ExplicitDeny,
}

/// An identity source of an authorizer (`identitySource`, comma-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Header(String),
    MultiValueHeader(String),
    QueryString(String),
    MultiValueQueryString(String),
    StageVariable(String),
    Context(String),
}

/// Results cached per API, stage, authorizer and identity source values, each for its authorizer's TTL and only
/// while the stage serves the deployment and the authorizer has the definition it was cached under: as on AWS,
/// the stage's redeployment or a changed authorizer starts afresh, while writes to other APIs leave it alone
/// (<https://docs.aws.amazon.com/apigateway/latest/developerguide/configure-api-gateway-lambda-authorization.html>:
/// the policy is cached for the TTL). Held on the cloud's API Gateway state.
#[derive(Default)]
pub struct Cache {
    entries: Mutex<HashMap<Key, Entry>>,
}

type Key = (String, String, String, Vec<String>);

/// What an entry was cached under: the stage's deployment and the authorizer's definition.
struct Validity {
    deployment_id: String,
    authorizer: Authorizer,
}

impl Validity {
    fn holds(&self, deployment_id: &str, authorizer: &Authorizer) -> bool {
        self.deployment_id == deployment_id && self.authorizer == *authorizer
    }
}

struct Entry {
    validity: Validity,
    expires: Instant,
    output: Arc<Output>,
}

/// At most this many results are held; past it, expired ones go, then all.
const CACHE_CAP: usize = 10_000;

impl Cache {
    fn get(&self, key: &Key, deployment_id: &str, authorizer: &Authorizer) -> Option<Arc<Output>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|e| e.validity.holds(deployment_id, authorizer) && e.expires > Instant::now())
            .map(|e| e.output.clone())
    }

    fn insert(&self, key: Key, validity: Validity, ttl: Duration, output: Arc<Output>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CACHE_CAP {
            let now = Instant::now();
            entries.retain(|_, e| e.expires > now);
            if entries.len() >= CACHE_CAP {
                entries.clear();
            }
        }
        let expires = Instant::now() + ttl;
        entries.insert(
            key,
            Entry {
                validity,
                expires,
                output,
            },
        );
    }
}

/// Runs the method's authorizer for this request: `Ok` with the backend's `requestContext.authorizer`
/// (`principalId`, the context's values as strings, `integrationLatency` in ms, 0 from the cache) and the
/// function's `usageIdentifierKey`.
pub async fn authorize(
    cloud: &SharedCloud,
    ctx: &EventContext<'_>,
    parts: &Parts,
    authorizer_id: Option<&str>,
) -> Result<(Value, Option<String>), Refusal> {
    let Some(authorizer) = authorizer_id.and_then(|id| ctx.api.authorizers.get(id)) else {
        tracing::error!(?authorizer_id, resource = %ctx.route.resource.path, "the method's authorizer does not exist: 500");
        return Err(Refusal::ConfigurationError);
    };
    let token = match authorizer.kind.as_str() {
        "TOKEN" => true,
        "REQUEST" => false,
        other => {
            tracing::error!(
                authorizer = %authorizer.name,
                kind = other,
                "{other} authorizers are not supported by the local cloud yet: 500"
            );
            return Err(Refusal::ConfigurationError);
        }
    };
    let sources = match parse_sources(authorizer.identity_source.as_deref().unwrap_or("")) {
        Ok(sources) if token && sources.len() != 1 => {
            tracing::error!(authorizer = %authorizer.name, "a TOKEN authorizer needs exactly one header as its identity source: 500");
            return Err(Refusal::ConfigurationError);
        }
        Ok(sources) => sources,
        Err(why) => {
            tracing::error!(authorizer = %authorizer.name, %why, "bad identity source: 500");
            return Err(Refusal::ConfigurationError);
        }
    };
    let mut values = Vec::with_capacity(sources.len());
    for source in &sources {
        match identity_value(source, parts, ctx) {
            Some(v) => values.push(v),
            None => {
                tracing::info!(authorizer = %authorizer.name, ?source, "identity source missing or empty: 401 without invoking the authorizer");
                return Err(Refusal::Unauthorized);
            }
        }
    }
    if token && let Some(expression) = &authorizer.identity_validation_expression {
        match validates(expression, &values[0]) {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(
                    authorizer = %authorizer.name,
                    %expression,
                    "the token does not match identityValidationExpression: 401 without invoking the authorizer"
                );
                return Err(Refusal::Unauthorized);
            }
            Err(why) => {
                tracing::error!(authorizer = %authorizer.name, %expression, %why, "identityValidationExpression is not a regular expression: 500");
                return Err(Refusal::ConfigurationError);
            }
        }
    }
    let region = cloud.config.region.as_str();
    let arn = method_arn(region, ctx, parts.method.as_str());
    let deployment_id = ctx
        .api
        .stages
        .get(ctx.stage)
        .map_or("", |s| s.deployment_id.as_str());
    let key: Key = (
        ctx.api.id.clone(),
        ctx.stage.to_owned(),
        authorizer.id.clone(),
        values.clone(),
    );
    let cache = &cloud.apigw.authorizer_results;
    let cached = if authorizer.ttl.is_zero() {
        None
    } else {
        cache.get(&key, deployment_id, authorizer)
    };
    let (output, latency_ms) = match cached {
        Some(output) => (output, 0),
        None => {
            let started = Instant::now();
            let event = if token {
                json!({"type": "TOKEN", "authorizationToken": values[0], "methodArn": arn})
            } else {
                request_event(ctx, parts, &arn)
            };
            let output = Arc::new(invoke(cloud, ctx, authorizer, &event).await?);
            if !authorizer.ttl.is_zero() {
                let validity = Validity {
                    deployment_id: deployment_id.to_owned(),
                    authorizer: authorizer.clone(),
                };
                cache.insert(key, validity, authorizer.ttl, output.clone());
            }
            (output, started.elapsed().as_millis() as u64)
        }
    };
    match decide(&output.statements, &arn) {
        Decision::Allow => {}
        decision => {
            tracing::info!(authorizer = %authorizer.name, method_arn = %arn, ?decision, "the authorizer's policy refuses the request: 403");
            return Err(Refusal::Denied {
                explicit: decision == Decision::ExplicitDeny,
            });
        }
    }
    Ok((
        backend_context(&output, latency_ms),
        output.usage_identifier_key.clone(),
    ))
}

/// `requestContext.authorizer` of the backend's event: the context's values as strings, as REST APIs pass them.
pub fn backend_context(output: &Output, latency_ms: u64) -> Value {
    let mut map = Map::new();
    for (key, value) in &output.context {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        map.insert(key.clone(), Value::String(text));
    }
    map.insert("principalId".into(), output.principal_id.clone().into());
    map.insert("integrationLatency".into(), latency_ms.into());
    Value::Object(map)
}

/// The method ARN the authorizer gets: `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}{path}`, with the
/// request's own method and path (not the resource's template).
pub fn method_arn(region: &str, ctx: &EventContext<'_>, method: &str) -> String {
    format!(
        "arn:aws:execute-api:{region}:{ACCOUNT_ID}:{}/{}/{method}{}",
        ctx.api.id, ctx.stage, ctx.path
    )
}

/// A REQUEST authorizer's event: the proxy event's request fields without the body, with `type` and `methodArn`.
fn request_event(ctx: &EventContext<'_>, parts: &Parts, arn: &str) -> Value {
    let mut e = event::proxy_event(ctx, parts, b"");
    if let Value::Object(map) = &mut e {
        map.remove("body");
        map.remove("isBase64Encoded");
        map.insert("type".into(), "REQUEST".into());
        map.insert("methodArn".into(), arn.into());
    }
    e
}

async fn invoke(
    cloud: &SharedCloud,
    ctx: &EventContext<'_>,
    authorizer: &Authorizer,
    event: &Value,
) -> Result<Output, Refusal> {
    let Some(function) = authorizer.uri.as_deref().and_then(function_arn) else {
        tracing::error!(authorizer = %authorizer.name, uri = ?authorizer.uri, "the authorizer's URI names no Lambda function: 500");
        return Err(Refusal::ConfigurationError);
    };
    if authorizer.credentials.is_none() {
        let source_arn = format!(
            "arn:aws:execute-api:{}:{ACCOUNT_ID}:{}/authorizers/{}",
            cloud.config.region, ctx.api.id, authorizer.id
        );
        let caller = policy::Caller {
            principal: policy::APIGATEWAY,
            source_arn: Some(&source_arn),
            source_account: Some(ACCOUNT_ID),
        };
        match policy::may_invoke(cloud, function, &caller).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    function,
                    %source_arn,
                    "Execution failed due to configuration error: API Gateway may not invoke the authorizer (no \
                     statement of its resource policy lets apigateway.amazonaws.com in for this authorizer's ARN; \
                     add an aws_lambda_permission): 500"
                );
                return Err(Refusal::ConfigurationError);
            }
            Err(err) => {
                tracing::error!(
                    function,
                    error = format!("{err:#}"),
                    "cannot read the authorizer's resource policy: 500"
                );
                return Err(Refusal::ConfigurationError);
            }
        }
    }
    let payload = Bytes::from(serde_json::to_vec(event).unwrap_or_default());
    match tokio::time::timeout(DEFAULT_TIMEOUT, cloud.lambda.invoke(function, payload)).await {
        Err(_) => {
            tracing::warn!(function, "the authorizer did not answer in time: 500");
            Err(Refusal::ConfigurationError)
        }
        Ok(Err(err)) => {
            tracing::error!(function, error = format!("{err:#}"), "invoking the authorizer failed: 500");
            Err(Refusal::ConfigurationError)
        }
        Ok(Ok(Invocation::FunctionError { payload, .. })) => {
            let message = serde_json::from_slice::<Value>(&payload)
                .ok()
                .and_then(|v| v["errorMessage"].as_str().map(str::to_owned));
            if message.as_deref() == Some("Unauthorized") {
                Err(Refusal::Unauthorized)
            } else {
                tracing::warn!(function, error = ?message, "the authorizer failed: 500");
                Err(Refusal::ConfigurationError)
            }
        }
        Ok(Ok(Invocation::Ok(out))) => parse_output(&out).map_err(|why| {
            tracing::warn!(function, %why, response = %String::from_utf8_lossy(&out), "Execution failed due to configuration error: invalid authorizer response: 500");
            Refusal::ConfigurationError
        }),
    }
}

/// Parses `identitySource`: `method.request.header.X`, `method.request.multivalueheader.X`,
/// `method.request.querystring.x`, `method.request.multivaluequerystring.x`, `stageVariables.x`, `context.x`.
pub fn parse_sources(text: &str) -> Result<Vec<Source>, String> {
    let mut sources = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let source = if let Some(n) = item.strip_prefix("method.request.header.") {
            Source::Header(n.to_owned())
        } else if let Some(n) = item.strip_prefix("method.request.multivalueheader.") {
            Source::MultiValueHeader(n.to_owned())
        } else if let Some(n) = item.strip_prefix("method.request.querystring.") {
            Source::QueryString(n.to_owned())
        } else if let Some(n) = item.strip_prefix("method.request.multivaluequerystring.") {
            Source::MultiValueQueryString(n.to_owned())
        } else if let Some(n) = item.strip_prefix("stageVariables.") {
            Source::StageVariable(n.to_owned())
        } else if let Some(n) = item.strip_prefix("context.") {
            Source::Context(n.to_owned())
        } else {
            return Err(format!("`{item}` is not an identity source expression"));
        };
        sources.push(source);
    }
    Ok(sources)
}

/// The request's value of an identity source; `None` when it is missing or empty.
fn identity_value(source: &Source, parts: &Parts, ctx: &EventContext<'_>) -> Option<String> {
    let query = || {
        query_pairs(parts.uri.query().unwrap_or(""))
            .map(|(k, v)| (percent_decode(k), percent_decode(v)))
            .collect::<Vec<_>>()
    };
    let value = match source {
        Source::Header(name) => parts
            .headers
            .get_all(name.as_str())
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        Source::MultiValueHeader(name) => {
            let all: Vec<&str> = parts
                .headers
                .get_all(name.as_str())
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            (!all.is_empty()).then(|| all.join(","))
        }
        Source::QueryString(name) => query()
            .into_iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v),
        Source::MultiValueQueryString(name) => {
            let all: Vec<String> = query()
                .into_iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v)
                .collect();
            (!all.is_empty()).then(|| all.join(","))
        }
        Source::StageVariable(name) => ctx.stage_variables.get(name).cloned(),
        Source::Context(name) => match name.as_str() {
            "identity.sourceIp" => Some(ctx.source_ip.to_string()),
            "httpMethod" => Some(parts.method.to_string()),
            "stage" => Some(ctx.stage.to_owned()),
            "resourcePath" => Some(ctx.route.resource.path.clone()),
            "apiId" => Some(ctx.api.id.clone()),
            other => {
                tracing::warn!(
                    variable = other,
                    "the identity source context.{other} is not known to the local cloud: taken as missing"
                );
                None
            }
        },
    };
    value.filter(|v| !v.trim().is_empty())
}

/// Whether `token` matches a TOKEN authorizer's `identityValidationExpression`, as a whole. Each expression is
/// compiled once (compiling one like `[A-Za-z0-9-]{1,64}` per request took ~1 ms: `cargo xtask bench apis`).
fn validates(expression: &str, token: &str) -> Result<bool, String> {
    type Compiled = HashMap<String, Result<Arc<regex::Regex>, String>>;
    static COMPILED: std::sync::OnceLock<Mutex<Compiled>> = std::sync::OnceLock::new();
    let compiled = COMPILED.get_or_init(Default::default);
    let mut compiled = compiled.lock().unwrap_or_else(|p| p.into_inner());
    if compiled.len() >= 256 {
        compiled.clear();
    }
    let regex = compiled
        .entry(expression.to_owned())
        .or_insert_with(|| {
            regex::Regex::new(&format!("^(?:{expression})$"))
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()?;
    drop(compiled);
    Ok(regex.is_match(token))
}

/// Parses an authorizer function's answer: `principalId`, `policyDocument` with `Statement` (one or a list; each
/// with `Effect`, `Action` and `Resource`, strings or lists) and an optional `context` whose values must be
/// strings, numbers or booleans (an object or array in it is a configuration error on AWS too).
pub fn parse_output(payload: &[u8]) -> Result<Output, String> {
    let value: Value = serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}"))?;
    let principal_id = match &value["principalId"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Null => return Err("no principalId".into()),
        other => return Err(format!("principalId is {other}")),
    };
    let document = value
        .get("policyDocument")
        .filter(|d| d.is_object())
        .ok_or("no policyDocument object")?;
    let statements = match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Err("policyDocument has no Statement".into()),
    };
    let strings = |v: &Value, field: &str| -> Result<Vec<String>, String> {
        match v.get(field) {
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| format!("{field} holds a value that is not a string")),
            _ => Err(format!("a statement has no {field}")),
        }
    };
    let statements = statements
        .into_iter()
        .map(|s| {
            let allow = match s.get("Effect").and_then(Value::as_str) {
                Some("Allow") => true,
                Some("Deny") => false,
                other => return Err(format!("Effect {other:?} is neither Allow nor Deny")),
            };
            Ok(Statement {
                allow,
                actions: strings(s, "Action")?,
                resources: strings(s, "Resource")?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let context = match value.get("context") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => {
            if let Some((key, _)) = map
                .iter()
                .find(|(_, v)| v.is_object() || v.is_array() || v.is_null())
            {
                return Err(format!("context.{key} is not a string, number or boolean"));
            }
            map.clone()
        }
        Some(other) => return Err(format!("context is {other}")),
    };
    Ok(Output {
        principal_id,
        statements,
        context,
        usage_identifier_key: value
            .get("usageIdentifierKey")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// Evaluates the returned policy for `execute-api:Invoke` on `arn` (`*` and `?` wildcards in actions and
/// resources): an applying Deny wins, else an applying Allow is needed.
pub fn decide(statements: &[Statement], arn: &str) -> Decision {
    let applies = |s: &Statement| {
        s.actions
            .iter()
            .any(|a| wildcard(a, "execute-api:Invoke", true))
            && s.resources.iter().any(|r| wildcard(r, arn, false))
    };
    if statements.iter().any(|s| !s.allow && applies(s)) {
        Decision::ExplicitDeny
    } else if statements.iter().any(|s| s.allow && applies(s)) {
        Decision::Allow
    } else {
        Decision::NoAllow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/7";

    fn output(json: Value) -> Result<Output, String> {
        parse_output(json.to_string().as_bytes())
    }

    fn policy(effect: &str, resource: Value) -> Value {
        json!({"principalId": "user", "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": effect, "Action": "execute-api:Invoke", "Resource": resource}]}})
    }

    #[test]
    fn wildcard_resources_allow_and_deny_wins() {
        for (resource, want) in [
            (json!(ARN), Decision::Allow),
            (
                json!("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*"),
                Decision::Allow,
            ),
            (
                json!("arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/pets/?"),
                Decision::Allow,
            ),
            (
                json!(["arn:aws:execute-api:*:*:other/*", "*"]),
                Decision::Allow,
            ),
            (
                json!("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/*"),
                Decision::NoAllow,
            ),
            (
                json!("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets"),
                Decision::NoAllow,
            ),
        ] {
            let out = output(policy("Allow", resource.clone())).unwrap();
            assert_eq!(decide(&out.statements, ARN), want, "{resource}");
        }
        let mut both = policy("Allow", json!("*"));
        both["policyDocument"]["Statement"]
            .as_array_mut()
            .unwrap()
            .push(json!({"Effect": "Deny", "Action": ["execute-api:*"], "Resource": ["*/GET/pets/*"]}));
        let out = output(both).unwrap();
        assert_eq!(
            decide(&out.statements, "abc/GET/pets/7"),
            Decision::ExplicitDeny
        );
        assert_eq!(decide(&out.statements, "abc/GET/owners/7"), Decision::Allow);
        // Another action does not apply.
        let other = json!({"principalId": "u", "policyDocument": {"Statement": {"Effect": "Allow",
            "Action": "execute-api:ManageConnections", "Resource": "*"}}});
        assert_eq!(
            decide(&output(other).unwrap().statements, ARN),
            Decision::NoAllow
        );
    }

    #[test]
    fn malformed_answers_are_refused() {
        for bad in [
            json!("Allow"),
            json!({"policyDocument": {"Statement": []}}),
            json!({"principalId": "u"}),
            json!({"principalId": "u", "policyDocument": {"Version": "2012-10-17"}}),
            json!({"principalId": "u", "policyDocument": {"Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}}),
            json!({"principalId": "u", "policyDocument": {"Statement": [{"Effect": "Allow", "Resource": "*"}]}}),
            json!({"principalId": "u", "policyDocument": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
                   "context": {"nested": {"a": 1}}}),
            json!({"principalId": "u", "policyDocument": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
                   "context": {"list": [1]}}),
        ] {
            assert!(output(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn context_values_reach_the_backend_as_strings() {
        let mut answer = policy("Allow", json!("*"));
        answer["context"] = json!({"user": "ada", "tier": 2, "admin": false});
        let out = output(answer).unwrap();
        assert_eq!(
            backend_context(&out, 12),
            json!({"principalId": "user", "user": "ada", "tier": "2", "admin": "false", "integrationLatency": 12})
        );
    }

    #[test]
    fn identity_sources_parse() {
        assert_eq!(
            parse_sources(
                "method.request.header.X-Tenant, method.request.querystring.key,stageVariables.v, context.identity.sourceIp"
            )
            .unwrap(),
            vec![
                Source::Header("X-Tenant".into()),
                Source::QueryString("key".into()),
                Source::StageVariable("v".into()),
                Source::Context("identity.sourceIp".into()),
            ]
        );
        assert_eq!(parse_sources("").unwrap(), vec![]);
        assert!(parse_sources("header.Authorization").is_err());
    }

    #[test]
    fn validation_expressions_match_the_whole_token() {
        assert_eq!(validates("allow-[a-z]+", "allow-ada"), Ok(true));
        assert_eq!(validates("allow-[a-z]+", "xallow-ada"), Ok(false));
        assert_eq!(validates("^(allow|deny)-.+$", "deny-x"), Ok(true));
        assert!(validates("(", "x").is_err());
    }

    #[test]
    fn the_cache_keeps_a_result_for_its_ttl_deployment_and_definition() {
        let cache = Cache::default();
        let key: Key = ("api".into(), "prod".into(), "auth".into(), vec!["t".into()]);
        let out = Arc::new(output(policy("Allow", json!("*"))).unwrap());
        let authorizer = Authorizer {
            id: "auth".into(),
            name: "token".into(),
            kind: "TOKEN".into(),
            uri: Some(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f/invocations"
                    .into(),
            ),
            credentials: None,
            identity_source: Some("method.request.header.Authorization".into()),
            identity_validation_expression: None,
            ttl: Duration::from_secs(300),
            provider_arns: vec![],
        };
        let validity = |deployment_id: &str| Validity {
            deployment_id: deployment_id.into(),
            authorizer: authorizer.clone(),
        };
        cache.insert(key.clone(), validity("d1"), authorizer.ttl, out.clone());
        assert_eq!(cache.get(&key, "d1", &authorizer), Some(out.clone()));
        assert_eq!(
            cache.get(&key, "d2", &authorizer),
            None,
            "the stage's redeployment starts afresh"
        );
        let changed = Authorizer {
            identity_validation_expression: Some("[a-z]+".into()),
            ..authorizer.clone()
        };
        assert_eq!(
            cache.get(&key, "d1", &changed),
            None,
            "a changed authorizer starts afresh"
        );
        cache.insert(key.clone(), validity("d1"), Duration::ZERO, out);
        assert_eq!(cache.get(&key, "d1", &authorizer), None, "expired");
    }
}
