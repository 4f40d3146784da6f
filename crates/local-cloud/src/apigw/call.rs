//! One method request being served ([`Call`]): what the integrations need, and the event context, template
//! variables and parameter sources made from it.

use std::{collections::BTreeMap, net::IpAddr};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::request::Parts;

use super::{
    event, mock,
    model::{Integration, RestApi, Stage},
    params,
    routing::Route,
    vtl,
};
use crate::SharedCloud;

/// One method request being served: everything integrations need.
pub struct Call<'a> {
    pub cloud: &'a SharedCloud,
    pub api: &'a RestApi,
    pub stage: &'a Stage,
    pub route: &'a Route<'a>,
    pub integration: &'a Integration,
    pub parts: &'a Parts,
    pub body: &'a Bytes,
    /// The path below the stage, as sent.
    pub path: &'a str,
    pub source_ip: IpAddr,
    pub request_id: &'a str,
    pub domain: &'a str,
    /// Through a custom domain name: the path the client sent, base path included.
    pub client_path: Option<&'a str>,
    pub received: DateTime<Utc>,
    /// The backend's `requestContext.authorizer` from the method's Lambda authorizer.
    pub authorizer: Option<&'a serde_json::Value>,
}

impl<'a> Call<'a> {
    pub fn integration(&self) -> &'a Integration {
        self.integration
    }

    /// `text` with `${stageVariables.x}` replaced.
    pub fn render(&self, text: &str) -> String {
        params::render_stage_variables(text, &self.stage.variables)
    }

    pub fn sources(&self) -> params::Sources<'_> {
        params::Sources {
            path: &self.route.raw_params,
            query: self.parts.uri.query().unwrap_or(""),
            headers: &self.parts.headers,
            stage_variables: &self.stage.variables,
            request_id: self.request_id,
            stage: &self.stage.name,
            api_id: &self.api.id,
        }
    }

    pub fn event_context(&self) -> event::EventContext<'_> {
        event::EventContext {
            api: self.api,
            stage: &self.stage.name,
            stage_variables: &self.stage.variables,
            route: self.route,
            path: self.path,
            source_ip: self.source_ip,
            request_id: self.request_id,
            domain: self.domain,
            client_path: self.client_path,
            received: self.received,
        }
    }

    pub fn template_vars(&self) -> mock::TemplateVars<'_> {
        let context: BTreeMap<&'static str, String> = [
            ("requestId", self.request_id.to_owned()),
            ("stage", self.stage.name.clone()),
            ("apiId", self.api.id.clone()),
            ("resourceId", self.route.resource.id.clone()),
            ("resourcePath", self.route.resource.path.clone()),
            ("httpMethod", self.parts.method.to_string()),
            ("accountId", crate::config::ACCOUNT_ID.to_owned()),
            ("domainName", self.domain.to_owned()),
            ("path", format!("/{}{}", self.stage.name, self.path)),
            ("protocol", "HTTP/1.1".to_owned()),
            ("identity.sourceIp", self.source_ip.to_string()),
            (
                "identity.userAgent",
                self.parts
                    .headers
                    .get(http::header::USER_AGENT)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned(),
            ),
            (
                "requestTimeEpoch",
                self.received.timestamp_millis().to_string(),
            ),
        ]
        .into();
        mock::TemplateVars {
            context,
            stage_variables: &self.stage.variables,
        }
    }

    /// What the integration's mapping templates see: the method request as `$input`, and `$context`.
    pub fn env(&self) -> vtl::Env {
        let input = params::template_input(&self.route.raw_params, self.parts, self.body);
        self.template_vars().env(input)
    }
}
