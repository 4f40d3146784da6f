//! The architecture a pattern's README draws: its first Mermaid flowchart (parsed by the mermaid-text crate), each
//! node given a resource kind from the words of its label's first line ("SQS queue", "Rust Lambda function", ...).
//!
//! Actors (stadium-shaped nodes: `client([Client])`) are left out; other nodes no kind fits (a gateway response,
//! a fixed response, a JWT authorizer's box) are drawn through, as the deployed graph draws through target groups.
//! A flavour whose architecture differs has its own block, after a `<!-- diagram: sam -->` line.

use std::path::Path;

use anyhow::{Context, Result, bail};
use mermaid_text::types::NodeShape;

use super::graph::{Graph, Kind};

/// Words (lowercase, whole words or phrases) that give a node its kind, the first match deciding: "Rust Lambda
/// function (aws-sdk-dynamodb)" is a function, "DynamoDB table" a table.
const KINDS: &[(&[&str], Kind)] = &[
    (&["http api"], Kind::HttpApi),
    (&["rest api", "api gateway"], Kind::RestApi),
    (&["vpc link"], Kind::VpcLink),
    (&["target group"], Kind::TargetGroup),
    (&["nlb", "network load balancer"], Kind::Nlb),
    (&["alb", "application load balancer"], Kind::Alb),
    (&["cloudfront", "distribution"], Kind::Distribution),
    (&["state machine", "step functions"], Kind::StateMachine),
    (&["lambda", "function"], Kind::Function),
    (&["user pool", "cognito"], Kind::UserPool),
    (&["log group"], Kind::LogGroup),
    (&["rule"], Kind::Rule),
    (&["event bus", "eventbridge"], Kind::EventBus),
    (&["queue", "sqs"], Kind::Queue),
    (&["topic", "sns"], Kind::Topic),
    (&["bucket", "s3"], Kind::Bucket),
    (&["dynamodb", "table"], Kind::Table),
];

/// The kind a node's label names, if any.
pub fn kind_of(label: &str) -> Option<Kind> {
    let words: String = label
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let words = format!(" {words} ");
    KINDS
        .iter()
        .find(|(phrases, _)| phrases.iter().any(|p| words.contains(&format!(" {p} "))))
        .map(|(_, kind)| *kind)
}

/// Whether the README holds a ```` ```mermaid ```` block at all.
pub fn draws_a_diagram(readme: &Path) -> Result<bool> {
    let text =
        std::fs::read_to_string(readme).with_context(|| format!("reading {}", readme.display()))?;
    Ok(text.contains("```mermaid"))
}

/// The graph a README draws for a flavour: the Mermaid block after the first `<!-- diagram: <iac> -->` line of
/// `flavours` (a flavour whose architecture differs; the CDK app is its SAM template converted: `["cdk", "sam"]`),
/// else the first one.
pub fn read(readme: &Path, flavours: &[&str]) -> Result<Graph> {
    let text =
        std::fs::read_to_string(readme).with_context(|| format!("reading {}", readme.display()))?;
    let text = flavours
        .iter()
        .find_map(|iac| text.find(&format!("<!-- diagram: {iac} -->")))
        .map_or(&text[..], |at| &text[at..]);
    parse(text).with_context(|| format!("the architecture diagram of {}", readme.display()))
}

/// The graph of the first ```` ```mermaid ```` block of a README's text.
pub fn parse(text: &str) -> Result<Graph> {
    let Some(start) = text.find("```mermaid") else {
        bail!(
            "no ```mermaid block; fix: draw the architecture as a Mermaid flowchart (`cargo xtask diagram \
             <pattern>` prints the deployed one to start from)"
        );
    };
    let body = &text[start + "```mermaid".len()..];
    let body = &body[..body.find("```").unwrap_or(body.len())];
    let parsed = mermaid_text::parser::flowchart::parse(body)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("parsing the Mermaid flowchart")?;
    let mut graph = Graph::default();
    let mut draw_through = Vec::new();
    for node in &parsed.nodes {
        if node.shape == NodeShape::Stadium {
            continue;
        }
        let label = node.label.trim_matches('"');
        // The first line names the thing ("Rust Lambda function"); the others describe it.
        let title = label.lines().next().unwrap_or_default();
        let label = label.replace('\n', " ");
        match kind_of(title) {
            Some(kind) => graph.add_node(&node.id, kind, &label),
            None => {
                graph.add_node(&node.id, Kind::Function, &label);
                draw_through.push(node.id.clone());
            }
        }
    }
    for edge in &parsed.edges {
        graph.add_edge(&edge.from, &edge.to, edge.label.as_deref().unwrap_or(""));
    }
    for id in draw_through {
        graph.contract(&id);
    }
    Ok(graph)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_their_kind_by_whole_words() {
        assert_eq!(
            kind_of("Rust Lambda function<br/>(lambda_http + aws-sdk-dynamodb)"),
            Some(Kind::Function)
        );
        assert_eq!(
            kind_of("DynamoDB table<br/>partition key id"),
            Some(Kind::Table)
        );
        assert_eq!(
            kind_of("internal ALB<br/>HTTP listener :80"),
            Some(Kind::Alb)
        );
        assert_eq!(kind_of("dead-letter queue"), Some(Kind::Queue));
        assert_eq!(
            kind_of("API Gateway HTTP API<br/>stage $default"),
            Some(Kind::HttpApi)
        );
        assert_eq!(kind_of("callback handler"), None, "no `alb` inside a word");
        assert_eq!(kind_of("gateway response<br/>404 JSON"), None);
    }

    #[test]
    fn actors_are_left_out_and_unnamed_boxes_drawn_through() {
        let text = "# x\n```mermaid\nflowchart LR\n    client([Client]) --> api[\"API Gateway HTTP API\"]\n    \
                    api --> jwt{{\"JWT authorizer\"}}\n    jwt --> fn[\"Rust Lambda function\"]\n    \
                    jwt -. \"JWKS\" .-> pool[(\"Cognito user pool\")]\n```\n";
        let graph = parse(text).unwrap();
        let kinds: Vec<Kind> = graph.nodes.values().map(|n| n.kind).collect();
        assert_eq!(kinds.len(), 3, "{graph:?}");
        assert!(!graph.nodes.contains_key("client") && !graph.nodes.contains_key("jwt"));
        let pairs: Vec<(&str, &str)> = graph
            .edges
            .iter()
            .map(|(a, b, _)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(pairs, [("api", "fn"), ("api", "pool")]);
    }

    #[test]
    fn a_readme_without_a_diagram_says_how_to_start_one() {
        let err = parse("# no diagram\n").unwrap_err().to_string();
        assert!(err.contains("cargo xtask diagram"), "{err}");
    }

    /// Every pattern's README draws a diagram this module reads, with at least one resource in it.
    #[test]
    fn every_pattern_readme_has_a_readable_diagram() {
        for pattern in crate::pattern::discover().unwrap().all().unwrap() {
            let graph = read(&pattern.dir.join("README.md"), &["terraform"]).unwrap();
            assert!(
                !graph.nodes.is_empty(),
                "{}: no resource drawn",
                pattern.name
            );
        }
    }
}
