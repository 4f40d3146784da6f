# The REST API: POST /keys behind the Cognito authorizer, to the key-issuing function (Lambda proxy
# integration); GET /metered requires an API key of the usage plan (a MOCK integration stands in for the
# product API). API Gateway answers 401 (no or a bad token), 403 (no or an unknown key) and 429 (over the plan's
# throttle or quota) itself.

resource "aws_api_gateway_rest_api" "this" {
  name        = "${var.name_prefix}-api"
  description = "Developer portal: Cognito users get API keys for a metered API"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_authorizer" "cognito" {
  name            = "cognito-users"
  rest_api_id     = aws_api_gateway_rest_api.this.id
  type            = "COGNITO_USER_POOLS"
  provider_arns   = [aws_cognito_user_pool.users.arn]
  identity_source = "method.request.header.Authorization"
}

resource "aws_api_gateway_resource" "keys" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "keys"
}

resource "aws_api_gateway_method" "issue" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  resource_id   = aws_api_gateway_resource.keys.id
  http_method   = "POST"
  authorization = "COGNITO_USER_POOLS"
  authorizer_id = aws_api_gateway_authorizer.cognito.id
}

resource "aws_api_gateway_integration" "issue" {
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.keys.id
  http_method             = aws_api_gateway_method.issue.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  # Written out rather than the function's `invoke_arn`: the function reads the usage plan's id, and the plan
  # needs this API's stage, so a reference here would be a cycle.
  uri = "arn:${local.partition}:apigateway:${local.region}:lambda:path/2015-03-31/functions/arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.function_name}/invocations"
}

resource "aws_api_gateway_resource" "metered" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "metered"
}

resource "aws_api_gateway_method" "metered" {
  rest_api_id      = aws_api_gateway_rest_api.this.id
  resource_id      = aws_api_gateway_resource.metered.id
  http_method      = "GET"
  authorization    = "NONE"
  api_key_required = true
}

resource "aws_api_gateway_integration" "metered" {
  rest_api_id       = aws_api_gateway_rest_api.this.id
  resource_id       = aws_api_gateway_resource.metered.id
  http_method       = aws_api_gateway_method.metered.http_method
  type              = "MOCK"
  request_templates = { "application/json" = "{\"statusCode\": 200}" }
}

resource "aws_api_gateway_method_response" "metered" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = aws_api_gateway_resource.metered.id
  http_method = aws_api_gateway_method.metered.http_method
  status_code = "200"
}

resource "aws_api_gateway_integration_response" "metered" {
  rest_api_id        = aws_api_gateway_rest_api.this.id
  resource_id        = aws_api_gateway_resource.metered.id
  http_method        = aws_api_gateway_method.metered.http_method
  status_code        = aws_api_gateway_method_response.metered.status_code
  response_templates = { "application/json" = "{\"message\": \"Hello from the metered API\"}" }

  depends_on = [aws_api_gateway_integration.metered]
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  # A new deployment whenever a route, its authorizer or its integration changes.
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.keys,
      aws_api_gateway_method.issue,
      aws_api_gateway_integration.issue,
      aws_api_gateway_authorizer.cognito,
      aws_api_gateway_resource.metered,
      aws_api_gateway_method.metered,
      aws_api_gateway_integration.metered,
      aws_api_gateway_integration_response.metered,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_integration.issue, aws_api_gateway_integration_response.metered]
}

resource "aws_api_gateway_stage" "this" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  deployment_id = aws_api_gateway_deployment.this.id
  stage_name    = var.stage_name
}

# Every issued key joins this plan: per key, `throttle_rate_limit` requests a second with bursts of
# `throttle_burst_limit`, and `quota_per_day` requests a day.
resource "aws_api_gateway_usage_plan" "metered" {
  name = "${var.name_prefix}-metered"

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = var.throttle_rate_limit
    burst_limit = var.throttle_burst_limit
  }

  quota_settings {
    limit  = var.quota_per_day
    period = "DAY"
  }
}
