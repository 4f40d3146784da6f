"""Tests of local_moto.cloudfront: origins keep their origin access control, distributions AWS's ARN, response
headers policies and the managed cache policies answer as AWS's, CloudFormation distributions (with an origin access
control, a response headers policy and a bucket policy), and the `/_local/cloudfront/...` routes the data plane
reads."""

import json
import urllib.request

from conftest import ACCOUNT, unique

SECURITY_HEADERS = {
    "StrictTransportSecurity": {"Override": True, "AccessControlMaxAgeSec": 63072000, "IncludeSubdomains": True,
                                "Preload": False},
    "ContentTypeOptions": {"Override": True},
    "FrameOptions": {"Override": True, "FrameOption": "DENY"},
    "ReferrerPolicy": {"Override": True, "ReferrerPolicy": "strict-origin-when-cross-origin"},
    "ContentSecurityPolicy": {"Override": True, "ContentSecurityPolicy": "default-src 'self'"},
}


def distribution_config(bucket: str, oac_id: str = "", **extra) -> dict:
    return {
        "CallerReference": unique("ref"), "Comment": "", "Enabled": True, "DefaultRootObject": "index.html",
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "site", "DomainName": f"{bucket}.s3.us-east-1.amazonaws.com", "OriginAccessControlId": oac_id,
            "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
        **extra,
    }


def local(moto_url: str, path: str):
    with urllib.request.urlopen(f"{moto_url}/_local/cloudfront/{path}") as resp:
        return resp.status, dict(resp.headers), resp.read()


