# The queue the API sends orders to (api.tf), its dead-letter queue, and the event source mapping that triggers
# the function.
#
# The mapping polls the queue and invokes the function with batches of up to 10 messages; the function reports
# the messages it could not process (ReportBatchItemFailures), so only those become visible again, after the
# visibility timeout. A message received `max_receive_count` times moves to the dead-letter queue.

resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.name_prefix}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "orders" {
  name = "${var.name_prefix}-orders"
  # Short, so a failed message is retried within seconds; Lambda requires at least the function's timeout (3 s).
  # For slower work, AWS recommends six times the function's timeout.
  visibility_timeout_seconds = 4
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = var.max_receive_count
  })
}

# What the event source mapping needs to poll the queue on the function's behalf.
data "aws_iam_policy_document" "consume_queue" {
  statement {
    sid       = "ConsumeQueue"
    effect    = "Allow"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.orders.arn]
  }
}

resource "aws_iam_role_policy" "consume_queue" {
  name   = "consume-queue"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.consume_queue.json
}

resource "aws_lambda_event_source_mapping" "orders" {
  event_source_arn        = aws_sqs_queue.orders.arn
  function_name           = aws_lambda_function.writer.arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]

  # The role may read the queue before the mapping starts polling.
  depends_on = [aws_iam_role_policy.consume_queue]
}
