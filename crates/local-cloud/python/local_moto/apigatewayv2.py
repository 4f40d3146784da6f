"""API Gateway v2 in moto: what moto 5.2.1's CloudFormation does not model although its API does --
AWS::ApiGatewayV2::VpcLink (the VPC link v2 that HTTP APIs and, with an integration target, REST APIs use),
AWS::ApiGatewayV2::Api (an HTTP API, from properties or an OpenAPI `Body` as SAM's `AWS::Serverless::HttpApi`
writes it) and AWS::ApiGatewayV2::Stage -- and an OpenAPI importer for HTTP APIs (ImportApi, ReimportApi and
`Body` alike) that keeps what moto's drops: `x-amazon-apigateway-any-method` (an `ANY` route), the `$default`
route, integration types in any case, `x-amazon-apigateway-authorizer` JWT authorizers and the routes' `security`;
GetAuthorizers, which moto's API lacks (the local cloud reads an HTTP API's authorizers with it); and quick create
(an API's `Target`: integration, `$default` route and auto-deployed `$default` stage), which moto ignores."""

import json

import yaml
from moto.apigatewayv2.models import Api, apigatewayv2_backends
from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel

from local_moto.common import Context, tags


class CfnVpcLinkV2(CloudFormationModel):
    """AWS::ApiGatewayV2::VpcLink. Defined here, at module level, so the class lives as long as the process:
    moto finds models as CloudFormationModel's subclasses, which forget a class nothing else refers to."""

    __module__ = "moto.apigatewayv2.models"  # filed under the apigatewayv2 service, like moto's own models

    def __init__(self, link_id: str):
        self.id = link_id

    @property
    def physical_resource_id(self) -> str:
        return self.id

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::VpcLink"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "VpcLinkId"

    def get_cfn_attribute(self, attribute_name: str):
        if attribute_name == "VpcLinkId":
            return self.id
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                        **kwargs):
        props = cloudformation_json["Properties"]
        link = apigatewayv2_backends[account_id][region_name].create_vpc_link(
            name=props.get("Name") or resource_name, sg_ids=list(props.get("SecurityGroupIds") or []),
            subnet_ids=list(props["SubnetIds"]), tags=tags(props.get("Tags")),
        )
        return cls(link.id)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name):
        props = cloudformation_json["Properties"]
        backend = apigatewayv2_backends[account_id][region_name]
        link = backend.get_vpc_link(original_resource.id)
        if sorted(props["SubnetIds"]) != sorted(link.subnet_ids) or sorted(
            props.get("SecurityGroupIds") or []
        ) != sorted(link.sg_ids):  # as on AWS, only the name changes in place
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id,
                                                       region_name)
        backend.update_vpc_link(original_resource.id, name=props.get("Name") or link.name)
        return original_resource

    def delete(self, account_id, region_name):
        apigatewayv2_backends[account_id][region_name].delete_vpc_link(self.id)


METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method")


