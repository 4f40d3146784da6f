//! Deploy-level tests of the SAM driver against the local cloud: a stack found by name without a work directory,
//! and a crate at the pattern root.

use super::*;
use crate::{
    deploy::{Options, deploy_with},
    destroy::destroy,
    flags::DeployArgs,
    pattern::{Pattern, project_root},
};

/// A deploy interrupted before the work directory was written (or a lost `.work/`): destroy still finds the
/// stack by its name and deletes it; a second destroy finds nothing and says so. Uses the local cloud.
#[test]
fn destroy_finds_the_stack_by_name_without_a_work_dir() {
    let _cloud = crate::local::TestUse::hold();
    let pattern = Pattern::load(&project_root().join("tests/sam-interrupted")).unwrap();
    let args = DeployArgs {
        target: Target::Local,
        iac: None,
        keep: false,
        release: false,
    };
    let dep = Deployment::new(&pattern, &args).unwrap();
    let options = Options {
        skip_validation: true,
        ..Options::default()
    };
    deploy_with(&dep, &options).expect("deploy of the fixture stack");
    let edge = crate::local::ensure_up(None).unwrap().edge_url;
    let aws = Aws::connect(Some(&edge)).unwrap();
    let name = Driver::new(&dep, Some(&edge)).unwrap().stack_name();
    assert!(stack::describe(&aws, &name).unwrap().is_some());

    fs::remove_dir_all(dep.work_dir()).unwrap();
    let destroyed = destroy(&dep);
    let left = stack::describe(&aws, &name).unwrap();
    if left.is_some() {
        // Leave nothing behind for the next run, whatever destroy did.
        let _ = Driver::new(&dep, Some(&edge)).and_then(|d| d.destroy());
        let _ = fs::remove_dir_all(dep.work_dir());
    }
    destroyed.expect("destroy without a work directory");
    assert!(left.is_none(), "the stack is deleted: {left:?}");
    assert!(!dep.work_dir().exists(), "no work directory is left");

    destroy(&dep).expect("a second destroy finds nothing and succeeds");
    assert!(!dep.work_dir().exists());
}

/// A crate at the pattern's root (`lambdas = ["."]`, `CodeUri: .`, as the upstream collection lays Rust
/// patterns out) builds, deploys and runs like one under `functions/`. Uses the local cloud.
#[test]
fn a_crate_at_the_pattern_root_deploys_and_runs() {
    let _cloud = crate::local::TestUse::hold();
    let pattern = Pattern::load(&project_root().join("tests/upstream-layout")).unwrap();
    assert_eq!(pattern.lambdas[0].package, "upstream-layout-fn");
    assert_eq!(
        pattern.lambdas[0].dir, pattern.dir,
        "`.` is the pattern folder itself"
    );
    let args = DeployArgs {
        target: Target::Local,
        iac: None,
        keep: false,
        release: false,
    };
    let dep = Deployment::new(&pattern, &args).unwrap();
    let options = Options {
        skip_validation: true, // a fixture, without the README and metadata of a pattern
        ..Options::default()
    };
    let deployed = deploy_with(&dep, &options);
    let invoked = deployed.as_ref().map(|outputs| {
        let edge = crate::local::ensure_up(None).unwrap().edge_url;
        let function = outputs["FunctionName"].as_str().unwrap().to_owned();
        let mut response = ureq::post(&format!(
            "{edge}/2015-03-31/functions/{function}/invocations"
        ))
        .send(r#"{"n":1}"#)
        .expect("invoke");
        response.body_mut().read_to_string().unwrap()
    });
    destroy(&dep).expect("destroy");
    if let Err(err) = deployed {
        panic!("deploy of the root-crate pattern: {err:#}");
    }
    let body: serde_json::Value = serde_json::from_str(&invoked.unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"layout": "pattern root", "echo": {"n": 1}})
    );
}
