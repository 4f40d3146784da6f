# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.publisher.function_name
}

output "function_log_group" {
  description = "The function's log group."
  value       = aws_cloudwatch_log_group.function.name
}

output "table_name" {
  description = "The orders table: put, update or delete items (string key `id`) to publish their changes."
  value       = aws_dynamodb_table.orders.name
}

output "event_bus_name" {
  description = "The bus the function puts the table's changes on."
  value       = aws_cloudwatch_event_bus.orders.name
}

output "queue_url" {
  description = "The queue the rule delivers OrderCreated and OrderUpdated events to."
  value       = aws_sqs_queue.changes.url
}
