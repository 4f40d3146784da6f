# Inputs of the pattern. Only the zip usually needs setting; a second deployment in the same account needs its
# own `name_prefix`.

variable "region" {
  description = "AWS Region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name (function, role, log group, API, user pool, usage plan, issued keys)."
  type        = string
  default     = "dev-portal"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be 1 to 32 characters of a-z, 0-9 and '-', not starting or ending with '-'."
  }
}

variable "lambda_zip" {
  description = "Deployment package of the key-issuing function (a zip holding `bootstrap`). `cargo lambda build --release --output-format zip` in functions/issuer writes the default; `cargo xtask build` writes target/lambda/apikey-issuer/bootstrap.zip at the repository root."
  type        = string
  default     = "../functions/issuer/target/lambda/apikey-issuer/bootstrap.zip"

  validation {
    condition     = fileexists(var.lambda_zip)
    error_message = "lambda_zip: no file at this path. Build the function first (`cargo lambda build --release --output-format zip` in functions/issuer) and pass -var lambda_zip=<path to bootstrap.zip>."
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

variable "stage_name" {
  description = "Name of the API stage (the first segment of the URL's path)."
  type        = string
  default     = "prod"
}

variable "throttle_rate_limit" {
  description = "Requests per second each API key may make on average (the usage plan's throttle rate)."
  type        = number
  default     = 1
}

variable "throttle_burst_limit" {
  description = "Requests each API key may make at once (the usage plan's burst, the token bucket's size)."
  type        = number
  default     = 2
}

variable "quota_per_day" {
  description = "Requests each API key may make per day (the usage plan's quota)."
  type        = number
  default     = 100
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
