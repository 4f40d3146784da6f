//! Fidelity: REST API AWS integrations to SQS (and SNS Publish, DynamoDB PutItem through its JSON API, whose
//! refusal is DynamoDB's 400 `AccessDeniedException`), as the storage-first patterns use them
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/integrating-api-with-aws-services-sqs.html>):
//! the request template (VTL) makes the `Action=SendMessage&MessageBody=...` form sent to the queue as the
//! integration's `credentials` role; SQS's answer (the JSON API Gateway asks services for) goes through the
//! integration response its status selects. A role that may not send answers SQS's 403 `AccessDenied`
//! (selected like any other status: with only a default response, the client gets 200 and the error body); a
//! role API Gateway may not assume answers 500 `Internal server error` ("API Gateway does not have
//! permission to assume the provided role" in the execution log); a request template that does not parse
//! answers 500. A request validator refuses a body that does not fit the method's model with 400
//! `{"message": "Invalid request body"}` and `x-amzn-ErrorType: BadRequestException`
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html>).

use bytes::Bytes;
use http::Request;
use serde_json::{Value, json};

use crate::support::{
    ACCOUNT, Cases, REGION,
    cloud::{LocalCloud, json_body},
    stacks::{create_stack, output},
};

const SEND: &str = "Action=SendMessage&MessageBody=$util.urlEncode($input.body)";
const SHAPED: &str = "#set($r = $input.path('$.SendMessageResponse.SendMessageResult'))\n{\"messageId\": \"$r.MessageId\", \"requestId\": \"$context.requestId\"}";

/// A POST method sending its body to the queue as `role`, with `responses` and a request `template`.
fn send_method(role: &str, uri: Value, template: &str, responses: Value) -> Value {
    json!({"post": {"x-amazon-apigateway-integration": {
        "type": "aws", "httpMethod": "POST", "uri": uri,
        "credentials": {"Fn::GetAtt": [role, "Arn"]},
        "requestParameters": {"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
        "requestTemplates": {"application/json": template},
        "passthroughBehavior": "never",
        "responses": responses}}})
}

fn role(policy_action: &str, trusted: &str) -> Value {
    json!({"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": trusted}, "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "send", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": policy_action, "Resource": {"Fn::GetAtt": ["Queue", "Arn"]}}]}}]}})
}

/// A role API Gateway may assume, allowed `action` on `resource`.
fn role_on(action: &str, resource: Value) -> Value {
    let mut r = role(action, "apigateway.amazonaws.com");
    r["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"] = resource;
    r
}

