# Inputs of the pattern. Only the three `*_zip` paths usually need setting.

variable "region" {
  description = "AWS Region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name, so that two deployments can share an account."
  type        = string
  default     = "sns-sqs-lambda-fanout"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be 1 to 40 characters of a-z, 0-9 and '-', not starting or ending with '-'."
  }
}

variable "processor_zip" {
  description = "Deployment package of the processing function (functions/processor): `cargo lambda build --release --output-format zip` there writes the default; `cargo xtask build` writes target/lambda/sns-sqs-lambda-fanout-processor/bootstrap.zip at the repository root."
  type        = string
  default     = "../functions/processor/target/lambda/sns-sqs-lambda-fanout-processor/bootstrap.zip"

  validation {
    condition     = fileexists(var.processor_zip)
    error_message = "processor_zip: no file at this path. Build the function first (`cargo lambda build --release --output-format zip` in functions/processor) and pass -var processor_zip=<path to bootstrap.zip>."
  }
}

variable "backup_zip" {
  description = "Deployment package of the backup function (functions/backup), built as processor_zip is."
  type        = string
  default     = "../functions/backup/target/lambda/sns-sqs-lambda-fanout-backup/bootstrap.zip"

  validation {
    condition     = fileexists(var.backup_zip)
    error_message = "backup_zip: no file at this path. Build the function first (`cargo lambda build --release --output-format zip` in functions/backup) and pass -var backup_zip=<path to bootstrap.zip>."
  }
}

variable "replay_zip" {
  description = "Deployment package of the replay function (functions/replay), built as processor_zip is."
  type        = string
  default     = "../functions/replay/target/lambda/sns-sqs-lambda-fanout-replay/bootstrap.zip"

  validation {
    condition     = fileexists(var.replay_zip)
    error_message = "replay_zip: no file at this path. Build the function first (`cargo lambda build --release --output-format zip` in functions/replay) and pass -var replay_zip=<path to bootstrap.zip>."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the Lambda functions; must match the target the bootstraps were built for (`cargo lambda build --arm64` for arm64)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be \"x86_64\" or \"arm64\"."
  }
}

variable "processed_types" {
  description = "The event types (the `type` field of the message body) the processing branch receives; the subscription's filter policy drops the others."
  type        = list(string)
  default     = ["order"]
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
