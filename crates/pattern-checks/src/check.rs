//! One `[[verify]]` table as written in pattern.toml, and the rules for which fields go together.
//! Over 400 lines: one struct per check kind and the rules between their fields, kept together so a new kind
//! is one reading; its tests are half of it.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde::Deserialize;

/// One check. Exactly one kind: `request` (HTTP), `unreachable`, or AWS (`send`, `dynamodb`, `log_contains`,
/// `queue_holds`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub name: String,
    /// `METHOD URL`, with `{placeholder}`s.
    pub request: Option<String>,
    /// The request body (placeholders expanded).
    pub body: Option<String>,
    #[serde(default)]
    pub headers: toml::Table,
    pub status: Option<u16>,
    /// Fields the JSON response body (or the DynamoDB item) must contain (a subset match).
    pub json: Option<toml::Value>,
    /// Text the response body must contain.
    pub body_contains: Option<String>,
    /// Response headers and their exact values (names case-insensitive), e.g. a CORS preflight's.
    #[serde(default)]
    pub response_headers: toml::Table,
    /// Values of the JSON response to keep as placeholders for later checks: name -> dotted path.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// `host:port` that must NOT accept connections from this machine.
    pub unreachable: Option<String>,
    /// Something to send first: a queue message, an S3 object, an EventBridge event or an SNS message.
    pub send: Option<Send>,
    /// An item to read with GetItem; `json` is a subset of it, or `absent = true`.
    pub dynamodb: Option<DynamoDb>,
    /// Text that must appear in a CloudWatch Logs group.
    pub log_contains: Option<LogContains>,
    /// A message a queue must hold (received without hiding it).
    pub queue_holds: Option<QueueHolds>,
    /// A user of a Cognito user pool to create and sign in; its tokens become `{id_token}`, `{access_token}`.
    pub cognito_user: Option<CognitoUser>,
    /// A function to invoke (synchronously) with a payload; `json`/`body_contains` assert its answer.
    pub invoke: Option<Invoke>,
    /// An S3 object to read; `json`/`body_contains` assert its content.
    pub s3_object: Option<S3Object>,
    /// A Step Functions execution to start and await; `json`/`body_contains` assert its output (or its cause).
    pub start_execution: Option<StartExecution>,
    /// A page to open in headless Chromium; the rendered DOM, its headers and its requests are asserted.
    pub browser: Option<Browser>,
    /// Seconds the AWS assertions are retried (default: 30 with `send`, else 0).
    pub within: Option<u64>,
    /// Send the request this many times, each answer asserted.
    pub repeat: Option<u32>,
    /// Send the request until an answer has this status (at most `repeat` times, default 20; every earlier answer
    /// a 2xx), then assert that answer: a usage plan's throttle or quota reached (429).
    pub until_status: Option<u16>,
    /// How the repeated answers split over the values of one JSON field (a weighted forward's shares).
    pub spread: Option<crate::spread::Spread>,
}

