//! The services AWS integrations call, each as API Gateway calls it: SQS and SNS through their query APIs (a
//! form body, `Action=...`), DynamoDB, EventBridge and Step Functions through their JSON APIs (`X-Amz-Target`);
//! which IAM action on which resource a call is; and each service's answer to a role that may not make it.

use serde_json::{Value, json};

use super::{aws_integration::Target, params::Mapped, vtl};

/// One service call, ready to send to moto and to check against the integration's role.
#[derive(Debug, PartialEq, Eq)]
pub struct Planned {
    /// The service's signing name (`sqs`), which moto routes by.
    pub service: &'static str,
    /// `sqs:SendMessage`.
    pub iam_action: String,
    pub resource: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// A form body or query string's value of `name`.
pub fn form_value(form: &str, name: &str) -> Option<String> {
    form.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| vtl::eval::to_text(&vtl::input::util("urlDecode", &[Value::from(v)])))
    })
}

/// The SQS queue ARN of a `/{account}/{queue}` path or a queue URL.
pub fn sqs_queue_arn(region: &str, path_or_url: &str) -> Option<String> {
    let mut segments = path_or_url.trim_end_matches('/').rsplit('/');
    let queue = segments.next().filter(|q| !q.is_empty())?;
    let account = segments
        .next()
        .filter(|a| a.chars().all(|c| c.is_ascii_digit()))?;
    Some(format!("arn:aws:sqs:{region}:{account}:{queue}"))
}

