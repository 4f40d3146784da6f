"""Elastic Load Balancing v2: a load balancer created without `Scheme` is internet-facing, as on AWS, a dual-stack
one needs subnets with an IPv6 CIDR block, and CloudFormation load balancers, target groups, listeners and rules
keep what our patterns set and are deletable."""

import functools
import inspect

from moto.elbv2.exceptions import ValidationError
from moto.elbv2.models import (
    ELBv2Backend,
    FakeListener,
    FakeListenerRule,
    FakeLoadBalancer,
    FakeTargetGroup,
    elbv2_backends,
)

from local_moto.common import Context, gone


def patch(ctx: Context) -> None:
    patch_scheme_default()
    patch_dualstack_subnets()
    patch_cloudformation()


def patch_scheme_default() -> None:
    """CreateLoadBalancer without `Scheme` makes an internet-facing load balancer on AWS (Terraform sends no
    `Scheme` for `internal = false`); moto 5.2.1 stored no scheme at all, which read as internal."""
    original = ELBv2Backend.create_load_balancer

    @functools.wraps(original)
    def create_load_balancer(self, *args, **kwargs):
        if kwargs.get("scheme") is None:
            kwargs["scheme"] = "internet-facing"
        return original(self, *args, **kwargs)

    ELBv2Backend.create_load_balancer = create_load_balancer


# AWS's answer (400 ValidationError) to a dual-stack load balancer on a subnet without an IPv6 CIDR block, as
# ELBv2 writes it (quoted in kubernetes-sigs/aws-load-balancer-controller#4852 and #4865).
DUALSTACK_WITHOUT_IPV6 = "You must specify subnets with an associated IPv6 CIDR block."


def has_ipv6(subnet) -> bool:
    """Whether an IPv6 CIDR block is associated with moto's `subnet`."""
    return any(((a.get("ipv6CidrBlockState") or {}).get("State") or "").lower() == "associated"
               for a in (getattr(subnet, "ipv6_cidr_block_associations", None) or {}).values())


def patch_dualstack_subnets() -> None:
    """A dual-stack load balancer (`IpAddressType: dualstack`: CreateLoadBalancer, SetIpAddressType, CloudFormation,
    Terraform's `ip_address_type`) on a subnet without an IPv6 CIDR block is refused, as AWS refuses it
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-ip-address-type.html: the
    subnets need an associated IPv6 CIDR block); moto 5.2.1 accepted it."""
    original_create = ELBv2Backend.create_load_balancer
    original_set = ELBv2Backend.set_ip_address_type

    def check(subnets) -> None:
        if not all(has_ipv6(subnet) for subnet in subnets):
            raise ValidationError(DUALSTACK_WITHOUT_IPV6)

    def subnet(backend, subnet_id):
        try:
            return backend.ec2_backend.get_subnet(subnet_id)
        except Exception:  # an unknown subnet: moto's own check answers it (SubnetNotFound)
            return None

    @functools.wraps(original_create)
    def create_load_balancer(self, *args, **kwargs):
        bound = inspect.signature(original_create).bind(self, *args, **kwargs)
        bound.apply_defaults()
        if bound.arguments.get("ip_address_type") == "dualstack":
            ids = list(bound.arguments.get("subnet_ids") or []) + [
                m["SubnetId"] for m in bound.arguments.get("subnet_mappings") or []]
            check([found for found in (subnet(self, i) for i in ids) if found is not None])
        return original_create(self, *args, **kwargs)

    @functools.wraps(original_set)
    def set_ip_address_type(self, arn, ip_type):
        balancer = self.load_balancers.get(arn)
        if ip_type == "dualstack" and balancer is not None:
            check(balancer.subnets)
        return original_set(self, arn, ip_type)

    ELBv2Backend.create_load_balancer = create_load_balancer
    ELBv2Backend.set_ip_address_type = set_ip_address_type


def patch_cloudformation() -> None:
    """ELBv2 resources as CloudFormation creates them: moto 5.2.1 drops a load balancer's `Type` (an NLB became an
    ALB), `LoadBalancerAttributes`, `IpAddressType` and `Tags`, a target group's `Targets`, `HealthCheckEnabled`,
    `TargetGroupAttributes` and `Tags`, and never deletes target groups, listeners or listener rules."""

    def create_load_balancer(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = elbv2_backends[account_id][region_name]
        lb = backend.create_load_balancer(
            resource_name, props.get("SecurityGroups") or [], props.get("Subnets") or [],
            subnet_mappings=props.get("SubnetMappings"), scheme=props.get("Scheme", "internet-facing"),
            loadbalancer_type=props.get("Type", "application"), ip_address_type=props.get("IpAddressType", "ipv4"),
            tags=props.get("Tags") or None,
        )
        attributes = {a["Key"]: str(a["Value"]) for a in props.get("LoadBalancerAttributes") or []}
        if attributes:
            backend.modify_load_balancer_attributes(lb.arn, attributes)
        return lb

    original_target_group = FakeTargetGroup.create_from_cloudformation_json.__func__

    def create_target_group(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = elbv2_backends[account_id][region_name]
        group = original_target_group(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        if "HealthCheckEnabled" in props:
            group.health_check_enabled = str(props["HealthCheckEnabled"]).lower() == "true"
        attributes = {a["Key"]: str(a["Value"]) for a in props.get("TargetGroupAttributes") or []}
        if attributes:
            backend.modify_target_group_attributes(group.arn, attributes)
        if props.get("Tags"):
            backend.add_tags([group.arn], props["Tags"])
        targets = [{k: v for k, v in t.items() if k in ("Id", "Port", "AvailabilityZone")}
                   for t in props.get("Targets") or []]
        if targets:
            backend.register_targets(group.arn, targets)
        return group

    def deleter(delete_call):
        def delete(self, account_id, region_name):
            try:
                delete_call(elbv2_backends[account_id][region_name], self.arn)
            except Exception as e:  # its load balancer went first, and took it along
                if not gone(e):
                    raise
        return delete

    FakeLoadBalancer.create_from_cloudformation_json = classmethod(create_load_balancer)
    FakeTargetGroup.create_from_cloudformation_json = classmethod(create_target_group)
    FakeTargetGroup.delete = deleter(lambda backend, arn: backend.delete_target_group(arn))
    FakeListener.delete = deleter(lambda backend, arn: backend.delete_listener(arn))
    FakeListenerRule.delete = deleter(lambda backend, arn: backend.delete_rule(arn))
