//! Minimal calls to the local cloud's AWS JSON APIs (moto does not check signatures; it routes by the
//! credential scope), for the few questions xtask asks directly: what a destroy left behind, what a log holds.

use anyhow::{Context, Result};
use serde_json::Value;

/// Calls `target` (e.g. `Logs_20140328.FilterLogEvents`) of `service` (the SigV4 scope, e.g. `logs`).
pub fn call(edge_url: &str, service: &str, target: &str, body: &Value) -> Result<Value> {
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
    );
    let mut response = ureq::post(edge_url)
        .header("X-Amz-Target", target)
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("Authorization", &authorization)
        .send(serde_json::to_vec(body)?.as_slice())
        .with_context(|| format!("calling {target} on the local cloud"))?;
    Ok(response.body_mut().read_json()?)
}

/// ARNs of the resources tagged `key = value` in the local cloud.
pub fn tagged_resources(edge_url: &str, key: &str, value: &str) -> Result<Vec<String>> {
    let body = serde_json::json!({ "TagFilters": [{ "Key": key, "Values": [value] }] });
    let json = call(
        edge_url,
        "tagging",
        "ResourceGroupsTaggingAPI_20170126.GetResources",
        &body,
    )?;
    Ok(json["ResourceTagMappingList"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["ResourceARN"].as_str().map(str::to_owned))
        .collect())
}

/// The messages in a log group (all streams), oldest first.
#[cfg_attr(not(test), allow(dead_code))] // used by the fidelity tests
pub fn log_messages(edge_url: &str, group: &str) -> Result<Vec<String>> {
    let body = serde_json::json!({ "logGroupName": group });
    let json = call(edge_url, "logs", "Logs_20140328.FilterLogEvents", &body)?;
    Ok(json["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["message"].as_str().map(str::to_owned))
        .collect())
}
