//! AWS SDK clients pointed at moto, used to read deployed state.

/// SDK clients for the services the data plane reads.
#[derive(Clone)]
pub struct Clients {
    pub lambda: aws_sdk_lambda::Client,
    pub apigateway: aws_sdk_apigateway::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Clients {
    /// Clients for `endpoint` (moto's own URL, not the edge) with test credentials.
    pub async fn new(endpoint: &str, region: &str) -> Clients {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_config::Region::new(region.to_owned()))
            .credentials_provider(aws_sdk_lambda::config::Credentials::new(
                "test",
                "test",
                None,
                None,
                "local-cloud",
            ))
            .load()
            .await;
        Clients {
            lambda: aws_sdk_lambda::Client::new(&conf),
            apigateway: aws_sdk_apigateway::Client::new(&conf),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&conf),
            logs: aws_sdk_cloudwatchlogs::Client::new(&conf),
            sqs: aws_sdk_sqs::Client::new(&conf),
        }
    }
}
