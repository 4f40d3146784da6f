//! Repository hygiene, as tests: patterns stay copyable, the README lists every pattern, every Rust file
//! says what it is for, long files say why, and the docs name only files that exist.
//! Over 400 lines: each hygiene rule with the test of its checker.

use std::{
    fs,
    path::{Path, PathBuf},
};

use crate::pattern::{discover, normalize, patterns_dir, project_root};

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

#[test]
fn pattern_crates_are_copyable() {
    let mut problems = Vec::new();
    for pattern in discover().unwrap().all().unwrap() {
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
    for p in discover().unwrap().all().unwrap() {
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

/// Past this many lines a source file says why at its top (a line with [`LONG_FILE_MARK`]), or is split.
const LONG_FILE_LINES: usize = 400;
const LONG_FILE_MARK: &str = "Over 400 lines:";

/// The Rust and Python files over [`LONG_FILE_LINES`] lines that do not say why in their opening comment (first 15 lines).
fn unexplained_long_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["xtask", "crates", "patterns", "template", "tests"] {
        if !root.join(dir).is_dir() {
            continue;
        }
        for file in files(&root.join(dir), &|p| {
            p.extension().is_some_and(|e| e == "rs" || e == "py")
        }) {
            let text = fs::read_to_string(&file).unwrap();
            let lines = text.lines().count();
            if lines > LONG_FILE_LINES && !text.lines().take(15).any(|l| l.contains(LONG_FILE_MARK))
            {
                let name = file.strip_prefix(root).unwrap().display();
                out.push(format!("  {name} ({lines} lines)"));
            }
        }
    }
    out
}

#[test]
fn long_files_say_why() {
    let long = unexplained_long_files(&project_root());
    assert!(
        long.is_empty(),
        "these source files are over {LONG_FILE_LINES} lines; fix: split them by what they do, or say why they \
         are not in a comment line containing `{LONG_FILE_MARK} <reason>` in their opening comment (the first 15 lines):\n{}",
        long.join("\n")
    );
}

#[test]
fn long_file_check_reads_the_reason_line() {
    let dir = std::env::temp_dir().join(format!("xtask-long-files-{}", std::process::id()));
    let body = "fn f() {}\n".repeat(LONG_FILE_LINES);
    for (name, head) in [
        ("quiet", "//! A file.\n"),
        (
            "explained",
            "//! A file.\n//! Over 400 lines: tests beside it.\n",
        ),
    ] {
        let file = dir.join("xtask").join(format!("{name}.rs"));
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, format!("{head}{body}")).unwrap();
    }
    let long = unexplained_long_files(&dir);
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        long,
        [format!(
            "  {} ({} lines)",
            Path::new("xtask/quiet.rs").display(),
            LONG_FILE_LINES + 1
        )]
    );
}

/// Top-level folders of the repository: a backticked path in a doc that starts with one of them names a file here.
const TOP_LEVEL: [&str; 9] = [
    "xtask/",
    "crates/",
    "patterns/",
    "docs/",
    "template/",
    "tests/",
    "schemas/",
    ".github/",
    ".ci/",
];

/// The docs whose references to files must hold: README.md, CONTRIBUTING.md, docs/, each pattern's README and
/// the template's.
fn docs(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.join("README.md"), root.join("CONTRIBUTING.md")];
    out.extend(files(&root.join("docs"), &|p| {
        p.extension().is_some_and(|e| e == "md")
    }));
    for pattern in discover().unwrap().all().unwrap() {
        out.push(pattern.dir.join("README.md"));
    }
    out.push(root.join("template/README.md"));
    out.retain(|doc| doc.is_file());
    out
}

/// Paths the docs name that exist only once a documented command ran: build output (`target/`), and the pattern
/// the walk-through of CONTRIBUTING.md generates (`cargo xtask new orders-queue`, the sample `cargo xtask ci` runs).
fn is_generated(path: &str) -> bool {
    path.starts_with("target/")
        || path.contains("/target/")
        || path.starts_with("patterns/orders-queue")
}

/// Text that stands for a name rather than being one: `<name>`, `{{project-name}}`, `{api-id}`, `*.rs`, `...`.
fn is_templated(text: &str) -> bool {
    text.contains(['<', '>', '{', '}', '*', '$', '|']) || text.contains("...")
}

/// Text of a doc with the 1-based line it starts on.
type OnLine = (usize, String);

