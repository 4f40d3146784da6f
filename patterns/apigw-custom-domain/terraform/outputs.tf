# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "domain_url" {
  description = "The custom domain; each service answers under its base path (/orders, /users)."
  value       = "https://${aws_api_gateway_domain_name.this.domain_name}"
}

output "orders_url" {
  description = "The orders service through the custom domain (GET /, GET /{id})."
  value       = "https://${aws_api_gateway_domain_name.this.domain_name}/${aws_api_gateway_base_path_mapping.service["orders"].base_path}"
}

output "users_url" {
  description = "The users service through the custom domain (GET /, GET /{id})."
  value       = "https://${aws_api_gateway_domain_name.this.domain_name}/${aws_api_gateway_base_path_mapping.service["users"].base_path}"
}

output "orders_api_url" {
  description = "The orders API's own invoke URL (execute-api), which the domain's /orders base path publishes."
  value       = aws_api_gateway_stage.service["orders"].invoke_url
}

output "regional_domain_name" {
  description = "API Gateway's regional endpoint the domain's alias record points at."
  value       = aws_api_gateway_domain_name.this.regional_domain_name
}
