# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "api_url" {
  description = "The API's URL ($default stage, no stage segment); append /hello/{name} or /messages."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "user_pool_id" {
  description = "The Cognito user pool whose ID tokens POST /messages accepts."
  value       = aws_cognito_user_pool.users.id
}

output "user_pool_client_id" {
  description = "The app client (the JWT audience) users sign in through."
  value       = aws_cognito_user_pool_client.web.id
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.messages.function_name
}
