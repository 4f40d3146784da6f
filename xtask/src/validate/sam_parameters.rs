//! Rule `sam-parameters`: every parameter of the SAM template without a `Default` has a local value in
//! `pattern.toml` (`[sam.parameters.local]`, local placeholders known), so the local deploy CI runs can create
//! the stack; values for `--target aws` are checked when deploying there (they are the user's account's).

use anyhow::Result;

use super::{Finding, read_template};
use crate::{deploy::sam::parameters, flags::Target, pattern::Pattern};

pub fn check(p: &Pattern) -> Result<Vec<Finding>> {
    let path = p.sam_template();
    if !path.is_file() {
        return Ok(Vec::new()); // files.rs reports the missing template
    }
    let Ok(template) = read_template(&path)? else {
        return Ok(Vec::new()); // rules.rs reports a template that does not parse
    };
    Ok(parameters::problems(p, &template, Target::Local, &[])
        .into_iter()
        .map(|problem| {
            let (message, fix) = problem
                .split_once("; fix: ")
                .map_or((problem.as_str(), "see CONTRIBUTING.md"), |(m, f)| (m, f));
            Finding::new(
                p.manifest_path(),
                "sam.parameters.local",
                "sam-parameters",
                message,
                fix,
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_support::Scratch;

    #[test]
    fn a_parameter_without_default_needs_a_local_value() {
        let s = Scratch::from_fixture("good", "good-pattern");
        assert!(
            check(&s.pattern()).unwrap().is_empty(),
            "the fixture gives both"
        );
        s.edit("pattern.toml", "VpcId = \"{local:default_vpc}\"\n", "");
        let findings = check(&s.pattern()).unwrap();
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].rule, "sam-parameters");
        assert_eq!(findings[0].location, "sam.parameters.local");
        assert!(
            findings[0].message.contains("parameter `VpcId`"),
            "{findings:#?}"
        );
        assert!(
            findings[0].fix.contains("[sam.parameters.local]"),
            "{findings:#?}"
        );
    }
}
