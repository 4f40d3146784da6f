"""S3: event notifications reach Lambda as AWS's do (an asynchronous invocation, which the function's resource
policy must allow for `s3.amazonaws.com` and the bucket) with records as AWS writes them, and CloudFormation buckets
keep their notifications (EventBridge's included), public access block and ownership controls, and fail their stack's
deletion while they hold objects; an anonymous read (no signature) is refused unless the bucket is public to everyone;
a bucket with EventBridge notifications on sends AWS's events to the default bus only; a bucket policy statement
applies only where its `Bool` / `StringEquals` conditions hold (`REQUEST_CONTEXT`)."""

import datetime
import fnmatch
import functools
import json
import os
import time
import uuid

from moto.s3 import notifications as s3_notifications
from moto.s3.exceptions import BucketNotEmpty, MissingBucket
from moto.s3.models import FakeBucket, s3_backends
from moto.s3.responses import S3Response
from moto.utilities.utils import get_partition

from local_moto.common import Context, Source, edge_invoke_async, in_background


def patch(ctx: Context) -> None:
    s3_notifications._invoke_awslambda = in_background(invoke_asynchronously(ctx.edge_url))
    s3_notifications._get_s3_event = s3_event_as_aws_sends_it(s3_notifications._get_s3_event)
    patch_bucket_cloudformation()
    patch_bucket_deletion()
    patch_anonymous_reads()
    patch_bucket_policy_conditions()
    s3_notifications._send_event_bridge_message = send_to_eventbridge


def invoke_asynchronously(edge_url: str):
    """moto's `_invoke_awslambda(account_id, event_body, fn_arn, region_name)` ran the function synchronously
    through LambdaFunction.invoke: queue the event on the edge instead, as S3 invokes Lambda (asynchronously, as
    `s3.amazonaws.com` for the bucket: the function's resource policy decides)."""

    def invoke(account_id, event_body, fn_arn, region_name):
        bucket = event_body["Records"][0]["s3"]["bucket"]["name"]
        source = Source("s3.amazonaws.com", f"arn:aws:s3:::{bucket}", account_id)
        edge_invoke_async(edge_url, fn_arn, json.dumps(event_body).encode(), source)

    return invoke


