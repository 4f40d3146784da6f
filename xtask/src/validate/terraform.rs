//! Terraform's own checks: `terraform fmt -check` on the pattern's Terraform folder, and `terraform validate`
//! run offline in a work directory (`.work/validate/<pattern>/`, see `pattern::work_root`), never in the pattern folder.
//!
//! The work directory holds a mirror of the pattern: the Terraform folder copied, everything else linked, so
//! `${path.module}/../...` references resolve as they do in the pattern. `terraform init` runs once and is
//! reused; it runs again when `terraform validate` says the configuration needs it.
//! Over 400 lines: its unit tests sit beside the checks they exercise.

use std::{
    fs,
    path::{Component, Path, PathBuf},
};

use anyhow::{Context, Result};
use serde::Deserialize;
use xshell::{Shell, cmd};

use super::Finding;
use crate::pattern::normalize;
use crate::{
    pattern::Pattern,
    tools::{self, Tool},
};

pub fn check(p: &Pattern) -> Result<Vec<Finding>> {
    let tf_dir = p.terraform_dir();
    if !tf_dir.is_dir() {
        // files.rs reports the missing folder (`file-missing` on `terraform.dir`).
        return Ok(Vec::new());
    }
    let sh = Shell::new()?;
    tools::require(&sh, Tool::Terraform)?;
    let work = work_dir(p);
    fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    if let Some(config) = tools::terraform_cli_config(&work)? {
        sh.set_var("TF_CLI_CONFIG_FILE", config);
    }
    sh.set_var("TF_IN_AUTOMATION", "1");
    sh.set_var("CHECKPOINT_DISABLE", "1");
    sh.set_var("TF_INPUT", "0");
    sh.set_var("TF_DATA_DIR", work.join(".terraform"));

    let (mut findings, syntax_ok) = fmt_findings(&sh, &tf_dir)?;
    if syntax_ok {
        findings.extend(validate_findings(&sh, p, &tf_dir, &work)?);
    }
    Ok(findings)
}

/// `.work/validate/<pattern>/`: in the work folder, so two of them (`XTASK_WORK_DIR`) validate side by side.
pub fn work_dir(p: &Pattern) -> PathBuf {
    crate::pattern::work_root().join("validate").join(&p.name)
}

/// `terraform fmt -check -recursive -diff`: one finding per file that is not in canonical format. The flag is
/// false when a file does not even parse (one `terraform-syntax` finding; validate is then not run).
fn fmt_findings(sh: &Shell, tf_dir: &Path) -> Result<(Vec<Finding>, bool)> {
    let out = cmd!(
        sh,
        "terraform -chdir={tf_dir} fmt -check -recursive -diff -no-color"
    )
    .quiet()
    .ignore_status()
    .output()
    .context("running `terraform fmt -check`")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => Ok((Vec::new(), true)),
        Some(3) => Ok((parse_fmt_diff(tf_dir, &stdout), true)),
        _ => {
            let (file, line) = first_error_location(tf_dir, &stderr);
            let finding = Finding::new(
                file,
                line.map_or_else(|| "syntax".to_owned(), |l| format!("line {l}")),
                "terraform-syntax",
                format!(
                    "terraform cannot parse the configuration (terraform validate was not run): {}",
                    error_text(&stderr)
                ),
                "fix the syntax, then run `cargo xtask validate` again",
            )
            .at_line(line);
            Ok((vec![finding], false))
        }
    }
}

/// Splits `fmt -diff` output into one finding per file: a file name line is followed by `--- old/<name>`.
fn parse_fmt_diff(tf_dir: &Path, stdout: &str) -> Vec<Finding> {
    let lines: Vec<&str> = stdout.lines().collect();
    let mut findings = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let name = lines[i];
        if lines.get(i + 1) != Some(&format!("--- old/{name}").as_str()) {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < lines.len()
            && lines.get(end + 1) != Some(&format!("--- old/{}", lines[end]).as_str())
        {
            end += 1;
        }
        let diff = &lines[i + 1..end];
        let line = diff.iter().find_map(|l| {
            l.strip_prefix("@@ -")?
                .split([',', ' '])
                .next()?
                .parse::<usize>()
                .ok()
        });
        let shown: Vec<&str> = diff.iter().take(24).copied().collect();
        let more = if diff.len() > shown.len() {
            "\n    ..."
        } else {
            ""
        };
        findings.push(
            Finding::new(
                tf_dir.join(name),
                line.map_or_else(|| "format".to_owned(), |l| format!("line {l}")),
                "terraform-fmt",
                format!(
                    "not in canonical format (terraform fmt):\n    {}{more}",
                    shown.join("\n    ")
                ),
                format!("run `terraform fmt -recursive` in {}", tf_dir.display()),
            )
            .at_line(line),
        );
        i = end;
    }
    findings
}

