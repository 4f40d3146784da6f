//! Evaluates parsed templates: variables (`#set`, `#foreach` with `$foreach.index/count/hasNext/first/last`
//! and `$velocityCount`), truthiness as Velocity 1.7 has it (only `null` and `false` are false), comparisons,
//! arithmetic on numbers, and the methods of Java's String, List and Map that templates call most.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{
    Env,
    expr::{Expr, Op, Part, Reference},
    input,
    parser::Node,
};

/// Why rendering stopped early.
enum Flow {
    Normal,
    Break,
    Stop,
}

/// A template's run: the environment and the variables set so far.
pub struct Run<'a> {
    pub env: &'a Env,
    pub vars: HashMap<String, Value>,
}

impl Run<'_> {
    /// Renders `nodes` into `out`.
    pub fn render(&mut self, nodes: &[Node], out: &mut String) {
        self.nodes(nodes, out);
    }

    fn nodes(&mut self, nodes: &[Node], out: &mut String) -> Flow {
        for node in nodes {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Ref {
                    reference,
                    quiet,
                    source,
                } => match self.reference(reference) {
                    Value::Null if *quiet => {}
                    Value::Null => out.push_str(source),
                    v => out.push_str(&to_text(&v)),
                },
                Node::Set(target, value) => {
                    let v = self.expr(value);
                    self.assign(target, v);
                }
                Node::If(branches, otherwise) => {
                    let chosen = branches
                        .iter()
                        .find(|(cond, _)| truthy(&self.expr(cond)))
                        .map_or(otherwise.as_slice(), |(_, body)| body.as_slice());
                    match self.nodes(chosen, out) {
                        Flow::Normal => {}
                        other => return other,
                    }
                }
                Node::Foreach(var, items, body) => {
                    let items = match self.expr(items) {
                        Value::Array(a) => a,
                        Value::Object(m) => m.into_iter().map(|(_, v)| v).collect(),
                        Value::Null => Vec::new(),
                        one => vec![one],
                    };
                    let saved = (
                        self.vars.remove(var),
                        self.vars.remove("foreach"),
                        self.vars.remove("velocityCount"),
                    );
                    let n = items.len();
                    let mut flow = Flow::Normal;
                    for (i, item) in items.into_iter().enumerate() {
                        self.vars.insert(var.clone(), item);
                        let state = serde_json::json!({
                            "index": i, "count": i + 1, "hasNext": i + 1 < n, "first": i == 0, "last": i + 1 == n,
                        });
                        self.vars.insert("foreach".into(), state);
                        self.vars.insert("velocityCount".into(), Value::from(i + 1));
                        match self.nodes(body, out) {
                            Flow::Normal => {}
                            Flow::Break => break,
                            Flow::Stop => {
                                flow = Flow::Stop;
                                break;
                            }
                        }
                    }
                    for (name, old) in [
                        (var.as_str(), saved.0),
                        ("foreach", saved.1),
                        ("velocityCount", saved.2),
                    ] {
                        match old {
                            Some(v) => self.vars.insert(name.to_owned(), v),
                            None => self.vars.remove(name),
                        };
                    }
                    if let Flow::Stop = flow {
                        return flow;
                    }
                }
                Node::Break => return Flow::Break,
                Node::Stop => return Flow::Stop,
            }
        }
        Flow::Normal
    }

    /// `#set($x = v)`, `#set($x.key = v)` on a map; setting null leaves the variable as it was (Velocity 1.7).
    fn assign(&mut self, target: &Reference, value: Value) {
        if value.is_null() {
            return;
        }
        match target.parts.as_slice() {
            [] => {
                self.vars.insert(target.root.clone(), value);
            }
            [Part::Property(key)] => {
                if let Some(Value::Object(m)) = self.vars.get_mut(&target.root) {
                    m.insert(key.clone(), value);
                }
            }
            _ => {
                tracing::debug!(root = %target.root, "#set of a nested reference is not supported; ignored")
            }
        }
    }

    fn reference(&mut self, r: &Reference) -> Value {
        let mut parts = r.parts.iter();
        let mut current = match (r.root.as_str(), r.parts.first()) {
            ("input", Some(first)) if !self.vars.contains_key("input") => {
                parts.next();
                self.input_member(first)
            }
            ("util", Some(Part::Call(name, args))) if !self.vars.contains_key("util") => {
                parts.next();
                let args: Vec<Value> = args.iter().map(|a| self.expr(a)).collect();
                input::util(name, &args)
            }
            (root, _) => self
                .vars
                .get(root)
                .cloned()
                .or_else(|| match root {
                    "context" => Some(self.env.context.clone()),
                    "stageVariables" => Some(self.env.stage_variables.clone()),
                    _ => None,
                })
                .unwrap_or(Value::Null),
        };
        for part in parts {
            if current.is_null() {
                return Value::Null;
            }
            current = match part {
                Part::Property(name) => property(&current, name),
                Part::Index(i) => {
                    let i = self.expr(i);
                    index(&current, &i)
                }
                Part::Call(name, args) => {
                    let args: Vec<Value> = args.iter().map(|a| self.expr(a)).collect();
                    method(&current, name, &args)
                }
            };
        }
        current
    }

    fn input_member(&mut self, part: &Part) -> Value {
        let input = &self.env.input;
        match part {
            Part::Property(name) if name == "body" => Value::String(input.body.clone()),
            Part::Call(name, args) => {
                let args: Vec<Value> = args.iter().map(|a| self.expr(a)).collect();
                let arg = args.first().map(to_text);
                match (name.as_str(), arg) {
                    ("body", None) => Value::String(input.body.clone()),
                    ("json", Some(path)) => Value::String(input.json(&path)),
                    ("path", Some(path)) => input.path(&path),
                    ("params", None) => input.params.clone(),
                    ("params", Some(name)) => input.param(&name),
                    _ => Value::Null,
                }
            }
            _ => Value::Null,
        }
    }

    pub fn expr(&mut self, e: &Expr) -> Value {
        match e {
            Expr::Literal(v) => v.clone(),
            Expr::Ref(r) => self.reference(r),
            Expr::Interpolated(nodes) => {
                let mut s = String::new();
                self.nodes(nodes, &mut s);
                Value::String(s)
            }
            Expr::List(items) => Value::Array(items.iter().map(|i| self.expr(i)).collect()),
            Expr::Range(a, b) => {
                let (a, b) = (self.expr(a).as_i64(), self.expr(b).as_i64());
                match (a, b) {
                    (Some(a), Some(b)) if a <= b => (a..=b).map(Value::from).collect(),
                    (Some(a), Some(b)) => (b..=a).rev().map(Value::from).collect(),
                    _ => Value::Null,
                }
            }
            Expr::Map(entries) => {
                let mut m = Map::new();
                for (k, v) in entries {
                    let k = to_text(&self.expr(k));
                    let v = self.expr(v);
                    m.insert(k, v);
                }
                Value::Object(m)
            }
            Expr::Not(inner) => Value::Bool(!truthy(&self.expr(inner))),
            Expr::Neg(inner) => arithmetic(Op::Sub, &Value::from(0), &self.expr(inner)),
            Expr::Binary(Op::Or, a, b) => {
                Value::Bool(truthy(&self.expr(a)) || truthy(&self.expr(b)))
            }
            Expr::Binary(Op::And, a, b) => {
                Value::Bool(truthy(&self.expr(a)) && truthy(&self.expr(b)))
            }
            Expr::Binary(op, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                match op {
                    Op::Eq => Value::Bool(equal(&a, &b)),
                    Op::Ne => Value::Bool(!equal(&a, &b)),
                    Op::Lt | Op::Gt | Op::Le | Op::Ge => compare(*op, &a, &b),
                    _ => arithmetic(*op, &a, &b),
                }
            }
        }
    }
}

