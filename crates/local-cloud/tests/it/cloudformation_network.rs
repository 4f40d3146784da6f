//! What the launcher adds to moto's CloudFormation for networks, against a real moto: the network of an
//! internet-facing load balancer (an internet gateway, a route to it and a subnet using it) is deleted with its
//! stack.

use std::sync::OnceLock;

use serde_json::json;

use crate::support::{
    Cases,
    moto::{self, xml_all},
    stacks::cfn,
};

/// What the cases share: moto's URL and the stack's id, once the case creating it has passed.
struct Network {
    url: String,
    stack_id: OnceLock<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_subnet_and_its_routing_are_deleted_with_their_stack() {
    let (moto, config) = moto::start("lc-cfn-public-state").await;
    let mut cases = Cases::new(Network {
        url: moto.url(),
        stack_id: OnceLock::new(),
    });

    cases
        .case(
            "the network of an internet-facing load balancer: CreateStack completes",
            |c| async move {
                // An internet gateway, a route to it and a subnet using it.
                let body = json!({
                    "Resources": {
                        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
                        "Gateway": {"Type": "AWS::EC2::InternetGateway"},
                        "Attachment": {"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {
                            "VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Gateway"}}},
                        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
                            "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24"}},
                        "Table": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
                        "DefaultRoute": {"Type": "AWS::EC2::Route", "DependsOn": "Attachment", "Properties": {
                            "RouteTableId": {"Ref": "Table"}, "DestinationCidrBlock": "0.0.0.0/0",
                            "GatewayId": {"Ref": "Gateway"}}},
                        "Association": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
                            "SubnetId": {"Ref": "Subnet"}, "RouteTableId": {"Ref": "Table"}}}
                    }
                })
                .to_string();
                let (status, xml) = cfn(
                    &c.url,
                    &[
                        ("Action", "CreateStack"),
                        ("StackName", "public"),
                        ("TemplateBody", &body),
                    ],
                )
                .await;
                assert_eq!(status, 200, "{xml}");
                let stack_id = xml_all(&xml, "StackId").remove(0);
                let (_, xml) = cfn(
                    &c.url,
                    &[("Action", "DescribeStacks"), ("StackName", &stack_id)],
                )
                .await;
                assert_eq!(xml_all(&xml, "StackStatus"), ["CREATE_COMPLETE"], "{xml}");
                c.stack_id.set(stack_id).unwrap();
            },
        )
        .await;
    // After the case above, which made the stack.
    cases
        .case(
            "DeleteStack completes: the VPC is deleted once its gateway, routes and associations are",
            |c| async move {
                let stack_id = c
                    .stack_id
                    .get()
                    .expect("the case creating the stack failed");
                let (status, xml) =
                    cfn(&c.url, &[("Action", "DeleteStack"), ("StackName", stack_id)]).await;
                assert_eq!(status, 200, "{xml}");
                let (_, xml) = cfn(
                    &c.url,
                    &[("Action", "DescribeStacks"), ("StackName", stack_id)],
                )
                .await;
                assert_eq!(
                    xml_all(&xml, "StackStatus"),
                    ["DELETE_COMPLETE"],
                    "the VPC is deleted once its gateway, routes and associations are: {xml}"
                );
            },
        )
        .await;

    moto.stop(std::time::Duration::from_secs(5)).await;
    if cases.all_passed() {
        let _ = std::fs::remove_dir_all(&config.state_dir);
    }
    cases.finish();
}
