# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "site_url" {
  description = "The distribution's URL: the API with failover."
  value       = "https://${aws_cloudfront_distribution.api.domain_name}"
}

output "distribution_id" {
  description = "The CloudFront distribution."
  value       = aws_cloudfront_distribution.api.id
}

output "primary_api_url" {
  description = "The primary origin's own API (PUT /maintenance sets its switch)."
  value       = aws_apigatewayv2_api.origin["primary"].api_endpoint
}

output "secondary_api_url" {
  description = "The secondary origin's own API."
  value       = aws_apigatewayv2_api.origin["secondary"].api_endpoint
}

output "switch_table" {
  description = "The DynamoDB table holding the primary's maintenance switch."
  value       = aws_dynamodb_table.switch.name
}
