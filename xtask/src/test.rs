//! `cargo xtask test`: deploy, verify, destroy, with destroy guaranteed (after a failure or Ctrl-C too)
//! unless `--keep` (Ctrl-C: xtask/src/interrupt.rs); every IaC flavour `pattern.toml` lists unless `--iac` names
//! one (the CDK flavour, which needs Node.js, only when named: `--iac cdk`). On the local target, after verify, the
//! README's architecture diagram is checked against the deployed wiring (xtask/src/diagram.rs). Several patterns
//! are tested a few at a time, each in a child process ([`jobs`]).

mod jobs;

use anyhow::{Result, bail};

use crate::{
    deploy::{self, Deployment},
    destroy, diagram,
    flags::{DeployArgs, Selection, Target},
    interrupt,
    pattern::{self, Pattern},
    verify,
};

/// `cargo xtask test`: tests each selected pattern, every flavour in turn (or the one `--iac` names), up to `jobs`
/// patterns at once; fails naming the ones that failed.
pub fn run(selection: &Selection, args: &DeployArgs, jobs: usize) -> Result<()> {
    let patterns = pattern::select(selection)?;
    if jobs > 1 && patterns.len() > 1 {
        return jobs::run(&patterns, args, jobs);
    }
    let mut failed = Vec::new();
    for pattern in &patterns {
        let flavours = match args.iac {
            Some(iac) => vec![iac],
            None => pattern.manifest.iac.clone(),
        };
        for iac in flavours {
            interrupt::check()?;
            let args = DeployArgs {
                iac: Some(iac),
                ..args.clone()
            };
            let label = if pattern.flavours().len() > 1 {
                format!("{} ({})", pattern.name, iac.as_str())
            } else {
                pattern.name.clone()
            };
            if !test_one(pattern, &args, &label)? {
                failed.push(label);
            }
        }
    }
    if !failed.is_empty() {
        bail!("test failed for: {}", failed.join(", "));
    }
    Ok(())
}

/// Deploys, verifies and destroys one flavour of a pattern; `Ok(false)` when it failed (reported here).
fn test_one(pattern: &Pattern, args: &DeployArgs, label: &str) -> Result<bool> {
    let dep = Deployment::new(pattern, args)?;
    let started = std::time::Instant::now();
    let result = deploy::deploy(&dep, args.keep).and_then(|outputs| {
        interrupt::check()?;
        verify::run_checks(&dep, &outputs, false)?;
        // The README's architecture diagram against what was deployed (the local cloud answers for its wiring).
        if dep.target == Target::Local {
            diagram::check_deployed(&dep)?;
        }
        Ok(())
    });
    let mut passed = true;
    if args.keep {
        let iac = args
            .iac
            .map(|i| format!(" --iac {}", i.as_str()))
            .unwrap_or_default();
        println!(
            "kept the deployment of {label} (--keep): `cargo xtask destroy {}{iac}` removes it",
            pattern.name
        );
    } else if let Err(err) = destroy::destroy(&dep) {
        eprintln!("destroy of {label} failed: {err:#}");
        passed = false;
    }
    match result {
        Ok(()) => println!(
            "{label}: test passed in {:.1} s",
            started.elapsed().as_secs_f64()
        ),
        Err(err) => {
            eprintln!("{label}: test failed: {err:#}");
            passed = false;
        }
    }
    interrupt::check()?;
    Ok(passed)
}
