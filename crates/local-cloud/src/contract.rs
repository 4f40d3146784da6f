//! The contract between `cargo xtask` and the daemon, defined once and used by both: the moto version the
//! launcher is written for, the ready file, the edge's `/_local/...` routes and the local URL forms of
//! execute-api, custom domain names, CloudFront, function URLs and internet-facing load balancers.

use serde::{Deserialize, Serialize};

/// The moto release the launcher (`python/local_moto`) is written for; `requirements.txt` pins the same
/// (checked by a test below).
pub const PINNED_MOTO: &str = "5.2.1";

/// The Python module moto runs as (`python -m local_moto ...`): what its command line holds.
pub const MOTO_LAUNCHER: &str = "local_moto";

/// glibc's allocator settings for the daemon (set by `cargo xtask local up`) and moto (set by the daemon), unless
/// the environment already has them. By default a freed block of 128 KiB or more raises the threshold under
/// which blocks are taken from the heap instead of mmap, and each thread may get an arena of its own: the big,
/// short-lived blocks of a deploy (a function's 17 MB zip: read by moto, fetched and unpacked by the daemon) then
/// stay in the heaps of many arenas after they are freed, and the RSS grows with every deploy although nothing is
/// kept (measured with `cargo xtask bench soak`: moto +6.5 MB and the daemon +4 MB per cycle). A fixed threshold
/// gives blocks of 256 KiB and more back to the system when freed, and two arenas bound what small blocks leave.
pub const MALLOC_ENV: &[(&str, &str)] = &[
    ("MALLOC_MMAP_THRESHOLD_", "262144"),
    ("MALLOC_ARENA_MAX", "2"),
];

/// [`MALLOC_ENV`] without the settings the environment already has (a user's own values win).
pub fn malloc_env() -> impl Iterator<Item = (&'static str, &'static str)> {
    MALLOC_ENV
        .iter()
        .copied()
        .filter(|(name, _)| std::env::var_os(name).is_none())
}

/// The file in the state directory that says a daemon is ready (written once it serves, removed when it
/// stops).
pub const READY_FILE: &str = "local-cloud.json";

/// What [`READY_FILE`] holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ready {
    pub pid: u32,
    pub edge_port: u16,
    pub moto_port: u16,
    pub moto_pid: u32,
    #[serde(default)]
    pub moto_version: String,
    /// RFC 3339, seconds.
    #[serde(default)]
    pub started_at: String,
    /// A random id of this run of the daemon and its moto, new at every start: deployments record it, so one made
    /// in an earlier run (which moto's memory lost with it) is known stale.
    #[serde(default)]
    pub instance: String,
}

/// The edge's own routes (everything else is AWS traffic).
pub mod routes {
    /// `GET`: the daemon's status (JSON): ports, moto's health, the services' generations.
    pub const STATUS: &str = "/_local/status";
    /// `POST`: writes out the function logs still queued for CloudWatch Logs.
    pub const LAMBDA_LOGS_FLUSH: &str = "/_local/lambda/logs/flush";
    /// `POST {INVOKE}{function arn}`: a synchronous invocation moto makes (event source mappings, Step Functions),
    /// run by our runtime.
    pub const LAMBDA_INVOKE: &str = "/_local/lambda/invoke/";
    /// `POST {INVOKE_ASYNC}{function arn}`: an asynchronous invocation moto makes for S3, SNS or EventBridge:
    /// queued (202) if the function's resource policy lets the source in (the `SOURCE_*` headers), else 403.
    pub const LAMBDA_INVOKE_ASYNC: &str = "/_local/lambda/async/";
    /// The service principal that invokes (`s3.amazonaws.com`, `sns.amazonaws.com`, `events.amazonaws.com`).
    pub const SOURCE_PRINCIPAL: &str = "x-local-source-principal";
    /// The ARN of the bucket, topic or rule that invokes.
    pub const SOURCE_ARN: &str = "x-local-source-arn";
    /// The account that owns the source.
    pub const SOURCE_ACCOUNT: &str = "x-local-source-account";
    const FUNCTIONS: &str = "/_local/lambda/functions/";
    const INSTANCES: &str = "/instances";

    /// `DELETE`: stops a function's idle instances, so the next invocation is a cold start.
    pub fn lambda_instances(function: &str) -> String {
        format!("{FUNCTIONS}{function}{INSTANCES}")
    }

    /// The function of a [`lambda_instances`] path (still percent-encoded).
    pub fn parse_lambda_instances(path: &str) -> Option<&str> {
        path.strip_prefix(FUNCTIONS)?
            .strip_suffix(INSTANCES)
            .filter(|f| !f.is_empty())
    }

