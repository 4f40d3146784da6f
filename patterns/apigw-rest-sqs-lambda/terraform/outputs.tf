# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "api_url" {
  description = "Invoke URL of the API stage; POST orders to /orders."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.writer.function_name
}

output "function_log_group" {
  description = "The function's log group."
  value       = aws_cloudwatch_log_group.function.name
}

output "table_name" {
  description = "The DynamoDB table holding the orders."
  value       = aws_dynamodb_table.orders.name
}

output "queue_url" {
  description = "The queue the API sends orders to."
  value       = aws_sqs_queue.orders.url
}

output "dead_letter_queue_url" {
  description = "Messages that failed max_receive_count times end up here."
  value       = aws_sqs_queue.dead_letter.url
}
