//! A function's asynchronous invocation settings, read from moto when an event needs them: its
//! `PutFunctionEventInvokeConfig` (retries, maximum event age, destinations) and its `DeadLetterConfig`.
//! Lambda's defaults when none is set: 2 retries, 6 hours.

use std::time::Duration;

use aws_sdk_lambda::error::DisplayErrorContext;

use super::FunctionRef;
use crate::SharedCloud;

/// AWS's default `MaximumRetryAttempts`.
pub const DEFAULT_RETRIES: u32 = 2;
/// AWS's default `MaximumEventAgeInSeconds` (6 hours).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(6 * 60 * 60);

/// The settings an event is retried and routed by.
#[derive(Debug, Clone, PartialEq)]
pub struct EventInvokeSettings {
    pub max_retries: u32,
    /// As AWS counts it (not scaled).
    pub max_age: Duration,
    pub on_success: Option<String>,
    pub on_failure: Option<String>,
}

impl Default for EventInvokeSettings {
    fn default() -> EventInvokeSettings {
        EventInvokeSettings {
            max_retries: DEFAULT_RETRIES,
            max_age: DEFAULT_MAX_AGE,
            on_success: None,
            on_failure: None,
        }
    }
}

/// `GetFunctionEventInvokeConfig` of `function`; the defaults when it has none (or moto cannot say, logged).
pub async fn event_invoke_settings(
    cloud: &SharedCloud,
    function: &FunctionRef,
) -> EventInvokeSettings {
    let out = cloud
        .aws
        .lambda
        .get_function_event_invoke_config()
        .function_name(&function.name)
        .set_qualifier(function.qualifier.clone())
        .send()
        .await;
    let out = match out {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            return EventInvokeSettings::default();
        }
        Err(e) => {
            tracing::warn!(
                function = %function.name,
                "reading the asynchronous invocation settings: {}; using Lambda's defaults",
                DisplayErrorContext(e)
            );
            return EventInvokeSettings::default();
        }
    };
    let destination = |on: Option<&str>| on.filter(|d| !d.is_empty()).map(str::to_owned);
    let config = out.destination_config();
    EventInvokeSettings {
        max_retries: out
            .maximum_retry_attempts()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(DEFAULT_RETRIES),
        max_age: out
            .maximum_event_age_in_seconds()
            .and_then(|n| u64::try_from(n).ok())
            .map_or(DEFAULT_MAX_AGE, Duration::from_secs),
        on_success: destination(
            config
                .and_then(|c| c.on_success())
                .and_then(|d| d.destination()),
        ),
        on_failure: destination(
            config
                .and_then(|c| c.on_failure())
                .and_then(|d| d.destination()),
        ),
    }
}

/// The function's dead-letter queue or topic (`DeadLetterConfig.TargetArn`), if it has one.
pub async fn dead_letter_target(cloud: &SharedCloud, function: &FunctionRef) -> Option<String> {
    let out = cloud
        .aws
        .lambda
        .get_function_configuration()
        .function_name(&function.name)
        .set_qualifier(function.qualifier.clone())
        .send()
        .await;
    match out {
        Ok(out) => out
            .dead_letter_config()
            .and_then(|d| d.target_arn())
            .filter(|arn| !arn.is_empty())
            .map(str::to_owned),
        Err(e) => {
            tracing::warn!(
                function = %function.name,
                "reading the dead-letter queue: {}",
                DisplayErrorContext(e)
            );
            None
        }
    }
}
