//! The architecture as a graph of AWS resources (kinds, names) and their wiring, drawn as Mermaid and compared
//! "names aside": the deployed graph (`deployed.rs`) against the one a README draws (`readme.rs`).
//!
//! Over 400 lines: the graph, its Mermaid form and the comparison are one model; a third of the file is their tests.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// The kinds of resource a diagram shows. `Optional` ones (target groups, log groups, rules) may be left out of
/// a README: then the comparison draws through them (an ALB -> target group -> function is ALB -> function).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    RestApi,
    HttpApi,
    VpcLink,
    Nlb,
    Alb,
    TargetGroup,
    Function,
    Queue,
    Topic,
    EventBus,
    Rule,
    Bucket,
    Table,
    StateMachine,
    UserPool,
    Distribution,
    LogGroup,
}

impl Kind {
    /// What a reader calls it (the diagram's labels, the comparison's messages).
    pub fn title(self) -> &'static str {
        match self {
            Kind::RestApi => "API Gateway REST API",
            Kind::HttpApi => "API Gateway HTTP API",
            Kind::VpcLink => "VPC link",
            Kind::Nlb => "Network Load Balancer",
            Kind::Alb => "Application Load Balancer",
            Kind::TargetGroup => "target group",
            Kind::Function => "Lambda function",
            Kind::Queue => "SQS queue",
            Kind::Topic => "SNS topic",
            Kind::EventBus => "EventBridge event bus",
            Kind::Rule => "EventBridge rule",
            Kind::Bucket => "S3 bucket",
            Kind::Table => "DynamoDB table",
            Kind::StateMachine => "Step Functions state machine",
            Kind::UserPool => "Cognito user pool",
            Kind::Distribution => "CloudFront distribution",
            Kind::LogGroup => "CloudWatch log group",
        }
    }

    /// May a README leave this kind out (drawing through it)?
    pub fn optional(self) -> bool {
        matches!(self, Kind::TargetGroup | Kind::LogGroup | Kind::Rule)
    }

    /// The Mermaid shape: data stores as cylinders, the rest as boxes.
    fn shape(self) -> (&'static str, &'static str) {
        match self {
            Kind::Queue | Kind::Bucket | Kind::Table | Kind::UserPool => ("[(", ")]"),
            Kind::Rule | Kind::TargetGroup => ("{{", "}}"),
            _ => ("[", "]"),
        }
    }
}

/// One resource: its kind and the name it goes by (an ARN's last part, an API id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Node {
    pub kind: Kind,
    pub name: String,
}

/// Resources keyed by an id (an ARN for deployed ones, the Mermaid id for a README's) and their wiring.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Graph {
    pub nodes: BTreeMap<String, Node>,
    /// `(from, to, label)`: the label says what wires them (an integration, an event source mapping, actions).
    pub edges: BTreeSet<(String, String, String)>,
}

impl Graph {
    pub fn add_node(&mut self, id: &str, kind: Kind, name: &str) {
        self.nodes.entry(id.to_owned()).or_insert_with(|| Node {
            kind,
            name: name.to_owned(),
        });
    }

    /// An edge between two known nodes (an edge to something not in the graph is dropped).
    pub fn add_edge(&mut self, from: &str, to: &str, label: &str) {
        if from != to && self.nodes.contains_key(from) && self.nodes.contains_key(to) {
            self.edges
                .insert((from.to_owned(), to.to_owned(), label.to_owned()));
        }
    }

    /// The graph as a Mermaid flowchart (ids made safe, labels kind + name).
    pub fn to_mermaid(&self) -> String {
        let ids: BTreeMap<&str, String> = self
            .nodes
            .keys()
            .enumerate()
            .map(|(i, id)| (id.as_str(), format!("n{i}")))
            .collect();
        let mut out = String::from("flowchart LR\n");
        for (id, node) in &self.nodes {
            let (open, close) = node.kind.shape();
            out.push_str(&format!(
                "    {}{open}\"{}<br/>{}\"{close}\n",
                ids[id.as_str()],
                node.kind.title(),
                escape(&node.name)
            ));
        }
        for (from, to, label) in &self.edges {
            let label = if label.is_empty() {
                String::new()
            } else {
                format!("|\"{}\"|", escape(label))
            };
            out.push_str(&format!(
                "    {} -->{label} {}\n",
                ids[from.as_str()],
                ids[to.as_str()]
            ));
        }
        out
    }

