//! The deployed function URLs: each function's GetFunctionUrlConfig, by url id, read once per generation (bumped
//! by Lambda and CloudFormation writes).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::{
    SharedCloud,
    contract::urls::lambda_url_id,
    shared::{cache::Generation, cors::Cors},
};

/// Every function URL, by url id.
pub type Urls = Arc<HashMap<String, Arc<UrlConfig>>>;

/// The deployed URLs, per generation (bumped by Lambda and CloudFormation writes).
#[derive(Default)]
pub struct State {
    pub generation: Generation,
    pub(super) urls: Mutex<Option<(u64, Urls)>>,
}

/// One function's URL configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlConfig {
    pub url_id: String,
    /// `{url_id}.lambda-url.{region}.on.aws`.
    pub domain: String,
    pub function_arn: String,
    pub auth_type: String,
    pub cors: Option<Cors>,
}

/// The URL configuration of GetFunctionUrlConfig's answer (`None` when it names no function URL).
pub fn url_config(answer: &Value) -> Option<UrlConfig> {
    let url = answer.get("FunctionUrl")?.as_str()?;
    let domain = url
        .strip_prefix("https://")?
        .trim_end_matches('/')
        .to_owned();
    let url_id = lambda_url_id(&domain)?.to_owned();
    let cors = answer.get("Cors").filter(|c| c.is_object()).map(|c| Cors {
        allow_origins: policy_strings(c.get("AllowOrigins")),
        allow_methods: policy_strings(c.get("AllowMethods")),
        allow_headers: policy_strings(c.get("AllowHeaders")),
        expose_headers: policy_strings(c.get("ExposeHeaders")),
        allow_credentials: c
            .get("AllowCredentials")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        max_age: c.get("MaxAge").and_then(Value::as_i64),
    });
    Some(UrlConfig {
        url_id,
        domain,
        function_arn: answer.get("FunctionArn")?.as_str()?.to_owned(),
        auth_type: answer
            .get("AuthType")
            .and_then(Value::as_str)
            .unwrap_or("AWS_IAM")
            .to_owned(),
        cors,
    })
}

fn policy_strings(v: Option<&Value>) -> Vec<String> {
    crate::shared::policy::strings(v)
}

/// Every function URL, by url id, for the current generation.
pub async fn urls(cloud: &SharedCloud) -> anyhow::Result<Urls> {
    let generation = cloud.lambda_urls.generation.get();
    if let Some((g, urls)) = &*cloud
        .lambda_urls
        .urls
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        && *g == generation
    {
        return Ok(urls.clone());
    }
    let mut functions = Vec::new();
    let mut marker = None;
    loop {
        let page = cloud
            .aws
            .lambda
            .list_functions()
            .set_marker(marker)
            .send()
            .await
            .context("lambda ListFunctions")?;
        functions.extend(
            page.functions()
                .iter()
                .filter_map(|f| f.function_arn().map(str::to_owned)),
        );
        marker = page.next_marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    let mut urls = HashMap::new();
    for arn in functions {
        let out = cloud
            .aws
            .lambda
            .get_function_url_config()
            .function_name(&arn)
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                continue;
            }
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context(format!("lambda GetFunctionUrlConfig of {arn}"))
                );
            }
        };
        let answer = json!({
            "FunctionUrl": out.function_url(),
            "FunctionArn": out.function_arn(),
            "AuthType": out.auth_type().as_str(),
            "Cors": out.cors().map(|c| json!({
                "AllowOrigins": c.allow_origins(),
                "AllowMethods": c.allow_methods(),
                "AllowHeaders": c.allow_headers(),
                "ExposeHeaders": c.expose_headers(),
                "AllowCredentials": c.allow_credentials(),
                "MaxAge": c.max_age(),
            })),
        });
        if let Some(config) = url_config(&answer) {
            urls.insert(config.url_id.clone(), Arc::new(config));
        }
    }
    let urls = Arc::new(urls);
    *cloud
        .lambda_urls
        .urls
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some((generation, urls.clone()));
    Ok(urls)
}

/// The URL configuration of `url_id` (`None`: no function has it).
pub async fn find(cloud: &SharedCloud, url_id: &str) -> anyhow::Result<Option<Arc<UrlConfig>>> {
    Ok(urls(cloud).await?.get(url_id).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_function_url_config_answers_become_configs() {
        let c = url_config(&json!({
            "FunctionUrl": "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/",
            "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:hello",
            "AuthType": "NONE",
            "Cors": {"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET"], "MaxAge": 60},
        }))
        .unwrap();
        assert_eq!(c.url_id, "abcdefghijklmnopqrstuvwxyz012345");
        assert_eq!(
            c.domain,
            "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"
        );
        assert_eq!(c.auth_type, "NONE");
        let cors = c.cors.unwrap();
        assert_eq!(
            (cors.allow_origins, cors.max_age),
            (vec!["https://example.com".to_owned()], Some(60))
        );
        assert!(url_config(&json!({"FunctionUrl": "https://example.com/"})).is_none());
    }
}