def import_openapi(api: Api, body) -> None:
    """Replaces `api`'s routes, integrations and authorizers by those of the OpenAPI document `body` (a dict, or
    its JSON or YAML text), as API Gateway imports an HTTP API."""
    if isinstance(body, str):
        body = yaml.safe_load(body)
    api.clear()
    schemes = (body.get("components") or {}).get("securitySchemes") or {}
    authorizers = {}
    for scheme_name, scheme in schemes.items():
        spec = scheme.get("x-amazon-apigateway-authorizer")
        if not spec:
            continue
        source = spec.get("identitySource") or "$request.header.Authorization"
        authorizer = api.create_authorizer(
            auth_creds_arn=spec.get("authorizerCredentials"),
            auth_payload_format_version=spec.get("authorizerPayloadFormatVersion"),
            auth_result_ttl=spec.get("authorizerResultTtlInSeconds"),
            authorizer_type=str(spec.get("type", "jwt")).upper(),
            authorizer_uri=spec.get("authorizerUri"),
            enable_simple_response=spec.get("enableSimpleResponses"),
            identity_source=[s.strip() for s in source.split(",")] if isinstance(source, str) else source,
            identity_validation_expr=None,
            jwt_config=spec.get("jwtConfiguration"),
            name=scheme_name,
        )
        authorizers[scheme_name] = authorizer
    default_security = body.get("security")
    for path, operations in (body.get("paths") or {}).items():
        for method, operation in (operations or {}).items():
            if method not in METHODS or not isinstance(operation, dict):
                continue
            spec = operation.get("x-amazon-apigateway-integration")
            target = None
            if spec:
                integration = api.create_integration(
                    connection_type=spec.get("connectionType", "INTERNET"),
                    description="AutoCreate from OpenAPI Import",
                    integration_method=spec.get("httpMethod"),
                    integration_type=str(spec.get("type", "")).upper(),
                    integration_uri=spec.get("uri"),
                    connection_id=spec.get("connectionId"),
                    credentials_arn=spec.get("credentials"),
                    payload_format_version=spec.get("payloadFormatVersion"),
                    timeout_in_millis=spec.get("timeoutInMillis"),
                )
                target = f"integrations/{integration.id}"
            verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
            key = "$default" if path == "$default" or operation.get("isDefaultRoute") else f"{verb} {path}"
            authorizer, scopes = None, []
            for requirement in operation.get("security", default_security) or []:
                for scheme_name, scheme_scopes in requirement.items():
                    if scheme_name in authorizers:
                        authorizer, scopes = authorizers[scheme_name], list(scheme_scopes or [])
            api.create_route(
                api_key_required=False,
                authorization_scopes=scopes,
                route_key=key,
                target=target,
                authorization_type=authorizer.authorizer_type if authorizer else "NONE",
                authorizer_id=authorizer.id if authorizer else None,
            )
    info = body.get("info") or {}
    if "title" in info:
        api.name = info["title"]
    if "version" in info:
        api.version = str(info["version"])
    if "x-amazon-apigateway-cors" in body:
        api.cors_configuration = body["x-amazon-apigateway-cors"]


