# The orders table: partition key `id`, billed per request. The function adds 1 to an order's `processed`
# counter each time it processes it; it may only update items of this table.

resource "aws_dynamodb_table" "orders" {
  name         = "${var.name_prefix}-orders"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }
}

data "aws_iam_policy_document" "count_orders" {
  statement {
    sid       = "CountOrders"
    effect    = "Allow"
    actions   = ["dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.orders.arn]
  }
}

resource "aws_iam_role_policy" "count_orders" {
  name   = "count-orders"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.count_orders.json
}
