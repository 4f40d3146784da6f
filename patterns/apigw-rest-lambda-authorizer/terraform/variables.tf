# Inputs of the pattern. Only the three zips usually need setting; a second deployment in the same account
# needs its own `name_prefix`.

variable "region" {
  description = "AWS Region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name (functions, roles, log groups, API)."
  type        = string
  default     = "rest-authorizer"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be 1 to 32 characters of a-z, 0-9 and '-', not starting or ending with '-'."
  }
}

variable "token_authorizer_zip" {
  description = "Deployment package of the TOKEN authorizer (a zip holding `bootstrap`). `cargo lambda build --release --output-format zip` in functions/token-authorizer writes the default; `cargo xtask build` writes target/lambda/rest-token-authorizer/bootstrap.zip at the repository root."
  type        = string
  default     = "../functions/token-authorizer/target/lambda/rest-token-authorizer/bootstrap.zip"

  validation {
    condition     = fileexists(var.token_authorizer_zip)
    error_message = "token_authorizer_zip: no file at this path. Build the function first (`cargo lambda build --release --output-format zip` in functions/token-authorizer) and pass -var token_authorizer_zip=<path to bootstrap.zip>."
  }
}

variable "request_authorizer_zip" {
  description = "Deployment package of the REQUEST authorizer. `cargo lambda build --release --output-format zip` in functions/request-authorizer writes the default."
  type        = string
  default     = "../functions/request-authorizer/target/lambda/rest-request-authorizer/bootstrap.zip"

  validation {
    condition     = fileexists(var.request_authorizer_zip)
    error_message = "request_authorizer_zip: no file at this path. Build the function first (`cargo lambda build --release --output-format zip` in functions/request-authorizer) and pass -var request_authorizer_zip=<path to bootstrap.zip>."
  }
}

variable "greeter_zip" {
  description = "Deployment package of the backend function. `cargo lambda build --release --output-format zip` in functions/greeter writes the default."
  type        = string
  default     = "../functions/greeter/target/lambda/rest-authorized-greeter/bootstrap.zip"

  validation {
    condition     = fileexists(var.greeter_zip)
    error_message = "greeter_zip: no file at this path. Build the function first (`cargo lambda build --release --output-format zip` in functions/greeter) and pass -var greeter_zip=<path to bootstrap.zip>."
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
  description = "Name of the API stage (the first segment of the URL's path)."
  type        = string
  default     = "prod"
}

variable "authorizer_ttl_seconds" {
  description = "How long API Gateway caches an authorizer's answer per token or tenant (0 turns caching off; at most 3600)."
  type        = number
  default     = 300

  validation {
    condition     = var.authorizer_ttl_seconds >= 0 && var.authorizer_ttl_seconds <= 3600
    error_message = "authorizer_ttl_seconds must be between 0 and 3600."
  }
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
