# The network of the internet-facing ALB: a VPC with two public subnets in two Availability Zones, routed to
# an internet gateway, and the ALB's security group (HTTP in from anywhere, nothing out: an ALB invokes Lambda
# targets through the Lambda service, not over the network).

data "aws_availability_zones" "available" {
  state = "available"

  # Regular AZs only: Local Zones and Wavelength Zones are opt-in, and ALB Lambda targets do not support them.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  # Subnets are placed by AZ *ID* (use1-az1), which names the same physical zone in every account.
  az_ids = slice(data.aws_availability_zones.available.zone_ids, 0, 2)
}

resource "aws_vpc" "this" {
  cidr_block           = "10.0.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name = var.name_prefix
  }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = {
    Name = var.name_prefix
  }
}

resource "aws_subnet" "public" {
  count = length(local.az_ids)

  vpc_id               = aws_vpc.this.id
  availability_zone_id = local.az_ids[count.index]
  cidr_block           = cidrsubnet(aws_vpc.this.cidr_block, 8, count.index)

  tags = {
    Name = "${var.name_prefix}-public-${local.az_ids[count.index]}"
  }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }

  tags = {
    Name = "${var.name_prefix}-public"
  }
}

resource "aws_route_table_association" "public" {
  count = length(aws_subnet.public)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# Terraform removes the default allow-all egress rule of a group it creates, and this one lists none.
resource "aws_security_group" "alb" {
  name        = "${var.name_prefix}-alb"
  description = "Internet-facing ALB: HTTP in from anywhere, no egress"
  vpc_id      = aws_vpc.this.id

  tags = {
    Name = "${var.name_prefix}-alb"
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from the internet"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}
