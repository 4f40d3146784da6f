//! CloudFormation stacks on moto, through its query API: calls, creating a stack that must complete with
//! every resource, its outputs, deleting it.

use serde_json::Value;

use super::moto::{query, query_status, xml_all};

/// A CloudFormation call: the status and the XML answer (not checked).
pub async fn cfn(moto_url: &str, params: &[(&str, &str)]) -> (u16, String) {
    query_status(moto_url, "cloudformation", params).await
}

/// A CloudFormation call that must succeed: the XML answer.
pub async fn cfn_ok(moto_url: &str, params: &[(&str, &str)]) -> String {
    query(moto_url, "cloudformation", params).await
}

/// Creates `name` from `template`; returns its outputs after checking it completed with every resource.
pub async fn create_stack(moto_url: &str, name: &str, template: &Value) -> Vec<(String, String)> {
    let body = template.to_string();
    cfn_ok(
        moto_url,
        &[
            ("Action", "CreateStack"),
            ("StackName", name),
            ("TemplateBody", &body),
        ],
    )
    .await;
    let xml = cfn_ok(
        moto_url,
        &[("Action", "DescribeStacks"), ("StackName", name)],
    )
    .await;
    if xml_all(&xml, "StackStatus") != ["CREATE_COMPLETE"] {
        let events = cfn_ok(
            moto_url,
            &[("Action", "DescribeStackEvents"), ("StackName", name)],
        )
        .await;
        panic!(
            "stack {name} did not complete: {:?}",
            xml_all(&events, "ResourceStatusReason")
        );
    }
    let listed = cfn_ok(
        moto_url,
        &[("Action", "ListStackResources"), ("StackName", name)],
    )
    .await;
    let mut listed = xml_all(&listed, "LogicalResourceId");
    listed.sort();
    let mut declared: Vec<String> = template["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    declared.sort();
    assert_eq!(listed, declared, "every resource of {name} is created");
    outputs(&xml)
}

/// The outputs in a DescribeStacks answer, as (key, value).
pub fn outputs(xml: &str) -> Vec<(String, String)> {
    xml_all(xml, "OutputKey")
        .into_iter()
        .zip(xml_all(xml, "OutputValue"))
        .collect()
}

/// The value of output `key`, which must be there.
pub fn output(outputs: &[(String, String)], key: &str) -> String {
    outputs
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no output {key} in {outputs:?}"))
        .1
        .clone()
}

pub async fn delete_stack(moto_url: &str, name: &str) {
    cfn_ok(moto_url, &[("Action", "DeleteStack"), ("StackName", name)]).await;
}