/// Velocity 1.7: only `null` and `false` are false.
pub fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false))
}

/// Values of different kinds compare by their text (Velocity 1.7 compares `toString()`s).
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Null, _) | (_, Value::Null) => a == b,
        _ => a == b || to_text(a) == to_text(b),
    }
}

fn compare(op: Op, a: &Value, b: &Value) -> Value {
    let ordering = match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    };
    let Some(o) = ordering else {
        return Value::Null;
    };
    Value::Bool(match op {
        Op::Lt => o.is_lt(),
        Op::Gt => o.is_gt(),
        Op::Le => o.is_le(),
        _ => o.is_ge(),
    })
}

fn arithmetic(op: Op, a: &Value, b: &Value) -> Value {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return match op {
            Op::Add => x.checked_add(y).map(Value::from),
            Op::Sub => x.checked_sub(y).map(Value::from),
            Op::Mul => x.checked_mul(y).map(Value::from),
            Op::Div => x.checked_div(y).map(Value::from),
            _ => x.checked_rem(y).map(Value::from),
        }
        .unwrap_or(Value::Null);
    }
    let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
        return Value::Null;
    };
    let r = match op {
        Op::Add => x + y,
        Op::Sub => x - y,
        Op::Mul => x * y,
        Op::Div => x / y,
        _ => x % y,
    };
    serde_json::Number::from_f64(r).map_or(Value::Null, Value::Number)
}

/// How Java prints a value: strings as they are, maps as `{a=1, b=x}`, lists as `[1, x]`.
pub fn to_text(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(to_text).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}={}", to_text(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn property(v: &Value, name: &str) -> Value {
    match v {
        Value::Object(m) => m.get(name).cloned().unwrap_or(Value::Null),
        // `$list.empty`, `$s.empty`: bean properties of Java's isEmpty().
        _ => method(
            v,
            &format!("get{}{}", name[..1].to_uppercase(), &name[1..]),
            &[],
        ),
    }
}

fn index(v: &Value, i: &Value) -> Value {
    match (v, i) {
        (Value::Array(a), Value::Number(n)) => n
            .as_u64()
            .and_then(|n| a.get(n as usize))
            .cloned()
            .unwrap_or(Value::Null),
        (Value::Object(m), k) => m.get(&to_text(k)).cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// The methods of Java's String, List and Map that templates use.
fn method(v: &Value, name: &str, args: &[Value]) -> Value {
    let arg = |i: usize| args.get(i).map(to_text).unwrap_or_default();
    match (v, name) {
        (Value::Object(m), "get") => m.get(&arg(0)).cloned().unwrap_or(Value::Null),
        (Value::Object(m), "keySet") => m.keys().cloned().map(Value::String).collect(),
        (Value::Object(m), "values") => m.values().cloned().collect(),
        (Value::Object(m), "containsKey") => Value::Bool(m.contains_key(&arg(0))),
        (Value::Object(m), "size") => Value::from(m.len()),
        (Value::Object(m), "isEmpty" | "getEmpty") => Value::Bool(m.is_empty()),
        (Value::Array(_), "get") => index(v, args.first().unwrap_or(&Value::Null)),
        (Value::Array(a), "size") => Value::from(a.len()),
        (Value::Array(a), "isEmpty" | "getEmpty") => Value::Bool(a.is_empty()),
        (Value::Array(a), "contains") => {
            Value::Bool(args.first().is_some_and(|x| a.iter().any(|i| equal(i, x))))
        }
        (Value::String(s), _) => input::string_method(s, name, args),
        (_, "toString") => Value::String(to_text(v)),
        _ => Value::Null,
    }
}
