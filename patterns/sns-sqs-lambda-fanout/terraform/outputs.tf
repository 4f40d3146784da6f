# What a client (and `cargo xtask verify`) needs to reach the deployed pattern.

output "topic_arn" {
  description = "Publish events here: JSON objects with a string `id` and `type`."
  value       = aws_sns_topic.events.arn
}

output "table_name" {
  description = "The processed events, by id, with their delivery count."
  value       = aws_dynamodb_table.events.name
}

output "backup_bucket" {
  description = "Every event, as published, at events/<id>.json."
  value       = aws_s3_bucket.backup.id
}

output "replay_function_name" {
  description = "Invoke to move the events of the replay queue to the processing queue."
  value       = aws_lambda_function.function["replay"].function_name
}

output "processing_queue_url" {
  description = "The processing branch's queue (events whose type passes the filter policy)."
  value       = aws_sqs_queue.processing.url
}

output "replay_queue_url" {
  description = "The replay branch's queue, which retains every event for 14 days."
  value       = aws_sqs_queue.replay.url
}

output "processor_log_group" {
  description = "The processing function's log group."
  value       = aws_cloudwatch_log_group.function["processor"].name
}
