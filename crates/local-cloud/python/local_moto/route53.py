"""Route 53: every account of the local cloud owns a public hosted zone for `example.com.` (RFC 2606's reserved test
domain) with a fixed id, `LOCAL_ZONE_ID`, as a real account owns the zone of its own domain: a pattern that
publishes a custom domain name (its ACM certificate validated by DNS, an alias record) deploys locally under
`example.com` unchanged, finding the zone by name (Terraform's `data "aws_route53_zone"`) or by that id (a SAM
parameter). moto 5.2.1 makes the zone again whenever it makes a Route 53 backend (at the first call, after a
reset)."""

from moto.route53.models import FakeZone, Route53Backend

from local_moto.common import Context

LOCAL_ZONE_NAME = "example.com."
LOCAL_ZONE_ID = "Z0LOCALEXAMPLECOM"


def patch(ctx: Context) -> None:
    original_init = Route53Backend.__init__

    def init(self, region_name: str, account_id: str):
        original_init(self, region_name, account_id)
        add_local_zone(self)

    Route53Backend.__init__ = init


def add_local_zone(backend: Route53Backend) -> FakeZone:
    """The `example.com.` zone with its NS and SOA records, as CreateHostedZone makes them, under the fixed id."""
    zone = backend.create_hosted_zone(LOCAL_ZONE_NAME, private_zone=False, caller_reference="local-cloud",
                                      comment="the local cloud's zone of the reserved test domain (RFC 2606)")
    del backend.zones[zone.resource_id]
    zone.resource_id = LOCAL_ZONE_ID
    backend.zones[LOCAL_ZONE_ID] = zone
    return zone
