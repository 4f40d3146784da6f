"""Certificate Manager (ACM): a certificate requested with DNS validation is issued once its validation CNAME
records are in a Route 53 hosted zone of the account, as ACM issues it once it finds them in DNS (moto 5.2.1 issued
every requested certificate 60 s after the request, records or not, so `aws_acm_certificate_validation` passed
without the records); CloudFormation `AWS::CertificateManager::Certificate`, which moto does not model, writing the
validation records into the hosted zones its `DomainValidationOptions` name, as CloudFormation does.
https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-certificatemanager-certificate.html"""

from moto.acm.models import CertBundle, acm_backends
from moto.core.common_models import CloudFormationModel
from moto.route53.models import route53_backends
from moto.utilities.utils import get_partition

from local_moto.common import Context, gone, tags


def patch(ctx: Context) -> None:
    original_check = CertBundle.check

    def check(self) -> None:
        status = self.status
        original_check(self)  # expiry, and moto's timer (undone below)
        if status == "PENDING_VALIDATION" and self.type == "AMAZON_ISSUED":
            self.status = "ISSUED" if validated(self) else "PENDING_VALIDATION"

    CertBundle.check = check


def validation_records(cert) -> list[dict]:
    """The CNAME records ACM asks for: one per name of the certificate (`DomainValidationOptions[].ResourceRecord`)."""
    options = cert.describe()["Certificate"].get("DomainValidationOptions") or []
    return [o["ResourceRecord"] for o in options if o.get("ResourceRecord")]


def dns_name(name: str) -> str:
    return name.lower().rstrip(".")


def validated(cert) -> bool:
    """Whether every validation record of `cert` is a CNAME with the value ACM asks for in a hosted zone of the
    certificate's account (the local cloud's DNS is Route 53's)."""
    records = validation_records(cert)
    if not records:
        return False
    _, _, _, region, account, _ = cert.arn.split(":", 5)
    backend = route53_backends[account][get_partition(region)]
    present = {(dns_name(r.name), (r.type or "").upper(), dns_name(value(v)))
               for zone in backend.zones.values() for r in zone.rrsets for v in (r.records or [])}
    return all((dns_name(r["Name"]), "CNAME", dns_name(r["Value"])) in present for r in records)


def value(record) -> str:
    """A resource record's value: a string (CloudFormation) or `{"Value": ...}` (the API)."""
    return str(record.get("Value", "")) if isinstance(record, dict) else str(record)


class CfnCertificate(CloudFormationModel):
    """AWS::CertificateManager::Certificate. `Ref` is the certificate's ARN. With `ValidationMethod: DNS` and a
    `HostedZoneId` in a `DomainValidationOptions` entry, CloudFormation writes that name's validation record into the
    zone (UPSERT) and the certificate is issued. Defined at module level, so the class lives as long as the process
    (moto finds models as CloudFormationModel's subclasses)."""

    __module__ = "moto.acm.models"

    def __init__(self, arn: str):
        self.arn = arn

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CertificateManager::Certificate"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = acm_backends[account_id][region_name]
        arn = backend.request_certificate(
            domain_name=props["DomainName"], idempotency_token=None,
            subject_alt_names=props.get("SubjectAlternativeNames") or [],
            tags=[{"Key": k, "Value": v} for k, v in tags(props.get("Tags")).items()])
        cert = backend.get_certificate(arn)
        if props.get("ValidationMethod", "EMAIL") == "DNS":
            write_validation_records(cert, props.get("DomainValidationOptions") or [], account_id, region_name)
            cert.check()
        return cls(arn)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id,
                                        region_name):
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id, region_name):
        try:
            acm_backends[account_id][region_name].delete_certificate(self.arn)
        except Exception as e:  # noqa: BLE001 - already gone
            if not (gone(e) or "NotFound" in str(e)):
                raise


def write_validation_records(cert, options: list[dict], account_id: str, region_name: str) -> None:
    """UPSERTs the validation record of each name whose `DomainValidationOptions` entry names a hosted zone."""
    zones = {dns_name(o["DomainName"]): o["HostedZoneId"] for o in options if o.get("HostedZoneId")}
    backend = route53_backends[account_id][get_partition(region_name)]
    for option in cert.describe()["Certificate"].get("DomainValidationOptions") or []:
        zone = zones.get(dns_name(option["DomainName"]))
        record = option.get("ResourceRecord")
        if zone and record:
            backend.change_resource_record_sets(zone.split("/")[-1], [{"Action": "UPSERT", "ResourceRecordSet": {
                "Name": record["Name"], "Type": record["Type"], "TTL": 300,
                "ResourceRecords": [{"Value": record["Value"]}]}}])