    /// The function ARN of a [`LAMBDA_INVOKE`] path (still percent-encoded).
    pub fn parse_lambda_invoke(path: &str) -> Option<&str> {
        path.strip_prefix(LAMBDA_INVOKE).filter(|a| !a.is_empty())
    }

    /// The function ARN of a [`LAMBDA_INVOKE_ASYNC`] path (still percent-encoded).
    pub fn parse_lambda_invoke_async(path: &str) -> Option<&str> {
        path.strip_prefix(LAMBDA_INVOKE_ASYNC)
            .filter(|a| !a.is_empty())
    }
}

/// The local URL forms of what AWS serves on its own domains.
pub mod urls {
    /// The host suffix of execute-api's virtual-host form: `http://{api_id}.execute-api.localhost:{port}/{stage}/...`.
    pub const EXECUTE_API_HOST_SUFFIX: &str = ".execute-api.localhost";
    /// The marker of execute-api's path form: `http://127.0.0.1:{port}/restapis/{api_id}/{stage}/_user_request_/...`.
    pub const USER_REQUEST: &str = "_user_request_";
    /// The host suffix of a CloudFront distribution's local domain: `d1234abcd.cloudfront.net` is served at
    /// `http://d1234abcd.cloudfront.localhost:{port}/`.
    pub const CLOUDFRONT_HOST_SUFFIX: &str = ".cloudfront.localhost";
    /// The edge's route to internet-facing load balancers: `/_elb/{dns_name}:{port}/{path}`.
    pub const ELB_PREFIX: &str = "/_elb/";
    /// The host suffix of an API Gateway custom domain name's local form: `https://api.example.com/orders` is
    /// served at `http://api.example.com.domain.localhost:{port}/orders` (curl and browsers resolve `*.localhost`).
    pub const CUSTOM_DOMAIN_HOST_SUFFIX: &str = ".domain.localhost";

    /// `http://{domain}.domain.localhost:{port}{path}` for the custom domain name `domain` (`path` empty or
    /// starting with `/`).
    pub fn custom_domain(domain: &str, port: impl std::fmt::Display, path: &str) -> String {
        format!(
            "http://{}{CUSTOM_DOMAIN_HOST_SUFFIX}:{port}{path}",
            domain.trim_end_matches('.').to_ascii_lowercase()
        )
    }

    /// The custom domain name a Host header names in its local form (`api.example.com.domain.localhost[:port]`
    /// -> `api.example.com`), lowercase; `None` for any other host.
    pub fn custom_domain_of_host(host: &str) -> Option<String> {
        let name = match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let domain = name.strip_suffix(CUSTOM_DOMAIN_HOST_SUFFIX)?;
        (!domain.is_empty() && !domain.starts_with('.')).then(|| domain.to_owned())
    }

    /// The host suffix of a Lambda function URL's local domain: `https://{url_id}.lambda-url.{region}.on.aws/` is
    /// served at `http://{url_id}.lambda-url.localhost:{port}/`.
    pub const LAMBDA_URL_HOST_SUFFIX: &str = ".lambda-url.localhost";

    /// The url id of a function URL's domain `{url_id}.lambda-url.{region}.on.aws` (`None` for another domain).
    pub fn lambda_url_id(domain: &str) -> Option<&str> {
        let (id, rest) = domain.split_once(".lambda-url.")?;
        let region = rest.strip_suffix(".on.aws")?;
        (!id.is_empty() && !region.is_empty() && !region.contains('.')).then_some(id)
    }

    /// `http://{url_id}.lambda-url.localhost:{port}{path}` for the function URL domain
    /// `{url_id}.lambda-url.{region}.on.aws` (`None` for another domain).
    pub fn lambda_url(domain: &str, port: impl std::fmt::Display, path: &str) -> Option<String> {
        let id = lambda_url_id(domain)?;
        Some(format!("http://{id}{LAMBDA_URL_HOST_SUFFIX}:{port}{path}"))
    }

    /// `http://{api_id}.execute-api.localhost:{port}{path}` (`path` empty or starting with `/`).
    pub fn execute_api(api_id: &str, port: impl std::fmt::Display, path: &str) -> String {
        format!("http://{api_id}{EXECUTE_API_HOST_SUFFIX}:{port}{path}")
    }

    /// `http://{id}.cloudfront.localhost:{port}{path}` for the distribution domain `{id}.cloudfront.net`
    /// (`None` for another domain).
    pub fn cloudfront(domain: &str, port: impl std::fmt::Display, path: &str) -> Option<String> {
        let id = domain.strip_suffix(".cloudfront.net")?;
        (!id.is_empty() && !id.contains('.'))
            .then(|| format!("http://{id}{CLOUDFRONT_HOST_SUFFIX}:{port}{path}"))
    }

