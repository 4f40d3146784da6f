# The Rust Lambda function behind the API, its log group and its execution role.
#
# The role may only write to the function's own log group: the function calls no other AWS API.

locals {
  function_name = "${var.name_prefix}-orders"
}

resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${local.function_name}"
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

data "aws_iam_policy_document" "lambda_logs" {
  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }
}

resource "aws_iam_role" "function" {
  name               = local.function_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

resource "aws_iam_role_policy" "function_logs" {
  name   = "write-own-logs"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.lambda_logs.json
}

resource "aws_lambda_function" "orders" {
  function_name    = local.function_name
  description      = "Rust function behind the single-page app's API (payload format 2.0)"
  role             = aws_iam_role.function.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.lambda_architecture]
  memory_size      = 128
  timeout          = 10
  filename         = var.lambda_zip
  source_code_hash = filebase64sha256(var.lambda_zip)

  # The log group and the permission to write to it exist before the first invocation.
  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function_logs]
}

# API Gateway may invoke the function for this API's routes only.
resource "aws_lambda_permission" "http_api" {
  statement_id  = "AllowHttpApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.orders.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.orders.execution_arn}/*"
}
