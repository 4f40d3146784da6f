# The internet-facing Application Load Balancer: POST /items goes to the function's target group; any other
# path gets the listener's fixed JSON 404 without invoking anything. The listener is plain HTTP: add an HTTPS
# listener with an ACM certificate for your own domain before real traffic.

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
  name        = "${var.name_prefix}-fn"
  target_type = "lambda"

  # Off, as AWS defaults it for Lambda target groups: each health check would be a real invocation.
  health_check {
    enabled = false
  }
}

resource "aws_lb_listener_rule" "items" {
  listener_arn = aws_lb_listener.http.arn
  priority     = 10

  condition {
    path_pattern {
      values = ["/items"]
    }
  }

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.function.arn
  }
}

# Lets this target group, and nothing else, invoke the function.
resource "aws_lambda_permission" "alb" {
  statement_id  = "AllowInvokeFromAlbTargetGroup"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.handler.function_name
  principal     = "elasticloadbalancing.amazonaws.com"
  source_arn    = aws_lb_target_group.function.arn
}

resource "aws_lb_target_group_attachment" "function" {
  target_group_arn = aws_lb_target_group.function.arn
  target_id        = aws_lambda_function.handler.arn

  # Registration fails unless the load balancer may already invoke the function.
  depends_on = [aws_lambda_permission.alb]
}
