//! `cargo xtask diagram`: the architecture of a deployed pattern as Mermaid, drawn from what the local cloud holds
//! (`diagram/deployed.rs`), and the check `test` runs: the README's diagram (`diagram/readme.rs`) has the same
//! resources and wiring, names aside (`diagram/graph.rs`).

mod deployed;
mod graph;
mod readme;

use anyhow::{Result, bail};

use crate::{
    deploy::Deployment,
    flags::{DiagramArgs, Iac, Target},
    pattern,
};

/// `cargo xtask diagram`: prints the deployed pattern's graph (Mermaid, or JSON with `--json`); `--check` compares
/// it with the README's and fails naming each difference.
pub fn run(args: &DiagramArgs) -> Result<()> {
    let pattern = pattern::one(&args.pattern)?;
    let dep = Deployment::new(&pattern, &args.deploy)?;
    let deployed = read_deployed(&dep)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&deployed)?);
    } else if !args.check {
        print!("{}", deployed.to_mermaid());
    }
    if args.check {
        check(&dep, &deployed)?;
        println!(
            "{}: the README's diagram matches the deployment",
            pattern.name
        );
    }
    Ok(())
}

fn read_deployed(dep: &Deployment<'_>) -> Result<graph::Graph> {
    if dep.target == Target::Aws {
        bail!(
            "`diagram` draws what the local cloud holds; fix: deploy to the local target (`cargo xtask deploy {}`)",
            dep.pattern.name
        );
    }
    let Some(cloud) = crate::local::running() else {
        bail!(
            "the local cloud is not running, so nothing of `{0}` is deployed; fix: `cargo xtask deploy {0}`",
            dep.pattern.name
        );
    };
    let stack = match dep.iac {
        Iac::Terraform => None,
        Iac::Sam | Iac::Cdk => Some(crate::deploy::sam::stack_name(dep)),
    };
    let graph = deployed::read(&cloud.edge_url, &dep.pattern.name, stack.as_deref())?;
    if graph.nodes.is_empty() {
        bail!(
            "nothing of `{0}` is deployed in the local cloud; fix: `cargo xtask deploy {0}`",
            dep.pattern.name
        );
    }
    Ok(graph)
}

/// The README's diagram against a deployed local graph: an error listing every difference.
fn check(dep: &Deployment<'_>, deployed: &graph::Graph) -> Result<()> {
    let readme = dep.pattern.dir.join("README.md");
    if !readme::draws_a_diagram(&readme)? {
        // A README without a picture makes no claim to check: a pattern copied from the upstream collection draws
        // its architecture as an image. The collection's own READMEs must draw one
        // (`diagram::readme::tests::every_pattern_readme_has_a_readable_diagram`).
        println!(
            "{}: no Mermaid diagram, so no architecture check; `cargo xtask diagram {}` prints the deployed one",
            readme.display(),
            dep.pattern.name
        );
        return Ok(());
    }
    let flavours: &[&str] = match dep.iac {
        Iac::Cdk => &["cdk", "sam"],
        iac => &[iac.as_str()],
    };
    let drawn = readme::read(&readme, flavours)?;
    let differences = graph::differences(&drawn, deployed);
    if !differences.is_empty() {
        bail!(
            "the architecture diagram in {} does not match what the {} flavour deployed:\n  - {}\nfix: correct the \
             diagram (or the IaC); `cargo xtask diagram {}` prints the deployed wiring",
            readme.display(),
            dep.iac.as_str(),
            differences.join("\n  - "),
            dep.pattern.name
        );
    }
    Ok(())
}

/// The check `test` runs after verify on the local target.
pub fn check_deployed(dep: &Deployment<'_>) -> Result<()> {
    let deployed = read_deployed(dep)?;
    check(dep, &deployed)
}
