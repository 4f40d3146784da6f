//! Parses a mapping template into nodes: text, references (`$x`, `$!x`, `${x}`), the directives `#set`,
//! `#if`/`#elseif`/`#else`, `#foreach`, `#break`, `#stop` (also `#{end}` forms) and comments (`##`, `#* *#`).
//! A directive alone on its line takes the line with it (its indentation and newline print nothing).

use super::{
    SyntaxError,
    expr::{self, Expr, Reference},
};

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String),
    /// A reference printed; `source` is how it was written, printed as is when the reference has no value
    /// (unless `quiet`: `$!x` prints nothing).
    Ref {
        reference: Reference,
        quiet: bool,
        source: String,
    },
    Set(Reference, Expr),
    /// `(condition, body)` for `#if` and each `#elseif`, then the `#else` body.
    If(Vec<(Expr, Vec<Node>)>, Vec<Node>),
    Foreach(String, Expr, Vec<Node>),
    Break,
    Stop,
}

/// A position in the template's characters.
pub struct Cursor<'a> {
    pub chars: &'a [char],
    pub pos: usize,
}

impl Cursor<'_> {
    pub fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    pub fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    pub fn bump(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    pub fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.pos += 1;
        }
        hit
    }

    pub fn looking_at(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    pub fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// An error at `pos`, with its line and column (both from 1).
    pub fn error_at(&self, pos: usize, message: impl Into<String>) -> SyntaxError {
        let before = &self.chars[..pos.min(self.chars.len())];
        SyntaxError {
            line: before.iter().filter(|c| **c == '\n').count() + 1,
            column: before.iter().rev().take_while(|c| **c != '\n').count() + 1,
            message: message.into(),
        }
    }

    pub fn error(&self, message: impl Into<String>) -> SyntaxError {
        self.error_at(self.pos, message)
    }

    /// Skips whitespace, then requires `c`.
    pub fn expect(&mut self, c: char, context: &str) -> Result<(), SyntaxError> {
        self.skip_ws();
        if self.eat(c) {
            return Ok(());
        }
        let found = self
            .peek()
            .map_or("the end of the template".to_owned(), |f| format!("'{f}'"));
        Err(self.error(format!("expected '{c}' {context}, found {found}")))
    }
}

/// Parses a whole template.
pub fn parse(src: &str) -> Result<Vec<Node>, SyntaxError> {
    let chars: Vec<char> = src.chars().collect();
    let mut c = Cursor {
        chars: &chars,
        pos: 0,
    };
    let (nodes, end) = block(&mut c)?;
    match end {
        Terminator::Eof => Ok(nodes),
        Terminator::ElseIf(_, at) | Terminator::Else(at) | Terminator::End(at) => Err(c.error_at(
            at,
            "#elseif, #else or #end without a matching #if or #foreach",
        )),
    }
}

/// What ended a block: the end of the template or a terminator (with its position).
enum Terminator {
    Eof,
    ElseIf(Expr, usize),
    Else(usize),
    End(usize),
}

const DIRECTIVES: [&str; 8] = [
    "foreach", "elseif", "else", "end", "set", "if", "break", "stop",
];

/// The directive at the cursor (`#word` or `#{word}`) and the characters it takes, if any.
fn directive_at(c: &Cursor<'_>) -> Option<(&'static str, usize)> {
    let braced = c.peek_at(1) == Some('{');
    let start = if braced { 2 } else { 1 };
    DIRECTIVES.into_iter().find_map(|word| {
        let matches = word
            .chars()
            .enumerate()
            .all(|(i, ch)| c.peek_at(start + i) == Some(ch));
        let after = c.peek_at(start + word.len());
        if !matches {
            return None;
        }
        if braced {
            (after == Some('}')).then_some((word, start + word.len() + 1))
        } else {
            (!after.is_some_and(|a| a.is_ascii_alphanumeric() || a == '_'))
                .then_some((word, start + word.len()))
        }
    })
}

/// Whether only spaces and tabs precede `pos` on its line.
fn blank_before(c: &Cursor<'_>, pos: usize) -> bool {
    c.chars[..pos]
        .iter()
        .rev()
        .take_while(|ch| **ch != '\n')
        .all(|ch| *ch == ' ' || *ch == '\t')
}

/// After a directive that started a blank line: when only spaces and tabs follow it to the end of the line,
/// skips them and the newline, and drops the line's indentation from `text`.
fn gobble(c: &mut Cursor<'_>, started_blank: bool, text: &mut String) {
    if !started_blank {
        return;
    }
    let mut p = c.pos;
    while matches!(c.chars.get(p), Some(' ' | '\t')) {
        p += 1;
    }
    let end = match (c.chars.get(p), c.chars.get(p + 1)) {
        (None, _) => p,
        (Some('\n'), _) => p + 1,
        (Some('\r'), Some('\n')) => p + 2,
        _ => return,
    };
    c.pos = end;
    let kept = text.trim_end_matches([' ', '\t']).len();
    text.truncate(kept);
}

fn flush(text: &mut String, nodes: &mut Vec<Node>) {
    if !text.is_empty() {
        nodes.push(Node::Text(std::mem::take(text)));
    }
}

