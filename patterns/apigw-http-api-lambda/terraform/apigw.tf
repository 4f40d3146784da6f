# The HTTP API: three routes to the function (payload format 2.0), CORS for the allowed origin, a JWT
# authorizer on the write route, and the $default stage (the API's URL has no stage segment).

resource "aws_apigatewayv2_api" "this" {
  name          = "${var.name_prefix}-api"
  protocol_type = "HTTP"

  # API Gateway answers preflight requests itself and adds these headers to the function's responses.
  cors_configuration {
    allow_origins = [var.allowed_origin]
    allow_methods = ["GET", "POST"]
    allow_headers = ["authorization", "content-type"]
    max_age       = 300
  }
}

resource "aws_apigatewayv2_integration" "messages" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.messages.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_authorizer" "cognito" {
  api_id           = aws_apigatewayv2_api.this.id
  name             = "cognito-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = "https://cognito-idp.${var.region}.amazonaws.com/${aws_cognito_user_pool.users.id}"
    audience = [aws_cognito_user_pool_client.web.id]
  }
}

# Public: a greeting for a path parameter.
resource "aws_apigatewayv2_route" "hello" {
  api_id    = aws_apigatewayv2_api.this.id
  route_key = "GET /hello/{name}"
  target    = "integrations/${aws_apigatewayv2_integration.messages.id}"
}

# Signed-in users only: API Gateway refuses a missing or invalid token with 401 before the function runs.
resource "aws_apigatewayv2_route" "post_message" {
  api_id             = aws_apigatewayv2_api.this.id
  route_key          = "POST /messages"
  target             = "integrations/${aws_apigatewayv2_integration.messages.id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.cognito.id
}

# Everything else reaches the function too, which answers a JSON 404.
resource "aws_apigatewayv2_route" "default" {
  api_id    = aws_apigatewayv2_api.this.id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.messages.id}"
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true
}
