//! `cargo xtask list`: the patterns, as a table or a JSON array; a pattern whose `pattern.toml` does not load is
//! listed too, with its error.

use anyhow::Result;
use serde::Serialize;

use crate::{
    flags::Iac,
    pattern::{self, Discovery},
};

#[derive(Serialize)]
struct Entry {
    name: String,
    title: Option<String>,
    iac: Vec<Iac>,
    lambdas: Vec<String>,
    path: String,
    /// Why the pattern does not load (its `pattern.toml`'s error); absent when it loads.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub fn run(json: bool) -> Result<()> {
    let entries = entries(pattern::discover()?);
    if json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
    } else {
        print!("{}", table(&entries));
    }
    let broken = entries.iter().filter(|e| e.error.is_some()).count();
    if broken > 0 {
        eprintln!(
            "{broken} pattern(s) do not load (shown with their error); commands about the other patterns still work"
        );
    }
    Ok(())
}

/// Every pattern, loaded or broken, sorted by name.
fn entries(found: Discovery) -> Vec<Entry> {
    let root = pattern::project_root();
    let rel = |dir: &std::path::Path| dir.strip_prefix(&root).unwrap_or(dir).display().to_string();
    let mut entries: Vec<Entry> = found
        .patterns
        .into_iter()
        .map(|p| Entry {
            title: p.title(),
            iac: p.flavours(),
            lambdas: p.lambdas.iter().map(|l| l.package.clone()).collect(),
            path: rel(&p.dir),
            name: p.name,
            error: None,
        })
        .collect();
    entries.extend(found.broken.into_iter().map(|b| Entry {
        title: None,
        iac: Vec::new(),
        lambdas: Vec::new(),
        path: rel(&b.dir),
        name: b.name,
        error: Some(b.error),
    }));
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    entries
}

fn table(entries: &[Entry]) -> String {
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for e in entries {
        let line = match &e.error {
            Some(error) => format!("{:width$}  BROKEN: {error}", e.name),
            None => {
                let iac: Vec<&str> = e.iac.iter().map(|i| i.as_str()).collect();
                format!(
                    "{:width$}  {:<16}  {:<24}  {}",
                    e.name,
                    iac.join(","),
                    e.lambdas.join(","),
                    e.title.as_deref().unwrap_or("(no title)")
                )
            }
        };
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pattern_is_listed_with_its_error() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/discover/patterns");
        let entries = entries(pattern::discover::discover_in(&dir).unwrap());
        let json = serde_json::to_value(&entries).unwrap();
        assert_eq!(json[0]["name"], "broken");
        let error = json[0]["error"].as_str().unwrap();
        assert!(
            error.contains("field `lambdaz`") && error.contains("fix:"),
            "{error}"
        );
        assert_eq!(json[1]["name"], "fine");
        assert!(json[1].get("error").is_none(), "{json}");
        let table = table(&entries);
        assert!(
            table.contains("broken  BROKEN: ") && table.contains("fine    sam"),
            "{table}"
        );
    }
}