/// The file and line of the first `on <file> line <n>` in terraform's human-readable errors.
fn first_error_location(tf_dir: &Path, stderr: &str) -> (PathBuf, Option<usize>) {
    for line in stderr.lines() {
        if let Some(rest) = line.trim().strip_prefix("on ")
            && let Some((file, tail)) = rest.split_once(" line ")
        {
            let n = tail
                .trim_end_matches(':')
                .split([',', ':'])
                .next()
                .and_then(|n| n.parse().ok());
            return (tf_dir.join(file), n);
        }
    }
    (tf_dir.to_owned(), None)
}

/// Terraform's error output without the box drawing and the CLI-configuration warnings.
fn error_text(stderr: &str) -> String {
    let text: Vec<&str> = stderr
        .lines()
        .map(|l| l.trim_start_matches(['│', '╷', '╵', ' ']).trim_end())
        .filter(|l| !l.is_empty())
        .collect();
    let start = text
        .iter()
        .position(|l| l.starts_with("Error"))
        .unwrap_or(0);
    text[start..].join(" ")
}

#[derive(Deserialize)]
struct ValidateOutput {
    diagnostics: Vec<Diagnostic>,
}

#[derive(Deserialize)]
struct Diagnostic {
    severity: String,
    summary: String,
    #[serde(default)]
    detail: String,
    range: Option<DiagRange>,
    snippet: Option<Snippet>,
}

#[derive(Deserialize)]
struct DiagRange {
    filename: String,
    start: DiagPos,
}

#[derive(Deserialize)]
struct DiagPos {
    line: usize,
}

#[derive(Deserialize)]
struct Snippet {
    context: Option<String>,
}

fn validate_findings(sh: &Shell, p: &Pattern, tf_dir: &Path, work: &Path) -> Result<Vec<Finding>> {
    let rel = p
        .terraform_dir()
        .strip_prefix(&p.dir)
        .map(Path::to_owned)
        .unwrap_or_default();
    let src = work.join("src");
    mirror(&p.dir, &src, &rel)?;
    let module = src.join(&rel);

    let initialized =
        work.join(".terraform").is_dir() && module.join(".terraform.lock.hcl").is_file();
    if !initialized && let Some(finding) = init(sh, tf_dir, &module)? {
        return Ok(vec![finding]);
    }
    let mut diagnostics = run_validate(sh, &module)?;
    if initialized
        && diagnostics
            .iter()
            .any(|d| d.detail.contains("terraform init"))
    {
        tracing::info!(
            "{}: configuration changed, running terraform init again",
            p.name
        );
        if let Some(finding) = init(sh, tf_dir, &module)? {
            return Ok(vec![finding]);
        }
        diagnostics = run_validate(sh, &module)?;
    }
    let mut findings = Vec::new();
    for diag in diagnostics {
        if diag.severity != "error" {
            tracing::warn!(
                "{}: terraform validate: {}: {}",
                tf_dir.display(),
                diag.summary,
                diag.detail
            );
            continue;
        }
        findings.push(diagnostic_finding(tf_dir, diag));
    }
    Ok(findings)
}

fn diagnostic_finding(tf_dir: &Path, diag: Diagnostic) -> Finding {
    let (file, line) = match &diag.range {
        Some(range) => (
            normalize(&tf_dir.join(&range.filename)),
            Some(range.start.line),
        ),
        None => (tf_dir.to_owned(), None),
    };
    let location = diag
        .snippet
        .as_ref()
        .and_then(|s| s.context.clone())
        .or_else(|| line.map(|l| format!("line {l}")))
        .unwrap_or_else(|| "configuration".to_owned());
    let detail = diag.detail.split_whitespace().collect::<Vec<_>>().join(" ");
    let message = if detail.is_empty() {
        diag.summary.clone()
    } else {
        format!("{}: {detail}", diag.summary)
    };
    Finding::new(
        file,
        location,
        "terraform-validate",
        message,
        format!("correct the configuration as terraform says (reproduce with `terraform validate` in {})", tf_dir.display()),
    )
    .at_line(line)
}

