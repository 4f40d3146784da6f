"""CloudFront: what the local cloud's CloudFront data plane reads and moto 5.2.1 lacks: origins keep their
`OriginAccessControlId`, distribution ARNs are AWS's (`arn:aws:cloudfront::<account>:distribution/<id>`), response
headers policies (CRUD), the managed cache and origin request policies (Get/List), CloudFormation distributions,
origin access controls, response headers policies and S3 bucket policies, and `GET /_local/cloudfront/...` routes:
the deployed model (`distributions`) and a bucket's policy and objects as an origin request signed by CloudFront
reads them (`s3/<bucket>[/<key>]`). A behaviour may target an origin group.

Over 400 lines: the API fixes, CloudFormation types and data plane routes of one service, each a short function."""

import copy
import datetime
import json
import urllib.parse
import uuid

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudfront import models as cf_models
from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront import urls as cf_urls
from moto.cloudfront.models import cloudfront_backends
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult, EmptyResult
from moto.s3.models import s3_backends

from local_moto.common import Context

# AWS's managed policies (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html,
# .../using-managed-origin-request-policies.html): the ids every account sees.
NONE_IN_KEY = {"EnableAcceptEncodingGzip": True, "EnableAcceptEncodingBrotli": True,
               "HeadersConfig": {"HeaderBehavior": "none"}, "CookiesConfig": {"CookieBehavior": "none"},
               "QueryStringsConfig": {"QueryStringBehavior": "none"}}
MANAGED_CACHE_POLICIES = {
    "658327ea-f89d-4fab-a63d-7e88639e58f6": {"Name": "Managed-CachingOptimized", "MinTTL": 1, "DefaultTTL": 86400,
                                             "MaxTTL": 31536000, "ParametersInCacheKeyAndForwardedToOrigin": NONE_IN_KEY},
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": {"Name": "Managed-CachingDisabled", "MinTTL": 0, "DefaultTTL": 0,
                                             "MaxTTL": 0, "ParametersInCacheKeyAndForwardedToOrigin": {
                                                 **NONE_IN_KEY, "EnableAcceptEncodingGzip": False,
                                                 "EnableAcceptEncodingBrotli": False}},
}
MANAGED_ORIGIN_REQUEST_POLICIES = {
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": {"Name": "Managed-AllViewerExceptHostHeader",
                                             "HeadersConfig": {"HeaderBehavior": "allExcept",
                                                               "Headers": {"Quantity": 1, "Items": ["host"]}},
                                             "CookiesConfig": {"CookieBehavior": "all"},
                                             "QueryStringsConfig": {"QueryStringBehavior": "all"}},
    "216adef6-5c7f-47e4-b989-5492eafa07d3": {"Name": "Managed-AllViewer",
                                             "HeadersConfig": {"HeaderBehavior": "allViewer"},
                                             "CookiesConfig": {"CookieBehavior": "all"},
                                             "QueryStringsConfig": {"QueryStringBehavior": "all"}},
}
PREFIX = "{0}/2020-05-31/"


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def patch(ctx: Context) -> None:
    patch_models()
    patch_policies()


def patch_models() -> None:
    """Origins keep `OriginAccessControlId` (moto 5.2.1 drops it, so Terraform saw a diff forever and nothing could
    sign for the origin); the default behaviour may target an origin group; a distribution keeps the configuration
    as given (read by the data plane); its ARN has
    AWS's empty region field (moto wrote `arn:aws:cloudfront:<account>:...`, which no bucket policy's
    `AWS:SourceArn` condition written for AWS matches)."""
    origin_init = cf_models.Origin.__init__

    def origin(self, config):
        origin_init(self, config)
        self.origin_access_control_id = config.get("OriginAccessControlId") or ""

    cf_models.Origin.__init__ = origin
    config_init = cf_models.DistributionConfig.__init__

    def distribution_config(self, config):
        raw = copy.deepcopy(config)
        # A behaviour may target an origin group (moto 5.2.1 accepted only origins): moto checks the default
        # behaviour's target against the origins, so it checks the group's first member instead.
        groups = {g["Id"]: g for g in (config.get("OriginGroups") or {}).get("Items") or []}
        target = (config.get("DefaultCacheBehavior") or {}).get("TargetOriginId")
        members = ((groups.get(target) or {}).get("Members") or {}).get("Items") or []
        if members:
            config["DefaultCacheBehavior"]["TargetOriginId"] = members[0]["OriginId"]
        config_init(self, config)
        if members:
            self.DefaultCacheBehavior.target_origin_id = target
        self.raw = raw

    cf_models.DistributionConfig.__init__ = distribution_config
    dist_init = cf_models.Distribution.__init__

    def distribution(self, account_id, region_name, config):
        dist_init(self, account_id, region_name, config)
        self.arn = f"arn:aws:cloudfront::{account_id}:distribution/{self.distribution_id}"

    cf_models.Distribution.__init__ = distribution


