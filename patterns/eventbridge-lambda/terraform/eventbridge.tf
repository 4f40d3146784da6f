# The custom event bus, the orders rule with content filtering and an input transformer, its target's retry
# policy and dead-letter queue, and the scheduled heartbeat rule.
#
# EventBridge invokes the function asynchronously: each rule needs a lambda:InvokeFunction permission for
# events.amazonaws.com and that rule's ARN, or nothing runs. The target DLQ receives the events EventBridge could
# not deliver (a missing permission, a deleted function), so its queue policy must let the rule send.

resource "aws_cloudwatch_event_bus" "orders" {
  name = var.name_prefix
}

resource "aws_cloudwatch_event_rule" "orders" {
  name           = "${var.name_prefix}-orders"
  description    = "Placed orders from the shop, with an ord- id, a positive total, not test orders"
  event_bus_name = aws_cloudwatch_event_bus.orders.name

  event_pattern = jsonencode({
    source        = ["shop.orders"]
    "detail-type" = ["Order placed"]
    detail = {
      orderId = [{ prefix = "ord-" }]
      total   = [{ numeric = [">", 0, "<=", 100000] }]
      channel = [{ "anything-but" = ["test"] }]
    }
  })
}

resource "aws_sqs_queue" "target_dlq" {
  name                      = "${var.name_prefix}-target-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "target_dlq" {
  statement {
    sid       = "UndeliveredOrders"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.target_dlq.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.orders.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "target_dlq" {
  queue_url = aws_sqs_queue.target_dlq.id
  policy    = data.aws_iam_policy_document.target_dlq.json
}

resource "aws_cloudwatch_event_target" "orders" {
  rule           = aws_cloudwatch_event_rule.orders.name
  event_bus_name = aws_cloudwatch_event_bus.orders.name
  target_id      = "processor"
  arn            = aws_lambda_function.processor.arn

  # Only what the function needs: the order's id and total, and when it was placed.
  input_transformer {
    input_paths = {
      orderId  = "$.detail.orderId"
      total    = "$.detail.total"
      placedAt = "$.time"
    }
    input_template = <<-EOT
      {"orderId": <orderId>, "total": <total>, "placedAt": <placedAt>}
    EOT
  }

  retry_policy {
    maximum_retry_attempts       = 10
    maximum_event_age_in_seconds = 3600
  }

  dead_letter_config {
    arn = aws_sqs_queue.target_dlq.arn
  }

  depends_on = [aws_sqs_queue_policy.target_dlq]
}

resource "aws_lambda_permission" "orders_rule" {
  statement_id  = "orders-rule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.processor.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.orders.arn
}

# Scheduled rules run on the default bus.
resource "aws_cloudwatch_event_rule" "heartbeat" {
  name                = "${var.name_prefix}-heartbeat"
  description         = "Invokes the function on a schedule"
  schedule_expression = var.heartbeat_schedule
}

resource "aws_cloudwatch_event_target" "heartbeat" {
  rule      = aws_cloudwatch_event_rule.heartbeat.name
  target_id = "processor"
  arn       = aws_lambda_function.processor.arn
}

resource "aws_lambda_permission" "heartbeat_rule" {
  statement_id  = "heartbeat-rule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.processor.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.heartbeat.arn
}
