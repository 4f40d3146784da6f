# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "state_machine_arn" {
  description = "Start executions here with an order, e.g. {\"id\": \"order-1\", \"quantity\": 2}."
  value       = aws_sfn_state_machine.approval.arn
}

output "approvals_queue_url" {
  description = "The queue carrying each waiting order with its task token."
  value       = aws_sqs_queue.approvals.url
}

output "function_name" {
  description = "Name of the Lambda function that answers the task tokens."
  value       = aws_lambda_function.approver.function_name
}

output "function_log_group" {
  description = "The function's log group."
  value       = aws_cloudwatch_log_group.function.name
}