/// The code spans and the link targets of a markdown text. Fenced code blocks are left out; a code span may wrap
/// onto the next line of its paragraph, never past it.
fn spans_and_links(text: &str) -> (Vec<OnLine>, Vec<OnLine>) {
    // Paragraphs (and each table row on its own), as (first line, text).
    let mut chunks: Vec<OnLine> = Vec::new();
    let mut fence: Option<&str> = None;
    let mut current: Option<OnLine> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        if let Some(open) = fence {
            if marker == Some(open) {
                fence = None;
            }
            continue;
        }
        if marker.is_some() || trimmed.is_empty() || trimmed.starts_with('|') {
            chunks.extend(current.take());
            fence = marker;
            if trimmed.starts_with('|') {
                chunks.push((i + 1, line.to_owned()));
            }
            continue;
        }
        match &mut current {
            Some((_, chunk)) => {
                chunk.push('\n');
                chunk.push_str(line);
            }
            None => current = Some((i + 1, line.to_owned())),
        }
    }
    chunks.extend(current);

    let (mut spans, mut links) = (Vec::new(), Vec::new());
    for (first, chunk) in chunks {
        let line_at = |offset: usize| first + chunk[..offset].matches('\n').count();
        let mut scan_links = |from: usize, to: usize| {
            let mut rest = from;
            while let Some(at) = chunk[rest..to].find("](") {
                let start = rest + at + 2;
                let Some(len) = chunk[start..to].find(')') else {
                    break;
                };
                let target = chunk[start..start + len].trim();
                let target = target.split_whitespace().next().unwrap_or("");
                links.push((line_at(start), target.trim_matches(['<', '>']).to_owned()));
                rest = start + len;
            }
        };
        let bytes = chunk.as_bytes();
        let run_at = |i: usize| bytes[i..].iter().take_while(|&&b| b == b'`').count();
        let (mut i, mut text_from) = (0, 0);
        while i < bytes.len() {
            if bytes[i] != b'`' {
                i += 1;
                continue;
            }
            let run = run_at(i);
            let mut j = i + run;
            let close = loop {
                match bytes[j..].iter().position(|&b| b == b'`') {
                    None => break None,
                    Some(at) if run_at(j + at) == run => break Some(j + at),
                    Some(at) => j += at + run_at(j + at),
                }
            };
            match close {
                Some(end) => {
                    scan_links(text_from, i);
                    let code = chunk[i + run..end].replace('\n', " ");
                    spans.push((line_at(i), code.trim().to_owned()));
                    i = end + run;
                    text_from = i;
                }
                None => i += run,
            }
        }
        scan_links(text_from, chunk.len());
    }
    (spans, links)
}

/// The crate a path is in: the nearest folder at or above it, below the repository root, with a Cargo.toml.
fn crate_of(root: &Path, path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .take_while(|dir| dir.starts_with(root) && *dir != root)
        .find(|dir| dir.join("Cargo.toml").is_file())
        .map(Path::to_owned)
}

/// The references of `doc` to files of the repository that do not exist, as `doc:line: ...`.
///
/// Checked: link targets (relative to the doc), and backticked paths that start with a top-level folder
/// ([`TOP_LEVEL`]; in a pattern's or the template's README also a folder of its own, such as `functions/`) or with
/// `src/`, unless templated or generated. Such a path may be relative to the repository root, to the doc's folder,
/// to a crate of that folder (a pattern's or the template's README speaks of its functions' files), or to the
/// crate another backticked path on the same line is in (a table row naming `crates/local-cloud/src/edge.rs` and
/// `src/edge/`). A `src/` path with no crate to be relative to is not checked, nor is a missing path on a line
/// that also names a templated path (`functions/<crate>/`, which it may be relative to).
fn missing_references(root: &Path, doc: &Path) -> Vec<String> {
    let text = fs::read_to_string(doc).unwrap();
    let dir = doc.parent().unwrap();
    let rel = doc.strip_prefix(root).unwrap_or(doc).display().to_string();
    let own_folder = dir.starts_with(root.join("patterns")) || dir == root.join("template");
    let own_crates: Vec<PathBuf> = if own_folder {
        files(dir, &|p| p.ends_with("Cargo.toml"))
            .iter()
            .filter_map(|manifest| manifest.parent().map(Path::to_owned))
            .collect()
    } else {
        Vec::new()
    };
    let (spans, links) = spans_and_links(&text);
    let mut missing = Vec::new();
    for (line, path) in &spans {
        if path.contains(char::is_whitespace) || is_templated(path) || is_generated(path) {
            continue;
        }
        let top_level = TOP_LEVEL.iter().any(|top| path.starts_with(top))
            || own_folder
                && path
                    .split_once('/')
                    // Not a URL path (`/orders/42`): its empty first segment would name the doc's own folder.
                    .is_some_and(|(first, _)| !first.is_empty() && dir.join(first).is_dir());
        if !top_level && !path.starts_with("src/") {
            continue;
        }
        let mut bases: Vec<PathBuf> = own_crates.clone();
        let mut beside_templated = false;
        for (_, other) in spans.iter().filter(|(l, o)| l == line && o != path) {
            if !other.contains('/') || other.contains(char::is_whitespace) {
                continue;
            }
            if is_templated(other) {
                beside_templated = true;
                continue;
            }
            let prefix = other.split("/src/").next().unwrap_or(other);
            bases.extend(
                [root, dir]
                    .iter()
                    .map(|base| base.join(prefix))
                    .find(|p| p.exists())
                    .and_then(|p| crate_of(root, &p)),
            );
        }
        if !top_level && bases.is_empty() {
            continue; // a `src/` path of no crate we can tell
        }
        if top_level {
            bases.push(root.to_owned());
        }
        bases.push(dir.to_owned());
        if !bases.iter().any(|base| base.join(path).exists()) && !beside_templated {
            missing.push(format!("{rel}:{line}: `{path}` does not exist"));
        }
    }
    for (line, target) in &links {
        if target.is_empty()
            || target.starts_with('#')
            || target.contains("://")
            || target.starts_with("mailto:")
            || is_templated(target)
            || is_generated(target)
        {
            continue;
        }
        let file = target.split(['#', '?']).next().unwrap_or(target);
        let path = match file.strip_prefix('/') {
            Some(from_root) => root.join(from_root),
            None => dir.join(file),
        };
        if !path.exists() {
            missing.push(format!(
                "{rel}:{line}: link to `{target}`, which does not exist"
            ));
        }
    }
    missing
}

