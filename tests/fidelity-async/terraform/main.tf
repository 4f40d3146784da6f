# Asynchronous invocation variants, deployed together to share one apply:
# - fidelity-async-dlq     fails every time; no event invoke config (2 retries), a dead-letter queue
#                          => invoked 3 times, then the event in the DLQ with RequestID/ErrorCode/ErrorMessage
# - fidelity-async-once    fails every time; MaximumRetryAttempts = 0, an on-failure destination (SQS)
#                          => invoked once, then AWS's invocation record in the destination queue
# - fidelity-async-allowed subscribed to the topic, with the sns.amazonaws.com permission => invoked
# - fidelity-async-denied  subscribed to the topic, without it => never invoked
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "lambda_zip" {
  type = string
}

locals {
  modes = {
    dlq     = "error"
    once    = "error"
    allowed = "echo"
    denied  = "echo"
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "fn" {
  name               = "fidelity-async-fn"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

# Lambda sends to a dead-letter queue and to destinations with the function's role.
data "aws_iam_policy_document" "send" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn, aws_sqs_queue.failures.arn]
  }
}

resource "aws_iam_role_policy" "send" {
  role   = aws_iam_role.fn.id
  policy = data.aws_iam_policy_document.send.json
}

resource "aws_sqs_queue" "dlq" {
  name = "fidelity-async-dlq"
}

resource "aws_sqs_queue" "failures" {
  name = "fidelity-async-failures"
}

resource "aws_cloudwatch_log_group" "fn" {
  for_each          = local.modes
  name              = "/aws/lambda/fidelity-async-${each.key}"
  retention_in_days = 1
}

resource "aws_lambda_function" "fn" {
  for_each         = local.modes
  function_name    = "fidelity-async-${each.key}"
  role             = aws_iam_role.fn.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  timeout          = 3
  filename         = var.lambda_zip
  source_code_hash = filebase64sha256(var.lambda_zip)
  environment {
    variables = { FIDELITY_MODE = each.value }
  }
  dynamic "dead_letter_config" {
    for_each = each.key == "dlq" ? [aws_sqs_queue.dlq.arn] : []
    content {
      target_arn = dead_letter_config.value
    }
  }
  depends_on = [aws_cloudwatch_log_group.fn, aws_iam_role_policy.send]
}

resource "aws_lambda_function_event_invoke_config" "once" {
  function_name          = aws_lambda_function.fn["once"].function_name
  maximum_retry_attempts = 0
  destination_config {
    on_failure {
      destination = aws_sqs_queue.failures.arn
    }
  }
}

resource "aws_sns_topic" "events" {
  name = "fidelity-async-topic"
}

resource "aws_sns_topic_subscription" "fn" {
  for_each  = toset(["allowed", "denied"])
  topic_arn = aws_sns_topic.events.arn
  protocol  = "lambda"
  endpoint  = aws_lambda_function.fn[each.key].arn
}

resource "aws_lambda_permission" "sns" {
  statement_id  = "AllowInvokeFromTopic"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn["allowed"].function_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.events.arn
}

output "dlq_url" {
  value = aws_sqs_queue.dlq.url
}

output "failures_url" {
  value = aws_sqs_queue.failures.url
}

output "topic_arn" {
  value = aws_sns_topic.events.arn
}
