# The Rust Lambda function that processes one item per invocation, its log group and its execution role.
#
# The role may write to the function's own log group and nothing else: the function calls no AWS API.

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
}

resource "aws_iam_role" "function" {
  name               = var.name_prefix
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

resource "aws_iam_role_policy" "function" {
  name   = "write-own-logs"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_lambda_function" "processor" {
  function_name    = var.name_prefix
  description      = "Processes one item of the Step Functions Map state; fails transiently or permanently on request"
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
