//! Mapping templates: the subset of Apache Velocity (VTL 1.7) API Gateway evaluates, as
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html>
//! documents it. No kept crate parses Velocity (crates.io has `velocity_template` 0.0.2 and `kg-template`
//! 0.1.2, neither maintained), so this is a small one: [`parser`] (text, references, directives) and
//! [`expr`] (expressions) make nodes, [`eval`] renders them with [`input`]'s `$input` and `$util`.
//!
//! Supported: `$input.body`, `$input.json(path)`, `$input.path(path)`, `$input.params()`/`(name)`,
//! `$util.escapeJavaScript/parseJson/urlEncode/urlDecode/base64Encode/base64Decode`, `$context.*`,
//! `$stageVariables.*`, `#set`, `#if`/`#elseif`/`#else`, `#foreach` (`$foreach.*`, `$velocityCount`),
//! `#break`, `#stop`, comments, and the common methods of String, List and Map. Maps print in key order
//! (Java keeps insertion order). Not supported: macros, `#include`/`#parse`, `#define`, `\$` escapes.

pub mod eval;
pub mod expr;
pub mod input;
pub mod parser;

use std::{collections::HashMap, fmt};

use serde_json::Value;

pub use input::Input;

/// A template that does not parse: where and why (line and column from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for SyntaxError {}

/// What a template sees: `$input`, `$context` and `$stageVariables`.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub input: Input,
    /// `$context` as a JSON object (`{"requestId": .., "identity": {"sourceIp": ..}}`).
    pub context: Value,
    pub stage_variables: Value,
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template(Vec<parser::Node>);

impl Template {
    pub fn parse(src: &str) -> Result<Template, SyntaxError> {
        parser::parse(src).map(Template)
    }

    pub fn render(&self, env: &Env) -> String {
        let mut run = eval::Run {
            env,
            vars: HashMap::new(),
        };
        let mut out = String::new();
        run.render(&self.0, &mut out);
        out
    }
}

