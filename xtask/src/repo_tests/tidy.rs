//! Repository hygiene, as tests: patterns stay copyable, the README lists every pattern, every Rust file
//! says what it is for.

use std::{
    fs,
    path::{Path, PathBuf},
};

use crate::pattern::{discover, patterns_dir, project_root};

/// All files under `dir` (skipping build output and hidden folders) whose name satisfies `keep`.
fn files(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy();
            if name.starts_with('.') || name == "target" {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if keep(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The problems that stop `manifest` (a pattern crate's Cargo.toml) from building outside this repo.
fn copyability_problems(manifest: &Path, pattern_dir: &Path) -> Vec<String> {
    let text = fs::read_to_string(manifest).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let mut problems = Vec::new();
    fn walk(value: &toml::Value, path: &str, out: &mut Vec<String>) {
        if let toml::Value::Table(table) = value {
            for (key, value) in table {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if key == "workspace" && value.as_bool() == Some(true) {
                    out.push(format!("`{path} = true` inherits from the workspace"));
                }
                walk(value, &path, out);
            }
        }
    }
    walk(&toml::Value::Table(doc.clone()), "", &mut problems);
    let crate_dir = manifest.parent().unwrap();
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        let Some(deps) = doc.get(section).and_then(|d| d.as_table()) else {
            continue;
        };
        for (name, spec) in deps {
            let Some(path) = spec.get("path").and_then(|p| p.as_str()) else {
                continue;
            };
            let target = normalize(&crate_dir.join(path));
            if !target.starts_with(pattern_dir) {
                problems.push(format!(
                    "dependency `{name}` has path `{path}` outside the pattern folder"
                ));
            }
        }
    }
    problems
}

/// Resolves `.` and `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn pattern_crates_are_copyable() {
    let mut problems = Vec::new();
    for pattern in discover().unwrap() {
        for manifest in files(&pattern.dir, &|p| p.ends_with("Cargo.toml")) {
            for problem in copyability_problems(&manifest, &pattern.dir) {
                problems.push(format!("{}: {problem}", manifest.display()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "pattern crates must build when their folder is copied out of this repository:\n{}\n\
         fix: write the values out (edition, versions) instead of inheriting them",
        problems.join("\n")
    );
}

#[test]
fn copyability_check_catches_inheritance_and_outside_paths() {
    let dir = std::env::temp_dir().join(format!("tidy-copy-{}", std::process::id()));
    let crate_dir = dir.join("pat/functions/f");
    fs::create_dir_all(&crate_dir).unwrap();
    let manifest = crate_dir.join("Cargo.toml");
    fs::write(
        &manifest,
        "[package]\nname = \"f\"\nedition.workspace = true\n[dependencies]\n\
         a = { path = \"../../../shared\" }\nb = { path = \"../g\" }\nserde = { workspace = true }\n",
    )
    .unwrap();
    let problems = copyability_problems(&manifest, &dir.join("pat"));
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("package.edition.workspace"))
    );
    assert!(problems.iter().any(|p| p.contains("`a`")));
}

/// The pattern table README.md carries between its markers, generated from `patterns/`.
fn pattern_table() -> String {
    let mut out = String::from("| Pattern | What it shows | IaC |\n| --- | --- | --- |\n");
    for p in discover().unwrap() {
        let iac: Vec<&str> = p.manifest.iac.iter().map(|i| i.as_str()).collect();
        out.push_str(&format!(
            "| [{0}](patterns/{0}) | {1} | {2} |\n",
            p.name,
            p.title().unwrap_or_default(),
            iac.join(", ")
        ));
    }
    out
}

#[test]
fn readme_lists_every_pattern() {
    const START: &str = "<!-- patterns:start -->\n";
    const END: &str = "<!-- patterns:end -->";
    let path = project_root().join("README.md");
    let readme = fs::read_to_string(&path).unwrap();
    let (Some(start), Some(end)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md must hold the pattern table between `{START}` and `{END}`")
    };
    let current = &readme[start + START.len()..end];
    let expected = pattern_table();
    if current != expected {
        let updated = format!(
            "{}{expected}{}",
            &readme[..start + START.len()],
            &readme[end..]
        );
        fs::write(&path, updated).unwrap();
        panic!(
            "README.md's pattern table was out of date with patterns/; it has been regenerated: review and commit it"
        );
    }
    let listed = current.lines().filter(|l| l.starts_with("| [")).count();
    assert_eq!(listed, fs::read_dir(patterns_dir()).unwrap().count());
}

#[test]
fn every_rust_file_says_what_it_is_for() {
    let root = project_root();
    let mut missing = Vec::new();
    for dir in ["xtask", "crates", "patterns"] {
        for file in files(&root.join(dir), &|p| {
            p.extension().is_some_and(|e| e == "rs")
        }) {
            let text = fs::read_to_string(&file).unwrap();
            if !text.trim_start().starts_with("//!") {
                missing.push(file.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "these files do not open with a `//!` line saying what they are for:\n{}",
        missing.join("\n")
    );
}
