//! The local cloud crashing under a deployment: moto killed (SIGKILL, as the OOM killer would), then the daemon
//! killed outright. moto keeps its state in memory, so the deployment is gone: the commands must say so and how
//! to recover, no process may outlive the daemon, and the next deploy must bring the cloud back and succeed first
//! time.

use nix::{
    sys::signal::{Signal, kill},
    unistd::Pid,
};

use crate::support::{
    CRUD, Patterns, Session, check, left_in_cloud, no_process_left, pid_alive, ready_file, run,
    run_cases, text,
};

/// The fixture copy the moto case deploys (no Lambda: seconds to deploy).
const SMALL: &str = "faults-crash";

struct Crashes {
    session: Session,
    patterns: Patterns,
}

fn sigkill(pid: u64) {
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).expect("SIGKILL");
}

/// Waits up to 10 s for `pid` to be gone.
fn gone(pid: u64, what: &str) -> Result<(), String> {
    let started = std::time::Instant::now();
    while pid_alive(pid) {
        if started.elapsed() > std::time::Duration::from_secs(10) {
            return Err(format!("{what} (pid {pid}) is still running"));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Ok(())
}

/// moto killed after a deploy: `local status` fails saying moto is not running and how to restart; `outputs` and
/// `verify` refuse the lost deployment and name the redeploy; that deploy succeeds first time; `destroy` leaves
/// nothing.
fn moto_killed_after_a_deploy(c: &Crashes) -> Result<(), String> {
    let deployed = c.patterns.xtask(&["deploy", SMALL]);
    check(
        deployed.status.success(),
        format!("the first deploy failed:\n{}", text(&deployed)),
    )?;
    let moto = ready_file()["moto_pid"].as_u64().unwrap();
    sigkill(moto);
    gone(moto, "moto")?;
    let status = run(&["local", "status"]);
    let said = text(&status);
    check(
        !status.status.success()
            && said.contains(&format!("degraded: moto (pid {moto}) is not running"))
            && said.contains("fix: `cargo xtask local up` restarts it"),
        format!("`local status` with moto dead:\n{said}"),
    )?;
    for command in ["outputs", "verify"] {
        let out = c.patterns.xtask(&[command, SMALL]);
        let said = text(&out);
        check(
            out.status.code() == Some(1)
                && said.contains(&format!(
                    "`{SMALL}` (local, sam) was deployed to a local cloud that has since"
                ))
                && said.contains(&format!("fix: `cargo xtask deploy {SMALL}`")),
            format!("`{command}` of the lost deployment:\n{said}"),
        )?;
    }
    let redeployed = c.patterns.xtask(&["deploy", SMALL]);
    let said = text(&redeployed);
    check(
        redeployed.status.success()
            && said.contains("local cloud is degraded")
            && said.contains("deploying afresh"),
        format!("the redeploy did not succeed first time:\n{said}"),
    )?;
    let verified = c.patterns.xtask(&["verify", SMALL]);
    check(
        verified.status.success(),
        format!("verify after the redeploy:\n{}", text(&verified)),
    )?;
    let destroyed = c.patterns.xtask(&["destroy", SMALL]);
    check(
        destroyed.status.success(),
        format!("destroy:\n{}", text(&destroyed)),
    )?;
    let left = left_in_cloud(&c.session.edge, SMALL);
    check(left.is_empty(), format!("left after destroy: {left:#?}"))
}

/// The daemon killed outright with a warm function instance: moto and the instance do not survive it (no
/// orphan), `local status` fails, and the next deploy restarts the cloud and succeeds first time; `destroy`
/// leaves nothing.
fn daemon_killed_under_a_deployment(c: &Crashes) -> Result<(), String> {
    let deployed = run(&["deploy", CRUD]);
    check(
        deployed.status.success(),
        format!("the first deploy failed:\n{}", text(&deployed)),
    )?;
    // A request starts an instance of the function, which stays warm.
    let verified = run(&["verify", CRUD]);
    check(
        verified.status.success(),
        format!("verify before the crash:\n{}", text(&verified)),
    )?;
    // `logs` reads what the checks' invocations printed, from the log group the template configures (the
    // log shipper batches for a moment, so it is asked again for a few seconds).
    let started = std::time::Instant::now();
    let logged = loop {
        let logs = run(&["logs", CRUD, "--since", "10m", "--json"]);
        let events: Vec<serde_json::Value> = String::from_utf8_lossy(&logs.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let reported = events.iter().any(|e| {
            e["group"].as_str().is_some_and(|g| g.ends_with("-items"))
                && e["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("REPORT RequestId: "))
        });
        if (logs.status.success() && reported) || started.elapsed().as_secs() > 10 {
            break (logs.status.success() && reported, text(&logs));
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    check(
        logged.0,
        format!(
            "`logs` has no REPORT line of the function's own log group:\n{}",
            logged.1
        ),
    )?;
    let code_dir = crate::support::work().join("local/lambda");
    let instances = crate::support::processes_mentioning(&code_dir.to_string_lossy());
    check(
        !instances.is_empty(),
        "no warm instance of the function".into(),
    )?;
    let ready = ready_file();
    let (daemon, moto) = (
        ready["pid"].as_u64().unwrap(),
        ready["moto_pid"].as_u64().unwrap(),
    );
    sigkill(daemon);
    gone(daemon, "the daemon")?;
    gone(moto, "moto, orphaned by the killed daemon")?;
    no_process_left(&code_dir.to_string_lossy())?;
    let status = run(&["local", "status"]);
    check(
        !status.status.success() && text(&status).contains("is not running"),
        format!("`local status` with the daemon dead:\n{}", text(&status)),
    )?;
    let logs = run(&["logs", CRUD]);
    check(
        !logs.status.success() && text(&logs).contains("fix: `cargo xtask deploy"),
        format!("`logs` of a deployment the crash took:\n{}", text(&logs)),
    )?;
    let redeployed = run(&["deploy", CRUD]);
    let said = text(&redeployed);
    check(
        redeployed.status.success() && said.contains("restarting it"),
        format!("the deploy after the crash did not succeed first time:\n{said}"),
    )?;
    let destroyed = run(&["destroy", CRUD]);
    check(
        destroyed.status.success(),
        format!("destroy:\n{}", text(&destroyed)),
    )?;
    let left = left_in_cloud(&c.session.edge, CRUD);
    check(left.is_empty(), format!("left after destroy: {left:#?}"))
}

#[test]
fn a_crashed_local_cloud_strands_nothing() {
    let crashes = Crashes {
        session: Session::start(),
        patterns: Patterns::new(&[SMALL]),
    };
    run_cases(
        &crashes,
        &[
            ("moto killed after a deploy", moto_killed_after_a_deploy),
            (
                "the daemon killed under a deployment",
                daemon_killed_under_a_deployment,
            ),
        ],
        &|c| {
            let _ = run(&["local", "up"]);
            let _ = c.patterns.xtask(&["destroy", SMALL]);
            let _ = run(&["destroy", CRUD]);
        },
    );
}
