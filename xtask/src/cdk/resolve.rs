//! What cdk-from-cfn 0.162.0 cannot take, found in the transformed template before it is converted: each construct
//! it would drop or silently change is refused with the resource (or section) and the construct named, and the one
//! it drops without a difference (`UpdateReplacePolicy: Delete`, CloudFormation's default) is removed first, as is
//! what it gets wrong with a faithful replacement: a `Number` parameter (which it types as a string prop, so the
//! TypeScript app does not compile) is inlined at its `Default`.
//!
//! Read off the converter's source (docs/cdk.md lists the same): its parser keeps `Type`, `Condition`, `Metadata`,
//! `DependsOn`, `UpdatePolicy`, `DeletionPolicy` and `Properties` of a resource and drops the rest; it knows the
//! intrinsic functions `Ref`, `Fn::Base64`, `Cidr`, `FindInMap`, `GetAtt`, `GetAZs`, `If`, `ImportValue`, `Join`,
//! `Select`, `Split` and `Sub` (any other is copied as a property named `Fn::...`); it turns conditions into
//! expressions the app evaluates at synth time, where pseudo parameters such as `AWS::Region` are unresolved
//! tokens; and it turns parameters into construct props fixed at synth time.
//! Over 400 lines: every construct the converter gets wrong is checked here, beside its test.

use serde_json::Value;

/// The intrinsic functions the converter translates (`Ref` besides).
const INTRINSICS: [&str; 11] = [
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::FindInMap",
    "Fn::GetAtt",
    "Fn::GetAZs",
    "Fn::If",
    "Fn::ImportValue",
    "Fn::Join",
    "Fn::Select",
    "Fn::Split",
    "Fn::Sub",
];

/// Top-level sections the converter reads (`Metadata` and the format version carry nothing a stack deploys).
const SECTIONS: [&str; 7] = [
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Mappings",
    "Resources",
    "Outputs",
];

/// Resource attributes the converter keeps (`UpdateReplacePolicy: Delete` is removed before, see [`resolve`]).
const ATTRIBUTES: [&str; 7] = [
    "Type",
    "Properties",
    "Metadata",
    "DependsOn",
    "DeletionPolicy",
    "UpdatePolicy",
    "UpdateReplacePolicy",
];

/// Removes what the converter would drop without changing the deployment, and returns every construct it cannot
/// convert faithfully, one line each (`<where>: <what>; fix: ...`). Empty: the template converts as it is.
pub fn resolve(template: &mut Value) -> Vec<String> {
    inline_number_parameters(template);
    let mut problems = Vec::new();
    let Some(doc) = template.as_object_mut() else {
        return vec!["the template is not a JSON object".to_owned()];
    };
    for key in doc.keys() {
        if key == "Conditions" {
            problems.push(
                "Conditions: cdk-from-cfn 0.162.0 evaluates conditions in the app's code at synth time, where \
                 pseudo parameters such as AWS::Region are unresolved tokens, so a conditional resource can vanish \
                 silently; fix: remove the conditions (and their `Condition`/`Fn::If` uses) from the template"
                    .to_owned(),
            );
        } else if !SECTIONS.contains(&key.as_str()) {
            problems.push(format!(
                "{key}: cdk-from-cfn 0.162.0 drops this section; fix: remove it from the template (the converter \
                 keeps only {})",
                SECTIONS.join(", ")
            ));
        }
    }
    if let Some(Value::Object(parameters)) = doc.get("Parameters") {
        for (name, parameter) in parameters {
            if parameter.get("Default").is_none() {
                problems.push(format!(
                    "Parameters.{name}: has no Default, and the CDK app turns parameters into construct props \
                     fixed at synth time (the app entry passes none); fix: give it a Default"
                ));
            }
        }
    }
    let parameters: Vec<String> = doc
        .get("Parameters")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    if let Some(Value::Object(resources)) = doc.get_mut("Resources") {
        for (id, resource) in resources.iter_mut() {
            let Some(resource) = resource.as_object_mut() else {
                continue;
            };
            // CloudFormation deletes a replaced resource unless told otherwise: "By default, CloudFormation then
            // deletes the old resource."
            // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatereplacepolicy.html
            if resource.get("UpdateReplacePolicy") == Some(&Value::String("Delete".into())) {
                resource.remove("UpdateReplacePolicy");
            }
            let rtype = resource.get("Type").and_then(Value::as_str).unwrap_or("");
            if !is_resource_type(rtype) {
                problems.push(format!(
                    "Resources.{id}: type `{rtype}` is not an AWS resource type cdk-from-cfn 0.162.0 converts \
                     (custom resources and modules are not); fix: use an AWS::<service>::<resource> type"
                ));
            }
            for key in resource.keys() {
                let problem = match key.as_str() {
                    "Condition" => {
                        Some("`Condition`: conditions are evaluated at synth time (see Conditions)")
                    }
                    "UpdateReplacePolicy" => Some(
                        "`UpdateReplacePolicy` other than Delete: cdk-from-cfn 0.162.0 drops it, and the replaced \
                         resource would be deleted",
                    ),
                    "CreationPolicy" => Some("`CreationPolicy`: cdk-from-cfn 0.162.0 drops it"),
                    other if !ATTRIBUTES.contains(&other) => {
                        Some("an attribute cdk-from-cfn 0.162.0 drops")
                    }
                    _ => None,
                };
                if let Some(problem) = problem {
                    problems.push(format!(
                        "Resources.{id}.{key}: {problem}; fix: remove it from the template"
                    ));
                }
            }
            for section in ["Properties", "Metadata", "UpdatePolicy"] {
                if let Some(value) = resource.get(section) {
                    intrinsics(
                        value,
                        &format!("Resources.{id}.{section}"),
                        &parameters,
                        &mut problems,
                    );
                }
            }
        }
    }
    if let Some(Value::Object(outputs)) = doc.get("Outputs") {
        for (name, output) in outputs {
            if output.get("Condition").is_some() {
                problems.push(format!(
                    "Outputs.{name}.Condition: conditions are evaluated at synth time (see Conditions); fix: \
                     remove it from the template"
                ));
            }
            intrinsics(
                output,
                &format!("Outputs.{name}"),
                &parameters,
                &mut problems,
            );
        }
    }
    problems
}