/// Parses and renders `src`.
pub fn render(src: &str, env: &Env) -> Result<String, SyntaxError> {
    Ok(Template::parse(src)?.render(env))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn env(body: &str) -> Env {
        let obj = |v: Value| v.as_object().cloned().unwrap_or_default();
        Env {
            input: Input::new(
                body.to_owned(),
                obj(json!({"petId": "7"})),
                obj(json!({"type": "dog", "q": "a b"})),
                obj(json!({"User-Agent": "curl/8.0", "X-Note": "say \"hi\""})),
            ),
            context: json!({"stage": "prod", "requestId": "abc-123", "apiId": "a1b2", "httpMethod": "POST",
                            "identity": {"sourceIp": "192.0.2.1"}}),
            stage_variables: json!({"queue": "orders"}),
        }
    }

    fn r(src: &str, body: &str) -> String {
        render(src, &env(body)).unwrap()
    }

    /// Example 1 of <https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-variable-examples.html>:
    /// `$context` variables, nested ones included.
    #[test]
    fn context_variables() {
        let out = r(
            r#"{"stage" : "$context.stage", "request_id" : "$context.requestId", "source_ip" : "$context.identity.sourceIp"}"#,
            "",
        );
        assert_eq!(
            out,
            r#"{"stage" : "prod", "request_id" : "abc-123", "source_ip" : "192.0.2.1"}"#
        );
    }

    /// Example 2 of the same page: every parameter through `$input.params()`, `#foreach` over `keySet()`,
    /// `$foreach.hasNext` and `$util.escapeJavaScript`.
    #[test]
    fn all_parameters_as_json() {
        let src = r#"#set($allParams = $input.params())
{
"params" : {
#foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
"$type" : {
    #foreach($paramName in $params.keySet())
    "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
        #if($foreach.hasNext),#end
    #end
}
    #if($foreach.hasNext),#end
#end
}
}"#;
        let out: Value = serde_json::from_str(&r(src, "{}")).unwrap();
        assert_eq!(
            out,
            json!({"params": {
                "header": {"User-Agent": "curl/8.0", "X-Note": "say \"hi\""},
                "path": {"petId": "7"},
                "querystring": {"q": "a b", "type": "dog"},
            }})
        );
    }

    /// `$input.json`, `$input.path` (with a method on its result) and `$input.params(name)`, as the
    /// reference's `$input` table describes them.
    #[test]
    fn input_variables() {
        let body = r#"{"pets": [{"id": 1, "type": "dog"}, {"id": 2, "type": "cat"}], "name": "x"}"#;
        assert_eq!(
            r("$input.json('$.pets[0]')", body),
            r#"{"id":1,"type":"dog"}"#
        );
        assert_eq!(r("$input.path('$.pets').size()", body), "2");
        assert_eq!(r("$input.path('$.pets[1].type')", body), "cat");
        assert_eq!(r("$input.path('$.pets[*].id')", body), "[1, 2]");
        assert_eq!(
            r("$input.params('petId')-$input.params('type')", body),
            "7-dog"
        );
        assert_eq!(r("$input.body", body), body);
        assert_eq!(
            r(
                "#set($p = $input.path('$'))$p.name $p.missing $!p.missing.",
                body
            ),
            "x $p.missing ."
        );
        assert_eq!(r("$input.json('$.none')", body), "null");
    }

    #[test]
    fn util_functions() {
        assert_eq!(
            r("$util.urlEncode('a b&c=d/é')", ""),
            "a+b%26c%3Dd%2F%C3%A9"
        );
        assert_eq!(r("$util.urlDecode('a+b%26c')", ""), "a b&c");
        assert_eq!(r("$util.base64Encode('hi there')", ""), "aGkgdGhlcmU=");
        assert_eq!(r("$util.base64Decode('aGkgdGhlcmU=')", ""), "hi there");
        assert_eq!(
            r(
                r#"#set($o = $util.parseJson($input.body))$o.a.b"#,
                r#"{"a": {"b": 42}}"#
            ),
            "42"
        );
        assert_eq!(
            r("$util.escapeJavaScript($input.body)", "a\"b\n/"),
            "a\\\"b\\n\\/"
        );
    }

    #[test]
    fn directives_and_expressions() {
        assert_eq!(
            r(
                "#if($input.params('type') == 'dog')woof#elseif($x)x#else meow#end",
                ""
            ),
            "woof"
        );
        assert_eq!(r("#if($nothing)a#{else}b#{end}", ""), "b");
        assert_eq!(
            r(
                "#set($n = 2 + 3 * 4)$n #if($n > 10 && !($n == 15))big#end",
                ""
            ),
            "14 big"
        );
        assert_eq!(
            r("#foreach($i in [1..3])$i#if($foreach.hasNext),#end#end", ""),
            "1,2,3"
        );
        assert_eq!(
            r(
                "#foreach($i in [1, 2, 3])#if($i == 2)#break#end$velocityCount#end",
                ""
            ),
            "1"
        );
        assert_eq!(
            r("#set($m = {\"a\": 1})$m.a $m.get('a') $m.size()", ""),
            "1 1 1"
        );
        assert_eq!(
            r("#set($s = \"id-$context.requestId\")$s.toUpperCase()", ""),
            "ID-ABC-123"
        );
        assert_eq!(
            r("$stageVariables.queue ${stageVariables.queue}x", ""),
            "orders ordersx"
        );
        assert_eq!(
            r(
                "cost: $5 #notadirective ## comment\nnext #* block *#end",
                ""
            ),
            "cost: $5 #notadirective next end"
        );
        assert_eq!(
            r(
                "$util.escapeJavaScript(\"it's\").replaceAll(\"\\\\'\",\"'\")",
                ""
            ),
            "it's"
        );
    }

    /// A directive alone on its line prints nothing, not even the line's indentation and newline.
    #[test]
    fn directive_lines_leave_no_blank_lines() {
        assert_eq!(
            r("a\n  #set($x = 1)\nb$x\n#if(true)\n  c\n#end\nd", ""),
            "a\nb1\n  c\nd"
        );
    }

    /// A template with a syntax error names the line and column.
    #[test]
    fn syntax_errors_name_the_position() {
        let err = |src: &str| Template::parse(src).unwrap_err();
        let e = err("{\n  \"a\": #if($x \"b\"\n}");
        assert_eq!((e.line, e.column), (2, 15), "{e}");
        assert!(e.message.contains("expected ')'"), "{e}");
        let e = err("#foreach($x in $list)\n$x");
        assert_eq!((e.line, e.column), (1, 1));
        assert!(e.message.contains("#foreach without its #end"), "{e}");
        assert!(err("${context.stage").message.contains("missing its '}'"));
        assert!(err("#end").message.contains("without a matching"));
        assert!(
            err("#set($x = 'open)")
                .message
                .contains("unterminated string")
        );
    }
}
