# The three Rust Lambda functions, each with its own log group and execution role. Every role may write to its
# function's log group; the statements below grant each function exactly what its branch needs.

locals {
  functions = {
    processor = {
      description = "Stores each event of the processing queue in DynamoDB"
      zip         = var.processor_zip
      environment = { TABLE_NAME = aws_dynamodb_table.events.name }
    }
    backup = {
      description = "Writes every event of the backup queue to the backup bucket"
      zip         = var.backup_zip
      environment = { BACKUP_BUCKET = aws_s3_bucket.backup.id }
    }
    replay = {
      description = "On request, moves the events of the replay queue to the processing queue"
      zip         = var.replay_zip
      environment = {
        REPLAY_QUEUE_URL     = aws_sqs_queue.replay.url
        PROCESSING_QUEUE_URL = aws_sqs_queue.processing.url
      }
    }
  }
}

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.functions

  name              = "/aws/lambda/${var.name_prefix}-${each.key}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "lambda_assume_role" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.functions

  name               = "${var.name_prefix}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

data "aws_iam_policy_document" "logs" {
  for_each = local.functions

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }
}

# The processor: consume the processing queue (what the event source mapping does on its behalf), update items.
data "aws_iam_policy_document" "processor" {
  source_policy_documents = [data.aws_iam_policy_document.logs["processor"].json]

  statement {
    sid       = "ConsumeProcessingQueue"
    effect    = "Allow"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.processing.arn]
  }

  statement {
    sid       = "RecordEvents"
    effect    = "Allow"
    actions   = ["dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.events.arn]
  }
}

# The backup function: consume the backup queue, put objects under events/ of the bucket.
data "aws_iam_policy_document" "backup" {
  source_policy_documents = [data.aws_iam_policy_document.logs["backup"].json]

  statement {
    sid       = "ConsumeBackupQueue"
    effect    = "Allow"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.backup.arn]
  }

  statement {
    sid       = "WriteBackups"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.backup.arn}/events/*"]
  }
}

# The replay function: drain the replay queue, send to the processing queue.
data "aws_iam_policy_document" "replay" {
  source_policy_documents = [data.aws_iam_policy_document.logs["replay"].json]

  statement {
    sid       = "DrainReplayQueue"
    effect    = "Allow"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage"]
    resources = [aws_sqs_queue.replay.arn]
  }

  statement {
    sid       = "ResendToProcessing"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.processing.arn]
  }
}

locals {
  policies = {
    processor = data.aws_iam_policy_document.processor.json
    backup    = data.aws_iam_policy_document.backup.json
    replay    = data.aws_iam_policy_document.replay.json
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions

  name   = "${each.key}-least-privilege"
  role   = aws_iam_role.function[each.key].id
  policy = local.policies[each.key]
}

resource "aws_lambda_function" "function" {
  for_each = local.functions

  function_name    = "${var.name_prefix}-${each.key}"
  description      = each.value.description
  role             = aws_iam_role.function[each.key].arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.lambda_architecture]
  memory_size      = 128
  timeout          = each.key == "replay" ? 60 : 3
  filename         = each.value.zip
  source_code_hash = filebase64sha256(each.value.zip)

  environment {
    variables = each.value.environment
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  # The log group and the permissions exist before the first invocation.
  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}

# Processing and backup consume their queues in batches of up to 10; each function reports the messages it could
# not handle (ReportBatchItemFailures), so only those are retried.
resource "aws_lambda_event_source_mapping" "processing" {
  event_source_arn        = aws_sqs_queue.processing.arn
  function_name           = aws_lambda_function.function["processor"].arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]
}

resource "aws_lambda_event_source_mapping" "backup" {
  event_source_arn        = aws_sqs_queue.backup.arn
  function_name           = aws_lambda_function.function["backup"].arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]
}
