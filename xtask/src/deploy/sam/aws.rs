//! The AWS SDK clients the SAM driver uses (CloudFormation, S3), on a current-thread runtime: pointed at the
//! local cloud's edge with test credentials in us-east-1, or at AWS with the environment's credentials and
//! Region (`AWS_PROFILE`, `AWS_REGION`, ... as the AWS CLI reads them).

use anyhow::{Context, Result, anyhow};
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata};

pub struct Aws {
    rt: tokio::runtime::Runtime,
    pub cfn: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
    pub region: String,
    /// The account id on AWS; `None` on the local cloud.
    pub account: Option<String>,
}

impl Aws {
    /// Clients for the local cloud at `endpoint`, or for AWS when `endpoint` is `None`.
    pub fn connect(endpoint: Option<&str>) -> Result<Aws> {
        let rt = crate::aws::sdk::runtime()?;
        let config = rt.block_on(crate::aws::sdk::config(endpoint));
        let account = match endpoint {
            Some(_) => None,
            None => {
                let sts = aws_sdk_sts::Client::new(&config);
                let identity = rt
                    .block_on(sts.get_caller_identity().send())
                    .map_err(|e| anyhow!("{}", DisplayErrorContext(&e)))
                    .context(
                        "asking AWS STS who the credentials belong to; fix: configure credentials (e.g. \
                         `aws configure` or AWS_PROFILE) or deploy to the local cloud (--target local)",
                    )?;
                Some(
                    identity
                        .account()
                        .context("STS GetCallerIdentity returned no account")?
                        .to_owned(),
                )
            }
        };
        let region = config.region().map(|r| r.to_string()).context(
            "no AWS Region is configured; fix: set AWS_REGION (or a region in your AWS profile)",
        )?;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(endpoint.is_some())
                .build(),
        );
        Ok(Aws {
            cfn: aws_sdk_cloudformation::Client::new(&config),
            s3,
            region,
            account,
            rt,
        })
    }

    /// Runs one SDK future to completion.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.rt.block_on(future)
    }
}

/// An SDK error as one readable line (service code and message included).
pub fn sdk_error<E>(err: aws_sdk_cloudformation::error::SdkError<E>) -> anyhow::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    anyhow!("{}", DisplayErrorContext(&err))
}

/// The service error's message, when the call reached the service (e.g. `Stack with id x does not exist`).
pub fn service_message<E, R>(err: &aws_sdk_cloudformation::error::SdkError<E, R>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    err.as_service_error().and_then(|e| e.message())
}