fn template() -> Value {
    let path_uri = json!({"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:sqs:path/${AWS::AccountId}/${Queue.QueueName}"});
    let shaped = json!({"default": {"statusCode": "200", "responseTemplates": {"application/json": SHAPED}},
                        "4\\d{2}": {"statusCode": "403", "responseTemplates": {"application/json":
                            "{\"refused\": \"$input.path('$.Error.Code')\"}"}}});
    let default_only = json!({"default": {"statusCode": "200"}});
    let mut validated = send_method("Sender", path_uri.clone(), SEND, shaped.clone());
    validated["post"]["x-amazon-apigateway-request-validator"] = json!("body");
    validated["post"]["requestBody"] = json!({"content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Order"}}}});
    let body = json!({
        "openapi": "3.0.1",
        "info": {"title": "aws-integration", "version": "1"},
        "x-amazon-apigateway-request-validators": {"body": {"validateRequestBody": true,
                                                             "validateRequestParameters": false}},
        "components": {"schemas": {"Order": {"type": "object", "required": ["id"],
                                              "properties": {"id": {"type": "string", "minLength": 1}}}}},
        "paths": {
            "/validated": validated,
            "/send": send_method("Sender", path_uri.clone(), SEND, shaped.clone()),
            "/action": send_method("Sender", json!({"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:sqs:action/SendMessage"}),
                "QueueUrl=$util.urlEncode($stageVariables.queueUrl)&MessageBody=$util.urlEncode($input.body)", shaped.clone()),
            "/refused": send_method("Receiver", path_uri.clone(), SEND, shaped),
            "/refused-default": send_method("Receiver", path_uri.clone(), SEND, default_only.clone()),
            "/untrusted": send_method("Untrusted", path_uri.clone(), SEND, default_only.clone()),
            "/publish": send_method("Publisher", json!({"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:sns:action/Publish"}),
                "TopicArn=$util.urlEncode($stageVariables.topicArn)&Message=$util.urlEncode($input.body)",
                json!({"default": {"statusCode": "200", "responseTemplates": {"application/json":
                    "{\"messageId\": \"$input.path('$.PublishResponse.PublishResult.MessageId')\"}"}}})),
            "/put": send_method("Putter", json!({"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:dynamodb:action/PutItem"}),
                "{\"TableName\": \"$stageVariables.table\", \"Item\": {\"id\": {\"S\": \"$input.path('$.id')\"}}}",
                default_only.clone()),
            "/put-refused": send_method("Publisher", json!({"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:dynamodb:action/PutItem"}),
                "{\"TableName\": \"$stageVariables.table\", \"Item\": {\"id\": {\"S\": \"x\"}}}",
                json!({"default": {"statusCode": "200"}, "4\\d{2}": {"statusCode": "403", "responseTemplates": {
                    "application/json": "{\"refused\": \"$input.path('$.__type')\"}"}}})),
            "/broken": send_method("Sender", path_uri, "Action=SendMessage&MessageBody=#if($input.body", default_only),
        }
    });
    json!({
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "Sender": role("sqs:SendMessage", "apigateway.amazonaws.com"),
            "Receiver": role("sqs:ReceiveMessage", "apigateway.amazonaws.com"),
            "Untrusted": role("sqs:SendMessage", "lambda.amazonaws.com"),
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}},
            "Publisher": role_on("sns:Publish", json!({"Ref": "Topic"})),
            "Putter": role_on("dynamodb:PutItem", json!({"Fn::GetAtt": ["Table", "Arn"]})),
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": body}},
            "Deployment": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"RestApiId": {"Ref": "Api"}}},
            "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
                "RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Deployment"}, "StageName": "live",
                "Variables": {"queueUrl": {"Ref": "Queue"}, "topicArn": {"Ref": "Topic"}, "table": {"Ref": "Table"}}}}
        },
        "Outputs": {"ApiId": {"Value": {"Ref": "Api"}}, "QueueUrl": {"Value": {"Ref": "Queue"}}}
    })
}

struct Ctx {
    cloud: local_cloud::SharedCloud,
    aws: local_cloud::aws::Clients,
    api: String,
    queue_url: String,
}

impl Ctx {
    async fn post(&self, path: &str, body: &str) -> (u16, Value) {
        let resp = self.send(path, body).await;
        (resp.status().as_u16(), json_body(&resp))
    }

    async fn send(&self, path: &str, body: &str) -> http::Response<Bytes> {
        let mut req = Request::post(format!("/live{path}"))
            .header("host", format!("{}.execute-api.localhost:4566", self.api))
            .header("content-type", "application/json")
            .body(Bytes::from(body.to_owned()))
            .unwrap();
        req.extensions_mut()
            .insert("10.9.8.7:50000".parse::<std::net::SocketAddr>().unwrap());
        local_cloud::apigw::handle(&self.cloud, req)
            .await
            .unwrap_or_else(|_| panic!("not execute-api traffic"))
    }

