//! After a local destroy: asks the local cloud whether the physical resources the stack listed before its
//! deletion still exist (moto's CloudFormation silently skips deleting types it cannot delete; it once reported a
//! bucket that still held objects as deleted). Only the types our patterns use are checked; each check is one
//! cheap API call.

use anyhow::{Context, Result, bail};

use super::stack::StackResource;
use crate::aws::raw::{get, json, percent_encode, query};

/// What the local cloud answers about one resource.
enum Found {
    Exists,
    Gone,
    /// A type this check does not know how to ask about.
    Unchecked,
}

/// The resources of `resources` that still exist, as `LogicalId (Type) physical-id`.
pub fn remaining(edge_url: &str, resources: &[StackResource]) -> Result<Vec<String>> {
    let mut left = Vec::new();
    for r in resources.iter().filter(|r| !r.physical_id.is_empty()) {
        match exists(edge_url, r).with_context(|| {
            format!(
                "checking whether {} ({}) is gone",
                r.logical_id, r.resource_type
            )
        })? {
            Found::Exists => left.push(format!(
                "{} ({}) {}",
                r.logical_id, r.resource_type, r.physical_id
            )),
            Found::Gone => {}
            Found::Unchecked => {
                tracing::debug!(
                    resource = r.logical_id,
                    rtype = r.resource_type,
                    "not checked after destroy"
                )
            }
        }
    }
    Ok(left)
}

