# The state machine whose Map state calls the processor function once per item, with Retry and Catch.
#
# The state machine's role may invoke the processor function and nothing else; the definition is the shared file
# statemachine/process.asl.json (the SAM template reads the same one), with `${ProcessorFunctionArn}` filled in.

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
    sid       = "InvokeProcessor"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.processor.arn]
  }
}

resource "aws_iam_role" "state_machine" {
  name               = "${var.name_prefix}-states"
  assume_role_policy = data.aws_iam_policy_document.states_assume_role.json
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "invoke-processor"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}

resource "aws_sfn_state_machine" "process" {
  name     = var.name_prefix
  role_arn = aws_iam_role.state_machine.arn
  definition = templatefile("${path.module}/../statemachine/process.asl.json", {
    ProcessorFunctionArn = aws_lambda_function.processor.arn
  })

  depends_on = [aws_iam_role_policy.state_machine]
}
