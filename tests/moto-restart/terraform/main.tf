# Test fixture: one queue, so the Terraform state of a deployment that a restart of the local cloud lost refers to
# a resource that no longer exists.
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

variable "name_prefix" {
  type    = string
  default = "srp"
}

resource "aws_sqs_queue" "queue" {
  name = "${var.name_prefix}-moto-restart"
}

output "QueueUrl" {
  value = aws_sqs_queue.queue.url
}
