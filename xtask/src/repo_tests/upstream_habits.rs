//! A SAM pattern written with the upstream collection's habits (`tests/upstream-habits`) deploys, runs and is
//! destroyed on the local cloud as on AWS: `RUST_BACKTRACE: 1` in `Environment.Variables` reaches the function
//! as the string "1" (CloudFormation stringifies it), two crates whose binaries are both `handler` each run their
//! own code, and a bucket that holds an object is emptied by `destroy` before the stack's deletion (CloudFormation
//! fails to delete a non-empty bucket, DELETE_FAILED "The bucket you tried to delete is not empty", as
//! `python/tests/test_s3.py` proves of the local cloud) and proved gone afterwards; its parameters without a
//! Default get pattern.toml's local values, the local cloud's default VPC and subnets. Uses the local cloud.

use crate::{
    aws::raw,
    deploy::{Deployment, Options, deploy_with},
    destroy::destroy,
    flags::{DeployArgs, Target},
    pattern::{Pattern, project_root},
};

fn invoke(edge: &str, function: &str) -> serde_json::Value {
    let mut response = ureq::post(&format!(
        "{edge}/2015-03-31/functions/{function}/invocations"
    ))
    .send("{}")
    .unwrap_or_else(|e| panic!("invoking {function}: {e}"));
    let body = response.body_mut().read_to_string().unwrap();
    serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"))
}

#[test]
fn a_template_with_upstream_habits_deploys_runs_and_is_destroyed_as_on_aws() {
    let _cloud = crate::local::TestUse::hold();
    let pattern = Pattern::load(&project_root().join("tests/upstream-habits")).unwrap();
    let bins: Vec<&str> = pattern
        .lambdas
        .iter()
        .flat_map(|l| l.bins.iter().map(|b| b.name.as_str()))
        .collect();
    assert_eq!(bins, ["handler", "handler"], "both crates build `handler`");
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
    let outputs = match deploy_with(&dep, &options) {
        Ok(outputs) => outputs,
        Err(err) => {
            let _ = destroy(&dep);
            panic!("deploy of the fixture: {err:#}");
        }
    };
    let edge = crate::local::ensure_up(None).unwrap().edge_url;
    let output = |name: &str| outputs[name].as_str().unwrap().to_owned();
    let (greeter, counter) = (
        invoke(&edge, &output("GreeterName")),
        invoke(&edge, &output("CounterName")),
    );

    let (status, vpcs) = raw::query(
        &edge,
        "ec2",
        "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=isDefault&Filter.1.Value.1=true",
    )
    .unwrap();
    let default_vpc = raw::xml_texts(&vpcs, "vpcId");
    let (vpc_param, subnets_param) = (output("VpcId"), output("SubnetIds"));

    // An object left in the bucket: CloudFormation would refuse to delete the bucket, so destroy empties it first.
    let bucket = output("BucketName");
    let put = raw::rest(&edge, "PUT", "s3", &format!("/{bucket}/note.txt")).unwrap();
    assert_eq!(put.0, 200, "PutObject: {put:?}");
    let destroyed = destroy(&dep).map_err(|e| format!("{e:#}"));
    let bucket_after = raw::get(&edge, "s3", &format!("/{bucket}?location")).unwrap();

    assert_eq!(status, 200, "{vpcs}");
    assert_eq!(
        [vpc_param],
        default_vpc.as_slice(),
        "{{local:default_vpc}} is the default VPC"
    );
    assert!(
        subnets_param.split(',').all(|s| s.starts_with("subnet-")) && !subnets_param.is_empty(),
        "{{local:default_subnets}}: {subnets_param}"
    );
    assert_eq!(
        greeter,
        serde_json::json!({"crate": "greeter", "backtrace": "1"}),
        "RUST_BACKTRACE: 1 arrives as the string \"1\""
    );
    assert_eq!(
        counter,
        serde_json::json!({"crate": "counter", "backtrace": "1"}),
        "each crate's own `handler` binary runs"
    );
    destroyed.expect("destroy empties the bucket, then deletes the stack");
    assert!(
        bucket_after.0 == 404 && bucket_after.1.contains("NoSuchBucket"),
        "the bucket is gone: {bucket_after:?}"
    );
}
