# What a client (and `cargo xtask verify`) needs to use the deployed pattern.

output "bucket_name" {
  description = "Upload objects here, under key_prefix, to have their metadata recorded."
  value       = aws_s3_bucket.uploads.id
}

output "key_prefix" {
  description = "Only objects created under this prefix are recorded."
  value       = var.key_prefix
}

output "table_name" {
  description = "The metadata table: one item per object, partition key `key`."
  value       = aws_dynamodb_table.objects.name
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.metadata.function_name
}
