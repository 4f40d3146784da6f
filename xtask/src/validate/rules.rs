//! The rules AWS enforces that an emulator (moto) does not, checked on the pattern's own IaC so a pattern that
//! deploys locally also deploys on AWS: REST VPC links (v1) target only NLBs, an integration over a VPC link v2
//! names its load balancer, Rust Lambdas run on `provided.al2023`, IAM statements list exact actions, and load
//! balancers meant to be private are internal.

mod iam;
mod lb_internal;
mod runtime;
mod vpc_link;
mod vpc_link_v2;

use anyhow::Result;

use super::{
    Finding, read_template,
    tf_config::{self, TfModule},
};
use crate::{cfn::Template, pattern::Pattern};

/// The rules on every module of the pattern's Terraform configuration.
pub fn terraform(p: &Pattern) -> Result<Vec<Finding>> {
    let dir = p.terraform_dir();
    if !dir.is_dir() {
        // files.rs reports the missing folder (`file-missing` on `terraform.dir`).
        return Ok(Vec::new());
    }
    let (modules, mut findings) = tf_config::load_tree(&dir)?;
    for module in &modules {
        findings.extend(terraform_module(module));
    }
    Ok(findings)
}

fn terraform_module(module: &TfModule) -> Vec<Finding> {
    let mut findings = vpc_link::terraform(module);
    findings.extend(vpc_link_v2::terraform(module));
    findings.extend(runtime::terraform(module));
    findings.extend(iam::terraform(module));
    findings.extend(lb_internal::terraform(module));
    findings
}

/// The rules on the pattern's SAM template.
pub fn sam(p: &Pattern) -> Result<Vec<Finding>> {
    let path = p.sam_template();
    if !path.is_file() {
        // files.rs reports the missing template (`file-missing` on `sam.template`).
        return Ok(Vec::new());
    }
    Ok(match read_template(&path)? {
        Ok(template) => sam_template(&template),
        Err(parse_error) => vec![parse_error],
    })
}

fn sam_template(template: &Template) -> Vec<Finding> {
    let mut findings = vpc_link::cfn(template);
    findings.extend(vpc_link_v2::cfn(template));
    findings.extend(runtime::cfn(template));
    findings.extend(iam::cfn(template));
    findings.extend(lb_internal::cfn(template));
    findings
}

#[cfg(test)]
mod test_util {
    use std::path::PathBuf;

    use super::*;
    use crate::validate::tf_config::TfFile;

    /// A one-file module from HCL text.
    pub fn module(text: &str) -> TfModule {
        let body = hcl::edit::parser::parse_body(text).unwrap();
        TfModule {
            dir: PathBuf::from("terraform"),
            files: vec![TfFile {
                path: PathBuf::from("terraform/main.tf"),
                text: text.to_owned(),
                body,
            }],
        }
    }

    /// The 1-based line of the first line containing `needle`.
    pub fn line_of(text: &str, needle: &str) -> usize {
        text.lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?}"))
            + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_support::Scratch;

    #[test]
    fn the_good_fixture_passes_every_rule() {
        let s = Scratch::from_fixture("good", "good-pattern");
        let p = s.pattern();
        let tf = terraform(&p).unwrap();
        assert!(tf.is_empty(), "{tf:#?}");
        let cfn = sam(&p).unwrap();
        assert!(cfn.is_empty(), "{cfn:#?}");
    }

    #[test]
    fn parse_errors_are_findings() {
        let s = Scratch::from_fixture("good", "good-pattern");
        s.write(
            "terraform/broken.tf",
            "resource \"aws_lb\" \"x\" {\n  name = \n}\n",
        );
        s.write("template.yaml", "Resources:\n  A: [unclosed\n");
        let p = s.pattern();
        let tf = terraform(&p).unwrap();
        assert_eq!(tf.len(), 1, "{tf:#?}");
        assert_eq!(tf[0].rule, "terraform-parse");
        assert!(tf[0].file.ends_with("broken.tf"));
        let cfn = sam(&p).unwrap();
        assert_eq!(cfn.len(), 1, "{cfn:#?}");
        assert_eq!(cfn[0].rule, "sam-parse");
    }
}
