# One HTTP API per origin ($default stage, so no stage segment and no origin path). The primary's has the
# maintenance switch route too; CloudFront never forwards a PUT to it (the distribution allows GET and HEAD).

resource "aws_apigatewayv2_api" "origin" {
  for_each      = local.origins
  name          = "${var.name_prefix}-${each.key}"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_integration" "origin" {
  for_each               = local.origins
  api_id                 = aws_apigatewayv2_api.origin[each.key].id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.origin[each.key].invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "hello" {
  for_each  = local.origins
  api_id    = aws_apigatewayv2_api.origin[each.key].id
  route_key = "GET /hello"
  target    = "integrations/${aws_apigatewayv2_integration.origin[each.key].id}"
}

resource "aws_apigatewayv2_route" "maintenance" {
  api_id    = aws_apigatewayv2_api.origin["primary"].id
  route_key = "PUT /maintenance"
  target    = "integrations/${aws_apigatewayv2_integration.origin["primary"].id}"
}

resource "aws_apigatewayv2_stage" "default" {
  for_each    = local.origins
  api_id      = aws_apigatewayv2_api.origin[each.key].id
  name        = "$default"
  auto_deploy = true
}
