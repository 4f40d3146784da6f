//! Lambda entry point: sets up logging and the recorder, then hands each {{event_label}} to `{{module}}::handle`.

mod {{module}};
mod record;

{% if http -%}
use lambda_http::{Error, Request, service_fn, tracing};
{%- else -%}
use aws_lambda_events::{{trigger}}::{{event_type}};
use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};
{%- endif %}

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
{%- if dynamodb %}
    let recorder = record::Table::from_env().await?;
{%- else %}
    let recorder = record::Log;
{%- endif %}
    let recorder = &recorder;
{%- if http %}
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(http::handle(recorder, &request).await)
    }))
    .await
{%- else %}
    lambda_runtime::run(service_fn(move |event: LambdaEvent<{{event_type}}>| async move {
        {{module}}::handle(recorder, event.payload).await
    }))
    .await
{%- endif %}
}
