//! The `local-cloud serve` daemon's lifecycle: its ready file and `/_local/status`, a second daemon on the same
//! port refused, clean shutdown on SIGTERM, no orphaned moto after SIGKILL, and the launcher's refusal of an
//! unexpected moto version. Needs python3 with moto 5.2.1.

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use crate::support::{
    Cases,
    daemon::{Daemon, bin, free_port, process_alive, wait_gone},
    python,
};

#[test]
fn serves_until_sigterm_then_stops_cleanly() {
    let mut cases = Cases::new(Daemon::start());

    cases.blocking(
        "the ready file names the edge port and a running moto",
        |d| {
            let moto_pid = d.moto_pid();
            assert!(process_alive(moto_pid), "moto (pid {moto_pid}) should run");
            assert_eq!(d.ready["edge_port"], d.port);
        },
    );
    cases.blocking("/_local/status: moto healthy, its version and pid", |d| {
        let status = d.status();
        assert_eq!(status["moto"]["healthy"], true, "{status}");
        assert_eq!(status["moto"]["version"], "5.2.1");
        assert_eq!(status["moto_pid"], d.moto_pid());
    });
    cases.blocking("a second daemon on the same port says what to do", |d| {
        let second = Command::new(bin())
            .args([
                "serve",
                "--port",
                &d.port.to_string(),
                "--python",
                &python(),
            ])
            .arg("--state-dir")
            .arg(d.dir.join("second"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&second.stderr);
        assert!(!second.status.success());
        assert!(
            err.contains(&format!(
                "port {} on 127.0.0.1 is in use (by another program)",
                d.port
            )) && err.contains("--port/LOCAL_CLOUD_PORT"),
            "{err}"
        );
    });
    // Last: it stops the daemon.
    cases.blocking(
        "SIGTERM: the daemon exits 0, moto is gone, the ready file removed",
        |d| {
            let moto_pid = d.moto_pid();
            d.signal("-TERM");
            let status = d.wait_exit(Duration::from_secs(20));
            assert!(status.success(), "exit status {status}:\n{}", d.log());
            assert!(
                wait_gone(moto_pid, Duration::from_secs(2)),
                "moto (pid {moto_pid}) outlived the daemon"
            );
            assert!(
                !d.dir.join("local-cloud.json").exists(),
                "local-cloud.json left behind"
            );
        },
    );
    cases.finish();
}

#[test]
fn moto_does_not_outlive_a_killed_daemon() {
    let d = Daemon::start();
    let moto_pid = d.moto_pid();
    d.signal("-KILL");
    d.wait_exit(Duration::from_secs(5));
    assert!(
        wait_gone(moto_pid, Duration::from_secs(10)),
        "moto (pid {moto_pid}) orphaned after SIGKILL of the daemon"
    );
}

#[test]
fn launcher_refuses_an_unexpected_moto_version() {
    // As the daemon runs it: `python -m local_moto` with the package's directory on PYTHONPATH.
    let package_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../python");
    let out = Command::new(python())
        .args(["-m", "local_moto"])
        .args(["--port", "1", "--edge-url", "http://127.0.0.1:1"])
        .env("PYTHONPATH", &package_dir)
        .env("MOTO_LAUNCHER_EXPECT", "0.0.0")
        .output()
        .expect("running python3: install it, e.g. with `cargo xtask setup`");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("moto 5.2.1 is installed; this launcher was written for moto 0.0.0: run `cargo xtask setup`"),
        "{err}"
    );
}

#[test]
fn the_daemon_reports_the_launchers_refusal_with_motos_log() {
    let dir = crate::support::temp_dir("local-cloud-test");
    let started = Instant::now();
    let out = Command::new(bin())
        .args([
            "serve",
            "--port",
            &free_port().to_string(),
            "--python",
            &python(),
        ])
        .arg("--state-dir")
        .arg(&dir)
        .env("MOTO_LAUNCHER_EXPECT", "0.0.0")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("moto exited (exit status: 3) before it was ready"),
        "{err}"
    );
    assert!(
        err.contains("this launcher was written for moto 0.0.0"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
