# Inputs of the pattern. Only `orders_zip` and `catalog_zip` usually need setting.

variable "region" {
  description = "AWS Region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name, so that two deployments can share an account."
  type        = string
  default     = "alb-lambda"

  validation {
    # A target group's name (`<prefix>-catalog`) has at most 32 characters.
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be 1 to 24 characters of a-z, 0-9 and '-', not starting or ending with '-'."
  }
}

variable "orders_zip" {
  description = "Path to the orders function's deployment package: a zip holding the `bootstrap` executable. `cargo lambda build --release --output-format zip` in functions/orders writes the default; `cargo xtask build` writes target/lambda/alb-lambda-orders/bootstrap.zip at the repository root."
  type        = string
  default     = "../functions/orders/target/lambda/alb-lambda-orders/bootstrap.zip"

  validation {
    condition     = fileexists(var.orders_zip)
    error_message = "orders_zip: no file at this path. Build the function first (`cargo lambda build --release --output-format zip` in functions/orders, or `cargo xtask build` in the repository) and pass -var orders_zip=<path to bootstrap.zip>."
  }
}

variable "catalog_zip" {
  description = "Path to the catalog function's deployment package: a zip holding the `bootstrap` executable. `cargo lambda build --release --output-format zip` in functions/catalog writes the default; `cargo xtask build` writes target/lambda/alb-lambda-catalog/bootstrap.zip at the repository root."
  type        = string
  default     = "../functions/catalog/target/lambda/alb-lambda-catalog/bootstrap.zip"

  validation {
    condition     = fileexists(var.catalog_zip)
    error_message = "catalog_zip: no file at this path. Build the function first (`cargo lambda build --release --output-format zip` in functions/catalog, or `cargo xtask build` in the repository) and pass -var catalog_zip=<path to bootstrap.zip>."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the Lambda functions; must match the target the bootstrap was built for (`cargo lambda build --arm64` for arm64)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be \"x86_64\" or \"arm64\"."
  }
}

variable "lambda_memory_size" {
  description = "Memory of each Lambda function in MB (CPU is allocated in proportion)."
  type        = number
  default     = 128

  validation {
    condition     = var.lambda_memory_size >= 128 && var.lambda_memory_size <= 10240
    error_message = "lambda_memory_size must be between 128 and 10240 (MB)."
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
