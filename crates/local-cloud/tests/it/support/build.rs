//! The binaries the tests run, built once per test run beside xtask, as xtask builds the daemon and functions
//! (xtask/src/cargo.rs): the daemon (`local-cloud`, optimised as the root Cargo.toml says) and `fidelity-fn`. Built
//! with `-p xtask` the build unifies features with xtask's tree and reuses what `cargo xtask` was built with;
//! `-p fidelity-fn` alone compiled tokio, hyper, serde and the Lambda runtime again with fewer features.

use std::{ffi::OsStr, path::PathBuf, process::Command, sync::OnceLock};

pub struct Binaries {
    pub daemon: PathBuf,
    pub fidelity_fn: PathBuf,
}

/// Builds them on first use. Panics (failing the test) when they cannot be built.
pub fn binaries() -> &'static Binaries {
    static BUILT: OnceLock<Binaries> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let packages = ["local-cloud", "fidelity-fn", "xtask"];
        let output = Command::new(&cargo)
            .arg("build")
            .args(packages.iter().flat_map(|p| ["-p", p]))
            .arg("--message-format=json-render-diagnostics")
            .env_clear()
            .envs(std::env::vars_os().filter(|(key, _)| !set_for_this_test(key)))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap_or_else(|e| panic!("running `{cargo} build`: {e}"));
        assert!(
            output.status.success(),
            "`cargo build -p {}` failed:\n{}",
            packages.join(" -p "),
            String::from_utf8_lossy(&output.stderr)
        );
        let messages = String::from_utf8_lossy(&output.stdout);
        let executable = |name: &str| {
            let path = messages
                .lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .filter(|msg| msg["reason"] == "compiler-artifact" && msg["target"]["name"] == name)
                .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
                .unwrap_or_else(|| panic!("`cargo build` reported no {name} executable"));
            assert!(
                path.is_file(),
                "{} is missing after the build",
                path.display()
            );
            path
        };
        Binaries {
            daemon: executable("local-cloud"),
            fidelity_fn: executable("fidelity-fn"),
        }
    })
}

/// The variables cargo set for this test binary ("Environment variables Cargo sets for crates") and the linting
/// wrapper of `cargo xtask ci`: without them the build is the one a shell starts (xtask's `cargo::clean_cargo`
/// says which build scripts watch them).
fn set_for_this_test(key: &OsStr) -> bool {
    let key = key.to_string_lossy();
    ["CARGO_PKG_", "CARGO_BIN_EXE_"]
        .iter()
        .any(|prefix| key.starts_with(prefix))
        || [
            "CARGO_MANIFEST_DIR",
            "CARGO_MANIFEST_PATH",
            "CARGO_CRATE_NAME",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_TARGET_TMPDIR",
            "RUSTC_WORKSPACE_WRAPPER",
            "CLIPPY_ARGS",
        ]
        .contains(&key.as_ref())
}
