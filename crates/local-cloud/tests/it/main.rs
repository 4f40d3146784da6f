//! The local cloud's integration tests, as one test binary (one link instead of one per file): a module per
//! feature, the set-up they share in [`support`]. Tests that need moto start their own through the launcher on
//! a free port (the daemon's tests start `local-cloud serve` on a free port too), each with its own state
//! directory, so they run in parallel with each other and beside a local cloud on the default port.
//!
//! Run one feature with `cargo test -p local-cloud-tests --test it <module>::`, e.g. `apigw_routing::`.

mod support;

// The Lambda runtime without moto: function pools of the real `fidelity-fn`.
mod lambda_runtime;
mod lambda_runtime_errors;

// The Lambda runtime against a real moto.
mod lambda_moto;

// Event source mappings run by our Lambda service against a real moto.
mod dynamodb_streams;
mod sqs_event_filter;
mod sqs_event_source;

// API Gateway and the load balancers, configured through AWS APIs on a real moto.
mod apigw_api_keys;
mod apigw_authorizer;
mod apigw_aws_integration;
mod apigw_cognito_authorizer;
mod apigw_custom_domain;
mod apigw_resource_policy;
mod apigw_routing;
mod apigwv2_http_api;
mod elb_public;
mod vpc_link_chain;

// CloudFront distributions in front of S3 and API Gateway, deployed through CloudFormation on the daemon.
mod cloudfront;
mod cloudfront_failover;

// Lambda function URLs (and CloudFront in front of one), on the daemon.
mod lambda_function_urls;

// What the launcher adds to moto's CloudFormation.
mod cloudformation_event_sources;
mod cloudformation_network;
mod cloudformation_private_alb;
mod cloudformation_rest_api;
mod cloudformation_sam;

// The `local-cloud serve` daemon, driven with the AWS CLI.
mod daemon_lifecycle;
mod edge_forwarding;
mod edge_invocations;
mod eventbridge_targets;
mod lambda_async;
mod sns_delivery;
mod stepfunctions;
