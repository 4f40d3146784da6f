# The internet-facing Application Load Balancer and its listener rules, in priority order:
#   10  Host catalog.*                -> the catalog target group
#   20  path /orders or /orders/*     -> the orders target group (multi-value headers on)
#   30  path /canary                  -> a weighted forward: 80 to orders, 20 to catalog
#   default                           -> a fixed JSON 404, no function invoked
# The listener is plain HTTP: add an HTTPS listener with an ACM certificate for your own domain before real
# traffic.

resource "aws_lb" "this" {
  name                       = "${var.name_prefix}-alb"
  internal                   = false
  load_balancer_type         = "application"
  subnets                    = aws_subnet.public[*].id
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true

  # An internet-facing load balancer needs its VPC's internet gateway.
  depends_on = [aws_internet_gateway.this]
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "fixed-response"

    fixed_response {
      content_type = "application/json"
      message_body = jsonencode({ error = "not found" })
      status_code  = "404"
    }
  }
}

resource "aws_lb_target_group" "function" {
  for_each    = local.functions
  name        = "${var.name_prefix}-${each.key}"
  target_type = "lambda"

  # Orders gets every value of a repeated query key or header (and must answer in `multiValueHeaders`);
  # catalog gets the last one, as AWS defaults it.
  lambda_multi_value_headers_enabled = each.key == "orders"

  # Off, as AWS defaults it for Lambda target groups: each health check would be a real invocation.
  health_check {
    enabled = false
  }
}

# Lets each target group, and nothing else, invoke its function.
resource "aws_lambda_permission" "alb" {
  for_each      = local.functions
  statement_id  = "AllowInvokeFromAlbTargetGroup"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function[each.key].function_name
  principal     = "elasticloadbalancing.amazonaws.com"
  source_arn    = aws_lb_target_group.function[each.key].arn
}

resource "aws_lb_target_group_attachment" "function" {
  for_each         = local.functions
  target_group_arn = aws_lb_target_group.function[each.key].arn
  target_id        = aws_lambda_function.function[each.key].arn

  # Registration fails unless the load balancer may already invoke the function.
  depends_on = [aws_lambda_permission.alb]
}

resource "aws_lb_listener_rule" "catalog_host" {
  listener_arn = aws_lb_listener.http.arn
  priority     = 10

  condition {
    host_header {
      values = ["catalog.*"]
    }
  }

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.function["catalog"].arn
  }
}

resource "aws_lb_listener_rule" "orders_path" {
  listener_arn = aws_lb_listener.http.arn
  priority     = 20

  condition {
    path_pattern {
      values = ["/orders", "/orders/*"]
    }
  }

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.function["orders"].arn
  }
}

resource "aws_lb_listener_rule" "canary" {
  listener_arn = aws_lb_listener.http.arn
  priority     = 30

  condition {
    path_pattern {
      values = ["/canary"]
    }
  }

  action {
    type = "forward"

    forward {
      target_group {
        arn    = aws_lb_target_group.function["orders"].arn
        weight = 80
      }

      target_group {
        arn    = aws_lb_target_group.function["catalog"].arn
        weight = 20
      }
    }
  }
}
