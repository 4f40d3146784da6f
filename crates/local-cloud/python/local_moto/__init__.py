"""local_moto: moto 5.2.1 started the way the local cloud needs it (`python -m local_moto`).

Run by the `local-cloud` daemon (crates/local-cloud/src/moto.rs), which writes this package to
`<state_dir>/launcher/local_moto/` and starts it with `PYTHONPATH=<state_dir>/launcher`; not meant to be run by
hand, though it can be (`PYTHONPATH=crates/local-cloud/python python3 -m local_moto --port 0 --edge-url URL`).

`launcher` only wires: it checks moto's version, reads the arguments, applies each service module's additions in
order (`launcher.SERVICES`), and serves moto behind our `/_local/...` routes. Each service module holds what we
add to that service of moto, CloudFormation support of its resource types included, and exposes one
`patch(ctx)`:

  * `core`: moto's tracking of every model instance holds them weakly, so what is deleted is freed.
  * `stepfunctions`: executions really run, so their Lambda tasks reach the edge.
  * `awslambda`: every synchronous invocation moto makes (SQS and DynamoDB event source mappings, Step Functions)
    is POSTed to the edge at `{edge}/_local/lambda/invoke/<function-arn>` (our native Lambda runtime) instead of
    Docker; log subscription filters invoke asynchronously; functions keep `LoggingConfig` and
    `DeadLetterConfig`; PutFunctionEventInvokeConfig replaces and UpdateFunctionEventInvokeConfig merges, as on
    AWS; CloudFormation functions, permissions and `AWS::Lambda::EventInvokeConfig`; a deleted function drops its
    code at once.
  * `lambda_urls`: function URL configurations as AWS answers them, CloudFormation `AWS::Lambda::Url`, and the
    `FunctionUrlAuthType` / `InvokedViaFunctionUrl` conditions of permissions (the edge serves the URLs).
  * `s3`: notifications invoke Lambda asynchronously (`{edge}/_local/lambda/async/<function-arn>`, naming the
    bucket) with records as AWS sends them; buckets' notifications, public access block and ownership controls in
    CloudFormation; bucket policy statements apply only where their `Bool` / `StringEquals` conditions hold
    (`aws:SecureTransport` is true: the edge stands in for S3's HTTPS endpoint).
  * `events`: EventBridge rules get Lambda targets, invoked asynchronously; Lambda and SQS targets are delivered as
    AWS delivers them (an SQS target only where its queue policy allows the rule, `InputPath`, the target's
    `RetryPolicy` and `DeadLetterConfig` with AWS's message attributes); input transformers fill templates as AWS
    does; TestEventPattern answers; malformed patterns are refused at PutRule naming the field
    (`events_patterns`); scheduled rules fire on AWS's timing, with a documented speed-up for tests
    (`events_schedule`); `Ref` of an event bus is its name.
  * `sns`: Lambda subscriptions get AWS's notification event, invoked asynchronously.
  * `sqs`: a queue never invokes Lambda itself (our Lambda service polls it, as AWS's pollers do); a mapping whose
    function may outlast the queue's visibility timeout is refused; CloudFormation `AWS::SQS::QueuePolicy`, and
    queue policies read for service principals (EventBridge targets).
  * `logs`: each log stream keeps its newest 10,000 events.
  * `iam`: a role's inline policies from CloudFormation read back as JSON documents, as IAM answers them.
  * `elbv2`: a load balancer created without `Scheme` is internet-facing; CloudFormation load balancers, target
    groups, listeners and rules.
  * `route53`: every account owns the public hosted zone `example.com.` (fixed id `Z0LOCALEXAMPLECOM`), as a real
    account owns its domain's zone.
  * `acm`: a certificate with DNS validation is issued once its validation records are in a hosted zone;
    CloudFormation certificates, writing those records into the zones their `DomainValidationOptions` name.
  * `apigateway`: integrations keep `connectionId`, `integrationTarget` and `cacheKeyParameters`, and
    UpdateIntegration works; authorizers keep `identityValidationExpression`; CloudFormation RestApi (OpenAPI
    `Body`, its authorizers included), Deployment, Stage and Method; custom domain names and base path mappings, in
    CloudFormation too (`apigateway_domains`); API keys, usage plans and usage plan keys (`apigateway_usage`,
    CloudFormation too).
  * `apigatewayv2`: AWS::ApiGatewayV2::VpcLink, Api (HTTP, from properties or an OpenAPI body) and Stage; the
    OpenAPI import of HTTP APIs (ANY and $default routes, JWT authorizers).
  * `cognitoidp`: CloudFormation user pools and app clients.
  * `ec2`: security groups' egress rules and deletable internet routing in CloudFormation.
  * `cloudfront`: origins keep `OriginAccessControlId`, distributions AWS's ARN, behaviours may target origin
    groups; response headers policies, the managed cache and origin request policies; CloudFormation distributions,
    origin access controls, response headers policies and `AWS::S3::BucketPolicy`; `/_local/cloudfront/...` routes
    for the data plane.
  * `ssm`: `Fn::GetAtt` of a parameter's `Value` and `Type` (the CDK bootstrap stack's `BootstrapVersion` output).
  * `cloudformation_change_sets`: executing a change set is the stack's creation or update, as on AWS (events,
    outputs, exports, a failed resource named), and is allowed once.
  * `cloudformation_transforms`: the SAM transform (`Transform: AWS::Serverless-2016-10-31`) runs server-side in
    CreateStack, UpdateStack and CreateChangeSet (aws-sam-translator); GetTemplate answers `TemplateStage`.
  * `cloudformation`: stacks fail like AWS's (a `*_FAILED` event naming the resource), `Fn::Cidr`, a
    `TemplateURL` on the local S3 endpoint read, and moto's model map rebuilt with the models the modules above
    define.
"""
