# The internal Application Load Balancer: path rules in front of the Lambda function.
#
# Only `/hello`, `/echo` and `/items/*` reach Lambda; any other path gets the listener's fixed JSON 404
# without invoking anything.

resource "aws_lb" "alb" {
  name                       = "${var.name_prefix}-alb"
  internal                   = true
  load_balancer_type         = "application"
  subnets                    = aws_subnet.private[*].id
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
}

resource "aws_lb_listener" "alb_http" {
  load_balancer_arn = aws_lb.alb.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "fixed-response"

    fixed_response {
      content_type = "application/json"
      message_body = jsonencode({ message = "Not Found" })
      status_code  = "404"
    }
  }
}

resource "aws_lb_target_group" "function" {
  name        = "${var.name_prefix}-fn"
  target_type = "lambda"

  # Off, as AWS defaults it for Lambda target groups: each health check would be a real invocation,
  # and the ALB routes to a Lambda target without them.
  health_check {
    enabled = false
  }
}

resource "aws_lb_listener_rule" "function" {
  listener_arn = aws_lb_listener.alb_http.arn
  priority     = 10

  condition {
    path_pattern {
      values = ["/hello", "/echo", "/items/*"]
    }
  }

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.function.arn
  }
}

# Lets this target group, and only it, invoke the function.
resource "aws_lambda_permission" "alb" {
  statement_id  = "AllowInvokeFromAlbTargetGroup"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.hello.function_name
  principal     = "elasticloadbalancing.amazonaws.com"
  source_arn    = aws_lb_target_group.function.arn
}

resource "aws_lb_target_group_attachment" "function" {
  target_group_arn = aws_lb_target_group.function.arn
  target_id        = aws_lambda_function.hello.arn

  # Registration fails unless the load balancer may already invoke the function.
  depends_on = [aws_lambda_permission.alb]
}
