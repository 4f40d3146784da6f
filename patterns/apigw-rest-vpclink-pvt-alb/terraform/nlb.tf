# The internal Network Load Balancer: what the API Gateway VPC link points at. Its only target is the ALB.

resource "aws_lb" "nlb" {
  name               = "${var.name_prefix}-nlb"
  internal           = true
  load_balancer_type = "network"
  subnets            = aws_subnet.private[*].id
  security_groups    = [aws_security_group.nlb.id]

  # The VPC link reaches the NLB through AWS PrivateLink. With this "off", the NLB's inbound rules
  # are not applied to PrivateLink traffic, so API Gateway's connections are accepted without
  # opening the listener to any CIDR. Inbound rules still apply to everything else.
  enforce_security_group_inbound_rules_on_private_link_traffic = "off"
}

resource "aws_lb_target_group" "alb" {
  name        = "${var.name_prefix}-alb-tg"
  target_type = "alb"
  protocol    = "TCP"
  port        = 80
  vpc_id      = aws_vpc.this.id

  # The NLB only needs to know that the ALB answers HTTP. `/` is answered by the ALB listener's
  # fixed 404 without invoking Lambda, so any 2xx-4xx counts as healthy and health checks cost nothing.
  health_check {
    protocol = "HTTP"
    port     = "traffic-port"
    path     = "/"
    matcher  = "200-499"
  }
}

resource "aws_lb_target_group_attachment" "alb" {
  target_group_arn = aws_lb_target_group.alb.arn
  target_id        = aws_lb.alb.arn
  port             = 80

  # An ALB can only be registered once it has a listener on the target group's port.
  depends_on = [aws_lb_listener.alb_http]
}

resource "aws_lb_listener" "nlb_tcp" {
  load_balancer_arn = aws_lb.nlb.arn
  port              = 80
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.alb.arn
  }
}
