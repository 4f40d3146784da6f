"""Tests of `local_moto.acm`: DNS validation issues a certificate only once its records are in a hosted zone, and
CloudFormation certificates write those records themselves."""

import time

from conftest import unique
from local_moto.route53 import LOCAL_ZONE_ID


def upsert_validation_record(aws, option: dict) -> None:
    record = option["ResourceRecord"]
    aws("route53").change_resource_record_sets(HostedZoneId=LOCAL_ZONE_ID, ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {"Name": record["Name"], "Type": record["Type"], "TTL": 300,
                                                  "ResourceRecords": [{"Value": record["Value"]}]}}]})


def test_a_certificate_stays_pending_until_its_validation_record_exists(aws, monkeypatch):
    from moto import settings
    monkeypatch.setattr(settings, "ACM_VALIDATION_WAIT", 0)  # moto's timer would have issued it at once
    acm = aws("acm")
    name = f"{unique('pending')}.example.com"
    arn = acm.request_certificate(DomainName=name, ValidationMethod="DNS")["CertificateArn"]
    time.sleep(0.01)
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert cert["Status"] == "PENDING_VALIDATION"
    [option] = cert["DomainValidationOptions"]
    assert option["ResourceRecord"]["Type"] == "CNAME"
    upsert_validation_record(aws, option)
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED"


def test_every_name_of_the_certificate_needs_its_record(aws):
    acm = aws("acm")
    name, other = f"{unique('a')}.example.com", f"{unique('b')}.example.com"
    arn = acm.request_certificate(DomainName=name, SubjectAlternativeNames=[other],
                                  ValidationMethod="DNS")["CertificateArn"]
    options = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
    upsert_validation_record(aws, next(o for o in options if o["DomainName"] == name))
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"
    upsert_validation_record(aws, next(o for o in options if o["DomainName"] == other))
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED"


def test_cloudformation_writes_the_validation_record_and_the_certificate_is_issued(aws, stack):
    name = f"{unique('cfn')}.example.com"
    out = stack({"Resources": {"Cert": {"Type": "AWS::CertificateManager::Certificate", "Properties": {
        "DomainName": name, "ValidationMethod": "DNS",
        "DomainValidationOptions": [{"DomainName": name, "HostedZoneId": LOCAL_ZONE_ID}]}}},
        "Outputs": {"Arn": {"Value": {"Ref": "Cert"}}}})
    assert out["StackStatus"] == "CREATE_COMPLETE", out["events"]
    arn = out["Outputs"][0]["OutputValue"]
    cert = aws("acm").describe_certificate(CertificateArn=arn)["Certificate"]
    assert cert["Status"] == "ISSUED"
    record = cert["DomainValidationOptions"][0]["ResourceRecord"]["Name"]
    names = [r["Name"] for r in aws("route53").list_resource_record_sets(
        HostedZoneId=LOCAL_ZONE_ID)["ResourceRecordSets"]]
    assert record in names
    aws("cloudformation").delete_stack(StackName=out["StackName"])
    assert arn not in [c["CertificateArn"] for c in aws("acm").list_certificates()["CertificateSummaryList"]]


def test_without_a_hosted_zone_cloudformation_leaves_it_pending(aws, stack):
    name = f"{unique('nozone')}.example.com"
    out = stack({"Resources": {"Cert": {"Type": "AWS::CertificateManager::Certificate", "Properties": {
        "DomainName": name, "ValidationMethod": "DNS"}}}, "Outputs": {"Arn": {"Value": {"Ref": "Cert"}}}})
    arn = out["Outputs"][0]["OutputValue"]
    assert aws("acm").describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"