/// The call `target` makes with the rendered request template `body` and the mapped parameters.
pub fn plan(
    target: &Target,
    account: &str,
    body: String,
    mapped: &Mapped,
) -> Result<Planned, String> {
    let query = mapped
        .query
        .iter()
        .map(|(k, v)| format!("{k}={}", vtl::input::url_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    match target.service.as_str() {
        "sqs" | "sns" => query_call(target, body, query, mapped),
        "dynamodb" | "events" | "states" => json_call(target, account, body, mapped),
        other => Err(format!(
            "AWS integrations with {other} are not supported by the local cloud yet (SQS, SNS, DynamoDB, \
             EventBridge and Step Functions are)"
        )),
    }
}

fn query_call(
    target: &Target,
    body: String,
    query: String,
    mapped: &Mapped,
) -> Result<Planned, String> {
    // The action form: the action joins the query parameters in the form body, where moto reads them all.
    let body = match &target.action {
        Some(action) if form_value(&body, "Action").is_none() => {
            let rest: String = [body.as_str(), query.as_str()]
                .into_iter()
                .filter(|p| !p.is_empty())
                .map(|p| format!("&{p}"))
                .collect();
            format!("Action={action}{rest}")
        }
        _ => body,
    };
    let action = form_value(&body, "Action")
        .or_else(|| form_value(&query, "Action"))
        .ok_or("the call names no Action")?;
    let path = target
        .path
        .as_deref()
        .map(|p| super::params::render_uri(p, &mapped.path));
    let query = if target.action.is_some() {
        String::new()
    } else {
        query
    };
    let headers = mapped.headers.clone();
    if target.service == "sns" {
        let topic = form_value(&body, "TopicArn")
            .or_else(|| form_value(&body, "TargetArn"))
            .ok_or("the SNS call names no TopicArn")?;
        let path = path.unwrap_or_else(|| "/".to_owned());
        return Ok(Planned {
            service: "sns",
            iam_action: format!("sns:{action}"),
            resource: topic,
            path,
            query,
            headers,
            body,
        });
    }
    let queue_url = form_value(&body, "QueueUrl").unwrap_or_else(|| {
        let path = path.as_deref().unwrap_or("/");
        format!("https://sqs.{}.amazonaws.com{path}", target.region)
    });
    let resource = sqs_queue_arn(&target.region, &queue_url)
        .ok_or("the call names no queue (a path /{account}/{queue} or a QueueUrl)")?;
    // moto finds the queue by the request's path: the queue URL's when the integration names none.
    let path =
        path.unwrap_or_else(|| format!("/{}", queue_url.splitn(4, '/').nth(3).unwrap_or_default()));
    Ok(Planned {
        service: "sqs",
        iam_action: format!("sqs:{action}"),
        resource,
        path,
        query,
        headers,
        body,
    })
}

fn json_call(
    target: &Target,
    account: &str,
    body: String,
    mapped: &Mapped,
) -> Result<Planned, String> {
    let action = target.action.clone().ok_or_else(|| {
        format!(
            "{} integrations name an action (`{}:action/<Action>`)",
            target.service, target.service
        )
    })?;
    let doc: Value =
        serde_json::from_str(&body).map_err(|e| format!("the request template's JSON: {e}"))?;
    let region = &target.region;
    let (service, prefix, version, resource) = match target.service.as_str() {
        "dynamodb" => {
            let table = doc["TableName"]
                .as_str()
                .ok_or("the DynamoDB call names no TableName")?;
            (
                "dynamodb",
                "DynamoDB_20120810",
                "1.0",
                format!("arn:aws:dynamodb:{region}:{account}:table/{table}"),
            )
        }
        "events" => {
            let bus = doc["Entries"][0]["EventBusName"]
                .as_str()
                .unwrap_or("default");
            let arn = if bus.starts_with("arn:") {
                bus.to_owned()
            } else {
                format!("arn:aws:events:{region}:{account}:event-bus/{bus}")
            };
            ("events", "AWSEvents", "1.1", arn)
        }
        _ => {
            let machine = doc["stateMachineArn"]
                .as_str()
                .ok_or("the Step Functions call names no stateMachineArn")?;
            ("states", "AWSStepFunctions", "1.0", machine.to_owned())
        }
    };
    let mut headers = vec![
        ("X-Amz-Target".to_owned(), format!("{prefix}.{action}")),
        (
            "Content-Type".to_owned(),
            format!("application/x-amz-json-{version}"),
        ),
    ];
    headers.extend(
        mapped
            .headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("content-type"))
            .cloned(),
    );
    Ok(Planned {
        service,
        iam_action: format!("{service}:{action}"),
        resource,
        path: "/".into(),
        query: String::new(),
        headers,
        body,
    })
}

/// The service's answer to a role that may not make the call (status, JSON body): SQS's `AccessDenied`,
/// SNS's `AuthorizationError`, the JSON services' `AccessDeniedException`. The caller is the role's session
/// (API Gateway names it `BackplaneAssumeRoleSession`).
pub fn access_denied(
    planned: &Planned,
    role_arn: &str,
    account: &str,
    request_id: &str,
) -> (u16, String) {
    let role = role_arn.rsplit('/').next().unwrap_or(role_arn);
    let user = format!("arn:aws:sts::{account}:assumed-role/{role}/BackplaneAssumeRoleSession");
    let (action, resource) = (&planned.iam_action, &planned.resource);
    let not_authorized = format!(
        "User: {user} is not authorized to perform: {action} on resource: {resource} because no identity-based \
         policy allows the {action} action"
    );
    let (status, body) = match planned.service {
        "sqs" => {
            let queue = resource.rsplit(':').next().unwrap_or_default();
            let url = format!(
                "https://sqs.{}.amazonaws.com/{account}/{queue}",
                resource.split(':').nth(3).unwrap_or_default()
            );
            let message = format!("Access to the resource {url} is denied.");
            (
                403,
                json!({"Error": {"Code": "AccessDenied", "Message": message, "Type": "Sender"}, "RequestId": request_id}),
            )
        }
        "sns" => (
            403,
            json!({"Error": {"Code": "AuthorizationError", "Message": not_authorized, "Type": "Sender"}, "RequestId": request_id}),
        ),
        "dynamodb" => (
            400,
            json!({"__type": "com.amazonaws.dynamodb.v20120810#AccessDeniedException", "message": not_authorized}),
        ),
        _ => (
            400,
            json!({"__type": "AccessDeniedException", "Message": not_authorized}),
        ),
    };
    tracing::info!(
        action,
        resource,
        role = role_arn,
        "the integration's role may not do this: {status} from the service"
    );
    (status, body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(uri: &str) -> Target {
        Target::parse(uri).unwrap()
    }

    #[test]
    fn calls_name_their_iam_action_and_resource() {
        let none = Mapped::default();
        let sqs = plan(
            &target("arn:aws:apigateway:us-east-1:sqs:path/123456789012/q"),
            "123456789012",
            "Action=SendMessage&MessageBody=x".into(),
            &none,
        )
        .unwrap();
        assert_eq!(
            (
                sqs.iam_action.as_str(),
                sqs.resource.as_str(),
                sqs.path.as_str()
            ),
            (
                "sqs:SendMessage",
                "arn:aws:sqs:us-east-1:123456789012:q",
                "/123456789012/q"
            )
        );
        let sns = plan(
            &target("arn:aws:apigateway:us-east-1:sns:action/Publish"),
            "1",
            "TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At&Message=hi".into(),
            &none,
        )
        .unwrap();
        assert_eq!(
            (sns.iam_action.as_str(), sns.resource.as_str()),
            ("sns:Publish", "arn:aws:sns:us-east-1:1:t")
        );
        assert!(sns.body.starts_with("Action=Publish&TopicArn="));
        let ddb = plan(
            &target("arn:aws:apigateway:eu-west-1:dynamodb:action/PutItem"),
            "1",
            r#"{"TableName": "orders", "Item": {}}"#.into(),
            &none,
        )
        .unwrap();
        assert_eq!(
            (ddb.iam_action.as_str(), ddb.resource.as_str()),
            (
                "dynamodb:PutItem",
                "arn:aws:dynamodb:eu-west-1:1:table/orders"
            )
        );
        assert!(ddb.headers.contains(&(
            "X-Amz-Target".to_owned(),
            "DynamoDB_20120810.PutItem".to_owned()
        )));
        let events = plan(
            &target("arn:aws:apigateway:us-east-1:events:action/PutEvents"),
            "1",
            r#"{"Entries": [{"Source": "s"}]}"#.into(),
            &none,
        )
        .unwrap();
        assert_eq!(
            events.resource,
            "arn:aws:events:us-east-1:1:event-bus/default"
        );
        let sfn = plan(
            &target("arn:aws:apigateway:us-east-1:states:action/StartExecution"),
            "1",
            r#"{"stateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:m"}"#.into(),
            &none,
        )
        .unwrap();
        assert_eq!(
            (sfn.iam_action.as_str(), sfn.resource.as_str()),
            (
                "states:StartExecution",
                "arn:aws:states:us-east-1:1:stateMachine:m"
            )
        );
        assert!(
            plan(
                &target("arn:aws:apigateway:us-east-1:kinesis:action/PutRecord"),
                "1",
                "{}".into(),
                &none
            )
            .is_err()
        );
        assert!(
            plan(
                &target("arn:aws:apigateway:us-east-1:dynamodb:action/PutItem"),
                "1",
                "not json".into(),
                &none
            )
            .is_err()
        );
        let (status, body) = access_denied(&ddb, "arn:aws:iam::1:role/api", "1", "r");
        assert_eq!(status, 400);
        assert!(body.contains("is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-1:1:table/orders"), "{body}");
        assert!(access_denied(&sqs, "arn:aws:iam::1:role/api", "123456789012", "r").1.contains("Access to the resource https://sqs.us-east-1.amazonaws.com/123456789012/q is denied."));
    }
}
