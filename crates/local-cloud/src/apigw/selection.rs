//! Integration response selection patterns: the common subset of Java regular expressions (literals, `.`,
//! classes, `\d`/`\w`/`\s`, groups, `|`, `* + ? {n,m}`), matched against the whole text.

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Pattern(Vec<Vec<Node>>);

#[derive(Debug, Clone)]
enum Node {
    Char(char),
    Any,
    Class(Vec<(char, char)>, bool),
    Group(Vec<Vec<Node>>),
    Repeat(Box<Node>, usize, Option<usize>),
}

impl Pattern {
    pub fn compile(pattern: &str) -> anyhow::Result<Pattern> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let alts = alternatives(&chars, &mut pos)?;
        anyhow::ensure!(
            pos == chars.len(),
            "unbalanced ')' in selection pattern {pattern:?}"
        );
        Ok(Pattern(alts))
    }

    /// Whether the whole of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        let t: Vec<char> = text.chars().collect();
        self.0
            .iter()
            .any(|seq| seq_match(seq, &t, 0, &|end| end == t.len()))
    }
}

fn alternatives(p: &[char], pos: &mut usize) -> anyhow::Result<Vec<Vec<Node>>> {
    let mut alts = vec![Vec::new()];
    while *pos < p.len() {
        let c = p[*pos];
        match c {
            ')' => break,
            '|' => {
                *pos += 1;
                alts.push(Vec::new());
                continue;
            }
            _ => {}
        }
        let atom = atom(p, pos)?;
        let Some(atom) = atom else { continue };
        let atom = quantifier(p, pos, atom)?;
        alts.last_mut()
            .expect("at least one alternative")
            .push(atom);
    }
    Ok(alts)
}

fn atom(p: &[char], pos: &mut usize) -> anyhow::Result<Option<Node>> {
    let c = p[*pos];
    *pos += 1;
    Ok(Some(match c {
        '^' | '$' => return Ok(None),
        '.' => Node::Any,
        '(' => {
            if p.get(*pos) == Some(&'?') && p.get(*pos + 1) == Some(&':') {
                *pos += 2;
            }
            let inner = alternatives(p, pos)?;
            anyhow::ensure!(
                p.get(*pos) == Some(&')'),
                "missing ')' in selection pattern"
            );
            *pos += 1;
            Node::Group(inner)
        }
        '[' => class(p, pos)?,
        '\\' => {
            let e = *p
                .get(*pos)
                .ok_or_else(|| anyhow::anyhow!("trailing '\\' in selection pattern"))?;
            *pos += 1;
            escape(e)
        }
        other => Node::Char(other),
    }))
}