def aws_time_now() -> str:
    """Now as AWS writes event times: ISO 8601 in UTC with milliseconds and `Z` (`2026-01-22T10:15:58.456Z`)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def s3_event_as_aws_sends_it(original):
    """moto 5.2.1's S3 notification records lack what AWS always sends (`userIdentity`, `requestParameters`,
    `responseElements`, the bucket's `ownerIdentity`, the object's `sequencer`) and write `eventTime` without a zone
    (`...T10:15:58.456789`); typed event parsers (aws_lambda_events) refuse such a record. Fill them in as AWS
    writes them (`...T10:15:58.456Z`)."""

    @functools.wraps(original)
    def s3_event(*args, **kwargs):
        event = original(*args, **kwargs)
        for record in event.get("Records", []):
            record["eventTime"] = aws_time_now()
            record.setdefault("userIdentity", {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"})
            record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
            record.setdefault("responseElements", {
                "x-amz-request-id": os.urandom(8).hex().upper(),
                "x-amz-id-2": os.urandom(24).hex(),
            })
            s3 = record.get("s3", {})
            s3.get("bucket", {}).setdefault("ownerIdentity", {"principalId": "A3NL1KOZZKExample"})
            # Increasing per key, as S3's: the time in nanoseconds, in hex.
            s3.get("object", {}).setdefault("sequencer", f"{time.time_ns():018X}")
        return event

    return s3_event


def patch_bucket_cloudformation() -> None:
    """AWS::S3::Bucket keeps `NotificationConfiguration` (Lambda, SQS and SNS targets, a SAM `S3` event becomes
    one; `EventBridgeConfiguration.EventBridgeEnabled`), `PublicAccessBlockConfiguration` and `OwnershipControls`: moto 5.2.1 ignores the three, so a bucket made
    by a stack notified nothing and was not private."""
    original = FakeBucket.create_from_cloudformation_json.__func__
    targets = (  # CloudFormation list, its target property, moto's (API) list and target key
        ("LambdaConfigurations", "Function", "CloudFunctionConfiguration", "CloudFunction"),
        ("QueueConfigurations", "Queue", "QueueConfiguration", "Queue"),
        ("TopicConfigurations", "Topic", "TopicConfiguration", "Topic"),
    )

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        bucket = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        props = cloudformation_json.get("Properties", {})
        backend = s3_backends[account_id][get_partition(region_name)]
        notifications = props.get("NotificationConfiguration") or {}
        config = {}
        for cfn_list, cfn_target, api_list, api_target in targets:
            for entry in notifications.get(cfn_list, []):
                item = {api_target: entry[cfn_target], "Event": [entry["Event"]]}
                rules = (entry.get("Filter") or {}).get("S3Key", {}).get("Rules")
                if rules:
                    item["Filter"] = {"S3Key": {"FilterRule": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
                config.setdefault(api_list, []).append(item)
        if (notifications.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled") in (True, "true"):
            config["EventBridgeConfiguration"] = {}
        if config:
            backend.put_bucket_notification_configuration(bucket.name, config)
        if props.get("PublicAccessBlockConfiguration"):
            backend.put_public_access_block(bucket.name, props["PublicAccessBlockConfiguration"])
        rules = (props.get("OwnershipControls") or {}).get("Rules") or []
        if rules:
            backend.put_bucket_ownership_controls(bucket.name, rules[0]["ObjectOwnership"])
        return bucket

    FakeBucket.create_from_cloudformation_json = classmethod(create)


def eventbridge_event(account_id: str, bucket, event_name: str, key, now=None) -> dict:
    """The event S3 sends EventBridge for `event_name` (`s3:ObjectCreated:Put`), as AWS documents it
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html): moto 5.2.1 wrote `time` as a Unix
    number, the same `id` and `sequencer` for every event and a made-up requester and source IP."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    obj = {"key": key.name, "size": key.size, "etag": key.etag.replace('"', ""),
           "sequencer": f"{time.time_ns():018X}"}
    if key.version_id and key.version_id != "null":
        obj["version-id"] = key.version_id
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": s3_notifications._detail_type(event_name),
        "source": "aws.s3",
        "account": account_id,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": bucket.region_name,
        "resources": [bucket.arn],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket.name},
            "object": obj,
            "request-id": os.urandom(8).hex().upper(),
            "requester": account_id,
            "source-ip-address": "127.0.0.1",
        },
    }
    if event_name.startswith("s3:ObjectCreated"):
        event["detail"]["reason"] = "PutObject"
    elif event_name.startswith("s3:ObjectRemoved"):
        event["detail"]["reason"] = "DeleteObject"
        event["detail"]["deletion-type"] = "Permanently Deleted"
    return event


def send_to_eventbridge(account_id: str, bucket, event_name: str, key) -> None:
    """S3 sends its events to the account's default event bus only ("Amazon S3 ... sends events to the default
    event bus": https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html); moto 5.2.1 offered them to
    the rules of every bus. The rules' targets deliver as `events.send_to_targets` does."""
    from moto.events.models import events_backends

    event = eventbridge_event(account_id, bucket, event_name, key)
    bus = events_backends[account_id][bucket.region_name].event_buses.get("default")
    for rule in list(bus.rules.values()) if bus else []:
        if rule.state == "ENABLED":
            rule.send_to_targets(event, transform_input=False)


def patch_bucket_deletion() -> None:
    """A stack's bucket that still holds objects is not deleted, and says so: on AWS the bucket stays and the stack
    ends DELETE_FAILED, its event reading "The bucket you tried to delete is not empty" (S3 refuses to delete a
    bucket with objects: https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-bucket.html). moto 5.2.1's
    CloudFormation deletion called `delete_bucket`, which answers None for such a bucket, and reported it deleted
    while it stayed. Raised here, the error becomes the DELETE_FAILED event (`cloudformation.patch_failures`)."""

    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        backend = s3_backends[account_id][get_partition(region_name)]
        try:
            bucket = backend.get_bucket(resource_name)
        except MissingBucket:  # already gone (deleted by hand): nothing to do, as on AWS
            return
        if bucket.keys:
            raise BucketNotEmpty(bucket_name=resource_name)
        backend.delete_bucket(resource_name)

    FakeBucket.delete_from_cloudformation_json = classmethod(delete_from_cloudformation_json)


ACCESS_DENIED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied'
                 b'</Message></Error>')


