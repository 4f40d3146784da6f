# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "api_url" {
  description = "Invoke URL of the API stage; append /hello, /items/{id} or /echo."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "alb_dns_name" {
  description = "DNS name of the internal ALB (resolves to private addresses only)."
  value       = aws_lb.alb.dns_name
}

output "nlb_dns_name" {
  description = "DNS name of the internal NLB that the VPC link targets."
  value       = aws_lb.nlb.dns_name
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.hello.function_name
}

output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "stage_name" {
  description = "Name of the API stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "api_base_url" {
  description = "The API's URL without a stage (a request to an undeployed stage is refused with 403)."
  value       = "https://${aws_api_gateway_rest_api.this.id}.execute-api.${var.region}.amazonaws.com"
}
