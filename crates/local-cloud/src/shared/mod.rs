//! Tools every service's data plane uses: generation-keyed caches of deployed state, URL and query helpers,
//! wildcard and CIDR matchers, CORS, Cognito JWT verification, IAM resource policies and roles' identity policies,
//! the outbound HTTP client, calls to moto as a service receives them and query-protocol XML as JSON.

pub mod aws_call;
pub mod cache;
pub mod cors;
pub mod http_client;
pub mod iam;
pub mod jwt;
pub mod matchers;
pub mod policy;
pub mod url;
pub mod xml;
