//! The local cloud: moto for the AWS APIs, plus our own data plane for what moto does not run.
//!
//! Layout: [`edge`] is the single port: it asks each [`service`] in turn ([`edge::SERVICES`]) and forwards
//! what none serves to [`moto`]. One module per service: [`apigw`] (API Gateway REST), [`apigwv2`] (HTTP APIs), [`cloudfront`] (distributions at `{id}.cloudfront.localhost`), [`elb`] (ALB/NLB,
//! reached through a VPC link or, internet-facing ones, from the host), [`lambda`] (function code run
//! natively, the Invoke API). [`shared`] holds the tools they share; [`contract`] is what `cargo xtask` and
//! the daemon agree on.

pub mod apigw;
pub mod apigwv2;
pub mod aws;
pub mod cloudfront;
pub mod config;
pub mod contract;
pub mod daemon;
pub mod edge;
pub mod elb;
pub mod lambda;
pub mod loadgen;
pub mod moto;
pub mod service;
pub mod shared;

use std::sync::Arc;

/// Everything a request handler needs, shared by the edge's tasks: configuration, SDK clients to moto and
/// each service's state.
pub struct Cloud {
    pub config: config::Config,
    pub aws: aws::Clients,
    pub lambda: lambda::LambdaService,
    /// The pollers of the Lambda event source mappings.
    pub event_sources: lambda::event_sources::EventSources,
    pub apigw: apigw::load::Snapshots,
    pub apigwv2: apigwv2::load::Snapshots,
    pub elb: elb::load::Snapshots,
    /// CloudFront distributions: the model per generation and the edge cache.
    pub cloudfront: cloudfront::State,
    /// Lambda function URLs: their configurations per generation.
    pub lambda_urls: lambda::urls::State,
}

impl Cloud {
    /// A cloud with empty snapshots (each service reads moto on first use).
    pub fn new(config: config::Config, aws: aws::Clients, lambda: lambda::LambdaService) -> Cloud {
        Cloud {
            config,
            aws,
            lambda,
            event_sources: Default::default(),
            apigw: Default::default(),
            apigwv2: Default::default(),
            elb: Default::default(),
            cloudfront: Default::default(),
            lambda_urls: Default::default(),
        }
    }

    /// The sum of the services' generations of deployed state (for `/_local/status`).
    pub fn generation(&self) -> u64 {
        self.apigw.generation.get()
            + self.apigwv2.generation.get()
            + self.elb.generation.get()
            + self.cloudfront.generation.get()
            + self.lambda_urls.generation.get()
            + self.lambda.policies.generation.get()
    }
}

pub type SharedCloud = Arc<Cloud>;
