//! The GitHub Actions files, as tests: every workflow and local action parses as YAML and follows the repository's
//! rules (read-only default token, concurrency group, actions pinned to a major version tag), actionlint passes on
//! every workflow (with ShellCheck on `run:` scripts), and ShellCheck passes on `.github/scripts/`.
//!
//! actionlint and ShellCheck come from requirements.txt (`cargo xtask setup` installs them into .venv); a missing
//! tool fails the test with that hint.

use std::{
    fs,
    path::{Path, PathBuf},
};

use serde_yaml::Value;
use xshell::{Shell, cmd};

use crate::{pattern::project_root, tools::find_program};

/// The workflows this repository must have (see .github/README.md).
const WORKFLOWS: &[&str] = &["aws.yml", "main.yml", "pr.yml", "template.yml"];

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// `.venv/bin/<program>`, else `<program>` on PATH; panics with the install hint when it is nowhere.
fn tool(sh: &Shell, program: &str) -> PathBuf {
    let venv = project_root().join(".venv/bin").join(program);
    if is_executable(&venv) {
        return venv;
    }
    find_program(sh, program).unwrap_or_else(|| {
        panic!(
            "`{program}` is required to lint the GitHub Actions files but is neither at {} nor on PATH; \
             fix: `cargo xtask setup` (it installs requirements.txt into .venv)",
            venv.display()
        )
    })
}

/// Files directly in `dir` whose extension is one of `extensions`, sorted.
fn files_in(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
        })
        .collect();
    files.sort();
    files
}

fn workflows() -> Vec<PathBuf> {
    files_in(&project_root().join(".github/workflows"), &["yml", "yaml"])
}

/// `.github/actions/<name>/action.yml` of every local composite action.
fn local_actions() -> Vec<PathBuf> {
    let dir = project_root().join(".github/actions");
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path().join("action.yml"))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn parse(path: &Path) -> Value {
    let text =
        fs::read_to_string(path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|err| panic!("{}: not YAML: {err}", path.display()))
}

/// Whether a `uses:` value is pinned to a major version tag (`owner/repo[/path]@v<N>`) or is a local action.
fn pinned_to_major(uses: &str) -> bool {
    if uses.starts_with("./") {
        return true;
    }
    let Some((action, tag)) = uses.split_once('@') else {
        return false;
    };
    let owner_repo = action.split('/').filter(|s| !s.is_empty()).count() >= 2;
    let major = tag
        .strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    owner_repo && !action.starts_with("docker://") && major
}

/// Every `uses:` of a workflow (job-level reusable workflows and steps) or of a composite action's steps.
fn uses_of(doc: &Value) -> Vec<String> {
    let mut steps: Vec<&Value> = Vec::new();
    let mut out = Vec::new();
    if let Some(jobs) = doc.get("jobs").and_then(Value::as_mapping) {
        for job in jobs.values() {
            if let Some(uses) = job.get("uses").and_then(Value::as_str) {
                out.push(uses.to_owned());
            }
            steps.extend(
                job.get("steps")
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten(),
            );
        }
    }
    if let Some(runs) = doc.get("runs") {
        steps.extend(
            runs.get("steps")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten(),
        );
    }
    for step in steps {
        if let Some(uses) = step.get("uses").and_then(Value::as_str) {
            out.push(uses.to_owned());
        }
    }
    out
}

/// Breaches of the repository's rules in one workflow (`name` is used in the messages).
fn workflow_problems(name: &str, doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if doc.get("on").is_none() {
        problems.push(format!("{name}: no `on:` trigger"));
    }
    match doc.get("jobs").and_then(Value::as_mapping) {
        Some(jobs) if !jobs.is_empty() => {}
        _ => problems.push(format!("{name}: no `jobs:`")),
    }
    let contents = doc
        .get("permissions")
        .and_then(|p| p.get("contents"))
        .and_then(Value::as_str);
    let only_contents = doc
        .get("permissions")
        .and_then(Value::as_mapping)
        .is_some_and(|m| m.len() == 1);
    if contents != Some("read") || !only_contents {
        problems.push(format!(
            "{name}: top-level `permissions:` must be exactly `contents: read`; fix: grant more only to the job \
             that needs it"
        ));
    }
    if doc
        .get("concurrency")
        .and_then(|c| c.get("group"))
        .is_none()
    {
        problems.push(format!(
            "{name}: no top-level `concurrency: group:`; fix: add one so superseded runs do not pile up"
        ));
    }
    for uses in uses_of(doc) {
        if !pinned_to_major(&uses) {
            problems.push(format!(
                "{name}: `uses: {uses}` is not pinned to a major version tag; fix: `owner/repo@vN`"
            ));
        }
    }
    problems
}

