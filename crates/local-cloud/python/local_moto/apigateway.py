"""API Gateway (REST APIs): integrations keep every field AWS keeps and UpdateIntegration works, at moto's model
and responses, so the API, GetMethod and CloudFormation all see the same integration; a RestApi keeps the resource
policy, models and request validators of an imported OpenAPI document (PutRestApi, ImportRestApi, a CloudFormation
`Body`) as well as a policy set with
`Policy` or UpdateRestApi; authorizers keep `identityValidationExpression` (CreateAuthorizer and an imported
`x-amazon-apigateway-authorizer`); CloudFormation creates RestApis from an OpenAPI `Body` (see `apigateway_openapi`),
Stages, Methods with their whole integration, and deletes RestApis, Deployments and Methods; custom domain names
and base path mappings (see `apigateway_domains`); API keys and usage plans (CloudFormation too) in
`apigateway_usage`."""

import json

from moto.apigateway.exceptions import BadRequestException, NoIntegrationDefined
from moto.apigateway.models import APIGatewayBackend, Deployment, Integration, Method, RestAPI, apigateway_backends
from moto.apigateway.responses import APIGatewayResponse
from moto.core.common_models import CloudFormationModel

from local_moto.apigateway_domains import patch_domain_names
from local_moto import apigateway_usage
from local_moto.apigateway_openapi import import_openapi, openapi_body, policy_text
from local_moto.common import Context, gone, tags


def patch(ctx: Context) -> None:
    patch_integrations()
    patch_authorizers()
    patch_imported_policy()
    patch_rest_api_cloudformation()
    patch_method_cloudformation()
    patch_domain_names()  # and CloudFormation domain names and base path mappings (`apigateway_domains`)
    apigateway_usage.patch()


# --------------------------------------------------------------------------------------------------------------
# Integrations: moto 5.2.1 drops `connectionId`, `integrationTarget` and `cacheKeyParameters` of PutIntegration and
# has no UpdateIntegration at all (HTTP 500).
# --------------------------------------------------------------------------------------------------------------

# PutIntegration's body members, as backend.put_integration's keywords (`type`, `uri`, `httpMethod` apart).
PUT_MEMBERS = {
    "credentials": "credentials", "requestTemplates": "request_templates",
    "passthroughBehavior": "passthrough_behavior", "tlsConfig": "tls_config", "cacheNamespace": "cache_namespace",
    "timeoutInMillis": "timeout_in_millis", "requestParameters": "request_parameters",
    "contentHandling": "content_handling", "connectionType": "connection_type", "connectionId": "connection_id",
    "integrationTarget": "integration_target", "cacheKeyParameters": "cache_key_parameters",
}
# UpdateIntegration: the patch paths of single values, and the attribute of moto's Integration each one sets.
PATCH_VALUES = {
    "/type": "integration_type", "/uri": "uri", "/httpMethod": "http_method", "/credentials": "credentials",
    "/passthroughBehavior": "passthrough_behaviour", "/contentHandling": "content_handling",
    "/cacheNamespace": "cache_namespace", "/timeoutInMillis": "timeout_in_millis",
    "/connectionType": "connection_type", "/connectionId": "connection_id",
    "/integrationTarget": "integration_target",
}
# ... and of maps, whose key follows the path (`/requestParameters/integration.request.header.x`).
PATCH_MAPS = {"/requestParameters": "request_parameters", "/requestTemplates": "request_templates"}


def integration_path(path: str) -> tuple[str, str, str]:
    """(rest api id, resource id, HTTP method) of `/restapis/{id}/resources/{id}/methods/{method}/integration`."""
    parts = path.split("/")
    return parts[2], parts[4], parts[6]


def unescape(segment: str) -> str:
    """A JSON Pointer segment as API Gateway writes map keys in patch paths (`~1` is `/`, `~0` is `~`)."""
    return segment.replace("~1", "/").replace("~0", "~")


