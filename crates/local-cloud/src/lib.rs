//! The local cloud: moto for the AWS APIs, plus our own data plane for what moto does not run.
//!
//! Layout: [`edge`] is the single port (AWS API calls forwarded to [`moto`], execute-api traffic to [`apigw`]);
//! [`lambda`] runs function code natively; [`apigw`] is API Gateway REST; [`elb`] is ALB/NLB traffic, reached
//! only through a VPC link; [`state`] is what the data plane knows beyond moto's APIs.

pub mod apigw;
pub mod aws;
pub mod config;
pub mod edge;
pub mod elb;
pub mod lambda;
pub mod loadgen;
pub mod moto;
pub mod state;

use std::sync::Arc;

/// Everything a request handler needs, shared by the edge's tasks.
pub struct Cloud {
    pub config: config::Config,
    pub aws: aws::Clients,
    pub lambda: lambda::LambdaService,
    pub state: state::State,
}

pub type SharedCloud = Arc<Cloud>;
