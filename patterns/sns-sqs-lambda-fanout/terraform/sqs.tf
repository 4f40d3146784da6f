# The branches' queues. Processing and backup trigger their functions through event source mappings (lambda.tf);
# the replay queue has none: it keeps every event for 14 days, until the replay function moves them.

resource "aws_sqs_queue" "processing" {
  name = "${var.name_prefix}-processing"
  # At least the processing function's timeout (3 s), as Lambda requires; a failed message returns within seconds.
  visibility_timeout_seconds = 4
  sqs_managed_sse_enabled    = true
}

resource "aws_sqs_queue" "backup" {
  name                       = "${var.name_prefix}-backup"
  visibility_timeout_seconds = 4
  sqs_managed_sse_enabled    = true
}

resource "aws_sqs_queue" "replay" {
  name                      = "${var.name_prefix}-replay"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}