/// `( expression )` after a directive's name.
fn condition(c: &mut Cursor<'_>, directive: &str) -> Result<Expr, SyntaxError> {
    c.expect('(', &format!("after #{directive}"))?;
    let e = expr::expression(c)?;
    c.expect(')', &format!("closing #{directive}"))?;
    Ok(e)
}

/// Nodes up to the end of the template or a block terminator.
fn block(c: &mut Cursor<'_>) -> Result<(Vec<Node>, Terminator), SyntaxError> {
    let mut nodes = Vec::new();
    let mut text = String::new();
    while let Some(ch) = c.peek() {
        match ch {
            '#' if c.peek_at(1) == Some('#') => {
                while let Some(x) = c.bump() {
                    if x == '\n' {
                        break;
                    }
                }
            }
            '#' if c.peek_at(1) == Some('*') => {
                let start = c.pos;
                c.pos += 2;
                while !c.looking_at("*#") {
                    if c.bump().is_none() {
                        return Err(c.error_at(start, "unterminated #* comment *#"));
                    }
                }
                c.pos += 2;
            }
            '#' => {
                let Some((word, len)) = directive_at(c) else {
                    text.push(ch);
                    c.pos += 1;
                    continue;
                };
                let start = c.pos;
                let blank = blank_before(c, start);
                c.pos += len;
                let node = match word {
                    "set" => {
                        c.expect('(', "after #set")?;
                        c.skip_ws();
                        let target = expr::reference(c)?.ok_or_else(|| {
                            c.error("#set needs a reference to assign, e.g. #set($x = 1)")
                        })?;
                        c.expect('=', "in #set")?;
                        let value = expr::expression(c)?;
                        c.expect(')', "closing #set")?;
                        Node::Set(target, value)
                    }
                    "if" => {
                        let first = condition(c, "if")?;
                        gobble(c, blank, &mut text);
                        flush(&mut text, &mut nodes);
                        if_chain(c, first, start)?
                    }
                    "foreach" => {
                        c.expect('(', "after #foreach")?;
                        c.skip_ws();
                        let var = expr::reference(c)?
                            .filter(|r| r.parts.is_empty())
                            .ok_or_else(|| {
                                c.error("#foreach needs a variable, e.g. #foreach($x in $list)")
                            })?;
                        c.skip_ws();
                        if !c.looking_at("in") {
                            return Err(c.error("expected 'in' in #foreach"));
                        }
                        c.pos += 2;
                        let items = expr::expression(c)?;
                        c.expect(')', "closing #foreach")?;
                        gobble(c, blank, &mut text);
                        flush(&mut text, &mut nodes);
                        let (body, end) = block(c)?;
                        let Terminator::End(_) = end else {
                            return Err(c.error_at(start, "#foreach without its #end"));
                        };
                        nodes.push(Node::Foreach(var.root, items, body));
                        continue;
                    }
                    "elseif" => {
                        let cond = condition(c, "elseif")?;
                        gobble(c, blank, &mut text);
                        flush(&mut text, &mut nodes);
                        return Ok((nodes, Terminator::ElseIf(cond, start)));
                    }
                    "else" | "end" => {
                        gobble(c, blank, &mut text);
                        flush(&mut text, &mut nodes);
                        let end = if word == "else" {
                            Terminator::Else(start)
                        } else {
                            Terminator::End(start)
                        };
                        return Ok((nodes, end));
                    }
                    "break" => Node::Break,
                    _ => Node::Stop,
                };
                if let Node::If(..) = node {
                    nodes.push(node);
                    continue;
                }
                gobble(c, blank, &mut text);
                flush(&mut text, &mut nodes);
                nodes.push(node);
            }
            '$' => {
                let start = c.pos;
                match expr::template_reference(c)? {
                    Some((reference, quiet)) => {
                        flush(&mut text, &mut nodes);
                        let source = c.chars[start..c.pos].iter().collect();
                        nodes.push(Node::Ref {
                            reference,
                            quiet,
                            source,
                        });
                    }
                    None => {
                        text.push('$');
                        c.pos += 1;
                    }
                }
            }
            _ => {
                text.push(ch);
                c.pos += 1;
            }
        }
    }
    flush(&mut text, &mut nodes);
    Ok((nodes, Terminator::Eof))
}

/// The rest of an `#if` (its condition read): bodies up to `#end`.
fn if_chain(c: &mut Cursor<'_>, first: Expr, start: usize) -> Result<Node, SyntaxError> {
    let mut branches = Vec::new();
    let mut cond = first;
    loop {
        let (body, end) = block(c)?;
        branches.push((cond, body));
        match end {
            Terminator::ElseIf(next, _) => cond = next,
            Terminator::Else(_) => {
                let (otherwise, end) = block(c)?;
                let Terminator::End(_) = end else {
                    return Err(c.error_at(start, "#if without its #end"));
                };
                return Ok(Node::If(branches, otherwise));
            }
            Terminator::End(_) => return Ok(Node::If(branches, Vec::new())),
            Terminator::Eof => return Err(c.error_at(start, "#if without its #end")),
        }
    }
}
