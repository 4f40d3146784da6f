//! Tests of the repository rather than of one command: its hygiene ([`tidy`]), the cargo-generate template
//! ([`template`]), the local cloud's fidelity to AWS ([`fidelity`]), the GitHub Actions files
//! ([`workflows_lint`]) and the feature pins that let one dev build serve the workspace ([`feature_pins`]).
//! Compiled for `cargo test` only.

mod feature_pins;
mod fidelity;
mod fidelity_async;
mod template;
mod tidy;
mod workflows_lint;
