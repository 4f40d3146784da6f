//! Fidelity tests: deploy the deliberately misbehaving variants in `tests/fidelity/` to the local cloud and
//! assert that each fails exactly as AWS answers. Needs terraform and the Python tools (`cargo xtask setup`).

use std::time::{Duration, Instant};

use crate::{
    deploy::{self, Deployment, Options, Outputs},
    destroy::destroy,
    flags::{DeployArgs, Target},
    pattern::{Pattern, project_root},
};

fn get(url: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let url = crate::verify::local_form(url);
    let mut response = agent
        .get(&url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap(),
    )
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"))
}

/// The cases, each returning an error message instead of panicking so every case runs and destroy follows.
fn cases(
    pattern: &Pattern,
    dep: &Deployment<'_>,
    outputs: &Outputs,
) -> Vec<(&'static str, Result<(), String>)> {
    let api = outputs["api_url"].as_str().unwrap().to_owned();
    let edge = crate::local::ensure_up(None).unwrap().edge_url;
    let mut results = Vec::new();
    let check = |cond: bool, what: String| if cond { Ok(()) } else { Err(what) };

    let (status, body) = get(&format!("{api}/malformed"));
    results.push((
        "malformed proxy response -> 502 Internal server error",
        check(
            status == 502 && json(&body) == serde_json::json!({"message": "Internal server error"}),
            format!("{status} {body}"),
        ),
    ));

    let (status, body) = get(&format!("{api}/panic"));
    results.push((
        "panicking Lambda -> 502",
        check(status == 502, format!("{status} {body}")),
    ));

    let (status, body) = get(&format!("{api}/nope"));
    results.push((
        "unknown route without {proxy+} -> 403 Missing Authentication Token",
        check(
            status == 403
                && json(&body) == serde_json::json!({"message": "Missing Authentication Token"}),
            format!("{status} {body}"),
        ),
    ));

    let (status, body) = get(&format!("{api}/slow"));
    let mut outcome = check(status == 504, format!("{status} {body}"));
    if outcome.is_ok() {
        // The integration gave up after 1 s; the function itself times out after its 2 s.
        let deadline = Instant::now() + Duration::from_secs(15);
        let wanted = "Task timed out after 2.00 seconds";
        outcome = loop {
            let messages = crate::aws::json::log_messages(&edge, "/aws/lambda/fidelity-slow")
                .unwrap_or_default();
            if messages.iter().any(|m| m.contains(wanted)) {
                break Ok(());
            }
            if Instant::now() > deadline {
                break Err(format!(
                    "no `{wanted}` line in /aws/lambda/fidelity-slow: {messages:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        };
    }
    results.push((
        "Lambda past its timeout -> 504 and the timeout line in its log",
        outcome,
    ));

    let (status, body) = get(&format!("{api}/alb"));
    results.push((
        "VPC link -> NLB -> ALB -> Lambda with the ELB permission -> 200",
        check(status == 200, format!("{status} {body}")),
    ));

    // Remove the ELB invoke permission (a second apply), as an operator could on AWS.
    let without = Options {
        skip_validation: true,
        extra_vars: vec![("alb_permission".into(), "false".into())],
        ..Options::default()
    };
    let outcome = match deploy::deploy_with(dep, &without) {
        Ok(_) => {
            let (status, body) = get(&format!("{api}/alb"));
            check(status == 502, format!("{status} {body}"))
        }
        Err(err) => Err(format!("re-apply without the permission failed: {err:#}")),
    };
    results.push(("ALB without the ELB invoke permission -> 502", outcome));
    let _ = pattern;
    results
}

#[test]
fn local_cloud_fails_as_aws_does() {
    let _cloud = crate::local::TestUse::hold();
    let pattern = Pattern::load(&project_root().join("tests/fidelity")).unwrap();
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
    let deployed = deploy::deploy_with(&dep, &options);
    let results = match &deployed {
        Ok(outputs) => cases(&pattern, &dep, outputs),
        Err(err) => vec![("deploy", Err(format!("{err:#}")))],
    };
    let destroyed = destroy(&dep);
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(name, r)| r.as_ref().err().map(|e| format!("{name}: {e}")))
        .collect();
    for (name, r) in &results {
        println!("{} {name}", if r.is_ok() { "PASS" } else { "FAIL" });
    }
    assert!(
        failures.is_empty(),
        "fidelity cases failed:\n{}",
        failures.join("\n")
    );
    destroyed.expect("destroy of the fidelity deployment");
}
