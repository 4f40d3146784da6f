# The REST API: one literal resource per variant, no {proxy+}.
resource "aws_api_gateway_rest_api" "api" {
  name = "fidelity"
  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

locals {
  proxied = toset(["malformed", "slow", "panic"])
}

resource "aws_api_gateway_resource" "r" {
  for_each    = local.modes
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = each.key
}

resource "aws_api_gateway_method" "get" {
  for_each      = local.modes
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.r[each.key].id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "lambda" {
  for_each                = local.proxied
  rest_api_id             = aws_api_gateway_rest_api.api.id
  resource_id             = aws_api_gateway_resource.r[each.key].id
  http_method             = aws_api_gateway_method.get[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.fn[each.key].invoke_arn
  timeout_milliseconds    = 1000
}

resource "aws_lambda_permission" "apigw" {
  for_each      = local.proxied
  statement_id  = "AllowApiGateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn[each.key].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.api.execution_arn}/*/GET/${each.key}"
}

resource "aws_api_gateway_integration" "alb" {
  rest_api_id             = aws_api_gateway_rest_api.api.id
  resource_id             = aws_api_gateway_resource.r["alb"].id
  http_method             = aws_api_gateway_method.get["alb"].http_method
  type                    = "HTTP_PROXY"
  integration_http_method = "GET"
  uri                     = "http://${aws_lb.nlb.dns_name}/alb"
  connection_type         = "VPC_LINK"
  connection_id           = aws_api_gateway_vpc_link.link.id
}

resource "aws_api_gateway_deployment" "d" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  depends_on  = [aws_api_gateway_integration.lambda, aws_api_gateway_integration.alb]
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "s" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.d.id
  stage_name    = "test"
}

output "api_url" {
  value = aws_api_gateway_stage.s.invoke_url
}
