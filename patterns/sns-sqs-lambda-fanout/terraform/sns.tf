# The topic and its three subscriptions, one per branch of the fan-out. Each queue's policy lets this topic, and
# nothing else, send to it: SNS delivers to a queue only where its policy allows.

resource "aws_sns_topic" "events" {
  name = "${var.name_prefix}-events"
}

locals {
  # Every branch's queue, by name: the same subscription and policy for each.
  branches = {
    processing = aws_sqs_queue.processing
    backup     = aws_sqs_queue.backup
    replay     = aws_sqs_queue.replay
  }
}

data "aws_iam_policy_document" "topic_may_send" {
  for_each = local.branches

  statement {
    sid       = "TopicMaySend"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [each.value.arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.events.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "topic_may_send" {
  for_each = local.branches

  queue_url = each.value.id
  policy    = data.aws_iam_policy_document.topic_may_send[each.key].json
}

# (a) Processing: only the event types of var.processed_types, matched on the message body.
resource "aws_sns_topic_subscription" "processing" {
  topic_arn           = aws_sns_topic.events.arn
  protocol            = "sqs"
  endpoint            = aws_sqs_queue.processing.arn
  filter_policy_scope = "MessageBody"
  filter_policy       = jsonencode({ type = var.processed_types })

  depends_on = [aws_sqs_queue_policy.topic_may_send]
}

# (b) Backup and (c) replay: every event.
resource "aws_sns_topic_subscription" "backup" {
  topic_arn = aws_sns_topic.events.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.backup.arn

  depends_on = [aws_sqs_queue_policy.topic_may_send]
}

resource "aws_sns_topic_subscription" "replay" {
  topic_arn = aws_sns_topic.events.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.replay.arn

  depends_on = [aws_sqs_queue_policy.topic_may_send]
}
