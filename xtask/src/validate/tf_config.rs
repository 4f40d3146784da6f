//! A pattern's Terraform configuration parsed with source spans (hcl-edit): its modules and files, block lookup,
//! references such as `aws_lb.nlb.arn`, literal values and line numbers, for the checks that read HCL.

use std::{
    collections::BTreeSet,
    fs,
    ops::Range,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result};
use hcl::edit::{
    Span,
    expr::{Expression, TraversalOperator},
    structure::{Attribute, Block, Body},
    template::{Element, Template},
};

use super::Finding;
pub use crate::pattern::normalize;

/// One `.tf` file.
pub struct TfFile {
    pub path: PathBuf,
    pub text: String,
    pub body: Body,
}

impl TfFile {
    /// The 1-based line of a span's start.
    pub fn line_of(&self, span: Option<Range<usize>>) -> Option<usize> {
        let start = span?.start.min(self.text.len());
        Some(self.text[..start].bytes().filter(|&b| b == b'\n').count() + 1)
    }
}

/// The `.tf` files of one module folder.
pub struct TfModule {
    pub dir: PathBuf,
    pub files: Vec<TfFile>,
}

/// A `resource` or `data` block.
#[derive(Clone, Copy)]
pub struct TfBlock<'a> {
    pub file: &'a TfFile,
    pub block: &'a Block,
    /// `resource` or `data`.
    pub kind: &'a str,
    pub rtype: &'a str,
    pub name: &'a str,
}

impl<'a> TfBlock<'a> {
    /// `resource.aws_lb.alb` or `data.aws_iam_policy_document.x`.
    pub fn address(&self) -> String {
        format!("{}.{}.{}", self.kind, self.rtype, self.name)
    }

    pub fn attr(&self, key: &str) -> Option<&'a Attribute> {
        self.block.body.get_attribute(key)
    }

    pub fn line(&self) -> Option<usize> {
        self.file.line_of(self.block.span())
    }

    /// The line of attribute `key`, or of the block when the attribute is absent.
    pub fn attr_line(&self, key: &str) -> Option<usize> {
        self.attr(key)
            .and_then(|a| self.file.line_of(a.span()))
            .or_else(|| self.line())
    }

    /// The attribute's value as a literal string (no interpolation).
    pub fn literal(&self, key: &str) -> Option<String> {
        self.attr(key).and_then(|a| literal_str(&a.value))
    }
}

impl TfModule {
    /// Every `resource` and `data` block.
    pub fn blocks(&self) -> impl Iterator<Item = TfBlock<'_>> {
        self.files.iter().flat_map(|file| {
            file.body.blocks().filter_map(move |block| {
                let kind = block.ident.value().as_str();
                if (kind == "resource" || kind == "data") && block.labels.len() == 2 {
                    Some(TfBlock {
                        file,
                        block,
                        kind,
                        rtype: block.labels[0].as_str(),
                        name: block.labels[1].as_str(),
                    })
                } else {
                    None
                }
            })
        })
    }

    /// The `resource` blocks of one type.
    pub fn resources<'a>(&'a self, rtype: &'a str) -> impl Iterator<Item = TfBlock<'a>> + 'a {
        self.blocks()
            .filter(move |b| b.kind == "resource" && b.rtype == rtype)
    }

    pub fn resource(&self, rtype: &str, name: &str) -> Option<TfBlock<'_>> {
        self.blocks()
            .find(|b| b.kind == "resource" && b.rtype == rtype && b.name == name)
    }

    /// The `module` blocks: (file, block).
    pub fn module_calls(&self) -> impl Iterator<Item = (&TfFile, &Block)> {
        self.files.iter().flat_map(|file| {
            file.body
                .get_blocks("module")
                .map(move |block| (file, block))
        })
    }
}

/// Parses the root module in `dir` and every local module it calls (`source = "./..."`), recursively.
///
/// Files that do not parse come back as `terraform-parse` findings; the rest of their module is still returned.
pub fn load_tree(dir: &Path) -> Result<(Vec<TfModule>, Vec<Finding>)> {
    let mut modules = Vec::new();
    let mut findings = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue = vec![dir.to_owned()];
    while let Some(dir) = queue.pop() {
        let key = fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
        if !seen.insert(key) || !dir.is_dir() {
            continue;
        }
        let module = load_module(&dir, &mut findings)?;
        for (_, block) in module.module_calls() {
            if let Some(source) = block
                .body
                .get_attribute("source")
                .and_then(|a| literal_str(&a.value))
                && is_local_source(&source)
            {
                queue.push(normalize(&dir.join(&source)));
            }
        }
        modules.push(module);
    }
    Ok((modules, findings))
}

/// A module `source` that is a path in this repository (Terraform requires `./` or `../`).
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

fn load_module(dir: &Path, findings: &mut Vec<Finding>) -> Result<TfModule> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "tf") && p.is_file())
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let text =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        match hcl::edit::parser::parse_body(&text) {
            Ok(body) => files.push(TfFile { path, text, body }),
            Err(err) => findings.push(
                Finding::new(
                    &path,
                    format!("line {}", err.location().line()),
                    "terraform-parse",
                    format!(
                        "not valid HCL, so the AWS rules were not checked in this file: {}",
                        err.message()
                    ),
                    "fix the syntax (`terraform fmt` and `terraform validate` point at it too)",
                )
                .at_line(Some(err.location().line())),
            ),
        }
    }
    Ok(TfModule {
        dir: dir.to_owned(),
        files,
    })
}

