# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "state_machine_arn" {
  description = "Start executions here with items, e.g. {\"items\": [{\"id\": \"a\", \"quantity\": 1}, {\"id\": \"b\", \"quantity\": 2, \"failFirst\": 1}]}."
  value       = aws_sfn_state_machine.process.arn
}

output "function_name" {
  description = "Name of the Lambda function that processes each item."
  value       = aws_lambda_function.processor.function_name
}

output "function_log_group" {
  description = "The function's log group."
  value       = aws_cloudwatch_log_group.function.name
}
