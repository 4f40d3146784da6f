# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "api_url" {
  description = "Invoke URL of the API stage; append /token (Authorization header) or /tenant (X-Tenant header)."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "token_authorizer_function" {
  description = "Name of the TOKEN authorizer function."
  value       = aws_lambda_function.function["token-authorizer"].function_name
}

output "request_authorizer_function" {
  description = "Name of the REQUEST authorizer function."
  value       = aws_lambda_function.function["request-authorizer"].function_name
}

output "greeter_function" {
  description = "Name of the backend function."
  value       = aws_lambda_function.function["greeter"].function_name
}
