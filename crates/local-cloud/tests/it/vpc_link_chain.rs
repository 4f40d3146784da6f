//! API Gateway's HTTP_PROXY over a VPC link against a real moto, configured only through AWS APIs (the chain
//! deployment of `support/chain.rs`): the NLB forwards to an internal ALB whose rules answer, redirect or
//! forward to a Lambda target group; warm requests make no AWS API calls (and how much the data plane adds to
//! a request is printed); a control-plane change is seen on the next request.

use std::{
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use bytes::Bytes;
use serde_json::json;

use crate::support::{
    Cases, chain,
    cloud::{execute_api, json_body, state_changed},
};

fn p50(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_api_vpc_link_nlb_alb_lambda_chain() {
    let (local, chain) = chain::deploy("lc-vpc-link-state").await;
    let mut cases = Cases::new(chain);

    cases
        .case(
            "the ALB's rules: a fixed response and a redirect",
            |c| async move {
                let r = execute_api(&c.cloud, "GET", &c.host, "/dev/fixed-price").await;
                assert_eq!(
                    (r.status().as_u16(), r.body().as_ref()),
                    (418, b"short and stout".as_ref())
                );
                let r = execute_api(&c.cloud, "GET", &c.host, "/dev/old/page?x=1").await;
                assert_eq!(r.status(), 301);
                assert_eq!(
                    r.headers()["location"],
                    "https://new.example.com:443/v2/old/page?x=1"
                );
            },
        )
        .await;
    cases
        .case(
            "the ALB's Lambda target group: the function gets the ALB event",
            |c| async move {
                let r = execute_api(&c.cloud, "POST", &c.host, "/dev/hello/world?q=v").await;
                assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
                let alb_event = json_body(&r);
                assert_eq!(alb_event["path"], "/hello/world");
                assert_eq!(alb_event["httpMethod"], "POST");
                assert_eq!(alb_event["queryStringParameters"], json!({"q": "v"}));
                assert_eq!(
                    alb_event["requestContext"]["elb"]["targetGroupArn"],
                    c.alb_tg.as_str()
                );
                assert_eq!(alb_event["headers"]["x-forwarded-proto"], "http");
                assert!(alb_event.get("multiValueHeaders").is_none());
            },
        )
        .await;
    cases
        .case("warm requests read no AWS state", |c| async move {
            // Warm: each route once, then count.
            execute_api(&c.cloud, "GET", &c.host, "/dev/fixed").await;
            execute_api(&c.cloud, "GET", &c.host, "/dev/hello").await;
            let before = c.aws_calls.load(Ordering::SeqCst);
            let mut fixed = Vec::new();
            let mut through = Vec::new();
            let mut direct_invoke = Vec::new();
            for _ in 0..40 {
                let t = Instant::now();
                let r = execute_api(&c.cloud, "GET", &c.host, "/dev/fixed").await;
                fixed.push(t.elapsed());
                assert_eq!(r.status(), 418);
                let t = Instant::now();
                let r = execute_api(&c.cloud, "GET", &c.host, "/dev/hello").await;
                through.push(t.elapsed());
                assert_eq!(r.status(), 200);
                let t = Instant::now();
                c.cloud
                    .lambda
                    .invoke(&c.alb_function, Bytes::from_static(b"{}"))
                    .await
                    .unwrap();
                direct_invoke.push(t.elapsed());
            }
            assert_eq!(
                c.aws_calls.load(Ordering::SeqCst),
                before,
                "warm requests made AWS API calls"
            );
            // What the data plane adds to a request: measured, never asserted.
            let (fixed, through, direct_invoke) = (p50(fixed), p50(through), p50(direct_invoke));
            eprintln!(
                "TIMING p50: API Gateway -> VPC link -> NLB -> ALB fixed-response {:.3} ms; \
                 ... -> Lambda {:.3} ms; the Lambda invoke alone {:.3} ms",
                fixed.as_secs_f64() * 1e3,
                through.as_secs_f64() * 1e3,
                direct_invoke.as_secs_f64() * 1e3
            );
        })
        .await;
    // Last: it removes the ALB's permission.
    cases
        .case(
            "a control-plane change is seen on the next request: without the ELB permission the ALB answers 502",
            |c| async move {
                let before = c.aws_calls.load(Ordering::SeqCst);
                c.aws
                    .lambda
                    .remove_permission()
                    .function_name(&c.alb_function)
                    .statement_id("alb")
                    .send()
                    .await
                    .unwrap();
                state_changed(&c.cloud);
                let r = execute_api(&c.cloud, "GET", &c.host, "/dev/hello").await;
                assert_eq!(r.status(), 502);
                assert_eq!(r.headers()["content-type"], "text/html");
                assert!(String::from_utf8_lossy(r.body()).contains("502 Bad Gateway"));
                assert!(
                    c.aws_calls.load(Ordering::SeqCst) > before,
                    "the new generation was read from moto"
                );
            },
        )
        .await;

    local.stop(cases.all_passed()).await;
    cases.finish();
}
