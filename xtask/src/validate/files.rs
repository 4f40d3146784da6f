//! Every file a pattern references exists: Lambda crates (one binary: `src/main.rs`, `src/bin/<name>.rs` or a
//! `[[bin]]` target, as the upstream collection's Rust patterns write it), files read by Terraform functions
//! (`file`, `filebase64sha256`, `templatefile`, ...), `archive_file` sources, local module folders, and the SAM
//! template's local `CodeUri`/`DefinitionUri`/`ContentUri`, and the folder `[sam.upload]` uploads.
//!
//! Build artifacts are exempt: any path with a `target` folder in it (`target/lambda/<crate>/bootstrap.zip`) is
//! produced by `cargo xtask build`, not committed, so its absence before a build is not a defect.
//! Over 400 lines: its unit tests sit beside the checks they exercise.

use std::path::{Component, Path, PathBuf};

use anyhow::Result;
use hcl::edit::{
    Span,
    expr::{Expression, FuncCall},
    structure::Body,
    visit::{Visit, visit_expr},
};
use serde_yaml::Value;

use super::{
    Finding, read_template,
    tf_config::{self, TfFile, TfModule},
};
use crate::{flags::Iac, pattern::Pattern};

/// Terraform functions whose first argument is a path that must exist.
const FILE_FUNCTIONS: [&str; 8] = [
    "file",
    "filebase64",
    "filebase64sha256",
    "filebase64sha512",
    "filemd5",
    "filesha1",
    "filesha256",
    "templatefile",
];

pub fn check(p: &Pattern) -> Result<Vec<Finding>> {
    let mut findings = lambda_findings(p);
    if p.has(Iac::Terraform) {
        findings.extend(terraform_findings(p)?);
    }
    if p.has(Iac::Sam) {
        findings.extend(sam_findings(p)?);
    }
    findings.extend(upload_findings(p));
    Ok(findings)
}

/// `[sam.upload]`: for a SAM flavour, and its folder holds files (`deploy/upload.rs` uploads them).
fn upload_findings(p: &Pattern) -> Vec<Finding> {
    let Some(upload) = &p.manifest.sam.upload else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    let dir = p.dir.join(&upload.dir);
    let has_files = std::fs::read_dir(&dir).is_ok_and(|mut entries| entries.next().is_some());
    if !has_files {
        findings.push(Finding::new(
            p.manifest_path(),
            "sam.upload.dir",
            "file-missing",
            format!(
                "`{}` is no folder with files to upload ({})",
                upload.dir,
                dir.display()
            ),
            "name the folder, relative to the pattern, whose files go into the stack's bucket",
        ));
    }
    if !p.has(Iac::Sam) {
        findings.push(Finding::new(
            p.manifest_path(),
            "sam.upload",
            "file-missing",
            "`[sam.upload]` is what the SAM flavour uploads after its stack, but `iac` lists no sam".to_owned(),
            "add sam to `iac`, or drop `[sam.upload]` (Terraform declares `aws_s3_object` resources instead)",
        ));
    }
    findings
}

