# The two origins' functions: the same Rust code, told its role by ORIGIN_ROLE. Each has its own log group and
# execution role; only the primary's role may read and write the maintenance switch (one DynamoDB item).

locals {
  origins = toset(["primary", "secondary"])
}

resource "aws_dynamodb_table" "switch" {
  name         = "${var.name_prefix}-switch"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }
}

resource "aws_cloudwatch_log_group" "function" {
  for_each          = local.origins
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
  for_each           = local.origins
  name               = "${var.name_prefix}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

data "aws_iam_policy_document" "lambda_logs" {
  for_each = local.origins

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }
}

resource "aws_iam_role_policy" "function_logs" {
  for_each = local.origins
  name     = "write-own-logs"
  role     = aws_iam_role.function[each.key].id
  policy   = data.aws_iam_policy_document.lambda_logs[each.key].json
}

data "aws_iam_policy_document" "switch" {
  statement {
    sid       = "ReadAndSetTheSwitch"
    effect    = "Allow"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
    resources = [aws_dynamodb_table.switch.arn]
  }
}

resource "aws_iam_role_policy" "primary_switch" {
  name   = "maintenance-switch"
  role   = aws_iam_role.function["primary"].id
  policy = data.aws_iam_policy_document.switch.json
}

resource "aws_lambda_function" "origin" {
  for_each         = local.origins
  function_name    = "${var.name_prefix}-${each.key}"
  description      = "Rust function behind the ${each.key} origin's HTTP API"
  role             = aws_iam_role.function[each.key].arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.lambda_architecture]
  memory_size      = 128
  timeout          = 10
  filename         = var.lambda_zip
  source_code_hash = filebase64sha256(var.lambda_zip)

  environment {
    variables = merge(
      { ORIGIN_ROLE = each.key },
      each.key == "primary" ? { SWITCH_TABLE = aws_dynamodb_table.switch.name } : {}
    )
  }

  # The log group and the permissions exist before the first invocation.
  depends_on = [
    aws_cloudwatch_log_group.function,
    aws_iam_role_policy.function_logs,
    aws_iam_role_policy.primary_switch,
  ]
}

# Each API may invoke its own function only.
resource "aws_lambda_permission" "http_api" {
  for_each      = local.origins
  statement_id  = "AllowHttpApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.origin[each.key].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.origin[each.key].execution_arn}/*"
}
