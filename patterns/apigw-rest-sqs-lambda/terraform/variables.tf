# Inputs of the pattern. Only `lambda_zip` usually needs setting.

variable "region" {
  description = "AWS Region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name, so that two deployments can share an account."
  type        = string
  default     = "apigw-rest-sqs-lambda"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be 1 to 40 characters of a-z, 0-9 and '-', not starting or ending with '-'."
  }
}

variable "lambda_zip" {
  description = "Path to the Lambda deployment package: a zip holding the `bootstrap` executable. `cargo lambda build --release --output-format zip` in functions/writer writes the default; `cargo xtask build` writes target/lambda/apigw-rest-sqs-lambda/bootstrap.zip at the repository root."
  type        = string
  default     = "../functions/writer/target/lambda/apigw-rest-sqs-lambda/bootstrap.zip"

  validation {
    condition     = fileexists(var.lambda_zip)
    error_message = "lambda_zip: no file at this path. Build the function first (`cargo lambda build --release --output-format zip` in functions/writer, or `cargo xtask build` in the repository) and pass -var lambda_zip=<path to bootstrap.zip>."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the Lambda function; must match the target the bootstrap was built for (`cargo lambda build --arm64` for arm64)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be \"x86_64\" or \"arm64\"."
  }
}

variable "max_receive_count" {
  description = "How many times a message is received (and fails) before SQS moves it to the dead-letter queue."
  type        = number
  default     = 3

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "stage_name" {
  description = "Name of the API stage (the last segment of the invoke URL)."
  type        = string
  default     = "prod"
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
