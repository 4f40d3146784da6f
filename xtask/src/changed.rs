//! `cargo xtask changed --base <ref>`: the patterns a change touches, shaped for a GitHub Actions job matrix.
//!
//! The change is the working tree (committed, staged, unstaged and untracked-but-not-ignored files) against the
//! merge-base of `<ref>` and `HEAD`: what a pull request would bring, plus what is not committed yet.
//! Over 400 lines: about half is its unit tests, one per kind of changed path.

use std::{
    collections::BTreeSet,
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use xshell::{Shell, cmd};

use crate::pattern::project_root;

/// Paths outside `patterns/` that every pattern depends on: a change under one of them tests every pattern.
/// An entry ending in `/` is a folder, any other is a file at the repository root.
const AFFECTS_ALL: &[&str] = &[
    "xtask/",
    "template/",
    "crates/",
    "Cargo.toml",
    "Cargo.lock",
    ".cargo/",
    "schemas/",
    "requirements.txt",
    "tests/",
    ".github/workflows/",
    ".github/actions/",
    ".ci/",
    "rust-toolchain.toml",
    "rust-toolchain",
];

/// Paths that no pattern's build, deploy or tests read. Markdown files outside `patterns/` are also here.
const AFFECTS_NONE: &[&str] = &[
    "docs/",
    "LICENSE",
    ".github/",
    ".gitignore",
    ".gitattributes",
    ".editorconfig",
];

/// The answer of `cargo xtask changed`. With `--json` it is printed as one line, so that a workflow can write it
/// to `$GITHUB_OUTPUT` and feed `patterns` to `fromJSON(...)` as a matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    /// The patterns to test, sorted; every existing pattern when `all` is set.
    pub patterns: Vec<String>,
    /// A change outside `patterns/` affects every pattern.
    pub all: bool,
    /// Why, in one sentence.
    pub reason: String,
}

/// What one changed path means for the patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Effect<'a> {
    /// A file of the pattern with this name (which may no longer exist).
    Pattern(&'a str),
    /// A file every pattern depends on; `known` is false for a path no rule names.
    All { known: bool },
    /// Documentation or repository metadata.
    None,
}

fn matches(path: &str, entry: &str) -> bool {
    if entry.ends_with('/') {
        path.starts_with(entry)
    } else {
        path == entry
    }
}

fn effect(path: &str) -> Effect<'_> {
    if let Some(rest) = path.strip_prefix("patterns/")
        && let Some((name, inside)) = rest.split_once('/')
        && !name.is_empty()
        && !inside.is_empty()
    {
        return Effect::Pattern(name);
    }
    if path.ends_with(".md") {
        return Effect::None;
    }
    if AFFECTS_ALL.iter().any(|entry| matches(path, entry)) {
        return Effect::All { known: true };
    }
    if AFFECTS_NONE.iter().any(|entry| matches(path, entry)) {
        return Effect::None;
    }
    // A path no rule names (a new top-level folder, a file under `patterns/` outside any pattern): test
    // everything rather than miss what it breaks.
    Effect::All { known: false }
}

/// Which patterns `paths` (relative to the repository root, `/`-separated) touch, given the patterns that exist.
pub fn classify<'a>(
    paths: impl IntoIterator<Item = &'a str>,
    existing: &BTreeSet<String>,
) -> Changed {
    let mut touched = BTreeSet::new();
    let mut removed = BTreeSet::new();
    let mut trigger: Option<(&str, bool)> = None;
    let mut shared = 0usize;
    let mut count = 0usize;
    for path in paths {
        count += 1;
        match effect(path) {
            Effect::Pattern(name) if existing.contains(name) => {
                touched.insert(name.to_owned());
            }
            Effect::Pattern(name) => {
                removed.insert(name.to_owned());
            }
            Effect::All { known } => {
                shared += 1;
                trigger.get_or_insert((path, known));
            }
            Effect::None => {}
        }
    }
    if let Some((path, known)) = trigger {
        let why = if known {
            "every pattern depends on it"
        } else {
            "no rule in xtask/src/changed.rs classifies it, so every pattern is tested"
        };
        let more = match shared - 1 {
            0 => String::new(),
            n => format!(" ({n} more file(s) outside the patterns changed)"),
        };
        return Changed {
            patterns: existing.iter().cloned().collect(),
            all: true,
            reason: format!("`{path}` changed and {why}{more}"),
        };
    }
    let reason = if !touched.is_empty() {
        format!(
            "files changed under patterns/{}",
            touched
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", patterns/")
        )
    } else if count == 0 {
        "no file changed".to_owned()
    } else if !removed.is_empty() {
        format!(
            "no pattern to test: only removed patterns ({}), docs or repository metadata changed",
            removed.into_iter().collect::<Vec<_>>().join(", ")
        )
    } else {
        format!("no pattern to test: the {count} changed file(s) are docs or repository metadata")
    };
    Changed {
        patterns: touched.into_iter().collect(),
        all: false,
        reason,
    }
}