/// Replaces each `Number` parameter that has a `Default` by that value: `Ref`s become the number, `${Name}` in a
/// `Fn::Sub` string its text; the parameter is removed. cdk-from-cfn 0.162.0 declares such a parameter as a
/// `string` prop with a number default, which TypeScript refuses, and the stack it was meant for deploys the
/// default anyway (the app passes no props).
fn inline_number_parameters(template: &mut Value) {
    let Some(parameters) = template
        .get_mut("Parameters")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let numbers: Vec<(String, Value)> = parameters
        .iter()
        .filter(|(_, p)| p["Type"] == "Number")
        .filter_map(|(name, p)| {
            let number = match &p["Default"] {
                Value::Number(n) => Value::Number(n.clone()),
                Value::String(s) => serde_json::from_str::<serde_json::Number>(s)
                    .ok()
                    .map(Value::Number)?,
                _ => return None,
            };
            Some((name.clone(), number))
        })
        .collect();
    for (name, _) in &numbers {
        parameters.remove(name);
    }
    for section in ["Resources", "Outputs"] {
        if let Some(value) = template.get_mut(section) {
            substitute(value, &numbers);
        }
    }
}

fn substitute(value: &mut Value, numbers: &[(String, Value)]) {
    let replaced = match value {
        Value::Object(map) if map.len() == 1 => {
            if let Some(Value::String(name)) = map.get("Ref") {
                numbers
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            } else {
                None
            }
        }
        _ => None,
    };
    if let Some(number) = replaced {
        *value = number;
        return;
    }
    match value {
        Value::Object(map) => {
            if let Some(sub) = map.get_mut("Fn::Sub") {
                let (text, shadowed): (Option<&mut Value>, Vec<String>) = match sub {
                    Value::String(_) => (Some(sub), Vec::new()),
                    Value::Array(items) => {
                        let shadowed = items
                            .get(1)
                            .and_then(Value::as_object)
                            .map(|vars| vars.keys().cloned().collect())
                            .unwrap_or_default();
                        (items.get_mut(0), shadowed)
                    }
                    _ => (None, Vec::new()),
                };
                if let Some(Value::String(text)) = text {
                    for (name, number) in numbers.iter().filter(|(n, _)| !shadowed.contains(n)) {
                        *text = text.replace(&format!("${{{name}}}"), &number.to_string());
                    }
                }
            }
            for child in map.values_mut() {
                substitute(child, numbers);
            }
        }
        Value::Array(items) => {
            for child in items {
                substitute(child, numbers);
            }
        }
        _ => {}
    }
}

/// `AWS::<service>::<resource>`.
fn is_resource_type(rtype: &str) -> bool {
    let parts: Vec<&str> = rtype.split("::").collect();
    parts.len() == 3
        && parts[0] == "AWS"
        && parts[1..]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Finds, under `value` at `path`, the intrinsic functions the converter does not translate faithfully.
fn intrinsics(value: &Value, path: &str, parameters: &[String], problems: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if map.len() == 1
                && let Some((key, args)) = map.iter().next()
                && key.starts_with("Fn::")
            {
                if !INTRINSICS.contains(&key.as_str()) {
                    problems.push(format!(
                        "{path}: `{key}` is not an intrinsic function cdk-from-cfn 0.162.0 knows (it would copy it \
                         as a property); fix: write it with {}",
                        INTRINSICS.join(", ")
                    ));
                    return;
                }
                if key == "Fn::If" {
                    problems.push(format!(
                        "{path}: `Fn::If`: conditions are evaluated at synth time (see Conditions); fix: remove it \
                         from the template"
                    ));
                    return;
                }
                if key == "Fn::FindInMap"
                    && let Some(items) = args.as_array()
                    && items
                        .iter()
                        .skip(1)
                        .any(|k| !is_known_at_synth(k, parameters))
                {
                    problems.push(format!(
                        "{path}: `Fn::FindInMap` with a key known only at deploy time: cdk-from-cfn 0.162.0 looks \
                         the key up in the app's code at synth time, where it is an unresolved token; fix: use \
                         literal keys or parameters"
                    ));
                    return;
                }
            }
            for (key, child) in map {
                intrinsics(child, &format!("{path}.{key}"), parameters, problems);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                intrinsics(child, &format!("{path}[{i}]"), parameters, problems);
            }
        }
        _ => {}
    }
}