/// A string with no interpolation: `"x"`, or a template made only of literals.
pub fn literal_str(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.value().clone()),
        Expression::StringTemplate(t) => {
            let mut out = String::new();
            for element in t.iter() {
                out.push_str(element.as_literal()?.value());
            }
            Some(out)
        }
        Expression::Parenthesis(p) => literal_str(p.inner()),
        _ => None,
    }
}

/// The text of a string, string template or heredoc, with every interpolation or directive replaced by
/// `placeholder`; `None` for other expressions.
pub fn template_text(expr: &Expression, placeholder: &str) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.value().clone()),
        Expression::StringTemplate(t) => Some(render(t, placeholder)),
        Expression::HeredocTemplate(h) => Some(render(&h.template, placeholder)),
        Expression::Parenthesis(p) => template_text(p.inner(), placeholder),
        _ => None,
    }
}

fn render(template: &Template, placeholder: &str) -> String {
    let mut out = String::new();
    for element in template.iter() {
        match element {
            Element::Literal(text) => out.push_str(text.value()),
            Element::Interpolation(_) | Element::Directive(_) => out.push_str(placeholder),
        }
    }
    out
}

/// The literal segments of a string or template (what the author typed outside `${...}`).
pub fn literal_parts(expr: &Expression) -> Vec<String> {
    match expr {
        Expression::String(s) => vec![s.value().clone()],
        Expression::StringTemplate(t) => t
            .iter()
            .filter_map(|e| e.as_literal().map(|l| l.value().clone()))
            .collect(),
        Expression::HeredocTemplate(h) => h
            .template
            .iter()
            .filter_map(|e| e.as_literal().map(|l| l.value().clone()))
            .collect(),
        Expression::Parenthesis(p) => literal_parts(p.inner()),
        _ => Vec::new(),
    }
}

/// A reference such as `aws_lb.nlb.arn` or `aws_lb.nlb[0].arn` as its names (`["aws_lb", "nlb", "arn"]`);
/// index operators are dropped. `None` for anything that is not a plain reference.
pub fn reference(expr: &Expression) -> Option<Vec<String>> {
    match expr {
        Expression::Variable(v) => Some(vec![v.value().as_str().to_owned()]),
        Expression::Traversal(t) => {
            let mut names = reference(&t.expr)?;
            for op in &t.operators {
                match op.value() {
                    TraversalOperator::GetAttr(ident) => {
                        names.push(ident.value().as_str().to_owned())
                    }
                    TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_) => {}
                    TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                        return None;
                    }
                }
            }
            Some(names)
        }
        Expression::Parenthesis(p) => reference(p.inner()),
        _ => None,
    }
}

/// `aws_lb.<name>` when `expr` is `aws_lb.<name>.<attr>` with `attr` one of `attrs`.
pub fn resource_ref(expr: &Expression, rtype: &str, attrs: &[&str]) -> Option<String> {
    match reference(expr)?.as_slice() {
        [t, name, attr] if t == rtype && attrs.contains(&attr.as_str()) => Some(name.clone()),
        _ => None,
    }
}

/// The elements of a list literal (`[a, b]`), or `None` for any other expression.
pub fn list_items(expr: &Expression) -> Option<Vec<&Expression>> {
    match expr {
        Expression::Array(items) => Some(items.iter().collect()),
        Expression::Parenthesis(p) => list_items(p.inner()),
        _ => None,
    }
}

/// The source text of an expression, for messages.
pub fn source_of<'t>(file: &'t TfFile, expr: &Expression) -> &'t str {
    expr.span()
        .and_then(|span| file.text.get(span))
        .map(str::trim)
        .unwrap_or("<expression>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> TfFile {
        TfFile {
            path: PathBuf::from("main.tf"),
            text: text.to_owned(),
            body: hcl::edit::parser::parse_body(text).unwrap(),
        }
    }

    #[test]
    fn blocks_references_and_lines() {
        let module = TfModule {
            dir: PathBuf::from("."),
            files: vec![file(
                "# header\nresource \"aws_api_gateway_vpc_link\" \"link\" {\n  name = \"l\"\n  target_arns = [aws_lb.nlb[0].arn, var.x]\n}\n",
            )],
        };
        let link = module.resource("aws_api_gateway_vpc_link", "link").unwrap();
        assert_eq!(link.address(), "resource.aws_api_gateway_vpc_link.link");
        assert_eq!(link.line(), Some(2));
        assert_eq!(link.attr_line("target_arns"), Some(4));
        assert_eq!(link.literal("name").as_deref(), Some("l"));
        let items = list_items(&link.attr("target_arns").unwrap().value).unwrap();
        assert_eq!(
            resource_ref(items[0], "aws_lb", &["arn"]).as_deref(),
            Some("nlb")
        );
        assert_eq!(resource_ref(items[1], "aws_lb", &["arn"]), None);
        assert_eq!(source_of(link.file, items[1]), "var.x");
    }

    #[test]
    fn templates_render_with_placeholders() {
        let f = file(
            "a = \"${path.module}/x.json\"\nb = \"plain\"\nc = <<EOT\n{\"Action\": \"${var.a}\"}\nEOT\n",
        );
        let get = |k: &str| &f.body.get_attribute(k).unwrap().value;
        assert_eq!(template_text(get("a"), "@").as_deref(), Some("@/x.json"));
        assert_eq!(literal_str(get("a")), None);
        assert_eq!(literal_str(get("b")).as_deref(), Some("plain"));
        assert_eq!(
            template_text(get("c"), "@").as_deref(),
            Some("{\"Action\": \"@\"}\n")
        );
        assert_eq!(normalize(Path::new("a/./b/../c")), PathBuf::from("a/c"));
    }
}
