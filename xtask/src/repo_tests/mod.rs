//! Tests of the repository rather than of one command: its hygiene ([`tidy`]), the cargo-generate template
//! ([`template`]), the local cloud's fidelity to AWS ([`fidelity`]) and the GitHub Actions files
//! ([`workflows_lint`]). Compiled for `cargo test` only.

mod fidelity;
mod template;
mod tidy;
mod workflows_lint;
