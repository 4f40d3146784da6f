# The metadata table: one item per object, partition key `key` (the object key), billed per request.

resource "aws_dynamodb_table" "objects" {
  name         = "${var.name_prefix}-objects"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "key"

  attribute {
    name = "key"
    type = "S"
  }
}