    /// The bodies of the messages in the queue (received, then deleted).
    async fn drain(&self) -> Vec<String> {
        let out = self
            .aws
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let mut bodies = Vec::new();
        for m in out.messages() {
            bodies.push(m.body().unwrap_or_default().to_owned());
            let handle = m.receipt_handle().unwrap_or_default();
            let del = self.aws.sqs.delete_message().queue_url(&self.queue_url);
            del.receipt_handle(handle).send().await.unwrap();
        }
        bodies
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_integrations_send_as_their_role_and_shape_the_answer() {
    let local = LocalCloud::start("lc-apigw-aws").await;
    let outputs = create_stack(&local.url, "aws-integration", &template()).await;
    let mut cases = Cases::new(Ctx {
        cloud: local.cloud.clone(),
        aws: local.aws.clone(),
        api: output(&outputs, "ApiId"),
        queue_url: output(&outputs, "QueueUrl"),
    });
    cases
        .case(
            "path form: the message lands and the template shapes the answer",
            |c| async move {
                let (status, body) = c.post("/send", r#"{"order": "a&b = 1+1"}"#).await;
                assert_eq!(status, 200, "{body}");
                let id = body["messageId"].as_str().unwrap_or_default();
                assert_eq!(id.len(), 36, "a message id: {body}");
                assert_eq!(body["requestId"].as_str().map(str::len), Some(36), "{body}");
                assert_eq!(
                    c.drain().await,
                    vec![r#"{"order": "a&b = 1+1"}"#.to_owned()]
                );
            },
        )
        .await;
    cases
        .case(
            "action form with the queue URL in the template",
            |c| async move {
                let (status, body) = c.post("/action", "hello").await;
                assert_eq!(status, 200, "{body}");
                assert!(
                    body["messageId"].as_str().is_some_and(|m| !m.is_empty()),
                    "{body}"
                );
                assert_eq!(c.drain().await, vec!["hello".to_owned()]);
            },
        )
        .await;
    cases
        .case(
            "a role that may not send -> SQS's AccessDenied, selected by 4\\d{2}",
            |c| async move {
                assert_eq!(
                    c.post("/refused", "x").await,
                    (403, json!({"refused": "AccessDenied"}))
                );
                assert!(c.drain().await.is_empty());
            },
        )
        .await;
    cases
        .case(
            "only a default response: 200 with SQS's error body passed through",
            |c| async move {
                let (status, body) = c.post("/refused-default", "x").await;
                assert_eq!(status, 200);
                let url = format!("https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/");
                assert_eq!(body["Error"]["Code"], "AccessDenied", "{body}");
                assert!(
                    body["Error"]["Message"]
                        .as_str()
                        .unwrap_or_default()
                        .starts_with(&format!("Access to the resource {url}")),
                    "{body}"
                );
            },
        )
        .await;
    cases
        .case("a role API Gateway may not assume -> 500", |c| async move {
            assert_eq!(
                c.post("/untrusted", "x").await,
                (500, json!({"message": "Internal server error"}))
            );
            assert!(c.drain().await.is_empty());
        })
        .await;
    cases
        .case(
            "a request template that does not parse -> 500",
            |c| async move {
                assert_eq!(
                    c.post("/broken", "x").await,
                    (500, json!({"message": "Internal server error"}))
                );
            },
        )
        .await;
    cases
        .case(
            "a request validator refuses a body that is not the model: 400, nothing sent",
            |c| async move {
                for bad in [r#"{"id": ""}"#, r#"{"name": "x"}"#, "not json"] {
                    let resp = c.send("/validated", bad).await;
                    assert_eq!(resp.status(), 400, "{bad}");
                    assert_eq!(resp.headers()["x-amzn-errortype"], "BadRequestException");
                    assert_eq!(json_body(&resp), json!({"message": "Invalid request body"}));
                }
                assert!(c.drain().await.is_empty());
                let (status, body) = c.post("/validated", r#"{"id": "o-1"}"#).await;
                assert_eq!(status, 200, "{body}");
                assert_eq!(c.drain().await, vec![r#"{"id": "o-1"}"#.to_owned()]);
            },
        )
        .await;
    local.stop(cases.all_passed()).await;
    cases.finish();
}
