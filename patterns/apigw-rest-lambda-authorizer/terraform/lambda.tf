# The three Rust Lambda functions (two authorizers and the backend), each with its own log group and execution
# role. Each role may only write to its function's own log group: no function calls another AWS API.

locals {
  functions = {
    token-authorizer = {
      zip         = var.token_authorizer_zip
      description = "REST API Lambda TOKEN authorizer (Rust)"
    }
    request-authorizer = {
      zip         = var.request_authorizer_zip
      description = "REST API Lambda REQUEST authorizer (Rust)"
    }
    greeter = {
      zip         = var.greeter_zip
      description = "Rust backend behind the REST API's Lambda authorizers"
    }
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

data "aws_iam_policy_document" "lambda_logs" {
  for_each = local.functions

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }
}

resource "aws_iam_role" "function" {
  for_each           = local.functions
  name               = "${var.name_prefix}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
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
  description      = each.value.description
  role             = aws_iam_role.function[each.key].arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.lambda_architecture]
  memory_size      = 128
  timeout          = 10
  filename         = each.value.zip
  source_code_hash = filebase64sha256(each.value.zip)

  # The log group and the permission to write to it exist before the first invocation.
  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function_logs]
}

# API Gateway may invoke each authorizer as that authorizer of this API only (its own authorizer ARN)...
resource "aws_lambda_permission" "token_authorizer" {
  statement_id  = "AllowTokenAuthorizerInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function["token-authorizer"].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/authorizers/${aws_api_gateway_authorizer.token.id}"
}

resource "aws_lambda_permission" "request_authorizer" {
  statement_id  = "AllowRequestAuthorizerInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function["request-authorizer"].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/authorizers/${aws_api_gateway_authorizer.request.id}"
}

# ... and the backend for this API's GET methods (any stage).
resource "aws_lambda_permission" "greeter" {
  statement_id  = "AllowRestApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function["greeter"].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/GET/*"
}
