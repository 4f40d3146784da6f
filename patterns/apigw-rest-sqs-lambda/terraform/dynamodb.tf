# The orders table: partition key `id`, billed per request. The function puts each order it receives as one
# item; it may only put items into this table.

resource "aws_dynamodb_table" "orders" {
  name         = "${var.name_prefix}-orders"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }
}

data "aws_iam_policy_document" "store_orders" {
  statement {
    sid       = "StoreOrders"
    effect    = "Allow"
    actions   = ["dynamodb:PutItem"]
    resources = [aws_dynamodb_table.orders.arn]
  }
}

resource "aws_iam_role_policy" "store_orders" {
  name   = "store-orders"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.store_orders.json
}
