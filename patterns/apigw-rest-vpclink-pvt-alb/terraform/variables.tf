# Inputs of the pattern. Only `lambda_zip` usually needs setting.

variable "region" {
  description = "AWS Region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name. At most 24 characters so that load balancer and target group names stay within AWS's 32."
  type        = string
  default     = "pvt-alb-rust"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be 1 to 24 characters of a-z, 0-9 and '-', not starting or ending with '-' (load balancer names are limited to 32 characters)."
  }
}

variable "lambda_zip" {
  description = "Path to the Lambda deployment package: a zip holding the `bootstrap` executable. `cargo lambda build --release --output-format zip` in functions/hello writes the default; `cargo xtask build` writes target/lambda/pvt-alb-hello/bootstrap.zip at the repository root."
  type        = string
  default     = "../functions/hello/target/lambda/pvt-alb-hello/bootstrap.zip"

  validation {
    condition     = fileexists(var.lambda_zip)
    error_message = "lambda_zip: no file at this path. Build the function first (`cargo lambda build --release --output-format zip` in functions/hello, or `cargo xtask build` in the repository) and pass -var lambda_zip=<path to bootstrap.zip>."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the Lambda function; must match the target the bootstrap was built for."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be \"x86_64\" or \"arm64\"."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group, in days."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "stage_name" {
  description = "Name of the API Gateway stage; it is the first path segment of the API URL."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1 to 128 characters of A-Z, a-z, 0-9, '_' and '-'."
  }
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC; the two private subnets are its first two /24s."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 22, false)
    error_message = "vpc_cidr must be an IPv4 CIDR block from /16 to /22, for example 10.0.0.0/16."
  }
}
