# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "site_url" {
  description = "The distribution's URL: the only way in."
  value       = "https://${aws_cloudfront_distribution.hello.domain_name}"
}

output "distribution_id" {
  description = "The CloudFront distribution."
  value       = aws_cloudfront_distribution.hello.id
}

output "function_url" {
  description = "The function's own URL, which refuses a request that CloudFront did not sign."
  value       = aws_lambda_function_url.hello.function_url
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.hello.function_name
}
