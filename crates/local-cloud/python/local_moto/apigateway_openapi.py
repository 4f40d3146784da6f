"""The OpenAPI/Swagger importer behind CloudFormation's AWS::ApiGateway::RestApi `Body` (used by `apigateway`):
moto 5.2.1's own `put_rest_api` breaks on path-level `parameters` and on the root path, and drops fields (the
resource policy `x-amazon-apigateway-policy`, request validators and models among them)."""

import json

# Methods of an OpenAPI path item (the other keys are parameters, summaries, extensions).
OPENAPI_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method"}


def openapi_body(props: dict):
    """The RestApi's `Body` as a dict (a YAML or JSON string parsed); `BodyS3Location` is refused."""
    if "BodyS3Location" in props:
        raise NotImplementedError("BodyS3Location is not supported by the local cloud: inline the definition as Body")
    body = props.get("Body")
    if isinstance(body, str):
        import yaml

        body = yaml.safe_load(body)
    return body


def policy_text(policy) -> str | None:
    """A resource policy as the RestApi keeps it (a JSON string), from a document or a string."""
    if policy is None or policy == "":
        return None
    return policy if isinstance(policy, str) else json.dumps(policy)


# `x-amazon-apigateway-authorizer` types, as CreateAuthorizer names them.
AUTHORIZER_TYPES = {"token": "TOKEN", "request": "REQUEST", "cognito_user_pools": "COGNITO_USER_POOLS"}


def security_schemes(doc: dict) -> dict:
    """The document's security schemes (OpenAPI 3 `components.securitySchemes`, Swagger 2 `securityDefinitions`)."""
    return (doc.get("components") or {}).get("securitySchemes") or doc.get("securityDefinitions") or {}


def import_authorizers(backend, api, doc: dict) -> dict[str, str]:
    """Creates the API's authorizers from the schemes with `x-amazon-apigateway-authorizer` (Lambda TOKEN and REQUEST
    authorizers, Cognito user pools), as ImportRestApi does, and returns scheme name -> authorizer id. A TOKEN
    authorizer without `identitySource` reads the scheme's header (`in: header`, `name`), as SAM writes it; the TTL
    defaults to AWS's 300 seconds."""
    ids = {}
    for name, scheme in security_schemes(doc).items():
        spec = (scheme or {}).get("x-amazon-apigateway-authorizer")
        if not spec:
            continue
        kind = AUTHORIZER_TYPES.get(str(spec.get("type", "")).lower())
        if kind is None:
            raise NotImplementedError(f"security scheme `{name}`: authorizer type `{spec.get('type')}` is not one of "
                                      "token, request, cognito_user_pools")
        identity = spec.get("identitySource")
        if not identity and kind == "TOKEN" and scheme.get("in") == "header" and scheme.get("name"):
            identity = f"method.request.header.{scheme['name']}"
        ttl = spec.get("authorizerResultTtlInSeconds")
        authorizer = backend.create_authorizer(
            api.id, name, kind, provider_arns=spec.get("providerARNs"),
            auth_type=scheme.get("x-amazon-apigateway-authtype"), authorizer_uri=spec.get("authorizerUri"),
            authorizer_credentials=spec.get("authorizerCredentials"), identity_source=identity,
            identity_validation_expression=spec.get("identityValidationExpression"),
            authorizer_result_ttl=300 if ttl is None else int(ttl),
        )
        ids[name] = authorizer.id
    return ids


def openapi_security(doc: dict, op: dict, authorizers: dict[str, str]) -> tuple[str, bool, str | None, list[str]]:
    """(authorizationType, apiKeyRequired, authorizerId, authorizationScopes) of an operation: IAM
    (`x-amazon-apigateway-authtype: awsSigv4`), API keys and the authorizers `import_authorizers` made (`CUSTOM` for
    Lambda authorizers, `COGNITO_USER_POOLS` with the requirement's OAuth scopes, as ImportRestApi reads them); any
    other scheme is refused rather than silently left open."""
    schemes = security_schemes(doc)
    auth, api_key, authorizer_id, scopes = "NONE", False, None, []
    for requirement in op.get("security", doc.get("security")) or []:
        for name, required in requirement.items():
            scheme = schemes.get(name) or {}
            if name in authorizers:
                kind = str(scheme["x-amazon-apigateway-authorizer"].get("type", "")).lower()
                auth = "COGNITO_USER_POOLS" if kind == "cognito_user_pools" else "CUSTOM"
                authorizer_id = authorizers[name]
                if auth == "COGNITO_USER_POOLS":
                    scopes = list(required or [])
            elif scheme.get("x-amazon-apigateway-authtype") == "awsSigv4":
                auth = "AWS_IAM"
            elif scheme.get("type") == "apiKey" and scheme.get("x-amazon-apigateway-authtype") is None:
                api_key = True
            else:
                raise NotImplementedError(f"security scheme `{name}` is not supported by the local cloud")
    return auth, api_key, authorizer_id, scopes


def resource_for_path(backend, api, path: str):
    """The API's resource for `path`, creating it and its missing ancestors."""
    resource = api.get_resource_for_path("/")
    current = ""
    for part in [p for p in path.split("/") if p]:
        current += "/" + part
        found = api.get_resource_for_path(current)
        resource = found or backend.create_resource(api.id, resource.id, part)
    return resource