def test_an_origin_keeps_its_access_control_and_the_arn_is_awss(aws):
    cf = aws("cloudfront")
    oac = cf.create_origin_access_control(OriginAccessControlConfig={
        "Name": unique("oac"), "SigningProtocol": "sigv4", "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]
    dist = cf.create_distribution(DistributionConfig=distribution_config("site", oac["Id"]))["Distribution"]
    assert dist["ARN"] == f"arn:aws:cloudfront::{ACCOUNT}:distribution/{dist['Id']}"
    read = cf.get_distribution(Id=dist["Id"])["Distribution"]["DistributionConfig"]
    assert read["Origins"]["Items"][0]["OriginAccessControlId"] == oac["Id"]


def test_response_headers_policies_round_trip_and_managed_cache_policies_answer(aws):
    cf = aws("cloudfront")
    name = unique("headers")
    created = cf.create_response_headers_policy(ResponseHeadersPolicyConfig={
        "Name": name, "SecurityHeadersConfig": SECURITY_HEADERS})
    policy_id = created["ResponseHeadersPolicy"]["Id"]
    got = cf.get_response_headers_policy(Id=policy_id)
    assert got["ETag"] == created["ETag"]
    config = got["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]
    assert config["SecurityHeadersConfig"]["FrameOptions"] == {"Override": True, "FrameOption": "DENY"}
    listed = cf.list_response_headers_policies()["ResponseHeadersPolicyList"]["Items"]
    assert policy_id in [p["ResponseHeadersPolicy"]["Id"] for p in listed]
    cf.delete_response_headers_policy(Id=policy_id, IfMatch=got["ETag"])
    try:
        cf.get_response_headers_policy(Id=policy_id)
        raise AssertionError("the deleted policy is still there")
    except cf.exceptions.NoSuchResponseHeadersPolicy:
        pass
    optimized = cf.get_cache_policy(Id="658327ea-f89d-4fab-a63d-7e88639e58f6")["CachePolicy"]
    assert optimized["CachePolicyConfig"]["Name"] == "Managed-CachingOptimized"
    assert optimized["CachePolicyConfig"]["DefaultTTL"] == 86400
    names = [p["CachePolicy"]["CachePolicyConfig"]["Name"]
             for p in cf.list_cache_policies(Type="managed")["CachePolicyList"]["Items"]]
    assert "Managed-CachingDisabled" in names


def test_a_stack_makes_the_distribution_its_policies_and_the_bucket_policy(aws, stack, moto_url):
    bucket = unique("spa")
    template = {"Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": bucket}},
        "Oac": {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {"OriginAccessControlConfig": {
            "Name": bucket, "OriginAccessControlOriginType": "s3", "SigningBehavior": "always",
            "SigningProtocol": "sigv4"}}},
        "Headers": {"Type": "AWS::CloudFront::ResponseHeadersPolicy", "Properties": {"ResponseHeadersPolicyConfig": {
            "Name": bucket, "SecurityHeadersConfig": SECURITY_HEADERS}}},
        "Cdn": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
            "Enabled": True, "DefaultRootObject": "index.html",
            "Origins": [{"Id": "site", "DomainName": {"Fn::GetAtt": ["Bucket", "RegionalDomainName"]},
                         "OriginAccessControlId": {"Fn::GetAtt": ["Oac", "Id"]},
                         "S3OriginConfig": {"OriginAccessIdentity": ""}}],
            "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                                     "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
                                     "ResponseHeadersPolicyId": {"Ref": "Headers"}},
            "CustomErrorResponses": [{"ErrorCode": 403, "ResponseCode": 200, "ResponsePagePath": "/index.html"}]}}},
        "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
                "Resource": {"Fn::Sub": "arn:aws:s3:::${Bucket}/*"},
                "Condition": {"StringEquals": {"AWS:SourceArn": {
                    "Fn::Sub": "arn:aws:cloudfront::${AWS::AccountId}:distribution/${Cdn}"}}}}]}}},
    }, "Outputs": {"Domain": {"Value": {"Fn::GetAtt": ["Cdn", "DomainName"]}}, "Id": {"Value": {"Ref": "Cdn"}}}}
    created = stack(template)
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in created["Outputs"]}
    assert outputs["Domain"].endswith(".cloudfront.net")
    dist = aws("cloudfront").get_distribution(Id=outputs["Id"])["Distribution"]
    assert dist["DistributionConfig"]["CustomErrorResponses"]["Items"][0]["ResponsePagePath"] == "/index.html"
    policy = json.loads(aws("s3").get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Condition"]["StringEquals"]["AWS:SourceArn"] == dist["ARN"]

    status, _, body = local(moto_url, "distributions")
    model = json.loads(body)
    mine = next(d for d in model["distributions"] if d["Id"] == outputs["Id"])
    behaviour = mine["DistributionConfig"]["DefaultCacheBehavior"]
    assert model["response_headers_policies"][behaviour["ResponseHeadersPolicyId"]]["Name"] == bucket
    origin = mine["DistributionConfig"]["Origins"]["Items"][0]
    assert model["origin_access_controls"][origin["OriginAccessControlId"]]["SigningBehavior"] == "always"

    aws("s3").put_object(Bucket=bucket, Key="index.html", Body=b"<html></html>", ContentType="text/html")
    status, headers, body = local(moto_url, f"s3/{bucket}/index.html")
    assert (status, headers["content-type"], body) == (200, "text/html", b"<html></html>")
    status, _, body = local(moto_url, f"s3/{bucket}")
    assert json.loads(json.loads(body)["policy"])["Statement"][0]["Action"] == "s3:GetObject"
    try:
        local(moto_url, f"s3/{bucket}/missing.html")
        raise AssertionError("a missing key answered")
    except urllib.error.HTTPError as e:
        assert e.code == 404 and json.loads(e.read())["code"] == "NoSuchKey"


def test_a_behaviour_may_target_an_origin_group_which_reads_back(aws, moto_url):
    cf = aws("cloudfront")
    api = {"CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"}}
    groups = {"Quantity": 1, "Items": [{
        "Id": "api", "FailoverCriteria": {"StatusCodes": {"Quantity": 2, "Items": [500, 503]}},
        "Members": {"Quantity": 2, "Items": [{"OriginId": "primary"}, {"OriginId": "secondary"}]}}]}
    config = distribution_config("unused", OriginGroups=groups)
    config["Origins"] = {"Quantity": 2, "Items": [
        {"Id": "primary", "DomainName": "a1.execute-api.us-east-1.amazonaws.com", **api},
        {"Id": "secondary", "DomainName": "b2.execute-api.us-east-1.amazonaws.com", **api}]}
    config["DefaultCacheBehavior"]["TargetOriginId"] = "api"
    dist = cf.create_distribution(DistributionConfig=config)["Distribution"]
    read = cf.get_distribution(Id=dist["Id"])["Distribution"]["DistributionConfig"]
    assert read["DefaultCacheBehavior"]["TargetOriginId"] == "api"
    assert read["OriginGroups"]["Quantity"] == 1
    group = read["OriginGroups"]["Items"][0]
    assert group["FailoverCriteria"]["StatusCodes"]["Items"] == [500, 503]
    assert [m["OriginId"] for m in group["Members"]["Items"]] == ["primary", "secondary"]
    model = json.loads(local(moto_url, "distributions")[2])
    mine = next(d for d in model["distributions"] if d["Id"] == dist["Id"])
    assert mine["DistributionConfig"]["DefaultCacheBehavior"]["TargetOriginId"] == "api"
    # A target that is neither an origin nor a group is still refused, as AWS refuses it.
    config = distribution_config("unused")
    config["DefaultCacheBehavior"]["TargetOriginId"] = "nowhere"
    try:
        cf.create_distribution(DistributionConfig=config)
        raise AssertionError("a behaviour targeting nothing was accepted")
    except cf.exceptions.NoSuchOrigin:
        pass