/// The patterns that exist in the working tree of `root`: folders under `patterns/` with a `pattern.toml`
/// (the rule `pattern::discover` uses, without parsing the manifests).
fn existing_patterns(root: &Path) -> Result<BTreeSet<String>> {
    let dir = root.join("patterns");
    let mut names = BTreeSet::new();
    if !dir.is_dir() {
        return Ok(names);
    }
    for entry in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.join("pattern.toml").is_file()
            && let Some(name) = path.file_name().and_then(|n| n.to_str())
        {
            names.insert(name.to_owned());
        }
    }
    Ok(names)
}

/// Paths that differ between the merge-base of `base` and `HEAD` and the working tree of the repository at
/// `root`, plus untracked files that are not ignored. Renames count as a removal and an addition.
fn changed_paths(root: &Path, base: &str) -> Result<Vec<String>> {
    let sh = Shell::new()?;
    sh.change_dir(root);
    let merge_base = cmd!(sh, "git merge-base {base} HEAD")
        .quiet()
        .read()
        .with_context(|| {
            format!(
                "`git merge-base {base} HEAD` failed in {}: `{base}` is not a commit of this clone; fix: fetch it \
                 (`git fetch origin <branch>`), and in GitHub Actions check out with `fetch-depth: 0`",
                root.display()
            )
        })?;
    let diff = cmd!(sh, "git diff --name-only --no-renames -z {merge_base} --")
        .quiet()
        .read()
        .with_context(|| format!("`git diff --name-only {merge_base}` failed"))?;
    let untracked = cmd!(sh, "git ls-files --others --exclude-standard -z")
        .quiet()
        .read()
        .context("`git ls-files --others` failed")?;
    let mut paths: BTreeSet<String> = BTreeSet::new();
    for path in diff.split('\0').chain(untracked.split('\0')) {
        if !path.is_empty() {
            paths.insert(path.to_owned());
        }
    }
    tracing::debug!(%merge_base, count = paths.len(), "changed paths");
    Ok(paths.into_iter().collect())
}

/// The patterns the working tree of the repository at `root` changes since the merge-base with `base`.
pub fn changed_since(root: &Path, base: &str) -> Result<Changed> {
    if base.trim().is_empty() {
        bail!("--base is empty; fix: give a git ref such as `origin/main` or `HEAD~1`");
    }
    let paths = changed_paths(root, base)?;
    let existing = existing_patterns(root)?;
    Ok(classify(paths.iter().map(String::as_str), &existing))
}

