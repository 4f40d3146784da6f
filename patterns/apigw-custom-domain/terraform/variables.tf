# Inputs of the pattern. A real deployment sets `hosted_zone_name` to a public Route 53 hosted zone the account
# owns (its domain's DNS must be delegated to it, or ACM cannot validate the certificate) and `domain_name` to a
# name in that zone. A domain name exists once per account and Region: a second deployment needs its own
# `domain_name` and `name_prefix`.

variable "region" {
  description = "AWS Region to deploy into (the regional custom domain name and its certificate live there)."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name (functions, roles, log groups, APIs)."
  type        = string
  default     = "custom-domain"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be 1 to 32 characters of a-z, 0-9 and '-', not starting or ending with '-'."
  }
}

variable "hosted_zone_name" {
  description = "Public Route 53 hosted zone the account owns, e.g. example.org: the certificate's validation records and the domain's alias record go there. The default is the reserved test domain (RFC 2606), whose zone the local cloud holds."
  type        = string
  default     = "example.com"
}

variable "domain_name" {
  description = "The custom domain name the two services are published under; must be in the hosted zone."
  type        = string
  default     = "api.example.com"

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name such as api.example.org."
  }
}

variable "orders_zip" {
  description = "Deployment package of the orders function (a zip holding `bootstrap`). `cargo lambda build --release --output-format zip` in functions/orders writes the default; `cargo xtask build` writes target/lambda/custom-domain-orders/bootstrap.zip at the repository root."
  type        = string
  default     = "../functions/orders/target/lambda/custom-domain-orders/bootstrap.zip"

  validation {
    condition     = fileexists(var.orders_zip)
    error_message = "orders_zip: no file at this path. Build the function first (`cargo lambda build --release --output-format zip` in functions/orders) and pass -var orders_zip=<path to bootstrap.zip>."
  }
}

variable "users_zip" {
  description = "Deployment package of the users function. `cargo lambda build --release --output-format zip` in functions/users writes the default."
  type        = string
  default     = "../functions/users/target/lambda/custom-domain-users/bootstrap.zip"

  validation {
    condition     = fileexists(var.users_zip)
    error_message = "users_zip: no file at this path. Build the function first (`cargo lambda build --release --output-format zip` in functions/users) and pass -var users_zip=<path to bootstrap.zip>."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the Lambda functions; must match the target the bootstraps were built for."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be \"x86_64\" or \"arm64\"."
  }
}

variable "stage_name" {
  description = "Name of each API's stage (the base path mappings publish this stage)."
  type        = string
  default     = "prod"
}

variable "log_retention_days" {
  description = "Retention of the functions' CloudWatch log groups, in days."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}
