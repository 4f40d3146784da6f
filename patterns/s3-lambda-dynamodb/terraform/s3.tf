# The bucket: private (every kind of public access blocked, ACLs disabled) and encrypted with S3-managed keys.
# Objects created under var.key_prefix notify the function; nothing else does.

data "aws_caller_identity" "current" {}

resource "aws_s3_bucket" "uploads" {
  # Bucket names are global: AWS appends a unique suffix to the prefix.
  bucket_prefix = "${var.name_prefix}-"
  # An example: destroy deletes the objects too. Remove this for a bucket whose objects you keep.
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "uploads" {
  bucket                  = aws_s3_bucket.uploads.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Lets this bucket, in this account, and nothing else, invoke the function.
resource "aws_lambda_permission" "bucket" {
  statement_id   = "AllowInvokeFromUploadsBucket"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.metadata.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.uploads.arn
  source_account = data.aws_caller_identity.current.account_id
}

resource "aws_s3_bucket_notification" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  lambda_function {
    lambda_function_arn = aws_lambda_function.metadata.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = var.key_prefix
  }

  # S3 checks that it may invoke the function when the notification is set.
  depends_on = [aws_lambda_permission.bucket]
}
