# The queue that triggers the function, and its dead-letter queue.
#
# The event source mapping polls the queue and invokes the function with batches of up to 10 messages; the
# function reports the messages it could not process (ReportBatchItemFailures), so only those are retried.
# A message that failed 5 times moves to the dead-letter queue.

resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.name_prefix}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "queue" {
  name = "${var.name_prefix}-queue"
  # Six times the function's timeout, as AWS recommends for event source mappings.
  visibility_timeout_seconds = 60
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = 5
  })
}

# What the event source mapping needs to poll the queue on the function's behalf.
data "aws_iam_policy_document" "consume_queue" {
  statement {
    sid       = "ConsumeQueue"
    effect    = "Allow"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.queue.arn]
  }
}

resource "aws_iam_role_policy" "consume_queue" {
  name   = "consume-queue"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.consume_queue.json
}

resource "aws_lambda_event_source_mapping" "queue" {
  event_source_arn        = aws_sqs_queue.queue.arn
  function_name           = aws_lambda_function.handler.arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]

  # The role may read the queue before the mapping starts polling.
  depends_on = [aws_iam_role_policy.consume_queue]
}
