# The distribution: an origin group of the two APIs. CloudFront sends each request to the primary; when it
# answers one of the failover status codes (or cannot be reached), CloudFront sends the same request to the
# secondary and answers with that. Nothing is cached, so every request tries the primary first.

locals {
  # AWS's managed policies, whose ids are the same in every account:
  # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
  caching_disabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
  all_viewer_except_host_header = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
}

resource "aws_cloudfront_distribution" "api" {
  enabled     = true
  comment     = "${var.name_prefix}: an API with a failover origin"
  price_class = "PriceClass_100"

  dynamic "origin" {
    for_each = local.origins
    content {
      origin_id   = origin.key
      domain_name = replace(aws_apigatewayv2_api.origin[origin.key].api_endpoint, "https://", "")

      custom_origin_config {
        http_port              = 80
        https_port             = 443
        origin_protocol_policy = "https-only"
        origin_ssl_protocols   = ["TLSv1.2"]
      }
    }
  }

  origin_group {
    origin_id = "api"

    failover_criteria {
      status_codes = [500, 502, 503, 504]
    }

    member {
      origin_id = "primary"
    }

    member {
      origin_id = "secondary"
    }
  }

  # An origin group serves GET, HEAD and OPTIONS only.
  default_cache_behavior {
    target_origin_id         = "api"
    viewer_protocol_policy   = "redirect-to-https"
    allowed_methods          = ["GET", "HEAD", "OPTIONS"]
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