def lower_camel(value):
    """CloudFormation's `CorsConfiguration` (`AllowOrigins`, ...) as the API's `corsConfiguration` (`allowOrigins`)."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: v for k, v in value.items()}
    return value


class CfnHttpApi(CloudFormationModel):
    """AWS::ApiGatewayV2::Api (HTTP): from `Name`, `ProtocolType` and `CorsConfiguration`, or an OpenAPI `Body`."""

    __module__ = "moto.apigatewayv2.models"

    def __init__(self, api_id: str, endpoint: str):
        self.id, self.endpoint = api_id, endpoint

    @property
    def physical_resource_id(self) -> str:
        return self.id

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Api"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("ApiId", "ApiEndpoint")

    def get_cfn_attribute(self, attribute_name: str):
        if attribute_name == "ApiId":
            return self.id
        if attribute_name == "ApiEndpoint":
            return self.endpoint
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                        **kwargs):
        props = cloudformation_json["Properties"]
        body = props.get("Body")
        api = apigatewayv2_backends[account_id][region_name].create_api(
            api_key_selection_expression=props.get("ApiKeySelectionExpression"),
            cors_configuration=lower_camel(props.get("CorsConfiguration")),
            description=props.get("Description"),
            disable_schema_validation=props.get("DisableSchemaValidation"),
            disable_execute_api_endpoint=props.get("DisableExecuteApiEndpoint"),
            name=props.get("Name") or resource_name,
            protocol_type=props.get("ProtocolType") or "HTTP",
            route_selection_expression=props.get("RouteSelectionExpression"),
            tags=tags(props.get("Tags")),
            version=props.get("Version"),
        )
        if body is not None:
            import_openapi(api, body)
            if props.get("CorsConfiguration"):
                api.cors_configuration = lower_camel(props["CorsConfiguration"])
        if props.get("Target"):
            quick_create(api, props["Target"], props.get("RouteKey"), props.get("CredentialsArn"))
        return cls(api.api_id, api.api_endpoint)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name):
        props = cloudformation_json["Properties"]
        api = apigatewayv2_backends[account_id][region_name].get_api(original_resource.id)
        if props.get("Body") is not None:
            stages = dict(api.stages)  # the stage is a resource of its own: an update of the body keeps it
            import_openapi(api, props["Body"])
            api.stages.update(stages)
        if props.get("CorsConfiguration") is not None:
            api.cors_configuration = lower_camel(props["CorsConfiguration"])
        if props.get("Name"):
            api.name = props["Name"]
        return original_resource

    def delete(self, account_id, region_name):
        backend = apigatewayv2_backends[account_id][region_name]
        if self.id in backend.apis:
            backend.delete_api(self.id)


class CfnStageV2(CloudFormationModel):
    """AWS::ApiGatewayV2::Stage: a stage of an HTTP API (`$default` for the URL without a stage segment)."""

    __module__ = "moto.apigatewayv2.models"

    def __init__(self, api_id: str, name: str):
        self.api_id, self.name = api_id, name

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "StageName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Stage"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                        **kwargs):
        props = cloudformation_json["Properties"]
        config = {"stageName": props.get("StageName") or resource_name, "autoDeploy": props.get("AutoDeploy"),
                  "description": props.get("Description"), "stageVariables": props.get("StageVariables") or {},
                  "tags": tags(props.get("Tags"))}
        stage = apigatewayv2_backends[account_id][region_name].create_stage(props["ApiId"], config)
        return cls(props["ApiId"], stage.name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name):
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id, region_name):
        backend = apigatewayv2_backends[account_id][region_name]
        api = backend.apis.get(self.api_id)
        if api is not None and self.name in api.stages:
            api.delete_stage(self.name)


def quick_create(api: Api, target: str, route_key=None, credentials_arn=None) -> None:
    """CreateApi's quick create, which moto 5.2.1 ignores: a `Target` gives the API "an integration, a default
    catch-all route, and a default stage which is configured to automatically deploy changes"; an HTTP URL is an
    HTTP_PROXY integration, anything else (a function ARN) AWS_PROXY; the route key defaults to `$default`
    (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html#apis-prop-createapiinput-target)."""
    http = target.startswith(("http://", "https://"))
    integration = api.create_integration(
        connection_type="INTERNET", description="", integration_method="ANY" if http else "POST",
        integration_type="HTTP_PROXY" if http else "AWS_PROXY", integration_uri=target,
        credentials_arn=credentials_arn, payload_format_version="1.0" if http else "2.0",
    )
    api.create_route(api_key_required=False, authorization_scopes=[], route_key=route_key or "$default",
                     target=f"integrations/{integration.id}")
    api.create_stage({"stageName": "$default", "autoDeploy": True})


def create_api(self):
    """CreateApi, then quick create when the request names a `target`."""
    status, headers, body = original_create_api(self)
    params = json.loads(self.body)
    if params.get("target"):
        api = self.apigatewayv2_backend.get_api(json.loads(body)["apiId"])
        quick_create(api, params["target"], params.get("routeKey"), params.get("credentialsArn"))
    return status, headers, body


original_create_api = ApiGatewayV2Response.create_api


def get_authorizers(self):
    """GetAuthorizers (`GET /v2/apis/{apiId}/authorizers`): every authorizer of the API, in one page."""
    api = self.apigatewayv2_backend.get_api(self.path.split("/")[-2])
    return 200, {}, json.dumps({"items": [a.to_json() for a in api.authorizers.values()]})


def patch(ctx: Context) -> None:
    """ImportApi and ReimportApi go through `import_openapi`; GetAuthorizers is added; the CloudFormation models
    (defined at import) are added to moto's model map by `cloudformation`."""
    Api.import_api = lambda self, body_str, fail_on_warnings: import_openapi(self, body_str)
    ApiGatewayV2Response.get_authorizers = get_authorizers
    ApiGatewayV2Response.create_api = create_api
