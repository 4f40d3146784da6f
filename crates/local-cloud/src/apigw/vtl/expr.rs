//! Expressions of the VTL subset: references with properties, method calls and indexes; string (`"..."`
//! interpolated, `'...'` literal), number, boolean, `null`, list, range and map literals; the operators
//! `|| && ! == != < > <= >= + - * / %` and their word forms (`or and not eq ne lt gt le ge`).

use serde_json::Value;

use super::{
    SyntaxError,
    parser::{self, Cursor, Node},
};

/// `$root.part.part...`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub root: String,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Property(String),
    Call(String, Vec<Expr>),
    Index(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Value),
    Ref(Reference),
    /// A double-quoted string with references or directives in it.
    Interpolated(Vec<Node>),
    List(Vec<Expr>),
    Range(Box<Expr>, Box<Expr>),
    Map(Vec<(Expr, Expr)>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

fn ident_start(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
}

fn ident(c: &mut Cursor<'_>) -> String {
    let mut s = String::new();
    while let Some(ch) = c
        .peek()
        .filter(|ch| ch.is_ascii_alphanumeric() || *ch == '_')
    {
        s.push(ch);
        c.pos += 1;
    }
    s
}

/// A reference in template text at a `$`: `$x`, `$!x`, `${x}`, `$!{x}` (`None`, nothing consumed, when the
/// `$` starts no reference, as in `$5`); returns it and whether it is quiet.
pub fn template_reference(c: &mut Cursor<'_>) -> Result<Option<(Reference, bool)>, SyntaxError> {
    let mut i = 1;
    let quiet = c.peek_at(i) == Some('!');
    if quiet {
        i += 1;
    }
    let braced = c.peek_at(i) == Some('{');
    if braced {
        i += 1;
    }
    if !ident_start(c.peek_at(i)) {
        return Ok(None);
    }
    let start = c.pos;
    c.pos += i;
    let root = ident(c);
    let parts = parts(c)?;
    if braced && !c.eat('}') {
        return Err(c.error_at(start, format!("'${{{root}' is missing its '}}'")));
    }
    Ok(Some((Reference { root, parts }, quiet)))
}

/// A reference in an expression (`$x...`), or `None` when the cursor is not at one.
pub fn reference(c: &mut Cursor<'_>) -> Result<Option<Reference>, SyntaxError> {
    if c.peek() != Some('$') {
        return Ok(None);
    }
    Ok(template_reference(c)?.map(|(r, _)| r))
}

/// `.name`, `.name(args)` and `[index]` after a reference's root.
fn parts(c: &mut Cursor<'_>) -> Result<Vec<Part>, SyntaxError> {
    let mut parts = Vec::new();
    loop {
        if c.peek() == Some('.') && ident_start(c.peek_at(1)) {
            c.pos += 1;
            let name = ident(c);
            if c.eat('(') {
                let mut args = Vec::new();
                c.skip_ws();
                if !c.eat(')') {
                    loop {
                        args.push(expression(c)?);
                        c.skip_ws();
                        if c.eat(')') {
                            break;
                        }
                        c.expect(',', &format!("between the arguments of .{name}()"))?;
                    }
                }
                parts.push(Part::Call(name, args));
            } else {
                parts.push(Part::Property(name));
            }
        } else if c.peek() == Some('[') {
            c.pos += 1;
            let index = expression(c)?;
            c.expect(']', "closing an index")?;
            parts.push(Part::Index(index));
        } else {
            return Ok(parts);
        }
    }
}

/// Whether the word `w` (not a longer identifier) is at the cursor, after whitespace; consumes it if so.
fn word(c: &mut Cursor<'_>, w: &str) -> bool {
    c.skip_ws();
    let after = c.peek_at(w.chars().count());
    if c.looking_at(w) && !after.is_some_and(|a| a.is_ascii_alphanumeric() || a == '_') {
        c.pos += w.len();
        return true;
    }
    false
}

fn symbol(c: &mut Cursor<'_>, s: &str) -> bool {
    c.skip_ws();
    if c.looking_at(s) {
        c.pos += s.len();
        return true;
    }
    false
}

/// A whole expression.
pub fn expression(c: &mut Cursor<'_>) -> Result<Expr, SyntaxError> {
    let mut left = and(c)?;
    while symbol(c, "||") || word(c, "or") {
        left = Expr::Binary(Op::Or, Box::new(left), Box::new(and(c)?));
    }
    Ok(left)
}

fn and(c: &mut Cursor<'_>) -> Result<Expr, SyntaxError> {
    let mut left = comparison(c)?;
    while symbol(c, "&&") || word(c, "and") {
        left = Expr::Binary(Op::And, Box::new(left), Box::new(comparison(c)?));
    }
    Ok(left)
}

fn comparison(c: &mut Cursor<'_>) -> Result<Expr, SyntaxError> {
    let mut left = additive(c)?;
    loop {
        let op = if symbol(c, "==") || word(c, "eq") {
            Op::Eq
        } else if symbol(c, "!=") || word(c, "ne") {
            Op::Ne
        } else if symbol(c, "<=") || word(c, "le") {
            Op::Le
        } else if symbol(c, ">=") || word(c, "ge") {
            Op::Ge
        } else if symbol(c, "<") || word(c, "lt") {
            Op::Lt
        } else if symbol(c, ">") || word(c, "gt") {
            Op::Gt
        } else {
            return Ok(left);
        };
        left = Expr::Binary(op, Box::new(left), Box::new(additive(c)?));
    }
}

fn additive(c: &mut Cursor<'_>) -> Result<Expr, SyntaxError> {
    let mut left = multiplicative(c)?;
    loop {
        let op = if symbol(c, "+") {
            Op::Add
        } else if c.peek() == Some('-') || {
            c.skip_ws();
            c.peek() == Some('-')
        } {
            c.pos += 1;
            Op::Sub
        } else {
            return Ok(left);
        };
        left = Expr::Binary(op, Box::new(left), Box::new(multiplicative(c)?));
    }
}

fn multiplicative(c: &mut Cursor<'_>) -> Result<Expr, SyntaxError> {
    let mut left = unary(c)?;
    loop {
        let op = if symbol(c, "*") {
            Op::Mul
        } else if symbol(c, "/") {
            Op::Div
        } else if symbol(c, "%") {
            Op::Mod
        } else {
            return Ok(left);
        };
        left = Expr::Binary(op, Box::new(left), Box::new(unary(c)?));
    }
}

fn unary(c: &mut Cursor<'_>) -> Result<Expr, SyntaxError> {
    c.skip_ws();
    if c.peek() == Some('!') && c.peek_at(1) != Some('=') {
        c.pos += 1;
        return Ok(Expr::Not(Box::new(unary(c)?)));
    }
    if word(c, "not") {
        return Ok(Expr::Not(Box::new(unary(c)?)));
    }
    if c.peek() == Some('-') && !c.peek_at(1).is_some_and(|d| d.is_ascii_digit()) {
        c.pos += 1;
        return Ok(Expr::Neg(Box::new(unary(c)?)));
    }
    primary(c)
}

fn primary(c: &mut Cursor<'_>) -> Result<Expr, SyntaxError> {
    c.skip_ws();
    let start = c.pos;
    match c.peek() {
        Some('$') => reference(c)?
            .map(Expr::Ref)
            .ok_or_else(|| c.error("'$' starts no reference")),
        Some('"') => string(c, '"'),
        Some('\'') => string(c, '\''),
        Some('(') => {
            c.pos += 1;
            let e = expression(c)?;
            c.expect(')', "closing '('")?;
            Ok(e)
        }
        Some('[') => {
            c.pos += 1;
            c.skip_ws();
            if c.eat(']') {
                return Ok(Expr::List(Vec::new()));
            }
            let first = expression(c)?;
            if symbol(c, "..") {
                let last = expression(c)?;
                c.expect(']', "closing a range")?;
                return Ok(Expr::Range(Box::new(first), Box::new(last)));
            }
            let mut items = vec![first];
            while symbol(c, ",") {
                items.push(expression(c)?);
            }
            c.expect(']', "closing a list")?;
            Ok(Expr::List(items))
        }
        Some('{') => {
            c.pos += 1;
            let mut entries = Vec::new();
            c.skip_ws();
            if !c.eat('}') {
                loop {
                    let key = expression(c)?;
                    c.expect(':', "in a map literal")?;
                    entries.push((key, expression(c)?));
                    if symbol(c, "}") {
                        break;
                    }
                    c.expect(',', "between map entries")?;
                }
            }
            Ok(Expr::Map(entries))
        }
        Some(d) if d.is_ascii_digit() || d == '-' => {
            c.pos += 1;
            while c
                .peek()
                .is_some_and(|x| x.is_ascii_digit() || (x == '.' && c.peek_at(1) != Some('.')))
            {
                c.pos += 1;
            }
            let text: String = c.chars[start..c.pos].iter().collect();
            serde_json::from_str::<serde_json::Number>(&text)
                .map(|n| Expr::Literal(Value::Number(n)))
                .map_err(|_| c.error_at(start, format!("{text} is not a number")))
        }
        _ if word(c, "true") => Ok(Expr::Literal(Value::Bool(true))),
        _ if word(c, "false") => Ok(Expr::Literal(Value::Bool(false))),
        _ if word(c, "null") => Ok(Expr::Literal(Value::Null)),
        Some(other) => Err(c.error(format!("unexpected '{other}' in an expression"))),
        None => Err(c.error("the template ends inside an expression")),
    }
}

/// A string literal; its content is kept as written (backslashes included, as Velocity 1.7 passes them on);
/// a double-quoted one with `$` or `#` in it is parsed as a template.
fn string(c: &mut Cursor<'_>, quote: char) -> Result<Expr, SyntaxError> {
    let start = c.pos;
    c.pos += 1;
    let body_start = c.pos;
    loop {
        match c.bump() {
            None => return Err(c.error_at(start, "unterminated string")),
            Some('\\') => {
                c.bump();
            }
            Some(q) if q == quote => {
                if c.peek() == Some(quote) {
                    c.pos += 1;
                    continue;
                }
                break;
            }
            Some(_) => {}
        }
    }
    let doubled: String = [quote, quote].iter().collect();
    let text: String = c.chars[body_start..c.pos - 1]
        .iter()
        .collect::<String>()
        .replace(&doubled, &quote.to_string());
    if quote == '"' && (text.contains('$') || text.contains('#')) {
        let nodes = parser::parse(&text).map_err(|e| {
            c.error_at(
                body_start,
                format!(
                    "in a string: {} (line {}, column {})",
                    e.message, e.line, e.column
                ),
            )
        })?;
        return Ok(Expr::Interpolated(nodes));
    }
    Ok(Expr::Literal(Value::String(text)))
}
