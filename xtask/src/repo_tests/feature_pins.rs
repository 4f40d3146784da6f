//! Repository test: xtask's dependency tree carries every feature the workspace turns on in the crates it shares
//! (the feature pins in xtask/Cargo.toml), so one dev build serves `cargo xtask`, the daemon, the tests and
//! local Lambda builds (xtask/src/cargo.rs) instead of compiling the AWS SDK tree again per feature set; and each
//! pattern's own build resolves every crate as the build of all patterns does, so deploying one pattern after
//! another compiles nothing of the shared tree again.

use std::collections::{BTreeMap, BTreeSet};

use xshell::{Shell, cmd};

use crate::pattern::project_root;

/// `name version` -> enabled features, as `cargo tree` resolves them for `selection`.
fn features(selection: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let sh = Shell::new().unwrap();
    sh.change_dir(project_root());
    let format = "{p}|{f}";
    let out = cmd!(
        sh,
        "cargo tree --locked --prefix none --format {format} {selection...}"
    )
    .quiet()
    .read()
    .expect("cargo tree");
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in out.lines() {
        let Some((package, feats)) = line.split_once('|') else {
            continue;
        };
        let key = package
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        let entry = map.entry(key).or_default();
        entry.extend(
            feats
                .split(',')
                .map(|f| f.trim().trim_end_matches(" (*)").to_owned())
                .filter(|f| !f.is_empty() && f != "(*)"),
        );
    }
    map
}

#[test]
fn xtask_features_cover_the_whole_workspace() {
    let xtask = features(&["-p", "xtask", "-e", "normal,build"]);
    let workspace = features(&["--workspace", "-e", "normal,build,dev"]);
    let missing: Vec<String> = workspace
        .iter()
        .filter_map(|(package, feats)| {
            let extra: Vec<&String> = feats.difference(xtask.get(package)?).collect();
            (!extra.is_empty()).then(|| format!("  {package}: {extra:?}"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "the workspace turns on features that xtask's dependency tree lacks, so `cargo test` and local \
         Lambda builds would compile these crates (and every crate above them) again; fix: add them to the \
         feature pins in xtask/Cargo.toml:\n{}",
        missing.join("\n")
    );
}

#[test]
fn each_patterns_build_resolves_what_the_build_of_all_patterns_does() {
    let patterns = crate::pattern::discover().unwrap().all().unwrap();
    // What a local build selects (`crate::build`, `with_xtask`): the crates, and xtask.
    let selection = |packages: &[&str]| -> Vec<String> {
        packages
            .iter()
            .chain(&["xtask"])
            .flat_map(|p| ["-p".to_owned(), (*p).to_owned()])
            .chain(["-e".to_owned(), "normal,build".to_owned()])
            .collect()
    };
    let resolve = |packages: &[&str]| {
        let args = selection(packages);
        features(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let every: Vec<&str> = patterns
        .iter()
        .flat_map(|p| p.lambdas.iter().map(|l| l.package.as_str()))
        .collect();
    let all = resolve(&every);
    let mut differing = Vec::new();
    for pattern in &patterns {
        let own: Vec<&str> = pattern.lambdas.iter().map(|l| l.package.as_str()).collect();
        for (package, feats) in resolve(&own) {
            if all.get(&package).is_some_and(|a| *a != feats) {
                let missing: Vec<&String> = all[&package].difference(&feats).collect();
                differing.push(format!("  {}: {package} lacks {missing:?}", pattern.name));
            }
        }
    }
    assert!(
        differing.is_empty(),
        "a pattern's own build resolves these crates with fewer features than the build of all patterns, so \
         deploying it after another pattern compiles them (and its crates) again; fix: pin the union in \
         xtask/Cargo.toml's feature pins:\n{}",
        differing.join("\n")
    );
}
