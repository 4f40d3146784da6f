//! The SAM template's parameters for one target: `[sam.parameters.local]` / `[sam.parameters.aws]` of
//! `pattern.toml` (what `sam deploy --parameter-overrides` would give), so a template whose parameters have no
//! `Default` (a VPC id, subnet ids: common in the upstream collection) deploys unchanged. Local values may use
//! the local cloud's placeholders, filled from its default VPC (moto makes one per region, with a default
//! subnet per availability zone): `{local:default_vpc}` (its id) and `{local:default_subnets}` (its default
//! subnets' ids, comma-separated, as a `List<AWS::EC2::Subnet::Id>` parameter takes them).

use anyhow::{Result, bail};
use serde_yaml::Value;

use crate::{
    aws::raw::{self, percent_encode, xml_texts},
    cfn::Template,
    flags::Target,
    pattern::Pattern,
};

/// The local cloud's default VPC id.
pub const DEFAULT_VPC: &str = "{local:default_vpc}";
/// The local cloud's default subnets, comma-separated.
pub const DEFAULT_SUBNETS: &str = "{local:default_subnets}";
const PLACEHOLDERS: [&str; 2] = [DEFAULT_VPC, DEFAULT_SUBNETS];

/// The template's parameters that have no `Default`: a stack cannot be created without a value for each.
pub fn without_default(template: &Template) -> Vec<String> {
    let Some(Value::Mapping(params)) = template.doc.get("Parameters") else {
        return Vec::new();
    };
    params
        .iter()
        .filter(|(_, p)| p.get("Default").is_none())
        .filter_map(|(name, _)| name.as_str().map(str::to_owned))
        .collect()
}

/// The values `pattern.toml` gives for `target`.
fn given(p: &Pattern, target: Target) -> &std::collections::BTreeMap<String, String> {
    match target {
        Target::Local => &p.manifest.sam.parameters.local,
        Target::Aws => &p.manifest.sam.parameters.aws,
    }
}

fn target_name(target: Target) -> &'static str {
    match target {
        Target::Local => "local",
        Target::Aws => "aws",
    }
}

/// What is wrong with `[sam.parameters.<target>]` for `template`, one message (with its fix) each: a parameter
/// without `Default` and without a value (in pattern.toml or `overrides`), a local placeholder that does not
/// exist, or one used for AWS.
pub fn problems(
    p: &Pattern,
    template: &Template,
    target: Target,
    overrides: &[(String, String)],
) -> Vec<String> {
    let name = target_name(target);
    let values = given(p, target);
    let mut out = Vec::new();
    for param in without_default(template) {
        if !values.contains_key(&param) && !overrides.iter().any(|(k, _)| *k == param) {
            let hint = match target {
                Target::Local => format!(
                    " (the local cloud fills {DEFAULT_VPC} with its default VPC's id and {DEFAULT_SUBNETS} with \
                     its default subnets)"
                ),
                Target::Aws => String::new(),
            };
            out.push(format!(
                "parameter `{param}` of {} has no Default and no value for --target {name}; fix: add \
                 `{param} = \"...\"` under [sam.parameters.{name}]{hint}",
                template.path.display()
            ));
        }
    }
    for (param, value) in values {
        for placeholder in placeholders_in(value) {
            if target == Target::Aws {
                out.push(format!(
                    "[sam.parameters.aws] `{param}` uses {placeholder}, which only the local cloud fills; fix: give \
                     the value in your account"
                ));
            } else if !PLACEHOLDERS.contains(&placeholder) {
                out.push(format!(
                    "[sam.parameters.local] `{param}` uses {placeholder}, which the local cloud does not know; fix: \
                     use one of {}",
                    PLACEHOLDERS.join(", ")
                ));
            }
        }
    }
    out
}

/// Every `{local:...}` in `value`.
fn placeholders_in(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("{local:") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push(&rest[start..start + len + 1]);
        rest = &rest[start + len + 1..];
    }
    out
}

