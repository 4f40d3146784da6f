# The REST API: GET /token behind the TOKEN authorizer, GET /tenant behind the REQUEST authorizer, both to the
# greeter function (Lambda proxy integration). API Gateway answers 401 and 403 itself; the backend only sees
# authorized requests, with the authorizer's principal and context.

resource "aws_api_gateway_rest_api" "this" {
  name        = "${var.name_prefix}-api"
  description = "REST API with Lambda TOKEN and REQUEST authorizers"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

# TOKEN: the Authorization header's value; a token of another shape is refused (401) without invoking.
resource "aws_api_gateway_authorizer" "token" {
  name                             = "token"
  rest_api_id                      = aws_api_gateway_rest_api.this.id
  type                             = "TOKEN"
  authorizer_uri                   = aws_lambda_function.function["token-authorizer"].invoke_arn
  identity_source                  = "method.request.header.Authorization"
  identity_validation_expression   = "^(Bearer )?(allow|deny)-[A-Za-z0-9-]{1,64}$"
  authorizer_result_ttl_in_seconds = var.authorizer_ttl_seconds
}

# REQUEST: the whole request goes to the function once the X-Tenant header is present (else 401); answers are
# cached per tenant.
resource "aws_api_gateway_authorizer" "request" {
  name                             = "tenant"
  rest_api_id                      = aws_api_gateway_rest_api.this.id
  type                             = "REQUEST"
  authorizer_uri                   = aws_lambda_function.function["request-authorizer"].invoke_arn
  identity_source                  = "method.request.header.X-Tenant"
  authorizer_result_ttl_in_seconds = var.authorizer_ttl_seconds
}

locals {
  routes = {
    token  = aws_api_gateway_authorizer.token.id
    tenant = aws_api_gateway_authorizer.request.id
  }
}

resource "aws_api_gateway_resource" "route" {
  for_each    = local.routes
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = each.key
}

resource "aws_api_gateway_method" "get" {
  for_each      = local.routes
  rest_api_id   = aws_api_gateway_rest_api.this.id
  resource_id   = aws_api_gateway_resource.route[each.key].id
  http_method   = "GET"
  authorization = "CUSTOM"
  authorizer_id = each.value
}

resource "aws_api_gateway_integration" "get" {
  for_each                = local.routes
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.route[each.key].id
  http_method             = aws_api_gateway_method.get[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.function["greeter"].invoke_arn
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  # A new deployment whenever the routes, their authorizers or their integrations change.
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.route,
      aws_api_gateway_method.get,
      aws_api_gateway_integration.get,
      aws_api_gateway_authorizer.token,
      aws_api_gateway_authorizer.request,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_integration.get]
}

resource "aws_api_gateway_stage" "this" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  deployment_id = aws_api_gateway_deployment.this.id
  stage_name    = var.stage_name
}