fn escape(e: char) -> Node {
    let (ranges, negated): (Vec<(char, char)>, bool) = match e {
        'd' => (vec![('0', '9')], false),
        'D' => (vec![('0', '9')], true),
        'w' => (vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')], false),
        'W' => (vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')], true),
        's' => (
            vec![
                (' ', ' '),
                ('\t', '\t'),
                ('\n', '\n'),
                ('\r', '\r'),
                ('\x0b', '\x0c'),
            ],
            false,
        ),
        'S' => (
            vec![
                (' ', ' '),
                ('\t', '\t'),
                ('\n', '\n'),
                ('\r', '\r'),
                ('\x0b', '\x0c'),
            ],
            true,
        ),
        'n' => return Node::Char('\n'),
        't' => return Node::Char('\t'),
        other => return Node::Char(other),
    };
    Node::Class(ranges, negated)
}

fn class(p: &[char], pos: &mut usize) -> anyhow::Result<Node> {
    let mut negated = false;
    if p.get(*pos) == Some(&'^') {
        negated = true;
        *pos += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = *p
            .get(*pos)
            .ok_or_else(|| anyhow::anyhow!("missing ']' in selection pattern"))?;
        *pos += 1;
        if c == ']' && !first {
            break;
        }
        first = false;
        let lo = if c == '\\' {
            let e = *p
                .get(*pos)
                .ok_or_else(|| anyhow::anyhow!("trailing '\\' in selection pattern"))?;
            *pos += 1;
            match escape(e) {
                Node::Char(ch) => ch,
                Node::Class(rs, false) => {
                    ranges.extend(rs);
                    continue;
                }
                _ => anyhow::bail!(
                    "negated escape inside a class is not supported in selection patterns"
                ),
            }
        } else {
            c
        };
        if p.get(*pos) == Some(&'-') && p.get(*pos + 1).is_some_and(|n| *n != ']') {
            let hi = p[*pos + 1];
            *pos += 2;
            ranges.push((lo, hi));
        } else {
            ranges.push((lo, lo));
        }
    }
    Ok(Node::Class(ranges, negated))
}

fn number(p: &[char], pos: &mut usize) -> Option<usize> {
    let start = *pos;
    while p.get(*pos).is_some_and(char::is_ascii_digit) {
        *pos += 1;
    }
    p[start..*pos].iter().collect::<String>().parse().ok()
}

fn quantifier(p: &[char], pos: &mut usize, atom: Node) -> anyhow::Result<Node> {
    let (min, max) = match p.get(*pos) {
        Some('*') => (0, None),
        Some('+') => (1, None),
        Some('?') => (0, Some(1)),
        Some('{') => {
            *pos += 1;
            let min = number(p, pos)
                .ok_or_else(|| anyhow::anyhow!("bad {{n,m}} in selection pattern"))?;
            let max = if p.get(*pos) == Some(&',') {
                *pos += 1;
                number(p, pos)
            } else {
                Some(min)
            };
            anyhow::ensure!(
                p.get(*pos) == Some(&'}'),
                "bad {{n,m}} in selection pattern"
            );
            (min, max)
        }
        _ => return Ok(atom),
    };
    *pos += 1;
    // Lazy and possessive suffixes change nothing for a whole-text match.
    if matches!(p.get(*pos), Some('?' | '+')) {
        *pos += 1;
    }
    Ok(Node::Repeat(Box::new(atom), min, max))
}

fn seq_match(seq: &[Node], t: &[char], i: usize, k: &dyn Fn(usize) -> bool) -> bool {
    match seq.split_first() {
        None => k(i),
        Some((node, rest)) => node_match(node, t, i, &|j| seq_match(rest, t, j, k)),
    }
}

fn node_match(node: &Node, t: &[char], i: usize, k: &dyn Fn(usize) -> bool) -> bool {
    match node {
        Node::Char(c) => t.get(i) == Some(c) && k(i + 1),
        Node::Any => i < t.len() && t[i] != '\n' && k(i + 1),
        Node::Class(ranges, negated) => {
            t.get(i)
                .is_some_and(|c| ranges.iter().any(|(lo, hi)| lo <= c && c <= hi) != *negated)
                && k(i + 1)
        }
        Node::Group(alts) => alts.iter().any(|seq| seq_match(seq, t, i, k)),
        Node::Repeat(inner, min, max) => repeat_match(inner, *min, *max, 0, t, i, k),
    }
}

fn repeat_match(
    inner: &Node,
    min: usize,
    max: Option<usize>,
    count: usize,
    t: &[char],
    i: usize,
    k: &dyn Fn(usize) -> bool,
) -> bool {
    // Greedy: one more repetition first (never an empty one, which would loop), then stop here.
    if max.is_none_or(|m| count < m)
        && node_match(inner, t, i, &|j| {
            j != i && repeat_match(inner, min, max, count + 1, t, j, k)
        })
    {
        return true;
    }
    count >= min && k(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Pattern::compile(p).unwrap().matches(t)
    }

    #[test]
    fn common_selection_patterns() {
        assert!(m("200", "200"));
        assert!(!m("200", "2000"), "whole-text match");
        assert!(m("2\\d{2}", "204"));
        assert!(!m("2\\d{2}", "304"));
        assert!(m("4\\d{2}|5\\d{2}", "503"));
        assert!(m("(4|5)\\d\\d", "418"));
        assert!(m("[45][0-9]{2}", "404"));
        assert!(!m("[^45][0-9]{2}", "404"));
        assert!(m(".*Not Found.*", "Error: Not Found here"));
        assert!(m("^.*error.*$", "an error"));
        assert!(m("a{2,}b?", "aaa"));
        assert!(!m("a{2,3}", "aaaa"));
        assert!(m("(?:ab)+", "ababab"));
        assert!(m("x*", ""));
        assert!(Pattern::compile("(unclosed").is_err());
        assert!(Pattern::compile("[abc").is_err());
    }
}