#[test]
fn docs_name_only_files_that_exist() {
    let root = project_root();
    let missing: Vec<String> = docs(&root)
        .iter()
        .flat_map(|doc| missing_references(&root, doc))
        .collect();
    assert!(
        missing.is_empty(),
        "the docs name files that do not exist:\n{}\nfix: name the file where it is now (or drop the reference)",
        missing.join("\n")
    );
}

#[test]
fn missing_references_name_the_doc_the_line_and_the_path() {
    let root = std::env::temp_dir().join(format!("tidy-docs-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    for file in [
        "xtask/src/main.rs",
        "crates/c/Cargo.toml",
        "crates/c/src/lib.rs",
        "crates/c/src/edge/mod.rs",
        "patterns/p/functions/f/Cargo.toml",
        "patterns/p/functions/f/src/main.rs",
        "patterns/p/functions/f/tests/t.rs",
    ] {
        fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
        fs::write(root.join(file), "").unwrap();
    }
    let doc = root.join("docs/d.md");
    fs::create_dir_all(root.join("docs")).unwrap();
    fs::write(
        &doc,
        "Intro: `xtask/src/main.rs`, `xtask/src/gone.rs` and [the main](../xtask/src/main.rs).\n\
         A [dead link](../nowhere.md#part), an [anchor](#intro), a [site](https://example.com).\n\
         \n\
         | what | file |\n\
         | --- | --- |\n\
         | edge | `crates/c/src/lib.rs`, `src/edge/` |\n\
         | gone | `crates/c/src/lib.rs`, `src/edge/gone.rs` |\n\
         | unqualified | `src/unknown.rs` |\n\
         | templated | `patterns/<name>/`, `{api-id}`, `target/lambda/x/bootstrap.zip` |\n\
         \n\
         A span that wraps: `xtask/src/\n\
         main.rs` is fine.\n\
         ```sh\n\
         cat `xtask/src/in-a-fence.rs`\n\
         ```\n",
    )
    .unwrap();
    let readme = root.join("patterns/p/README.md");
    fs::write(
        &readme,
        "* `src/main.rs` and `tests/t.rs` of `functions/f/`; `functions/f/src/missing.rs`; `src/absent.rs`.\n",
    )
    .unwrap();
    let mut missing = missing_references(&root, &doc);
    missing.extend(missing_references(&root, &readme));
    fs::remove_dir_all(&root).unwrap();
    assert_eq!(
        missing,
        [
            "docs/d.md:1: `xtask/src/gone.rs` does not exist",
            "docs/d.md:7: `src/edge/gone.rs` does not exist",
            "docs/d.md:2: link to `../nowhere.md#part`, which does not exist",
            "patterns/p/README.md:1: `functions/f/src/missing.rs` does not exist",
            "patterns/p/README.md:1: `src/absent.rs` does not exist",
        ]
    );
}
