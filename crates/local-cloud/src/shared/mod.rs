//! Tools every service's data plane uses: generation-keyed caches of deployed state, URL and query helpers,
//! wildcard and CIDR matchers, CORS, Cognito JWT verification, IAM resource policies, and the outbound HTTP client.

pub mod cache;
pub mod cors;
pub mod http_client;
pub mod jwt;
pub mod matchers;
pub mod policy;
pub mod url;
