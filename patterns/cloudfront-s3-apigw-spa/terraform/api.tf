# The HTTP API behind CloudFront's /api/* behaviour: the routes keep the /api prefix (CloudFront forwards the
# viewer's path as it is), and the $default stage has no stage segment, so no origin path is needed. No CORS
# configuration: the browser calls the API on the page's own origin.

resource "aws_apigatewayv2_api" "orders" {
  name          = "${var.name_prefix}-api"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_integration" "orders" {
  api_id                 = aws_apigatewayv2_api.orders.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.orders.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "order" {
  api_id    = aws_apigatewayv2_api.orders.id
  route_key = "GET /api/orders/{id}"
  target    = "integrations/${aws_apigatewayv2_integration.orders.id}"
}

# Every other /api/ path reaches the function too, which answers a JSON 404.
resource "aws_apigatewayv2_route" "other" {
  api_id    = aws_apigatewayv2_api.orders.id
  route_key = "ANY /api/{proxy+}"
  target    = "integrations/${aws_apigatewayv2_integration.orders.id}"
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.orders.id
  name        = "$default"
  auto_deploy = true
}
