# The event bus the function publishes to, the rule that matches the table's changes, and the queue it delivers
# them to.
#
# The function may only put events on this bus; the queue only accepts messages EventBridge sends for this rule.

resource "aws_cloudwatch_event_bus" "orders" {
  name = var.name_prefix
}

data "aws_iam_policy_document" "put_events" {
  statement {
    sid       = "PutEventsOnOwnBus"
    effect    = "Allow"
    actions   = ["events:PutEvents"]
    resources = [aws_cloudwatch_event_bus.orders.arn]
  }
}

resource "aws_iam_role_policy" "put_events" {
  name   = "put-events"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.put_events.json
}

resource "aws_cloudwatch_event_rule" "changes" {
  name           = "${var.name_prefix}-changes"
  description    = "Orders created or updated in the orders table"
  event_bus_name = aws_cloudwatch_event_bus.orders.name

  event_pattern = jsonencode({
    source        = ["orders.table"]
    "detail-type" = ["OrderCreated", "OrderUpdated"]
  })
}

resource "aws_sqs_queue" "changes" {
  name                      = "${var.name_prefix}-changes"
  message_retention_seconds = 345600
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "changes_queue" {
  statement {
    sid       = "ChangesFromTheRule"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.changes.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.changes.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "changes" {
  queue_url = aws_sqs_queue.changes.id
  policy    = data.aws_iam_policy_document.changes_queue.json
}

resource "aws_cloudwatch_event_target" "changes" {
  rule           = aws_cloudwatch_event_rule.changes.name
  event_bus_name = aws_cloudwatch_event_bus.orders.name
  target_id      = "changes-queue"
  arn            = aws_sqs_queue.changes.arn

  # The queue accepts the rule's messages before the first one is sent.
  depends_on = [aws_sqs_queue_policy.changes]
}
