"""Tests of `local_moto.route53`: the local account's public hosted zone of `example.com`."""

from local_moto.route53 import LOCAL_ZONE_ID, LOCAL_ZONE_NAME


def test_the_account_owns_the_example_com_zone_under_its_fixed_id(aws):
    zones = aws("route53").list_hosted_zones_by_name(DNSName="example.com")["HostedZones"]
    ours = [z for z in zones if z["Name"] == LOCAL_ZONE_NAME]
    assert [z["Id"] for z in ours] == [f"/hostedzone/{LOCAL_ZONE_ID}"]
    assert ours[0]["Config"]["PrivateZone"] is False
    records = aws("route53").list_resource_record_sets(HostedZoneId=LOCAL_ZONE_ID)["ResourceRecordSets"]
    assert {r["Type"] for r in records} >= {"NS", "SOA"}


def test_an_alias_record_to_an_api_domain_is_kept(aws):
    r53 = aws("route53")
    r53.change_resource_record_sets(HostedZoneId=LOCAL_ZONE_ID, ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {"Name": "alias-test.example.com", "Type": "A", "AliasTarget": {
            "HostedZoneId": "Z1UJRXOUMOOFQ8", "DNSName": "d-abc.execute-api.us-east-1.amazonaws.com",
            "EvaluateTargetHealth": False}}}]})
    records = r53.list_resource_record_sets(HostedZoneId=LOCAL_ZONE_ID)["ResourceRecordSets"]
    alias = [r for r in records if r["Name"] == "alias-test.example.com."]
    assert alias[0]["AliasTarget"]["DNSName"] == "d-abc.execute-api.us-east-1.amazonaws.com"