def policies(backend) -> dict:
    """The backend's response headers policies (created on first use: moto's backend has none)."""
    if not hasattr(backend, "response_headers_policies"):
        backend.response_headers_policies = {}
    return backend.response_headers_policies


def create_response_headers_policy(backend, config: dict) -> dict:
    name = config.get("Name")
    if any(p["ResponseHeadersPolicyConfig"].get("Name") == name for p in policies(backend).values()):
        raise CloudFrontException("ResponseHeadersPolicyAlreadyExists",
                                            f"A response headers policy named {name} already exists.")
    policy = {"Id": str(uuid.uuid4()), "LastModifiedTime": now(), "ResponseHeadersPolicyConfig": config,
              "ETag": uuid.uuid4().hex[:14].upper()}
    policies(backend)[policy["Id"]] = policy
    return policy


def response_headers_policy(backend, policy_id: str) -> dict:
    try:
        return policies(backend)[policy_id]
    except KeyError:
        raise CloudFrontException("NoSuchResponseHeadersPolicy",
                                            "The response headers policy does not exist.") from None


def patch_policies() -> None:
    """Response headers policies (Create, Get, GetConfig, Update, Delete, List) and the managed cache and origin
    request policies (Get, GetConfig, List), routed as AWS's REST paths."""
    for kind in ("response-headers-policy", "cache-policy", "origin-request-policy"):
        cf_urls.url_paths[PREFIX + kind + "$"] = CloudFrontResponse.dispatch
        cf_urls.url_paths[PREFIX + kind + "/(?P<policy_id>[^/]+)$"] = CloudFrontResponse.dispatch
        cf_urls.url_paths[PREFIX + kind + "/(?P<policy_id>[^/]+)/config$"] = CloudFrontResponse.dispatch

    def public(policy: dict) -> dict:
        return {k: v for k, v in policy.items() if k != "ETag"}

    def create(self):
        policy = create_response_headers_policy(self.backend, self._get_param("ResponseHeadersPolicyConfig", {}))
        return ActionResult({"ResponseHeadersPolicy": public(policy), "ETag": policy["ETag"],
                             "Location": f"https://cloudfront.amazonaws.com/2020-05-31/response-headers-policy/"
                                         f"{policy['Id']}"})

    def get(self):
        policy = response_headers_policy(self.backend, self._get_param("Id"))
        return ActionResult({"ResponseHeadersPolicy": public(policy), "ETag": policy["ETag"]})

    def get_config(self):
        policy = response_headers_policy(self.backend, self._get_param("Id"))
        return ActionResult({"ResponseHeadersPolicyConfig": policy["ResponseHeadersPolicyConfig"],
                             "ETag": policy["ETag"]})

    def update(self):
        policy = response_headers_policy(self.backend, self._get_param("Id"))
        policy.update(ResponseHeadersPolicyConfig=self._get_param("ResponseHeadersPolicyConfig", {}),
                      LastModifiedTime=now(), ETag=uuid.uuid4().hex[:14].upper())
        return ActionResult({"ResponseHeadersPolicy": public(policy), "ETag": policy["ETag"]})

    def delete(self):
        response_headers_policy(self.backend, self._get_param("Id"))
        del policies(self.backend)[self._get_param("Id")]
        return EmptyResult()

    def list_(self):
        items = [{"Type": "custom", "ResponseHeadersPolicy": public(p)} for p in policies(self.backend).values()]
        return ActionResult({"ResponseHeadersPolicyList": {"MaxItems": 100, "Quantity": len(items),
                                                           "Items": items or None}})

    def managed(kind: str, table: dict):
        config_key, missing = f"{kind}Config", f"NoSuch{kind}"

        def one(policy_id: str) -> dict:
            if policy_id not in table:
                raise CloudFrontException(missing, f"The {kind} does not exist.")
            return {"Id": policy_id, "LastModifiedTime": "2020-08-01T00:00:00.000Z", config_key: table[policy_id]}

        def get(self):
            return ActionResult({kind: one(self._get_param("Id")), "ETag": "E23ZP02F085DFQ"})

        def get_config(self):
            return ActionResult({config_key: one(self._get_param("Id"))[config_key], "ETag": "E23ZP02F085DFQ"})

        def list_(self):
            items = [{"Type": "managed", kind: one(i)} for i in table]
            return ActionResult({f"{kind}List": {"MaxItems": 100, "Quantity": len(items), "Items": items}})

        return get, get_config, list_

    CloudFrontResponse.create_response_headers_policy = create
    CloudFrontResponse.get_response_headers_policy = get
    CloudFrontResponse.get_response_headers_policy_config = get_config
    CloudFrontResponse.update_response_headers_policy = update
    CloudFrontResponse.delete_response_headers_policy = delete
    CloudFrontResponse.list_response_headers_policies = list_
    (CloudFrontResponse.get_cache_policy, CloudFrontResponse.get_cache_policy_config,
     CloudFrontResponse.list_cache_policies) = managed("CachePolicy", MANAGED_CACHE_POLICIES)
    (CloudFrontResponse.get_origin_request_policy, CloudFrontResponse.get_origin_request_policy_config,
     CloudFrontResponse.list_origin_request_policies) = managed("OriginRequestPolicy",
                                                               MANAGED_ORIGIN_REQUEST_POLICIES)


