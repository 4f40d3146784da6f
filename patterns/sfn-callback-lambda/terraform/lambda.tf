# The Rust Lambda function that answers the task tokens, its log group and its execution role.
#
# The role may write to the function's own log group, consume the approvals queue (what the event source mapping
# does on its behalf) and answer task tokens.

resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${var.name_prefix}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "lambda_assume_role" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  statement {
    sid       = "ConsumeApprovals"
    effect    = "Allow"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.approvals.arn]
  }

  # SendTaskSuccess and SendTaskFailure support no resource-level permissions (the Service Authorization Reference
  # lists no resource type for them, so the statement must name "*"): the task token itself is what ties an answer
  # to one waiting task.
  statement {
    sid       = "AnswerTaskTokens"
    effect    = "Allow"
    actions   = ["states:SendTaskSuccess", "states:SendTaskFailure"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "function" {
  name               = var.name_prefix
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

resource "aws_iam_role_policy" "function" {
  name   = "approve-orders"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_lambda_function" "approver" {
  function_name    = var.name_prefix
  description      = "Approves or rejects the orders a Step Functions execution waits on (task tokens from SQS)"
  role             = aws_iam_role.function.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.lambda_architecture]
  memory_size      = 128
  timeout          = 3
  filename         = var.lambda_zip
  source_code_hash = filebase64sha256(var.lambda_zip)

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  # The log group and the permission to write to it exist before the first invocation.
  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}

resource "aws_lambda_event_source_mapping" "approvals" {
  event_source_arn        = aws_sqs_queue.approvals.arn
  function_name           = aws_lambda_function.approver.arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]

  # The role may read the queue before the mapping starts polling.
  depends_on = [aws_iam_role_policy.function]
}
