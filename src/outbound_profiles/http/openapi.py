"""The OpenAPI document: Litestar describes paths, responses and response models; request bodies
and query strings, which the handlers parse themselves (to report every problem at once), are
described from the same msgspec Structs and parameter tables the handlers use."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Parameter, Reference, RequestBody, Schema
from litestar.routes import HTTPRoute

from outbound_profiles import __version__
from outbound_profiles.http.schemas import ErrorEnvelope

_DESCRIPTION = (
    "The Outbound Profile API (Telnyx API v1, `/termination/endpoints`) and the resources profiles "
    "reference. Authenticate with `Authorization: Bearer <token>` (or `Token <token>`), or with the "
    "v1 pair `x-api-user` + `x-api-token`. Errors use one envelope: "
    '`{"errors": [{"code", "title", "detail", "source": {"pointer" | "parameter"}}]}`.'
)


_ERRORS = {
    "400": "The request is invalid: every problem is listed, each with its JSON pointer or query parameter.",
    "401": "Missing or invalid credentials.",
    "404": "No such resource for this user (another tenant's id is not found either).",
    "413": "The request body is larger than 1 MiB.",
    "500": "Unexpected error.",
}


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Outbound Profiles",
        version=__version__,
        description=_DESCRIPTION,
        path="/",
        render_plugins=[SwaggerRenderPlugin(path="/docs")],
        create_examples=False,
    )


def document_parsed_inputs(app: Litestar) -> None:
    """Add the request bodies (`opt["body"]`) and query parameters (`opt["query_parameters"]`)."""
    document = app.openapi_schema
    handlers = [
        (route.path_format, handler)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
    ]
    bodies = sorted({h.opt["body"] for _, h in handlers if "body" in h.opt}, key=lambda t: t.__name__)
    bodies.append(ErrorEnvelope)
    _, components = msgspec.json.schema_components(bodies, ref_template="#/components/schemas/{name}")
    assert document.components is not None
    schemas: dict[str, Any] = dict(document.components.schemas or {})
    schemas.update(components)
    document.components.schemas = schemas
    for path, handler in handlers:
        item = (document.paths or {}).get(path)
        if item is None:
            continue
        for method in handler.http_methods:
            operation = getattr(item, method.lower())
            if operation is None:
                continue
            if "body" in handler.opt:
                name = handler.opt["body"].__name__
                operation.request_body = RequestBody(
                    content={"application/json": OpenAPIMediaType(schema=Reference(f"#/components/schemas/{name}"))},
                    required=True,
                )
            parameters = [
                Parameter(name=name, param_in="query", schema=schema, description=description, required=False)
                for name, schema, description in handler.opt.get("query_parameters", ())
            ]
            if parameters:
                operation.parameters = [*(operation.parameters or []), *parameters]
            error = OpenAPIMediaType(schema=Reference("#/components/schemas/ErrorEnvelope"))
            for status, description in _ERRORS.items():
                if (status == "404" and "{" not in path) or (status == "413" and "body" not in handler.opt):
                    continue
                operation.responses[status] = OpenAPIResponse(
                    description=description, content={"application/json": error}
                )


__all__ = ["Schema", "document_parsed_inputs", "openapi_config"]