def anonymous_may_read(bucket, key_name: str) -> bool:
    """Whether S3 lets an anonymous caller (no signature) read `key_name`: only through a bucket policy statement
    for everyone (`"Principal": "*"`, unconditional) that allows `s3:GetObject` on it, unless the public access
    block's `RestrictPublicBuckets` restricts such a policy to the owner's account and AWS services; or a public
    object ACL, unless `IgnorePublicAcls`. A statement for a service principal (CloudFront's
    `cloudfront.amazonaws.com`) or an account grants an anonymous caller nothing
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html, "The meaning
    of public")."""
    block = bucket.public_access_block
    resource = f"arn:aws:s3:::{bucket.name}/{key_name}"
    statements = []
    if bucket.policy:
        try:
            document = json.loads(bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy)
            statements = document.get("Statement") or []
            statements = statements if isinstance(statements, list) else [statements]
        except ValueError:
            statements = []

    def listed(value) -> list:
        return value if isinstance(value, list) else [value]

    def everyone(statement) -> bool:
        principal = statement.get("Principal")
        return principal == "*" or (isinstance(principal, dict) and "*" in listed(principal.get("AWS", [])))

    def covers(statement) -> bool:
        actions = [a.lower() for a in listed(statement.get("Action", []))]
        return (any(fnmatch.fnmatchcase("s3:getobject", a) for a in actions)
                and any(fnmatch.fnmatchcase(resource, r) for r in listed(statement.get("Resource", []))))

    applying = [s for s in statements if everyone(s) and covers(s)]
    if any(s.get("Effect") == "Deny" for s in applying):
        return False
    public_policy = any(s.get("Effect") == "Allow" and not s.get("Condition") for s in applying)
    if public_policy and not (block and block.restrict_public_buckets):
        return True
    key = bucket.keys.get(key_name)
    public_acl = key is not None and key.acl is not None and key.acl.public_read
    return public_acl and not (block and block.ignore_public_acls)


def patch_anonymous_reads() -> None:
    """An unsigned GET or HEAD of an object (a browser or curl on the bucket's URL) answers 403 AccessDenied unless
    the object is public (`anonymous_may_read`). moto 5.2.1 evaluated the bucket policy without its principals, so
    a private bucket whose policy allows CloudFront's service principal served every object to anyone."""
    original = S3Response._key_response

    def key_response(self, request, full_url):
        signed = "Authorization" in request.headers or "Signature=" in full_url
        if request.method in ("GET", "HEAD") and not signed:
            bucket = self.backend.buckets.get(self.parse_bucket_name_from_url(request, full_url))
            if bucket is not None and not anonymous_may_read(bucket, self.parse_key_name()):
                body = b"" if request.method == "HEAD" else ACCESS_DENIED
                return 403, {"content-type": "application/xml"}, body
        return original(self, request, full_url)

    S3Response._key_response = key_response


# What the bucket policy's conditions see of a request to the local cloud: it stands in for S3's HTTPS endpoint
# (its edge is plain HTTP only because it is local), so `aws:SecureTransport` is true, as for the SDKs and the CLI
# on AWS. Other keys are absent from the context.
REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def condition_holds(condition: dict, context: dict[str, str]) -> bool:
    """Whether a statement's `Condition` holds for `context`: `Bool` and `StringEquals` (and their `IfExists`
    forms) are evaluated, a key absent from the context fails them unless `IfExists`, as in IAM's evaluation
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html);
    other operators are taken to hold, as moto 5.2.1 takes them."""
    for operator, pairs in condition.items():
        base = operator.removesuffix("IfExists")
        if base not in ("Bool", "StringEquals") or not isinstance(pairs, dict):
            continue
        for key, expected in pairs.items():
            actual = context.get(key)
            if actual is None:
                if operator.endswith("IfExists"):
                    continue
                return False
            wanted = expected if isinstance(expected, list) else [expected]
            if base == "Bool":
                if actual.lower() not in [str(w).lower() for w in wanted]:
                    return False
            elif actual not in [str(w) for w in wanted]:
                return False
    return True


def patch_bucket_policy_conditions() -> None:
    """A bucket policy's statement whose conditions do not hold does not apply. moto 5.2.1 skips the `Bool`
    operator, so the statement `Deny s3:* unless aws:SecureTransport` (which the SAM CLI's managed bucket carries)
    denied every request, and a statement whose `StringEquals` fails turned into a Deny."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    def get_permission(self, action: str, resource: str):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        statements = json.loads(self.policy).get("Statement") or []
        permitted = False
        for statement in statements if isinstance(statements, list) else [statements]:
            if not condition_holds(statement.get("Condition") or {}, REQUEST_CONTEXT):
                continue
            unconditional = {k: v for k, v in statement.items() if k != "Condition"}
            result = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return result
            permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    FakeBucket.get_permission = get_permission
