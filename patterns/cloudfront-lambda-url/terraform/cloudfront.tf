# The distribution in front of the function URL: an Origin Access Control of type `lambda` signs every origin
# request (SigV4) as CloudFront, for this distribution; nothing is cached, and every viewer header but Host goes
# on (Host must be the URL's own domain, or Lambda cannot route the request).

locals {
  # AWS's managed policies, whose ids are the same in every account:
  # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
  caching_disabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
  all_viewer_except_host_header = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
}

resource "aws_cloudfront_origin_access_control" "function_url" {
  name                              = "${var.name_prefix}-function-url"
  description                       = "CloudFront signs its requests to the function URL"
  origin_access_control_origin_type = "lambda"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_distribution" "hello" {
  enabled     = true
  comment     = "${var.name_prefix}: a Rust Lambda behind its function URL"
  price_class = "PriceClass_100"

  origin {
    origin_id                = "function-url"
    domain_name              = split("/", aws_lambda_function_url.hello.function_url)[2]
    origin_access_control_id = aws_cloudfront_origin_access_control.function_url.id

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  # GET and HEAD only: with an Origin Access Control, a POST or PUT to a function URL needs the viewer to send
  # the body's SHA-256 in x-amz-content-sha256 (CloudFront signs, it does not hash the body).
  default_cache_behavior {
    target_origin_id         = "function-url"
    viewer_protocol_policy   = "redirect-to-https"
    allowed_methods          = ["GET", "HEAD"]
    cached_methods           = ["GET", "HEAD"]
    compress                 = true
    cache_policy_id          = local.caching_disabled
    origin_request_policy_id = local.all_viewer_except_host_header
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
