# The custom event bus, the rule that matches the pattern's events on it, and the function as the rule's
# target. EventBridge invokes the function asynchronously: Lambda retries a failed invocation twice.

resource "aws_cloudwatch_event_bus" "this" {
  name = var.name_prefix
}

resource "aws_cloudwatch_event_rule" "item_created" {
  name           = "${var.name_prefix}-item-created"
  description    = "ItemCreated events of {{project-name}} to the function"
  event_bus_name = aws_cloudwatch_event_bus.this.name

  event_pattern = jsonencode({
    source        = ["{{project-name}}"]
    "detail-type" = ["ItemCreated"]
  })
}

resource "aws_cloudwatch_event_target" "function" {
  rule           = aws_cloudwatch_event_rule.item_created.name
  event_bus_name = aws_cloudwatch_event_bus.this.name
  arn            = aws_lambda_function.handler.arn
}

# Lets this rule, and nothing else, invoke the function.
resource "aws_lambda_permission" "rule" {
  statement_id  = "AllowInvokeFromEventBridgeRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.handler.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.item_created.arn
}