def items(values) -> dict:
    """A CloudFormation list as the API writes one: `{"Quantity": n, "Items": [...]}`."""
    values = list(values or [])
    return {"Quantity": len(values), "Items": values}


def api_origin(o: dict) -> dict:
    origin = {"Id": o["Id"], "DomainName": o["DomainName"], "OriginPath": o.get("OriginPath", ""),
              "OriginAccessControlId": o.get("OriginAccessControlId", ""),
              "CustomHeaders": items({"HeaderName": h["HeaderName"], "HeaderValue": h["HeaderValue"]}
                                     for h in o.get("OriginCustomHeaders") or [])}
    if "S3OriginConfig" in o:
        origin["S3OriginConfig"] = {"OriginAccessIdentity": o["S3OriginConfig"].get("OriginAccessIdentity", "")}
    if "CustomOriginConfig" in o:
        c = o["CustomOriginConfig"]
        origin["CustomOriginConfig"] = {
            "HTTPPort": int(c.get("HTTPPort", 80)), "HTTPSPort": int(c.get("HTTPSPort", 443)),
            "OriginProtocolPolicy": c["OriginProtocolPolicy"],
            "OriginSslProtocols": items(c.get("OriginSSLProtocols") or ["TLSv1.2"])}
    return origin


def api_behaviour(b: dict) -> dict:
    behaviour = {k: b[k] for k in ("PathPattern", "TargetOriginId", "ViewerProtocolPolicy", "CachePolicyId",
                                   "OriginRequestPolicyId", "ResponseHeadersPolicyId", "Compress") if k in b}
    allowed = b.get("AllowedMethods") or ["GET", "HEAD"]
    behaviour["AllowedMethods"] = {**items(allowed), "CachedMethods": items(b.get("CachedMethods") or ["GET", "HEAD"])}
    for ttl in ("MinTTL", "DefaultTTL", "MaxTTL"):
        if ttl in b:
            behaviour[ttl] = int(b[ttl])
    return behaviour


def api_distribution_config(props: dict, caller_reference: str) -> dict:
    """AWS::CloudFront::Distribution's `DistributionConfig` as the API's (lists as Quantity/Items)."""
    groups = props.get("OriginGroups") or {"Quantity": 0}
    return {
        "CallerReference": caller_reference, "Comment": props.get("Comment", ""),
        "Enabled": props.get("Enabled", True) in (True, "true", "True"),
        "DefaultRootObject": props.get("DefaultRootObject", ""),
        "Origins": items(api_origin(o) for o in props["Origins"]),
        "OriginGroups": groups,
        "DefaultCacheBehavior": api_behaviour(props["DefaultCacheBehavior"]),
        "CacheBehaviors": items(api_behaviour(b) for b in props.get("CacheBehaviors") or []),
        "CustomErrorResponses": items(
            {k: (int(v) if k != "ResponsePagePath" else v) for k, v in e.items()}
            for e in props.get("CustomErrorResponses") or []),
        "PriceClass": props.get("PriceClass", "PriceClass_All"),
    }


class CfnModel:
    """What the CloudFormation resources below share, each standing for an object of moto's CloudFront backend (or
    S3's). Each is defined at module level, so the class lives as long as the process, and derives from
    CloudFormationModel directly (moto finds models as its direct subclasses)."""

    ATTRIBUTES: dict = {}

    def __init__(self, physical_id: str, **attributes):
        self.id, self.attributes = physical_id, attributes

    @property
    def physical_resource_id(self) -> str:
        return self.id

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def get_cfn_attribute(self, attribute_name: str):
        if attribute_name in self.attributes:
            return self.attributes[attribute_name]
        raise UnformattedGetAttTemplateException()


