//! AWS CLI calls through the `local-cloud serve` daemon's edge: S3 and DynamoDB reach moto, which generation of
//! deployed state `/_local/status` reports, the API Gateway integration fields moto itself keeps (through
//! moto's reset too), and the edge's own Invoke API answering for an unknown function. Needs python3 with
//! moto 5.2.1 and the AWS CLI.

use std::sync::OnceLock;

use serde_json::json;

use crate::support::{
    Cases,
    daemon::{Daemon, http},
};

/// The daemon, and the REST API the case "a REST API with a GET method" makes.
struct Edge {
    d: Daemon,
    api: OnceLock<(String, String)>,
}

impl Edge {
    /// The arguments naming the API's root GET method.
    fn method(&self) -> [&str; 6] {
        let (api, root) = self
            .api
            .get()
            .expect("the case that creates the REST API failed");
        [
            "--rest-api-id",
            api,
            "--resource-id",
            root,
            "--http-method",
            "GET",
        ]
    }
}

#[test]
fn aws_calls_go_through_the_edge_to_moto() {
    let mut cases = Cases::new(Edge {
        d: Daemon::start(),
        api: OnceLock::new(),
    });

    cases.blocking("S3 and DynamoDB through the edge, read back", |e| {
        let d = &e.d;
        d.aws_ok(&["s3api", "create-bucket", "--bucket", "edge-test-bucket"]);
        let buckets = d.aws_ok(&["s3api", "list-buckets"]);
        assert_eq!(buckets["Buckets"][0]["Name"], "edge-test-bucket");
        d.aws_ok(&[
            "dynamodb",
            "create-table",
            "--table-name",
            "edge-test-table",
            "--attribute-definitions",
            "AttributeName=pk,AttributeType=S",
            "--key-schema",
            "AttributeName=pk,KeyType=HASH",
            "--billing-mode",
            "PAY_PER_REQUEST",
        ]);
        assert_eq!(
            d.aws_ok(&["dynamodb", "list-tables"])["TableNames"],
            json!(["edge-test-table"])
        );
    });
    // After the case above: its writes are the data plane's only.
    cases.blocking("data-plane-only writes leave the generation at 0", |e| {
        let status = e.d.status();
        assert_eq!(
            status["generation"], 0,
            "data-plane-only writes must not bump the generation: {status}"
        );
    });
    // API Gateway: the connection fields moto dropped are kept by moto itself
    // (python/local_moto/apigateway.py), for calls through the edge as for any other.
    cases.blocking("a REST API with a GET method, through the edge", |e| {
        let d = &e.d;
        let api = d.aws_ok(&["apigateway", "create-rest-api", "--name", "edge-test"])["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let root =
            d.aws_ok(&["apigateway", "get-resources", "--rest-api-id", &api])["items"][0]["id"]
                .as_str()
                .unwrap()
                .to_owned();
        e.api.set((api, root)).unwrap();
        d.aws_ok(
            &[
                &["apigateway", "put-method"],
                &e.method()[..],
                &["--authorization-type", "NONE"],
            ]
            .concat(),
        );
    });
    cases.blocking("PutIntegration keeps the connection fields", |e| {
        let m = e.method();
        let put = e.d.aws_ok(
            &[
                &["apigateway", "put-integration"],
                &m[..],
                &[
                    "--type",
                    "HTTP_PROXY",
                    "--integration-http-method",
                    "GET",
                    "--uri",
                    "http://backend/",
                ],
                &[
                    "--connection-type",
                    "VPC_LINK",
                    "--connection-id",
                    "vl-one",
                    "--timeout-in-millis",
                    "5000",
                ],
            ]
            .concat(),
        );
        assert_eq!(put["connectionId"], "vl-one", "{put}");
        let got =
            e.d.aws_ok(&[&["apigateway", "get-integration"], &m[..]].concat());
        assert_eq!(
            (&got["connectionId"], &got["connectionType"]),
            (&"vl-one".into(), &"VPC_LINK".into()),
            "{got}"
        );
    });
    // After the case above, which made the integration.
    cases.blocking(
        "UpdateIntegration of the connection fields (moto itself answers 500 to it)",
        |e| {
            let m = e.method();
            let patched = e.d.aws_ok(
                &[
                    &["apigateway", "update-integration"],
                    &m[..],
                    &[
                        "--patch-operations",
                        "op=replace,path=/connectionId,value=vl-two",
                    ],
                ]
                .concat(),
            );
            assert_eq!(patched["connectionId"], "vl-two", "{patched}");
            let method =
                e.d.aws_ok(&[&["apigateway", "get-method"], &m[..]].concat());
            assert_eq!(
                method["methodIntegration"]["connectionId"], "vl-two",
                "{method}"
            );
        },
    );
    // After the API Gateway writes above.
    cases.blocking("control-plane writes bump the generation", |e| {
        let status = e.d.status();
        assert!(
            status["generation"].as_u64().unwrap() >= 4,
            "control-plane writes bump the generation: {status}"
        );
    });
    // The fields go with the model: deleting the API, or moto's reset, leaves nothing to answer.
    cases.blocking("a deleted API has no integration", |e| {
        let m = e.method();
        e.d.aws_ok(&["apigateway", "delete-rest-api", "--rest-api-id", m[1]]);
        let out =
            e.d.aws(&[&["apigateway", "get-integration"], &m[..]].concat());
        assert!(
            !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("NotFound"),
            "a deleted API has no integration: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    cases.blocking("moto's reset forgets every API", |e| {
        e.d.aws_ok(&["apigateway", "create-rest-api", "--name", "edge-reset"]);
        assert_eq!(http(e.d.port, "POST", "/moto-api/reset").0, 200);
        let apis = e.d.aws_ok(&["apigateway", "get-rest-apis"]);
        assert_eq!(
            apis["items"],
            json!([]),
            "a reset forgets every API: {apis}"
        );
    });
    cases.blocking(
        "the Invoke API is the edge's: an unknown function is AWS's 404",
        |e| {
            let out = e.d.aws(&[
                "lambda",
                "invoke",
                "--function-name",
                "no-such-fn",
                "/dev/null",
            ]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                !out.status.success() && err.contains("ResourceNotFoundException"),
                "{err}"
            );
            assert!(
                err.contains(
                    "Function not found: arn:aws:lambda:us-east-1:123456789012:function:no-such-fn"
                ),
                "{err}"
            );
        },
    );
    cases.finish();
}
