//! Lambda entry point: starts logging and the recorder, then runs `{{module}}::handle` on each
//! {{event_label}}.

mod {{module}};
mod record;

{% if http -%}
use lambda_http::{Error, Request, service_fn, tracing};
{%- else -%}
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
    let handler = service_fn(move |request: Request| async move {
        Ok::<_, Error>(http::handle(recorder, &request).await)
    });
    lambda_http::run(handler).await
{%- else %}
    let handler = move |event: LambdaEvent<_>| {{module}}::handle(recorder, event.payload);
    lambda_runtime::run(service_fn(handler)).await
{%- endif %}
}
