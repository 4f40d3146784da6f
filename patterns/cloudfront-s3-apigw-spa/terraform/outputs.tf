# What a browser (and `cargo xtask verify`) needs to reach the deployed pattern.

output "site_url" {
  description = "The app's URL: the distribution's domain. The API is under /api/ on the same domain."
  value       = "https://${aws_cloudfront_distribution.site.domain_name}"
}

output "distribution_id" {
  description = "The CloudFront distribution (for invalidations after an upload)."
  value       = aws_cloudfront_distribution.site.id
}

output "bucket_name" {
  description = "The private bucket holding the app's files."
  value       = aws_s3_bucket.site.bucket
}

output "bucket_url" {
  description = "The bucket's own URL, which refuses a direct request: only CloudFront may read it."
  value       = "https://${aws_s3_bucket.site.bucket_regional_domain_name}"
}

output "api_url" {
  description = "The HTTP API's own URL ($default stage); browsers use /api/ on the distribution instead."
  value       = aws_apigatewayv2_api.orders.api_endpoint
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.orders.function_name
}