def patch_integration(integration, operations: list[dict]) -> None:
    """Applies UpdateIntegration's patch operations (`add`/`replace`/`remove` of the integration's fields, of one
    entry of its request parameters or templates, of a cache key parameter, of `tlsConfig/insecureSkipVerification`)
    to moto's Integration. All are checked before any is applied: a bad one changes nothing (BadRequestException)."""
    changes = []
    for op in operations:
        kind, path, value = op.get("op"), op.get("path") or "", op.get("value")
        if kind not in ("add", "replace", "remove"):
            raise BadRequestException(f"Invalid patch operation specified. Must be 'add'|'remove'|'replace', not '{kind}'")
        clear = kind == "remove"
        if path in PATCH_VALUES:
            if path == "/timeoutInMillis" and not clear:
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    raise BadRequestException(f"Invalid timeoutInMillis '{value}': it must be a number") from None
            changes.append((PATCH_VALUES[path], None, None if clear else value))
            continue
        prefix, _, key = path.partition("/")[2].partition("/")
        if f"/{prefix}" in PATCH_MAPS and key:
            changes.append((PATCH_MAPS[f"/{prefix}"], unescape(key), None if clear else value))
        elif prefix == "cacheKeyParameters" and key:
            changes.append(("cache_key_parameters", unescape(key), clear))
        elif path == "/tlsConfig/insecureSkipVerification":
            changes.append(("tls_config", "insecureSkipVerification",
                            None if clear else str(value).lower() == "true"))
        else:
            raise BadRequestException(f"Invalid patch path '{path}' specified for op '{kind}'")
    for attr, key, value in changes:
        if attr == "cache_key_parameters":
            keys = [k for k in integration.cache_key_parameters if k != key]
            integration.cache_key_parameters = keys if value else keys + [key]
        elif key is None:
            setattr(integration, attr, value)
        else:
            entries = dict(getattr(integration, attr) or {})
            if value is None:
                entries.pop(key, None)
            else:
                entries[key] = value
            setattr(integration, attr, entries or None)


def patch_integrations() -> None:
    """PutIntegration keeps `connectionId`, `integrationTarget` and `cacheKeyParameters` (on moto's Integration,
    answered by its `to_json`, so GetIntegration, GetMethod's `methodIntegration` and GetResources see them), and
    UpdateIntegration patches the integration (the connection fields, `timeoutInMillis`, URI, ...)."""
    Integration.connection_id = None  # class defaults: integrations made by moto's own code paths have none
    Integration.integration_target = None
    original_to_json = Integration.to_json
    original_put = APIGatewayBackend.put_integration

    def to_json(self):
        out = original_to_json(self)
        for attr, key in (("connection_id", "connectionId"), ("integration_target", "integrationTarget")):
            if getattr(self, attr, None):
                out[key] = getattr(self, attr)
        return out

    def put_integration(self, *args, connection_id=None, integration_target=None, cache_key_parameters=None,
                        **kwargs):
        integration = original_put(self, *args, **kwargs)
        integration.connection_id, integration.integration_target = connection_id, integration_target
        integration.cache_key_parameters = list(cache_key_parameters or [])
        return integration

    def update_integration(self, function_id, resource_id, method_type, patch_operations):
        integration = self.get_integration(function_id, resource_id, method_type)
        if integration is None:
            raise NoIntegrationDefined()
        patch_integration(integration, patch_operations or [])
        return integration

    def put_integration_response(self):  # APIGatewayResponse.put_integration, with every member of the body
        api_id, resource_id, verb = integration_path(self.path)
        self.backend.get_method(api_id, resource_id, verb)
        integration = self.backend.put_integration(
            api_id, resource_id, verb, self._get_param("type"), self._get_param("uri"),
            integration_method=self._get_param("httpMethod"),
            **{keyword: self._get_param(member) for member, keyword in PUT_MEMBERS.items()},
        )
        return 201, {"status": 201}, json.dumps(integration.to_json())

    def update_integration_response(self):
        integration = self.backend.update_integration(*integration_path(self.path),
                                                      self._get_param("patchOperations"))
        return 200, {}, json.dumps(integration.to_json())

    Integration.to_json = to_json
    APIGatewayBackend.put_integration = put_integration
    APIGatewayBackend.update_integration = update_integration
    APIGatewayResponse.put_integration = put_integration_response
    APIGatewayResponse.update_integration = update_integration_response


def patch_authorizers() -> None:
    """CreateAuthorizer keeps `identityValidationExpression`: moto 5.2.1 hands it to its Authorizer under a misspelt
    keyword (`identiy_validation_expression`), which drops it, so a TOKEN authorizer's regular expression was never
    applied. The backend also takes the keyword spelt right (the OpenAPI importer uses it)."""
    original = APIGatewayBackend.create_authorizer

    def create_authorizer(self, restapi_id, name, authorizer_type, **kwargs):
        expression = kwargs.pop("identity_validation_expression", None) or kwargs.get("identiy_validation_expression")
        authorizer = original(self, restapi_id, name, authorizer_type, **kwargs)
        authorizer.identity_validation_expression = expression or None
        return authorizer

    APIGatewayBackend.create_authorizer = create_authorizer


