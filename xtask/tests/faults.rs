//! Fault injection: Ctrl-C at several points of real deploys (the flagship with Terraform, the CRUD pattern with
//! SAM), sent to xtask's process group as a terminal sends it, and what must hold after each: a clear message,
//! exit 130, no process left, a `destroy` that leaves the local cloud without a resource of the pattern, and a
//! next deploy that succeeds first time.
//!
//! The cases run in order in one test (they share the local cloud, started here if needed and then stopped
//! again); each failure is reported with its case's name. Broken pattern files are the fault tests of
//! `pattern/discover.rs` and `validate/`; a killed moto is `local`'s.

use std::{
    fs,
    os::unix::process::CommandExt,
    path::PathBuf,
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

use nix::{
    sys::signal::{Signal, killpg},
    unistd::Pid,
};
use serde_json::Value;

const FLAGSHIP: &str = "apigw-rest-vpclink-pvt-alb";
const CRUD: &str = "apigw-rest-lambda-dynamodb";
const TAG: &str = "serverless-rust-patterns:pattern";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn xtask(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(args).current_dir(root()).env_remove("SRP_SUFFIX");
    cmd
}

/// Runs `xtask args` to its end.
fn run(args: &[&str]) -> Output {
    xtask(args).output().expect("running xtask")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `xtask args` in its own process group; once `ready(stderr so far)` holds, sends it `signals` SIGINTs
/// `gap` apart, to the whole group; returns its exit code and output.
fn interrupt(
    args: &[&str],
    ready: &dyn Fn(&str) -> bool,
    signals: usize,
    gap: Duration,
) -> (Option<i32>, String) {
    let dir = std::env::temp_dir().join(format!("xtask-faults-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let log = dir.join("stderr");
    let mut child = xtask(args)
        .env("XTASK_LOG", "info")
        .stdin(Stdio::null())
        .stdout(fs::File::create(dir.join("stdout")).unwrap())
        .stderr(fs::File::create(&log).unwrap())
        .process_group(0)
        .spawn()
        .expect("starting xtask");
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if ready(&fs::read_to_string(&log).unwrap_or_default()) {
            for n in 0..signals {
                if n > 0 {
                    std::thread::sleep(gap);
                }
                let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGINT);
            }
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "xtask {args:?} never reached the point to interrupt"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.wait().unwrap();
    let out = format!(
        "{}{}",
        fs::read_to_string(dir.join("stdout")).unwrap_or_default(),
        fs::read_to_string(&log).unwrap_or_default()
    );
    let _ = fs::remove_dir_all(&dir);
    (status.code(), out)
}

fn edge_url() -> String {
    let status: Value =
        serde_json::from_slice(&run(&["local", "status", "--json"]).stdout).unwrap();
    status["edge_url"].as_str().unwrap().to_owned()
}

/// ARNs tagged with `pattern` in the local cloud (moto's tagging API).
fn tagged(edge: &str, pattern: &str) -> Vec<String> {
    let body = serde_json::json!({ "TagFilters": [{ "Key": TAG, "Values": [pattern] }] });
    let mut response = ureq::post(edge)
        .header("X-Amz-Target", "ResourceGroupsTaggingAPI_20170126.GetResources")
        .header("Content-Type", "application/x-amz-json-1.1")
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/tagging/aws4_request, SignedHeaders=host, Signature=0",
        )
        .send(serde_json::to_vec(&body).unwrap().as_slice())
        .unwrap();
    let json: Value = response.body_mut().read_json().unwrap();
    json["ResourceTagMappingList"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["ResourceARN"].as_str().map(str::to_owned))
        .collect()
}

/// Processes (terraform, its provider plugins) running from the pattern's work directory.
fn processes_of(pattern: &str) -> Vec<String> {
    let work = root().join(".work").join(pattern);
    let work = work.to_string_lossy();
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(work.as_ref()) {
            found.push(format!(
                "{}: {cmdline}",
                entry.file_name().to_string_lossy()
            ));
        }
    }
    found
}

/// No process of the pattern is left (a graceful stop may take its provider a moment to exit).
fn assert_no_process(pattern: &str) {
    let started = Instant::now();
    loop {
        let left = processes_of(pattern);
        if left.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "processes left running: {left:#?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn work_dir(pattern: &str, iac: &str) -> PathBuf {
    root()
        .join(".work")
        .join(pattern)
        .join(format!("local-{iac}"))
}

/// The local cloud holds a Lambda function of the pattern: the apply is in its middle (more resources follow).
fn a_function_exists(edge: &str) -> impl Fn(&str) -> bool + '_ {
    move |_: &str| {
        tagged(edge, FLAGSHIP)
            .iter()
            .any(|arn| arn.contains(":function:"))
    }
}

/// One Ctrl-C in the middle of a Terraform apply: terraform stops at a consistent point, the deploy removes
/// what it created and says so; nothing is left, not even the work directory.
fn ctrl_c_during_a_terraform_apply(edge: &str) -> Result<(), String> {
    let (code, out) = interrupt(
        &["deploy", FLAGSHIP, "--iac", "terraform"],
        &a_function_exists(edge),
        1,
        Duration::ZERO,
    );
    check(code == Some(130), format!("exit {code:?}, not 130:\n{out}"))?;
    check(
        out.contains(&format!(
            "interrupted: removed what this deploy of `{FLAGSHIP}` created; nothing is left"
        )),
        format!("no clean-up report:\n{out}"),
    )?;
    assert_no_process(FLAGSHIP);
    let left = tagged(edge, FLAGSHIP);
    check(
        left.is_empty(),
        format!("left in the local cloud: {left:#?}"),
    )?;
    check(
        !work_dir(FLAGSHIP, "terraform").exists(),
        "the work directory of a deploy that was undone is left".into(),
    )
}

/// Two Ctrl-Cs: the second stops at once (terraform and its provider killed, no lock left) and names the
/// command that removes what may be left; that destroy leaves nothing, and the next deploy succeeds.
fn a_second_ctrl_c_stops_at_once(edge: &str) -> Result<(), String> {
    let (code, out) = interrupt(
        &["deploy", FLAGSHIP, "--iac", "terraform"],
        &a_function_exists(edge),
        2,
        Duration::from_millis(100),
    );
    check(code == Some(130), format!("exit {code:?}, not 130:\n{out}"))?;
    check(
        out.contains("stopped at once")
            && out.contains(&format!(
                "`cargo xtask destroy {FLAGSHIP} --iac terraform` removes it"
            )),
        format!("no hard-stop report naming the destroy command:\n{out}"),
    )?;
    assert_no_process(FLAGSHIP);
    check(
        !work_dir(FLAGSHIP, "terraform").join("lock").exists(),
        "the deployment lock outlived the process".into(),
    )?;
    let destroyed = run(&["destroy", FLAGSHIP, "--iac", "terraform"]);
    check(
        destroyed.status.success(),
        format!("destroy after a hard stop failed:\n{}", text(&destroyed)),
    )?;
    let left = tagged(edge, FLAGSHIP);
    check(left.is_empty(), format!("left after destroy: {left:#?}"))?;
    let deployed = run(&["deploy", FLAGSHIP, "--iac", "terraform"]);
    let redeploy = text(&deployed);
    let destroyed = run(&["destroy", FLAGSHIP, "--iac", "terraform"]);
    check(
        deployed.status.success(),
        format!("the deploy after the hard stop failed:\n{redeploy}"),
    )?;
    check(
        destroyed.status.success(),
        format!("final destroy failed:\n{}", text(&destroyed)),
    )
}

/// Ctrl-C while CloudFormation creates the stack: the stack settles, then is deleted; no work directory stays.
fn ctrl_c_during_a_sam_deploy(edge: &str) -> Result<(), String> {
    let (code, out) = interrupt(
        &["deploy", CRUD],
        &|log: &str| log.contains("artifacts uploaded, template transformed"),
        1,
        Duration::ZERO,
    );
    check(code == Some(130), format!("exit {code:?}, not 130:\n{out}"))?;
    check(
        out.contains(&format!(
            "interrupted: removed what this deploy of `{CRUD}` created; nothing is left"
        )),
        format!("no clean-up report:\n{out}"),
    )?;
    let left = tagged(edge, CRUD);
    check(
        left.is_empty(),
        format!("left in the local cloud: {left:#?}"),
    )?;
    check(
        !work_dir(CRUD, "sam").exists(),
        "the work directory of a deploy that was undone is left".into(),
    )?;
    let destroyed = run(&["destroy", CRUD]);
    check(
        destroyed.status.success() && text(&destroyed).contains("nothing to destroy"),
        format!("destroy after the undone deploy:\n{}", text(&destroyed)),
    )
}

fn check(ok: bool, why: String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(why) }
}

#[test]
fn interrupted_deploys_leave_nothing_behind() {
    let was_running = run(&["local", "status"]).status.success();
    let up = run(&["local", "up"]);
    assert!(up.status.success(), "local up: {}", text(&up));
    let edge = edge_url();
    type Case = fn(&str) -> Result<(), String>;
    let cases: [(&str, Case); 3] = [
        (
            "Ctrl-C during a Terraform apply",
            ctrl_c_during_a_terraform_apply,
        ),
        (
            "a second Ctrl-C stops at once",
            a_second_ctrl_c_stops_at_once,
        ),
        ("Ctrl-C during a SAM deploy", ctrl_c_during_a_sam_deploy),
    ];
    let mut failed = Vec::new();
    for (name, case) in cases {
        if let Err(why) = case(&edge) {
            failed.push(format!("{name}: {why}"));
            // Leave nothing for the next case.
            let _ = run(&["destroy", FLAGSHIP, "--iac", "terraform"]);
            let _ = run(&["destroy", CRUD]);
        }
    }
    if !was_running {
        let _ = run(&["local", "down"]);
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
