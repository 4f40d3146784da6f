"""Elastic Load Balancing v2: a load balancer created without `Scheme` is internet-facing, as on AWS, and
CloudFormation load balancers, target groups, listeners and rules keep what our patterns set and are deletable."""

import functools

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
