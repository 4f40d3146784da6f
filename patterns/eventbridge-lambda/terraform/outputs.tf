# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.processor.function_name
}

output "function_log_group" {
  description = "The function's log group."
  value       = aws_cloudwatch_log_group.function.name
}

output "event_bus_name" {
  description = "Put orders here: source shop.orders, detail-type Order placed."
  value       = aws_cloudwatch_event_bus.orders.name
}

output "table_name" {
  description = "The DynamoDB table of stored orders."
  value       = aws_dynamodb_table.orders.name
}

output "function_dead_letter_queue_url" {
  description = "Orders whose invocation failed three times (Lambda's retries) end up here."
  value       = aws_sqs_queue.function_dlq.url
}

output "target_dead_letter_queue_url" {
  description = "Orders EventBridge could not deliver to the function end up here."
  value       = aws_sqs_queue.target_dlq.url
}

output "heartbeat_rule_arn" {
  description = "The scheduled rule; the function logs its ARN at each heartbeat."
  value       = aws_cloudwatch_event_rule.heartbeat.arn
}