pub fn run(base: &str, json: bool) -> Result<()> {
    let root: PathBuf = project_root();
    let changed = changed_since(&root, base)?;
    if json {
        println!("{}", serde_json::to_string(&changed)?);
    } else {
        for pattern in &changed.patterns {
            println!("{pattern}");
        }
        eprintln!("{}", changed.reason);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn existing(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn names(changed: &Changed) -> Vec<&str> {
        changed.patterns.iter().map(String::as_str).collect()
    }

    #[test]
    fn files_of_a_pattern_select_that_pattern_only() {
        let got = classify(
            [
                "patterns/beta/functions/hello/src/main.rs",
                "patterns/alpha/README.md",
                "patterns/beta/terraform/main.tf",
            ],
            &existing(&["alpha", "beta", "gamma"]),
        );
        assert_eq!(names(&got), ["alpha", "beta"]);
        assert!(!got.all);
        assert_eq!(
            got.reason,
            "files changed under patterns/alpha, patterns/beta"
        );
    }

    #[test]
    fn a_removed_pattern_is_not_selected() {
        let got = classify(
            ["patterns/gone/pattern.toml", "patterns/gone/README.md"],
            &existing(&["alpha"]),
        );
        assert!(got.patterns.is_empty(), "{got:?}");
        assert!(!got.all);
        assert!(got.reason.contains("removed patterns (gone)"), "{got:?}");
    }

    #[test]
    fn shared_code_selects_every_pattern() {
        for path in [
            "xtask/src/main.rs",
            "template/cargo-generate.toml",
            "crates/local-cloud/src/edge.rs",
            "Cargo.toml",
            "Cargo.lock",
            ".cargo/config.toml",
            "schemas/example-pattern.schema.json",
            "requirements.txt",
            "tests/fidelity/x.json",
            ".github/workflows/pr.yml",
            ".github/actions/setup/action.yml",
        ] {
            let got = classify(
                ["patterns/alpha/README.md", path],
                &existing(&["beta", "alpha"]),
            );
            assert!(got.all, "{path}: {got:?}");
            assert_eq!(names(&got), ["alpha", "beta"], "{path}");
            assert_eq!(
                got.reason,
                format!("`{path}` changed and every pattern depends on it")
            );
        }
    }

    #[test]
    fn the_reason_counts_the_other_shared_files() {
        let got = classify(
            ["Cargo.lock", "Cargo.toml", "xtask/src/ci.rs", "README.md"],
            &existing(&["alpha"]),
        );
        assert_eq!(
            got.reason,
            "`Cargo.lock` changed and every pattern depends on it (2 more file(s) outside the patterns changed)"
        );
    }

    #[test]
    fn docs_select_nothing() {
        let got = classify(
            [
                "README.md",
                "CONTRIBUTING.md",
                "docs/benchmarks.md",
                "docs/diagram.png",
                "LICENSE",
                "xtask/README.md",
                ".github/pull_request_template.md",
                ".github/ISSUE_TEMPLATE/bug.yml",
                ".github/scripts/template-matrix.sh",
            ],
            &existing(&["alpha"]),
        );
        assert_eq!(
            got,
            Changed {
                patterns: vec![],
                all: false,
                reason: "no pattern to test: the 9 changed file(s) are docs or repository metadata"
                    .to_owned(),
            }
        );
    }

    #[test]
    fn similar_names_do_not_match_a_rule() {
        // `Cargo.toml` only at the root, `crates/` only as a folder.
        let got = classify(
            ["patterns/alpha/functions/f/Cargo.toml", "docs/crates/x.png"],
            &existing(&["alpha", "beta"]),
        );
        assert_eq!(names(&got), ["alpha"]);
        assert!(!got.all);
    }

    #[test]
    fn an_unclassified_path_selects_everything_and_says_so() {
        for path in ["tools/new.sh", "patterns/stray-file.txt"] {
            let got = classify([path], &existing(&["alpha"]));
            assert!(got.all, "{path}: {got:?}");
            assert_eq!(names(&got), ["alpha"]);
            assert!(got.reason.contains("no rule"), "{got:?}");
        }
    }

    #[test]
    fn no_change_selects_nothing() {
        let got = classify([], &existing(&["alpha"]));
        assert_eq!(got.reason, "no file changed");
        assert!(got.patterns.is_empty() && !got.all);
    }

    #[test]
    fn json_is_one_line_for_github_outputs() {
        let got = classify(["patterns/alpha/x.rs"], &existing(&["alpha"]));
        let text = serde_json::to_string(&got).unwrap();
        assert_eq!(
            text,
            r#"{"patterns":["alpha"],"all":false,"reason":"files changed under patterns/alpha"}"#
        );
    }

    /// A scratch git repository with two commits; removed when dropped.
    struct Repo {
        dir: PathBuf,
        sh: Shell,
    }

    impl Repo {
        fn new(name: &str) -> Repo {
            let dir =
                std::env::temp_dir().join(format!("xtask-changed-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            let sh = Shell::new().unwrap();
            sh.change_dir(&dir);
            // Isolated from the developer's git configuration (hooks, signing, default branch).
            sh.set_var("GIT_CONFIG_GLOBAL", "/dev/null");
            sh.set_var("GIT_CONFIG_NOSYSTEM", "1");
            sh.set_var("GIT_AUTHOR_NAME", "xtask test");
            sh.set_var("GIT_AUTHOR_EMAIL", "xtask@example.com");
            sh.set_var("GIT_COMMITTER_NAME", "xtask test");
            sh.set_var("GIT_COMMITTER_EMAIL", "xtask@example.com");
            cmd!(sh, "git init --quiet").run().unwrap();
            Repo { dir, sh }
        }

        fn write(&self, path: &str, text: &str) {
            let path = self.dir.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }

        fn commit(&self, message: &str) {
            let sh = &self.sh;
            cmd!(sh, "git add --all").run().unwrap();
            cmd!(sh, "git commit --quiet --no-verify -m {message}")
                .run()
                .unwrap();
        }
    }

    impl Drop for Repo {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }

    #[test]
    fn changed_names_exactly_the_patterns_touched_since_the_base() {
        let repo = Repo::new("touched");
        for name in ["alpha", "beta", "gamma", "doomed"] {
            repo.write(
                &format!("patterns/{name}/pattern.toml"),
                "iac = [\"terraform\"]\n",
            );
            repo.write(&format!("patterns/{name}/README.md"), "# x\n");
        }
        repo.write("xtask/src/main.rs", "fn main() {}\n");
        repo.write("README.md", "# repo\n");
        repo.commit("first");

        repo.write("patterns/alpha/terraform/main.tf", "# changed\n");
        repo.write("README.md", "# repo, edited\n");
        repo.write("docs/notes.md", "notes\n");
        fs::remove_dir_all(repo.dir.join("patterns/doomed")).unwrap();
        repo.commit("second");

        let got = changed_since(&repo.dir, "HEAD~1").unwrap();
        assert_eq!(names(&got), ["alpha"], "{got:?}");
        assert!(!got.all);

        // Uncommitted edits and untracked (not ignored) files count too; ignored files do not.
        repo.write("patterns/beta/README.md", "# edited, not committed\n");
        repo.write("patterns/gamma/functions/f/src/new.rs", "//! new\n");
        repo.write(".gitignore", "ignored/\n");
        repo.write("patterns/ignored/pattern.toml", "iac = [\"terraform\"]\n");
        let got = changed_since(&repo.dir, "HEAD~1").unwrap();
        assert_eq!(names(&got), ["alpha", "beta", "gamma"], "{got:?}");
        assert!(!got.all);

        // Against HEAD, only the uncommitted work is left.
        let got = changed_since(&repo.dir, "HEAD").unwrap();
        assert_eq!(names(&got), ["beta", "gamma"], "{got:?}");

        // A shared file selects every pattern that exists.
        fs::remove_dir_all(repo.dir.join("patterns/ignored")).unwrap();
        repo.write("xtask/src/main.rs", "fn main() { println!(); }\n");
        let got = changed_since(&repo.dir, "HEAD").unwrap();
        assert!(got.all, "{got:?}");
        assert_eq!(names(&got), ["alpha", "beta", "gamma"]);
    }

    #[test]
    fn an_unknown_base_is_a_clear_error() {
        let repo = Repo::new("unknown-base");
        repo.write("README.md", "# repo\n");
        repo.commit("first");
        let err = changed_since(&repo.dir, "origin/no-such-branch")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`origin/no-such-branch` is not a commit"),
            "{err}"
        );
        assert!(err.contains("fetch-depth: 0"), "{err}");
    }
}