/// `terraform init -backend=false`; a failure is a finding (bad provider requirements, unknown module source).
fn init(sh: &Shell, tf_dir: &Path, module: &Path) -> Result<Option<Finding>> {
    let _cache = crate::tools::terraform_init_lock()?;
    let out = cmd!(
        sh,
        "terraform -chdir={module} init -backend=false -input=false -no-color"
    )
    .quiet()
    .ignore_status()
    .output()
    .context("running `terraform init`")?;
    if out.status.success() {
        return Ok(None);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (file, line) = first_error_location(tf_dir, &stderr);
    Ok(Some(
        Finding::new(
            file,
            line.map_or_else(|| "terraform init".to_owned(), |l| format!("line {l}")),
            "terraform-init",
            format!(
                "terraform init failed (terraform validate was not run): {}",
                error_text(&stderr)
            ),
            "fix the provider requirements or module sources; providers must be available from the \
             registry or the local mirror",
        )
        .at_line(line),
    ))
}

fn run_validate(sh: &Shell, module: &Path) -> Result<Vec<Diagnostic>> {
    let out = cmd!(sh, "terraform -chdir={module} validate -json -no-color")
        .quiet()
        .ignore_status()
        .output()
        .context("running `terraform validate -json`")?;
    let parsed: ValidateOutput = serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "`terraform validate -json` in {} gave no JSON: {}",
            module.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )
    })?;
    Ok(parsed.diagnostics)
}

/// Makes `dst` mirror `src`: the folder at `copy` (relative) is copied file by file, every other entry on the
/// way is a symbolic link to the original. Entries that vanished from `src` are removed; Terraform's
/// lock file in the copied folder is kept.
fn mirror(src: &Path, dst: &Path, copy: &Path) -> Result<()> {
    let mut components = copy
        .components()
        .filter(|c| matches!(c, Component::Normal(_)));
    let Some(Component::Normal(first)) = components.next() else {
        return sync_copy(src, dst);
    };
    let rest: PathBuf = components.collect();
    fs::create_dir_all(dst).with_context(|| format!("creating {}", dst.display()))?;
    let mut names = Vec::new();
    for entry in fs::read_dir(src).with_context(|| format!("reading {}", src.display()))? {
        let name = entry?.file_name();
        let (from, to) = (src.join(&name), dst.join(&name));
        if name == first {
            if to.is_symlink() {
                fs::remove_file(&to)?;
            }
            mirror(&from, &to, &rest)?;
        } else if fs::read_link(&to).ok().as_deref() != Some(from.as_path()) {
            remove(&to)?;
            symlink(&from, &to)?;
        }
        names.push(name);
    }
    prune(dst, &names, &[])
}

/// Copies `src` into `dst` (changed files only), without Terraform's local state and caches.
fn sync_copy(src: &Path, dst: &Path) -> Result<()> {
    const SKIP: [&str; 4] = [
        ".terraform",
        ".terraform.lock.hcl",
        "terraform.tfstate.d",
        ".terraform.tfstate.lock.info",
    ];
    fs::create_dir_all(dst).with_context(|| format!("creating {}", dst.display()))?;
    let mut names = Vec::new();
    for entry in fs::read_dir(src).with_context(|| format!("reading {}", src.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        let text = name.to_string_lossy();
        if SKIP.contains(&text.as_ref())
            || text.ends_with(".tfstate")
            || text.ends_with(".tfstate.backup")
        {
            continue;
        }
        let (from, to) = (entry.path(), dst.join(&name));
        if from.is_dir() {
            if to.is_symlink() || to.is_file() {
                remove(&to)?;
            }
            sync_copy(&from, &to)?;
        } else {
            let bytes = fs::read(&from).with_context(|| format!("reading {}", from.display()))?;
            if to.is_symlink() || to.is_dir() {
                remove(&to)?;
            }
            if fs::read(&to).ok().as_deref() != Some(bytes.as_slice()) {
                fs::write(&to, bytes).with_context(|| format!("writing {}", to.display()))?;
            }
        }
        names.push(name);
    }
    prune(dst, &names, &[".terraform.lock.hcl"])
}

/// Removes the entries of `dir` not in `keep` nor in `preserve`.
fn prune(dir: &Path, keep: &[std::ffi::OsString], preserve: &[&str]) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if !keep.contains(&name) && !preserve.iter().any(|p| name == *p) {
            remove(&entry.path())?;
        }
    }
    Ok(())
}

