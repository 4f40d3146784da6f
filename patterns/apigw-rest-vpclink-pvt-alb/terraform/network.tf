# The private network: a VPC with two private subnets in two Availability Zones, and the
# security groups of the two load balancers. There is no internet gateway and no NAT: nothing in
# this VPC is reachable from, or reaches, the internet. API Gateway gets in through the VPC link.

data "aws_availability_zones" "available" {
  state = "available"

  # Regular AZs only: Local Zones and Wavelength Zones are opt-in, and ALB Lambda targets do not support them.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  # Subnets are placed by AZ *ID* (use1-az1), not AZ name (us-east-1a): names are shuffled per
  # account, IDs name the same physical zone in every account.
  az_ids = slice(data.aws_availability_zones.available.zone_ids, 0, 2)
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name = "${var.name_prefix}-vpc"
  }
}

resource "aws_subnet" "private" {
  count = length(local.az_ids)

  vpc_id                  = aws_vpc.this.id
  availability_zone_id    = local.az_ids[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr, 24 - tonumber(split("/", var.vpc_cidr)[1]), count.index)
  map_public_ip_on_launch = false

  tags = {
    Name = "${var.name_prefix}-private-${local.az_ids[count.index]}"
  }
}

# --- Network Load Balancer security group -------------------------------------------------------

resource "aws_security_group" "nlb" {
  name        = "${var.name_prefix}-nlb"
  description = "Internal NLB in front of the private ALB; entered through the API Gateway VPC link"
  vpc_id      = aws_vpc.this.id

  tags = {
    Name = "${var.name_prefix}-nlb"
  }
}

# Clients inside the VPC may use the NLB listener. Traffic from the VPC link arrives over
# PrivateLink, which this rule does not govern (see `enforce_security_group_inbound_rules_on_private_link_traffic`).
resource "aws_vpc_security_group_ingress_rule" "nlb_from_vpc" {
  security_group_id = aws_security_group.nlb.id
  description       = "Listener port from inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = aws_vpc.this.cidr_block
}

# The NLB forwards traffic and sends health checks to the ALB, and nowhere else.
resource "aws_vpc_security_group_egress_rule" "nlb_to_alb" {
  security_group_id            = aws_security_group.nlb.id
  description                  = "Forwarded traffic and health checks to the ALB"
  ip_protocol                  = "tcp"
  from_port                    = 80
  to_port                      = 80
  referenced_security_group_id = aws_security_group.alb.id
}

# --- Application Load Balancer security group ---------------------------------------------------

# No egress rule at all: an ALB invokes Lambda targets through the Lambda service, not over the
# network, so it needs no outbound rule (and Terraform removes the default allow-all one).
resource "aws_security_group" "alb" {
  name        = "${var.name_prefix}-alb"
  description = "Internal ALB; reachable only from the NLB"
  vpc_id      = aws_vpc.this.id

  tags = {
    Name = "${var.name_prefix}-alb"
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_nlb" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Listener port from the NLB only"
  ip_protocol                  = "tcp"
  from_port                    = 80
  to_port                      = 80
  referenced_security_group_id = aws_security_group.nlb.id
}