class CfnDistribution(CfnModel, CloudFormationModel):
    """AWS::CloudFront::Distribution (`Ref`: the id; `DomainName`, `Id`)."""

    __module__ = "moto.cloudfront.models"

    ATTRIBUTES = {"DomainName": None, "Id": None}

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFront::Distribution"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        config = api_distribution_config(cloudformation_json["Properties"]["DistributionConfig"], str(uuid.uuid4()))
        dist, _, _ = cloudfront_backends[account_id]["aws"].create_distribution(config, tags=[])
        return cls(dist.distribution_id, DomainName=dist.domain_name, Id=dist.distribution_id)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        cloudfront_backends[account_id]["aws"].distributions.pop(resource_name, None)


class CfnOriginAccessControl(CfnModel, CloudFormationModel):
    """AWS::CloudFront::OriginAccessControl (`Ref`: the id)."""

    __module__ = "moto.cloudfront.models"

    ATTRIBUTES = {"Id": None}

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFront::OriginAccessControl"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        config = cloudformation_json["Properties"]["OriginAccessControlConfig"]
        oac = cloudfront_backends[account_id]["aws"].create_origin_access_control(config)
        return cls(oac.id, Id=oac.id)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        cloudfront_backends[account_id]["aws"].origin_access_controls.pop(resource_name, None)


class CfnResponseHeadersPolicy(CfnModel, CloudFormationModel):
    """AWS::CloudFront::ResponseHeadersPolicy (`Ref`: the id)."""

    __module__ = "moto.cloudfront.models"

    ATTRIBUTES = {"Id": None}

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFront::ResponseHeadersPolicy"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        config = copy.deepcopy(cloudformation_json["Properties"]["ResponseHeadersPolicyConfig"])
        custom = config.get("CustomHeadersConfig")
        if custom is not None:
            config["CustomHeadersConfig"] = items(custom.get("Items"))
        policy = create_response_headers_policy(cloudfront_backends[account_id]["aws"], config)
        return cls(policy["Id"], Id=policy["Id"])

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        policies(cloudfront_backends[account_id]["aws"]).pop(resource_name, None)


class CfnBucketPolicy(CfnModel, CloudFormationModel):
    """AWS::S3::BucketPolicy: moto 5.2.1 skips it, so a stack's bucket had no policy."""

    __module__ = "moto.s3.models"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        document = props["PolicyDocument"]
        document = document if isinstance(document, str) else json.dumps(document)
        s3_backends[account_id]["aws"].put_bucket_policy(props["Bucket"], document.encode())
        return cls(props["Bucket"])

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        try:
            s3_backends[account_id]["aws"].delete_bucket_policy(resource_name)
        except Exception:  # noqa: BLE001 - the bucket went first: nothing left to remove, as on AWS
            pass


def distributions_json(account_id: str) -> dict:
    """The deployed model the data plane reads: each distribution's configuration as given, its policies resolved
    by id, and the origin access controls."""
    backend = cloudfront_backends[account_id]["aws"]
    return {
        "distributions": [{"Id": d.distribution_id, "ARN": d.arn, "DomainName": d.domain_name,
                           "DistributionConfig": d.distribution_config.raw} for d in backend.distributions.values()],
        "cache_policies": MANAGED_CACHE_POLICIES,
        "origin_request_policies": MANAGED_ORIGIN_REQUEST_POLICIES,
        "response_headers_policies": {i: p["ResponseHeadersPolicyConfig"] for i, p in policies(backend).items()},
        "origin_access_controls": {i: {"SigningBehavior": o.signing_behavior, "SigningProtocol": o.signing_protocol,
                                       "OriginAccessControlOriginType": o.origin_type}
                                   for i, o in backend.origin_access_controls.items()},
    }


def local_route(path: str, account_id: str):
    """`GET /_local/cloudfront/...` -> (status, headers, body) or None when the path is not ours.
    `distributions`: the model; `s3/<bucket>`: {"policy": ...}; `s3/<bucket>/<key>`: the object (404 NoSuchKey)."""
    rest = path.removeprefix("/_local/cloudfront/")
    if rest == "distributions":
        return 200, [("content-type", "application/json")], json.dumps(distributions_json(account_id)).encode()
    if not rest.startswith("s3/"):
        return None
    bucket_name, _, key = rest.removeprefix("s3/").partition("/")
    backend = s3_backends[account_id]["aws"]
    bucket = backend.buckets.get(bucket_name)
    if bucket is None:
        return 404, [("content-type", "application/json")], json.dumps({"code": "NoSuchBucket"}).encode()
    if not key:
        policy = bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy
        return 200, [("content-type", "application/json")], json.dumps({"policy": policy}).encode()
    obj = bucket.keys.get(urllib.parse.unquote(key))
    if obj is None:
        return 404, [("content-type", "application/json")], json.dumps({"code": "NoSuchKey"}).encode()
    headers = [("content-type", obj.metadata.get("Content-Type") or "binary/octet-stream"), ("etag", obj.etag),
               ("last-modified", obj.last_modified_RFC1123)]
    return 200, headers, obj.value
