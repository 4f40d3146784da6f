//! The binaries a Lambda crate builds, found as cargo finds them: its `[[bin]]` targets, `src/main.rs` (named
//! after the package) and each `src/bin/<name>.rs` or `src/bin/<name>/main.rs` (cargo's target auto-discovery,
//! unless `autobins = false`). A Lambda crate builds exactly one, which becomes the zip's `bootstrap`; the
//! upstream collection's Rust patterns often name it `handler` (`[[bin]] name = "handler"`).

use std::path::{Path, PathBuf};

/// One binary target of a crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinTarget {
    /// The binary's name (the file cargo writes).
    pub name: String,
    /// Its source file, relative to the crate folder.
    pub path: PathBuf,
}

/// The binary targets of the crate in `dir` whose parsed `Cargo.toml` is `cargo` (package `package`).
pub fn bin_targets(dir: &Path, package: &str, cargo: &toml::Table) -> Vec<BinTarget> {
    let mut out: Vec<BinTarget> = Vec::new();
    for bin in cargo
        .get("bin")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = bin.get("name").and_then(toml::Value::as_str) else {
            continue; // cargo refuses a [[bin]] without a name itself
        };
        let path = match bin.get("path").and_then(toml::Value::as_str) {
            Some(path) => PathBuf::from(path),
            None => default_path(dir, package, name),
        };
        out.push(BinTarget {
            name: name.to_owned(),
            path,
        });
    }
    let autobins = cargo
        .get("package")
        .and_then(|p| p.get("autobins"))
        .and_then(toml::Value::as_bool)
        .unwrap_or(true);
    if autobins {
        for found in discovered(dir, package) {
            if !out
                .iter()
                .any(|b| b.name == found.name || b.path == found.path)
            {
                out.push(found);
            }
        }
    }
    out
}

/// Where cargo looks for a `[[bin]]` without `path`.
fn default_path(dir: &Path, package: &str, name: &str) -> PathBuf {
    let candidates = [
        PathBuf::from(format!("src/bin/{name}.rs")),
        PathBuf::from(format!("src/bin/{name}/main.rs")),
    ];
    if let Some(found) = candidates.iter().find(|c| dir.join(c).is_file()) {
        return found.clone();
    }
    if name == package {
        return PathBuf::from("src/main.rs");
    }
    candidates[0].clone()
}

/// The binaries cargo discovers by their files.
fn discovered(dir: &Path, package: &str) -> Vec<BinTarget> {
    let mut out = Vec::new();
    if dir.join("src/main.rs").is_file() {
        out.push(BinTarget {
            name: package.to_owned(),
            path: PathBuf::from("src/main.rs"),
        });
    }
    let Ok(entries) = std::fs::read_dir(dir.join("src/bin")) else {
        return out;
    };
    let mut found: Vec<BinTarget> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let path = entry.path();
            let name = path.file_stem()?.to_str()?.to_owned();
            if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
                Some(BinTarget {
                    path: PathBuf::from(format!("src/bin/{name}.rs")),
                    name,
                })
            } else if path.join("main.rs").is_file() {
                Some(BinTarget {
                    path: PathBuf::from(format!("src/bin/{name}/main.rs")),
                    name,
                })
            } else {
                None
            }
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    out.extend(found);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(files: &[&str], cargo_toml: &str) -> (PathBuf, Vec<BinTarget>) {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("xtask-bins-{}-{n}", std::process::id()));
        for file in files {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "fn main() {}\n").unwrap();
        }
        let cargo: toml::Table = toml::from_str(cargo_toml).unwrap();
        let bins = bin_targets(&dir, "pkg", &cargo);
        std::fs::remove_dir_all(&dir).ok();
        (dir, bins)
    }

    fn names(bins: &[BinTarget]) -> Vec<&str> {
        bins.iter().map(|b| b.name.as_str()).collect()
    }

    #[test]
    fn main_rs_is_named_after_the_package() {
        let (_, bins) = scratch(&["src/main.rs"], "[package]\nname = \"pkg\"\n");
        assert_eq!(
            bins,
            [BinTarget {
                name: "pkg".into(),
                path: "src/main.rs".into()
            }]
        );
    }

    #[test]
    fn an_upstream_style_bin_target_is_found_by_its_name() {
        let toml = "[package]\nname = \"pkg\"\n[[bin]]\nname = \"handler\"\npath = \"src/bin/handler.rs\"\n";
        let (_, bins) = scratch(&["src/bin/handler.rs"], toml);
        assert_eq!(names(&bins), ["handler"]);
        let (_, bins) = scratch(
            &["src/bin/handler.rs"],
            "[package]\nname = \"pkg\"\n[[bin]]\nname = \"handler\"\n",
        );
        assert_eq!(bins[0].path, Path::new("src/bin/handler.rs"));
    }

    #[test]
    fn discovered_bins_add_to_explicit_ones_unless_autobins_is_off() {
        let files = ["src/main.rs", "src/bin/tool.rs", "src/bin/other/main.rs"];
        let (_, bins) = scratch(&files, "[package]\nname = \"pkg\"\n");
        assert_eq!(names(&bins), ["pkg", "other", "tool"]);
        let (_, bins) = scratch(
            &files,
            "[package]\nname = \"pkg\"\nautobins = false\n[[bin]]\nname = \"handler\"\npath = \"src/main.rs\"\n",
        );
        assert_eq!(names(&bins), ["handler"]);
    }
}
