//! Load balancers reached from the host through the edge's `/_elb/` route, against a real moto configured only
//! through AWS APIs: an internet-facing ALB (created without `Scheme`, as Terraform does for `internal = false`)
//! serves its listener and its host-header rules (the client's Host); a port without a listener, an internal ALB
//! and an unknown DNS name are refused.

use aws_sdk_elasticloadbalancingv2::types::{
    LoadBalancerSchemeEnum, LoadBalancerTypeEnum, ProtocolEnum,
};

use crate::support::{
    Cases,
    cloud::{LocalCloud, from_host, json_body, state_changed},
    network::{fixed_response, host_is, listener, load_balancer, rule, vpc_with_two_subnets},
};

/// What the cases share.
struct Balancers {
    cloud: local_cloud::SharedCloud,
    /// DNS names of an internet-facing ALB (a fixed 200 on 8080) and of an internal one (a fixed 200 on 80).
    public_dns: String,
    internal_dns: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internet_facing_load_balancers_are_served_from_the_host() {
    let local = LocalCloud::start("lc-elb-public-state").await;
    let (_, subnets) = vpc_with_two_subnets(&local.url).await;
    let elb = &local.aws.elb;
    // No `Scheme`, as Terraform sends for `internal = false`: internet-facing, as on AWS.
    let public = load_balancer(
        elb,
        "public-alb",
        LoadBalancerTypeEnum::Application,
        None,
        &subnets,
    )
    .await;
    let hello = fixed_response("200", "hello from the internet");
    let listener_arn = listener(elb, &public.arn, ProtocolEnum::Http, 8080, hello).await;
    let catalog = fixed_response("200", "the catalog");
    rule(elb, &listener_arn, 10, host_is("catalog.*"), catalog).await;
    let internal = load_balancer(
        elb,
        "alb",
        LoadBalancerTypeEnum::Application,
        Some(LoadBalancerSchemeEnum::Internal),
        &subnets,
    )
    .await;
    let inside = fixed_response("200", "only from inside the VPC");
    listener(elb, &internal.arn, ProtocolEnum::Http, 80, inside).await;
    // The test wrote to moto directly, not through the edge, which would have bumped the generation.
    state_changed(&local.cloud);
    let mut cases = Cases::new(Balancers {
        cloud: local.cloud.clone(),
        public_dns: public.dns,
        internal_dns: internal.dns,
    });

    cases
        .case(
            "an internet-facing ALB serves its listener",
            |c| async move {
                let r = from_host(
                    &c.cloud,
                    &format!("/_elb/{}:8080/any/path?q=1", c.public_dns),
                )
                .await;
                assert_eq!(
                    (r.status().as_u16(), r.body().as_ref()),
                    (200, b"hello from the internet".as_ref())
                );
            },
        )
        .await;
    cases
        .case(
            "a Host of the client's own reaches a host-header rule; the edge's own name does not",
            |c| async move {
                // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html#host-conditions
                let path = format!("/_elb/{}:8080/", c.public_dns);
                let req = http::Request::get(&path)
                    .header("host", "catalog.example.com")
                    .body(bytes::Bytes::new())
                    .unwrap();
                let r = local_cloud::elb::public::handle(&c.cloud, req).await;
                assert_eq!(r.body().as_ref(), b"the catalog");
                let r = from_host(&c.cloud, &path).await;
                assert_eq!(r.body().as_ref(), b"hello from the internet");
            },
        )
        .await;
    cases
        .case("a port without a listener: 502", |c| async move {
            let r = from_host(&c.cloud, &format!("/_elb/{}:80/fixed", c.public_dns)).await;
            assert_eq!(r.status(), 502, "no listener on 80");
        })
        .await;
    cases
        .case("an internal ALB is refused: 403", |c| async move {
            let r = from_host(&c.cloud, &format!("/_elb/{}/fixed", c.internal_dns)).await;
            assert_eq!(r.status(), 403);
            assert!(
                json_body(&r)["message"]
                    .as_str()
                    .unwrap()
                    .contains("internal")
            );
        })
        .await;
    cases
        .case("an unknown DNS name: 404", |c| async move {
            let r = from_host(&c.cloud, "/_elb/nope.elb.amazonaws.com/").await;
            assert_eq!(r.status(), 404);
        })
        .await;

    local.stop(cases.all_passed()).await;
    cases.finish();
}
