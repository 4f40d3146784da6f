# The private bucket holding the app's files: public access blocked, objects owned by the bucket owner (no ACLs),
# readable only by this pattern's CloudFront distribution through its Origin Access Control.

resource "aws_s3_bucket" "site" {
  bucket_prefix = "${var.name_prefix}-site-"
  # The files below are Terraform's own: `terraform destroy` removes them, then the bucket.
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket                  = aws_s3_bucket.site.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "site" {
  bucket = aws_s3_bucket.site.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# CloudFront (the service, signing for this distribution only) may read objects; nothing else may. No
# s3:ListBucket: a missing key then answers 403, which the distribution turns into the app's index.html.
data "aws_iam_policy_document" "site" {
  statement {
    sid       = "CloudFrontReadsForThisDistribution"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.site.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.site.arn]
    }
  }
}

resource "aws_s3_bucket_policy" "site" {
  bucket = aws_s3_bucket.site.id
  policy = data.aws_iam_policy_document.site.json

  # A policy naming a service principal is not public, but S3 checks the block before accepting any policy.
  depends_on = [aws_s3_bucket_public_access_block.site]
}

# The app: every file of ../site, with the content type a browser needs and an ETag that changes with the file.
locals {
  site_dir = "${path.module}/../site"
  content_types = {
    html = "text/html; charset=utf-8"
    js   = "text/javascript; charset=utf-8"
    css  = "text/css; charset=utf-8"
    svg  = "image/svg+xml"
    json = "application/json"
    ico  = "image/x-icon"
  }
}

resource "aws_s3_object" "site" {
  for_each = fileset(local.site_dir, "**")

  bucket       = aws_s3_bucket.site.id
  key          = each.value
  source       = "${local.site_dir}/${each.value}"
  etag         = filemd5("${local.site_dir}/${each.value}")
  content_type = lookup(local.content_types, reverse(split(".", each.value))[0], "application/octet-stream")
}
