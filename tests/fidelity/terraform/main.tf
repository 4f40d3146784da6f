# Fidelity variants, deployed together to share one apply:
# - GET /malformed -> AWS_PROXY Lambda returning a non-proxy response          => 502 Internal server error
# - GET /slow      -> AWS_PROXY Lambda (timeout 2 s) sleeping 5 s, integration timeout 1 s => 504, timeout in the log
# - GET /panic     -> AWS_PROXY Lambda that panics                              => 502
# - GET /alb       -> HTTP_PROXY over a v1 VPC link -> NLB -> ALB -> Lambda target group;
#                     with var.alb_permission = false the ELB invoke permission is gone => ALB 502
# - no {proxy+} resource                                                        => unknown route 403
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "lambda_zip" {
  type = string
}

variable "alb_permission" {
  type    = bool
  default = true
}

locals {
  modes = {
    malformed = { mode = "malformed", timeout = 3, env = {} }
    slow      = { mode = "sleep", timeout = 2, env = { FIDELITY_SLEEP_MS = "5000" } }
    panic     = { mode = "panic", timeout = 3, env = {} }
    alb       = { mode = "alb", timeout = 3, env = {} }
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "fn" {
  name               = "fidelity-fn"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_cloudwatch_log_group" "fn" {
  for_each          = local.modes
  name              = "/aws/lambda/fidelity-${each.key}"
  retention_in_days = 1
}

resource "aws_lambda_function" "fn" {
  for_each         = local.modes
  function_name    = "fidelity-${each.key}"
  role             = aws_iam_role.fn.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  timeout          = each.value.timeout
  filename         = var.lambda_zip
  source_code_hash = filebase64sha256(var.lambda_zip)
  environment {
    variables = merge({ FIDELITY_MODE = each.value.mode }, each.value.env)
  }
  depends_on = [aws_cloudwatch_log_group.fn]
}

output "function_names" {
  value = { for k, f in aws_lambda_function.fn : k => f.function_name }
}