/// A literal, or a `Ref` to a template parameter (a construct prop in the app).
fn is_known_at_synth(value: &Value, parameters: &[String]) -> bool {
    match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => true,
        Value::Object(map) if map.len() == 1 => map
            .get("Ref")
            .and_then(Value::as_str)
            .is_some_and(|name| parameters.iter().any(|p| p == name)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_plain_template_converts_and_loses_only_the_default_replace_policy() {
        let mut template = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {"Stage": {"Type": "String", "Default": "prod"}},
            "Mappings": {"Sizes": {"prod": {"Memory": 128}}},
            "Resources": {
                "Table": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Delete",
                          "UpdateReplacePolicy": "Delete", "Properties": {"BillingMode": "PAY_PER_REQUEST"}},
                "Fn": {"Type": "AWS::Lambda::Function", "DependsOn": ["Table"], "Properties": {
                    "MemorySize": {"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]},
                    "Environment": {"Variables": {"T": {"Fn::Sub": "${Table}-${AWS::Region}"}}}}}
            },
            "Outputs": {"TableName": {"Value": {"Ref": "Table"}}}
        });
        assert_eq!(resolve(&mut template), Vec::<String>::new());
        assert!(
            template["Resources"]["Table"]
                .get("UpdateReplacePolicy")
                .is_none()
        );
        assert_eq!(template["Resources"]["Table"]["DeletionPolicy"], "Delete");
    }

    #[test]
    fn number_parameters_are_inlined_at_their_default() {
        let mut template = json!({
            "Parameters": {"Days": {"Type": "Number", "Default": 14}, "Size": {"Type": "Number", "Default": "128"},
                           "Stage": {"Type": "String", "Default": "prod"}},
            "Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {
                "RetentionInDays": {"Ref": "Days"},
                "LogGroupName": {"Fn::Sub": "/x/${Stage}/${Days}"},
                "Other": {"Fn::Sub": ["${Size}-${Days}", {"Days": "own"}]}}}},
            "Outputs": {"Size": {"Value": {"Ref": "Size"}}}
        });
        assert_eq!(resolve(&mut template), Vec::<String>::new());
        assert_eq!(
            template["Parameters"],
            json!({"Stage": {"Type": "String", "Default": "prod"}})
        );
        let props = &template["Resources"]["Logs"]["Properties"];
        assert_eq!(props["RetentionInDays"], json!(14));
        assert_eq!(props["LogGroupName"], json!({"Fn::Sub": "/x/${Stage}/14"}));
        assert_eq!(
            props["Other"],
            json!({"Fn::Sub": ["128-${Days}", {"Days": "own"}]})
        );
        assert_eq!(template["Outputs"]["Size"]["Value"], json!(128));
    }

    #[test]
    fn each_construct_the_converter_cannot_take_is_named_with_its_resource() {
        let mut template = json!({
            "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}},
            "Rules": {},
            "Parameters": {"Name": {"Type": "String"}},
            "Resources": {
                "Bucket": {"Type": "AWS::S3::Bucket", "Condition": "IsProd", "UpdateReplacePolicy": "Retain",
                           "CreationPolicy": {}, "Properties": {
                               "BucketName": {"Fn::If": ["IsProd", "a", "b"]},
                               "Tags": [{"Key": "n", "Value": {"Fn::Length": [1]}}]}},
                "Custom": {"Type": "Custom::Thing", "Properties": {
                    "Size": {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "Size"]}}}
            },
            "Outputs": {"Name": {"Condition": "IsProd", "Value": {"Ref": "Bucket"}}}
        });
        let problems = resolve(&mut template);
        let expected = [
            "Conditions: ",
            "Rules: cdk-from-cfn 0.162.0 drops this section",
            "Parameters.Name: has no Default",
            "Resources.Bucket.Condition: ",
            "Resources.Bucket.UpdateReplacePolicy: `UpdateReplacePolicy` other than Delete",
            "Resources.Bucket.CreationPolicy: ",
            "Resources.Bucket.Properties.BucketName: `Fn::If`",
            "Resources.Bucket.Properties.Tags[0].Value: `Fn::Length` is not an intrinsic function",
            "Resources.Custom: type `Custom::Thing`",
            "Resources.Custom.Properties.Size: `Fn::FindInMap` with a key known only at deploy time",
            "Outputs.Name.Condition: ",
        ];
        for start in expected {
            assert!(
                problems
                    .iter()
                    .any(|p| p.starts_with(start) && p.contains("fix: ")),
                "no `{start}` in {problems:#?}"
            );
        }
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    }
}