fn lambda_findings(p: &Pattern) -> Vec<Finding> {
    let mut findings = Vec::new();
    for l in &p.lambdas {
        let finding = |message: String, fix: &str| {
            Finding::new(p.manifest_path(), "lambdas", "file-missing", message, fix)
        };
        match l.bins.as_slice() {
            [] => findings.push(finding(
                format!("Lambda crate `{}` builds no binary ({})", l.package, l.dir.display()),
                "a Lambda is a binary crate: add src/main.rs (or src/bin/<name>.rs, or a [[bin]] target) with                  the `lambda_runtime::run` entry point",
            )),
            [bin] if !l.dir.join(&bin.path).is_file() => findings.push(finding(
                format!(
                    "Lambda crate `{}`: binary `{}` has no source file {}",
                    l.package,
                    bin.name,
                    l.dir.join(&bin.path).display()
                ),
                "create that file, or fix `path` of the [[bin]] target in the crate's Cargo.toml",
            )),
            [_] => {}
            many => findings.push(Finding::new(
                p.manifest_path(),
                "lambdas",
                "lambda-binaries",
                format!(
                    "Lambda crate `{}` builds {} binaries ({}); the function runs one",
                    l.package,
                    many.len(),
                    many.iter().map(|b| b.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
                "keep one binary per Lambda crate (a crate per function; shared code in a library)",
            )),
        }
    }
    findings
}

/// Build artifacts (see the module docs): a `target` folder in the part of `path` that is not shared with the
/// pattern folder (so a pattern that itself lives under some `target/`, as test fixtures do, is still checked).
fn is_build_artifact(pattern_dir: &Path, path: &Path) -> bool {
    let mut shared = pattern_dir.components();
    let mut rest = path.components().peekable();
    while let (Some(a), Some(b)) = (shared.next(), rest.peek()) {
        if a != *b {
            break;
        }
        rest.next();
    }
    rest.any(|c| c == Component::Normal("target".as_ref()))
}

fn terraform_findings(p: &Pattern) -> Result<Vec<Finding>> {
    let root = p.terraform_dir();
    if !root.is_dir() {
        return Ok(vec![Finding::new(
            p.manifest_path(),
            "terraform.dir",
            "file-missing",
            format!(
                "iac lists terraform, but {} is not a folder",
                root.display()
            ),
            "create the Terraform root module there, or set `[terraform] dir` in pattern.toml",
        )]);
    }
    // Files that do not parse are reported by rules.rs (`terraform-parse`) and by terraform itself.
    let (modules, _parse_findings) = tf_config::load_tree(&root)?;
    let mut findings = Vec::new();
    for module in &modules {
        for file in &module.files {
            let mut visitor = RefVisitor {
                pattern_dir: &p.dir,
                root: &root,
                module,
                file,
                findings: &mut findings,
            };
            visitor.visit_body(&file.body);
            module_source_findings(module, file, &file.body, &mut findings);
            archive_findings(&p.dir, &root, module, file, &mut findings);
        }
    }
    Ok(findings)
}

/// Resolves a Terraform path expression: a literal (relative to the root module, Terraform's working
/// directory) or one starting with `${path.module}`, `${path.root}` or `${path.cwd}`. `None` when the path
/// depends on anything else (a variable, a resource attribute).
fn resolve(expr: &Expression, root: &Path, module: &Path) -> Option<PathBuf> {
    if let Some(literal) = tf_config::literal_str(expr) {
        return Some(tf_config::normalize(&root.join(literal)));
    }
    let Expression::StringTemplate(t) = expr else {
        return None;
    };
    let mut elements = t.iter();
    let base = match elements
        .next()?
        .as_interpolation()
        .map(|i| tf_config::reference(&i.expr))
    {
        Some(Some(names)) if names == ["path", "module"] => module,
        Some(Some(names)) if names == ["path", "root"] || names == ["path", "cwd"] => root,
        _ => return None,
    };
    let mut rest = String::new();
    for element in elements {
        rest.push_str(element.as_literal()?.value());
    }
    Some(tf_config::normalize(
        &base.join(rest.trim_start_matches('/')),
    ))
}

struct RefVisitor<'a> {
    pattern_dir: &'a Path,
    root: &'a Path,
    module: &'a TfModule,
    file: &'a TfFile,
    findings: &'a mut Vec<Finding>,
}

impl Visit for RefVisitor<'_> {
    fn visit_func_call(&mut self, call: &FuncCall) {
        let name = call.name.name.value().as_str();
        if call.name.namespace.is_empty()
            && FILE_FUNCTIONS.contains(&name)
            && let Some(arg) = call.args.iter().next()
        {
            match resolve(arg, self.root, &self.module.dir) {
                Some(path) if !path.exists() && !is_build_artifact(self.pattern_dir, &path) => {
                    self.findings.push(
                        Finding::new(
                            &self.file.path,
                            format!("{name}({})", tf_config::source_of(self.file, arg)),
                            "file-missing",
                            format!("{name}() reads {}, which does not exist", path.display()),
                            "add the file to the pattern, or fix the path (relative paths start with `${path.module}/`)",
                        )
                        .at_line(self.file.line_of(call.span())),
                    );
                }
                Some(_) => {}
                None => tracing::debug!(
                    "{}: {name}() path depends on run-time values; not checked",
                    self.file.path.display()
                ),
            }
        }
        for arg in call.args.iter() {
            visit_expr(self, arg);
        }
    }
}

fn module_source_findings(
    module: &TfModule,
    file: &TfFile,
    body: &Body,
    findings: &mut Vec<Finding>,
) {
    for block in body.get_blocks("module") {
        let Some(attr) = block.body.get_attribute("source") else {
            continue;
        };
        let Some(source) = tf_config::literal_str(&attr.value) else {
            continue;
        };
        if !tf_config::is_local_source(&source) {
            continue;
        }
        let dir = tf_config::normalize(&module.dir.join(&source));
        let has_tf = std::fs::read_dir(&dir).is_ok_and(|entries| {
            entries
                .filter_map(|e| e.ok())
                .any(|e| e.path().extension().is_some_and(|x| x == "tf"))
        });
        if !has_tf {
            let name = block.labels.first().map_or("", |l| l.as_str());
            findings.push(
                Finding::new(
                    &file.path,
                    format!("module.{name}.source"),
                    "file-missing",
                    format!(
                        "module source \"{source}\" is not a folder with .tf files ({})",
                        dir.display()
                    ),
                    "create the module folder, or fix the relative path",
                )
                .at_line(file.line_of(attr.span())),
            );
        }
    }
}