    /// Removes a node, wiring each of its predecessors to each of its successors (drawing through it).
    pub fn contract(&mut self, id: &str) {
        let into: Vec<String> = self
            .edges
            .iter()
            .filter(|(_, to, _)| to == id)
            .map(|(from, ..)| from.clone())
            .collect();
        let out: Vec<String> = self
            .edges
            .iter()
            .filter(|(from, ..)| from == id)
            .map(|(_, to, _)| to.clone())
            .collect();
        self.remove(id);
        for from in &into {
            for to in &out {
                self.add_edge(from, to, "");
            }
        }
    }

    /// Removes a node and its edges.
    pub fn remove(&mut self, id: &str) {
        self.nodes.remove(id);
        self.edges.retain(|(from, to, _)| from != id && to != id);
    }

    fn count(&self, kind: Kind) -> usize {
        self.nodes.values().filter(|n| n.kind == kind).count()
    }

    /// Undirected links between nodes, without labels (a README may draw an answer back as an arrow).
    fn links(&self) -> BTreeSet<(String, String)> {
        self.edges
            .iter()
            .map(|(a, b, _)| {
                if a <= b {
                    (a.clone(), b.clone())
                } else {
                    (b.clone(), a.clone())
                }
            })
            .collect()
    }
}

fn escape(text: &str) -> String {
    text.replace('"', "#quot;")
}

/// How a README's diagram differs from the deployed graph, names aside: one line per difference (empty: same
/// resources and wiring). Kinds the README leaves out that may be left out are drawn through first.
pub fn differences(drawn: &Graph, deployed: &Graph) -> Vec<String> {
    let mut deployed = deployed.clone();
    let optional_left_out: Vec<String> = deployed
        .nodes
        .iter()
        .filter(|(_, n)| n.kind.optional() && drawn.count(n.kind) == 0)
        .map(|(id, _)| id.clone())
        .collect();
    for id in optional_left_out {
        deployed.contract(&id);
    }
    let kinds: BTreeSet<Kind> = drawn
        .nodes
        .values()
        .chain(deployed.nodes.values())
        .map(|n| n.kind)
        .collect();
    let mut found = Vec::new();
    for &kind in &kinds {
        let (d, r) = (drawn.count(kind), deployed.count(kind));
        if d != r {
            found.push(format!(
                "the README draws {d} {} node(s), the deployment has {r}{}",
                kind.title(),
                names(&deployed, kind)
            ));
        }
    }
    if !found.is_empty() {
        return found;
    }
    // Same counts per kind: find the pairing of drawn to deployed nodes that leaves the fewest differences.
    pairings(drawn, &deployed)
        .into_iter()
        .map(|pairing| link_differences(drawn, &deployed, &pairing))
        .min_by_key(Vec::len)
        .unwrap_or_default()
}

fn names(graph: &Graph, kind: Kind) -> String {
    let names: Vec<&str> = graph
        .nodes
        .values()
        .filter(|n| n.kind == kind)
        .map(|n| n.name.as_str())
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!(" ({})", names.join(", "))
    }
}

/// Every pairing of drawn node ids to deployed node ids that keeps kinds (capped: a kind with more than six
/// nodes is paired in order).
fn pairings(drawn: &Graph, deployed: &Graph) -> Vec<BTreeMap<String, String>> {
    let mut all = vec![BTreeMap::new()];
    let kinds: BTreeSet<Kind> = drawn.nodes.values().map(|n| n.kind).collect();
    for kind in kinds {
        let left: Vec<&String> = ids_of(drawn, kind);
        let right: Vec<&String> = ids_of(deployed, kind);
        let orders = if right.len() <= 6 {
            permutations(&right)
        } else {
            vec![right.clone()]
        };
        let mut next = Vec::new();
        for pairing in &all {
            for order in &orders {
                let mut p: BTreeMap<String, String> = pairing.clone();
                for (l, r) in left.iter().zip(order) {
                    p.insert((*l).clone(), (*r).clone());
                }
                next.push(p);
            }
        }
        all = next;
        if all.len() > 5_000 {
            all.truncate(5_000);
        }
    }
    all
}

fn ids_of(graph: &Graph, kind: Kind) -> Vec<&String> {
    graph
        .nodes
        .iter()
        .filter(|(_, n)| n.kind == kind)
        .map(|(id, _)| id)
        .collect()
}

fn permutations<'a>(items: &[&'a String]) -> Vec<Vec<&'a String>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut all = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first);
            all.push(tail);
        }
    }
    all
}