fn remove(path: &Path) -> Result<()> {
    if path.is_symlink() || path.is_file() {
        fs::remove_file(path).with_context(|| format!("removing {}", path.display()))?;
    } else if path.is_dir() {
        fs::remove_dir_all(path).with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(from: &Path, to: &Path) -> Result<()> {
    std::os::unix::fs::symlink(from, to)
        .with_context(|| format!("linking {} -> {}", to.display(), from.display()))
}

#[cfg(not(unix))]
fn symlink(from: &Path, to: &Path) -> Result<()> {
    if from.is_dir() {
        sync_copy(from, to)
    } else {
        fs::copy(from, to).map(drop).map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_support::Scratch;

    #[test]
    fn fmt_diff_is_split_per_file() {
        let out = "main.tf\n--- old/main.tf\n+++ new/main.tf\n@@ -3,4 +3,4 @@\n locals {\n-  a=1\n+  a = 1\n }\nsub/x.tf\n--- old/sub/x.tf\n+++ new/sub/x.tf\n@@ -1 +1 @@\n-x=1\n+x = 1\n";
        let findings = parse_fmt_diff(Path::new("/p/terraform"), out);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].file, Path::new("/p/terraform/main.tf"));
        assert_eq!(findings[0].line, Some(3));
        assert!(findings[0].message.contains("+  a = 1"));
        assert!(!findings[0].message.contains("sub/x.tf"));
        assert_eq!(findings[1].file, Path::new("/p/terraform/sub/x.tf"));
        assert_eq!(findings[1].line, Some(1));
    }

    /// Runs the real terraform on the fixture: clean, then broken in three ways.
    #[test]
    fn terraform_fmt_and_validate_on_the_fixture() {
        // A per-process name: the work directory is per pattern name, and test runs may overlap.
        let name = format!("xtask-fixture-tf-{}", std::process::id());
        let s = Scratch::from_fixture("good", &name);
        let p = s.pattern();
        let work = work_dir(&p);
        let _cleanup = RemoveOnDrop(work.clone());
        let findings = check(&p).unwrap();
        assert!(findings.is_empty(), "{findings:#?}");
        assert!(work.join("src/terraform/main.tf").is_file());
        assert!(work.join("src/functions").is_symlink());
        assert!(
            !p.dir.join("terraform/.terraform.lock.hcl").exists(),
            "validate wrote into the pattern"
        );
        assert!(
            !p.dir.join("terraform/.terraform").exists(),
            "validate wrote into the pattern"
        );

        // A new local module needs `terraform init` again: validate notices and re-initializes.
        s.write(
            "terraform/modules/extra/main.tf",
            "output \"x\" {\n  value = 1\n}\n",
        );
        s.write(
            "terraform/extra.tf",
            "module \"extra\" {\n  source = \"./modules/extra\"\n}\n",
        );
        let findings = check(&p).unwrap();
        assert!(findings.is_empty(), "{findings:#?}");
        s.remove("terraform/extra.tf").remove("terraform/modules");

        // An unknown argument (terraform validate) and bad formatting (terraform fmt).
        s.edit(
            "terraform/main.tf",
            "  internal           = true\n  load_balancer_type = \"network\"",
            "  internal           = true\n  load_balancer_type = \"network\"\n  colour = \"blue\"",
        );
        let findings = check(&p).unwrap();
        let rules: Vec<&str> = findings.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            ["terraform-fmt", "terraform-validate"],
            "{findings:#?}"
        );
        let line = s
            .read("terraform/main.tf")
            .lines()
            .position(|l| l.contains("colour"))
            .unwrap()
            + 1;
        let validate = &findings[1];
        assert_eq!(validate.line, Some(line));
        assert!(
            validate.file.ends_with(format!("{name}/terraform/main.tf")),
            "{validate:?}"
        );
        assert_eq!(validate.location, "resource \"aws_lb\" \"nlb\"");
        assert!(
            validate.message.contains("Unsupported argument"),
            "{}",
            validate.message
        );

        // A syntax error: one finding, validate not run.
        s.write("terraform/broken.tf", "locals {\n");
        let findings = check(&p).unwrap();
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].rule, "terraform-syntax");
        assert!(
            findings[0].file.ends_with("terraform/broken.tf"),
            "{:?}",
            findings[0]
        );

        // A removed file no longer lingers in the work directory.
        s.remove("terraform/broken.tf");
        s.edit("terraform/main.tf", "\n  colour = \"blue\"", "");
        assert!(check(&p).unwrap().is_empty());
        assert!(!work.join("src/terraform/broken.tf").exists());
    }

    struct RemoveOnDrop(PathBuf);

    impl Drop for RemoveOnDrop {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}