/// `data "archive_file"` reads `source_file` / `source_dir` from the repository.
fn archive_findings(
    pattern_dir: &Path,
    root: &Path,
    module: &TfModule,
    file: &TfFile,
    findings: &mut Vec<Finding>,
) {
    for block in module.blocks().filter(|b| b.file.path == file.path) {
        if block.kind != "data" || block.rtype != "archive_file" {
            continue;
        }
        for key in ["source_file", "source_dir"] {
            let Some(attr) = block.attr(key) else {
                continue;
            };
            let Some(path) = resolve(&attr.value, root, &module.dir) else {
                continue;
            };
            if !path.exists() && !is_build_artifact(pattern_dir, &path) {
                findings.push(
                    Finding::new(
                        &file.path,
                        format!("{}.{key}", block.address()),
                        "file-missing",
                        format!("{key} {} does not exist", path.display()),
                        "add it to the pattern, or fix the path (relative paths start with `${path.module}/`)",
                    )
                    .at_line(block.attr_line(key)),
                );
            }
        }
    }
}

/// SAM properties holding a local path (unless they are an S3 location).
const SAM_PATHS: [(&str, &str); 6] = [
    ("AWS::Serverless::Function", "CodeUri"),
    ("AWS::Serverless::Api", "DefinitionUri"),
    ("AWS::Serverless::HttpApi", "DefinitionUri"),
    ("AWS::Serverless::StateMachine", "DefinitionUri"),
    ("AWS::Serverless::LayerVersion", "ContentUri"),
    ("AWS::Serverless::Application", "Location"),
];

