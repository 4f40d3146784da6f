# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.handler.function_name
}

output "function_log_group" {
  description = "The function's log group."
  value       = aws_cloudwatch_log_group.function.name
}
{%- if dynamodb %}

output "table_name" {
  description = "The DynamoDB table the function records items in."
  value       = aws_dynamodb_table.items.name
}
{%- endif %}
{%- if trigger == "rest-api" %}

output "api_url" {
  description = "Invoke URL of the API stage; POST items to api_url/items."
  value       = aws_api_gateway_stage.this.invoke_url
}
{%- endif %}
{%- if trigger == "alb" %}

output "alb_dns_name" {
  description = "DNS name of the internet-facing ALB; POST items to http://<alb_dns_name>/items."
  value       = aws_lb.this.dns_name
}
{%- endif %}
{%- if trigger == "eventbridge" %}

output "event_bus_name" {
  description = "Put events with source {{project-name}} and detail-type ItemCreated on this bus."
  value       = aws_cloudwatch_event_bus.this.name
}
{%- endif %}
{%- if trigger == "s3" %}

output "bucket_name" {
  description = "Upload objects under incoming/ ending in .json to this bucket."
  value       = aws_s3_bucket.this.id
}
{%- endif %}
{%- if trigger == "sqs" %}

output "queue_url" {
  description = "Send messages here, each a JSON object with a string id."
  value       = aws_sqs_queue.queue.url
}

output "dead_letter_queue_url" {
  description = "Messages that failed five times end up here."
  value       = aws_sqs_queue.dead_letter.url
}
{%- endif %}