def patch_imported_policy() -> None:
    """PutRestApi imports the document as CloudFormation's `Body` does (`apigateway_openapi.import_openapi`):
    moto 5.2.1's own breaks on an integration (PutIntegration's arguments) and drops the resource policy
    (`x-amazon-apigateway-policy`: a private or IP-restricted API was open locally), models and request
    validators. `overwrite` starts from the root resource alone; `merge` adds to the API."""

    def put_rest_api(self, function_id, api_doc, fail_on_warnings, mode="merge"):
        if mode not in ("merge", "overwrite"):
            raise BadRequestException("Enumeration value for mode must be one of: merge, overwrite")
        api = self.get_rest_api(function_id)
        if mode == "overwrite":
            api.resources = {}
            api.default = api.add_child("/")
        import_openapi(self, api, api_doc or {})
        return api

    APIGatewayBackend.put_rest_api = put_rest_api


# --------------------------------------------------------------------------------------------------------------
# CloudFormation
# --------------------------------------------------------------------------------------------------------------

def patch_rest_api_cloudformation() -> None:
    """AWS::ApiGateway::RestApi: `Name` optional (the Body's `info.title`, as on AWS), `Body` imported with its
    resource policy (`Policy`, when set too, is the one kept), updates in place (the Body re-imported, the policy
    set again), deletion supported; Deployments get a physical id and are deletable."""

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        body = openapi_body(props)
        info = (body or {}).get("info") or {}
        backend = apigateway_backends[account_id][region_name]
        config = props.get("EndpointConfiguration")
        policy = props.get("Policy")
        api = backend.create_rest_api(
            name=props.get("Name") or info.get("title") or kwargs.get("LogicalId") or resource_name,
            description=props.get("Description") or info.get("description") or "",
            api_key_source=props.get("ApiKeySourceType"),
            endpoint_configuration={"types": config["Types"]} if config and config.get("Types") else None,
            tags=tags(props.get("Tags")) or None,
            policy=policy_text(policy),
            minimum_compression_size=props.get("MinimumCompressionSize"),
            disable_execute_api_endpoint=props.get("DisableExecuteApiEndpoint"),
        )
        api.binaryMediaTypes = list(props.get("BinaryMediaTypes") or [])
        if body:
            import_openapi(backend, api, body)
        if policy:
            api.policy = policy_text(policy)
        return api

    def update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        props = cloudformation_json["Properties"]
        body = openapi_body(props)
        api = original_resource
        backend = apigateway_backends[account_id][region_name]
        api.name = props.get("Name") or ((body or {}).get("info") or {}).get("title") or api.name
        api.description = props.get("Description") or api.description
        api.binaryMediaTypes = list(props.get("BinaryMediaTypes") or [])
        api.policy = policy_text(props.get("Policy"))
        if body is not None:
            api.resources = {}
            api.default = api.add_child("/")
            api.root_resource_id = api.default.id
            api.gateway_responses = {}
            api.authorizers = {}
            import_openapi(backend, api, body)
            if props.get("Policy"):
                api.policy = policy_text(props["Policy"])
        return api

    def delete_api(self, account_id, region_name):
        apigateway_backends[account_id][region_name].apis.pop(self.id, None)

    RestAPI.create_from_cloudformation_json = classmethod(create)
    RestAPI.update_from_cloudformation_json = classmethod(update)
    RestAPI.delete = delete_api

    original_deployment = Deployment.create_from_cloudformation_json.__func__

    def create_deployment(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        deployment = original_deployment(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        deployment.rest_api_id = cloudformation_json["Properties"]["RestApiId"]
        return deployment

    def delete_deployment(self, account_id, region_name):
        try:
            apigateway_backends[account_id][region_name].delete_deployment(self.rest_api_id, self.id)
        except Exception as e:  # the API went first: its deployments went with it
            if not gone(e):
                raise

    Deployment.create_from_cloudformation_json = classmethod(create_deployment)
    Deployment.physical_resource_id = property(lambda self: self.id)
    Deployment.delete = delete_deployment


class CfnStage(CloudFormationModel):
    """AWS::ApiGateway::Stage, which moto 5.2.1 does not model (a stack 'creates' it and nothing exists). Defined
    at module level, so the class lives as long as the process: moto finds models as CloudFormationModel's
    subclasses, which forget a class nothing else refers to."""

    __module__ = "moto.apigateway.models"  # moto's model registry files a model under its module's service

    def __init__(self, rest_api_id: str, name: str):
        self.rest_api_id, self.name = rest_api_id, name

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "StageName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Stage"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = apigateway_backends[account_id][region_name]
        name = props.get("StageName") or resource_name
        backend.create_stage(
            props["RestApiId"], name, props.get("DeploymentId"),
            variables=props.get("Variables") or {}, description=props.get("Description", ""),
            cacheClusterEnabled=props.get("CacheClusterEnabled"), cacheClusterSize=props.get("CacheClusterSize"),
            tags=tags(props.get("Tags")) or None, tracing_enabled=props.get("TracingEnabled"),
        )
        return cls(props["RestApiId"], name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id,
                                        region_name):
        props = cloudformation_json["Properties"]
        if props.get("StageName", original_resource.name) != original_resource.name or (
            props["RestApiId"] != original_resource.rest_api_id
        ):
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id,
                                                       region_name)
        stage = apigateway_backends[account_id][region_name].get_stage(original_resource.rest_api_id,
                                                                        original_resource.name)
        stage.deployment_id = props.get("DeploymentId")
        stage.variables = props.get("Variables") or {}
        stage.description = props.get("Description", "")
        return original_resource

    def delete(self, account_id, region_name):
        try:
            apigateway_backends[account_id][region_name].delete_stage(self.rest_api_id, self.name)
        except Exception as e:
            if not gone(e):
                raise


def patch_method_cloudformation() -> None:
    """AWS::ApiGateway::Method as CloudFormation creates it: moto 5.2.1 keeps only the integration's type, URI and
    HTTP method, so a private integration lost its connection (`ConnectionType`, `ConnectionId`,
    `IntegrationTarget`) and a proxy resource its parameter mapping. Here the method gets its request parameters,
    authorization and responses, the integration every field (through PutIntegration's model, as the API sets
    them), and the method is deletable."""

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = apigateway_backends[account_id][region_name]
        api_id, resource_id, verb = props["RestApiId"], props["ResourceId"], props["HttpMethod"].upper()
        method = backend.put_method(
            api_id, resource_id, verb, props.get("AuthorizationType", "NONE"),
            api_key_required=bool(props.get("ApiKeyRequired")),
            request_parameters=props.get("RequestParameters"), request_models=props.get("RequestModels"),
            operation_name=props.get("OperationName"), authorizer_id=props.get("AuthorizerId"),
            authorization_scopes=props.get("AuthorizationScopes"),
            request_validator_id=props.get("RequestValidatorId"),
        )
        for response in props.get("MethodResponses") or []:
            backend.put_method_response(api_id, resource_id, verb, str(response["StatusCode"]),
                                        response.get("ResponseModels"), response.get("ResponseParameters"))
        integ = props.get("Integration")
        if integ:
            timeout = integ.get("TimeoutInMillis")
            backend.put_integration(
                api_id, resource_id, verb, str(integ["Type"]).upper(), integ.get("Uri"),
                integ.get("IntegrationHttpMethod"), credentials=integ.get("Credentials"),
                request_templates=integ.get("RequestTemplates"),
                passthrough_behavior=integ.get("PassthroughBehavior"), cache_namespace=integ.get("CacheNamespace"),
                timeout_in_millis=int(timeout) if timeout is not None else None,
                request_parameters=integ.get("RequestParameters"), content_handling=integ.get("ContentHandling"),
                connection_type=integ.get("ConnectionType"), connection_id=integ.get("ConnectionId"),
                integration_target=integ.get("IntegrationTarget"),
                cache_key_parameters=integ.get("CacheKeyParameters"),
            )
            for response in integ.get("IntegrationResponses") or []:
                backend.put_integration_response(
                    api_id, resource_id, verb, str(response["StatusCode"]), response.get("SelectionPattern"),
                    response.get("ResponseTemplates"), response.get("ResponseParameters"),
                    response.get("ContentHandling"),
                )
        method.rest_api_id, method.resource_id = api_id, resource_id
        return method

    def delete(self, account_id, region_name):
        try:
            apigateway_backends[account_id][region_name].delete_method(self.rest_api_id, self.resource_id,
                                                                       self.http_method)
        except Exception as e:  # the API or the resource went first, and the method with it
            if not gone(e):
                raise

    Method.create_from_cloudformation_json = classmethod(create)
    Method.physical_resource_id = property(
        lambda self: f"{getattr(self, 'rest_api_id', '')}-{getattr(self, 'resource_id', '')}-{self.http_method}")
    Method.delete = delete
