# The two services, one team each: a Rust Lambda function behind a REST API of its own (GET / and GET /{id},
# Lambda proxy integration). Each API knows nothing of the custom domain; domain.tf publishes its stage under a
# base path. Each function's role may only write to its own log group: no function calls another AWS API.

locals {
  services = {
    orders = {
      zip         = var.orders_zip
      description = "Orders service behind its own REST API (Rust)"
    }
    users = {
      zip         = var.users_zip
      description = "Users service behind its own REST API (Rust)"
    }
  }
}

resource "aws_cloudwatch_log_group" "function" {
  for_each          = local.services
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
  for_each = local.services

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }
}

resource "aws_iam_role" "function" {
  for_each           = local.services
  name               = "${var.name_prefix}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

resource "aws_iam_role_policy" "function_logs" {
  for_each = local.services
  name     = "write-own-logs"
  role     = aws_iam_role.function[each.key].id
  policy   = data.aws_iam_policy_document.lambda_logs[each.key].json
}

resource "aws_lambda_function" "function" {
  for_each         = local.services
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

resource "aws_api_gateway_rest_api" "service" {
  for_each    = local.services
  name        = "${var.name_prefix}-${each.key}"
  description = "The ${each.key} service's own REST API, published under https://${var.domain_name}/${each.key}"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_resource" "item" {
  for_each    = local.services
  rest_api_id = aws_api_gateway_rest_api.service[each.key].id
  parent_id   = aws_api_gateway_rest_api.service[each.key].root_resource_id
  path_part   = "{id}"
}

locals {
  # Each service's two routes: GET / (the API's root resource) and GET /{id}.
  routes = merge([
    for service in keys(local.services) : {
      "${service}-root" = { service = service, resource_id = aws_api_gateway_rest_api.service[service].root_resource_id }
      "${service}-item" = { service = service, resource_id = aws_api_gateway_resource.item[service].id }
    }
  ]...)
}

resource "aws_api_gateway_method" "get" {
  for_each      = local.routes
  rest_api_id   = aws_api_gateway_rest_api.service[each.value.service].id
  resource_id   = each.value.resource_id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "get" {
  for_each                = local.routes
  rest_api_id             = aws_api_gateway_rest_api.service[each.value.service].id
  resource_id             = each.value.resource_id
  http_method             = aws_api_gateway_method.get[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.function[each.value.service].invoke_arn
}

resource "aws_api_gateway_deployment" "service" {
  for_each    = local.services
  rest_api_id = aws_api_gateway_rest_api.service[each.key].id

  # A new deployment whenever the API's routes or integrations change.
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.item[each.key],
      [for k, m in aws_api_gateway_method.get : m if local.routes[k].service == each.key],
      [for k, i in aws_api_gateway_integration.get : i if local.routes[k].service == each.key],
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_integration.get]
}

resource "aws_api_gateway_stage" "service" {
  for_each      = local.services
  rest_api_id   = aws_api_gateway_rest_api.service[each.key].id
  deployment_id = aws_api_gateway_deployment.service[each.key].id
  stage_name    = var.stage_name
}

# API Gateway may invoke each function for its own API's GET methods only (any stage).
resource "aws_lambda_permission" "api" {
  for_each      = local.services
  statement_id  = "AllowRestApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function[each.key].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.service[each.key].execution_arn}/*/GET/*"
}
