//! Ctrl-C at several points of real deploys (the flagship with Terraform, the CRUD pattern with SAM), sent to
//! xtask's process group as a terminal sends it: exit 130, a clear message, no process left, nothing left in the
//! local cloud after the deploy's own clean-up (or after the `destroy` a hard stop names), and a next deploy that
//! succeeds first time.

use std::time::Duration;

use crate::support::{
    CRUD, FLAGSHIP, Session, check, interrupt, no_process_left, run, run_cases, tagged, text,
    work_dir, work_root,
};

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
    no_process_left(&work_root(FLAGSHIP).to_string_lossy())?;
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
    no_process_left(&work_root(FLAGSHIP).to_string_lossy())?;
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

#[test]
fn interrupted_deploys_leave_nothing_behind() {
    let session = Session::start();
    run_cases(
        &session,
        &[
            ("Ctrl-C during a Terraform apply", |s: &Session| {
                ctrl_c_during_a_terraform_apply(&s.edge)
            }),
            ("a second Ctrl-C stops at once", |s: &Session| {
                a_second_ctrl_c_stops_at_once(&s.edge)
            }),
            ("Ctrl-C during a SAM deploy", |s: &Session| {
                ctrl_c_during_a_sam_deploy(&s.edge)
            }),
        ],
        &|_| {
            // Leave nothing for the next case.
            let _ = run(&["destroy", FLAGSHIP, "--iac", "terraform"]);
            let _ = run(&["destroy", CRUD]);
        },
    );
}
