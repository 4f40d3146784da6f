//! `cargo xtask list`: the patterns, as a table or a JSON array.

use anyhow::Result;
use serde::Serialize;

use crate::{flags::Iac, pattern};

#[derive(Serialize)]
struct Entry {
    name: String,
    title: Option<String>,
    iac: Vec<Iac>,
    lambdas: Vec<String>,
    path: String,
}

pub fn run(json: bool) -> Result<()> {
    let root = pattern::project_root();
    let entries: Vec<Entry> = pattern::discover()?
        .into_iter()
        .map(|p| Entry {
            title: p.title(),
            iac: p.manifest.iac.clone(),
            lambdas: p.lambdas.iter().map(|l| l.package.clone()).collect(),
            path: p
                .dir
                .strip_prefix(&root)
                .unwrap_or(&p.dir)
                .display()
                .to_string(),
            name: p.name,
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(());
    }
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    for e in &entries {
        let iac: Vec<&str> = e.iac.iter().map(|i| i.as_str()).collect();
        println!(
            "{:width$}  {:<16}  {:<24}  {}",
            e.name,
            iac.join(","),
            e.lambdas.join(","),
            e.title.as_deref().unwrap_or("(no title)")
        );
    }
    Ok(())
}
