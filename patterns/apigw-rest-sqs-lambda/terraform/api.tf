# The REST API, storage first: POST /orders is checked against the Order model by a request validator (400
# "Invalid request body" otherwise), then an AWS service integration sends the body to the queue (SQS
# SendMessage) as the API's own role, without any function in the request path. The integration response
# template answers with the id SQS gave the message.

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  # The integration request: SQS's query API, form-encoded.
  send_message = "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
  # The integration response: SQS's JSON answer reshaped for the client.
  queued = <<-EOT
    #set($sent = $input.path('$.SendMessageResponse.SendMessageResult'))
    {"messageId": "$sent.MessageId", "status": "queued"}
  EOT

  openapi = {
    openapi = "3.0.1"
    info    = { title = "${var.name_prefix}-api", version = "1.0" }
    "x-amazon-apigateway-request-validators" = {
      body = { validateRequestBody = true, validateRequestParameters = false }
    }
    paths = {
      "/orders" = {
        post = {
          "x-amazon-apigateway-request-validator" = "body"
          requestBody = {
            required = true
            content  = { "application/json" = { schema = { "$ref" = "#/components/schemas/Order" } } }
          }
          responses = {
            "200" = { description = "The order is queued." }
            "400" = { description = "The body is not an order." }
            "500" = { description = "The order could not be queued." }
          }
          "x-amazon-apigateway-integration" = {
            type                = "aws"
            httpMethod          = "POST"
            uri                 = "arn:aws:apigateway:${data.aws_region.current.name}:sqs:path/${data.aws_caller_identity.current.account_id}/${aws_sqs_queue.orders.name}"
            credentials         = aws_iam_role.api.arn
            passthroughBehavior = "never"
            requestParameters = {
              "integration.request.header.Content-Type" = "'application/x-www-form-urlencoded'"
            }
            requestTemplates = { "application/json" = local.send_message }
            responses = {
              default = {
                statusCode        = "200"
                responseTemplates = { "application/json" = local.queued }
              }
              # SQS refused or failed: the client learns nothing about the queue.
              "(4|5)\\d{2}" = {
                statusCode        = "500"
                responseTemplates = { "application/json" = "{\"message\": \"the order could not be queued\"}" }
              }
            }
          }
        }
      }
    }
    components = {
      schemas = {
        Order = {
          type     = "object"
          required = ["id", "item", "quantity"]
          properties = {
            id       = { type = "string", minLength = 1, maxLength = 1024 }
            item     = { type = "string", minLength = 1 }
            quantity = { type = "integer", minimum = 1 }
          }
        }
      }
    }
  }
}

resource "aws_api_gateway_rest_api" "this" {
  name        = "${var.name_prefix}-api"
  description = "Storage-first REST API: validated orders go straight to SQS"
  body        = jsonencode(local.openapi)

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

# The role API Gateway assumes to call SQS: it may send messages to the orders queue and nothing else.
data "aws_iam_policy_document" "apigateway_assume_role" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "send_orders" {
  statement {
    sid       = "SendOrders"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.orders.arn]
  }
}

resource "aws_iam_role" "api" {
  name               = "${var.name_prefix}-api"
  assume_role_policy = data.aws_iam_policy_document.apigateway_assume_role.json
}

resource "aws_iam_role_policy" "send_orders" {
  name   = "send-orders"
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.send_orders.json
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  # A new deployment whenever the API's document changes.
  triggers = {
    redeployment = sha1(aws_api_gateway_rest_api.this.body)
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "this" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  deployment_id = aws_api_gateway_deployment.this.id
  stage_name    = var.stage_name
}
