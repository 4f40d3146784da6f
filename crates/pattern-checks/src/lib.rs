//! A pattern's `[[verify]]` checks: their model, their placeholders and how answers are judged, shared by
//! `cargo xtask verify` (which reaches AWS through the SDK) and the standalone runner a pattern is exported with
//! (`cargo xtask export`: this crate becomes the project's `checks/`, which reaches AWS through the AWS CLI).

pub mod answer;
pub mod aws_actions;
pub mod aws_checks;
pub mod check;
pub mod cli;
pub mod deployment;
pub mod http;
pub mod local;
pub mod placeholders;
pub mod poll;
pub mod runner;
pub mod spread;

pub use check::Check;

/// What placeholders expand to: a deployment's outputs, `run_id`, `resource:X` and values captured by checks.
pub type Values = std::collections::BTreeMap<String, serde_json::Value>;
