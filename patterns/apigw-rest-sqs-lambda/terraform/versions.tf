# Terraform and provider versions, and the AWS provider itself.
#
# The provider block only picks the region: credentials come from the usual AWS environment
# (profile, SSO, environment variables). Nothing here is specific to a test or local setup.

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
  region = var.region

  default_tags {
    tags = {
      Pattern = "apigw-rest-sqs-lambda"
    }
  }
}
