# The approvals queue and the state machine that sends each order to it with a task token, then waits.
#
# The state machine's role may send to the approvals queue and nothing else; the definition is the shared file
# statemachine/approval.asl.json (the SAM template reads the same one), with `${QueueUrl}` filled in.

resource "aws_sqs_queue" "approvals" {
  name = "${var.name_prefix}-approvals"
  # At least the function's timeout (3 s), as Lambda requires; an answer that failed is retried after it.
  visibility_timeout_seconds = 4
  sqs_managed_sse_enabled    = true
}

data "aws_iam_policy_document" "states_assume_role" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "state_machine" {
  statement {
    sid       = "SendToApprovals"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.approvals.arn]
  }
}

resource "aws_iam_role" "state_machine" {
  name               = "${var.name_prefix}-states"
  assume_role_policy = data.aws_iam_policy_document.states_assume_role.json
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "send-to-approvals"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}

resource "aws_sfn_state_machine" "approval" {
  name     = var.name_prefix
  role_arn = aws_iam_role.state_machine.arn
  definition = templatefile("${path.module}/../statemachine/approval.asl.json", {
    QueueUrl = aws_sqs_queue.approvals.url
  })

  depends_on = [aws_iam_role_policy.state_machine]
}
