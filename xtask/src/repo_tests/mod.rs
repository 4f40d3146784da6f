//! Tests of the repository rather than of one command: its hygiene ([`tidy`]), the cargo-generate template
//! ([`template`]), the local cloud's fidelity to AWS ([`fidelity`]), the GitHub Actions files
//! ([`workflows_lint`]), the feature pins that let one dev build serve the workspace ([`feature_pins`]),
//! `cargo xtask export` used as a user would ([`export`]), an exported SAM pattern deployed with the SAM CLI
//! ([`sam_cli`]) and a SAM template written with the upstream collection's habits ([`upstream_habits`]).
//! Compiled for `cargo test` only.

mod cdk_cli;
mod export;
mod exported_checks;
mod feature_pins;
mod fidelity;
mod fidelity_async;
mod sam_cli;
mod template;
mod tidy;
mod upstream_habits;
mod workflows_lint;
