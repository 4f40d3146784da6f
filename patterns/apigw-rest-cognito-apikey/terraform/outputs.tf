# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "api_url" {
  description = "Invoke URL of the API stage: POST /keys with a Cognito ID token, GET /metered with the key."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "user_pool_id" {
  description = "The Cognito user pool whose users may get a key."
  value       = aws_cognito_user_pool.users.id
}

output "user_pool_client_id" {
  description = "The app client users sign in through."
  value       = aws_cognito_user_pool_client.portal.id
}

output "usage_plan_id" {
  description = "The usage plan every issued key joins."
  value       = aws_api_gateway_usage_plan.metered.id
}

output "issuer_function" {
  description = "Name of the key-issuing function."
  value       = aws_lambda_function.issuer.function_name
}