fn link_differences(
    drawn: &Graph,
    deployed: &Graph,
    pairing: &BTreeMap<String, String>,
) -> Vec<String> {
    let describe = |graph: &Graph, id: &str| {
        let node = &graph.nodes[id];
        format!("{} `{}`", node.kind.title(), node.name)
    };
    let mapped: BTreeSet<(String, String)> = drawn
        .links()
        .into_iter()
        .map(|(a, b)| {
            let (a, b) = (pairing[&a].clone(), pairing[&b].clone());
            if a <= b { (a, b) } else { (b, a) }
        })
        .collect();
    let wired = deployed.links();
    let mut found = Vec::new();
    for (a, b) in wired.difference(&mapped) {
        found.push(format!(
            "the deployment wires {} to {}; the README draws no such link",
            describe(deployed, a),
            describe(deployed, b)
        ));
    }
    for (a, b) in mapped.difference(&wired) {
        found.push(format!(
            "the README links {} to {}; the deployment does not wire them",
            describe(deployed, a),
            describe(deployed, b)
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(nodes: &[(&str, Kind)], edges: &[(&str, &str)]) -> Graph {
        let mut g = Graph::default();
        for (id, kind) in nodes {
            g.add_node(id, *kind, id);
        }
        for (a, b) in edges {
            g.add_edge(a, b, "");
        }
        g
    }

    #[test]
    fn a_readme_may_leave_target_groups_out_but_not_functions() {
        let deployed = graph(
            &[
                ("alb", Kind::Alb),
                ("tg", Kind::TargetGroup),
                ("fn", Kind::Function),
            ],
            &[("alb", "tg"), ("tg", "fn")],
        );
        let drawn = graph(&[("a", Kind::Alb), ("f", Kind::Function)], &[("a", "f")]);
        assert!(differences(&drawn, &deployed).is_empty());
        let no_function = graph(&[("a", Kind::Alb)], &[]);
        let found = differences(&no_function, &deployed);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("0 Lambda function node(s), the deployment has 1 (fn)"));
    }

    #[test]
    fn a_miswired_queue_is_named_whatever_the_readme_calls_things() {
        // The README: the mapping reads the main queue, which redrives to the DLQ.
        let drawn = graph(
            &[
                ("q", Kind::Queue),
                ("d", Kind::Queue),
                ("f", Kind::Function),
            ],
            &[("q", "f"), ("q", "d")],
        );
        let deployed = graph(
            &[
                ("main", Kind::Queue),
                ("dlq", Kind::Queue),
                ("fn", Kind::Function),
            ],
            &[("main", "fn"), ("main", "dlq")],
        );
        assert!(differences(&drawn, &deployed).is_empty());
        // Deployed mis-wired: the mapping reads the DLQ.
        let wrong = graph(
            &[
                ("main", Kind::Queue),
                ("dlq", Kind::Queue),
                ("fn", Kind::Function),
            ],
            &[("dlq", "fn"), ("fn", "main")],
        );
        let found = differences(&drawn, &wrong);
        assert!(!found.is_empty());
        assert!(
            found.iter().any(|f| f.contains("the README links")),
            "{found:?}"
        );
    }

    #[test]
    fn direction_is_not_compared_and_contraction_draws_through() {
        let mut g = graph(
            &[("a", Kind::Nlb), ("t", Kind::TargetGroup), ("b", Kind::Alb)],
            &[("a", "t"), ("t", "b")],
        );
        g.contract("t");
        assert_eq!(g.links(), BTreeSet::from([("a".into(), "b".into())]));
        let drawn = graph(&[("x", Kind::Nlb), ("y", Kind::Alb)], &[("y", "x")]);
        assert!(differences(&drawn, &g).is_empty());
    }

    #[test]
    fn mermaid_names_each_node_by_kind_and_name() {
        let mut g = Graph::default();
        g.add_node("arn:q", Kind::Queue, "orders");
        g.add_node("arn:f", Kind::Function, "worker \"1\"");
        g.add_edge("arn:q", "arn:f", "event source mapping");
        g.add_edge("arn:q", "arn:unknown", "dropped");
        let text = g.to_mermaid();
        assert!(text.starts_with("flowchart LR\n"));
        assert!(text.contains("n1[(\"SQS queue<br/>orders\")]"), "{text}");
        assert!(text.contains("n0[\"Lambda function<br/>worker #quot;1#quot;\"]"));
        assert!(text.contains("n1 -->|\"event source mapping\"| n0"));
        assert_eq!(text.matches("-->").count(), 1);
    }
}
