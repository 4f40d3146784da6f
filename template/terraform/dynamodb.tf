# The table the function records what it processed in: partition key `pk` (the item's id), billed per request.
# The function may only put items into it.

resource "aws_dynamodb_table" "items" {
  name         = "${var.name_prefix}-items"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
  }
}

data "aws_iam_policy_document" "put_items" {
  statement {
    sid       = "PutItems"
    effect    = "Allow"
    actions   = ["dynamodb:PutItem"]
    resources = [aws_dynamodb_table.items.arn]
  }
}

resource "aws_iam_role_policy" "put_items" {
  name   = "put-items"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.put_items.json
}