/// The parameters to deploy `p` with on `target`: its `[sam.parameters.<target>]` (placeholders filled from the
/// local cloud at `edge`), then `overrides`; an error naming pattern.toml, the field and the fix when one is
/// missing.
pub fn for_target(
    p: &Pattern,
    template: &Template,
    target: Target,
    edge: Option<&str>,
    overrides: &[(String, String)],
) -> Result<Vec<(String, String)>> {
    let overridden = |name: &str| overrides.iter().any(|(k, _)| k == name);
    let problems = problems(p, template, target, overrides);
    if !problems.is_empty() {
        bail!(
            "{}: field `sam.parameters.{}`: {}",
            p.manifest_path().display(),
            target_name(target),
            problems.join("\n  ")
        );
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in given(p, target) {
        if overridden(name) {
            continue;
        }
        let value = match (target, edge) {
            (Target::Local, Some(edge)) if !placeholders_in(value).is_empty() => fill(edge, value)?,
            _ => value.clone(),
        };
        out.push((name.clone(), value));
    }
    out.extend(overrides.iter().cloned());
    Ok(out)
}

/// `value` with the local cloud's placeholders replaced by what the local cloud at `edge` holds.
fn fill(edge: &str, value: &str) -> Result<String> {
    let vpc = default_vpc(edge)?;
    let mut out = value.replace(DEFAULT_VPC, &vpc);
    if out.contains(DEFAULT_SUBNETS) {
        out = out.replace(DEFAULT_SUBNETS, &default_subnets(edge, &vpc)?.join(","));
    }
    Ok(out)
}

fn default_vpc(edge: &str) -> Result<String> {
    let (status, xml) = raw::query(
        edge,
        "ec2",
        "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=isDefault&Filter.1.Value.1=true",
    )?;
    match xml_texts(&xml, "vpcId").into_iter().next() {
        Some(vpc) if status == 200 => Ok(vpc),
        _ => bail!(
            "the local cloud has no default VPC to fill {DEFAULT_VPC} (DescribeVpcs answered {status}); fix: \
             `cargo xtask local down && cargo xtask local up` starts a fresh one"
        ),
    }
}

fn default_subnets(edge: &str, vpc: &str) -> Result<Vec<String>> {
    let (status, xml) = raw::query(
        edge,
        "ec2",
        &format!(
            "Action=DescribeSubnets&Version=2016-11-15&Filter.1.Name=vpc-id&Filter.1.Value.1={}\
             &Filter.2.Name=default-for-az&Filter.2.Value.1=true",
            percent_encode(vpc)
        ),
    )?;
    let subnets = xml_texts(&xml, "subnetId");
    if status != 200 || subnets.is_empty() {
        bail!(
            "the local cloud's default VPC {vpc} has no default subnets to fill {DEFAULT_SUBNETS} ({status})"
        );
    }
    Ok(subnets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_support::Scratch;

    const TEMPLATE: &str = "
Parameters:
  VpcId:
    Type: AWS::EC2::VPC::Id
  SubnetIds:
    Type: List<AWS::EC2::Subnet::Id>
  Stage:
    Type: String
    Default: prod
Resources: {}
";

    /// The good fixture (which gives both parameters locally) with `edit` applied to its pattern.toml.
    fn pattern_with(edit: impl FnOnce(&Scratch)) -> (Scratch, Pattern) {
        let s = Scratch::from_fixture("good", "good-pattern");
        edit(&s);
        let p = s.pattern();
        (s, p)
    }

    #[test]
    fn parameters_without_default_need_a_value_per_target() {
        let template = Template::parse(TEMPLATE);
        assert_eq!(without_default(&template), ["VpcId", "SubnetIds"]);
        let (_s, p) = pattern_with(|s| {
            s.edit(
                "pattern.toml",
                "{local:default_subnets}",
                "{local:default_subnet}",
            );
        });
        let local = problems(&p, &template, Target::Local, &[]);
        assert_eq!(local.len(), 1, "{local:?}");
        assert!(
            local[0].contains("{local:default_subnet}, which the local cloud does not know"),
            "{local:?}"
        );
        let aws = problems(&p, &template, Target::Aws, &[]);
        assert_eq!(aws.len(), 2, "{aws:?}");
        assert!(
            aws[0].starts_with("parameter `VpcId` ") && aws[0].contains("[sam.parameters.aws]"),
            "{aws:?}"
        );
        // Given on the command line instead: no problem.
        let overrides = [
            ("VpcId".to_owned(), "vpc-1".to_owned()),
            ("SubnetIds".to_owned(), "subnet-1".to_owned()),
        ];
        let values = for_target(&p, &template, Target::Aws, None, &overrides).unwrap();
        assert_eq!(values, overrides);
    }

    #[test]
    fn placeholders_are_found_and_refused_for_aws() {
        assert_eq!(
            placeholders_in("{local:default_vpc},{local:x}"),
            ["{local:default_vpc}", "{local:x}"]
        );
        let (_s, p) = pattern_with(|s| {
            let manifest = s.read("pattern.toml")
                + "\n[sam.parameters.aws]\nVpcId = \"{local:default_vpc}\"\nSubnetIds = \"subnet-1\"\n";
            s.write("pattern.toml", &manifest);
        });
        let err = for_target(&p, &Template::parse(TEMPLATE), Target::Aws, None, &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("pattern.toml: field `sam.parameters.aws`")
                && err.contains("only the local cloud fills"),
            "{err}"
        );
    }
}