#[test]
fn the_workflows_exist_parse_and_follow_the_rules() {
    let files = workflows();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in WORKFLOWS {
        assert!(
            names.iter().any(|n| n == expected),
            ".github/workflows/{expected} is missing (found: {names:?})"
        );
    }
    let mut problems = Vec::new();
    for (path, name) in files.iter().zip(&names) {
        problems.extend(workflow_problems(name, &parse(path)));
    }
    for path in local_actions() {
        let name = path
            .strip_prefix(project_root())
            .unwrap()
            .display()
            .to_string();
        let doc = parse(&path);
        assert!(
            doc.get("runs")
                .and_then(|r| r.get("using"))
                .and_then(Value::as_str)
                == Some("composite"),
            "{name}: expected a composite action"
        );
        for uses in uses_of(&doc) {
            if !pinned_to_major(&uses) {
                problems.push(format!(
                    "{name}: `uses: {uses}` is not pinned to a major version tag"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_rules_catch_a_loose_workflow() {
    let doc: Value = serde_yaml::from_str(
        "on: push\npermissions: write-all\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      \
         - uses: actions/checkout@main\n      - uses: actions/setup-python@v5.1.0\n      \
         - uses: ./.github/actions/setup\n      - uses: actions/cache@v4\n  b:\n    uses: octo/wf/.github/workflows/x.yml@abc\n",
    )
    .unwrap();
    let problems = workflow_problems("loose.yml", &doc);
    let text = problems.join("\n");
    assert_eq!(problems.len(), 5, "{text}");
    assert!(text.contains("`contents: read`"), "{text}");
    assert!(text.contains("concurrency"), "{text}");
    assert!(text.contains("actions/checkout@main"), "{text}");
    assert!(text.contains("actions/setup-python@v5.1.0"), "{text}");
    assert!(
        text.contains("octo/wf/.github/workflows/x.yml@abc"),
        "{text}"
    );
    // YAML's `on` stays a string key (not the boolean `true` of YAML 1.1).
    assert!(!text.contains("no `on:`"), "{text}");
}

#[test]
#[should_panic(expected = "fix: `cargo xtask setup`")]
fn a_missing_linter_fails_loudly_with_the_setup_hint() {
    let sh = Shell::new().unwrap();
    sh.set_var("PATH", "/nonexistent-xtask-dir");
    tool(&sh, "actionlint-not-installed-4711");
}

/// Runs actionlint on `files`; returns its exit success and its output.
fn actionlint(sh: &Shell, files: &[PathBuf]) -> (bool, String) {
    let actionlint = tool(sh, "actionlint");
    let shellcheck = tool(sh, "shellcheck");
    let output = cmd!(
        sh,
        "{actionlint} -no-color -oneline -shellcheck {shellcheck} -pyflakes= {files...}"
    )
    .ignore_status()
    .quiet()
    .output()
    .expect("running actionlint");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn actionlint_passes_on_every_workflow() {
    let sh = Shell::new().unwrap();
    sh.change_dir(project_root());
    let files = workflows();
    assert!(!files.is_empty(), "no file in .github/workflows/");
    let (ok, output) = actionlint(&sh, &files);
    assert!(
        ok,
        "actionlint found problems in .github/workflows/:\n{output}"
    );
}

#[test]
fn actionlint_and_shellcheck_catch_a_broken_workflow() {
    let sh = Shell::new().unwrap();
    let dir = project_root()
        .join("target/xtask/test-scratch")
        .join(format!("workflows-lint-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.yml");
    fs::write(
        &file,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      \
         - run: echo ${{ github.no_such_property }}\n      - run: cd $HOME/sub dir\n",
    )
    .unwrap();
    let (ok, output) = actionlint(&sh, std::slice::from_ref(&file));
    fs::remove_dir_all(&dir).unwrap();
    assert!(!ok, "actionlint accepted a broken workflow:\n{output}");
    assert!(output.contains("no_such_property"), "{output}");
    assert!(output.contains("shellcheck reported issue"), "{output}");
}

#[test]
fn shellcheck_passes_on_the_ci_scripts() {
    let sh = Shell::new().unwrap();
    sh.change_dir(project_root());
    let shellcheck = tool(&sh, "shellcheck");
    let scripts = files_in(&project_root().join(".github/scripts"), &["sh"]);
    assert!(!scripts.is_empty(), "no script in .github/scripts/");
    let output = cmd!(sh, "{shellcheck} --format=gcc {scripts...}")
        .ignore_status()
        .quiet()
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "shellcheck found problems in .github/scripts/:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn issue_forms_parse() {
    let dir = project_root().join(".github/ISSUE_TEMPLATE");
    let forms = files_in(&dir, &["yml", "yaml"]);
    let mut problems = Vec::new();
    for path in &forms {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let doc = parse(path);
        if name == "config.yml" {
            continue;
        }
        for key in ["name", "description"] {
            if doc.get(key).and_then(Value::as_str).is_none() {
                problems.push(format!("{name}: no `{key}:`"));
            }
        }
        let body = doc.get("body").and_then(Value::as_sequence);
        if body.is_none_or(|b| b.is_empty()) {
            problems.push(format!("{name}: no `body:` items"));
        }
        for (i, item) in body.into_iter().flatten().enumerate() {
            let kind = item.get("type").and_then(Value::as_str).unwrap_or("");
            if !["markdown", "textarea", "input", "dropdown", "checkboxes"].contains(&kind) {
                problems.push(format!("{name}: body[{i}] has unknown `type: {kind}`"));
            }
            if kind != "markdown" && item.get("id").is_none() {
                problems.push(format!("{name}: body[{i}] has no `id:`"));
            }
        }
    }
    assert!(
        forms.len() >= 2,
        "expected the bug report and pattern proposal forms in {}",
        dir.display()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
