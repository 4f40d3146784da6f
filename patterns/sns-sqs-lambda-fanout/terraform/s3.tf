# The backup bucket: private (every kind of public access blocked, ACLs disabled) and encrypted with S3-managed
# keys. The backup function may only put objects under `events/`.

resource "aws_s3_bucket" "backup" {
  # Bucket names are global: AWS appends a unique suffix to the prefix.
  bucket_prefix = "${var.name_prefix}-"
  # An example: destroy deletes the objects too. Remove this for a backup you keep.
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "backup" {
  bucket                  = aws_s3_bucket.backup.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "backup" {
  bucket = aws_s3_bucket.backup.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "backup" {
  bucket = aws_s3_bucket.backup.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}
