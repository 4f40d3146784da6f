# The orders table, its stream (new and old images of every change) and the event source mapping that invokes
# the function with batches of its records.
#
# It starts at the stream's oldest record (TRIM_HORIZON), so no change made right after the deployment is
# missed. The function may only read this table's stream; the mapping reports failed records
# (ReportBatchItemFailures): Lambda retries the shard from the first record the function could not publish.

resource "aws_dynamodb_table" "orders" {
  name             = "${var.name_prefix}-orders"
  billing_mode     = "PAY_PER_REQUEST"
  hash_key         = "id"
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "id"
    type = "S"
  }
}

# What the event source mapping needs to read the stream on the function's behalf.
data "aws_iam_policy_document" "read_stream" {
  statement {
    sid    = "ReadOwnStream"
    effect = "Allow"
    actions = [
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
      "dynamodb:ListStreams",
    ]
    resources = [aws_dynamodb_table.orders.stream_arn]
  }
}

resource "aws_iam_role_policy" "read_stream" {
  name   = "read-stream"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.read_stream.json
}

resource "aws_lambda_event_source_mapping" "orders" {
  event_source_arn  = aws_dynamodb_table.orders.stream_arn
  function_name     = aws_lambda_function.publisher.arn
  starting_position = "TRIM_HORIZON"
  batch_size        = 100
  # A record that keeps failing is retried at most 10 times, so it cannot block its shard for a day.
  maximum_retry_attempts  = 10
  function_response_types = ["ReportBatchItemFailures"]

  # The role may read the stream before the mapping starts polling.
  depends_on = [aws_iam_role_policy.read_stream]
}
