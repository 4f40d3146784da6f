//! Finding the patterns: every folder under `patterns/` with a `pattern.toml`. A folder whose `pattern.toml`
//! does not load is kept aside with its error ([`Broken`]), so one broken pattern never stops the commands about
//! the others; a command that names it (or `--all`) gets that error.

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};

use super::{Pattern, patterns_dir};
use crate::flags::Selection;

/// A pattern folder whose `pattern.toml` does not load.
#[derive(Debug, Clone)]
pub struct Broken {
    pub name: String,
    pub dir: PathBuf,
    /// Names the file, the field and the fix.
    pub error: String,
}

/// What discovery found, each list sorted by name.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub patterns: Vec<Pattern>,
    pub broken: Vec<Broken>,
}

/// Every pattern under `patterns/`.
pub fn discover() -> Result<Discovery> {
    discover_in(&patterns_dir())
}

/// Every pattern in `dir`: a folder with a `pattern.toml`.
pub fn discover_in(dir: &Path) -> Result<Discovery> {
    let mut found = Discovery::default();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        if !path.join("pattern.toml").is_file() {
            continue;
        }
        match Pattern::load(&path) {
            Ok(pattern) => found.patterns.push(pattern),
            Err(err) => found.broken.push(Broken {
                name: path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                dir: path,
                error: format!("{err:#}"),
            }),
        }
    }
    found.patterns.sort_by(|a, b| a.name.cmp(&b.name));
    found.broken.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Resolves the patterns a command acts on: some by name (each once, in the order given), or all of them (none may
/// be broken then).
pub fn select(selection: &Selection) -> Result<Vec<Pattern>> {
    discover()?.select(selection)
}

/// The pattern named `name` (see [`Discovery::find`]).
pub fn one(name: &str) -> Result<Pattern> {
    discover()?.find(name)
}

impl Discovery {
    /// See [`select`].
    pub fn select(self, selection: &Selection) -> Result<Vec<Pattern>> {
        match (selection.patterns.as_slice(), selection.all) {
            ([_, ..], true) => bail!("give pattern names or --all, not both"),
            ([], false) => bail!("give a pattern name or --all (see `cargo xtask list`)"),
            ([], true) => self.all(),
            (names, false) => {
                let mut picked: Vec<Pattern> = Vec::new();
                for name in names {
                    if !picked.iter().any(|p| &p.name == name) {
                        picked.push(self.find(name)?);
                    }
                }
                Ok(picked)
            }
        }
    }

    /// Every pattern; an error naming each broken one when there is any (a command about all patterns cannot
    /// leave one out silently).
    pub fn all(self) -> Result<Vec<Pattern>> {
        if self.broken.is_empty() {
            return Ok(self.patterns);
        }
        bail!(
            "{} pattern(s) do not load, so --all cannot act on every pattern:\n  {}\nfix them, or name the \
             pattern to act on",
            self.broken.len(),
            self.broken
                .iter()
                .map(|b| b.error.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        )
    }

    /// The pattern named `name`; a broken one is its load error, an unknown name an error listing the closest.
    pub fn find(&self, name: &str) -> Result<Pattern> {
        if let Some(p) = self.patterns.iter().find(|p| p.name == name) {
            return Ok(p.clone());
        }
        if let Some(b) = self.broken.iter().find(|b| b.name == name) {
            bail!("pattern `{name}` does not load: {}", b.error);
        }
        let names = self
            .patterns
            .iter()
            .map(|p| p.name.as_str())
            .chain(self.broken.iter().map(|b| b.name.as_str()));
        let mut scored: Vec<(f64, &str)> =
            names.map(|n| (strsim::jaro_winkler(name, n), n)).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let close: Vec<&str> = scored
            .iter()
            .filter(|(s, _)| *s > 0.7)
            .take(3)
            .map(|(_, n)| *n)
            .collect();
        if close.is_empty() {
            bail!("unknown pattern `{name}`; `cargo xtask list` shows the patterns")
        }
        bail!(
            "unknown pattern `{name}`; did you mean: {}?",
            close.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `xtask/tests/discover/patterns/`: `fine` loads, `broken` misspells a field of its pattern.toml.
    fn fixture() -> Discovery {
        discover_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/discover/patterns")).unwrap()
    }

    #[test]
    fn a_broken_pattern_is_reported_and_the_others_still_load() {
        let found = fixture();
        let names: Vec<&str> = found.patterns.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["fine"]);
        assert_eq!(found.broken.len(), 1);
        let err = &found.broken[0].error;
        assert!(
            err.contains("broken/pattern.toml:3: field `lambdaz`")
                && err.contains("unknown field `lambdaz`")
                && err.contains("fix:"),
            "{err}"
        );
        assert_eq!(found.find("fine").unwrap().name, "fine");
    }

    #[test]
    fn naming_a_broken_pattern_or_all_patterns_is_its_error() {
        let err = format!("{:#}", fixture().find("broken").unwrap_err());
        assert!(
            err.starts_with("pattern `broken` does not load: ")
                && err.contains("pattern.toml:3: field `lambdaz`")
                && err.contains("fix:"),
            "{err}"
        );
        let all = Selection {
            patterns: Vec::new(),
            all: true,
        };
        let err = format!("{:#}", fixture().select(&all).unwrap_err());
        assert!(
            err.contains("1 pattern(s) do not load") && err.contains("`lambdaz`"),
            "{err}"
        );
        let err = format!("{:#}", fixture().find("brokn").unwrap_err());
        assert!(err.contains("did you mean: broken"), "{err}");
    }

    #[test]
    fn the_repository_patterns_all_load() {
        let found = discover().unwrap();
        assert!(found.broken.is_empty(), "{:#?}", found.broken);
        assert!(!found.patterns.is_empty());
    }
}
