//! Fault injection, run by `cargo xtask ci` (in `cargo test --workspace`): real deploys interrupted (Ctrl-C during
//! a Terraform apply, a second Ctrl-C, Ctrl-C during a SAM deploy; `interrupts`), the local cloud crashing under a
//! deployment (moto or the daemon killed; `crashes`), and broken pattern files (`pattern.toml`,
//! `example-pattern.json`, `[[verify]]`; `corrupt`). After each: a clear message, a non-zero exit where it
//! failed, no process left, a `destroy` that leaves the local cloud without a resource of the pattern, and a next
//! deploy that succeeds first time.
//!
//! Each family is one test whose cases run in order, each failure reported with its case's name; the families
//! share the local cloud one at a time ([`support::Session`]), which is stopped again if they started it.

mod corrupt;
mod crashes;
mod interrupts;
mod support;
