# Who may get an API key: the users of this Cognito user pool, signed in through its app client. The REST API's
# Cognito authorizer takes their ID tokens.

resource "aws_cognito_user_pool" "users" {
  name = "${var.name_prefix}-users"

  password_policy {
    minimum_length = 12
  }
}

resource "aws_cognito_user_pool_client" "portal" {
  name            = "${var.name_prefix}-portal"
  user_pool_id    = aws_cognito_user_pool.users.id
  generate_secret = false

  # SRP for browsers; the admin password flow lets an operator (and `cargo xtask verify`) get a token.
  explicit_auth_flows = [
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
  ]
}