    /// The path form of the same request on 127.0.0.1, for clients that cannot resolve `*.localhost`.
    pub fn execute_api_path_form(
        port: impl std::fmt::Display,
        api_id: &str,
        stage: &str,
        rest: &str,
    ) -> String {
        format!("http://127.0.0.1:{port}/restapis/{api_id}/{stage}/{USER_REQUEST}/{rest}")
    }

    /// `{edge}/_elb/{dns}:{port}/{path}` (`path` without its leading `/`).
    pub fn elb(edge_url: &str, dns: &str, port: impl std::fmt::Display, path: &str) -> String {
        format!(
            "{}{ELB_PREFIX}{dns}:{port}/{path}",
            edge_url.trim_end_matches('/')
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_pin_the_moto_the_launcher_is_written_for() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let requirements = std::fs::read_to_string(root.join("requirements.txt")).unwrap();
        assert!(
            requirements
                .lines()
                .any(|l| l.trim() == format!("moto[server]=={PINNED_MOTO}")),
            "requirements.txt must pin moto[server]=={PINNED_MOTO} (crates/local-cloud/src/contract.rs)"
        );
    }

    #[test]
    fn the_launcher_refuses_every_moto_but_the_pinned_one() {
        let launcher = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("python")
            .join(MOTO_LAUNCHER)
            .join("launcher.py");
        let source = std::fs::read_to_string(&launcher).unwrap();
        assert!(
            source.contains(&format!("PINNED_MOTO = \"{PINNED_MOTO}\"")),
            "{} must pin moto {PINNED_MOTO}, as crates/local-cloud/src/contract.rs does",
            launcher.display()
        );
    }

    #[test]
    fn routes_round_trip() {
        let path = routes::lambda_instances("fn%3A1");
        assert_eq!(routes::parse_lambda_instances(&path), Some("fn%3A1"));
        assert_eq!(
            routes::parse_lambda_instances("/_local/lambda/functions//instances"),
            None
        );
        let invoke = format!("{}arn%3Aaws", routes::LAMBDA_INVOKE);
        assert_eq!(routes::parse_lambda_invoke(&invoke), Some("arn%3Aaws"));
        assert_eq!(routes::parse_lambda_invoke(routes::LAMBDA_INVOKE), None);
        let invoke = format!("{}arn%3Aaws", routes::LAMBDA_INVOKE_ASYNC);
        assert_eq!(
            routes::parse_lambda_invoke_async(&invoke),
            Some("arn%3Aaws")
        );
        assert_eq!(routes::parse_lambda_invoke(&invoke), None);
    }

    #[test]
    fn url_forms() {
        assert_eq!(
            urls::execute_api("abc", 4566, "/prod"),
            "http://abc.execute-api.localhost:4566/prod"
        );
        assert_eq!(
            urls::execute_api_path_form(4566, "abc", "prod", "hello?x=1"),
            "http://127.0.0.1:4566/restapis/abc/prod/_user_request_/hello?x=1"
        );
        assert_eq!(
            urls::custom_domain("API.example.com.", 4566, "/orders/1"),
            "http://api.example.com.domain.localhost:4566/orders/1"
        );
        for host in [
            "api.example.com.domain.localhost:4566",
            "API.Example.com.domain.localhost",
            "api.example.com.domain.localhost.",
        ] {
            assert_eq!(
                urls::custom_domain_of_host(host).as_deref(),
                Some("api.example.com"),
                "{host}"
            );
        }
        assert_eq!(urls::custom_domain_of_host("domain.localhost:4566"), None);
        assert_eq!(urls::custom_domain_of_host(".domain.localhost"), None);
        assert_eq!(
            urls::custom_domain_of_host("abc.execute-api.localhost"),
            None
        );
        assert_eq!(
            urls::lambda_url("abc123.lambda-url.us-east-1.on.aws", 4566, "/x").as_deref(),
            Some("http://abc123.lambda-url.localhost:4566/x")
        );
        assert_eq!(
            urls::lambda_url("abc.execute-api.us-east-1.amazonaws.com", 1, ""),
            None
        );
        assert_eq!(
            urls::lambda_url(".lambda-url.us-east-1.on.aws", 1, ""),
            None
        );
        assert_eq!(
            urls::elb("http://127.0.0.1:4566/", "a.elb.amazonaws.com", 80, "x"),
            "http://127.0.0.1:4566/_elb/a.elb.amazonaws.com:80/x"
        );
    }
}