def import_models(backend, api, doc: dict) -> None:
    """The document's schemas (`components.schemas`, Swagger's `definitions`) as the API's models, as an import
    makes them (content type `application/json`)."""
    schemas = (doc.get("components") or {}).get("schemas") or doc.get("definitions") or {}
    known = {m.name for m in backend.get_models(api.id)}
    for name, schema in schemas.items():
        if name not in known:
            backend.create_model(api.id, name, "application/json", None, json.dumps(schema))


def import_validators(backend, api, doc: dict) -> dict[str, str]:
    """`x-amazon-apigateway-request-validators` as the API's request validators: name -> id."""
    ids = {}
    for name, v in (doc.get("x-amazon-apigateway-request-validators") or {}).items():
        v = v or {}
        validator = backend.create_request_validator(
            api.id, name, bool(v.get("validateRequestBody")), bool(v.get("validateRequestParameters")))
        ids[name] = validator.id
    return ids


def request_models(op: dict) -> dict[str, str] | None:
    """A method's models by content type: OpenAPI 3 `requestBody` schemas, Swagger 2 `in: body` parameters."""
    def model_name(schema) -> str | None:
        ref = (schema or {}).get("$ref") if isinstance(schema, dict) else None
        return ref.rsplit("/", 1)[-1] if ref else None

    models = {}
    for content_type, media in ((op.get("requestBody") or {}).get("content") or {}).items():
        name = model_name((media or {}).get("schema"))
        if name:
            models[content_type] = name
    for p in op.get("parameters") or []:
        if isinstance(p, dict) and p.get("in") == "body" and model_name(p.get("schema")):
            for content_type in op.get("consumes") or ["application/json"]:
                models[content_type] = model_name(p.get("schema"))
    return models or None


def import_openapi(backend, api, doc: dict) -> None:
    """Imports an OpenAPI/Swagger `Body` into `api` the way API Gateway does: authorizers, resources, methods (with
    IAM, API key or authorizer requirements), integrations (uppercased types; `connectionId`, `integrationTarget` and
    `cacheKeyParameters` kept, as PutIntegration keeps them), integration and method responses, binary media types,
    gateway responses, models (the document's schemas), request validators with the methods' validator and models, and the resource policy (`x-amazon-apigateway-policy`: without it a private or IP-restricted
    API was open locally)."""
    policy = policy_text(doc.get("x-amazon-apigateway-policy"))
    if policy:
        api.policy = policy
    authorizers = import_authorizers(backend, api, doc)
    import_models(backend, api, doc)
    validators = import_validators(backend, api, doc)
    default_validator = doc.get("x-amazon-apigateway-request-validator")
    for path in sorted(doc.get("paths") or {}):
        item = doc["paths"][path] or {}
        resource = resource_for_path(backend, api, path)
        shared_params = item.get("parameters") or []
        for key, op in item.items():
            if key.lower() not in OPENAPI_METHODS or not isinstance(op, dict):
                continue
            verb = "ANY" if key.lower() == "x-amazon-apigateway-any-method" else key.upper()
            auth, api_key, authorizer_id, scopes = openapi_security(doc, op, authorizers)
            request_params = {
                f"method.request.{'querystring' if p['in'] == 'query' else p['in']}.{p['name']}": bool(p.get("required"))
                for p in shared_params + (op.get("parameters") or [])
                if isinstance(p, dict) and p.get("in") in ("path", "query", "header") and p.get("name")
            }
            validator = op.get("x-amazon-apigateway-request-validator", default_validator)
            backend.put_method(api.id, resource.id, verb, auth, api_key_required=api_key,
                               request_parameters=request_params or None, authorizer_id=authorizer_id,
                               authorization_scopes=scopes or None,
                               request_models=request_models(op), request_validator_id=validators.get(validator))
            for code in op.get("responses") or {}:
                backend.put_method_response(api.id, resource.id, verb, str(code), None, None)
            integ = op.get("x-amazon-apigateway-integration")
            if not integ:
                continue
            args = backend._build_integration_args(integ)
            args = {k: v for k, v in args.items() if v is not None}
            args["integration_type"] = str(args.get("integration_type", "")).upper()
            if "connection_type" in args:
                args["connection_type"] = str(args["connection_type"]).upper()
            backend.put_integration(
                function_id=api.id, resource_id=resource.id, method_type=verb,
                uri=args.pop("uri", None), integration_method=args.pop("integration_method", None),
                connection_id=integ.get("connectionId"), integration_target=integ.get("integrationTarget"),
                cache_key_parameters=integ.get("cacheKeyParameters"), **args,
            )
            for response in backend._build_integration_responses_args(integ):
                backend.put_integration_response(
                    function_id=api.id, resource_id=resource.id, method_type=verb,
                    **{k: v for k, v in response.items() if v is not None},
                )
    for media_type in doc.get("x-amazon-apigateway-binary-media-types") or []:
        if media_type not in api.binaryMediaTypes:
            api.binaryMediaTypes.append(media_type)
    for response_type, response in (doc.get("x-amazon-apigateway-gateway-responses") or {}).items():
        backend.put_gateway_response(
            api.id, response_type, response.get("statusCode"), response.get("responseParameters"),
            response.get("responseTemplates"),
        )
