# The two Rust Lambda functions, each with its log group and an execution role that may only write to it.

locals {
  functions = {
    orders  = var.orders_zip
    catalog = var.catalog_zip
  }
}

resource "aws_cloudwatch_log_group" "function" {
  for_each          = local.functions
  name              = "/aws/lambda/${var.name_prefix}-${each.key}"
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

resource "aws_iam_role" "function" {
  for_each           = local.functions
  name               = "${var.name_prefix}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

data "aws_iam_policy_document" "lambda_logs" {
  for_each = local.functions

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }
}

resource "aws_iam_role_policy" "function_logs" {
  for_each = local.functions
  name     = "write-own-logs"
  role     = aws_iam_role.function[each.key].id
  policy   = data.aws_iam_policy_document.lambda_logs[each.key].json
}

resource "aws_lambda_function" "function" {
  for_each         = local.functions
  function_name    = "${var.name_prefix}-${each.key}"
  description      = "The ${each.key} function of the alb-lambda pattern: a Lambda target of an Application Load Balancer"
  role             = aws_iam_role.function[each.key].arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.lambda_architecture]
  memory_size      = var.lambda_memory_size
  timeout          = 10
  filename         = each.value
  source_code_hash = filebase64sha256(each.value)

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  # The log group and the permission to write to it exist before the first invocation.
  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function_logs]
}
