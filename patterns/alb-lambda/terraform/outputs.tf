# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "alb_dns_name" {
  description = "DNS name of the internet-facing ALB: http://<alb_dns_name>/orders, /canary, or any path with Host catalog.<anything>."
  value       = aws_lb.this.dns_name
}

output "orders_log_group" {
  description = "The orders function's log group."
  value       = aws_cloudwatch_log_group.function["orders"].name
}

output "catalog_log_group" {
  description = "The catalog function's log group."
  value       = aws_cloudwatch_log_group.function["catalog"].name
}