/// `browser = { url = "{site_url}/orders/42", dom_contains = ["Order 42"], no_preflight = true,
/// page_headers = { x-frame-options = "DENY" } }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Browser {
    /// The page to open.
    pub url: String,
    /// Texts the DOM must contain once the page's scripts ran.
    #[serde(default)]
    pub dom_contains: Vec<String>,
    /// The page's own response headers and their exact values.
    #[serde(default)]
    pub page_headers: toml::Table,
    /// The page sends no CORS preflight (`OPTIONS`) while it loads.
    #[serde(default)]
    pub no_preflight: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Send {
    /// SendMessage to this queue URL.
    pub sqs: Option<String>,
    /// PutObject into this bucket, at `key`.
    pub s3: Option<String>,
    /// PutEvents on this bus (name or ARN), with `source`, `detail_type` and `detail`.
    pub eventbridge: Option<String>,
    /// Publish to this topic ARN: `message`, with optional String `attributes` (name -> value).
    pub sns: Option<String>,
    pub message: Option<String>,
    pub attributes: Option<BTreeMap<String, String>>,
    pub key: Option<String>,
    pub body: Option<String>,
    /// SendMessageBatch of these bodies to the `sqs` queue (at most 10), instead of one `body`.
    pub bodies: Option<Vec<String>>,
    pub source: Option<String>,
    pub detail_type: Option<String>,
    pub detail: Option<String>,
    /// PutItem into this table, the `item` (a second one with the same key replaces it: a MODIFY).
    pub dynamodb: Option<String>,
    /// Attribute -> value (strings become `S`, numbers `N`, booleans `BOOL`, arrays `L`, tables `M`).
    pub item: Option<toml::Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamoDb {
    pub table: String,
    /// Key attribute -> value (strings become `S`, numbers `N`).
    pub key: toml::Table,
    #[serde(default)]
    pub absent: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invoke {
    /// The function's name or ARN.
    pub function: String,
    /// The event (JSON text; default `{}`).
    pub payload: Option<String>,
    /// The function is expected to fail: its error document (`errorType`, `errorMessage`) is the answer.
    #[serde(default)]
    pub error: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartExecution {
    /// The state machine's ARN.
    pub state_machine: String,
    /// The execution's input (JSON text; default `{}`).
    pub input: Option<String>,
    /// The terminal status it must reach: SUCCEEDED (default), FAILED, TIMED_OUT or ABORTED.
    pub status: Option<String>,
    /// The error a FAILED execution must end with.
    pub error: Option<String>,
    /// How many task attempts its history must show (`TaskScheduled` and `LambdaFunctionScheduled` events:
    /// each retry is one more).
    pub attempts: Option<usize>,
    /// Seconds to await a terminal status (default 60).
    pub timeout: Option<u64>,
}

impl StartExecution {
    pub const STATUSES: [&str; 4] = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];

    pub fn status(&self) -> &str {
        self.status.as_deref().unwrap_or("SUCCEEDED")
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Object {
    pub bucket: String,
    pub key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CognitoUser {
    /// The pool's id.
    pub user_pool: String,
    /// An app client of the pool that allows `ADMIN_USER_PASSWORD_AUTH`.
    pub client: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueHolds {
    /// The queue's URL.
    pub queue: String,
    /// Text the body of one of its messages contains.
    pub body_contains: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogContains {
    pub group: String,
    pub text: String,
}

impl Check {
    /// Which fields go together; the error says what to change.
    pub fn validate(&self) -> Result<()> {
        let aws = self.send.is_some()
            || self.dynamodb.is_some()
            || self.log_contains.is_some()
            || self.queue_holds.is_some()
            || self.s3_object.is_some();
        let kinds = [
            self.request.is_some(),
            self.unreachable.is_some(),
            aws,
            self.cognito_user.is_some(),
            self.invoke.is_some(),
            self.start_execution.is_some(),
            self.browser.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            bail!(
                "a check is exactly one of: `request` (HTTP), `unreachable`, `cognito_user`, `invoke`, \
                 `start_execution`, `browser`, or AWS (`send` and/or `dynamodb` / `log_contains` / `queue_holds` / \
                 `s3_object`); fix: split it into several checks"
            );
        }
        if let Some(execution) = &self.start_execution {
            if !StartExecution::STATUSES.contains(&execution.status()) {
                bail!(
                    "`start_execution.status` is `{}`; fix: one of {}",
                    execution.status(),
                    StartExecution::STATUSES.join(", ")
                );
            }
            if execution.error.is_some() && execution.status() != "FAILED" {
                bail!(
                    "`start_execution.error` asserts a FAILED execution; fix: add status = \"FAILED\""
                );
            }
        }
        let http_only = [
            ("body", self.body.is_some()),
            ("status", self.status.is_some()),
            ("headers", !self.headers.is_empty()),
            ("response_headers", !self.response_headers.is_empty()),
            ("capture", !self.capture.is_empty()),
            ("repeat", self.repeat.is_some()),
            ("spread", self.spread.is_some()),
            ("until_status", self.until_status.is_some()),
        ];
        if self.request.is_none()
            && let Some((field, _)) = http_only.iter().find(|(_, set)| *set)
        {
            bail!("`{field}` belongs to a `request` check; fix: remove it or add `request`");
        }
        let answered = self.request.is_some()
            || self.invoke.is_some()
            || self.s3_object.is_some()
            || self.start_execution.is_some();
        if self.json.is_some() && !answered && self.dynamodb.is_none() && self.queue_holds.is_none()
        {
            bail!(
                "`json` compares an HTTP body, a function's answer, an S3 object, a DynamoDB item or a queue's \
                 message; fix: add `request`, `invoke`, `s3_object`, `dynamodb` or `queue_holds`"
            );
        }
        if self.json.is_some() && self.dynamodb.is_some() && self.queue_holds.is_some() {
            bail!(
                "`json` would compare both the DynamoDB item and the queue's message; fix: split the check"
            );
        }
        if self.body_contains.is_some() && !answered {
            bail!(
                "`body_contains` searches an HTTP body, a function's answer or an S3 object; fix: add `request`, \
                 `invoke` or `s3_object`"
            );
        }
        if self.s3_object.is_some() && self.dynamodb.is_some() {
            bail!(
                "`json` and `body_contains` could not say which of the S3 object and the DynamoDB item they \
                 assert; fix: split the check in two"
            );
        }
        if let Some(d) = &self.dynamodb {
            if d.absent && self.json.is_some() {
                bail!("`dynamodb.absent = true` and `json` contradict; fix: keep one");
            }
            if d.key.is_empty() {
                bail!(
                    "`dynamodb.key` is empty; fix: give the key attributes, e.g. key = {{ id = \"{{item_id}}\" }}"
                );
            }
        }
        if self.send.is_some()
            && self.dynamodb.is_none()
            && self.log_contains.is_none()
            && self.queue_holds.is_none()
            && self.s3_object.is_none()
        {
            bail!(
                "`send` needs an assertion of its effect; fix: add `log_contains`, `dynamodb`, `queue_holds` or \
                 `s3_object`"
            );
        }
        if let Some(send) = &self.send {
            send.validate()?;
        }
        if let Some(spread) = &self.spread {
            spread.validate(self.repeat)?;
        }
        if self.until_status.is_some() && (self.status.is_some() || self.spread.is_some()) {
            bail!(
                "`until_status` is the status the last answer must have, and judges no shares; fix: remove \
                 `status` and `spread`"
            );
        }
        if let Some(browser) = &self.browser
            && browser.dom_contains.is_empty()
            && browser.page_headers.is_empty()
            && !browser.no_preflight
        {
            bail!(
                "a `browser` check asserts nothing; fix: add `dom_contains`, `page_headers` or `no_preflight = true`"
            );
        }
        if self.within.is_some() && !aws {
            bail!("`within` retries AWS assertions only; fix: remove it");
        }
        Ok(())
    }

    /// How long the AWS assertions are retried.
    pub fn within(&self) -> std::time::Duration {
        let default = if self.send.is_some() { 30 } else { 0 };
        std::time::Duration::from_secs(self.within.unwrap_or(default))
    }
}

impl Send {
    fn validate(&self) -> Result<()> {
        let targets = [
            self.sqs.is_some(),
            self.s3.is_some(),
            self.eventbridge.is_some(),
            self.sns.is_some(),
            self.dynamodb.is_some(),
        ];
        if targets.iter().filter(|t| **t).count() != 1 {
            bail!(
                "`send` names exactly one of `sqs` (queue URL), `s3` (bucket), `eventbridge` (bus), `sns` \
                 (topic ARN) or `dynamodb` (table)"
            );
        }
        let allowed: &[&str] = if self.sqs.is_some() && self.bodies.is_some() {
            &["bodies"]
        } else if self.sqs.is_some() {
            &["body"]
        } else if self.s3.is_some() {
            &["key", "body"]
        } else if self.sns.is_some() {
            &["message"]
        } else if self.dynamodb.is_some() {
            &["item"]
        } else {
            &["source", "detail_type", "detail"]
        };
        // Fields a target may leave out.
        let optional: &[&str] = if self.sns.is_some() {
            &["attributes"]
        } else {
            &[]
        };
        let fields = [
            ("key", self.key.is_some()),
            ("body", self.body.is_some()),
            ("bodies", self.bodies.is_some()),
            ("source", self.source.is_some()),
            ("detail_type", self.detail_type.is_some()),
            ("detail", self.detail.is_some()),
            ("message", self.message.is_some()),
            ("attributes", self.attributes.is_some()),
            ("item", self.item.is_some()),
        ];
        for (field, set) in fields {
            if set != allowed.contains(&field) && !optional.contains(&field) {
                bail!(
                    "`send`: {} takes exactly the fields {}; `{field}` is {}",
                    if self.sqs.is_some() {
                        "sqs"
                    } else if self.s3.is_some() {
                        "s3"
                    } else if self.sns.is_some() {
                        "sns"
                    } else if self.dynamodb.is_some() {
                        "dynamodb"
                    } else {
                        "eventbridge"
                    },
                    allowed.join(", ")
                        + &if optional.is_empty() {
                            String::new()
                        } else {
                            format!(" (optional: {})", optional.join(", "))
                        },
                    if set { "not one of them" } else { "missing" }
                );
            }
        }
        if let Some(bodies) = &self.bodies
            && !(1..=10).contains(&bodies.len())
        {
            bail!(
                "`send.bodies` has {} messages; SendMessageBatch takes 1 to 10: split the check",
                bodies.len()
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(toml_text: &str) -> Result<Check> {
        let check: Check = toml::from_str(&format!("name = \"c\"\n{toml_text}"))?;
        check.validate()?;
        Ok(check)
    }

    #[test]
    fn well_formed_checks_pass() {
        check("request = \"GET {api_url}/\"\nstatus = 200\ncapture = { id = \"id\" }").unwrap();
        check("unreachable = \"{alb}:80\"").unwrap();
        check("request = \"GET {api_url}/\"\nrepeat = 10\nuntil_status = 429\njson = { message = \"x\" }")
            .unwrap();
        check("request = \"OPTIONS x\"\nstatus = 204\nresponse_headers = { access-control-max-age = \"300\" }")
            .unwrap();
        check("send = { sqs = \"{q}\", body = \"x\" }\nlog_contains = { group = \"g\", text = \"x\" }")
            .unwrap();
        check("dynamodb = { table = \"t\", key = { id = \"1\" } }\njson = { n = 1 }").unwrap();
        let batch = check(
            "send = { sqs = \"{q}\", bodies = [\"a\", \"b\"] }\n\
             queue_holds = { queue = \"{dlq}\", body_contains = \"b\" }\nwithin = 60",
        )
        .unwrap();
        assert_eq!(batch.within().as_secs(), 60);
        let c = check(
            "send = { eventbridge = \"b\", source = \"s\", detail_type = \"d\", detail = \"{}\" }\n\
             dynamodb = { table = \"t\", key = { id = \"1\" } }",
        )
        .unwrap();
        assert_eq!(c.within().as_secs(), 30);
        check("send = { sns = \"{t}\", message = \"m\" }\ns3_object = { bucket = \"b\", key = \"k\" }").unwrap();
        check(
            "send = { sns = \"{t}\", message = \"m\", attributes = { kind = \"order\" } }\n\
             dynamodb = { table = \"t\", key = { id = \"1\" } }",
        )
        .unwrap();
        check(
            "send = { dynamodb = \"{t}\", item = { id = \"{run_id}\", status = \"new\" } }\n\
             queue_holds = { queue = \"{q}\", body_contains = \"{run_id}\" }",
        )
        .unwrap();
        let err = check(
            "send = { dynamodb = \"t\", body = \"x\" }\nqueue_holds = { queue = \"q\", body_contains = \"x\" }",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("dynamodb takes exactly the fields item"),
            "{err}"
        );
        check(
            "queue_holds = { queue = \"{q}\", body_contains = \"x\" }\njson = { detail-type = \"T\" }",
        )
        .unwrap();
        let err = check(
            "queue_holds = { queue = \"q\", body_contains = \"x\" }\n\
             dynamodb = { table = \"t\", key = { id = \"1\" } }\njson = { n = 1 }",
        )
        .unwrap_err();
        assert!(err.to_string().contains("split the check"), "{err}");
    }

    #[test]
    fn start_execution_asserts_a_known_terminal_status_and_its_output() {
        let machine =
            "start_execution = { state_machine = \"{arn}\", input = '{\"a\":1}', attempts = 3 }";
        check(&format!("{machine}\njson = {{ ok = true }}")).unwrap();
        check("start_execution = { state_machine = \"m\", status = \"FAILED\", error = \"E\" }\nbody_contains = \"x\"")
            .unwrap();
        let err =
            check("start_execution = { state_machine = \"m\", status = \"DONE\" }").unwrap_err();
        assert!(err.to_string().contains("SUCCEEDED, FAILED"), "{err}");
        let err = check("start_execution = { state_machine = \"m\", error = \"E\" }").unwrap_err();
        assert!(err.to_string().contains("status = \"FAILED\""), "{err}");
        let err =
            check("start_execution = { state_machine = \"m\" }\ninvoke = { function = \"f\" }")
                .unwrap_err();
        assert!(err.to_string().contains("exactly one of"), "{err}");
    }

    #[test]
    fn invoke_and_s3_object_answers_are_asserted_with_json_and_body_contains_only() {
        check("invoke = { function = \"f\", payload = '{}' }\njson = { ok = true }\nbody_contains = \"ok\"")
            .unwrap();
        check("invoke = { function = \"f\", error = true }\njson = { errorType = \"E\" }").unwrap();
        check("s3_object = { bucket = \"b\", key = \"k\" }\nbody_contains = \"x\"").unwrap();
        check("send = { sqs = \"q\", body = \"x\" }\ns3_object = { bucket = \"b\", key = \"k\" }")
            .unwrap();
        let refused = |text: &str, why: &str| {
            let err = check(text).unwrap_err().to_string();
            assert!(err.contains(why) && err.contains("fix:"), "{text}: {err}");
        };
        refused(
            "invoke = { function = \"f\" }\nstatus = 200",
            "`status` belongs to a `request` check",
        );
        refused(
            "invoke = { function = \"f\" }\nunreachable = \"h:1\"",
            "exactly one of",
        );
        refused(
            "dynamodb = { table = \"t\", key = { id = \"1\" } }\nbody_contains = \"x\"",
            "`body_contains` searches",
        );
        refused(
            "s3_object = { bucket = \"b\", key = \"k\" }\ndynamodb = { table = \"t\", key = { id = \"1\" } }",
            "split the check in two",
        );
    }

    #[test]
    fn mixed_or_incomplete_checks_are_refused_with_the_fix() {
        let cases = [
            (
                "request = \"GET x\"\nunreachable = \"h:1\"",
                "exactly one of",
            ),
            ("status = 200", "exactly one of"),
            ("send = { sqs = \"q\", body = \"x\" }", "needs an assertion"),
            (
                "send = { sqs = \"q\", key = \"k\" }\nlog_contains = { group = \"g\", text = \"t\" }",
                "`key` is not one of them",
            ),
            (
                "send = { s3 = \"b\", body = \"x\" }\nlog_contains = { group = \"g\", text = \"t\" }",
                "`key` is missing",
            ),
            (
                "send = { sqs = \"q\", s3 = \"b\", body = \"x\" }\nlog_contains = { group = \"g\", text = \"t\" }",
                "exactly one of `sqs`",
            ),
            (
                "dynamodb = { table = \"t\", key = { id = \"1\" }, absent = true }\njson = { n = 1 }",
                "contradict",
            ),
            (
                "log_contains = { group = \"g\", text = \"t\" }\nstatus = 200",
                "`status` belongs",
            ),
            ("unreachable = \"h:1\"\nwithin = 5", "`within`"),
            (
                "request = \"GET x\"\nuntil_status = 429\nstatus = 200",
                "remove `status`",
            ),
            (
                "unreachable = \"h:1\"\nuntil_status = 429",
                "`until_status` belongs",
            ),
            (
                "unreachable = \"h:1\"\nresponse_headers = { a = \"b\" }",
                "`response_headers` belongs",
            ),
            (
                "send = { sqs = \"q\", body = \"x\", bodies = [\"y\"] }\nlog_contains = { group = \"g\", text = \"t\" }",
                "`body` is not one of them",
            ),
            (
                "send = { sqs = \"q\", bodies = [] }\nlog_contains = { group = \"g\", text = \"t\" }",
                "takes 1 to 10",
            ),
            ("queue_holds = { queue = \"q\" }", "missing field"),
            (
                "send = { sns = \"t\", body = \"x\" }\nlog_contains = { group = \"g\", text = \"t\" }",
                "takes exactly the fields message (optional: attributes); `body` is not one of them",
            ),
            (
                "send = { sqs = \"q\", body = \"x\", attributes = { a = \"b\" } }\n\
                 log_contains = { group = \"g\", text = \"t\" }",
                "`attributes` is not one of them",
            ),
        ];
        for (text, expected) in cases {
            let err = check(text).map(|_| ()).unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
        assert!(
            check("request = \"GET x\"\nbogus = 1").is_err(),
            "unknown fields are refused"
        );
    }
}
