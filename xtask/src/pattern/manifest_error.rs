//! A `pattern.toml` that does not load, as one line naming the file, the line, the field and the fix; the field of
//! a value TOML read past (an array left open) is found by [`open_value`].

use std::path::Path;

/// A `pattern.toml` that does not parse or does not fit [`Manifest`], as one line naming the file, the line, the
/// field (the key or `[table]` of that line, or the key whose array or inline table is still open there) and the
/// fix.
pub fn message(path: &Path, text: &str, err: &toml::de::Error) -> String {
    let span = err.span();
    let line_no = span
        .as_ref()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    // An array left open (`iac = ["sam"` without its `]`) makes TOML read on into the next lines, so the line
    // where it fails (a `[[verify]]` further down) is not the field to fix.
    let open = span
        .as_ref()
        .and_then(|s| open_value(text, s.start))
        .filter(|(line, _)| Some(*line) != line_no);
    let field = line_no
        .and_then(|n| text.lines().nth(n - 1))
        .and_then(|line| {
            let line = line.trim();
            match line.strip_prefix('[') {
                Some(table) => Some(table.trim_matches(|c| c == '[' || c == ']').trim()),
                None => line.split_once('=').map(|(key, _)| key.trim()),
            }
        })
        .filter(|f| !f.is_empty() && !err.message().starts_with("missing field"));
    let mut out = path.display().to_string();
    if let Some(n) = line_no {
        out.push_str(&format!(":{n}"));
    }
    match (&open, field) {
        (Some((line, key)), _) => out.push_str(&format!(
            ": field `{key}` (its value starts on line {line})"
        )),
        (None, Some(field)) => out.push_str(&format!(": field `{field}`")),
        (None, None) => {}
    }
    let message = err.message().trim_end().replace('\n', " ");
    out.push_str(&format!(
        ": {message}; fix: correct it (CONTRIBUTING.md, section `pattern.toml`, lists every field)"
    ));
    out
}

/// The key (and its line) whose array or inline table is still open at byte `end` of a TOML text, if any. Reads
/// strings on one line and comments; enough to name the field of a `pattern.toml` error.
fn open_value(text: &str, end: usize) -> Option<(usize, String)> {
    let mut depth = 0usize;
    let mut open = None;
    let head = &text[..end.min(text.len())];
    for (n, line) in head.lines().enumerate() {
        let trimmed = line.trim_start();
        let value = if depth > 0 {
            line
        } else if trimmed.starts_with('[') || trimmed.starts_with('#') {
            continue; // a table header, a comment
        } else if let Some((key, value)) = trimmed.split_once('=') {
            open = Some((n + 1, key.trim().to_owned()));
            value
        } else {
            continue;
        };
        let mut quote = None;
        let mut escaped = false;
        for c in value.chars() {
            match quote {
                Some(q) => {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' && q == '"' {
                        escaped = true;
                    } else if c == q {
                        quote = None;
                    }
                }
                None => match c {
                    '#' => break,
                    '"' | '\'' => quote = Some(c),
                    '[' | '{' => depth += 1,
                    ']' | '}' => depth = depth.saturating_sub(1),
                    _ => {}
                },
            }
        }
    }
    if depth > 0 { open } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Manifest;

    /// An array left open makes TOML fail lines further down, at a `[[verify]]`: the error names the open field.
    #[test]
    fn an_unclosed_array_is_named_by_its_field_not_where_parsing_stopped() {
        let error = |text: &str| {
            let err = toml::from_str::<Manifest>(text).unwrap_err();
            message(Path::new("p/pattern.toml"), text, &err)
        };
        let text = "# c\niac = [\"sam\"\n\n[[verify]]\nname = \"x [y\" # ]\n";
        let err = error(text);
        assert!(
            err.starts_with("p/pattern.toml:4: field `iac` (its value starts on line 2): ")
                && err.ends_with(
                    "; fix: correct it (CONTRIBUTING.md, section `pattern.toml`, lists every field)"
                ),
            "{err}"
        );
        let err = error("iac = [\n  \"sam\",\n  \"pulumi\",\n]\n");
        assert!(
            err.starts_with(
                "p/pattern.toml:3: field `iac` (its value starts on line 1): unknown variant `pulumi`"
            ),
            "{err}"
        );
        let err = error("iac = [\"sam\"]\nlambdaz = []\n");
        assert!(
            err.starts_with("p/pattern.toml:2: field `lambdaz`: unknown field `lambdaz`"),
            "{err}"
        );
    }
}
