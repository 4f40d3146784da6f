# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.processor.function_name
}

output "function_log_group" {
  description = "The function's log group."
  value       = aws_cloudwatch_log_group.function.name
}

output "table_name" {
  description = "The DynamoDB table counting how often each order was processed."
  value       = aws_dynamodb_table.orders.name
}

output "queue_url" {
  description = "Send orders here, each a JSON object with a string id."
  value       = aws_sqs_queue.orders.url
}

output "dead_letter_queue_url" {
  description = "Messages that failed max_receive_count times end up here."
  value       = aws_sqs_queue.dead_letter.url
}
