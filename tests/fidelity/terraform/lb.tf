# VPC link -> internal NLB -> internal ALB -> Lambda target group.
data "aws_availability_zones" "az" {
  state = "available"
}

resource "aws_vpc" "v" {
  cidr_block = "10.9.0.0/16"
}

resource "aws_subnet" "s" {
  count                = 2
  vpc_id               = aws_vpc.v.id
  cidr_block           = cidrsubnet(aws_vpc.v.cidr_block, 8, count.index)
  availability_zone_id = data.aws_availability_zones.az.zone_ids[count.index]
}

resource "aws_lb" "alb" {
  name               = "fidelity-internal-alb"
  internal           = true
  load_balancer_type = "application"
  subnets            = aws_subnet.s[*].id
}

resource "aws_lb_target_group" "fn" {
  name        = "fidelity-fn"
  target_type = "lambda"
}

resource "aws_lambda_permission" "elb" {
  count         = var.alb_permission ? 1 : 0
  statement_id  = "AllowElb"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn["alb"].function_name
  principal     = "elasticloadbalancing.amazonaws.com"
  source_arn    = aws_lb_target_group.fn.arn
}

resource "aws_lb_target_group_attachment" "fn" {
  target_group_arn = aws_lb_target_group.fn.arn
  target_id        = aws_lambda_function.fn["alb"].arn
}

resource "aws_lb_listener" "alb" {
  load_balancer_arn = aws_lb.alb.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.fn.arn
  }
}

resource "aws_lb" "nlb" {
  name               = "fidelity-internal-nlb"
  internal           = true
  load_balancer_type = "network"
  subnets            = aws_subnet.s[*].id
}

resource "aws_lb_target_group" "alb" {
  name        = "fidelity-alb"
  target_type = "alb"
  protocol    = "TCP"
  port        = 80
  vpc_id      = aws_vpc.v.id
}

resource "aws_lb_target_group_attachment" "alb" {
  target_group_arn = aws_lb_target_group.alb.arn
  target_id        = aws_lb.alb.arn
  depends_on       = [aws_lb_listener.alb]
}

resource "aws_lb_listener" "nlb" {
  load_balancer_arn = aws_lb.nlb.arn
  port              = 80
  protocol          = "TCP"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.alb.arn
  }
}

resource "aws_api_gateway_vpc_link" "link" {
  name        = "fidelity"
  target_arns = [aws_lb.nlb.arn]
}