fn exists(edge: &str, r: &StackResource) -> Result<Found> {
    let id = r.physical_id.as_str();
    let enc = percent_encode(id);
    let (status, body) = match r.resource_type.as_str() {
        "AWS::Lambda::Function" => get(edge, "lambda", &format!("/2015-03-31/functions/{enc}"))?,
        // Its physical id is the mapping's UUID; a mapping left behind would go on polling its queue.
        "AWS::Lambda::EventSourceMapping" => get(
            edge,
            "lambda",
            &format!("/2015-03-31/event-source-mappings/{enc}"),
        )?,
        "AWS::ApiGateway::RestApi" => get(edge, "apigateway", &format!("/restapis/{enc}"))?,
        "AWS::ApiGateway::UsagePlan" => get(edge, "apigateway", &format!("/usageplans/{enc}"))?,
        "AWS::ApiGateway::ApiKey" => get(edge, "apigateway", &format!("/apikeys/{enc}"))?,
        // GetBucketLocation: 404 NoSuchBucket once the bucket is gone (a HEAD would answer without a body).
        "AWS::S3::Bucket" => get(edge, "s3", &format!("/{enc}?location"))?,
        "AWS::DynamoDB::Table" => json(
            edge,
            "dynamodb",
            "DynamoDB_20120810.DescribeTable",
            "application/x-amz-json-1.0",
            &serde_json::json!({ "TableName": id }),
        )?,
        "AWS::SQS::Queue" => query(
            edge,
            "sqs",
            &format!("Action=GetQueueAttributes&QueueUrl={enc}"),
        )?,
        "AWS::IAM::Role" => query(
            edge,
            "iam",
            &format!("Action=GetRole&Version=2010-05-08&RoleName={enc}"),
        )?,
        // Its physical id is the machine's ARN.
        "AWS::StepFunctions::StateMachine" => json(
            edge,
            "states",
            "AWSStepFunctions.DescribeStateMachine",
            "application/x-amz-json-1.0",
            &serde_json::json!({ "stateMachineArn": id }),
        )?,
        "AWS::ApiGateway::DomainName" => get(edge, "apigateway", &format!("/domainnames/{enc}"))?,
        // Its physical id is the certificate's ARN.
        "AWS::CertificateManager::Certificate" => json(
            edge,
            "acm",
            "CertificateManager.DescribeCertificate",
            "application/x-amz-json-1.1",
            &serde_json::json!({ "CertificateArn": id }),
        )?,
        "AWS::ApiGatewayV2::VpcLink" => get(edge, "apigateway", &format!("/v2/vpclinks/{enc}"))?,
        "AWS::ApiGatewayV2::Api" => get(edge, "apigateway", &format!("/v2/apis/{enc}"))?,
        "AWS::Cognito::UserPool" => json(
            edge,
            "cognito-idp",
            "AWSCognitoIdentityProviderService.DescribeUserPool",
            "application/x-amz-json-1.1",
            &serde_json::json!({ "UserPoolId": id }),
        )?,
        "AWS::ElasticLoadBalancingV2::LoadBalancer" => query(
            edge,
            "elasticloadbalancing",
            &format!(
                "Action=DescribeLoadBalancers&Version=2015-12-01&LoadBalancerArns.member.1={enc}"
            ),
        )?,
        "AWS::ElasticLoadBalancingV2::TargetGroup" => query(
            edge,
            "elasticloadbalancing",
            &format!(
                "Action=DescribeTargetGroups&Version=2015-12-01&TargetGroupArns.member.1={enc}"
            ),
        )?,
        "AWS::EC2::VPC" => query(
            edge,
            "ec2",
            &format!("Action=DescribeVpcs&Version=2016-11-15&VpcId.1={enc}"),
        )?,
        "AWS::EC2::Subnet" => query(
            edge,
            "ec2",
            &format!("Action=DescribeSubnets&Version=2016-11-15&SubnetId.1={enc}"),
        )?,
        "AWS::EC2::SecurityGroup" => query(
            edge,
            "ec2",
            &format!("Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1={enc}"),
        )?,
        "AWS::Logs::LogGroup" => {
            let (status, body) = json(
                edge,
                "logs",
                "Logs_20140328.DescribeLogGroups",
                "application/x-amz-json-1.1",
                &serde_json::json!({ "logGroupNamePrefix": id }),
            )?;
            let found = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["logGroups"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .any(|g| g["logGroupName"] == id);
            return match status {
                200 if found => Ok(Found::Exists),
                200 => Ok(Found::Gone),
                _ => bail!("DescribeLogGroups answered {status}: {body}"),
            };
        }
        _ => return Ok(Found::Unchecked),
    };
    match status {
        200..=299 => Ok(Found::Exists),
        400 | 404
            if body.contains("NotFound")
                || body.contains("NoSuch")
                || body.contains("does not exist")
                || body.contains("DoesNotExist") =>
        {
            Ok(Found::Gone)
        }
        _ => bail!(
            "the local cloud answered {status}: {}",
            body.chars().take(300).collect::<String>()
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::{
        io::{BufRead, BufReader, Read, Write},
        net::TcpListener,
    };

    use super::*;

    /// A local cloud stand-in answering each connection with the next canned `(status, body)`.
    fn serve(answers: Vec<(u16, &'static str)>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for (status, body) in answers {
                let (mut conn, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                reader.read_exact(&mut vec![0; length]).unwrap();
                write!(
                    conn,
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
            }
        });
        url
    }

    fn resource(rtype: &str, physical: &str) -> StackResource {
        StackResource {
            logical_id: "Res".into(),
            physical_id: physical.into(),
            resource_type: rtype.into(),
            status: "CREATE_COMPLETE".into(),
        }
    }

    #[test]
    fn resources_still_answered_for_are_reported_and_gone_ones_are_not() {
        let edge = serve(vec![
            (200, r#"{"Configuration":{}}"#),
            (
                404,
                r#"{"__type":"NotFoundException","message":"Invalid Rest API Id specified"}"#,
            ),
            (
                200,
                r#"{"logGroups":[{"logGroupName":"/aws/lambda/f-items"}]}"#,
            ),
        ]);
        let left = remaining(
            &edge,
            &[
                resource("AWS::Lambda::Function", "f"),
                resource("AWS::ApiGateway::RestApi", "abc"),
                resource("AWS::Logs::LogGroup", "/aws/lambda/f"),
                resource("AWS::Some::Unknown", "x"),
                resource("AWS::Lambda::Permission", ""),
            ],
        )
        .unwrap();
        // The log group answered is `/aws/lambda/f-items`, a different group with the same prefix.
        assert_eq!(left, vec!["Res (AWS::Lambda::Function) f".to_owned()]);
    }

    #[test]
    fn network_and_load_balancer_resources_are_checked() {
        let edge = serve(vec![
            (
                400,
                "<ErrorResponse><Error><Code>TargetGroupNotFound</Code></Error></ErrorResponse>",
            ),
            (200, "<DescribeLoadBalancersResponse/>"),
            (
                404,
                r#"{"__type":"NotFoundException","message":"Invalid VpcLink identifier specified l1"}"#,
            ),
            (
                400,
                "<Response><Errors><Error><Code>InvalidGroup.NotFound</Code></Error></Errors></Response>",
            ),
        ]);
        let left = remaining(
            &edge,
            &[
                resource("AWS::ElasticLoadBalancingV2::TargetGroup", "arn:tg"),
                resource("AWS::ElasticLoadBalancingV2::LoadBalancer", "arn:lb"),
                resource("AWS::ApiGatewayV2::VpcLink", "l1"),
                resource("AWS::EC2::SecurityGroup", "sg-1"),
            ],
        )
        .unwrap();
        assert_eq!(
            left,
            vec!["Res (AWS::ElasticLoadBalancingV2::LoadBalancer) arn:lb".to_owned()]
        );
    }

    #[test]
    fn buckets_are_checked() {
        let edge = serve(vec![
            (
                200,
                r#"<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#,
            ),
            (
                404,
                "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>",
            ),
        ]);
        let left = remaining(
            &edge,
            &[
                resource("AWS::S3::Bucket", "kept-bucket"),
                resource("AWS::S3::Bucket", "gone-bucket"),
            ],
        )
        .unwrap();
        assert_eq!(left, vec!["Res (AWS::S3::Bucket) kept-bucket".to_owned()]);
    }

    #[test]
    fn an_unexpected_answer_is_an_error_not_a_pass() {
        let edge = serve(vec![(500, "boom")]);
        let err = remaining(&edge, &[resource("AWS::DynamoDB::Table", "t")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("Res (AWS::DynamoDB::Table)"), "{err}");
    }
}
