//! The CDK app's synthesized template against the template it was converted from (the SAM template transformed):
//! every resource and output the conversion dropped, added or changed, named. `cargo xtask test --iac cdk` fails
//! on any, before it deploys anything.
//!
//! Compared: each resource's type, `DependsOn`, `DeletionPolicy`, `UpdateReplacePolicy` (absent is CloudFormation's
//! default, Delete) and `Properties` structurally (every key and array item; scalars as text, so `80` and `"80"`
//! match). An intrinsic function on either side matches anything: the converter rewrites them (`Fn::Sub` becomes
//! `Fn::Join`, a parameter its value), and the deploy that follows resolves them. A function's `Code`, which the
//! app entry replaces by the asset of the crate's zip, is left out, as are the bookkeeping CDK adds (the
//! `AWS::CDK::Metadata` resource, the `BootstrapVersion` parameter and rule).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// Differences between `source` and `synthesized`, one line each (`Resources.X.Properties.Y: dropped`).
/// `code_replaced`: the functions whose `Code` the app entry sets.
pub fn differences(
    source: &Value,
    synthesized: &Value,
    code_replaced: &BTreeSet<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    let empty = Map::new();
    let resources = |t: &Value| t.get("Resources").and_then(Value::as_object).cloned();
    let (from, to) = (
        resources(source).unwrap_or_default(),
        resources(synthesized).unwrap_or_default(),
    );
    for (id, before) in &from {
        let rtype = before.get("Type").and_then(Value::as_str).unwrap_or("?");
        let Some(after) = to.get(id) else {
            out.push(format!("Resources.{id} ({rtype}): dropped"));
            continue;
        };
        let new_type = after.get("Type").and_then(Value::as_str).unwrap_or("?");
        if new_type != rtype {
            out.push(format!("Resources.{id}: type {rtype} became {new_type}"));
            continue;
        }
        let at = format!("Resources.{id}");
        if depends_on(before) != depends_on(after) {
            out.push(format!(
                "{at}.DependsOn: {:?} became {:?}",
                depends_on(before),
                depends_on(after)
            ));
        }
        for (attribute, default) in [
            ("DeletionPolicy", None),
            ("UpdateReplacePolicy", Some("Delete")),
        ] {
            let get = |r: &Value| {
                r.get(attribute)
                    .and_then(Value::as_str)
                    .or(default)
                    .map(str::to_owned)
            };
            if get(before) != get(after) {
                out.push(format!(
                    "{at}.{attribute}: {:?} became {:?}",
                    get(before),
                    get(after)
                ));
            }
        }
        let mut props_before = before
            .get("Properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty)
            .clone();
        let mut props_after = after
            .get("Properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty)
            .clone();
        if code_replaced.contains(id) {
            props_before.remove("Code");
            props_after.remove("Code");
        }
        value(
            &Value::Object(props_before),
            &Value::Object(props_after),
            &format!("{at}.Properties"),
            &mut out,
        );
    }
    for (id, after) in &to {
        let rtype = after.get("Type").and_then(Value::as_str).unwrap_or("?");
        if !from.contains_key(id) && rtype != "AWS::CDK::Metadata" {
            out.push(format!("Resources.{id} ({rtype}): added"));
        }
    }
    let outputs = |t: &Value| -> BTreeSet<String> {
        t.get("Outputs")
            .and_then(Value::as_object)
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (before, after) = (outputs(source), outputs(synthesized));
    for name in before.difference(&after) {
        out.push(format!("Outputs.{name}: dropped"));
    }
    for name in after.difference(&before) {
        out.push(format!("Outputs.{name}: added"));
    }
    out
}

fn depends_on(resource: &Value) -> BTreeSet<String> {
    match resource.get("DependsOn") {
        Some(Value::String(one)) => BTreeSet::from([one.clone()]),
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// `{"Ref": ...}` or `{"Fn::...": ...}`.
fn is_intrinsic(value: &Value) -> bool {
    value.as_object().is_some_and(|map| {
        map.len() == 1
            && map
                .keys()
                .all(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
    })
}

/// `Ref AWS::NoValue`: the property is absent.
fn is_no_value(value: &Value) -> bool {
    value.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue")
}

fn value(before: &Value, after: &Value, at: &str, out: &mut Vec<String>) {
    if is_intrinsic(before) || is_intrinsic(after) {
        return;
    }
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, left) in a {
                if is_no_value(left) {
                    continue;
                }
                match b.get(key) {
                    Some(right) => value(left, right, &format!("{at}.{key}"), out),
                    None => out.push(format!("{at}.{key}: dropped")),
                }
            }
            for key in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{at}.{key}: added"));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            // CDK renders tags sorted by key.
            let (a, b) = if at.ends_with(".Tags") {
                (by_key(a), by_key(b))
            } else {
                (a.clone(), b.clone())
            };
            for (i, (left, right)) in a.iter().zip(&b).enumerate() {
                value(left, right, &format!("{at}[{i}]"), out);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            out.push(format!("{at}: {} items became {}", a.len(), b.len()))
        }
        (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => {
            out.push(format!("{at}: {before} became {after}"))
        }
        _ if scalar(before) != scalar(after) => out.push(format!("{at}: {before} became {after}")),
        _ => {}
    }
}

/// Tags (`{"Key", "Value"}` objects) in key order.
fn by_key(items: &[Value]) -> Vec<Value> {
    let mut sorted = items.to_vec();
    sorted.sort_by_key(|tag| scalar(&tag["Key"]));
    sorted
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn source() -> Value {
        json!({
            "Parameters": {"Stage": {"Type": "String", "Default": "prod"}},
            "Resources": {
                "Table": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Delete",
                          "Properties": {"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}},
                "Fn": {"Type": "AWS::Lambda::Function", "DependsOn": "Table", "Properties": {
                    "Code": {"S3Bucket": "set-by-the-app-entry", "S3Key": "items/bootstrap.zip"},
                    "Timeout": 10, "Layers": {"Ref": "AWS::NoValue"},
                    "Environment": {"Variables": {"URL": {"Fn::Sub": "https://${Table}/${Stage}"}}}}},
                "Method": {"Type": "AWS::ApiGateway::Method", "Properties": {
                    "Integration": {"ConnectionType": "VPC_LINK", "IntegrationTarget": {"Ref": "Alb"}}}}
            },
            "Outputs": {"TableName": {"Value": {"Ref": "Table"}}}
        })
    }

    /// What CDK synthesizes from a faithful conversion: intrinsics rewritten, the code an asset, numbers as
    /// strings, CDK's own bookkeeping added.
    fn faithful() -> Value {
        json!({
            "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>"}},
            "Resources": {
                "Table": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete",
                          "Properties": {"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}},
                "Fn": {"Type": "AWS::Lambda::Function", "DependsOn": ["Table"], "Properties": {
                    "Code": {"S3Bucket": {"Fn::Sub": "cdk-assets-${AWS::AccountId}"}, "S3Key": "abc.zip"},
                    "Timeout": "10",
                    "Environment": {"Variables": {"URL": {"Fn::Join": ["", ["https://", {"Ref": "Table"}, "/prod"]]}}}}},
                "Method": {"Type": "AWS::ApiGateway::Method", "Properties": {
                    "Integration": {"ConnectionType": "VPC_LINK", "IntegrationTarget": {"Ref": "Alb"}}}},
                "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2"}}
            },
            "Outputs": {"TableName": {"Value": {"Ref": "Table"}}}
        })
    }

    #[test]
    fn a_faithful_conversion_has_no_difference() {
        let code = BTreeSet::from(["Fn".to_owned()]);
        assert_eq!(
            differences(&source(), &faithful(), &code),
            Vec::<String>::new()
        );
    }

    #[test]
    fn each_dropped_or_changed_thing_is_named() {
        let mut synthesized = faithful();
        let resources = synthesized["Resources"].as_object_mut().unwrap();
        resources.remove("Table");
        resources["Fn"]["Properties"]["Timeout"] = json!(30);
        resources["Fn"]["DependsOn"] = json!([]);
        resources["Method"]["Properties"]["Integration"]
            .as_object_mut()
            .unwrap()
            .remove("IntegrationTarget");
        resources["Method"]["Properties"]["Integration"]["Extra"] = json!(1);
        resources.insert("Topic".into(), json!({"Type": "AWS::SNS::Topic"}));
        synthesized["Outputs"] = json!({"Other": {"Value": "x"}});
        let mut found = differences(&source(), &synthesized, &BTreeSet::from(["Fn".to_owned()]));
        found.sort();
        let mut expected = vec![
            "Resources.Table (AWS::DynamoDB::Table): dropped",
            "Resources.Fn.DependsOn: {\"Table\"} became {}",
            "Resources.Fn.Properties.Timeout: 10 became 30",
            "Resources.Method.Properties.Integration.IntegrationTarget: dropped",
            "Resources.Method.Properties.Integration.Extra: added",
            "Resources.Topic (AWS::SNS::Topic): added",
            "Outputs.TableName: dropped",
            "Outputs.Other: added",
        ];
        expected.sort();
        assert_eq!(found, expected);
        // Without the code replacement declared, the function's code is a difference too.
        let found = differences(&source(), &faithful(), &BTreeSet::new());
        assert_eq!(
            found,
            ["Resources.Fn.Properties.Code.S3Key: \"items/bootstrap.zip\" became \"abc.zip\""]
        );
    }
}
