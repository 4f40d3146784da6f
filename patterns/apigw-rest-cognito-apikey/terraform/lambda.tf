# The key-issuing Rust Lambda function, its log group and its execution role.
#
# The role may write to the function's own log group, read API keys (to find the caller's), create API keys and
# add them to this usage plan: nothing else of API Gateway.

locals {
  function_name = "${var.name_prefix}-issuer"
  region        = data.aws_region.current.name
  partition     = data.aws_partition.current.partition
  account_id    = data.aws_caller_identity.current.account_id
}

data "aws_region" "current" {}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

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

data "aws_iam_policy_document" "issuer" {
  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  # GetApiKeys (the caller's key, by name) and CreateApiKey.
  statement {
    sid       = "FindAndCreateKeys"
    effect    = "Allow"
    actions   = ["apigateway:GET", "apigateway:POST"]
    resources = ["arn:${local.partition}:apigateway:${local.region}::/apikeys"]
  }

  # CreateUsagePlanKey, on this usage plan only.
  statement {
    sid       = "AddKeysToThePlan"
    effect    = "Allow"
    actions   = ["apigateway:POST"]
    resources = ["arn:${local.partition}:apigateway:${local.region}::/usageplans/${aws_api_gateway_usage_plan.metered.id}/keys"]
  }
}

resource "aws_iam_role" "function" {
  name               = local.function_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

resource "aws_iam_role_policy" "issuer" {
  name   = "issue-api-keys"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.issuer.json
}

resource "aws_lambda_function" "issuer" {
  function_name    = local.function_name
  description      = "Gives a signed-in Cognito user an API key in the usage plan"
  role             = aws_iam_role.function.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.lambda_architecture]
  memory_size      = 128
  timeout          = 10
  filename         = var.lambda_zip
  source_code_hash = filebase64sha256(var.lambda_zip)

  environment {
    variables = {
      USAGE_PLAN_ID   = aws_api_gateway_usage_plan.metered.id
      KEY_NAME_PREFIX = var.name_prefix
    }
  }

  # The log group and the permission to write to it exist before the first invocation.
  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.issuer]
}

# API Gateway may invoke the function for this API's POST /keys only (any stage).
resource "aws_lambda_permission" "api" {
  statement_id  = "AllowRestApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.issuer.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/POST/keys"
}
