//! What the launcher adds to moto's CloudFormation for the event sources SAM makes, against a real moto: a rule
//! on a custom bus named by `Ref`, a bucket's notification configuration and public access block.

use serde_json::json;

use crate::support::{
    Cases,
    moto::{self, s3_get, xml_all},
    stacks::cfn,
};

/// The function SAM's events name.
const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:handler";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_sources_keep_what_sam_makes_of_their_events() {
    let (moto, config) = moto::start("lc-cfn-sources-state").await;
    let mut cases = Cases::new(moto.url());

    cases
        .case(
            "the stack completes; Ref of a bus is its name",
            |url| async move {
                // What SAM makes of an `EventBridgeRule` event with `EventBusName: !Ref Bus`, and of an `S3` event.
                let body = json!({
                    "Resources": {
                        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "orders-bus"}},
                        "Rule": {"Type": "AWS::Events::Rule", "Properties": {
                            "EventBusName": {"Ref": "Bus"},
                            "EventPattern": {"source": ["orders"], "detail-type": ["ItemCreated"]}}},
                        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {
                            "BucketName": "sources-bucket",
                            "PublicAccessBlockConfiguration": {
                                "BlockPublicAcls": true, "BlockPublicPolicy": true,
                                "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
                            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                            "NotificationConfiguration": {"LambdaConfigurations": [{
                                "Event": "s3:ObjectCreated:*",
                                "Function": FUNCTION,
                                "Filter": {"S3Key": {"Rules": [
                                    {"Name": "prefix", "Value": "incoming/"},
                                    {"Name": "suffix", "Value": ".json"}]}}}]}}}
                    },
                    "Outputs": {"BusName": {"Value": {"Ref": "Bus"}}}
                })
                .to_string();
                let (status, xml) = cfn(
                    &url,
                    &[
                        ("Action", "CreateStack"),
                        ("StackName", "sources"),
                        ("TemplateBody", &body),
                    ],
                )
                .await;
                assert_eq!(status, 200, "{xml}");
                let (_, xml) = cfn(&url, &[("Action", "DescribeStacks"), ("StackName", "sources")])
                    .await;
                assert_eq!(xml_all(&xml, "StackStatus"), ["CREATE_COMPLETE"], "{xml}");
                assert_eq!(
                    xml_all(&xml, "OutputValue"),
                    ["orders-bus"],
                    "Ref of a bus is its name"
                );
            },
        )
        .await;
    // After the case creating the stack, as the next.
    cases
        .case(
            "the bucket's notification configuration",
            |url| async move {
                let notification = s3_get(&url, "/sources-bucket?notification").await;
                assert_eq!(
                    xml_all(&notification, "CloudFunction"),
                    [FUNCTION],
                    "{notification}"
                );
                assert_eq!(xml_all(&notification, "Event"), ["s3:ObjectCreated:*"]);
                assert_eq!(xml_all(&notification, "Value"), ["incoming/", ".json"]);
            },
        )
        .await;
    cases
        .case("the bucket's public access block", |url| async move {
            let block = s3_get(&url, "/sources-bucket?publicAccessBlock").await;
            assert_eq!(xml_all(&block, "BlockPublicAcls"), ["true"], "{block}");
            assert_eq!(
                xml_all(&block, "RestrictPublicBuckets"),
                ["true"],
                "{block}"
            );
        })
        .await;

    moto.stop(std::time::Duration::from_secs(5)).await;
    if cases.all_passed() {
        let _ = std::fs::remove_dir_all(&config.state_dir);
    }
    cases.finish();
}