fn sam_findings(p: &Pattern) -> Result<Vec<Finding>> {
    let path = p.sam_template();
    if !path.is_file() {
        return Ok(vec![Finding::new(
            p.manifest_path(),
            "sam.template",
            "file-missing",
            format!("iac lists sam, but {} does not exist", path.display()),
            "write the SAM template there, or set `[sam] template` in pattern.toml",
        )]);
    }
    // A template that does not parse is reported by rules.rs (`sam-parse`) and by cfn-lint.
    let Ok(template) = read_template(&path)? else {
        return Ok(Vec::new());
    };
    let mut findings = Vec::new();
    let mut check = |value: Option<&Value>, location: String, line: Option<usize>| {
        let Some(Value::String(rel)) = value else {
            return;
        };
        if rel.starts_with("s3://") {
            return;
        }
        let target = tf_config::normalize(&template.dir().join(rel));
        if !target.exists() && !is_build_artifact(&p.dir, &target) {
            findings.push(
                Finding::new(
                    &template.path,
                    location,
                    "file-missing",
                    format!("{rel} does not exist ({})", target.display()),
                    "fix the path; it is relative to the template's folder",
                )
                .at_line(line),
            );
        }
    };
    check(
        template.global_function("CodeUri"),
        "Globals.Function.CodeUri".to_owned(),
        template.line(&["Globals", "Function", "CodeUri"]),
    );
    for resource in template.resources() {
        for (rtype, key) in SAM_PATHS {
            if resource.rtype == rtype {
                check(
                    resource.prop(key),
                    resource.path(&[key]),
                    template.line(&["Resources", resource.id, "Properties", key]),
                );
            }
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_support::Scratch;

    fn check_scratch(s: &Scratch) -> Vec<Finding> {
        check(&s.pattern()).unwrap()
    }

    #[test]
    fn good_fixture_references_exist() {
        let s = Scratch::from_fixture("good", "good-pattern");
        let findings = check_scratch(&s);
        assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn the_upload_folder_must_hold_files() {
        let s = Scratch::from_fixture("good", "good-upload");
        let toml =
            s.read("pattern.toml") + "\n[sam.upload]\nbucket = \"{bucket}\"\ndir = \"site\"\n";
        s.write("pattern.toml", &toml);
        let findings = check_scratch(&s);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].location, "sam.upload.dir");
        s.write("site/index.html", "<!doctype html>");
        let findings = check_scratch(&s);
        assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn an_upstream_style_bin_target_is_a_lambda_binary() {
        let s = Scratch::from_fixture("good", "good-pattern");
        let main = s.read("functions/hello/src/main.rs");
        s.remove("functions/hello/src/main.rs");
        s.write("functions/hello/src/bin/handler.rs", &main);
        let with_bin = s.read("functions/hello/Cargo.toml")
            + "\n[[bin]]\nname = \"handler\"\npath = \"src/bin/handler.rs\"\n";
        s.write("functions/hello/Cargo.toml", &with_bin);
        let findings = check_scratch(&s);
        assert!(findings.is_empty(), "{findings:#?}");
        assert_eq!(s.pattern().lambdas[0].bins[0].name, "handler");

        s.remove("functions/hello/src/bin/handler.rs");
        let findings = check_scratch(&s);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(
            findings[0].message.contains("src/bin/handler.rs"),
            "{findings:#?}"
        );
    }

    #[test]
    fn a_lambda_crate_with_two_binaries_is_a_finding() {
        let s = Scratch::from_fixture("good", "good-pattern");
        s.write("functions/hello/src/bin/tool.rs", "fn main() {}\n");
        let findings = check_scratch(&s);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].rule, "lambda-binaries");
        assert!(
            findings[0].message.contains("(fixture-hello, tool)"),
            "{findings:#?}"
        );
    }

    #[test]
    fn missing_main_rs_is_a_finding() {
        let s = Scratch::from_fixture("good", "good-pattern");
        s.remove("functions/hello/src/main.rs");
        let findings = check_scratch(&s);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].location, "lambdas");
        assert!(findings[0].message.contains("fixture-hello"));
    }

    #[test]
    fn missing_terraform_file_is_found_with_its_line() {
        let s = Scratch::from_fixture("good", "good-pattern");
        s.remove("terraform/files/greeting.txt");
        let findings = check_scratch(&s);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.rule, "file-missing");
        assert_eq!(f.location, "file(\"${path.module}/files/greeting.txt\")");
        assert!(f.file.ends_with("terraform/main.tf"));
        let line = s
            .read("terraform/main.tf")
            .lines()
            .position(|l| l.contains("greeting.txt"))
            .unwrap()
            + 1;
        assert_eq!(f.line, Some(line));
    }

    #[test]
    fn templatefile_module_and_archive_sources_are_checked() {
        let s = Scratch::from_fixture("good", "good-pattern");
        s.write(
            "terraform/extra.tf",
            "locals {\n  doc = templatefile(\"${path.module}/openapi.yaml.tftpl\", {})\n  ok = file(\"files/greeting.txt\")\n}\n\
             module \"net\" {\n  source = \"./modules/net\"\n}\n\
             data \"archive_file\" \"zip\" {\n  type        = \"zip\"\n  source_dir  = \"${path.module}/../src\"\n  output_path = \"${path.module}/../target/x.zip\"\n}\n\
             locals {\n  artifact = filebase64sha256(\"${path.module}/../../../target/lambda/hello/bootstrap.zip\")\n}\n",
        );
        let findings = check_scratch(&s);
        let locations: Vec<&str> = findings.iter().map(|f| f.location.as_str()).collect();
        assert_eq!(
            locations,
            [
                "templatefile(\"${path.module}/openapi.yaml.tftpl\")",
                "module.net.source",
                "data.archive_file.zip.source_dir",
            ],
            "{findings:#?}"
        );
        // Once the files exist, nothing is reported; the build artifact under target/ never is.
        s.write("terraform/openapi.yaml.tftpl", "openapi: 3.0.1\n");
        s.write("terraform/modules/net/main.tf", "");
        s.write("src/.keep", "");
        assert!(check_scratch(&s).is_empty());
    }

    #[test]
    fn build_artifacts_are_recognised() {
        let p = Path::new("/repo/patterns/p");
        assert!(is_build_artifact(
            p,
            Path::new("/repo/target/lambda/hello/bootstrap.zip")
        ));
        assert!(is_build_artifact(p, Path::new("/repo/patterns/p/target/x")));
        assert!(!is_build_artifact(
            p,
            Path::new("/repo/patterns/p/terraform/x.json")
        ));
        let p = Path::new("/repo/target/scratch/p");
        assert!(!is_build_artifact(
            p,
            Path::new("/repo/target/scratch/p/terraform/x.json")
        ));
        assert!(is_build_artifact(
            p,
            Path::new("/repo/target/scratch/target/lambda/x.zip")
        ));
    }

    #[test]
    fn sam_code_uri_must_exist() {
        let s = Scratch::from_fixture("good", "good-pattern");
        s.edit(
            "template.yaml",
            "CodeUri: functions/hello",
            "CodeUri: functions/missing",
        );
        let findings = check_scratch(&s);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].location,
            "Resources.HelloFunction.Properties.CodeUri"
        );
        let line = s
            .read("template.yaml")
            .lines()
            .position(|l| l.contains("CodeUri"))
            .unwrap()
            + 1;
        assert_eq!(findings[0].line, Some(line));
    }

    #[test]
    fn sam_s3_and_artifact_uris_are_exempt() {
        let s = Scratch::from_fixture("good", "good-pattern");
        s.edit(
            "template.yaml",
            "CodeUri: functions/hello",
            "CodeUri: ../../target/lambda/hello/",
        );
        assert!(check_scratch(&s).is_empty());
        s.edit(
            "template.yaml",
            "CodeUri: ../../target/lambda/hello/",
            "CodeUri: s3://bucket/key.zip",
        );
        assert!(check_scratch(&s).is_empty());
    }
}
